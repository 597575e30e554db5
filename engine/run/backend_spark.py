"""Run plans on Apache Spark, locally or on a cluster (`--master spark://host:port`).

The plan is lowered to one Spark SQL query (`engine/run/lower_sql.py`): one SELECT per level of the
plan, with native functions only (no Python UDFs, no `withColumn` chains, whose logical plans
grow without bound).

Two ways in. A Parquet or CSV file (a glob, a hive-partitioned folder) is read by Spark itself
(`SparkFileSession`: `spark.read`, the checks and warnings as aggregate queries, `--out`
written by `DataFrame.write`), so on a cluster the executors read the data and write the
result, and the driver holds only what a person reads. A frame already in this process goes
to Spark as Arrow and the results come back as Arrow (`SparkBackend.registered`). A Spark
DataFrame of the caller's is evaluated on its own session and given back as a DataFrame
(`SparkRelationSession`).

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
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlglot import exp

from kzf.dsl.diagnostics import UsageError, error, localised
from kzf.engine.run.lower_sql import SqlBackend
from kzf.engine.run.native import DataSource, StatementSession, column_kind

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
            raise UsageError(
                [
                    localised(
                        "KZF109",
                        "the spark engine could not start on {master}: {problem}",
                        None,
                        "Spark's Java process did not start: is `java -version` 17+?",
                        master=master,
                        problem=short,
                    )
                    if "JAVA_GATEWAY_EXITED" in short
                    else localised(
                        "KZF109",
                        "the spark engine could not start on {master}: {problem}",
                        master=master,
                        problem=short,
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
            # on a cluster, what each executor may hold (Spark's default: 1g)
            .config("spark.executor.memory", os.environ.get("KZF_SPARK_EXECUTOR_MEMORY", "1g"))
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

    def failure(self, exc: BaseException) -> tuple[str, str] | None:
        return failure(exc)

    def memory_settings(self) -> tuple[str, str]:
        return memory_settings(session(self.master))

    def session(self) -> SparkFileSession:
        """A session for a run in which Spark reads the data itself (engine/run/native.py)."""
        return SparkFileSession(session(self.master))


# ---------------------------------------------------------------- reading the data itself

_INTEGER = {"tinyint", "smallint", "int", "bigint"}
_NUMBER = {"float", "double"}


def kind_of(spark_type: str) -> str:
    """A Spark column type (`DataFrame.dtypes`) as the native run sorts them: integer,
    number, text, other."""
    return column_kind(spark_type, _INTEGER, _NUMBER, "string")


class SourceUnreadable(Exception):
    """Spark could not read the source as kzf reads it (no such file, no schema to infer, a
    malformed CSV line): pandas reads it instead, with a KZF160 note saying why."""


def memory_settings(spark: Any) -> tuple[str, str]:
    """KZF161's figures and help: the memory Spark gave the work, and the setting to change.
    In local mode every task runs in the driver; on a cluster, in the executors."""
    conf = spark.sparkContext.getConf()
    driver = conf.get("spark.driver.memory", "1g")
    if str(spark.sparkContext.master).startswith("local"):
        return (
            f"spark.driver.memory = {driver}, local mode",
            "set KZF_SPARK_DRIVER_MEMORY (spark.driver.memory, for example 8g): in local mode "
            "every task runs in the driver; Spark spills what it sorts and caches to disk",
        )
    executor = conf.get("spark.executor.memory", "1g")
    return (
        f"spark.executor.memory = {executor}, spark.driver.memory = {driver}",
        "set KZF_SPARK_EXECUTOR_MEMORY (spark.executor.memory, for example 4g), or give the "
        "job more partitions with KZF_SPARK_PARTITIONS (spark.sql.shuffle.partitions); the "
        "driver holds only the checks' counts and what is shown",
    )


def failure(exc: BaseException) -> tuple[str, str] | None:
    """What a Spark exception means for the user (native.SqlSession.failure)."""
    if isinstance(exc, SourceUnreadable):
        return "read", str(exc)
    markers = ("OutOfMemoryError", "Java heap space", "exceeding memory")
    for line in str(exc).splitlines():  # Py4J's first line names only the call that failed
        if any(m in line for m in markers):
            return "memory", line.strip(" :")[:300]
    return None


class SparkFileSession:
    """A native run's Spark session (engine/run/native.SqlSession): a new session of the
    process's SparkContext (`newSession`), so that its temporary views are its own and two
    runs in one process never see each other's; the views and the cached tables are dropped
    at `close`. The files are read and written by the executors: on a cluster, a path they
    and the driver all see (a shared file system, HDFS, object storage)."""

    dialect = "spark"

    def __init__(self, spark: Any) -> None:
        self.spark = spark.newSession()
        # column names as the file spells them, as pandas and DuckDB read them: Spark's
        # default would take `X` for `x`, or fail on a file with both
        self.spark.conf.set("spark.sql.caseSensitive", "true")
        self.memory_limit, self.memory_advice = memory_settings(self.spark)
        self._views: list[str] = []
        self._cached: list[str] = []

    def open(self, source: DataSource, name: str) -> None:
        reader = self.spark.read
        try:
            if source.kind == "parquet":
                frame = reader.parquet(source.folder or source.location)
            else:
                # FAILFAST: Spark's default (PERMISSIVE) makes a malformed line a row of
                # missing values without a word; an escape of '"' reads RFC 4180's "" quotes
                frame = reader.csv(
                    source.location, header=True, inferSchema=True, mode="FAILFAST", escape='"'
                )
        except Exception as exc:  # noqa: BLE001 - AnalysisException and friends: unreadable
            raise SourceUnreadable(_short(exc)) from None
        frame.createOrReplaceTempView(name)
        self._views.append(name)
        if source.kind == "csv":
            self._refuse_replaced_characters(name, frame)

    def _refuse_replaced_characters(self, name: str, frame: Any) -> None:
        """Spark reads a CSV file as UTF-8 and puts U+FFFD in place of every byte that is not
        (a file saved in cp1251 or latin-1), without a word: a text cell holding one means
        the file is in another encoding, which pandas then reads, guessing with a note."""
        texts = [c for c, t in frame.dtypes if t == "string"]
        if not texts:
            return
        marks = " OR ".join(f"INSTR({_quoted(c)}, '\ufffd') > 0" for c in texts)
        found = self.spark.sql(f"SELECT COUNT(*) AS n FROM {_quoted(name)} WHERE {marks}")
        rows = int(found.collect()[0]["n"])
        if rows:
            raise SourceUnreadable(
                f"{rows} rows hold text that is not UTF-8 (a file in another encoding)"
            )

    def schema(self, name: str) -> list[tuple[str, str]]:
        return [(c, kind_of(t)) for c, t in self.spark.table(_quoted(name)).dtypes]

    def file_row(self, name: str) -> bool:
        return False  # executors read the files in parts: no order of the file's rows

    def fetch(self, sql: str) -> Any:
        return self.spark.sql(sql).toArrow()

    def keep(self, name: str, sql: str, materialise: bool) -> None:
        if materialise:  # computed now, once; Spark keeps it in memory and on disk
            self.spark.sql(f"CACHE TABLE {_quoted(name)} AS {sql}")
            self._cached.append(name)
        else:
            self.spark.sql(sql).createOrReplaceTempView(name)
        self._views.append(name)

    def write(self, sql: str, path: str, kind: str) -> int:
        """One file at `path` (write_atomically's temporary file, renamed by it): Spark writes
        a folder of part files, so the result goes through one partition, in the query's
        order, into a folder beside `path`, whose one part file then replaces `path`."""
        folder = f"{path}.parts"
        writer = self.spark.sql(sql).coalesce(1).write.mode("errorifexists")
        try:
            if kind == "parquet":
                writer.parquet(folder)
            else:  # what pandas and kzf's own CSV writer give: RFC 4180 quotes, empty = missing
                writer.csv(folder, header=True, escape='"', nullValue="", emptyValue='""')
            parts = sorted(p for p in os.listdir(folder) if p.startswith("part-"))
            if len(parts) != 1:
                raise OSError(f"Spark wrote {len(parts)} part files, not one, into {folder}")
            part = os.path.join(folder, parts[0])
            rows = self._rows_in(part, kind)
            os.replace(part, path)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return rows

    def _rows_in(self, part: str, kind: str) -> int:
        """The rows of a part file Spark wrote: Parquet's footer says; a CSV file is counted
        by Spark, which reads its quoted line breaks as the writer meant them."""
        if kind == "parquet":
            import pyarrow.parquet as pq

            return int(pq.read_metadata(part).num_rows)
        counted = self.spark.read.csv(part, header=True, multiLine=True, escape='"')
        return int(counted.count())

    def failure(self, exc: BaseException) -> tuple[str, str] | None:
        return failure(exc)

    def close(self) -> None:
        for name in self._cached:
            self.spark.sql(f"UNCACHE TABLE IF EXISTS {_quoted(name)}")
        for name in self._views:
            self.spark.catalog.dropTempView(name)
        self._views.clear()
        self._cached.clear()


class SparkRelationSession(StatementSession):
    """A native run over the caller's Spark DataFrame (`prog.evaluate(df)`), on the
    DataFrame's own session: the DataFrame is a temporary view of a name no one else uses
    for the life of the run, every statement carries what the run keeps as CTEs
    (native.StatementSession: nothing is cached or created in the caller's session), and
    the result is a DataFrame of theirs, lazy and composable like their own."""

    def __init__(self, frame: Any) -> None:
        name = f"kzf_relation_{uuid.uuid4().hex}"
        super().__init__("spark", name)
        self.spark = frame.sparkSession
        frame.createOrReplaceTempView(name)
        self.memory_limit, self.memory_advice = memory_settings(self.spark)

    def schema(self, name: str) -> list[tuple[str, str]]:
        probe = self.lazy(f"SELECT * FROM {_quoted(name)} LIMIT 0")
        return [(c, kind_of(t)) for c, t in probe.dtypes]

    def fetch(self, sql: str) -> Any:
        return self.lazy(sql).toArrow()

    def lazy(self, sql: str) -> Any:
        """The rows of `sql` as a DataFrame of the caller's session, not yet computed (Spark
        resolves the view when the DataFrame is made, so it outlives the view)."""
        return self.spark.sql(self.statement(sql))

    def write(self, sql: str, path: str, kind: str) -> int:
        raise AssertionError("a DataFrame's result is given back, never written by kzf")

    def failure(self, exc: BaseException) -> tuple[str, str] | None:
        return failure(exc)

    def close(self) -> None:
        self.spark.catalog.dropTempView(self.table)


def _quoted(name: str) -> str:
    return exp.to_identifier(name, quoted=True).sql(dialect="spark")
