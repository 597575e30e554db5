"""A statistics office's sheet, as published: title rows above the table, then after a blank
row notes below it ("Source: ...", "Note: ..."). The notes are not data, and kzf says which
rows it read as notes (KZF264) instead of dropping them silently. `header_row` names the
header's row when the title rows are too wide for the detection to see past.

The figures are typed by hand: Internet users (% of individuals) 85.9 (Kazakhstan) and 51.0
(Kyrgyzstan) in 2020, households with access 88.1 and 72.4; `share` is users / 100.
"""

from __future__ import annotations

import math
from pathlib import Path

import openpyxl
import pytest

from kzf.dsl.diagnostics import DataError
from kzf.engine.cli.main import main
from kzf.engine.io.readers import read_table

TITLE = ["Table 5. Use of information and communication technologies", "by region, per cent"]
HEADER = ["entity", "year", "users", "households"]
DATA = [["KZ", 2020, 85.9, 88.1], ["KG", 2020, 51.0, 72.4]]
NOTES = ["Source: Bureau of National Statistics", "Note: 1) provisional"]
PROGRAM = "dims entity, year\ninput users : % in [0, 100]\nshare = users / 100\n"
WANT = {("KG", 2020): 0.51, ("KZ", 2020): 0.859}  # by hand
# rows: 1-2 title, 3 blank, 4 header, 5-6 data, 7 blank, 8-9 notes
SAID = (
    "rows 8-9 below the table were read as notes, not data: "
    "'Source: Bureau of National Statistics', 'Note: 1) provisional'"
)


def _csv_cell(v: object) -> str:
    text = str(v)
    return f'"{text}"' if "," in text else text


def _sheet_rows() -> list[list[object]]:
    return [[TITLE[0]], [TITLE[1]], [], HEADER, *DATA, [], [NOTES[0]], [NOTES[1]]]


def _write_csv(path: Path, rows: list[list[object]]) -> Path:
    path.write_text("\n".join(",".join(_csv_cell(v) for v in r) for r in rows) + "\n", "utf-8")
    return path


def _write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row, start=1):
            sheet.cell(number, column, value)
    book.save(path)
    return path


