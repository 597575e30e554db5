"""The whitelist of functions a .kzf file may call.

This table is the only way from a name in user text to behaviour: a call to anything not
listed here (or defined as a user function in .kzf itself) is an error before any data is
read. Nothing a user writes is ever handed to Python's eval or exec.

The element-wise functions (`FUNCTIONS`: abs, ln, round, clamp, if, coalesce, ...) are each
one `Function` entry that carries everything the rest of kzf knows about the function: its
arity and argument types (engine/compile/resolve.py), unit rule (engine/checks/units.py),
interval rule and domain of definition (engine/checks/domains.py), numpy kernel
(engine/run/lower_pandas.py, and the sample points of engine/checks/symbolic.py), SQL
(engine/run/lower_sql.py) and sympy translation (engine/checks/symbolic.py). Each of those
places dispatches through the entry, so a new element-wise function is one entry in
`_FUNCTIONS` plus its tests (docs/ARCHITECTURE.md has the recipe). This module imports numpy
only: the SQL is built through the `SqlBuilder` protocol the SQL lowering implements, and the
sympy translation is handed the sympy module.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, TypeVar

import numpy as np

from kzf.engine.core.intervals import (
    ANY,
    INF,
    NONNEGATIVE,
    POSITIVE,
    Interval,
    absolute,
    clean,
    hull,
    largest,
    monotone,
    power,
    smallest,
)
from kzf.engine.core.numeric import is_missing, round_half_away, scalar_or_array, truncate


class Kind(StrEnum):
    AGGREGATE = "aggregate"  # AGG(x over D [where c])
    RANK = "rank"  # rank(x over D [where c])
    SHIFT = "shift"  # lag(x[, k]), lead(x[, k])
    TIME = "time"  # diff(x), growth(x)
    FUNCTION = "function"  # element-wise, specified by one entry of FUNCTIONS below
    TREND = "trend"  # trend(x, kind [, compat] [where c]): checked in engine/compile/models.py
    WEIGHTED = "weighted"  # amean(a: w, b: w), gmean, hmean, aggregate(method, a: w, ...)
    CHOOSE = "choose"  # choose(method, "minmax": e1, "zscore": e2): a switch over alternatives
    FILL = "fill"  # fill_previous(x), fill_next(x), interpolate(x): along time, reported
    TRANSFORM = "transform"  # fill_mean(x over d), winsorise(x over d), treat(x over d)
    HIERARCHY = "hierarchy"  # rollup(x, h), complete(x, h): totals of a `hierarchy` of codes


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
    Builtin(
        "rank",
        Kind.RANK,
        1,
        1,
        "1 = largest; ties share the lowest rank (1, 2, 2, 4); values equal to 15 significant "
        "digits tie (0.1 + 0.2 and 0.3)",
    ),
    Builtin("lag", Kind.SHIFT, 1, 2, "the value k years earlier (default 1), same entity"),
    Builtin("lead", Kind.SHIFT, 1, 2, "the value k years later (default 1), same entity"),
    Builtin("diff", Kind.TIME, 1, 1, "x - lag(x)"),
    Builtin("growth", Kind.TIME, 1, 1, "x / lag(x) - 1"),
    # here come the element-wise functions of FUNCTIONS (abs, ln, ..., if, coalesce)
    Builtin("trend", Kind.TREND, 2, 3, "a trend line along time, fitted where a condition holds"),
    # Composite indices (docs/composite.md). A missing argument gives a missing mean.
    Builtin("amean", Kind.WEIGHTED, 1, 999, "weighted arithmetic mean: amean(a: wa, b: wb)"),
    Builtin("gmean", Kind.WEIGHTED, 1, 999, "weighted geometric mean: gmean(a: wa, b: wb)"),
    Builtin("hmean", Kind.WEIGHTED, 1, 999, "weighted harmonic mean: hmean(a: wa, b: wb)"),
    Builtin(
        "power_mean",
        Kind.WEIGHTED,
        2,
        999,
        "the generalised mean (Σ w x^p / Σ w)^(1/p): power_mean(p, a: wa, b: wb)",
    ),
    Builtin(
        "bod",
        Kind.WEIGHTED,
        1,
        999,
        "bod(a, b over d): benefit of the doubt, each entity's best score under weights <= 1",
    ),
    Builtin(
        "copeland",
        Kind.WEIGHTED,
        1,
        999,
        "copeland(a: wa, b: wb over d): Copeland scores, wins minus losses against the others",
    ),
    Builtin(
        "coverage",
        Kind.WEIGHTED,
        1,
        999,
        "coverage(a: wa, b: wb, ...): the share of the weights whose value is present",
    ),
    # Over the children present, weights rescaled, where they carry at least `least` of them
    Builtin(
        "amean_available",
        Kind.WEIGHTED,
        2,
        999,
        "amean_available(least, a: wa, ...): the mean of the children present (notes KZF267)",
    ),
    Builtin(
        "gmean_available",
        Kind.WEIGHTED,
        2,
        999,
        "gmean_available(least, a: wa, ...): the geometric mean of the children present",
    ),
    Builtin(
        "hmean_available",
        Kind.WEIGHTED,
        2,
        999,
        "hmean_available(least, a: wa, ...): the harmonic mean of the children present",
    ),
    Builtin(
        "aggregate_available",
        Kind.WEIGHTED,
        3,
        999,
        "aggregate_available(method, least, a: wa, ...): aggregate() over the children present",
    ),
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
    Builtin(
        "boxcox",
        Kind.TRANSFORM,
        1,
        1,
        "boxcox(x over d): the Box-Cox transform with λ fitted by maximum likelihood per group",
    ),
    Builtin(
        "treat_coinr",
        Kind.TRANSFORM,
        1,
        2,
        "treat() with COINr's log rule, ln(x - min + 0.01·range), where winsorising is too little",
    ),
    # Totals of a hierarchy of codes (docs/validation.md); complete() reports what it fills.
    Builtin("rollup", Kind.HIERARCHY, 2, 2, "rollup(x, h): a parent's total from its children"),
    Builtin("complete", Kind.HIERARCHY, 2, 2, "complete(x, h): missing totals from children"),
]

# ---------------------------------------------------------------- element-wise functions


class Signature(StrEnum):
    """The argument types a function takes, as the resolver checks them."""

    NUMBERS = "numbers"  # every argument a number; the result a number
    IF = "if"  # a condition, then two values of one type (numbers or conditions), not text
    TEST = "test"  # one number; the result a condition that is never missing (present(x))


class UnitRule(StrEnum):
    """How engine/checks/units.py infers the unit of a call."""

    SAME_AS_ARGUMENT = "same as the argument"  # the unit of the first argument
    ALL_ARGUMENTS_SAME = "all arguments alike"  # the values share one unit (else KZF030)
    DIMENSIONLESS = "dimensionless"  # a plain number
    SQUARE_ROOT = "square root"  # the first argument's unit to the power 1/2


@dataclass(frozen=True)
class WrittenNumber:
    """A trailing argument that must be a whole number written in the file, such as round's
    digits: a setting, not data, kept in `Op.attrs` (the default when it is omitted)."""

    what: str  # how messages name it: "the digits"
    default: int
    minimum: int


Attrs = tuple[object, ...]  # an Op's constant settings (round's digits)
T = TypeVar("T")


class SqlBuilder(Protocol):
    """What a function's SQL lowering builds with; engine/run/lower_sql.py implements it.

    Values are opaque SQL expressions (sqlglot trees there), never text, so nothing is ever
    pasted into a query; each method copies the expressions it is given, so an argument may
    be used more than once."""

    def call(self, name: str, *args: Any) -> Any:
        """NAME(args...), renamed where a dialect spells it otherwise (ROUND_EVEN)."""

    def number(self, value: float) -> Any:
        """A DOUBLE literal."""

    def integer(self, value: int) -> Any:
        """An integer literal (a number of digits)."""

    def binary(self, op: str, a: Any, b: Any) -> Any:
        """An IR operator: add, sub, mul, div, lt, le, gt, ge, eq, ne, and, or."""

    def case(
        self, whens: Sequence[tuple[Any, Any]], default: Any = None, subject: Any = None
    ) -> Any:
        """CASE [subject] WHEN ... THEN ... [ELSE default] END."""

    def boolean(self, value: bool) -> Any:
        """TRUE or FALSE."""

    def is_null(self, a: Any) -> Any:
        """a IS NULL."""

    def missing(self) -> Any:
        """A missing number: CAST(NULL AS DOUBLE)."""

    def as_double(self, a: Any) -> Any:
        """CAST(a AS DOUBLE)."""


@dataclass(frozen=True)
class FunctionNote:
    """A note (or warning) a function gives on the rows where `where` holds, on every engine:
    `where(values)` is the numpy mask from the argument values, `where_sql(builder, values)`
    the same condition in SQL."""

    code: str
    message: str
    where: Callable[[list[Any]], Any]
    where_sql: Callable[[SqlBuilder, list[Any]], Any]


@dataclass(frozen=True)
class Function:
    """An element-wise builtin function, as every part of kzf sees it.

    * `min_args`, `max_args`, `signature`, `arguments`, `digits`: what a call may pass.
      `arguments` names the arguments in messages ("the lower bound"); `digits` is a
      trailing whole number written in the file, kept in `Op.attrs`.
    * `unit` (and `verb`, for "cannot clamp mln KZT and bn KZT"): the unit rule.
    * `domain(intervals, attrs)`: the interval of the result from those of the values.
    * `defined_on`: where the first argument must lie (ln: x > 0). Outside it the result is
      missing with warning KZF202 "{name}() of {outside} gave a missing value", on every
      engine; the domain check warns when it cannot prove it (KZF311 for > 0, KZF312 else).
    * `kernel(values, attrs)`: the numpy computation on whole columns (float64 arrays, or
      floats for values that do not vary; conditions as 0/1/NaN). It need not handle
      `defined_on`, and infinities it gives become missing values with warning KZF202.
    * `finite`: finite arguments always give a finite result; when not (exp), the SQL
      lowering guards the result as pandas does.
    * `sql(builder, arguments, attrs)`: the SQL, built from the arguments' SQL expressions.
      It need not handle `defined_on`. `sql_repeats`: how many times it uses its arguments,
      which the SQL lowering counts in the size of an inlined expression.
    * `notes`: what it reports, naming the rows (FunctionNote), as available() reports a
      mean over the children present.
    * `sympy(sp, arguments)`: the expression, given the sympy module and the arguments'
      expressions; None makes it a function sympy does not look inside (rounding).
      `shown_as` is the (LaTeX, text) head `kzf show` prints instead (log10 → log₁₀).
    """

    name: str
    min_args: int
    max_args: int
    summary: str
    unit: UnitRule
    domain: Callable[[list[Interval], Attrs], Interval]
    kernel: Callable[[list[Any], Attrs], Any]
    sql: Callable[[SqlBuilder, list[Any], Attrs], Any]
    sympy: Callable[[Any, list[Any]], Any] | None
    signature: Signature = Signature.NUMBERS
    arguments: tuple[str, ...] = ()
    digits: WrittenNumber | None = None
    defined_on: Interval | None = None
    outside: str = ""  # a value outside `defined_on`, in warnings: "a value <= 0"
    finite: bool = True
    sql_repeats: int = 1
    verb: str = "combine"
    shown_as: tuple[str, str] | None = None
    notes: tuple[FunctionNote, ...] = ()

    def values(self, nargs: int) -> int:
        """How many of `nargs` arguments are values (the rest: `digits`)."""
        return min(nargs, self.max_args - 1) if self.digits is not None else nargs

    def argument(self, i: int) -> str:
        """How messages name argument `i`: "the argument", "an argument", "the lower bound"."""
        if i < len(self.arguments):
            return self.arguments[i]
        return "the argument" if self.values(self.max_args) == 1 else "an argument"

    def value_arguments(self, args: Sequence[T]) -> list[T]:
        """The arguments the unit and domain rules combine: all but if's condition."""
        return list(args[1:] if self.signature is Signature.IF else args)

    def undefined(self, x: Any) -> Any:
        """Where `x` (the first argument) lies outside `defined_on`; missing values do not."""
        d = self.defined_on
        assert d is not None
        v = np.asarray(x, dtype=np.float64)
        bad = (v <= d.lo) if d.lo_open else (v < d.lo)
        if d.hi != INF:
            bad = bad | ((v >= d.hi) if d.hi_open else (v > d.hi))
        return bad & ~np.isnan(v)

    def inside_sql(self, q: SqlBuilder, x: Any) -> Any:
        """SQL that holds where `x` lies in `defined_on` (NULL where x is NULL)."""
        d = self.defined_on
        assert d is not None
        inside = q.binary("gt" if d.lo_open else "ge", x, q.number(d.lo))
        if d.hi != INF:
            inside = q.binary(
                "and", inside, q.binary("lt" if d.hi_open else "le", x, q.number(d.hi))
            )
        return inside

    def outside_sql(self, q: SqlBuilder, x: Any) -> Any:
        """SQL that holds where `x` lies outside `defined_on` (NULL where x is NULL)."""
        d = self.defined_on
        assert d is not None
        outside = q.binary("le" if d.lo_open else "lt", x, q.number(d.lo))
        if d.hi != INF:
            outside = q.binary(
                "or", outside, q.binary("ge" if d.hi_open else "gt", x, q.number(d.hi))
            )
        return outside


