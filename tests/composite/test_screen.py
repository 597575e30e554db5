"""Screening units by data availability (issue 19, item 1; COINr's Screen()): coverage() is the
share of the (weighted) indicators present on a row, screen() keeps a value where that share
is at least the least asked for, with a note naming the rows left out (KZF269). By hand:
A has 4 of 4, B 3 of 4, C 2 of 4 (with weights 1, 1, 1, 3: C has a and d, 4/6)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from kzf.engine.cli.main import main

PROGRAM = """dims entity, year
input a, b, c, d
share = coverage(a, b, c, d)
weighted_share = coverage(a: 1, b: 1, c: 1, d: 3)
index = amean_available(0.25, a: 1, b: 1, c: 1, d: 1)
kept = screen(index, share, 0.75)
"""
DATA = "entity,year,a,b,c,d\nA,2020,1,2,3,4\nB,2020,1,,3,4\nC,2020,1,,,4\n"


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_units_without_enough_data_are_screened_out_with_a_note(
    tmp_path: Path, capsys, engine: str
) -> None:
    (tmp_path / "s.kzf").write_text(PROGRAM, encoding="utf-8")
    (tmp_path / "d.csv").write_text(DATA, encoding="utf-8")
    argv = ["eval", str(tmp_path / "s.kzf"), "--data", str(tmp_path / "d.csv")]
    assert main([*argv, "--format", "csv", "--engine", engine]) == 0
    out = capsys.readouterr()
    rows = {r["entity"]: r for r in csv.DictReader(io.StringIO(out.out))}
    assert [float(rows[e]["share"]) for e in "ABC"] == [1.0, 0.75, 0.5]
    assert [float(rows[e]["weighted_share"]) for e in "ABC"] == [1.0, 5 / 6, 4 / 6]
    assert float(rows["B"]["kept"]) == pytest.approx((1 + 3 + 4) / 3, rel=1e-15)
    assert rows["C"]["kept"] == ""  # 2.5 from a and d, but half its data is missing
    note = next(line for line in out.err.splitlines() if "KZF269" in line)
    assert "note[KZF269]: screened out" in note and note.endswith("in rows (C, 2020)")
