"""mypy on the package as it is installed: `kzf.dsl` and `kzf.engine.*`, with pyproject's
settings (`--strict` flags for dsl, core and compile).

In the checkout the folders are `dsl/` and `engine/`, mapped to `kzf.dsl` and `kzf.engine`
only by pyproject's package-dir, which mypy does not read: run there, every `kzf.*` import is
silently `Any` and cross-package type errors go unseen. So the test builds the installed
layout from symbolic links and checks that. A probe module with one deliberate error proves
that the imports really resolve (were they `Any`, the probe would pass).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = """\
from kzf.engine.core.builtins import FUNCTIONS

not_a_dict: int = FUNCTIONS  # the one error this module must give
"""


def _installed_layout(tmp: Path) -> Path:
    package = tmp / "kzf"
    package.mkdir(parents=True)
    for f in (ROOT / "kzf").glob("*.py"):
        (package / f.name).symlink_to(f)
    (package / "dsl").symlink_to(ROOT / "dsl", target_is_directory=True)
    (package / "engine").symlink_to(ROOT / "engine", target_is_directory=True)
    (tmp / "kzf_type_probe.py").write_text(PROBE, encoding="utf-8")
    return tmp


@pytest.mark.timeout(600)
def test_mypy_is_clean_on_the_installed_layout(tmp_path: Path) -> None:
    tree = _installed_layout(tmp_path / "tree")
    command = [
        sys.executable, "-m", "mypy",
        "--config-file", str(ROOT / "pyproject.toml"),
        "--cache-dir", str(tmp_path / "cache"),
        "-p", "kzf", "-m", "kzf_type_probe",
    ]  # fmt: skip
    env = {**os.environ, "MYPYPATH": str(tree)}
    done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True)
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    probe = [e for e in errors if e.startswith("kzf_type_probe.py:3:")]
    assert len(probe) == 1, (
        f"the probe's error is missing: kzf imports are not resolved\n{done.stdout}"
    )
    others = [e for e in errors if e not in probe]
    assert others == [], "\n".join(others)
    assert done.returncode == 1, (
        done.stdout + done.stderr
    )  # 1: type errors (the probe), not a crash
