"""Published values apart from the file's own: `expect ... derived "how"` and
`expect ... unreproducible "why"`, counted apart by `kzf test`."""

from __future__ import annotations

from pathlib import Path

import pytest

from kzf.engine.cli.main import main

PROGRAM = """\
dims entity
data "d.csv"
input a, b
total = a + b
expect total[X] = 3
expect total[Y] = 7 derived "the synthetic row"
expect mean_of_six = 25.6 unreproducible "its inputs were an image"
"""


def _run(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    (tmp_path / "f.kzf").write_text(text, encoding="utf-8")
    (tmp_path / "d.csv").write_text("entity,a,b\nX,1,2\nY,3,4\n", encoding="utf-8")
    status = main(["test", str(tmp_path / "f.kzf")])
    return status, capsys.readouterr().out


def test_each_kind_is_listed_and_counted_apart(tmp_path: Path, capsys) -> None:
    status, out = _run(tmp_path, PROGRAM, capsys)
    assert status == 0
    lines = out.splitlines()
    assert lines[1] == "  ok       total[X] = 3: computed 3"
    assert lines[2] == "  derived  total[Y] = 7: computed 7 (derived: the synthetic row)"
    assert lines[3] == (
        "  cannot   mean_of_six = 25.6: cannot be reproduced; its inputs were an image"
    )
    assert lines[-1] == (
        "1 reproduced, 0 known errata, 0 failed; 1 derived values checked; "
        "1 published values cannot be reproduced, 0 file(s) with errors"
    )


def test_a_derived_value_not_reproduced_is_a_failure(tmp_path: Path, capsys) -> None:
    """3 + 4 = 7, not 8: being the file's own does not excuse it."""
    status, out = _run(tmp_path, PROGRAM.replace("= 7 derived", "= 8 derived"), capsys)
    assert status == 1
    assert "  FAILED   total[Y] = 8: computed 7" in out
    assert out.splitlines()[-1].startswith("1 reproduced, 0 known errata, 1 failed;")