# ---- kernels and rules that take more than a line


def _digits(attrs: Attrs) -> int:
    digits = attrs[0] if attrs else 0
    assert isinstance(digits, int)
    return digits


def _pairwise(fn: Callable[[Any, Any], Any]) -> Callable[[list[Any], Attrs], Any]:
    def kernel(xs: list[Any], attrs: Attrs) -> Any:
        out = xs[0]
        for x in xs[1:]:
            out = fn(out, x)
        return out

    return kernel


def _if(values: list[Any], attrs: Attrs) -> Any:
    c, a, b = values  # a missing condition gives a missing value
    return scalar_or_array(
        np.where(np.asarray(is_missing(c)), np.nan, np.where(np.asarray(c) == 1, a, b))
    )


def _coalesce(values: list[Any], attrs: Attrs) -> Any:
    out = values[0]
    for x in values[1:]:
        missing = np.asarray(is_missing(out))
        if not missing.any():
            break
        out = scalar_or_array(np.where(missing, x, out))
    return out


def _present(values: list[Any], attrs: Attrs) -> Any:
    return scalar_or_array(np.where(np.asarray(is_missing(values[0])), 0.0, 1.0))


def _missing(values: list[Any], attrs: Attrs) -> Any:
    return scalar_or_array(np.where(np.asarray(is_missing(values[0])), 1.0, 0.0))


