"""Run plans on DuckDB: embedded, multi-threaded, and able to spill to disk.

The plan is lowered to one SQL query (`engine/run/lower_sql.py`) and run over the panel, which
DuckDB reads from Arrow without copying. Results come back as Arrow and are placed by row.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from kzf.engine.run.lower_sql import ROW, SqlBackend

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


__all__ = ["ROW", "DuckDBBackend"]
