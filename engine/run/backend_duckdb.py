"""Run plans on DuckDB: embedded, multi-threaded, and able to spill to disk.

The plan is lowered to one SQL query (`engine/run/lower_sql.py`) and run over the panel, which
DuckDB reads from Arrow without copying. Results come back as Arrow and are placed by row.
"""

from __future__ import annotations

import glob
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlglot import exp

from kzf.engine.run.lower_sql import ROW, SqlBackend
from kzf.engine.run.native import FILE_ROW_COLUMN, DataSource, StatementSession, column_kind

_local = threading.local()


def _connection(options: tuple[tuple[str, str], ...]) -> object:
    import duckdb

    cache: dict = getattr(_local, "connections", None) or {}
    _local.connections = cache
    if options not in cache:
        con = duckdb.connect(config=dict(options))
        cache[options] = con
    return cache[options]


class DuckDBBackend(SqlBackend):
    """Runs plans on an in-process DuckDB database (one connection per thread)."""

    name = "duckdb"
    dialect = "duckdb"

    def __init__(self, threads: int | None = None, memory_limit: str | None = None) -> None:
        options = []
        if threads is not None:
            options.append(("threads", str(threads)))
        if memory_limit is not None:
            options.append(("memory_limit", memory_limit))
        self.options = tuple(options)

    @contextmanager
    def registered(self, name: str, table: object) -> Iterator[Callable[[str], object]]:
        con = _connection(self.options)
        con.register(name, table)  # type: ignore[attr-defined]
        try:
            yield lambda sql: con.sql(sql).to_arrow_table()  # type: ignore[attr-defined]
        finally:
            con.unregister(name)  # type: ignore[attr-defined]

    def failure(self, exc: BaseException) -> tuple[str, str] | None:
        return failure(exc)

    def memory_settings(self) -> tuple[str, str]:
        con = _connection(self.options)
        found = con.execute("SELECT current_setting('memory_limit')").fetchone()  # type: ignore[attr-defined]
        return (str(found[0]) if found else "unknown"), MEMORY_ADVICE

    def session(self) -> DuckDBSession:
        """A connection for a run that reads the data itself (engine/run/native.py)."""
        return DuckDBSession(self.options)


__all__ = ["ROW", "DuckDBBackend", "RelationSession"]


# ---------------------------------------------------------------- reading the data itself

_INTEGER = {"tinyint", "smallint", "integer", "bigint", "hugeint", "utinyint", "usmallint",
            "uinteger", "ubigint", "uhugeint"}  # fmt: skip
_NUMBER = {"float", "double", "real"}


def kind_of(duckdb_type: str) -> str:
    """A DuckDB column type as the native run sorts them: integer, number, text, other."""
    return column_kind(duckdb_type, _INTEGER, _NUMBER, "varchar")


def default_memory_limit() -> str | None:
    """DuckDB's memory limit when the process runs under an address-space limit (`ulimit -v`,
    `prlimit --as`): DuckDB sizes itself from the machine's memory, which such a process
    cannot use, and fails where it could have spilled to disk. A third of the limit leaves
    room for Python, the libraries and DuckDB's own mappings. `KZF_DUCKDB_MEMORY_LIMIT` (a
    DuckDB size such as 2GB) overrides it."""
    given = os.environ.get("KZF_DUCKDB_MEMORY_LIMIT")
    if given:
        return given
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, OSError, ValueError):  # pragma: no cover - not POSIX
        return None
    if soft == resource.RLIM_INFINITY or soft <= 0:
        return None
    return f"{max(soft // 3 // 2**20, 64)}MB"


MEMORY_ADVICE = (
    "set KZF_DUCKDB_MEMORY_LIMIT to a size this process can use (for example 2GB); beyond "
    "it DuckDB spills to disk, so a limit below the data's size is fine"
)