def _test_sql(missing: bool) -> Callable[[SqlBuilder, list[Any], Attrs], Any]:
    def sql(q: SqlBuilder, a: list[Any], attrs: Attrs) -> Any:
        return q.case([(q.is_null(a[0]), q.boolean(missing))], q.boolean(not missing))

    return sql


_TESTS: dict[str, Any] = {}


def _test_sympy(name: str) -> Callable[[Any, list[Any]], Any]:
    """A condition sympy combines (and, or, if) but does not look inside: one class per
    name, made when sympy is first used, so that equal calls compare equal."""

    def translate(sp: Any, a: list[Any]) -> Any:
        cls = _TESTS.get(name)
        if cls is None:
            from sympy.logic.boolalg import BooleanFunction

            cls = _TESTS.setdefault(name, type(name, (BooleanFunction,), {"eval": _no_eval}))
        return cls(a[0])

    return translate


@classmethod  # type: ignore[misc]
def _no_eval(cls: Any, *args: Any) -> None:
    return None


def _if_sql(q: SqlBuilder, a: list[Any], attrs: Attrs) -> Any:
    # CASE c WHEN TRUE ... WHEN FALSE ...: the condition once, and NULL when it is NULL
    whens = [(q.boolean(True), a[1]), (q.boolean(False), a[2])]
    return q.case(whens, subject=a[0])


