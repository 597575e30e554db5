"""Compressed downloads: `x.csv.gz`, Eurostat's bulk `x.tsv.gz`, `x.json.gz`, and a .zip
holding one data file, read in memory as they were downloaded.

The expected results are the typed cells: Internet users (% of individuals) of Kazakhstan,
85.9 in 2020 and 90.9 in 2021, and Kyrgyzstan's 51.0 in 2020; `share` is the value / 100.
"""

from __future__ import annotations

import gzip
import io
import json
import math
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from kzf.engine.cli.main import main
from kzf.engine.io import readers

CSV = "entity,year,users\nKZ,2020,85.9\nKZ,2021,90.9\nKG,2020,51.0\n"
PROGRAM = "dims entity, year\ninput users : % in [0, 100]\nshare = users / 100\n"
WANT = {("KG", 2020): 0.51, ("KZ", 2020): 0.859, ("KZ", 2021): 0.909}  # by hand

EUROSTAT_TSV = (  # the layout of Eurostat's bulk download (see test_eurostat.py)
    "freq,unit,indic_is,geo\\TIME_PERIOD\t2020 \t2021 \n"
    "A,PC_IND,I_IUSE,KG\t51.0 \t: \n"
    "A,PC_IND,I_IUSE,KZ\t85.9 e\t90.9 \n"
)
EUROSTAT_PROGRAM = (
    'dims geo, year\ninput users = "A.PC_IND.I_IUSE" : % in [0, 100]\nshare = users / 100\n'
)
JSONSTAT = {
    "version": "2.0",
    "class": "dataset",
    "id": ["concept", "entity", "year"],
    "size": [1, 2, 2],
    "role": {"time": ["year"]},
    "dimension": {
        "concept": {"category": {"index": ["users"]}},
        "entity": {"category": {"index": ["KG", "KZ"]}},
        "year": {"category": {"index": ["2020", "2021"]}},
    },
    "value": [51.0, None, 85.9, 90.9],
}


def _eval(
    path: Path, capsys: pytest.CaptureFixture[str], program: str = PROGRAM
) -> tuple[int, str, str]:
    kzf = path.parent / "f.kzf"
    kzf.write_text(program, encoding="utf-8")
    status = main(["eval", str(kzf), "--data", str(path), "--format", "csv"])
    out, err = capsys.readouterr()
    return status, out, err


def _check(out: str, want: dict[tuple[str, int], float] = WANT) -> None:
    rows = [line.split(",") for line in out.splitlines()]
    assert rows[0][2] == "share"
    got = {(e, int(y)): float(v) for e, y, v in rows[1:] if v}
    assert got.keys() == want.keys()
    for key, w in want.items():
        assert math.isclose(got[key], w, rel_tol=1e-12), key


def _gz(path: Path, data: bytes) -> Path:
    path.write_bytes(gzip.compress(data))
    return path


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            if name.endswith("/"):
                archive.writestr(zipfile.ZipInfo(name), b"")  # a directory entry
            else:
                archive.writestr(name, data)
    return path


def test_a_gzipped_csv(tmp_path: Path, capsys) -> None:
    status, out, err = _eval(_gz(tmp_path / "users.csv.gz", CSV.encode()), capsys)
    assert status == 0, err
    _check(out)


def test_eurostat_bulk_tsv_gz(tmp_path: Path, capsys) -> None:
    path = _gz(tmp_path / "isoc_ci_ifp_iu.tsv.gz", EUROSTAT_TSV.encode())
    status, out, err = _eval(path, capsys, EUROSTAT_PROGRAM)
    assert status == 0, err
    _check(out)
    assert "isoc_ci_ifp_iu.tsv.gz: values carry Eurostat flags" in err and "1 e (estimated)" in err


def test_a_gzipped_json_stat(tmp_path: Path, capsys) -> None:
    path = _gz(tmp_path / "users.json.gz", json.dumps(JSONSTAT).encode())
    status, out, err = _eval(path, capsys, PROGRAM.replace("input users", 'input users = "users"'))
    assert status == 0, err
    _check(out)


def test_a_zip_with_one_data_file_among_mac_folders_and_documents(tmp_path: Path, capsys) -> None:
    path = _zip(
        tmp_path / "download.zip",
        {
            "data/": b"",
            "data/users.csv": CSV.encode(),
            "__MACOSX/data/._users.csv": b"\x00\x05\x16\x07 resource fork",
            "methodology.pdf": b"%PDF-1.4",
        },
    )
    status, out, err = _eval(path, capsys)
    assert status == 0, err
    _check(out)


@pytest.mark.parametrize("kind", ["xlsx", "parquet", "json"])
def test_a_zip_holding_a_workbook_a_parquet_or_a_json_stat_file(
    tmp_path: Path, capsys, kind: str
) -> None:
    frame = pd.read_csv(io.StringIO(CSV))
    buffer = io.BytesIO()
    program = PROGRAM
    if kind == "xlsx":
        frame.to_excel(buffer, index=False)
    elif kind == "parquet":
        frame.to_parquet(buffer, index=False)
    else:
        buffer.write(json.dumps(JSONSTAT).encode())
        program = PROGRAM.replace("input users", 'input users = "users"')
    path = _zip(tmp_path / "d.zip", {f"users.{kind}": buffer.getvalue()})
    status, out, err = _eval(path, capsys, program)
    assert status == 0, err
    _check(out)


