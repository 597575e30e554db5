"""Hierarchies of codes: declared once, used to check totals and to compute missing ones.

    hierarchy geo over region: KZ = North + South, North = AKM + KUS

The data below is typed for the test; every expected value is worked out by hand:

| region | 2020 | 2021 |
|--------|------|------|
| KZ     | 100  |  -   |
| North  |  60  |  -   |
| South  |  41  |  50  |
| AKM    |  30  |  25  |
| KUS    |  30  |  30  |

- rollup(gdp, geo): KZ 2020 = North + South = 60 + 41 = 101; KZ 2021 is missing (North
  2021 is missing); North 2020 = 30 + 30 = 60, North 2021 = 25 + 30 = 55; every other row
  (South, AKM, KUS) is not a total: missing.
- complete(gdp, geo): the data where present; North 2021 = 55, then KZ 2021 = 55 + 50 = 105
  (the lower level first), each reported (KZF265).
- rule adds_up (|gdp - rollup| <= 0.5): KZ 2020 fails (|100 - 101| = 1), North 2020 passes,
  KZ 2021 and North 2021 are not evaluated (no gdp), and the 6 rows of South, AKM and KUS
  are not applicable (not totals).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import kzf
from kzf.dsl.diagnostics import ProgramError
from kzf.engine.cli.main import main

PROGRAM = """\
dims region, year
data "d.csv"
input gdp >= 0
hierarchy geo over region: KZ = North + South, North = AKM + KUS
regions = rollup(gdp, geo)
completed = complete(gdp, geo)
rule adds_up: abs(gdp - regions) <= 0.5 warning code "H01" "a total is not the sum of its parts"
"""
DATA = (
    "region,year,gdp\n"
    "KZ,2020,100\nKZ,2021,\nNorth,2020,60\nNorth,2021,\nSouth,2020,41\nSouth,2021,50\n"
    "AKM,2020,30\nAKM,2021,25\nKUS,2020,30\nKUS,2021,30\n"
)
NAN = float("nan")
ROLLUP = {("KZ", 2020): 101.0, ("KZ", 2021): NAN, ("North", 2020): 60.0, ("North", 2021): 55.0}
COMPLETED = {("KZ", 2021): 105.0, ("North", 2021): 55.0}


@pytest.fixture
def program(tmp_path: Path) -> Path:
    (tmp_path / "f.kzf").write_text(PROGRAM, encoding="utf-8")
    (tmp_path / "d.csv").write_text(DATA, encoding="utf-8")
    return tmp_path / "f.kzf"


def _by_key(frame: pd.DataFrame, column: str) -> dict[tuple[str, int], float]:
    return {(r.region, int(r.year)): getattr(r, column) for r in frame.itertuples()}


def _same(a: float, b: float) -> bool:
    return (a != a and b != b) or a == b


@pytest.mark.parametrize("engine", ["pandas", "duckdb", "spark"])
def test_rollup_and_complete_on_every_engine(program: Path, engine: str) -> None:
    result = kzf.load(program).run(program.parent / "d.csv", engine=engine)
    data = {(k[0], int(k[1])): v for k, v in _by_key(result.frame, "regions").items()}
    gdp = pd.read_csv(program.parent / "d.csv")
    given = {(r.region, int(r.year)): r.gdp for r in gdp.itertuples()}
    for key, value in data.items():
        assert _same(value, ROLLUP.get(key, NAN)), (key, value)
    completed = _by_key(result.frame, "completed")
    for key, value in completed.items():
        assert _same(value, COMPLETED.get(key, given[key])), (key, value)
    notes = [w for w in result.warnings if w.code == "KZF265"]
    rows = " ".join(w.message for w in notes)
    assert "(North, 2021)" in rows and "(KZ, 2021)" in rows
    assert all("hierarchy 'geo'" in w.message for w in notes)


@pytest.mark.parametrize("engine", ["pandas", "duckdb", "spark"])
def test_validate_checks_the_totals_only(program: Path, capsys, engine: str) -> None:
    assert main(["validate", str(program), "--format", "json", "--engine", engine]) == 0
    out, err = capsys.readouterr()
    rows = json.loads(out)
    assert [(r["rule"], r["region"], r["year"], r["code"], r["values"]) for r in rows] == [
        ("adds_up", "KZ", 2020, "H01", "gdp = 100, regions = 101")
    ]
    assert (
        "rule adds_up (warning): 1 passed, 1 failed, 2 not evaluated (a value missing), "
        "6 not applicable (not the totals of hierarchy 'geo'), of 10 rows"
    ) in err


def test_a_code_the_data_lacks_is_named_with_the_nearest(tmp_path: Path, capsys) -> None:
    (tmp_path / "f.kzf").write_text(PROGRAM.replace("AKM + KUS", "AKM + KOS"), encoding="utf-8")
    (tmp_path / "d.csv").write_text(DATA, encoding="utf-8")
    assert main(["eval", str(tmp_path / "f.kzf"), "--select", "regions"]) == 0
    out, err = capsys.readouterr()
    assert (
        "f.kzf:4:1: warning[KZF266]: hierarchy 'geo': 'region' has no value 'KOS' in the data, "
        "so the total of 'North' is missing wherever it is needed; did you mean 'KUS'?"
    ) in err
    frame = pd.read_csv(__import__("io").StringIO(out))
    north = frame[frame.region == "North"].regions
    assert north.isna().all()  # never a sum of the children found (30, 25)


def test_a_library_function_takes_a_hierarchy(tmp_path: Path, capsys) -> None:
    """std:checks' adds_up(x, h, tol): |x - rollup(x, h)| <= tol * |x|. KZ 2020: |100 - 101|
    = 1 > 0.001 * 100 = 0.1, fails; North 2020: |60 - 60| = 0, passes."""
    text = PROGRAM.replace(
        "rule adds_up: abs(gdp - regions) <= 0.5", "rule totals: adds_up(gdp, geo, 0.001)"
    )
    (tmp_path / "f.kzf").write_text('import "std:checks"\n' + text, encoding="utf-8")
    (tmp_path / "d.csv").write_text(DATA, encoding="utf-8")
    assert main(["validate", str(tmp_path / "f.kzf"), "--format", "csv"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[1].startswith("totals,KZ,2020,warning,H01")
    assert "1 passed, 1 failed" in err


@pytest.mark.parametrize(
    ("declaration", "message"),
    [
        ("hierarchy geo over place: KZ = A + B", "unknown dimension 'place'"),
        ("hierarchy geo over year: 2020 = 2019 + 2018", "'year' is the time dimension"),
        ("hierarchy geo over region: KZ = A + B, KZ = C + D", "'KZ' is given twice"),
        ("hierarchy geo over region: KZ = A + A", "'A' is listed twice among the children"),
        ("hierarchy geo over region: A = B + C, B = A + D", "is circular: A = ... + B = ... + A"),
    ],
)
def test_a_hierarchy_that_cannot_mean_one_set_of_totals_is_refused(
    tmp_path: Path, declaration: str, message: str
) -> None:
    (tmp_path / "f.kzf").write_text(
        f"dims region, year\ninput gdp\n{declaration}\nt = rollup(gdp, geo)\n", encoding="utf-8"
    )
    with pytest.raises(ProgramError) as caught:
        kzf.load(tmp_path / "f.kzf")
    found = [d for d in caught.value.diagnostics if d.code == "KZF028"]
    assert found and message in found[0].message and found[0].span.line == 3


@pytest.mark.parametrize(
    "line",
    ["t = geo", "t = gdp + geo", "t = rollup(gdp, gdp)", "rule r: region = geo"],
)
def test_a_hierarchy_is_not_a_value(tmp_path: Path, line: str) -> None:
    (tmp_path / "f.kzf").write_text(
        f"dims region, year\ninput gdp\nhierarchy geo over region: KZ = A + B\n{line}\n",
        encoding="utf-8",
    )
    with pytest.raises(ProgramError) as caught:
        kzf.load(tmp_path / "f.kzf")
    assert any(d.code == "KZF017" for d in caught.value.diagnostics)


def test_a_hierarchy_written_one_rule_per_line(tmp_path: Path) -> None:
    text = PROGRAM.replace(
        "hierarchy geo over region: KZ = North + South, North = AKM + KUS",
        "hierarchy geo over region (\n    KZ = North + South\n    North = AKM + KUS\n)",
    )
    (tmp_path / "f.kzf").write_text(text, encoding="utf-8")
    (tmp_path / "d.csv").write_text(DATA, encoding="utf-8")
    frame = kzf.load(tmp_path / "f.kzf").evaluate(tmp_path / "d.csv")
    assert _by_key(frame, "regions")[("KZ", 2020)] == 101.0


def test_table_16_s_printed_totals_against_the_sum_of_their_rows(capsys) -> None:
    """spec/formulas.md F10: Table 16's printed totals for 2018 (22 509.3) and 2021
    (24 794.7) are 101.0 and 200.0 below the sums of their four rows, 22 610.3 and 24 994.7;
    the other four years agree."""
    root = Path(__file__).resolve().parents[2]
    path = root / "indicators" / "ict_manufacturing_checks.kzf"
    assert main(["validate", str(path), "--format", "json"]) == 0  # warnings only
    out, err = capsys.readouterr()
    rows = [(r["rule"], r["product"], r["year"], r["values"]) for r in json.loads(out)]
    assert rows == [
        ("total_is_sum_of_rows", "ict_total", 2018, "value = 22509.3, sum_of_rows = 22610.3"),
        ("total_is_sum_of_rows", "ict_total", 2021, "value = 24794.7, sum_of_rows = 24994.7"),
    ]
    assert "rule total_is_sum_of_rows (warning): 4 passed, 2 failed" in err


def test_rows_in_the_caller_s_order_get_their_own_totals(program: Path) -> None:
    """evaluate(df) on the rows shuffled: each row keeps its own key's total (KZ 2020 = 101,
    North 2021 = 55), in the caller's order, not the panel's sorted one."""
    frame = pd.read_csv(program.parent / "d.csv").sample(frac=1.0, random_state=7)
    out = kzf.load(program).evaluate(frame)
    assert list(out.index) == list(frame.index)
    for key, value in _by_key(out, "regions").items():
        assert _same(value, ROLLUP.get(key, NAN)), (key, value)