def _missing_if_any(fn: str) -> Callable[[SqlBuilder, list[Any], Attrs], Any]:
    """SQL's LEAST and GREATEST skip NULLs; kzf's min and max are missing when any value is."""

    def sql(q: SqlBuilder, a: list[Any], attrs: Attrs) -> Any:
        any_null = q.is_null(a[0])
        for x in a[1:]:
            any_null = q.binary("or", any_null, q.is_null(x))
        return q.case([(any_null, q.missing())], default=q.call(fn, *a))

    return sql


def _clamp_sql(q: SqlBuilder, a: list[Any], attrs: Attrs) -> Any:
    at_least = _missing_if_any("GREATEST")(q, a[:2], attrs)
    return _missing_if_any("LEAST")(q, [at_least, a[2]], attrs)


def snapped_sql(q: SqlBuilder, value: Any) -> Any:
    """numeric.snap in SQL: `value` to 15 significant digits (half to even, as numpy's
    round), values of 1e15 and more as they are."""
    magnitude = q.call("ABS", value)
    positive = q.case([(q.binary("gt", magnitude, q.number(0.0)), magnitude)], q.number(1.0))
    exponent = q.call("FLOOR", q.call("LOG10", positive))
    decimals = q.call(
        "LEAST",
        q.call("GREATEST", q.binary("sub", q.number(14.0), exponent), q.number(0.0)),
        q.number(300.0),
    )
    factor = q.call("POWER", q.number(10.0), decimals)
    snapped_value = q.binary(
        "div", q.call("ROUND_EVEN", q.binary("mul", value, factor), q.integer(0)), factor
    )
    return q.case([(q.binary("lt", magnitude, q.number(1e15)), snapped_value)], value)


