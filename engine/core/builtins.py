"""The whitelist of functions a .kzf file may call.

This table is the only way from a name in user text to behaviour: a call to anything not
listed here (or defined as a user function in .kzf itself) is an error before any data is
read. Nothing a user writes is ever handed to Python's eval or exec.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    AGGREGATE = "aggregate"  # AGG(x over D [where c])
    RANK = "rank"  # rank(x over D [where c])
    SHIFT = "shift"  # lag(x[, k]), lead(x[, k])
    TIME = "time"  # diff(x), growth(x)
    MATH = "math"  # abs, ln, log10, exp, sqrt
    ROUNDING = "rounding"  # round(x[, d]), trunc(x[, d])
    CLAMP = "clamp"
    IF = "if"
    TREND = "trend"  # trend(x, kind [, compat] [where c]): checked in engine/compile/models.py
    WEIGHTED = "weighted"  # amean(a: w, b: w), gmean, hmean, aggregate(method, a: w, ...)
    CHOOSE = "choose"  # choose(method, "minmax": e1, "zscore": e2): a switch over alternatives
    FILL = "fill"  # fill_previous(x), fill_next(x), interpolate(x): along time, reported
    TRANSFORM = "transform"  # fill_mean(x over d), winsorise(x over d), treat(x over d)


@dataclass(frozen=True)
class Builtin:
    name: str
    kind: Kind
    min_args: int
    max_args: int
    summary: str


_TABLE = [
    Builtin("sum", Kind.AGGREGATE, 1, 1, "sum across a dimension; missing values are skipped"),
    Builtin("mean", Kind.AGGREGATE, 1, 1, "arithmetic mean across a dimension"),
    Builtin("min", Kind.AGGREGATE, 1, 99, "smallest value across a dimension, or of its arguments"),
    Builtin("max", Kind.AGGREGATE, 1, 99, "largest value across a dimension, or of its arguments"),
    Builtin("count", Kind.AGGREGATE, 1, 1, "number of non-missing values across a dimension"),
    Builtin("median", Kind.AGGREGATE, 1, 1, "median across a dimension"),
    Builtin("std", Kind.AGGREGATE, 1, 1, "sample standard deviation (ddof = 1)"),
    Builtin("var", Kind.AGGREGATE, 1, 1, "sample variance (ddof = 1)"),
    Builtin("skew", Kind.AGGREGATE, 1, 1, "sample skewness (as Excel's SKEW; needs 3 values)"),
    Builtin("kurt", Kind.AGGREGATE, 1, 1, "sample excess kurtosis (as Excel's KURT; needs 4)"),
    Builtin("first", Kind.AGGREGATE, 1, 1, "first non-missing value in dimension order"),
    Builtin("last", Kind.AGGREGATE, 1, 1, "last non-missing value in dimension order"),
    Builtin("rank", Kind.RANK, 1, 1, "1 = largest; ties share the lowest rank (1, 2, 2, 4)"),
    Builtin("lag", Kind.SHIFT, 1, 2, "the value k years earlier (default 1), same entity"),
    Builtin("lead", Kind.SHIFT, 1, 2, "the value k years later (default 1), same entity"),
    Builtin("diff", Kind.TIME, 1, 1, "x - lag(x)"),
    Builtin("growth", Kind.TIME, 1, 1, "x / lag(x) - 1"),
    Builtin("abs", Kind.MATH, 1, 1, "absolute value"),
    Builtin("ln", Kind.MATH, 1, 1, "natural logarithm; missing for x <= 0"),
    Builtin("log10", Kind.MATH, 1, 1, "base-10 logarithm; missing for x <= 0"),
    Builtin("exp", Kind.MATH, 1, 1, "e to the power x"),
    Builtin("sqrt", Kind.MATH, 1, 1, "square root; missing for x < 0"),
    Builtin("round", Kind.ROUNDING, 1, 2, "round half away from zero to d decimals"),
    Builtin("trunc", Kind.ROUNDING, 1, 2, "truncate toward zero to d decimals"),
    Builtin("clamp", Kind.CLAMP, 3, 3, "clamp(x, lo, hi): x limited to [lo, hi]"),
    Builtin("if", Kind.IF, 3, 3, "if(condition, then, else)"),
    Builtin("trend", Kind.TREND, 2, 3, "a trend line along time, fitted where a condition holds"),
    # Composite indices (docs/composite.md). A missing argument gives a missing mean.
    Builtin("amean", Kind.WEIGHTED, 1, 999, "weighted arithmetic mean: amean(a: wa, b: wb)"),
    Builtin("gmean", Kind.WEIGHTED, 1, 999, "weighted geometric mean: gmean(a: wa, b: wb)"),
    Builtin("hmean", Kind.WEIGHTED, 1, 999, "weighted harmonic mean: hmean(a: wa, b: wb)"),
    Builtin(
        "aggregate",
        Kind.WEIGHTED,
        2,
        999,
        'aggregate(method, a: wa, ...): method "arithmetic", "geometric" or "harmonic"',
    ),
    Builtin(
        "choose",
        Kind.CHOOSE,
        2,
        999,
        'choose(method, "a": value_a, "b": value_b): the value named by a text',
    ),
    # Imputation and outlier treatment: each reports the values it changed (KZF260-KZF262).
    Builtin("fill_previous", Kind.FILL, 1, 1, "a missing value from the latest earlier year"),
    Builtin("fill_next", Kind.FILL, 1, 1, "a missing value from the earliest later year"),
    Builtin("interpolate", Kind.FILL, 1, 1, "linear interpolation between observed years"),
    Builtin("fill_mean", Kind.TRANSFORM, 1, 1, "a missing value by the mean across a dimension"),
    Builtin("fill_median", Kind.TRANSFORM, 1, 1, "a missing value by the median across it"),
    Builtin("winsorise", Kind.TRANSFORM, 1, 2, "winsorise(x[, max points] over d): outliers"),
    Builtin(
        "treat", Kind.TRANSFORM, 1, 2, "winsorise, or a log transform where that is too little"
    ),
]

BUILTINS: dict[str, Builtin] = {b.name: b for b in _TABLE}
