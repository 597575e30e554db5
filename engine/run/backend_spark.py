"""Run plans on Apache Spark, locally or on a cluster (`--master spark://host:port`).

The plan is lowered to one Spark SQL query (`engine/run/lower_sql.py`): one SELECT per level of the
plan, with native functions only (no Python UDFs, no `withColumn` chains, whose logical plans
grow without bound). The panel goes to Spark as Arrow and the results come back as Arrow.

A Spark session costs seconds to start, so one session per master is kept for the life of the
process; `stop_sessions()` stops them.
"""

from __future__ import annotations

import os
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
        try:
            spark = _start(master)
        except Exception as exc:  # noqa: BLE001 - no Java, a master that does not answer, ...
            raise UsageError(
                [error("KZF109", f"the spark engine could not start on {master}: {_short(exc)}")]
            ) from None
        _sessions[master] = spark
        return spark


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


def _log_config() -> str:
    """A log4j2 configuration that keeps Spark's INFO and WARN lines off the terminal."""
    path = os.path.join(tempfile.gettempdir(), "kzf-spark-log4j2.properties")
    if not os.path.exists(path):
        with open(path, "w", encoding="utf-8") as f:
            f.write(
                "rootLogger.level = error\n"
                "rootLogger.appenderRef.stderr.ref = console\n"
                "appender.console.type = Console\n"
                "appender.console.name = console\n"
                "appender.console.target = SYSTEM_ERR\n"
                "appender.console.layout.type = PatternLayout\n"
                "appender.console.layout.pattern = spark: %p %c{1}: %m%n\n"
            )
    return "file:" + path


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
