"""copeland() (issue 19, item 4): COINr's a_copeland, an outranking aggregation. Against every
other entity of its year, the weight share of the indicators where an entity is higher, ties
counting half (COINr's outrankMatrix), is a win above 0.5, a draw at 0.5, a loss below; the
score is wins minus losses. By hand, with weights a 1/4, b 1/4, c 1/2:
A (3, 1, 2) vs B (2, 2, 2): a .25 + c tie .25 = .5, a draw; A vs C (1, 3, 1): a .25 + c .5 =
.75, a win. B vs C: a .25 + c .5, a win. So A 1, B 1, C -2; D has a missing value: none."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from kzf.engine.cli.main import main

PROGRAM = "dims entity, year\ninput a, b, c\nscore = copeland(a: 1, b: 1, c: 2 over entity)\n"
DATA = "entity,year,a,b,c\nA,2020,3,1,2\nB,2020,2,2,2\nC,2020,1,3,1\nD,2020,,1,1\nA,2021,1,1,1\nB,2021,2,2,2\n"


def test_copeland_scores_by_hand(tmp_path: Path, capsys) -> None:
    (tmp_path / "c.kzf").write_text(PROGRAM, encoding="utf-8")
    (tmp_path / "d.csv").write_text(DATA, encoding="utf-8")
    argv = ["eval", str(tmp_path / "c.kzf"), "--data", str(tmp_path / "d.csv")]
    assert main([*argv, "--format", "csv"]) == 0
    rows = {
        (r["entity"], r["year"]): r["score"]
        for r in csv.DictReader(io.StringIO(capsys.readouterr().out))
    }
    assert rows[("A", "2020")] == "1.0" and rows[("B", "2020")] == "1.0"
    assert rows[("C", "2020")] == "-2.0" and rows[("D", "2020")] == ""
    assert rows[("A", "2021")] == "-1.0" and rows[("B", "2021")] == "1.0"  # each year apart


def test_copeland_needs_over_and_runs_on_pandas_only(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.kzf"
    bad.write_text("dims entity\ninput a, b\ns = copeland(a, b)\n", encoding="utf-8")
    assert main(["check", str(bad)]) == 2
    assert "bad.kzf:3:5: error[KZF015]: copeland() compares each row" in capsys.readouterr().err
    (tmp_path / "c.kzf").write_text(PROGRAM, encoding="utf-8")
    (tmp_path / "d.csv").write_text(DATA, encoding="utf-8")
    argv = ["eval", str(tmp_path / "c.kzf"), "--data", str(tmp_path / "d.csv")]
    assert main([*argv, "--engine", "duckdb"]) == 2
    assert "copeland() runs only on the pandas engine" in capsys.readouterr().err