def _rounding_sql(mode: str) -> Callable[[SqlBuilder, list[Any], Attrs], Any]:
    """numeric.round_half_away and truncate in SQL: snap the scaled value to 15 significant
    digits (half to even, as numpy's round), then round half away from zero or cut."""

    def sql(q: SqlBuilder, a: list[Any], attrs: Attrs) -> Any:
        scale = q.number(10.0 ** _digits(attrs))
        scaled = q.binary("mul", a[0], scale)
        s = snapped_sql(q, scaled)
        if mode == "round":
            half_up = q.call("FLOOR", q.binary("add", q.call("ABS", s), q.number(0.5)))
            whole = q.binary("mul", q.call("SIGN", s), half_up)
        else:
            whole = q.case(
                [(q.binary("ge", s, q.number(0.0)), q.call("FLOOR", s))], q.call("CEIL", s)
            )
        already_whole = q.binary("ge", q.call("ABS", s), q.number(4503599627370496.0))  # 2^52
        return q.binary("div", q.case([(already_whole, s)], q.as_double(whole)), scale)

    return sql


def _rounded(mode: str) -> Callable[[list[Interval], Attrs], Interval]:
    def domain(rs: list[Interval], attrs: Attrs) -> Interval:
        step = 10.0 ** -_digits(attrs)
        r = rs[0]
        lo = r.lo - step if r.lo < 0 or mode == "round" else 0.0
        out = clean(lo, r.hi + step, False, False)
        return out.intersect(NONNEGATIVE) if r.lo >= 0 else out

    return domain


