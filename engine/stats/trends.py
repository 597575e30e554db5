"""Trend lines along time, as spreadsheet charts define them, tied to real years.

`trend(x, KIND [, compat] [over year] [where COND])` fits `x` against the time index on the
rows where COND holds (and `x` is present), separately for each entity, and gives the fitted
value on every row of the panel, future years included. The time index is the spreadsheet's:
x = 1 in the first year of the fit's range (the entity's first row that COND keeps, even when
its value is missing, as a chart's axis starts at its first category), x = year - first year
+ 1 after that, so that the value in 2026 is the curve at 2026. The kinds are those of a
chart trend line:

| kind | curve | fitted as |
|---|---|---|
| `linear` | a + b·x | OLS of y on x |
| `quadratic`, `cubic`, `poly(d)` | a + b·x + c·x² … (d from 1 to 6) | OLS of y on x … x^d |
| `exponential` | a·e^(b·x) | OLS of ln y on x (y > 0) |
| `power` | a·x^b | OLS of ln y on ln x (y > 0) |
| `logarithmic` | a + b·ln x | OLS of y on ln x |

`compat` reproduces what a reader of a chart does: the coefficients are rounded as a chart
label shows them (at most 4 decimals and at most 5 significant digits), and the curve's value
at x is written against the year of x + 1, i.e. one year late: the seed dissertation labelled
the values at x = 22..26 (2021..2025) as 2022..2026.

Prediction intervals (used by `forecast` for the predictors' bounds) are the OLS prediction
intervals of the linearised fit; for `exponential` and `power` they are computed for ln y and
transformed back, so they are not symmetric about the curve.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from kzf.engine.core.ir import Trend, describe_kind

# scipy and statsmodels (through kzf.engine.stats.regression) load only when a trend is fitted: they
# take longer to import than the rest of kzf.


def chart_label_round(value: float) -> float:
    """A coefficient as a chart trend-line label shows it: at most 4 decimals and at most 5
    significant digits (inferred from the ten coefficients the seed used; Excel's own rule
    depends on the label's width)."""
    if value == 0 or not math.isfinite(value):
        return value
    integer_digits = int(math.floor(math.log10(abs(value)))) + 1
    decimals = min(4, 5 - integer_digits)
    return float(round(value, decimals))


@dataclass(frozen=True)
class TrendFit:
    """One fitted trend: its coefficients (in the curve's own terms) and what the intervals need."""

    kind: str
    degree: int
    compat: bool
    origin: int  # the year where x = 1
    coefficients: tuple[float, ...]  # poly: a, b, c…; exponential/power: a, b; log: a, b
    n: int
    r2: float
    se: float  # residual standard error of the linearised fit
    df_resid: int
    unscaled_cov: np.ndarray
    first_year: int
    last_year: int

    def index(self, years: np.ndarray) -> np.ndarray:
        """The spreadsheet's x for each year; in compat mode one year behind the label."""
        x = np.asarray(years, dtype=np.float64) - self.origin + 1
        return x - 1 if self.compat else x

    def _regressors(self, x: np.ndarray) -> np.ndarray:
        if self.kind == "poly":
            return np.column_stack([x**k for k in range(0, self.degree + 1)])
        if self.kind == "exponential":
            return np.column_stack([np.ones_like(x), x])
        with np.errstate(all="ignore"):
            lx = np.where(x > 0, np.log(np.where(x > 0, x, 1.0)), np.nan)
        return np.column_stack([np.ones_like(x), lx])

    def value(self, years: np.ndarray) -> np.ndarray:
        x = self.index(years)
        c = self.coefficients
        with np.errstate(all="ignore"):
            if self.kind == "poly":
                return np.asarray(sum(c[k] * x**k for k in range(len(c))), dtype=np.float64)
            if self.kind == "exponential":
                return np.asarray(c[0] * np.exp(c[1] * x))
            if self.kind == "power":
                return np.where(x > 0, c[0] * np.power(np.where(x > 0, x, 1.0), c[1]), np.nan)
            return np.where(x > 0, c[0] + c[1] * np.log(np.where(x > 0, x, 1.0)), np.nan)

    def interval(self, years: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
        """The `level` prediction interval of a new observation in each year."""
        from scipy import stats

        x = self.index(years)
        z = self._regressors(x)
        h = np.einsum("ij,jk,ik->i", z, self.unscaled_cov, z)
        t = float(stats.t.ppf(0.5 + level / 2, self.df_resid)) if self.df_resid > 0 else math.nan
        half = t * self.se * np.sqrt(1 + h)
        centre = self.value(years)
        if self.kind in ("exponential", "power"):
            with np.errstate(all="ignore"):
                log_centre = np.log(centre)
            return np.exp(log_centre - half), np.exp(log_centre + half)
        return centre - half, centre + half

    def equation(self) -> str:
        c = [_fmt(v) for v in self.coefficients]
        if self.kind == "poly":
            parts = []
            for k in range(len(c) - 1, -1, -1):
                term = c[k] + ("" if k == 0 else "·x" if k == 1 else f"·x^{k}")
                parts.append(term)
            return "y = " + " + ".join(parts).replace("+ -", "- ")
        if self.kind == "exponential":
            return f"y = {c[0]}·e^({c[1]}·x)"
        if self.kind == "power":
            return f"y = {c[0]}·x^{c[1]}"
        return f"y = {c[0]} + {c[1]}·ln(x)".replace("+ -", "- ")

    def method(self, level: float) -> str:
        what = describe_kind(self.kind, self.degree)
        where = f"fitted on {self.first_year}-{self.last_year}, x = 1 in {self.origin}"
        if self.compat:
            return f"as published: {what} trend, {where}, chart-label coefficients, one year late"
        log = " (log scale)" if self.kind in ("exponential", "power") else ""
        return f"{what} trend, {where}; {level:.0%} prediction interval{log}"


def _fmt(v: float) -> str:
    return f"{v:.10g}"


def fit_trend(
    kind: str,
    degree: int,
    compat: bool,
    years: np.ndarray,
    values: np.ndarray,
    origin: int | None = None,
) -> TrendFit:
    """Fit a trend to the (year, value) points given (missing values already removed), with
    x = 1 in the year `origin` (by default the first year given)."""
    from kzf.engine.stats.regression import FitError, fit_ols

    years = np.asarray(years, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    if len(years) == 0:
        raise FitError("no values to fit")
    origin = int(years.min()) if origin is None else origin
    x = years - origin + 1
    if kind in ("exponential", "power") and np.any(values <= 0):
        raise FitError(f"an {kind} trend needs values above 0")
    if kind == "poly":
        terms = [f"x{k}" for k in range(1, degree + 1)]
        fit = fit_ols(values, np.column_stack([x**k for k in range(1, degree + 1)]), terms)
        coefficients = tuple(float(v) for v in fit.params)
    elif kind == "exponential":
        fit = fit_ols(np.log(values), x.reshape(-1, 1), ["x"])
        coefficients = (math.exp(fit.params[0]), float(fit.params[1]))
    elif kind == "power":
        fit = fit_ols(np.log(values), np.log(x).reshape(-1, 1), ["ln_x"])
        coefficients = (math.exp(fit.params[0]), float(fit.params[1]))
    else:  # logarithmic
        fit = fit_ols(values, np.log(x).reshape(-1, 1), ["ln_x"])
        coefficients = (float(fit.params[0]), float(fit.params[1]))
    if compat:
        coefficients = tuple(chart_label_round(c) for c in coefficients)
    return TrendFit(
        kind=kind,
        degree=degree,
        compat=compat,
        origin=origin,
        coefficients=coefficients,
        n=fit.n,
        r2=fit.r2,
        se=fit.se_estimate,
        df_resid=fit.df_resid,
        unscaled_cov=fit.solution.unscaled_cov,
        first_year=int(years.min()),
        last_year=int(years.max()),
    )


def fit_groups(
    node: Trend,
    values: np.ndarray,
    where: np.ndarray | None,
    years: np.ndarray,
    gid: np.ndarray,
    ngroups: int,
) -> tuple[list[TrendFit | None], list[tuple[int, str]]]:
    """Fit the trend separately in each group (entity); problems as (group, message)."""
    from kzf.engine.stats.regression import FitError

    in_range = np.ones(len(values), dtype=bool) if where is None else where == 1.0
    use = in_range & ~np.isnan(values)
    fits: list[TrendFit | None] = []
    problems: list[tuple[int, str]] = []
    for g in range(ngroups):
        rows = use & (gid == g)
        # x = 1 in the first year of the range, as a chart's axis starts at its first
        # category: a missing first value does not move the origin
        span = years[in_range & (gid == g)]
        origin = int(span.min()) if len(span) else None
        try:
            fits.append(
                fit_trend(node.kind, node.degree, node.compat, years[rows], values[rows], origin)
            )
        except FitError as exc:
            fits.append(None)
            problems.append((g, str(exc)))
    return fits, problems


def evaluate(
    node: Trend,
    values: np.ndarray,
    where: np.ndarray | None,
    years: np.ndarray,
    gid: np.ndarray,
    ngroups: int,
) -> tuple[np.ndarray, list[tuple[np.ndarray, str]]]:
    """The trend's value on every row; problems as (rows, message) for warnings."""
    fits, problems = fit_groups(node, values, where, years, gid, ngroups)
    out = np.full(len(values), np.nan)
    for g, fit in enumerate(fits):
        if fit is not None:
            rows = gid == g
            out[rows] = fit.value(years[rows])
    return out, [(gid == g, message) for g, message in problems]