def test_a_bad_cell_is_named_by_archive_member_row_and_column(tmp_path: Path, capsys) -> None:
    path = _zip(tmp_path / "data.zip", {"panel.csv": CSV.replace("90.9", "n.a.").encode()})
    status, _, err = _eval(path, capsys)
    assert status == 1 and "error[KZF104]" in err
    assert "data.zip:panel.csv, row 3, column 'users': 'n.a.' is not a number" in err
    path = _gz(tmp_path / "panel.csv.gz", CSV.replace("90.9", "n.a.").encode())
    status, _, err = _eval(path, capsys)
    assert "panel.csv.gz, row 3, column 'users': 'n.a.' is not a number" in err


def test_two_data_files_are_refused_naming_them_and_one_can_be_named(
    tmp_path: Path, capsys
) -> None:
    path = _zip(
        tmp_path / "API_KAZ.zip",
        {"API_KAZ.csv": CSV.encode(), "Metadata_Indicator_API_KAZ.csv": b"INDICATOR_CODE\n"},
    )
    status, _, err = _eval(path, capsys)
    assert status == 1 and "error[KZF106]" in err
    assert "the archive holds 2 data files ('API_KAZ.csv', 'Metadata_Indicator_API_KAZ.csv')" in err
    assert f"--data {path}:API_KAZ.csv" in err  # the hint names how to choose one
    status, out, err = _eval(Path(f"{path}:API_KAZ.csv"), capsys)
    assert status == 0, err
    _check(out)
    status, _, err = _eval(Path(f"{path}:nope.csv"), capsys)
    assert status == 1 and "error[KZF101]" in err and "the archive has no member 'nope.csv'" in err


def test_an_archive_without_data_is_refused(tmp_path: Path, capsys) -> None:
    path = _zip(tmp_path / "d.zip", {"readme.pdf": b"%PDF", "docs/": b""})
    status, _, err = _eval(path, capsys)
    assert status == 1 and "error[KZF106]" in err
    assert "the archive holds no data file" in err and "'readme.pdf'" in err


@pytest.mark.parametrize(
    ("name", "content", "code", "said"),
    [
        ("d.csv.gz", b"entity,year\n", "KZF101", "cannot read the file"),  # not gzip at all
        ("d.csv.gz", gzip.compress(CSV.encode())[:-12], "KZF101", "cannot read the file"),
        ("d.zip", b"PK\x03\x04 not really", "KZF101", "cannot read the file"),
        ("d.gz", gzip.compress(CSV.encode()), "KZF106", "named for what it holds"),
        ("d.doc.gz", gzip.compress(CSV.encode()), "KZF106", "named for what it holds"),
    ],
)
def test_a_broken_or_unnamed_compressed_file_is_an_error_not_a_traceback(
    tmp_path: Path, capsys, name: str, content: bytes, code: str, said: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    status, _, err = _eval(path, capsys)
    assert status == 1 and f"error[{code}]" in err and said in err, err
    assert "Traceback" not in err and "internal error" not in err


def test_unpacking_stops_at_the_size_limit(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readers, "MAX_DATA_BYTES", 1024)
    big = (CSV + "".join(f"KZ,{1000 + i},1.0\n" for i in range(200))).encode()  # ~2.6 KiB
    for path in (_gz(tmp_path / "big.csv.gz", big), _zip(tmp_path / "big.zip", {"b.csv": big})):
        status, _, err = _eval(path, capsys)
        assert status == 1 and "error[KZF101]" in err
        assert "unpacks to more than 1 KiB, the most kzf unpacks in memory" in err
    status, out, err = _eval(_gz(tmp_path / "small.csv.gz", CSV.encode()), capsys)
    assert status == 0, err  # under the limit


def test_a_workbook_in_a_zip_keeps_its_sheets(tmp_path: Path, capsys) -> None:
    book = openpyxl.Workbook()
    book.active.title = "about"  # type: ignore[union-attr]
    book.active.append(["see the next sheet"])  # type: ignore[union-attr]
    sheet = book.create_sheet("data")
    for line in CSV.splitlines():
        cells = line.split(",")
        sheet.append([cells[0], *(float(c) if c[0].isdigit() else c for c in cells[1:])])
    buffer = io.BytesIO()
    book.save(buffer)
    path = _zip(tmp_path / "book.zip", {"users.xlsx": buffer.getvalue()})
    kzf = tmp_path / "f.kzf"
    kzf.write_text(PROGRAM, encoding="utf-8")
    status = main(["eval", str(kzf), "--data", str(path), "--sheet", "data", "--format", "csv"])
    out, err = capsys.readouterr()
    assert status == 0, err
    _check(out)