def _logarithm(f: Callable[[float], float]) -> Callable[[list[Interval], Attrs], Interval]:
    return lambda rs, _: monotone(rs[0].intersect(POSITIVE), lambda v: f(v) if v > 0 else -INF)


_DIGITS = WrittenNumber("the digits", default=0, minimum=-15)

# ---- the functions: one entry each (docs/language.md lists them)

_FUNCTIONS = [
    Function(
        "abs", 1, 1, "absolute value",
        unit=UnitRule.SAME_AS_ARGUMENT,
        domain=lambda rs, _: absolute(rs[0]),
        kernel=lambda v, _: np.abs(v[0]),
        sql=lambda q, a, _: q.call("ABS", a[0]),
        sympy=lambda sp, a: sp.Abs(a[0]),
    ),
    Function(
        "ln", 1, 1, "natural logarithm; missing for x <= 0",
        unit=UnitRule.DIMENSIONLESS,
        domain=_logarithm(math.log),
        defined_on=POSITIVE, outside="a value <= 0",
        kernel=lambda v, _: np.log(v[0]),
        sql=lambda q, a, _: q.call("LN", a[0]),
        sympy=lambda sp, a: sp.log(a[0]),
    ),
    Function(
        "log10", 1, 1, "base-10 logarithm; missing for x <= 0",
        unit=UnitRule.DIMENSIONLESS,
        domain=_logarithm(math.log10),
        defined_on=POSITIVE, outside="a value <= 0",
        kernel=lambda v, _: np.log10(v[0]),
        sql=lambda q, a, _: q.call("LOG10", a[0]),
        sympy=lambda sp, a: sp.log(a[0]) / sp.log(10),
        shown_as=(r"\log_{10}", "log₁₀"),
    ),
    Function(
        "exp", 1, 1, "e to the power x",
        unit=UnitRule.DIMENSIONLESS,
        domain=lambda rs, _: monotone(rs[0], math.exp, 0.0).intersect(POSITIVE),
        kernel=lambda v, _: np.exp(v[0]),
        finite=False,
        sql=lambda q, a, _: q.call("EXP", a[0]),
        sympy=lambda sp, a: sp.exp(a[0]),
    ),
    Function(
        "sqrt", 1, 1, "square root; missing for x < 0",
        unit=UnitRule.SQUARE_ROOT,
        domain=lambda rs, _: power(rs[0], 0.5),
        defined_on=NONNEGATIVE, outside="a negative value",
        kernel=lambda v, _: np.sqrt(v[0]),
        sql=lambda q, a, _: q.call("SQRT", a[0]),
        sympy=lambda sp, a: sp.sqrt(a[0]),
    ),
    Function(
        "round", 1, 2, "round half away from zero to d decimals",
        digits=_DIGITS,
        unit=UnitRule.SAME_AS_ARGUMENT,
        domain=_rounded("round"),
        kernel=lambda v, attrs: round_half_away(v[0], _digits(attrs)),
        finite=False, sql=_rounding_sql("round"), sql_repeats=9,
        sympy=None,
    ),
    Function(
        "trunc", 1, 2, "truncate toward zero to d decimals",
        digits=_DIGITS,
        unit=UnitRule.SAME_AS_ARGUMENT,
        domain=_rounded("trunc"),
        kernel=lambda v, attrs: truncate(v[0], _digits(attrs)),
        finite=False, sql=_rounding_sql("trunc"), sql_repeats=9,
        sympy=None,
    ),
    Function(
        "clamp", 3, 3, "clamp(x, lo, hi): x limited to [lo, hi]",
        arguments=("the argument", "the lower bound", "the upper bound"),
        unit=UnitRule.ALL_ARGUMENTS_SAME, verb="clamp",
        domain=lambda rs, _: smallest([largest([rs[0], rs[1]]), rs[2]]),
        kernel=lambda v, _: np.minimum(np.maximum(v[0], v[1]), v[2]),
        sql=_clamp_sql, sql_repeats=4,
        sympy=lambda sp, a: sp.Min(sp.Max(a[0], a[1]), a[2]),
    ),
    Function(
        "if", 3, 3, "if(condition, then, else)",
        signature=Signature.IF,
        unit=UnitRule.ALL_ARGUMENTS_SAME, verb="choose between",
        domain=lambda rs, _: hull(rs[1], rs[2]),
        kernel=_if,
        sql=_if_sql,
        sympy=lambda sp, a: sp.Piecewise((a[1], a[0]), (a[2], True)),
    ),
    # min and max of one argument are aggregates (min(x over entity)); of several, these
    Function(
        "min", 2, 99, "the smallest of its arguments; missing when any is",
        unit=UnitRule.ALL_ARGUMENTS_SAME, verb="take the smallest of",
        domain=lambda rs, _: smallest(rs),
        kernel=_pairwise(np.minimum),
        sql=_missing_if_any("LEAST"), sql_repeats=2,
        sympy=lambda sp, a: sp.Min(*a),
    ),
    Function(
        "max", 2, 99, "the largest of its arguments; missing when any is",
        unit=UnitRule.ALL_ARGUMENTS_SAME, verb="take the largest of",
        domain=lambda rs, _: largest(rs),
        kernel=_pairwise(np.maximum),
        sql=_missing_if_any("GREATEST"), sql_repeats=2,
        sympy=lambda sp, a: sp.Max(*a),
    ),
    Function(
        "present", 1, 1, "present(x): x has a value on this row (a condition, never missing)",
        signature=Signature.TEST,
        unit=UnitRule.DIMENSIONLESS,
        domain=lambda rs, _: ANY,
        kernel=_present,
        sql=_test_sql(missing=False),
        sympy=_test_sympy("present"),
    ),
    Function(
        "missing", 1, 1, "missing(x): x has no value on this row (a condition, never missing)",
        signature=Signature.TEST,
        unit=UnitRule.DIMENSIONLESS,
        domain=lambda rs, _: ANY,
        kernel=_missing,
        sql=_test_sql(missing=True),
        sympy=_test_sympy("missing"),
    ),
    Function(
        "coalesce", 2, 99, "coalesce(a, b, ...): the first of its arguments that is not missing",
        unit=UnitRule.ALL_ARGUMENTS_SAME, verb="coalesce",
        domain=lambda rs, _: hull(*rs),
        kernel=_coalesce,
        sql=lambda q, a, _: q.call("COALESCE", *a),
        sympy=None,
    ),
]  # fmt: skip


