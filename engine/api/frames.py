"""The tables an embedding tool may hand to `Program.evaluate`: pandas, Polars, Arrow, or any
object that speaks the Arrow PyCapsule stream interface (`__arrow_c_stream__`: Polars, DuckDB
relations, nanoarrow, ...), and the same kind handed back.

kzf computes on pandas/numpy, so a foreign table is converted once on the way in (through
Arrow: numeric columns are not copied one value at a time, text columns stay Arrow strings)
and the results once on the way out. The conversion is chosen by what the object *is*, never
by importing a library the caller does not use: Polars is imported only to rebuild a Polars
frame for a caller who passed one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias

import pandas as pd
import pyarrow as pa

from kzf.dsl.diagnostics import UsageError, error, localised


class ArrowStreamExportable(Protocol):
    """The Arrow PyCapsule stream interface (Polars, DuckDB, nanoarrow, pyarrow tables)."""

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object: ...


Table: TypeAlias = pd.DataFrame | pa.Table | pa.RecordBatch | ArrowStreamExportable


@dataclass(frozen=True)
class CallerTable:
    """A caller's table as pandas, and how to give results back in the caller's kind."""

    frame: pd.DataFrame
    kind: str  # "pandas", "polars", "arrow"
    back: Callable[[pd.DataFrame], Any]


def _same(frame: pd.DataFrame) -> pd.DataFrame:
    return frame


def _to_arrow(frame: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(frame, preserve_index=False)


def _to_polars(frame: pd.DataFrame) -> Any:
    import polars as pl  # the caller passed a Polars frame, so Polars is installed

    return pl.from_arrow(_to_arrow(frame))


def relation_engine(data: object) -> str | None:
    """The engine whose lazy table `data` is: "duckdb" for a DuckDB relation (`con.sql(...)`,
    `duckdb.read_parquet(...)`), "spark" for a Spark DataFrame (`spark.read.parquet(...)`,
    `spark.table(...)`); None for anything else. Such a table is evaluated by its own engine
    (Program.evaluate gives one of the same kind back), never converted here. Told by its
    type's module, so asking imports neither duckdb nor pyspark."""
    kind = type(data)
    package = kind.__module__.partition(".")[0]
    if package == "duckdb" and kind.__name__ == "DuckDBPyRelation":
        return "duckdb"
    if package == "pyspark" and kind.__name__ == "DataFrame":  # classic and Spark Connect
        return "spark"
    return None


def is_table(data: object) -> bool:
    """Whether `data` is a table `caller_table` converts (not a path or a Panel)."""
    return isinstance(data, pd.DataFrame | pa.Table | pa.RecordBatch) or hasattr(
        data, "__arrow_c_stream__"
    )


def caller_table(data: object) -> CallerTable:
    """`data` as a pandas frame, remembering its kind.

    Arrow text becomes pandas' Arrow-backed strings (no Python object per cell) and numbers
    float64/int64 as they are; a Polars LazyFrame is refused rather than collected behind the
    caller's back (collecting may read a whole data lake)."""
    if isinstance(data, pd.DataFrame):
        return CallerTable(data, "pandas", _same)
    module = type(data).__module__.split(".", 1)[0]
    if module == "polars" and type(data).__name__ == "LazyFrame":
        raise UsageError(
            [
                error(
                    "KZF107",
                    "a Polars LazyFrame is a query, not data: collect() it first "
                    "(or give kzf the file it reads)",
                )
            ]
        )
    table: pa.Table
    if isinstance(data, pa.RecordBatch):
        table = pa.Table.from_batches([data])
    elif isinstance(data, pa.Table):
        table = data
    else:
        if not hasattr(data, "__arrow_c_stream__"):
            raise UsageError(
                [
                    localised(
                        "KZF107",
                        "kzf cannot read a {kind}: give a pandas, Polars or "
                        "Arrow table, a Panel, or a file path",
                        kind=type(data).__name__,
                    )
                ]
            )
        table = pa.table(data)
    kind, back = ("polars", _to_polars) if module == "polars" else ("arrow", _to_arrow)
    frame = table.to_pandas(types_mapper=_arrow_strings, split_blocks=True, self_destruct=False)
    return CallerTable(frame, kind, back)


def _arrow_strings(arrow_type: pa.DataType) -> Any:
    """Text stays Arrow-backed in pandas (as kzf keeps its own text dims)."""
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return pd.ArrowDtype(arrow_type)
    if pa.types.is_string_view(arrow_type):
        return pd.ArrowDtype(pa.large_string())
    return None
