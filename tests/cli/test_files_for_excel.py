"""Files for the people who open them in Excel, in Kazakh and Russian locales.

Excel in a kk-KZ or ru-RU locale opens a CSV with a double click only when its fields are
separated by `;` and its decimals written with a comma, and reads it as UTF-8 only when it
starts with a byte-order mark (else «Қазақстан» shows as mojibake). `--csv-dialect excel`
writes exactly that; `--lang` heads the columns of such files and of .xlsx with the file's
labels (the dims get kzf's own: Нысан/Объект, Жыл/Год). Expected bytes are written out by
hand: y = 2 * x, so 2 * 1.5 = 3.0 and 2 * 2.25 = 4.5; rows are sorted by entity as text
(Р, U+0420, before Қ, U+049A).
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from kzf.engine.cli.main import main

PROGRAM = """\
dims entity, year
input x
y = 2 * x
label y kk "Көрсеткіш" ru "Показатель"
"""
DATA = "entity,year,x\nҚазақстан,2020,1.5\nРесей,2020,2.25\n"


@pytest.fixture
def program(tmp_path: Path) -> Path:
    (tmp_path / "f.kzf").write_text(PROGRAM, encoding="utf-8")
    (tmp_path / "d.csv").write_text(DATA, encoding="utf-8")
    return tmp_path / "f.kzf"


def _eval(program: Path, *options: str) -> int:
    return main(["eval", str(program), "--data", str(program.with_name("d.csv")), *options])


def test_the_excel_dialect_is_what_excel_opens_in_a_kazakh_locale(program: Path) -> None:
    out = program.with_name("r.csv")
    assert _eval(program, "--out", str(out), "--csv-dialect", "excel", "--lang", "kk") == 0
    assert out.read_bytes() == (
        "\ufeffНысан;Жыл;Көрсеткіш\r\nРесей;2020;4,5\r\nҚазақстан;2020;3,0\r\n"
    ).encode("utf-8")


def test_the_standard_csv_keeps_names_and_points_for_programs(program: Path) -> None:
    out = program.with_name("r.csv")
    assert _eval(program, "--out", str(out), "--lang", "kk") == 0
    assert out.read_text(encoding="utf-8") == "entity,year,y\nРесей,2020,4.5\nҚазақстан,2020,3.0\n"


def test_the_excel_dialect_on_standard_output(
    program: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _eval(program, "--format", "csv", "--csv-dialect", "excel", "--lang", "ru") == 0
    assert (
        capsys.readouterr().out
        == "Объект;Год;Показатель\r\nРесей;2020;4,5\r\nҚазақстан;2020;3,0\r\n"
    )


def test_xlsx_headers_come_from_the_labels_of_the_language(program: Path) -> None:
    out = program.with_name("r.xlsx")
    assert _eval(program, "--out", str(out), "--lang", "ru") == 0
    sheet = openpyxl.load_workbook(out).active
    assert sheet is not None
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows == [
        ["Объект", "Год", "Показатель"],
        ["Ресей", 2020, 4.5],
        ["Қазақстан", 2020, 3.0],
    ]


def test_the_excel_dialect_never_hands_excel_a_formula(tmp_path: Path) -> None:
    """OWASP's CSV-injection rule: a text cell starting like a formula is prefixed with ',
    which Excel shows as text. Numbers, negative ones included, stay numbers."""
    (tmp_path / "f.kzf").write_text("dims entity, year\ninput x\ny = -x\n", encoding="utf-8")
    (tmp_path / "d.csv").write_text(
        'entity,year,x\n"=HYPERLINK(""http://x"",""click"")",2020,1.5\n@SUM(A1),2020,2\n',
        encoding="utf-8",
    )
    out = tmp_path / "r.csv"
    args = ["eval", str(tmp_path / "f.kzf"), "--data", str(tmp_path / "d.csv")]
    assert main([*args, "--out", str(out), "--csv-dialect", "excel"]) == 0
    assert out.read_text(encoding="utf-8-sig").splitlines() == [
        "entity;year;y",
        '"\'=HYPERLINK(""http://x"",""click"")";2020;-1,5',  # quoted as CSV quotes it
        "'@SUM(A1);2020;-2,0",
    ]