def _available(values: list[Any], attrs: Attrs) -> Any:
    value, share, least = (np.asarray(v, dtype=np.float64) for v in values)
    return scalar_or_array(np.where((share >= least) & (share > 0), value, np.nan))


def _available_sql(q: SqlBuilder, a: list[Any], attrs: Attrs) -> Any:
    enough = q.binary("and", q.binary("ge", a[1], a[2]), q.binary("gt", a[1], q.number(0.0)))
    return q.case([(enough, a[0])], q.missing())


def _rescaled(values: list[Any]) -> Any:
    value, share, least = (np.asarray(v, dtype=np.float64) for v in values)
    return (share < 1) & (share >= least) & (share > 0) & ~np.isnan(value)


def _present_sql(q: SqlBuilder, x: Any) -> Any:
    """present(x) in SQL: a condition, never missing (the `present` function's own SQL)."""
    return _test_sql(missing=False)(q, [x], ())


def _rescaled_sql(q: SqlBuilder, a: list[Any]) -> Any:
    partial = q.binary("and", q.binary("lt", a[1], q.number(1.0)), q.binary("ge", a[1], a[2]))
    present = q.binary("and", q.binary("gt", a[1], q.number(0.0)), _present_sql(q, a[0]))
    return q.binary("and", partial, present)


def _short_of_data(values: list[Any]) -> Any:
    _, share, least = (np.asarray(v, dtype=np.float64) for v in values)
    return (share < least) | (share == 0)


