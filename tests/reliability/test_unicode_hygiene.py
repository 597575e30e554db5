"""Names and texts read as they look: no hidden characters, no look-alike letters passed
off as others, one name however its accents were typed.

- "Trojan source" (CVE-2021-42574): a right-to-left override in a comment or a text makes
  an editor show the line in another order than kzf parses it; zero-width characters make
  two names that look the same differ. Both are refused, with their position (KZF005).
- A Cyrillic х where a formula means x gets a did-you-mean; a name that mixes Latin and
  Cyrillic letters (`eхport`) is warned about (KZF303, Unicode TR39's mixed-script check).
- `café` typed with a composed é (U+00E9) or with e + U+0301 is one name (NFC), in the
  program and in a data file's header.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kzf.engine.cli.main import main


def _check(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str) -> tuple[int, str]:
    (tmp_path / "f.kzf").write_text(text, encoding="utf-8")
    status = main(["check", str(tmp_path / "f.kzf")])
    return status, capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "line", "column", "what"),
    [
        ("input x\n# a \u202e trojan\ny = x\n", 2, 5, "right-to-left override (U+202E)"),
        ('input x\ntitle "ab\u2066c"\ny = x\n', 2, 10, "left-to-right isolate (U+2066)"),
        ("input x\ny\u200b = x\n", 2, 2, "zero-width space (U+200B)"),
    ],
    ids=["bidi-in-comment", "isolate-in-text", "zero-width-in-name"],
)
def test_hidden_characters_are_refused_where_they_are(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, line: int, column: int, what: str
) -> None:
    status, err = _check(tmp_path, capsys, text)
    assert status == 2
    assert f"f.kzf:{line}:{column}: error[KZF005]: a {what}" in err


def test_a_cyrillic_x_gets_the_latin_name_it_looks_like(tmp_path: Path, capsys) -> None:
    status, err = _check(tmp_path, capsys, "input x\ny = \u0445 * 2\n")  # Cyrillic х
    assert status == 2
    assert "undefined name 'х'; did you mean 'x'?" in err and "Cyrillic" in err


def test_a_name_mixing_scripts_is_warned_about(tmp_path: Path, capsys) -> None:
    status, err = _check(tmp_path, capsys, "input x\ne\u0445port = x * 2\n")
    assert status == 0
    assert "f.kzf:2:1: warning[KZF303]: the name 'eхport' mixes Latin and Cyrillic" in err
    assert "reads like 'export'" in err


def test_a_name_in_one_alphabet_is_fine(tmp_path: Path, capsys) -> None:
    status, err = _check(tmp_path, capsys, "input x\nэкспорт = x * 2\n")
    assert status == 0 and "KZF303" not in err


def test_a_name_is_one_name_however_its_accents_were_typed(tmp_path: Path, capsys) -> None:
    composed, decomposed = "caf\u00e9", "cafe\u0301"
    program = f"dims entity, year\ninput {decomposed}\ny = {composed} * 2\n"
    (tmp_path / "f.kzf").write_text(program, encoding="utf-8")
    (tmp_path / "d.csv").write_text(f"entity,year,{decomposed}\nA,2020,1.5\n", encoding="utf-8")
    status = main(["eval", str(tmp_path / "f.kzf"), "--data", str(tmp_path / "d.csv")])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert out.splitlines() == ["entity,year,y", "A,2020,3.0"]


def test_a_file_name_cannot_forge_a_line_of_output_or_colour_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = tmp_path / "f.kzf"
    program.write_text("dims entity, year\ninput x\ny = x\n", encoding="utf-8")
    data = tmp_path / "d\nerror[KZF000]: all is fine\x1b[31m.csv"
    status = main(["eval", str(program), "--data", str(data)])
    err = capsys.readouterr().err
    assert status == 1
    assert err.count("\n") == 1 and "\x1b" not in err  # one line, no escape sequence
    assert "d\\nerror[KZF000]: all is fine\\x1b[31m.csv" in err


def test_characters_the_chart_font_lacks_are_one_kzf_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "f.kzf").write_text("dims entity, year\ninput x\ny = x\n", encoding="utf-8")
    (tmp_path / "d.csv").write_text("entity,year,x\n中国,2020,1\nB,2020,2\n", encoding="utf-8")
    args = ["plot", str(tmp_path / "f.kzf"), "y", "--data", str(tmp_path / "d.csv")]
    assert main([*args, "-o", str(tmp_path / "c.svg"), "--kind", "bars"]) == 0
    err = capsys.readouterr().err
    assert "UserWarning" not in err and "charts.py" not in err
    assert err.count("warning[KZF270]") == 1 and "no glyph for 中 国" in err
