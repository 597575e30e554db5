"""Awkward data files through the real command: each gets a clear message and exit status 1."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import openpyxl
import pytest

from kzf.engine.cli.main import main

PROGRAM = "input egdi_rank, egdi_n\np = egdi_rank / egdi_n\n"


def run(prog: Path, data: Path, *extra: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["eval", str(prog), "--data", str(data), "--format", "csv", *extra])
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def prog(tmp_path: Path) -> Path:
    p = tmp_path / "p.kzf"
    p.write_text(PROGRAM)
    return p


CASES = [
    # (file content, code, fragments of the message)
    (b"", "KZF106", ["d.csv", "empty"]),
    (b"entity,year,egdi_rank,egdi_n\nKZ,2020,29,193\nKZ,2020,28,193\n", "KZF103", ["rows 2 and 3"]),
    (
        b"entity,year,egdi_rank,egdi_n\nKZ,2020,29,inf\n",
        "KZF104",
        ["row 2", "'egdi_n'", "infinite"],
    ),
    (b"entity,year,egdi_rank,egdi_n\nKZ,2020,29,abc\n", "KZF104", ["row 2", "'egdi_n'", "'abc'"]),
    (b"entity,year,egdi_rank,egdi_n\nKZ,20x0,29,193\n", "KZF104", ["row 2", "'year'"]),
    (b'entity,year,egdi_rank,egdi_n\nKZ,2020,"1,5",193\n', "KZF104", ["row 2", "--decimal"]),
    (
        "entity,year,egdi_rank,egdi_n\nКазахстан,2020,29,193\n".encode("cp1251"),
        "KZF101",
        ["--encoding cp1251"],
    ),
    (b"entity,year,egdi_rank\nKZ,2020,29\n", "KZF102", ["'egdi_n'"]),
    (b"entity,egdi_rank,egdi_n\nKZ,29,193\n", "KZF105", ["'year'"]),
    (b"entity,year,egdi_rank,egdi_n\n,2020,29,193\n", "KZF105", ["row 2", "'entity'"]),
]


@pytest.mark.parametrize(("content", "code", "fragments"), CASES)
def test_bad_csv(
    tmp_path: Path, prog: Path, content: bytes, code: str, fragments: list[str]
) -> None:
    data = tmp_path / "d.csv"
    data.write_bytes(content)
    status, out, err = run(prog, data)
    assert status == 1, err
    assert f"error[{code}]" in err and "Traceback" not in err
    for f in fragments:
        assert f in err, err
    assert out == ""


GOOD = [
    (b"\xef\xbb\xbfentity,year,egdi_rank,egdi_n\r\nKZ,2020,29,1193.5\r\n", []),  # BOM + CRLF
    (b"entity;year;egdi_rank;egdi_n\nKZ;2020;29;1 193,5\n", ["--decimal", ","]),  # ; and 1 193,5
    (b'entity,year,egdi_rank,egdi_n\nKZ,"2020",29,"1,193.5"\n', []),  # year as text, thousands
    (
        "entity,year,egdi_rank,egdi_n\nКазахстан,2020,29,1193.5\n".encode("cp1251"),
        ["--encoding", "cp1251"],
    ),
]


@pytest.mark.parametrize(("content", "extra"), GOOD)
def test_awkward_but_valid_csv(
    tmp_path: Path, prog: Path, content: bytes, extra: list[str]
) -> None:
    data = tmp_path / "d.csv"
    data.write_bytes(content)
    status, out, err = run(prog, data, *extra)
    assert status == 0, err
    assert out.splitlines()[1].endswith(f",2020,{29 / 1193.5!r}")


def test_excel_with_a_merged_title_row(tmp_path: Path, prog: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "Table 20. EGDI ranks"
    ws.merge_cells("A1:D1")
    ws.append(["entity", "year", "egdi_rank", "egdi_n"])
    ws.append(["Kazakhstan", 2020, 29, 193])
    wb.save(tmp_path / "t.xlsx")
    status, _, err = run(prog, tmp_path / "t.xlsx")
    assert (
        status == 1 and "error[KZF106]" in err and "merged cells (A1:D1)" in err and "row 1" in err
    )


def test_excel_mixed_types_and_sheet(tmp_path: Path, prog: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "notes"
    ws["A1"] = "see next sheet"
    data = wb.create_sheet("ranks")
    data.append(["entity", "year", "egdi_rank", "egdi_n"])
    data.append(["Kazakhstan", "2020", 29, "193"])
    data.append(["Russia", 2020, "36", 193.0])
    wb.save(tmp_path / "t.xlsx")
    status, out, err = run(prog, tmp_path / "t.xlsx", "--sheet", "ranks")
    assert status == 0, err
    assert out.splitlines()[1:] == [f"Kazakhstan,2020,{29 / 193!r}", f"Russia,2020,{36 / 193!r}"]
