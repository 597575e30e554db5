"""Rounding as published tables need it.

Binary floating point stores 1502.9 × 147.35 as 221452.31499999997, so a naive half-away
rounding to 2 decimals gives 221452.31 where the table (and decimal arithmetic) says
221452.32. Both functions therefore first snap the scaled value to 15 significant digits
(float64 carries 15.95), which removes representation noise without changing any value that
was really computed to more digits, and only then round half away from zero or truncate.
"""

from __future__ import annotations

from typing import Any

import numpy as np

SIGNIFICANT_DIGITS = 15


def snap(scaled: np.ndarray) -> np.ndarray:
    """Values snapped to 15 significant digits (0.1 + 0.2 → 0.3), which removes binary
    representation noise: what rounding starts from, and what ranks compare (two values
    equal to 15 significant digits tie). Values of 1e15 and more, NaN and ±inf stay as they
    are. builtins.snapped_sql is the same in SQL."""
    magnitude = np.abs(scaled)
    with np.errstate(divide="ignore", invalid="ignore"):
        exponent = np.floor(np.log10(np.where(magnitude > 0, magnitude, 1.0)))
    # Keep 15 significant digits; values of 1e15 and more have no fraction left to fix.
    decimals = np.clip(SIGNIFICANT_DIGITS - 1 - exponent, 0, 300)
    factor = np.power(10.0, decimals)
    return np.where(magnitude < 1e15, np.round(scaled * factor) / factor, scaled)


def _apply(x: Any, digits: int, mode: str) -> Any:
    arr = np.asarray(x, dtype=np.float64)
    scale = 10.0**digits
    scaled = snap(arr * scale)
    if mode == "round":
        rounded = np.sign(scaled) * np.floor(np.abs(scaled) + 0.5)
    else:
        rounded = np.trunc(scaled)
    out = rounded / scale
    # Beyond 2^52 at this scale a float has no fraction left: the value is already rounded
    # (and x * 10^d may even overflow, which must not turn a large value into a missing one).
    whole = ~np.isfinite(scaled) | (np.abs(scaled) >= 2.0**52)
    out = np.where(np.isfinite(arr) & ~whole, out, arr)
    return float(out) if out.ndim == 0 else out


def round_half_away(x: Any, digits: int = 0) -> Any:
    """Round to `digits` decimals, halves away from zero (2.5 → 3, -2.5 → -3)."""
    return _apply(x, digits, "round")


def truncate(x: Any, digits: int = 0) -> Any:
    """Cut to `digits` decimals toward zero (8.4608 → 8.4, -86.054 → -86.0)."""
    return _apply(x, digits, "trunc")


def is_missing(x: Any) -> Any:
    """Where a value (a float64 column, or one float) is missing: NaN is kzf's missing."""
    return np.isnan(x) if isinstance(x, np.ndarray) else (x != x)


def scalar_or_array(x: np.ndarray) -> Any:
    """A 0-d result as a float, so that values that do not vary stay one number."""
    return float(x) if x.ndim == 0 else x


def infinite_mask(values: np.ndarray) -> np.ndarray | None:
    """Where `values` is ±inf, or None when nowhere. A float sum is finite only when no
    element is infinite or NaN, so one pass with no temporary array settles the usual case;
    the element-wise test runs only when the sum is not finite (a NaN, an inf, or finite
    values whose sum overflows)."""
    if values.dtype.kind != "f" or values.size == 0:
        return None
    if np.isfinite(values.sum()):
        return None
    inf = np.isinf(values)
    return inf if inf.any() else None
