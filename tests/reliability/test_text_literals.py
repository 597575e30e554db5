"""A text that matches no value of its dimension is said, not silently missing or 0.

`entity = "Kazakstan"` (a typo) or `"Kаzakhstan"` with a Cyrillic а is false on every row:
what it selects is 0 or missing. By hand, on the panel below, `kz` is 0 on both rows and the
sum over the empty selection is missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kzf.engine.cli.main import main

DATA = "entity,year,x\nKazakhstan,2020,1\nRussia,2020,2\n"


def _eval(tmp_path: Path, program: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    (tmp_path / "f.kzf").write_text(program, encoding="utf-8")
    (tmp_path / "d.csv").write_text(DATA, encoding="utf-8")
    status = main(["eval", str(tmp_path / "f.kzf"), "--data", str(tmp_path / "d.csv")])
    out, err = capsys.readouterr()
    return status, out, err


def test_a_misspelt_entity_warns_with_the_nearest_value(tmp_path: Path, capsys) -> None:
    status, out, err = _eval(tmp_path, 'input x\nkz = if(entity = "Kazakstan", x, 0)\n', capsys)
    assert status == 0
    assert out.splitlines()[1:] == ["Kazakhstan,2020,0.0", "Russia,2020,0.0"]
    assert "f.kzf:2:9: warning[KZF204]: 'entity' has no value 'Kazakstan'" in err
    assert "did you mean 'Kazakhstan'?" in err


def test_a_cyrillic_lookalike_is_named(tmp_path: Path, capsys) -> None:
    program = 'input x\nkz = sum(x over entity where entity = "K\u0430zakhstan")\n'
    status, _, err = _eval(tmp_path, program, capsys)
    assert status == 0 and "warning[KZF204]" in err
    assert "holds Cyrillic letters that look Latin" in err and "'Kazakhstan'" in err


def test_a_text_in_the_data_is_not_warned(tmp_path: Path, capsys) -> None:
    status, _, err = _eval(tmp_path, 'input x\nkz = if(entity = "Kazakhstan", x, 0)\n', capsys)
    assert status == 0 and "KZF204" not in err
