"""Aggregation over the indicators present (issue 19, item 1), COINr's default: a missing
child is left out and the weights of the children present are rescaled, where they carry at
least the least share of the weights (COINr's data availability threshold); notes name the
rows (KZF267, KZF268). Expected values by hand, on pandas and DuckDB, through the commands."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from kzf.engine.cli.main import main

PROGRAM = """dims entity, year
input a > 0, b > 0, c > 0, d > 0
p1 = amean_available(0.5, a: 1, b: 1)
p2 = amean_available(0.5, c: 1, d: 3)
index = amean_available(0.5, p1: 1, p2: 1)
g = gmean_available(0.5, a: 1, b: 1, c: 2)
h = hmean_available(0.75, a: 1, b: 1, c: 2)
"""
DATA = """entity,year,a,b,c,d
A,2020,2,4,1,3
B,2020,6,,1,9
C,2020,3,,,
D,2020,,,,
"""
# A: p1 (2 + 4)/2 = 3, p2 (1 + 9)/4 = 2.5, index 2.75; g (2·4·1²)^(1/4) = 8^0.25
#    h 4 / (1/2 + 1/4 + 2/1) = 4 / 2.75
# B: b missing: p1 = 6 (a alone, share 1/2); p2 (1 + 27)/4 = 7; index 6.5
#    g over a and c (weights 1 and 2, share 3/4): (6·1²)^(1/3); h: share 3/4 >= 0.75:
#    3 / (1/6 + 2/1)
# C: p1 = 3 (share 1/2); p2 has no child (share 0): missing; index over p1 alone = 3
#    (share 1/2); g: a alone, share 1/4 < 1/2: missing; h missing
# D: nothing present: every mean missing
EXPECTED = {
    "p1": [3.0, 6.0, 3.0, None],
    "p2": [2.5, 7.0, None, None],
    "index": [2.75, 6.5, 3.0, None],
    "g": [8**0.25, 6 ** (1 / 3), None, None],
    "h": [4 / 2.75, 3 / (1 / 6 + 2), None, None],
}


def _write(tmp_path: Path) -> list[str]:
    (tmp_path / "i.kzf").write_text(PROGRAM, encoding="utf-8")
    (tmp_path / "d.csv").write_text(DATA, encoding="utf-8")
    return [str(tmp_path / "i.kzf"), "--data", str(tmp_path / "d.csv")]


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_the_mean_of_the_children_present_with_weights_rescaled(
    tmp_path: Path, capsys, engine: str
) -> None:
    files = _write(tmp_path)
    assert main(["eval", *files, "--format", "csv", "--engine", engine]) == 0
    out = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(out.out)))
    for name, want in EXPECTED.items():
        got = [float(r[name]) if r[name] else None for r in rows]
        assert [g is None for g in got] == [w is None for w in want], name
        for g, w in zip(got, want, strict=True):
            if w is not None:
                assert g == pytest.approx(w, rel=1e-14), name
    # every value left out or rescaled is reported, naming the rows, as a note
    assert "note[KZF267]" in out.err and "note[KZF268]" in out.err
    p1_note = next(line for line in out.err.splitlines() if ":3:6: note[KZF267]" in line)
    assert p1_note.endswith("in rows (B, 2020), (C, 2020)")
    p2_note = next(line for line in out.err.splitlines() if ":4:6: note[KZF268]" in line)
    assert p2_note.endswith("in rows (C, 2020), (D, 2020)")
    assert "KZF201" not in out.err  # no division by zero where nothing is present


def test_contributions_of_a_missing_indicator_are_zero_and_add_up(tmp_path: Path, capsys) -> None:
    files = _write(tmp_path)
    assert main(["contrib", *files, "--index", "index", "--entity", "B"]) == 0
    out = capsys.readouterr().out
    rows = list(csv.DictReader(io.StringIO(out[out.index("entity,") :])))
    parts = {r["indicator"]: float(r["contribution"]) for r in rows}
    # B: index 6.5 = p1/2 + p2/2; p1 = a alone (6); p2 = (c + 3d)/4 = 0.25 + 6.75
    assert parts == pytest.approx({"a": 3.0, "b": 0.0, "c": 0.125, "d": 3.375}, rel=1e-14)
    assert sum(parts.values()) == pytest.approx(6.5, rel=1e-14)


def test_the_audit_reaggregates_the_index_with_its_gaps(tmp_path: Path, capsys) -> None:
    files = _write(tmp_path)
    assert main(["audit", *files, "--index", "index"]) == 0  # re-aggregation checked to 1e-9
    assert "index,index," in capsys.readouterr().out


@pytest.mark.parametrize("least", ["0", "1.5"])
def test_a_least_share_outside_0_to_1_is_refused_at_its_position(
    tmp_path: Path, capsys, least: str
) -> None:
    path = tmp_path / "bad.kzf"
    path.write_text(f"input a, b\ni = amean_available({least}, a: 1, b: 1)\n", encoding="utf-8")
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert (
        "bad.kzf:2:21: error[KZF024]" in err
        and f"at most 1 (0.5: half the weights), not {least}" in err
    ), err
