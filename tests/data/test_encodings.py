"""Encodings: what Windows and Excel write in Kazakhstan and Russia, read right or refused
with a hint that leads to the right text, never to «Ќазаќстан».

The files are written here with Python's own codecs (cp1251, kz1048, UTF-16): KZ-1048 puts
Қ at byte 0x8D, where Windows-1251 has Ќ, so a KZ-1048 file read as cp1251 is garbled
without any decoding error.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kzf.engine.cli.main import main

PROGRAM = "input x\ny = 2 * x\n"
KAZAKH = "entity,year,x\nҚазақстан,2020,1\nРесей,2020,2\n"


def _run(tmp_path: Path, raw: bytes, capsys: pytest.CaptureFixture[str], *extra: str):
    (tmp_path / "f.kzf").write_text(PROGRAM, encoding="utf-8")
    (tmp_path / "d.csv").write_bytes(raw)
    status = main(["eval", str(tmp_path / "f.kzf"), "--data", str(tmp_path / "d.csv"), *extra])
    out, err = capsys.readouterr()
    return status, out, err


def test_a_kz1048_file_gets_the_kz1048_hint(tmp_path: Path, capsys) -> None:
    status, out, err = _run(tmp_path, KAZAKH.encode("kz1048"), capsys)
    assert status == 1 and out == ""
    assert "error[KZF101]" in err and "pass --encoding kz1048" in err and "«Қазақстан»" in err
    assert "cp1251" not in err


def test_a_kz1048_file_read_as_cp1251_is_an_error_not_garbled_text(tmp_path: Path, capsys) -> None:
    status, out, err = _run(tmp_path, KAZAKH.encode("kz1048"), capsys, "--encoding", "cp1251")
    assert status == 1 and out == ""
    assert "«Ќазаќстан»" in err and "«Қазақстан»" in err and "--encoding kz1048" in err


def test_the_hinted_encoding_gives_the_right_names(tmp_path: Path, capsys) -> None:
    status, out, _ = _run(tmp_path, KAZAKH.encode("kz1048"), capsys, "--encoding", "kz1048")
    assert status == 0
    assert "Қазақстан,2020,2.0" in out.splitlines()


def test_a_russian_cp1251_file_gets_the_cp1251_hint_and_reads_with_it(
    tmp_path: Path, capsys
) -> None:
    raw = "entity,year,x\nРоссия,2020,1\n".encode("cp1251")
    status, _, err = _run(tmp_path, raw, capsys)
    assert status == 1 and "pass --encoding cp1251" in err
    status, out, _ = _run(tmp_path, raw, capsys, "--encoding", "cp1251")
    assert status == 0 and "Россия,2020,2.0" in out.splitlines()


def test_belarusian_or_kazakh_is_asked_not_guessed(tmp_path: Path, capsys) -> None:
    # 0xA1 is Ў in cp1251 (Belarusian) and Ұ in KZ-1048 (Kazakh): only the reader knows
    raw = "entity,year,x\nЎзор,2020,1\n".encode("cp1251")
    status, _, err = _run(tmp_path, raw, capsys)
    assert status == 1 and "«Ўзор»" in err and "«Ұзор»" in err
    assert "--encoding cp1251 or --encoding kz1048" in err


@pytest.mark.parametrize(
    ("bom", "codec"),
    [(b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"), (b"\xff\xfe\x00\x00", "utf-32-le")],
)
def test_excel_unicode_text_is_read_by_its_byte_order_mark(
    tmp_path: Path, capsys, bom: bytes, codec: str
) -> None:
    # Excel's "Unicode text": UTF-16 LE with a BOM, tab-separated
    raw = bom + KAZAKH.replace(",", "\t").encode(codec)
    status, out, err = _run(tmp_path, raw, capsys)
    assert status == 0, err
    assert "Қазақстан,2020,2.0" in out.splitlines()


def test_utf16_without_a_mark_gets_a_utf16_hint(tmp_path: Path, capsys) -> None:
    status, _, err = _run(tmp_path, KAZAKH.encode("utf-16-le"), capsys)
    assert status == 1 and "--encoding utf-16-le" in err


def test_replacement_characters_are_an_error(tmp_path: Path, capsys) -> None:
    status, _, err = _run(tmp_path, "entity,year,x\nҚаза\ufffdстан,2020,1\n".encode(), capsys)
    assert status == 1 and "replacement character" in err and "line 2" in err
