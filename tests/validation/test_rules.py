"""Validation rules, as a statistics office runs them before it publishes.

`rule NAME: condition [error|warning|info] [code "C"] ["message"]`. The data below is typed
for the test; which rows fail is worked out by hand:
- share_range (error, S01): A 2021 has 150 and B 2020 has -5, outside [0, 100];
- yoy (warning, Y01): A's total doubles (100 -> 200, +100 %); B grows 10 %; each entity's
  first year has no year before, so the rule is not evaluated there;
- regions_sum (info): regions add up to the total within 1 % everywhere it can be checked
  (A 2021: |199 - 200| = 1 <= 2); B 2020 has no regions value, not evaluated.
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
dims entity, year
data "d.csv"
input share, total > 0, regions
rule share_range: share >= 0 and share <= 100 code "S01" "a share out of range"
rule yoy: abs(growth(total)) <= 0.5 warning code "Y01" "year-on-year change above 50 %"
rule regions_sum: abs(regions - total) <= 0.01 * total info
"""
DATA = (
    "entity,year,share,total,regions\n"
    "A,2020,50,100,100\nA,2021,150,200,199\nB,2020,-5,10,\nB,2021,20,11,11\n"
)


@pytest.fixture
def program(tmp_path: Path) -> Path:
    (tmp_path / "f.kzf").write_text(PROGRAM, encoding="utf-8")
    (tmp_path / "d.csv").write_text(DATA, encoding="utf-8")
    return tmp_path / "f.kzf"


def test_validate_lists_each_failing_row_with_its_rule(program: Path, capsys) -> None:
    assert main(["validate", str(program), "--format", "json"]) == 1  # an error-level rule
    out, err = capsys.readouterr()
    rows = [(r["rule"], r["entity"], r["year"], r["severity"], r["code"], r["values"])
            for r in json.loads(out)]  # fmt: skip
    assert rows == [
        ("share_range", "A", 2021, "error", "S01", "share = 150"),
        ("share_range", "B", 2020, "error", "S01", "share = -5"),
        ("yoy", "A", 2021, "warning", "Y01", "total = 200"),
    ]
    assert "f.kzf:4:1: error[KZF170]: rule 'share_range' [S01] fails on 2 row(s)" in err
    assert "warning[KZF170]: rule 'yoy' [Y01] fails on 1 row(s)" in err
    assert "rule yoy (warning): 1 passed, 1 failed, 2 not evaluated" in err
    assert "rule regions_sum (info): 3 passed, 0 failed, 1 not evaluated" in err


def test_only_warnings_exit_0(tmp_path: Path, capsys) -> None:
    (tmp_path / "f.kzf").write_text(PROGRAM.replace('code "S01"', 'warning code "S01"'), "utf-8")
    (tmp_path / "d.csv").write_text(DATA, encoding="utf-8")
    assert main(["validate", str(tmp_path / "f.kzf"), "--format", "csv"]) == 0
    capsys.readouterr()


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".json"])
def test_the_table_is_written_with_out(program: Path, capsys, suffix: str) -> None:
    out = program.with_name("checks" + suffix)
    assert main(["validate", str(program), "--out", str(out)]) == 1
    capsys.readouterr()
    table = {
        ".csv": lambda: pd.read_csv(out),
        ".xlsx": lambda: pd.read_excel(out),
        ".json": lambda: pd.read_json(out),
    }[suffix]()
    assert list(table["rule"]) == ["share_range", "share_range", "yoy"]
    assert list(table["code"]) == ["S01", "S01", "Y01"]


def test_eval_reports_the_rules_and_exits_1_on_an_error_level_failure(
    program: Path, capsys
) -> None:
    assert main(["eval", str(program)]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines()[0] == "entity,year,share_range,yoy,regions_sum"
    assert "error[KZF170]: rule 'share_range'" in err


def test_the_api_gives_the_table_as_a_frame(program: Path) -> None:
    prog = kzf.load(program)
    checked = prog.validate(program.with_name("d.csv"))
    assert list(checked.table["rule"]) == ["share_range", "share_range", "yoy"]
    assert checked.has_errors
    summary = checked.summary.set_index("rule")
    assert summary.loc["share_range", "failed"] == 2 and summary.loc["yoy", "not_evaluated"] == 2


def test_a_rule_must_be_a_condition(tmp_path: Path) -> None:
    with pytest.raises(ProgramError, match=r"rule 'r' must be a condition"):
        kzf.compile("input x\nrule r: x * 2\n")


def test_a_file_without_rules_says_so(tmp_path: Path, capsys) -> None:
    (tmp_path / "f.kzf").write_text('data "d.csv"\ninput share\ny = share\n', "utf-8")
    (tmp_path / "d.csv").write_text(DATA, encoding="utf-8")
    assert main(["validate", str(tmp_path / "f.kzf")]) == 2
    assert "has no `rule` statements" in capsys.readouterr().err


@pytest.mark.parametrize("engine", ["pandas", "duckdb", "spark"])
def test_every_engine_finds_the_same_failing_rows(program: Path, capsys, engine: str) -> None:
    """Rules are conditions like any definition: each engine computes them (on DuckDB and
    Spark as SQL), and the table is the same."""
    status = main(["validate", str(program), "--format", "csv", "--engine", engine])
    out, err = capsys.readouterr()
    assert status == 1, err
    assert out.splitlines() == [
        "rule,entity,year,severity,code,message,values",
        "share_range,A,2021,error,S01,a share out of range,share = 150",
        "share_range,B,2020,error,S01,a share out of range,share = -5",
        "yoy,A,2021,warning,Y01,year-on-year change above 50 %,total = 200",
    ]


def test_the_report_has_a_validation_section(program: Path, capsys) -> None:
    out = program.with_name("r.html")
    assert main(["report", str(program), "-o", str(out)]) == 1  # written, and said
    assert "error[KZF170]: rule 'share_range'" in capsys.readouterr().err
    page = out.read_text(encoding="utf-8")
    section = page[page.index('id="validation"') :]
    assert "share_range" in section and "a share out of range" in section
    assert "share = 150" in section and "year-on-year change above 50 %" in section


def test_kzf_test_counts_the_rules_apart_from_the_expectations(program: Path, capsys) -> None:
    assert main(["test", str(program)]) == 1  # an error-level rule is broken
    out = capsys.readouterr().out
    assert "  FAILED   rule share_range: 2 row(s) fail" in out
    assert "  warning  rule yoy: 1 row(s) fail" in out
    assert "  ok       rule regions_sum: every row meets it" in out
    assert out.splitlines()[-1].endswith(
        "rules: 1 met, 1 with warnings, 1 broken, 0 file(s) with errors"
    )
