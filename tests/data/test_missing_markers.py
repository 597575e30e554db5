"""Missing-value markers: the documented list, plus the caller's own with `--missing`.

SPSS exports and many national tables write a code for "no data" (`-99`, `x`, `999`). Read as
numbers, such a code is averaged in without a word; `--missing -99,x` makes it a missing
value in every cell that holds it, as text in a CSV or as a number in an Excel sheet.
Expected means are worked out by hand: A has 10 and 30 (mean 20), B only 20.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from kzf.engine.cli.main import main

PROGRAM = "dims entity, year\ninput x\nm = mean(x over year)\n"
CSV = "entity,year,x\nA,2019,10\nA,2020,-99\nA,2021,30\nB,2019,x\nB,2020,20\nB,2021,н/д\n"


def _run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: Path, *options: str
) -> tuple[int, str, str]:
    program = tmp_path / "f.kzf"
    program.write_text(PROGRAM, encoding="utf-8")
    status = main(["eval", str(program), "--data", str(data), "--format", "csv", *options])
    out = capsys.readouterr()
    return status, out.out, out.err


def _means(out: str) -> dict[str, float]:
    rows = [line.split(",") for line in out.splitlines()[1:]]
    return {entity: float(m) for entity, _, m in rows}


def test_a_code_the_list_does_not_know_is_an_error_naming_the_cell(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "d.csv").write_text(CSV, encoding="utf-8")
    status, out, err = _run(tmp_path, capsys, tmp_path / "d.csv")
    assert status == 1 and out == ""
    assert "d.csv, row 5" in err and "'x' is not a number" in err  # row 5 (header = row 1)


def test_missing_codes_given_by_the_user_are_missing_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "d.csv").write_text(CSV, encoding="utf-8")
    status, out, err = _run(tmp_path, capsys, tmp_path / "d.csv", "--missing=-99,X")
    assert status == 0, err
    assert _means(out) == {"A": 20.0, "B": 20.0}  # not (10 - 99 + 30) / 3; 'X' matches 'x'


def test_a_numeric_code_in_an_excel_sheet_is_missing_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [["entity", "year", "x"], ["A", 2019, 10], ["A", 2020, -99], ["A", 2021, 30],
                ["B", 2019, -99.0], ["B", 2020, 20]]:  # fmt: skip
        sheet.append(row)
    book.save(tmp_path / "d.xlsx")
    status, out, err = _run(tmp_path, capsys, tmp_path / "d.xlsx", "--missing", "-99")
    assert status == 0, err
    assert _means(out) == {"A": 20.0, "B": 20.0}


def test_without_the_option_a_numeric_code_is_a_number(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "d.csv").write_text(
        CSV.replace("B,2019,x", "B,2019,20").replace("н/д", "20"), "utf-8"
    )
    status, out, err = _run(tmp_path, capsys, tmp_path / "d.csv")
    assert status == 0, err
    assert _means(out)["A"] == pytest.approx((10 - 99 + 30) / 3)  # what --missing prevents


def test_an_empty_marker_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "d.csv").write_text(CSV, encoding="utf-8")
    status, out, err = _run(tmp_path, capsys, tmp_path / "d.csv", "--missing", " ")
    assert status == 1 and "cannot be empty" in err
