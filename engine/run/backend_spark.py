"""Run plans on Apache Spark, locally or on a cluster (`--master spark://host:port`).

The plan is lowered to one Spark SQL query (`engine/run/lower_sql.py`): one SELECT per level of the
plan, with native functions only (no Python UDFs, no `withColumn` chains, whose logical plans
grow without bound). The panel goes to Spark as Arrow and the results come back as Arrow.

A Spark session costs seconds to start, so one session per master is kept for the life of the
process; `stop_sessions()` stops them.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from kzf.dsl.diagnostics import UsageError, error
from kzf.engine.run.lower_sql import SqlBackend

DEFAULT_MASTER = "local[2]"
_lock = threading.Lock()
_sessions: dict[str, Any] = {}


def session(master: str | None = None) -> Any:
    """The Spark session for `master` (default: local, 2 threads), started on first use."""
    master = master or os.environ.get("KZF_SPARK_MASTER") or DEFAULT_MASTER
    with _lock:
        if master in _sessions:
            return _sessions[master]
        if _sessions:  # one SparkContext per process: switching masters stops the old one
            stop_sessions()
        if java() is None:
            raise UsageError(
                [
                    error(
                        "KZF109",
                        "the spark engine needs Java 17 or later, and none was found (no "
                        "`java` on PATH, no JAVA_HOME)",
                        None,
                        "install it: `sudo apt install openjdk-17-jre-headless` (Debian, "
                        "Ubuntu), `brew install openjdk@17` (macOS), or set JAVA_HOME; "
                        "`tests/setup_and_run.sh` installs it for the tests",
                    )
                ]
            )
        try:
            spark = _start(master)
        except Exception as exc:  # noqa: BLE001 - no Java, a master that does not answer, ...
            short = _short(exc)
            notes = []
            if "JAVA_GATEWAY_EXITED" in short:
                notes.append("Spark's Java process did not start: is `java -version` 17+?")
            raise UsageError(
                [
                    error(
                        "KZF109",
                        f"the spark engine could not start on {master}: {short}",
                        None,
                        *notes,
                    )
                ]
            ) from None
        _sessions[master] = spark
        return spark


def java() -> str | None:
    """The `java` Spark would start: JAVA_HOME's, else the one on PATH; None when neither."""
    home = os.environ.get("JAVA_HOME")
    if home and os.access(os.path.join(home, "bin", "java"), os.X_OK):
        return os.path.join(home, "bin", "java")
    return shutil.which("java")


def _start(master: str) -> Any:
    # Spark binds to the loopback interface unless told otherwise: a local run or a test
    # cluster on 127.0.0.1 never reaches the network.
    host = os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyspark warns about pandas versions at import
        from pyspark.sql import SparkSession

        builder = (
            SparkSession.builder.master(master)
            .appName("kzf")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.ansi.enabled", "false")
            .config("spark.sql.session.timeZone", "UTC")
            # Deep plans of long formula files need more than the 1 GB default heap for
            # Catalyst; local mode runs everything in this driver.
            .config("spark.driver.memory", os.environ.get("KZF_SPARK_DRIVER_MEMORY", "4g"))
            .config("spark.sql.shuffle.partitions", os.environ.get("KZF_SPARK_PARTITIONS", "4"))
            .config("spark.driver.bindAddress", host)
            .config("spark.driver.host", host)
            .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={_log_config()}")
        )
        spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


_LOG_CONFIG: list[str] = []  # this process's file, made once


def _remove(path: str) -> None:
    if os.path.exists(path):
        os.unlink(path)


def _log_config() -> str:
    """A log4j2 configuration that keeps Spark's INFO and WARN lines off the terminal.

    Written to a file of this process's own (mkstemp: created new, mode 0600), never to a
    fixed name in the shared temporary folder, where another user could have put a link to
    a file of yours for kzf to overwrite; removed when the process ends."""
    if not _LOG_CONFIG:
        fd, path = tempfile.mkstemp(prefix="kzf-spark-log4j2-", suffix=".properties")
        atexit.register(_remove, path)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(
                "rootLogger.level = error\n"
                "rootLogger.appenderRef.stderr.ref = console\n"
                "appender.console.type = Console\n"
                "appender.console.name = console\n"
                "appender.console.target = SYSTEM_ERR\n"
                "appender.console.layout.type = PatternLayout\n"
                "appender.console.layout.pattern = spark: %p %c{1}: %m%n\n"
            )
        _LOG_CONFIG.append(path)
    return "file:" + _LOG_CONFIG[0]


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


def stop_sessions() -> None:
    for spark in list(_sessions.values()):
        spark.stop()
    _sessions.clear()


class SparkBackend(SqlBackend):
    """Runs plans with Spark SQL."""

    name = "spark"
    dialect = "spark"

    def __init__(self, master: str | None = None) -> None:
        self.master = master

    def table_name(self) -> str:
        return f"kzf_src_{threading.get_ident()}"  # one per thread: the SQL is cached by name

    @contextmanager
    def registered(self, name: str, table: object) -> Iterator[Callable[[str], object]]:
        spark = session(self.master)
        spark.createDataFrame(table).createOrReplaceTempView(name)
        try:
            yield lambda sql: spark.sql(sql).toArrow()
        finally:
            spark.catalog.dropTempView(name)
