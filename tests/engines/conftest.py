"""Engines under test: pandas and DuckDB always; Spark (local mode, one session for the whole
test run, stopped at the end) when Java is present. In CI (CI=true) a missing Java fails."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest


def _spark_ready() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java runtime (apt-get install default-jre-headless)"
    return None


@pytest.fixture(scope="session")
def engines() -> Iterator[list[str]]:
    names = ["pandas", "duckdb"]
    why = _spark_ready()
    if why is None:
        from kzf.engine.run.backend_spark import session

        session()  # started once, here, so that its cost is not charged to one test
        names.append("spark")
    elif os.environ.get("CI"):
        pytest.fail(f"the spark engine cannot run in CI: {why}")
    try:
        yield names
    finally:
        if "spark" in names:
            from kzf.engine.run.backend_spark import stop_sessions

            stop_sessions()