def _eval(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    kzf = path.parent / "f.kzf"
    kzf.write_text(PROGRAM, encoding="utf-8")
    status = main(["eval", str(kzf), "--data", str(path), "--format", "csv"])
    out, err = capsys.readouterr()
    return status, out, err


def _check(out: str) -> None:
    rows = [line.split(",") for line in out.splitlines()]
    assert rows[0] == ["entity", "year", "share"]
    got = {(e, int(y)): float(v) for e, y, v in rows[1:]}
    assert got.keys() == WANT.keys()
    for key, w in WANT.items():
        assert math.isclose(got[key], w, rel_tol=1e-12), key


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_notes_below_the_table_are_not_data_and_are_named(
    tmp_path: Path, capsys, kind: str
) -> None:
    write = _write_csv if kind == "csv" else _write_xlsx
    path = write(tmp_path / f"table05.{kind}", _sheet_rows())
    status, out, err = _eval(path, capsys)
    assert status == 0, err
    _check(out)
    assert f"note[KZF264]: {path}: {SAID}" in err


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_reader_keeps_the_rows_of_the_table_with_their_numbers(
    tmp_path: Path, kind: str
) -> None:
    write = _write_csv if kind == "csv" else _write_xlsx
    table = read_table(write(tmp_path / f"t.{kind}", _sheet_rows()))
    assert table.names == tuple(HEADER)
    assert table.rows.tolist() == [5, 6]
    assert [n.code for n in table.notes] == ["KZF264"]
    assert SAID in table.notes[0].message


def test_a_sparse_row_next_to_the_table_is_data(tmp_path: Path) -> None:
    # no blank row between: the row with only entity and year is a row of the table
    rows = [HEADER, *DATA, ["TJ", 2020], [], [NOTES[0]]]
    table = read_table(_write_csv(tmp_path / "t.csv", rows))
    assert table.rows.tolist() == [2, 3, 4]
    assert "row 6 below the table were read as notes" in table.notes[0].message


def test_notes_without_a_blank_row_are_not_dropped(tmp_path: Path, capsys) -> None:
    rows = [HEADER, *DATA, [NOTES[0]]]
    status, _, err = _eval(_write_csv(tmp_path / "t.csv", rows), capsys)
    assert status == 1 and "error[KZF105]" in err and "row 4" in err  # read as data: no year


def test_a_narrow_table_keeps_its_last_rows(tmp_path: Path) -> None:
    # two columns: a row of one or two cells is as wide as the table, so never a note
    rows = [["entity", "users"], ["KZ", 85.9], [], ["KG", 51.0]]
    table = read_table(_write_csv(tmp_path / "t.csv", rows))
    assert table.rows.tolist() == [2, 4] and table.notes == ()


def test_a_table_without_notes_has_no_note(tmp_path: Path) -> None:
    table = read_table(_write_csv(tmp_path / "t.csv", [HEADER, *DATA, [], []]))
    assert table.rows.tolist() == [2, 3] and table.notes == ()


def test_more_than_three_notes_are_counted(tmp_path: Path) -> None:
    notes = [[f"{n}) note {n}"] for n in range(1, 6)]
    table = read_table(_write_csv(tmp_path / "t.csv", [HEADER, *DATA, [], *notes]))
    assert "rows 5-9 below the table" in table.notes[0].message
    assert "'1) note 1', '2) note 2', '3) note 3' and 2 more" in table.notes[0].message


# --- header_row ----------------------------------------------------------------------------

WIDE_TITLE = [  # two filled cells over a three-column table: detection takes it as the header
    ["Internet users", "per cent"],
    ["entity", "year", "users"],
    ["KZ", 2020, 85.9],
    ["KG", 2020, 51.0],
]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_header_row_overrides_the_detection(tmp_path: Path, kind: str) -> None:
    write = _write_csv if kind == "csv" else _write_xlsx
    path = write(tmp_path / f"t.{kind}", WIDE_TITLE)
    assert read_table(path).names[:2] == ("Internet users", "per cent")  # detection
    table = read_table(path, header_row=2)
    assert table.names == ("entity", "year", "users")
    assert table.rows.tolist() == [3, 4]


def test_header_row_counts_leading_blank_lines_of_a_csv(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("\n\nInternet users,per cent\nentity,year,users\nKZ,2020,85.9\n", "utf-8")
    table = read_table(path, header_row=4)
    assert table.names == ("entity", "year", "users") and table.rows.tolist() == [5]


def test_header_row_lets_a_merged_title_through(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["A1"] = "Table 5. Internet users"
    sheet.merge_cells("A1:D1")
    for row in (HEADER, *DATA):
        sheet.append(row)
    book.save(tmp_path / "t.xlsx")
    with pytest.raises(DataError) as info:  # detected: a merged title row is refused
        read_table(tmp_path / "t.xlsx")
    assert "merged cells (A1:D1)" in str(info.value) and "--header-row" in str(info.value)
    table = read_table(tmp_path / "t.xlsx", header_row=2)
    assert table.names == tuple(HEADER) and table.rows.tolist() == [3, 4]


@pytest.mark.parametrize(
    ("header_row", "said"),
    [
        (0, "the header row must be a row number from 1, not 0"),
        (3, "row 3: the header row is 3, but that row is blank"),
        (12, "row 12: the header row is 12, but the last row is 9"),
    ],
)
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_header_row_outside_the_table_is_refused(
    tmp_path: Path, kind: str, header_row: int, said: str
) -> None:
    write = _write_csv if kind == "csv" else _write_xlsx
    path = write(tmp_path / f"t.{kind}", _sheet_rows())
    with pytest.raises(DataError) as info:
        read_table(path, header_row=header_row)
    assert info.value.diagnostics[0].code == "KZF106"
    assert said in str(info.value)


def test_small_and_large_blocks_count_the_same_cells_as_filled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Rows are counted cell by cell when the block is small (the rows above a header, the
    last rows of a table) and column by column when it is large; both count a cell as
    filled unless it is missing (None, NaN, pandas' NA) or only whitespace."""
    import numpy as np
    import pandas as pd

    from kzf.engine.io import readers

    frame = pd.DataFrame(
        {
            "text": pd.array(["KZ", "  ", None, "x"], dtype="string"),
            "cells": ["a", None, " b ", "\t"],
            "number": [1.0, np.nan, 0.0, np.nan],
            "count": pd.array([1, None, 3, None], dtype="Int64"),
            "flag": [True, False, True, False],
        }
    )
    # by hand: row 1: KZ, a, 1.0, 1, True; row 2: False; row 3: " b ", 0.0, 3, True (text None);
    # row 4: "x", False ("\t" is whitespace, NaN and NA are missing)
    want = [5, 1, 4, 2]
    assert readers._filled_cells(frame).tolist() == want
    monkeypatch.setattr(readers, "SMALL_CELLS", 0)  # the column-by-column way
    assert readers._filled_cells(frame).tolist() == want
