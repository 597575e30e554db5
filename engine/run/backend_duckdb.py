"""Run plans on DuckDB: embedded, multi-threaded, and able to spill to disk.

The plan is lowered to one SQL query (`engine/run/lower_sql.py`) and run over the panel, which
DuckDB reads from Arrow without copying. Results come back as Arrow and are placed by row.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

import pandas as pd

from kzf.dsl.diagnostics import Diagnostic
from kzf.engine.compile.plan import Plan
from kzf.engine.run.lower_sql import ROW, lower, run_program, source_table

_local = threading.local()


def _connection(options: tuple[tuple[str, str], ...]) -> object:
    import duckdb

    cache: dict = getattr(_local, "connections", None) or {}
    _local.connections = cache
    if options not in cache:
        con = duckdb.connect(config=dict(options))
        cache[options] = con
    return cache[options]


class DuckDBBackend:
    """Runs plans on an in-process DuckDB database (one connection per thread)."""

    name = "duckdb"

    def __init__(self, threads: int | None = None, memory_limit: str | None = None) -> None:
        options = []
        if threads is not None:
            options.append(("threads", str(threads)))
        if memory_limit is not None:
            options.append(("memory_limit", memory_limit))
        self.options = tuple(options)

    def execute(
        self,
        plan: Plan,
        frame: pd.DataFrame,
        params: Mapping[str, float | str],
        row_filter: str | None = None,
    ) -> tuple[dict[str, object], list[Diagnostic]]:
        con = _connection(self.options)
        table, source = source_table(plan, frame, "kzf_src")
        program = lower(plan, params, source, "duckdb")
        con.register("kzf_src", table)  # type: ignore[attr-defined]
        try:

            def fetch(sql: str) -> object:
                return con.sql(sql).to_arrow_table()  # type: ignore[attr-defined]

            return run_program(plan, frame, params, program, fetch, row_filter)
        finally:
            con.unregister("kzf_src")  # type: ignore[attr-defined]


__all__ = ["ROW", "DuckDBBackend"]
