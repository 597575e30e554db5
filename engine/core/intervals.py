"""Interval arithmetic on possible values: what the domain check (engine/checks/domains.py)
computes for every value, and what each builtin function's domain rule (engine/core/builtins.py)
is written in. Open and closed ends; `nonzero` records a `!= 0` an interval cannot express.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

INF = math.inf


@dataclass(frozen=True)
class Interval:
    """An interval of possible values; `nonzero` records a `!= 0` it cannot express."""

    lo: float = -INF
    hi: float = INF
    lo_open: bool = True
    hi_open: bool = True
    nonzero: bool = False

    @staticmethod
    def point(v: float) -> Interval:
        return Interval(v, v, False, False, v != 0)

    def has_zero(self) -> bool:
        if self.nonzero:
            return False
        above = self.lo > 0 or (self.lo == 0 and self.lo_open)
        below = self.hi < 0 or (self.hi == 0 and self.hi_open)
        return not (above or below)

    def positive(self) -> bool:
        return self.lo > 0 or (self.lo == 0 and self.lo_open)

    def nonnegative(self) -> bool:
        return self.lo >= 0

    def intersect(self, other: Interval) -> Interval:
        if (other.lo, other.lo_open) > (self.lo, self.lo_open):
            lo, lo_open = other.lo, other.lo_open
        else:
            lo, lo_open = self.lo, self.lo_open
        if (other.hi, not other.hi_open) < (self.hi, not self.hi_open):
            hi, hi_open = other.hi, other.hi_open
        else:
            hi, hi_open = self.hi, self.hi_open
        if lo > hi:  # contradictory conditions: keep the narrower-looking original
            return self
        return Interval(lo, hi, lo_open, hi_open, self.nonzero or other.nonzero)

    def describe(self) -> str:
        if self.lo == -INF and self.hi == INF:
            return "any value"
        left = "(" if self.lo_open else "["
        right = ")" if self.hi_open else "]"
        return f"{left}{_fmt(self.lo)}, {_fmt(self.hi)}{right}"


ANY = Interval()
POSITIVE = Interval(0.0, INF, True, True)
NONNEGATIVE = Interval(0.0, INF, False, True)


def _fmt(v: float) -> str:
    if v == INF:
        return "∞"
    if v == -INF:
        return "-∞"
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else f"{v:g}"


def hull(*rs: Interval) -> Interval:
    lo = min(rs, key=lambda r: (r.lo, r.lo_open))
    hi = max(rs, key=lambda r: (r.hi, not r.hi_open))
    return Interval(lo.lo, hi.hi, lo.lo_open, hi.hi_open, all(r.nonzero for r in rs))


def clean(lo: float, hi: float, lo_open: bool, hi_open: bool, nonzero: bool = False) -> Interval:
    if math.isnan(lo) or math.isnan(hi) or lo > hi:
        return ANY
    if lo == -INF:
        lo_open = True
    if hi == INF:
        hi_open = True
    return Interval(lo, hi, lo_open, hi_open, nonzero)


def add(a: Interval, b: Interval) -> Interval:
    return clean(a.lo + b.lo, a.hi + b.hi, a.lo_open or b.lo_open, a.hi_open or b.hi_open)


def negate(a: Interval) -> Interval:
    return Interval(-a.hi, -a.lo, a.hi_open, a.lo_open, a.nonzero)


def multiply(a: Interval, b: Interval) -> Interval:
    cands: list[tuple[float, bool]] = []
    for x, xo in ((a.lo, a.lo_open), (a.hi, a.hi_open)):
        for y, yo in ((b.lo, b.lo_open), (b.hi, b.hi_open)):
            if (x == 0 and not xo) or (y == 0 and not yo):
                cands.append((0.0, False))
            elif (x == 0 and math.isinf(y)) or (y == 0 and math.isinf(x)):
                sign = (1 if x >= 0 else -1) * (1 if y >= 0 else -1)
                cands.extend([(0.0, True), (sign * INF, True)])
            else:
                cands.append((x * y, xo or yo))
    lo = min(cands, key=lambda c: (c[0], c[1]))
    hi = max(cands, key=lambda c: (c[0], not c[1]))
    return clean(lo[0], hi[0], lo[1], hi[1], a.nonzero and b.nonzero)


def smallest(rs: list[Interval]) -> Interval:
    low = min(rs, key=lambda r: (r.lo, r.lo_open))
    high = min(rs, key=lambda r: (r.hi, not r.hi_open))
    return clean(low.lo, high.hi, low.lo_open, high.hi_open)


def largest(rs: list[Interval]) -> Interval:
    low = max(rs, key=lambda r: (r.lo, r.lo_open))
    high = max(rs, key=lambda r: (r.hi, not r.hi_open))
    return clean(low.lo, high.hi, low.lo_open, high.hi_open)


def reciprocal(b: Interval) -> Interval:
    if b.has_zero() and not b.nonzero:
        return ANY
    if b.lo < 0 < b.hi or (b.nonzero and b.lo <= 0 <= b.hi):
        return Interval(nonzero=True)

    def inv(v: float) -> float:
        if v == 0:
            return INF if b.lo >= 0 else -INF
        return 0.0 if math.isinf(v) else 1 / v

    return clean(inv(b.hi), inv(b.lo), b.hi_open or b.hi == INF, b.lo_open, True)


def absolute(a: Interval) -> Interval:
    if a.lo >= 0:
        return a
    if a.hi <= 0:
        return negate(a)
    top = max((-a.lo, a.lo_open), (a.hi, a.hi_open), key=lambda c: (c[0], not c[1]))
    return clean(0.0, top[0], False, top[1])


def power(a: Interval, k: float) -> Interval:
    if k == 0:
        return Interval.point(1.0)
    if float(k).is_integer():
        n = int(k)
        if n < 0:
            return reciprocal(power(a, -n))
        if n % 2 == 0:
            m = absolute(a)
            return clean(_safe_pow(m.lo, n), _safe_pow(m.hi, n), m.lo_open, m.hi_open, m.positive())
        return clean(-_safe_pow(-a.lo, n), _safe_pow(a.hi, n), a.lo_open, a.hi_open, a.nonzero)
    base = a.intersect(Interval(0.0, INF, False, True))
    if k < 0:
        return reciprocal(power(base, -k))
    return clean(_safe_pow(base.lo, k), _safe_pow(base.hi, k), base.lo_open, base.hi_open)


def _safe_pow(x: float, k: float) -> float:
    try:
        return math.copysign(abs(x) ** k, x) if x < 0 else x**k
    except OverflowError:
        return INF if x > 0 else -INF


def monotone(a: Interval, f: Callable[[float], float], lo_default: float = -INF) -> Interval:
    """The image of `a` under an increasing function."""

    def ap(v: float) -> float:
        try:
            return f(v)
        except (OverflowError, ValueError):
            return INF if v > 0 else lo_default

    return clean(ap(a.lo), ap(a.hi), a.lo_open, a.hi_open)
