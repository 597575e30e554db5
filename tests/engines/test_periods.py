"""Time as periods: lag, lead, diff and growth step one period of the panel's frequency, on
every engine, and the time dimension is the one the file chose, never a guess by position.

Every expected value is worked out by hand from the calendar: the month before 2020-04 is
2020-03; ISO 2020 has 53 weeks, so 2021-W01 follows 2020-W53; 2020 is a leap year, so
2020-03-01 follows 2020-02-29.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import pandas as pd
import pytest

import kzf
from kzf.engine.cli.main import main

NAN = math.nan


def _evaluate(text: str, frame: pd.DataFrame, engine: str) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kzf.KzfWarning)
        return kzf.compile(text).evaluate(frame, engine=engine)


def _same(got: pd.Series, want: list[float], what: str) -> None:
    values = got.tolist()
    assert len(values) == len(want), what
    for g, w in zip(values, want, strict=True):
        assert (math.isnan(g) and math.isnan(w)) or math.isclose(g, w, rel_tol=1e-12), (
            what,
            values,
            want,
        )


MONTHLY = pd.DataFrame(
    {
        "entity": ["A"] * 4,
        "month": ["2020-01", "2020-02", "2020-04", "2020-05"],  # March is missing
        "x": [1.0, 1.1, 1.21, 2.42],
    }
)


def test_a_missing_month_gives_a_missing_growth_not_april_over_february(
    engines: list[str],
) -> None:
    text = "dims entity, month\ninput x\ng = growth(x)\nl2 = lag(x, 2)\nnext = lead(x)\n"
    for engine in engines:
        out = _evaluate(text, MONTHLY, engine)
        # growth: Feb 1.1/1 - 1; Apr has no March; May 2.42/1.21 - 1
        _same(out["g"], [NAN, 0.1, NAN, 1.0], f"growth [{engine}]")
        # lag 2: Apr <- Feb; May <- Mar (missing)
        _same(out["l2"], [NAN, NAN, 1.1, NAN], f"lag 2 [{engine}]")
        # lead: Jan -> Feb; Feb -> Mar (missing); Apr -> May
        _same(out["next"], [1.1, NAN, 2.42, NAN], f"lead [{engine}]")


def test_every_sdmx_frequency_steps_across_the_year(engines: list[str]) -> None:
    cases = {
        # label spellings of SDMX and of statistics offices, mixed within one frequency
        "quarters": (["2020-Q3", "2020Q4", "2021-Q1"], [NAN, 0.5, 0.5]),
        "months": (["2020M11", "2020-12", "2021-M01"], [NAN, 0.5, 0.5]),
        "half-years": (["2020-S1", "2020H2", "2021-S1"], [NAN, 0.5, 0.5]),
        "weeks": (["2020-W52", "2020-W53", "2021-W01"], [NAN, 0.5, 0.5]),
        "days": (["2020-02-28", "2020-02-29", "2020-03-01"], [NAN, 0.5, 0.5]),
    }
    text = "dims entity, period\ninput x\ng = growth(x)\n"
    for engine in engines:
        for what, (labels, want) in cases.items():
            frame = pd.DataFrame({"entity": "A", "period": labels, "x": [4.0, 6.0, 9.0]})
            out = _evaluate(text, frame, engine)
            assert out["period"].tolist() == labels  # the labels as written come back
            _same(out["g"], want, f"{what} [{engine}]")


def test_the_same_quarter_a_year_earlier_is_lag_4(engines: list[str]) -> None:
    labels = ["2020-Q1", "2020-Q2", "2020-Q3", "2020-Q4", "2021-Q1", "2021-Q2"]
    frame = pd.DataFrame({"entity": "A", "quarter": labels, "x": [10.0, 20, 30, 40, 12, 26]})
    text = "dims entity, quarter\ninput x\nyoy = x / lag(x, 4) - 1\n"
    for engine in engines:
        out = _evaluate(text, frame, engine)
        # 2021-Q1 over 2020-Q1: 12/10 - 1; 2021-Q2 over 2020-Q2: 26/20 - 1
        _same(out["yoy"], [NAN, NAN, NAN, NAN, 0.2, 0.3], f"yoy [{engine}]")


def test_a_un_sdg_panel_lags_along_time_not_along_sex(engines: list[str]) -> None:
    frame = pd.DataFrame(
        {
            "GeoAreaName": ["Kazakhstan"] * 4,
            "TimePeriod": [2020, 2019, 2020, 2019],
            "Sex": ["FEMALE", "FEMALE", "BOTHSEX", "BOTHSEX"],
            "x": [60.0, 50.0, 90.0, 80.0],
        }
    )
    text = "dims GeoAreaName, TimePeriod, Sex\ninput x\ng = growth(x)\n"
    for engine in engines:
        out = _evaluate(text, frame, engine)
        # female 60/50 - 1 and both sexes 90/80 - 1, in the caller's row order
        _same(out["g"], [0.2, NAN, 0.125, NAN], f"sdg [{engine}]")


def test_time_is_the_dimension_the_file_marks() -> None:
    frame = pd.DataFrame({"Land": ["A", "A"], "Jahr": [2019, 2020], "x": [2.0, 3.0]})
    out = _evaluate("dims Land, Jahr : time\ninput x\ng = growth(x)\n", frame, "pandas")
    _same(out["g"], [NAN, 0.5], "marked")


def test_no_chosen_time_dimension_is_an_error_not_a_guess() -> None:
    with pytest.raises(kzf.ProgramError) as info:
        kzf.compile("dims GeoAreaName, Sex\ninput x\ng = growth(x)\n")
    (d,) = info.value.diagnostics
    assert d.code == "KZF027" and (d.span.line, d.span.column) == (3, 5)
    assert "mark the one that is time with `: time`" in d.message
    with pytest.raises(kzf.ProgramError) as info:
        kzf.compile("dims a, b : tme\ninput x\n")
    assert info.value.diagnostics[0].code == "KZF002"


def test_labels_that_are_not_periods_cannot_be_stepped_along() -> None:
    prog = kzf.compile("dims region, sector : time\ninput x\ng = growth(x)\n")
    frame = pd.DataFrame({"region": ["a", "a"], "sector": ["mining", "trade"], "x": [1.0, 2.0]})
    with pytest.raises(kzf.DataError) as info:
        prog.evaluate(frame)
    (d,) = info.value.diagnostics
    assert d.code == "KZF027" and "'mining'" in d.message


def test_mixed_frequencies_are_an_error_naming_the_row(tmp_path: Path) -> None:
    prog = kzf.compile("dims entity, period\ninput x\ng = growth(x)\n")
    data = tmp_path / "d.csv"
    data.write_text("entity,period,x\nA,2020-Q1,1\nA,2020-Q2,2\nA,2020-07,3\n", encoding="utf-8")
    with pytest.raises(kzf.DataError) as info:
        prog.evaluate(data)
    message = str(info.value)
    assert "KZF104" in message and "row 4" in message
    assert "'2020-07' is monthly but '2020-Q1' is quarterly" in message


def test_kzf_eval_on_a_quarterly_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "q.kzf").write_text(
        "dims geo, TIME_PERIOD\ninput gdp\nqoq = 100 * growth(gdp)\n", encoding="utf-8"
    )
    # rows as an SDMX-CSV export may order them: not by time
    (tmp_path / "q.csv").write_text(
        "geo,TIME_PERIOD,gdp\nKZ,2021-Q1,110\nKZ,2020-Q4,100\nKZ,2021-Q3,121\n", encoding="utf-8"
    )
    status = main(["eval", str(tmp_path / "q.kzf"), "--data", str(tmp_path / "q.csv")])
    out = capsys.readouterr().out
    assert status == 0
    # sorted by period; 2021-Q1 over 2020-Q4 is +10 %, 2021-Q3 has no 2021-Q2
    rows = [line.split(",") for line in out.splitlines()]
    assert rows[0] == ["geo", "TIME_PERIOD", "qoq"]
    assert [r[:2] for r in rows[1:]] == [["KZ", "2020-Q4"], ["KZ", "2021-Q1"], ["KZ", "2021-Q3"]]
    assert rows[1][2] == "" and rows[3][2] == ""
    assert math.isclose(float(rows[2][2]), 10.0, rel_tol=1e-12)
