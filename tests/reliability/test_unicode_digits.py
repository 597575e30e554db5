"""Digits that are not ASCII are read as the digits they are, never as missing values.

A table pasted from a PDF or a web page in Arabic or East Asian typesetting holds fullwidth
(１２) or Arabic-Indic (٣, ٢٠٢٠) digits, and typesetters write minus as U+2212 (−5). Regular
expressions' `\\d` matches those digits but float parsers do not, so they used to become
missing values with exit 0. Expected values are the numbers the digits spell, times 2.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kzf.engine.cli.main import main

PROGRAM = "dims entity, year\ninput x\ny = 2 * x\n"


@pytest.mark.parametrize(
    ("cell", "want"),
    [("１２", "24.0"), ("٣", "6.0"), ("३.५", "7.0"), ("−5", "-10.0"), ("１,２３４.５", "2469.0")],
    ids=["fullwidth", "arabic-indic", "devanagari", "minus-sign", "fullwidth-grouped"],
)
def test_a_number_in_other_digits_is_that_number(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cell: str, want: str
) -> None:
    (tmp_path / "f.kzf").write_text(PROGRAM, encoding="utf-8")
    (tmp_path / "d.csv").write_text(f'entity,year,x\nA,٢٠٢٠,"{cell}"\n', encoding="utf-8")
    status = main(["eval", str(tmp_path / "f.kzf"), "--data", str(tmp_path / "d.csv")])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert out.splitlines() == ["entity,year,y", f"A,2020,{want}"]  # ٢٠٢٠ is the year 2020
