"""`--engine spark` on a machine without Java says what to install, not Py4J's
JAVA_GATEWAY_EXITED: the command runs with a PATH that holds no `java` and no JAVA_HOME."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_spark_without_java_says_how_to_install_it(tmp_path: Path) -> None:
    (tmp_path / "f.kzf").write_text("dims entity, year\ninput x\ny = 2 * x\n", encoding="utf-8")
    (tmp_path / "d.csv").write_text("entity,year,x\nA,2020,1\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    env["PATH"] = str(tmp_path / "empty")  # no java anywhere on it
    kzf = Path(sys.executable).with_name("kzf")
    done = subprocess.run(
        [str(kzf), "eval", "f.kzf", "--data", "d.csv", "--engine", "spark"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "error[KZF109]: the spark engine needs Java 17 or later" in done.stderr
    assert "openjdk-17" in done.stderr and "Traceback" not in done.stderr
