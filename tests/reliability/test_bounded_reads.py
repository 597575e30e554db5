"""Reads are bounded while they happen, and what cannot be read is said, never lost.

Tried as an attacker would: a .kzf or a data file that is a link to /dev/zero (no end), a
5 KB workbook whose used range claims 20,000 rows x 16,384 columns, a CSV of 100,000 columns,
a file larger than the limit; and as an unlucky user: a generated workbook whose formulas
were never calculated, so that their cells hold no value.
"""

from __future__ import annotations

import time
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import Font

from kzf.engine.cli.main import main

PROGRAM = "dims entity, year\ninput x\ny = 2 * x\n"


def _eval(tmp_path: Path, data: Path, *options: str) -> int:
    (tmp_path / "f.kzf").write_text(PROGRAM, encoding="utf-8")
    return main(["eval", str(tmp_path / "f.kzf"), "--data", str(data), *options])


def test_a_program_that_is_a_link_to_dev_zero_is_refused(tmp_path: Path, capsys) -> None:
    (tmp_path / "z.kzf").symlink_to("/dev/zero")
    assert main(["check", str(tmp_path / "z.kzf")]) == 2
    err = capsys.readouterr().err
    assert "error[KZF003]" in err and "not a regular file" in err


def test_data_that_is_a_link_to_dev_zero_is_refused(tmp_path: Path, capsys) -> None:
    (tmp_path / "z.csv").symlink_to("/dev/zero")
    assert _eval(tmp_path, tmp_path / "z.csv") == 1
    err = capsys.readouterr().err
    assert "error[KZF101]" in err and "not a regular file" in err


def test_a_file_above_the_limit_is_refused_and_the_limit_can_be_lifted(
    tmp_path: Path, capsys
) -> None:
    data = tmp_path / "d.csv"
    data.write_text("entity,year,x\nA,2020,1.5\n", encoding="utf-8")  # 27 bytes
    assert _eval(tmp_path, data, "--max-data-size", "20") == 1
    err = capsys.readouterr().err
    assert "larger than 20 bytes" in err and "--max-data-size" in err
    assert _eval(tmp_path, data, "--max-data-size", "1K") == 0
    assert capsys.readouterr().out.splitlines()[1] == "A,2020,3.0"


def test_a_csv_of_100000_columns_is_refused_before_it_is_parsed(tmp_path: Path, capsys) -> None:
    data = tmp_path / "wide.csv"
    header = ",".join(["entity", "year", "x"] + [f"c{i}" for i in range(100_000)])
    data.write_text(header + "\n" + "A,2020,1" + ",0" * 100_000 + "\n", encoding="utf-8")
    start = time.perf_counter()
    assert _eval(tmp_path, data) == 1
    assert time.perf_counter() - start < 5  # was 12.8 s and 1.5 GB
    err = capsys.readouterr().err
    assert "100,003 fields" in err and "error[KZF106]" in err


def test_a_used_range_that_claims_more_than_it_holds_costs_nothing(tmp_path: Path, capsys) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [["entity", "year", "x"], ["A", 2020, 1.5], ["B", 2020, 2.0]]:
        sheet.append(row)
    for r in range(1, 20_001):  # an empty, formatted cell in column XFD on every row
        sheet.cell(row=r, column=16_384).font = Font(bold=True)
    book.save(tmp_path / "d.xlsx")
    assert (tmp_path / "d.xlsx").stat().st_size < 200_000
    start = time.perf_counter()
    assert _eval(tmp_path, tmp_path / "d.xlsx") == 0
    assert time.perf_counter() - start < 10  # was more than 60 s and 5.2 GB
    assert capsys.readouterr().out.splitlines() == ["entity,year,y", "A,2020,3.0", "B,2020,4.0"]


def test_a_sheet_that_really_holds_too_many_cells_is_refused(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kzf.engine.io import readers

    monkeypatch.setattr(readers, "MAX_SHEET_CELLS", 8)  # 3 rows x 3 columns = 9 cells
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [["entity", "year", "x"], ["A", 2020, 1.5], ["B", 2020, 2.0]]:
        sheet.append(row)
    book.save(tmp_path / "d.xlsx")
    assert _eval(tmp_path, tmp_path / "d.xlsx") == 1
    assert "span 3 rows x 3 columns" in capsys.readouterr().err


def test_formulas_without_a_saved_value_are_refused_naming_the_cells(
    tmp_path: Path, capsys
) -> None:
    """openpyxl, like many generators, writes formulas without calculating them."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["entity", "year", "base", "x"])
    sheet.append(["A", 2020, 1.5, "=C2*2"])
    sheet.append(["B", 2020, 2.0, "=C3*2"])
    book.save(tmp_path / "d.xlsx")
    assert _eval(tmp_path, tmp_path / "d.xlsx") == 1
    err = capsys.readouterr().err
    assert "error[KZF104]" in err and "2 formula cell(s)" in err and "D2, D3" in err