class DuckDBSession:
    """A native run's DuckDB connection (engine/run/native.SqlSession): a fresh in-process
    database whose spill files go to a temporary folder of its own (DuckDB's default is a
    `.tmp` folder in the current directory, which is the user's), removed at `close`."""

    dialect = "duckdb"

    def __init__(self, options: tuple[tuple[str, str], ...]) -> None:
        import duckdb

        self._spill = tempfile.mkdtemp(prefix="kzf-duckdb-")
        config: dict[str, str | bool | int | float | list[str]] = dict(options)
        config.setdefault("temp_directory", self._spill)
        limit = default_memory_limit()
        if limit is not None:
            config.setdefault("memory_limit", limit)
        self.con = duckdb.connect(config=config)
        found = self.con.execute("SELECT current_setting('memory_limit')").fetchone()
        self.memory_limit = str(found[0]) if found else "unknown"
        self.memory_advice = MEMORY_ADVICE
        self._numbered: set[str] = set()  # views with FILE_ROW_COLUMN

    def open(self, source: DataSource, name: str) -> None:
        location = exp.Literal.string(source.location).sql(dialect="duckdb")
        columns = "*"
        if source.kind == "parquet":
            hive = ", hive_partitioning = true" if source.hive else ""
            table = f"read_parquet({location}{hive})"
            if not source.hive and not glob.has_magic(source.location):  # one file
                own = self.con.execute(f"DESCRIBE SELECT * FROM {table}").fetchall()
                if not {FILE_ROW_COLUMN, "file_row_number"} & {str(r[0]) for r in own}:
                    table = f"read_parquet({location}, file_row_number = true)"
                    columns = f"* EXCLUDE (file_row_number), file_row_number AS {FILE_ROW_COLUMN}"
                    self._numbered.add(name)
        else:
            table = f"read_csv({location}, header = true)"
        self.con.execute(f"CREATE TEMP VIEW {_quoted(name)} AS SELECT {columns} FROM {table}")

    def file_row(self, name: str) -> bool:
        return name in self._numbered

    def schema(self, name: str) -> list[tuple[str, str]]:
        rows = self.con.execute(f"DESCRIBE {_quoted(name)}").fetchall()
        return [(str(r[0]), kind_of(str(r[1]))) for r in rows]

    def fetch(self, sql: str) -> object:
        return self.con.sql(sql).to_arrow_table()

    def keep(self, name: str, sql: str, materialise: bool) -> None:
        what = "TABLE" if materialise else "VIEW"  # a view again when its dims need a trim
        self.con.execute(f"CREATE OR REPLACE TEMP {what} {_quoted(name)} AS {sql}")

    def write(self, sql: str, path: str, kind: str) -> int:
        target = exp.Literal.string(path).sql(dialect="duckdb")
        options = "FORMAT parquet" if kind == "parquet" else "FORMAT csv, HEADER true"
        row = self.con.execute(f"COPY ({sql}) TO {target} ({options})").fetchone()
        return int(row[0]) if row else 0

    def failure(self, exc: BaseException) -> tuple[str, str] | None:
        return failure(exc)

    def close(self) -> None:
        self.con.close()
        shutil.rmtree(self._spill, ignore_errors=True)


def failure(exc: BaseException) -> tuple[str, str] | None:
    """What a DuckDB exception means for the user (native.SqlSession.failure)."""
    import duckdb

    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
    if isinstance(exc, duckdb.OutOfMemoryException):
        return "memory", text
    if isinstance(exc, duckdb.ConversionException | duckdb.IOException):
        return "read", text
    if isinstance(exc, duckdb.InvalidInputException):  # what the CSV sniffer says
        return "read", text
    return None


RELATION = "kzf_relation"  # how each statement names the caller's relation


class RelationSession(StatementSession):
    """A native run over the caller's DuckDB relation (`prog.evaluate(relation)`), on the
    relation's own connection: `relation.query(RELATION, sql)` runs one statement in which
    the relation is named RELATION. Nothing is created in the caller's database (a view or
    a table there would be theirs), so every statement carries what the run keeps as CTEs
    (native.StatementSession), and the result is a relation of the caller's connection,
    lazy and composable like their own."""

    def __init__(self, relation: Any) -> None:
        super().__init__("duckdb", RELATION)
        self.relation = relation
        found = relation.query(RELATION, "SELECT current_setting('memory_limit')").fetchall()
        self.memory_limit = str(found[0][0]) if found else "unknown"
        self.memory_advice = (
            "the relation's connection sets the limit: SET memory_limit = '2GB' on it (for "
            "example), and DuckDB spills to disk beyond it"
        )

    def schema(self, name: str) -> list[tuple[str, str]]:
        probe = self.lazy(f"SELECT * FROM {_quoted(name)} LIMIT 0")
        return [(str(c), kind_of(str(t))) for c, t in zip(probe.columns, probe.types, strict=True)]

    def fetch(self, sql: str) -> object:
        return self.lazy(sql).to_arrow_table()

    def lazy(self, sql: str) -> Any:
        """The rows of `sql` as a relation of the caller's connection, not yet computed."""
        return self.relation.query(RELATION, self.statement(sql))

    def write(self, sql: str, path: str, kind: str) -> int:
        raise AssertionError("a relation's result is given back, never written by kzf")

    def failure(self, exc: BaseException) -> tuple[str, str] | None:
        return failure(exc)

    def close(self) -> None:
        pass  # the connection is the caller's


def _quoted(name: str) -> str:
    return exp.to_identifier(name, quoted=True).sql(dialect="duckdb")
