"""`--out` for the analysis commands (issue 19, item 7): audit, contrib, sensitivity and diff
write their tables to .xlsx (a sheet per table, and one for the header), .json or .csv (one
table), atomically, following the umask, and never over a file the run reads."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from kzf.engine.cli.main import main

CASES = Path(__file__).parent / "cases"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name in ("flip.kzf", "flip.csv"):
        shutil.copy(CASES / name, tmp_path / name)
    return tmp_path


def test_sensitivity_to_xlsx_has_a_sheet_per_table(project: Path, capsys) -> None:
    import openpyxl

    out = project / "sens.xlsx"
    old = os.umask(0o027)
    try:
        argv = ["sensitivity", str(project / "flip.kzf"), "--index", "idx"]
        assert main([*argv, "--runs", "20", "--sobol", "8", "--out", str(out)]) == 0
    finally:
        os.umask(old)
    assert (out.stat().st_mode & 0o777) == 0o640
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["about", "ranks", "sobol"]
    header = [c.value for c in next(book["sobol"].iter_rows())]
    assert header == ["output", "param", "S1", "S1_conf", "ST", "ST_conf", "note"]
    about = [r[0].value for r in book["about"].iter_rows()]
    assert about[1].startswith("sensitivity of the rank of 'idx'")
    assert capsys.readouterr().out == ""  # the tables went to the file
    assert sorted(p.name for p in project.iterdir()) == ["flip.csv", "flip.kzf", "sens.xlsx"]


def test_audit_to_json_and_contrib_to_csv(project: Path) -> None:
    program = str(project / "flip.kzf")
    assert main(["audit", program, "--index", "idx", "--out", str(project / "a.json")]) == 0
    payload = json.loads((project / "a.json").read_text(encoding="utf-8"))
    assert set(payload) == {"about", "audit"}
    assert payload["audit"][0]["name"] == "idx"
    assert main(["contrib", program, "--index", "idx", "--out", str(project / "c.csv")]) == 0
    table = pd.read_csv(project / "c.csv")
    assert list(table.columns[-4:]) == ["value", "contribution", "share", "rule"]


def test_several_tables_do_not_go_into_one_csv(project: Path, capsys) -> None:
    out = project / "s.csv"
    argv = ["sensitivity", str(project / "flip.kzf"), "--index", "idx", "--runs", "5"]
    assert main([*argv, "--sobol", "4", "--out", str(out)]) == 2
    assert "2 tables (ranks, sobol), and a csv file holds one; use .xlsx or .json" in (
        capsys.readouterr().err
    )
    assert not out.exists()


def test_out_never_replaces_the_data_the_run_reads(project: Path, capsys) -> None:
    data = project / "flip.csv"
    before = data.read_bytes()
    argv = ["audit", str(project / "flip.kzf"), "--index", "idx", "--out", str(data)]
    assert main(argv) == 2
    assert "which this run reads" in capsys.readouterr().err
    assert data.read_bytes() == before
