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