def _short_of_data_sql(q: SqlBuilder, a: list[Any]) -> Any:
    return q.binary("or", q.binary("lt", a[1], a[2]), q.binary("eq", a[1], q.number(0.0)))


# amean_available() and its kin (engine/compile/weighted.py) end in available(mean, share,
# least): the mean of the children present, kept where their weights' share of the total is
# at least `least`, and a note naming the rows where children were missing (COINr's default
# aggregation, with its data availability threshold).
AVAILABLE = Function(
    "available", 3, 3,
    "available(mean, share, least): the mean where the share of weights present is at least least",
    arguments=("the mean", "the share of weights present", "the least share"),
    unit=UnitRule.SAME_AS_ARGUMENT,
    domain=lambda rs, _: rs[0],
    kernel=_available,
    sql=_available_sql, sql_repeats=2,
    sympy=None,
    notes=(
        FunctionNote(
            "KZF267",
            "a mean over the children present, their weights rescaled to them, where some "
            "children are missing",
            _rescaled,
            _rescaled_sql,
        ),
        FunctionNote(
            "KZF268",
            "no mean where the children present carry less than the least share of the weights",
            _short_of_data,
            _short_of_data_sql,
        ),
    ),
)  # fmt: skip
_FUNCTIONS.append(AVAILABLE)


def _screened_out(values: list[Any]) -> Any:
    value, share, least = (np.asarray(v, dtype=np.float64) for v in values)
    return (share < least) & ~np.isnan(value)


def _screened_out_sql(q: SqlBuilder, a: list[Any]) -> Any:
    return q.binary("and", q.binary("lt", a[1], a[2]), _present_sql(q, a[0]))


def _screen(values: list[Any], attrs: Attrs) -> Any:
    value, share, least = (np.asarray(v, dtype=np.float64) for v in values)
    return scalar_or_array(np.where(share >= least, value, np.nan))


def _screen_sql(q: SqlBuilder, a: list[Any], attrs: Attrs) -> Any:
    return q.case([(q.binary("ge", a[1], a[2]), a[0])], q.missing())


# screen(index, coverage(a, b, ...), 0.9): COINr's Screen(), a unit kept only where enough of
# its data is there, with a note naming the rows it leaves out
SCREEN = Function(
    "screen", 3, 3,
    "screen(x, share, least): x where share (e.g. coverage(...)) is at least least, else missing",
    arguments=("the value", "the share of data present", "the least share"),
    unit=UnitRule.SAME_AS_ARGUMENT,
    domain=lambda rs, _: rs[0],
    kernel=_screen,
    sql=_screen_sql, sql_repeats=2,
    sympy=None,
    notes=(
        FunctionNote(
            "KZF269",
            "screened out: less of the data is present than the least share asked for",
            _screened_out,
            _screened_out_sql,
        ),
    ),
)  # fmt: skip
_FUNCTIONS.append(SCREEN)

FUNCTIONS: dict[str, Function] = {f.name: f for f in _FUNCTIONS}


def argument_words() -> list[str]:
    """Every name messages give an argument of a function (`Function.argument`: "the lower
    bound") or a number written in the file (`WrittenNumber.what`: "the digits"): phrases
    said in the language of the message that names them (dsl/locale)."""
    words = {"the argument", "an argument"}
    for function in FUNCTIONS.values():
        words.update(function.arguments)
        if function.digits is not None:
            words.add(function.digits.what)
    return sorted(words)


# Each function is also a builtin, listed after the functions along time; a name that is
# already an aggregate (min, max) is that aggregate's element-wise form, with several arguments.
_AT = next(i for i, b in enumerate(_TABLE) if b.name == "growth") + 1
_TABLE[_AT:_AT] = [
    Builtin(f.name, Kind.FUNCTION, f.min_args, f.max_args, f.summary)
    for f in _FUNCTIONS
    if f.name not in {b.name for b in _TABLE}
]

BUILTINS: dict[str, Builtin] = {b.name: b for b in _TABLE}
