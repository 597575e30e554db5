"""A start for new users (issue 20, item 6): `kzf init` makes a project that passes its own
test at once, and `kzf completion` a shell script that completes kzf's commands and options."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from kzf.engine.cli.main import main
from kzf.engine.cli.start import FILES


def test_kzf_init_makes_a_project_whose_test_passes(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "project"
    old = os.umask(0o027)
    try:
        assert main(["init", str(folder)]) == 0
    finally:
        os.umask(old)
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) == sorted(
        FILES
    )
    for name in FILES:  # the umask's modes: rw-r-----
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o640
    capsys.readouterr()
    assert main(["test", str(folder / "formulas")]) == 0
    assert "ratio[KZ, 2021] = 2.5: computed 2.5" in capsys.readouterr().out
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


def test_kzf_init_never_writes_into_a_folder_with_files(tmp_path: Path, capsys) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(["init", str(tmp_path)]) == 2
    assert "KZF108" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_completes_commands_and_options(tmp_path: Path, capsys) -> None:
    assert main(["completion", "bash"]) == 0
    script = tmp_path / "kzf.bash"
    script.write_text(capsys.readouterr().out, encoding="utf-8")

    def complete(*words: str) -> list[str]:
        line = " ".join(words)
        probe = (
            f"source {script}; COMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; "
            f'COMP_LINE="{line}"; COMP_POINT={len(line)}; '
            f'_shtab_kzf kzf {words[-1]} {words[-2]}; printf "%s\\n" "${{COMPREPLY[@]}}"'
        )
        done = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, check=True)
        return done.stdout.split()

    assert complete("kzf", "ev") == ["eval"]
    assert "sensitivity" in complete("kzf", "s")
    assert complete("kzf", "eval", "--eng") == ["--engine"]
    assert "--diagnostics-format" in complete("kzf", "check", "--diag")
