"""What "the same results" means across engines: the same rows, the same missing values, and
values equal to 15 significant digits (|a - b| <= 1e-15 * max(|a|, |b|)), or to 1e-12
relative where the engine folds sums in its own order."""

from __future__ import annotations

import numpy as np
import pandas as pd

RTOL = 1e-15
# DuckDB reading a file itself has no row order: sums fold in its order (issue 16)
NATIVE_RTOL = 1e-12


def as_float(column: pd.Series) -> np.ndarray:
    """Numbers as they are; conditions (nullable booleans) as 1.0 / 0.0 / NaN."""
    if column.dtype == object or isinstance(column.dtype, pd.StringDtype):
        raise TypeError("not a value column")
    return column.astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)


def assert_same_frames(
    got: pd.DataFrame,
    want: pd.DataFrame,
    dims: tuple[str, ...],
    what: str,
    rtol: float = RTOL,
) -> None:
    assert list(got.columns) == list(want.columns), what
    assert len(got) == len(want), what
    for d in dims:
        assert got[d].astype(str).tolist() == want[d].astype(str).tolist(), f"{what}: dim {d}"
    for column in got.columns:
        if column in dims:
            continue
        g, w = as_float(got[column]), as_float(want[column])
        same_missing = np.isnan(g) == np.isnan(w)
        scale = np.fmax(np.abs(g), np.abs(w))
        close = (np.abs(g - w) <= rtol * scale) | (np.isnan(g) & np.isnan(w))
        bad = ~(same_missing & close)
        if bad.any():
            rows = want[list(dims)][bad].assign(got=g[bad], want=w[bad])
            raise AssertionError(f"{what}: column {column} differs\n{rows.to_string()}")


def warning_texts(diagnostics: list) -> list[str]:
    return [f"{d.code} {d.message} {d.notes}" for d in diagnostics]


# ---------------------------------------------------------------- the EGDI chain at scale

# The EGDI chain of benchmarks/, for the runs on data larger than an engine's memory
# (tests/engines/test_native.py under a memory cap, test_spark_cluster.py), and the same
# computation written by hand in DuckDB SQL, against which their files are checked.
EGDI = """input osi, tii, hci
minmax(x) = (x - min(x over entity)) / (max(x over entity) - min(x over entity))
egdi = (minmax(osi) + minmax(tii) + minmax(hci)) / 3
"""
HAND_WRITTEN_EGDI = """
WITH d AS (SELECT * FROM read_parquet('{data}')),
r AS (SELECT entity, year,
  min(osi) OVER w AS o0, max(osi) OVER w AS o1, min(tii) OVER w AS t0, max(tii) OVER w AS t1,
  min(hci) OVER w AS h0, max(hci) OVER w AS h1, osi, tii, hci
  FROM d WINDOW w AS (PARTITION BY year))
SELECT entity, year, ((osi - o0) / (o1 - o0) + (tii - t0) / (t1 - t0) + (hci - h0) / (h1 - h0)) / 3
  AS egdi FROM r
"""


def write_egdi_panel(path, rows: int) -> None:
    """`rows` rows of entity × 20 years with three inputs in [0, 1], written by DuckDB (never
    held in this process): 24.5 bytes a row in Parquet, 40 in float64 and keys."""
    import duckdb

    duckdb.connect().execute(
        f"""COPY (SELECT 'E' || lpad(CAST(i // 20 AS VARCHAR), 7, '0') AS entity,
              2005 + i % 20 AS year,
              hash(i, 1) / 18446744073709551615.0 AS osi,
              hash(i, 2) / 18446744073709551615.0 AS tii,
              hash(i, 3) / 18446744073709551615.0 AS hci
            FROM range({rows}) t(i)) TO '{path}' (FORMAT parquet)"""
    )


def egdi_mismatches(data, out) -> tuple[int, int, int]:
    """(rows of the hand-written query, of them missing from `out`, of them off by more than
    1e-12 relative): (rows, 0, 0) when kzf's file holds the hand-written result."""
    import duckdb

    want = HAND_WRITTEN_EGDI.format(data=data)
    found = (
        duckdb.connect()
        .execute(
            f"""SELECT count(*) AS n,
                   count(*) FILTER (WHERE k.egdi IS NULL) AS lost,
                   count(*) FILTER (WHERE abs(k.egdi - h.egdi) > 1e-12 * abs(h.egdi)) AS off
            FROM ({want}) h LEFT JOIN read_parquet('{out}') k USING (entity, year)"""
        )
        .fetchone()
    )
    assert found is not None
    return int(found[0]), int(found[1]), int(found[2])
