"""A .kzf file's own `data` is fenced like its imports: a downloaded file cannot make
`kzf eval` read, or `kzf report` embed, a file outside its project (the nearest folder with
a kzf.toml, else its own folder). The data given on the command line is the user's choice."""

from __future__ import annotations

from pathlib import Path

import pytest

from kzf.engine.cli.main import main

DATA = "entity,year,x\nA,2020,1\n"


@pytest.fixture
def outside(tmp_path: Path) -> tuple[Path, Path]:
    secret = tmp_path / "home" / "secret.csv"
    secret.parent.mkdir()
    secret.write_text(DATA, encoding="utf-8")
    project = tmp_path / "downloads" / "index"
    project.mkdir(parents=True)
    kzf = project / "f.kzf"
    kzf.write_text(
        f'data "{secret}"\ninput x\ny = 2 * x\nexpect y[A, 2020] = 2\n', encoding="utf-8"
    )
    return kzf, secret


@pytest.mark.parametrize("command", ["eval", "report", "test"])
def test_data_outside_the_project_is_refused(
    outside: tuple[Path, Path], capsys: pytest.CaptureFixture[str], command: str
) -> None:
    kzf, secret = outside
    args = [command, str(kzf)] + (
        ["-o", str(kzf.with_suffix(".html"))] if command == "report" else []
    )
    status = main(args)
    captured = capsys.readouterr()
    assert status in (1, 2), captured
    assert "error[KZF022]" in captured.err and "lies outside the file's project" in captured.err
    assert not kzf.with_suffix(".html").exists()


def test_the_users_own_choice_is_allowed(outside: tuple[Path, Path], capsys) -> None:
    kzf, secret = outside
    assert main(["eval", str(kzf), "--data", str(secret)]) == 0  # given on the command line
    assert capsys.readouterr().out.splitlines()[1] == "A,2020,2.0"
    assert main(["eval", str(kzf), "--allow-data-outside"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == "A,2020,2.0"


def test_data_inside_the_project_is_read(tmp_path: Path, capsys) -> None:
    (tmp_path / "kzf.toml").write_text("", encoding="utf-8")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "d.csv").write_text(DATA, encoding="utf-8")
    (tmp_path / "formulas").mkdir()
    (tmp_path / "formulas" / "f.kzf").write_text(
        'data "../data/d.csv"\ninput x\ny = 2 * x\n', encoding="utf-8"
    )
    assert main(["eval", str(tmp_path / "formulas" / "f.kzf")]) == 0
    assert capsys.readouterr().out.splitlines()[1] == "A,2020,2.0"
