"""Ordinary least squares, variable selection and SPSS-style result tables.

The fit is computed here with care for accuracy, then handed to statsmodels as a results
object, which supplies the inference (t and F tests, prediction intervals):

- with an intercept, the columns are centred first (the intercept is recovered from the
  means), which removes the worst of the collinearity in data such as Longley's, where one
  predictor is the calendar year;
- the centred columns are scaled to unit length and solved by Householder QR, never by the
  normal equations;
- when the scaled problem is still ill-conditioned (condition number above 1e6), it is solved
  again in multiple precision (mpmath, 30 digits more than the conditioning eats), so the
  coefficients and standard errors are the exact least-squares values of the float64 data
  rounded once (NIST StRD Longley agrees to 12 digits or more; see tests/models).

Selection follows SPSS REGRESSION: `forward` enters, at each step, the candidate with the
smallest p-value of its F-to-enter while that p is at most `enter`; `backward` starts from all
terms and removes the largest p-value of F-to-remove while it is at least `remove`;
`stepwise` enters as `forward`, and after each step removes a variable whose p-to-remove has
risen to `remove` or more. A candidate whose tolerance is below 0.0001 is never entered. Each
entry or removal is a new model, numbered from 1, as SPSS numbers them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.regression.linear_model import OLS, RegressionResults
from statsmodels.stats.stattools import durbin_watson

TOLERANCE_MIN = 1e-4  # SPSS's default TOLERANCE criterion for entry
# a tolerance computed in float64 above this has digits enough; below it is computed exactly
TOLERANCE_TRUSTED = 1e-6
MAX_MAGNITUDE = 1e150  # |values| above this: x^2 summed over the rows overflows float64
MP_CONDITION = 1e6  # above this (scaled, centred) condition number, solve in multiple precision
# problems of at most this many numbers (rows × coefficients) are solved exactly: every model
# of a statistics office's panel (countries × years) and every NIST StRD set; Filip, the
# largest (82 × 11), takes 0.25 s
EXACT_CELLS = 2000
CONST = "const"


class FitError(Exception):
    """The model cannot be fitted on these rows (too few, or a singular design)."""


# ---------------------------------------------------------------- the solver


@dataclass(frozen=True)
class Solution:
    params: np.ndarray  # intercept first when there is one
    unscaled_cov: np.ndarray  # (X'X)^-1, so that cov(b) = s^2 * unscaled_cov
    condition: float
    multiprecision: bool
    # the residual sum of squares, computed exactly from the exact solution (the exact path),
    # or None: then it is summed in float64 from the rounded coefficients
    ssr: float | None = None
    exact: bool = False  # solved in exact rational arithmetic (`solve_exactly`)


def solve_least_squares(
    columns: np.ndarray,
    y: np.ndarray,
    intercept: bool,
    powers: Sequence[tuple[np.ndarray, int]] | None = None,
    exact: bool = True,
) -> Solution:
    """Least-squares coefficients and (X'X)^-1 for y on `columns` (n x k), plus a constant.

    A problem of at most EXACT_CELLS numbers is solved exactly (`solve_exactly`); `powers`,
    when given, says how kzf formed each column (a base's values and the power), so that a
    polynomial term is x^p of the data's x, not of a float64 power of it."""
    n, k = columns.shape
    _refuse_magnitudes(columns, y)
    small = exact and n * (k + int(intercept)) <= EXACT_CELLS and k + int(intercept) > 0
    if small and bool(np.all(np.isfinite(columns))) and bool(np.all(np.isfinite(y))):
        return solve_exactly(columns, y, intercept, powers)
    if intercept:
        means = columns.mean(axis=0) if k else np.zeros(0)
        y_mean = float(y.mean())
        xc = columns - means
        yc = y - y_mean
    else:
        xc, yc = columns, y
    if k == 0:
        if not intercept:
            raise FitError("a model needs at least one term or the intercept")
        return Solution(np.array([float(y.mean())]), np.array([[1.0 / n]]), 1.0, False)
    norms = np.linalg.norm(xc, axis=0)
    if np.any(norms == 0) or not np.all(np.isfinite(norms)):
        raise FitError("a predictor is constant over the sample")
    xs = xc / norms
    q, r = np.linalg.qr(xs)
    singular = np.abs(np.diag(r)).min() <= 1e-13 * np.abs(np.diag(r)).max()
    condition = math.inf if singular else float(np.linalg.cond(r))
    if condition > 1e15:
        raise FitError("the predictors are exactly collinear (the design is singular)")
    if condition > MP_CONDITION:
        slopes, inner = _solve_mp(xs, yc, condition)
        multiprecision = True
    else:
        slopes = np.linalg.solve(r, q.T @ yc)
        # one step of iterative refinement against the residual
        slopes = slopes + np.linalg.solve(r, q.T @ (yc - xs @ slopes))
        r_inv = np.linalg.solve(r, np.eye(k))
        inner = r_inv @ r_inv.T
        multiprecision = False
    slopes = slopes / norms
    inner = inner / np.outer(norms, norms)
    if not intercept:
        return Solution(slopes, inner, condition, multiprecision)
    b0 = y_mean - float(means @ slopes)
    cov = np.empty((k + 1, k + 1))
    cov[1:, 1:] = inner
    cross = -inner @ means
    cov[0, 1:] = cross
    cov[1:, 0] = cross
    cov[0, 0] = 1.0 / n + float(means @ inner @ means)
    return Solution(np.concatenate([[b0], slopes]), cov, condition, multiprecision)


def _refuse_magnitudes(columns: np.ndarray, y: np.ndarray) -> None:
    largest = max(float(np.max(np.abs(y), initial=0.0)), float(np.max(np.abs(columns), initial=0)))
    if largest > MAX_MAGNITUDE:  # sums of squares would overflow float64: no fit can be trusted
        raise FitError(
            f"values as large as {largest:.3g} cannot be fitted in float64 (beyond "
            f"{MAX_MAGNITUDE:.0e} their squares overflow); rescale them, e.g. to millions"
        )


def _integers(values: np.ndarray, power: int = 1) -> tuple[list[int], int]:
    """Values (float64, each a dyadic rational m·2^-e) raised to `power`, as integers M and
    one shift s with value^power = M·2^-s exactly."""
    ratios = [float(v).as_integer_ratio() for v in values]
    shift = max((d.bit_length() - 1 for _, d in ratios), default=0)
    scaled = [num << (shift - (den.bit_length() - 1)) for num, den in ratios]
    if power == 1:
        return scaled, shift
    return [m**power for m in scaled], shift * power


def solve_exactly(
    columns: np.ndarray,
    y: np.ndarray,
    intercept: bool,
    powers: Sequence[tuple[np.ndarray, int]] | None = None,
) -> Solution:
    """The least-squares solution of the float64 data in exact rational arithmetic, rounded
    once: the coefficients, (X'X)^-1 and the residual sum of squares as they would be with
    infinitely many digits (NIST StRD: 13 to 15 correct digits on every set, docs/models.md).

    Every float64 is a dyadic rational, so each column is an integer vector times a power of
    two; the normal equations are formed in integers and solved by Gauss-Jordan elimination
    in fractions. Nothing is centred, scaled or rounded on the way, so the conditioning of
    the problem costs no digits; only the final rounding to float64 does. A singular design
    is found exactly (a zero pivot)."""
    from fractions import Fraction

    n, k = columns.shape
    formed = powers if powers is not None else [(columns[:, j], 1) for j in range(k)]
    cols = ([([1] * n, 0)] if intercept else []) + [_integers(b, p) for b, p in formed]
    values, shifts = [c for c, _ in cols], [s for _, s in cols]
    yi, ys = _integers(y)
    m = len(cols)
    gram = [[sum(a * b for a, b in zip(values[i], values[j], strict=True)) for j in range(m)]
            for i in range(m)]  # fmt: skip
    rhs = [sum(a * b for a, b in zip(values[i], yi, strict=True)) for i in range(m)]
    rows = [
        [Fraction(v) for v in gram[i]]
        + [Fraction(rhs[i])]
        + [Fraction(int(i == j)) for j in range(m)]
        for i in range(m)
    ]
    for c in range(m):
        pivot = next((r for r in range(c, m) if rows[r][c] != 0), None)
        if pivot is None:
            raise FitError("the predictors are exactly collinear (the design is singular)")
        rows[c], rows[pivot] = rows[pivot], rows[c]
        head = rows[c][c]
        rows[c] = [v / head for v in rows[c]]
        for r in range(m):
            factor = rows[r][c]
            if r != c and factor != 0:
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[c], strict=True)]
    two = Fraction(2)
    # column j of X is values[j]·2^-shifts[j]; y is yi·2^-ys
    beta = [rows[j][m] * two ** (shifts[j] - ys) for j in range(m)]
    inverse = [[rows[i][m + 1 + j] * two ** (shifts[i] + shifts[j]) for j in range(m)]
               for i in range(m)]  # fmt: skip
    # e'e = y'y - b'X'y exactly, since X'e = 0 for the exact solution: no pass over the rows
    yy = Fraction(sum(v * v for v in yi), 1 << (2 * ys))
    xy = sum(beta[j] * Fraction(rhs[j], 1 << (shifts[j] + ys)) for j in range(m))
    ssr = yy - xy
    return Solution(
        np.array([float(b) for b in beta]),
        np.array([[float(v) for v in row] for row in inverse]),
        math.nan,  # not needed: no digits depend on it
        False,
        float(ssr),
        True,
    )


def _solve_mp(xs: np.ndarray, y: np.ndarray, condition: float) -> tuple[np.ndarray, np.ndarray]:
    """Solve the normal equations of an ill-conditioned problem in multiple precision.

    Every float64 is exact in mpmath, and the working precision is 30 digits beyond what the
    squared condition number consumes, so the result is the exact solution rounded once."""
    import mpmath

    digits = 30 + 2 * int(math.ceil(math.log10(max(condition, 10.0))))
    ctx = mpmath.MPContext()
    ctx.dps = digits
    n, k = xs.shape
    xm = ctx.matrix([[ctx.mpf(float(v)) for v in row] for row in xs])
    ym = ctx.matrix([ctx.mpf(float(v)) for v in y])
    xt = xm.T
    inverse = ctx.inverse(xt * xm)
    beta = inverse * (xt * ym)
    slopes = np.array([float(beta[i]) for i in range(k)])
    inner = np.array([[float(inverse[i, j]) for j in range(k)] for i in range(k)])
    return slopes, inner


# ---------------------------------------------------------------- one fit


@dataclass
class Fit:
    """One OLS fit: the numbers SPSS prints, and statsmodels' results for inference."""

    terms: tuple[str, ...]
    intercept: bool
    y: np.ndarray
    x: np.ndarray  # n x len(terms), without the constant
    solution: Solution
    results: RegressionResults = field(repr=False)

    @property
    def n(self) -> int:
        return len(self.y)

    @property
    def names(self) -> tuple[str, ...]:
        return ((CONST,) if self.intercept else ()) + self.terms

    @property
    def params(self) -> np.ndarray:
        return self.solution.params

    @property
    def fitted(self) -> np.ndarray:
        return self.design() @ self.params

    @property
    def resid(self) -> np.ndarray:
        return self.y - self.fitted

    @property
    def df_model(self) -> int:
        return len(self.terms)

    @property
    def df_resid(self) -> int:
        return self.n - len(self.names)

    @property
    def exact(self) -> bool:
        """Whether the model fits the data exactly: residuals no larger than float64's
        rounding of the data (each within 64 units in the last place of the largest |y|).
        Then the residual sum of squares is 0, R² is 1, and the statistics that divide by
        the residual variance (F, t, their p-values) are not defined."""
        if self.df_resid <= 0:
            return False
        size = float(np.max(np.abs(self.y))) if self.n else 0.0
        noise = 64 * np.finfo(np.float64).eps * size
        return bool(np.max(np.abs(self.resid)) <= noise)

    @property
    def ssr(self) -> float:
        if self.exact:
            return 0.0
        if self.solution.ssr is not None:  # exact, from the exact solution
            return self.solution.ssr
        return float(np.sum(self.resid**2))

    @property
    def tss(self) -> float:
        """Total sum of squares: about the mean with an intercept, about zero without (SPSS)."""
        centre = self.y.mean() if self.intercept else 0.0
        return float(np.sum((self.y - centre) ** 2))

    @property
    def ess(self) -> float:
        return self.tss - self.ssr

    @property
    def scale(self) -> float:
        return self.ssr / self.df_resid if self.df_resid > 0 else math.nan

    @property
    def se_estimate(self) -> float:
        return math.sqrt(self.scale)

    @property
    def r2(self) -> float:
        return 1.0 - self.ssr / self.tss if self.tss > 0 else math.nan

    @property
    def adj_r2(self) -> float:
        k = len(self.names)
        base = self.n - 1 if self.intercept else self.n
        return 1.0 - (1.0 - self.r2) * base / (self.n - k) if self.n > k else math.nan

    @property
    def f(self) -> float:
        if self.df_model == 0 or self.df_resid <= 0 or self.scale == 0:
            return math.nan  # no residual variance (an exact fit): F is not defined
        return (self.ess / self.df_model) / self.scale

    @property
    def f_pvalue(self) -> float:
        f = self.f
        return float(stats.f.sf(f, self.df_model, self.df_resid)) if math.isfinite(f) else math.nan

    @property
    def bse(self) -> np.ndarray:
        return np.sqrt(np.diag(self.solution.unscaled_cov) * self.scale)

    @property
    def tvalues(self) -> np.ndarray:
        bse = self.bse
        if not np.all(bse > 0):  # an exact fit: t is not defined where the SE is 0
            return np.where(bse > 0, self.params / np.where(bse > 0, bse, 1.0), np.nan)
        return self.params / bse

    @property
    def pvalues(self) -> np.ndarray:
        return 2 * stats.t.sf(np.abs(self.tvalues), self.df_resid)

    @property
    def durbin_watson(self) -> float:
        if self.exact:  # residuals all 0: their autocorrelation is not defined
            return math.nan
        return float(durbin_watson(self.resid))

    def design(self, x: np.ndarray | None = None) -> np.ndarray:
        x = self.x if x is None else x
        if self.intercept:
            return np.column_stack([np.ones(len(x)), x])
        return x

    def coefficient(self, term: str) -> float:
        return float(self.params[self.names.index(term)])


def fit_ols(
    y: np.ndarray,
    x: np.ndarray,
    terms: Sequence[str],
    intercept: bool = True,
    powers: Sequence[tuple[np.ndarray, int]] | None = None,
    exact: bool = True,
) -> Fit:
    """OLS of y on the columns of x (named `terms`), with or without an intercept; `powers`
    (solve_least_squares) says how kzf formed each column from a base."""
    y = np.asarray(y, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64).reshape(len(y), len(terms))
    k = len(terms) + (1 if intercept else 0)
    if len(y) <= k:
        raise FitError(f"{len(y)} observations are too few for {k} coefficients")
    for j, term in enumerate(terms):
        if intercept and bool(np.all(x[:, j] == x[0, j])):
            raise FitError(
                f"'{term}' is constant over the sample ({x[0, j]:g} on every row): it cannot "
                "be told from the intercept"
            )
    solution = solve_least_squares(x, y, intercept, powers, exact)
    design = np.column_stack([np.ones(len(y)), x]) if intercept else x
    model = OLS(y, design, hasconst=intercept)
    resid = y - design @ solution.params
    scale = float(resid @ resid) / (len(y) - k)
    results = RegressionResults(model, solution.params, solution.unscaled_cov, scale)
    return Fit(tuple(terms), intercept, y, x, solution, results)


# ---------------------------------------------------------------- selection


@dataclass(frozen=True)
class Step:
    """One model of a selection: the variables in it, and what changed to get there."""

    number: int
    entered: str | None
    removed: str | None
    fit: Fit


@dataclass(frozen=True)
class Selection:
    method: str  # enter, forward, backward, stepwise
    candidates: tuple[str, ...]
    steps: tuple[Step, ...]
    p_enter: float
    p_remove: float
    # terms `enter` and `backward` left out for failing the tolerance test, each with its
    # tolerance against the terms entered before it
    refused: tuple[tuple[str, float], ...] = ()

    @property
    def final(self) -> Fit:
        return self.steps[-1].fit


@dataclass(frozen=True)
class Sample:
    """A model's rows: a column per variable, and how kzf forms its power terms (`powers`:
    term -> (base, power), e.g. "x^2" -> ("x", 2)), so that every fit forms them exactly
    from the base (solve_exactly) rather than from a float64 column of powers."""

    frame: pd.DataFrame
    powers: Mapping[str, tuple[str, int]] = field(default_factory=dict)

    def __getitem__(self, name: str) -> pd.Series:
        return self.frame[name]

    def __len__(self) -> int:
        return len(self.frame)

    def family(self, term: str) -> str:
        """The polynomial a term belongs to (its base), or the term itself."""
        return self.powers[term][0] if term in self.powers else term

    def fit(self, y: str, terms: Sequence[str], intercept: bool, exact: bool = True) -> Fit:
        forms = [
            (self.frame[self.powers[t][0]].to_numpy(), self.powers[t][1])
            if t in self.powers
            else (self.frame[t].to_numpy(), 1)
            for t in terms
        ]
        x = self.frame[list(terms)].to_numpy()
        return fit_ols(self.frame[y].to_numpy(), x, terms, intercept, forms, exact)


def _frame_fit(data: Sample, y: str, terms: Sequence[str], intercept: bool) -> Fit:
    return data.fit(y, terms, intercept)


def tolerance(data: Sample, var: str, others: Sequence[str], intercept: bool) -> float:
    """1 - R² of `var` regressed on `others` (1 when there are none); 0 for a variable that
    is constant over the sample, which the intercept already is."""
    column = data[var].to_numpy()
    if intercept and len(column) and bool(np.all(column == column[0])):
        return 0.0
    if not others:
        return 1.0
    # ssr / tss, not 1 - R²: for a nearly collinear term R² rounds to 1 - 2^-53 or to 1 and
    # the VIF to 2^53 or inf, where the exact residual sum of squares still has its digits.
    # A tolerance is asked for often (every entry test, every excluded variable), so it is
    # computed in float64 first and exactly only where that is too small to trust.
    for exact in (False, True):
        try:
            fit = data.fit(var, others, intercept, exact=exact)
        except FitError:
            return 0.0
        found = fit.ssr / fit.tss if fit.tss > 0 else 0.0
        if found > TOLERANCE_TRUSTED:
            return found
    return found


def _entry_tolerance(data: Sample, var: str, others: Sequence[str], intercept: bool) -> float:
    """The tolerance SPSS's criterion tests, less the collinearity a polynomial has by
    construction: x^2 is tested against the terms outside its own polynomial (x, x^3, …),
    whose powers kzf forms exactly, so that poly(x, 10) fits (NIST Filip) while a variable
    that repeats another is still refused."""
    family = data.family(var)
    return tolerance(data, var, [o for o in others if data.family(o) != family], intercept)


def _entry_p(data: Sample, y: str, current: list[str], cand: str, intercept: bool) -> float:
    try:
        fit = _frame_fit(data, y, [*current, cand], intercept)
    except FitError:
        return math.nan
    if fit.exact:  # the candidate leaves no residual: its F-to-enter is infinite, p is 0
        return 0.0
    return float(fit.pvalues[-1])


def _can_enter(data: Sample, current: list[str], cand: str, intercept: bool) -> bool:
    if _entry_tolerance(data, cand, current, intercept) < TOLERANCE_MIN:
        return False
    enlarged = [*current, cand]
    return all(
        _entry_tolerance(data, v, [w for w in enlarged if w != v], intercept) >= TOLERANCE_MIN
        for v in current
    )


def admissible(
    data: Sample, candidates: Sequence[str], intercept: bool
) -> tuple[list[str], list[tuple[str, float]]]:
    """The terms `enter` puts in one block, as SPSS's REGRESSION does: in order of decreasing
    tolerance (each term's 1 - R² on all the others), each only if it and the terms before
    it pass the tolerance test (TOLERANCE_MIN); the others are refused, with their tolerance
    on the terms entered before them. The entered terms keep the file's order."""
    order = sorted(
        candidates,
        key=lambda v: -_entry_tolerance(data, v, [w for w in candidates if w != v], intercept),
    )
    entered: list[str] = []
    refused: list[tuple[str, float]] = []
    for cand in order:
        if _can_enter(data, entered, cand, intercept):
            entered.append(cand)
        else:
            refused.append((cand, _entry_tolerance(data, cand, entered, intercept)))
    return [c for c in candidates if c in entered], refused


def select(
    data: Sample,
    y: str,
    candidates: Sequence[str],
    method: str = "enter",
    p_enter: float = 0.05,
    p_remove: float = 0.10,
    intercept: bool = True,
) -> Selection:
    """Fit `y` on `candidates` with the given selection method (see the module docstring)."""
    steps: list[Step] = []

    def record(current: list[str], entered: str | None, removed: str | None) -> None:
        fit = _frame_fit(data, y, current, intercept)
        steps.append(Step(len(steps) + 1, entered, removed, fit))

    refused: list[tuple[str, float]] = []
    if method == "enter":
        entered, refused = admissible(data, candidates, intercept)
        record(entered, None, None)
    elif method == "backward":
        current, refused = admissible(data, candidates, intercept)
        record(current, None, None)
        while current:
            fit = steps[-1].fit
            p = fit.pvalues[(1 if intercept else 0) :]
            worst = int(np.argmax(p))
            if not p[worst] >= p_remove or (len(current) == 1 and not intercept):
                break
            removed = current.pop(worst)
            record(current, None, removed)
    elif method in ("forward", "stepwise"):
        current = []
        seen: set[frozenset[str]] = {frozenset()}
        for _ in range(4 * len(candidates) + 4):
            if method == "stepwise" and current and steps:
                p = steps[-1].fit.pvalues[(1 if intercept else 0) :]
                worst = int(np.argmax(p))
                if p[worst] >= p_remove:
                    removed = current[worst]
                    current = [v for v in current if v != removed]
                    record(current, None, removed)
                    continue
            if steps and steps[-1].fit.exact:
                break  # nothing is left to explain: no candidate can add to an exact fit
            best, best_p = None, math.inf
            for cand in candidates:
                if cand in current:
                    continue
                p_value = _entry_p(data, y, current, cand, intercept)
                if math.isfinite(p_value) and p_value < best_p:
                    if _can_enter(data, current, cand, intercept):
                        best, best_p = cand, p_value
            if best is None or not best_p <= p_enter:
                break
            if frozenset([*current, best]) in seen:
                break  # would cycle
            current = [*current, best]
            seen.add(frozenset(current))
            record(current, best, None)
        if not steps:
            raise FitError(
                f"no candidate meets the entry criterion (p <= {p_enter:g}); no model is formed"
            )
    else:  # pragma: no cover - the resolver admits only the four methods
        raise ValueError(method)
    return Selection(method, tuple(candidates), tuple(steps), p_enter, p_remove, tuple(refused))


# ---------------------------------------------------------------- SPSS tables


def summary_table(sel: Selection) -> pd.DataFrame:
    """SPSS "Model Summary": R, R², adjusted R², SE of the estimate, change statistics, and
    Durbin-Watson on the last model."""
    rows = []
    previous_r2 = 0.0
    for i, step in enumerate(sel.steps):
        fit = step.fit
        df1 = fit.df_model - (sel.steps[i - 1].fit.df_model if i else 0)
        r2_change = fit.r2 - previous_r2
        # An entry is tested against the new, larger model's residual; a removal against
        # the model it was removed from: its F is the F-to-remove that drove the removal
        # (the removed term's t², on that model's residual degrees of freedom), as SPSS
        # prints it, not an F on the smaller model's residual.
        tested = fit if df1 >= 0 else sel.steps[i - 1].fit
        df2 = tested.df_resid
        if tested.exact:  # no residual variance: the F of the change is not defined
            f_change, sig = math.nan, math.nan
        elif df1 != 0 and df2 > 0:
            f_change = (abs(r2_change) / abs(df1)) / ((1 - tested.r2) / df2)
            sig = float(stats.f.sf(f_change, abs(df1), df2))
        else:
            f_change, sig = math.nan, math.nan
        rows.append(
            {
                "model": step.number,
                "predictors": " ".join(fit.terms),
                "R": math.sqrt(max(fit.r2, 0.0)),
                "R2": fit.r2,
                "adj_R2": fit.adj_r2,
                "se_estimate": fit.se_estimate,
                "R2_change": r2_change,
                "F_change": f_change,
                "df1": abs(df1),
                "df2": df2,
                "sig_F_change": sig,
                "durbin_watson": fit.durbin_watson if i == len(sel.steps) - 1 else math.nan,
            }
        )
        previous_r2 = fit.r2
    return pd.DataFrame(rows)


def anova_table(sel: Selection) -> pd.DataFrame:
    """SPSS "ANOVA": regression, residual and total sums of squares for each model."""
    rows = []
    for step in sel.steps:
        fit = step.fit
        df_total = fit.n - 1 if fit.intercept else fit.n
        rows.append(
            {
                "model": step.number,
                "source": "regression",
                "sum_of_squares": fit.ess,
                "df": fit.df_model,
                "mean_square": fit.ess / fit.df_model if fit.df_model else math.nan,
                "F": fit.f,
                "sig": fit.f_pvalue,
            }
        )
        rows.append(
            {
                "model": step.number,
                "source": "residual",
                "sum_of_squares": fit.ssr,
                "df": fit.df_resid,
                "mean_square": fit.scale,
                "F": math.nan,
                "sig": math.nan,
            }
        )
        rows.append(
            {
                "model": step.number,
                "source": "total",
                "sum_of_squares": fit.tss,
                "df": df_total,
                "mean_square": math.nan,
                "F": math.nan,
                "sig": math.nan,
            }
        )
    return pd.DataFrame(rows)


def _sd(x: np.ndarray) -> float:
    return float(np.std(x, ddof=1)) if len(x) > 1 else math.nan


def coefficients_table(sel: Selection, data: Sample, level: float = 0.95) -> pd.DataFrame:
    """SPSS "Coefficients": B, its standard error and confidence interval, the standardised
    beta, t, p, the zero-order, partial and part correlations, tolerance and VIF."""
    rows = []
    pct = _pct(level)
    for step in sel.steps:
        fit = step.fit
        y = fit.y
        sd_y = _sd(y)
        t_crit = float(stats.t.ppf(0.5 + level / 2, fit.df_resid)) if fit.df_resid > 0 else math.nan
        for i, name in enumerate(fit.names):
            b, se, t, p = fit.params[i], fit.bse[i], fit.tvalues[i], fit.pvalues[i]
            row: dict[str, object] = {
                "model": step.number,
                "term": name,
                "B": b,
                "se": se,
                "beta": math.nan,
                "t": t,
                "sig": p,
                f"B_lower_{pct}": b - t_crit * se,
                f"B_upper_{pct}": b + t_crit * se,
                "corr_zero_order": math.nan,
                "corr_partial": math.nan,
                "corr_part": math.nan,
                "tolerance": math.nan,
                "VIF": math.nan,
            }
            if name != CONST:
                j = fit.terms.index(name)
                x = fit.x[:, j]
                others = [v for v in fit.terms if v != name]
                tol = tolerance(data, name, others, fit.intercept)
                row["beta"] = b * _sd(x) / sd_y
                row["corr_zero_order"] = float(np.corrcoef(x, y)[0, 1])
                row["corr_partial"] = t / math.sqrt(t * t + fit.df_resid)
                row["corr_part"] = t * math.sqrt(max(1 - fit.r2, 0.0)) / math.sqrt(fit.df_resid)
                row["tolerance"] = tol
                row["VIF"] = 1 / tol if tol > 0 else math.inf
            rows.append(row)
    return pd.DataFrame(rows)


def excluded_table(sel: Selection, data: Sample, y: str) -> pd.DataFrame:
    """SPSS "Excluded Variables": for each candidate outside a model, the beta, t and p it
    would have if entered next, its partial correlation with the dependent variable given
    the model's variables, its tolerance (and VIF), and the minimum tolerance of the model it
    would make."""
    rows = []
    for step in sel.steps:
        fit = step.fit
        for cand in sel.candidates:
            if cand in fit.terms:
                continue
            row: dict[str, object] = {
                "model": step.number,
                "variable": cand,
                "beta_in": math.nan,
                "t": math.nan,
                "sig": math.nan,
                "partial_corr": math.nan,
                "tolerance": math.nan,
                "VIF": math.nan,
                "min_tolerance": math.nan,
            }
            enlarged = [*fit.terms, cand]
            try:
                trial = _frame_fit(data, y, enlarged, fit.intercept)
            except FitError:
                rows.append(row)
                continue
            t = float(trial.tvalues[-1])
            tol = tolerance(data, cand, list(fit.terms), fit.intercept)
            min_tol = min(
                tolerance(data, v, [w for w in enlarged if w != v], fit.intercept) for v in enlarged
            )
            if min_tol < TOLERANCE_MIN:  # beta, t and p of a collinear fit are noise
                row.update(tolerance=tol, VIF=1 / tol if tol > 0 else math.inf)
                row.update(min_tolerance=min_tol)
                rows.append(row)
                continue
            row.update(
                beta_in=float(trial.params[-1]) * _sd(data[cand].to_numpy()) / _sd(trial.y),
                t=t,
                sig=float(trial.pvalues[-1]),
                partial_corr=t / math.sqrt(t * t + trial.df_resid),
                tolerance=tol,
                VIF=1 / tol if tol > 0 else math.inf,
                min_tolerance=min_tol,
            )
            rows.append(row)
    return pd.DataFrame(
        rows,
        columns=[
            "model",
            "variable",
            "beta_in",
            "t",
            "sig",
            "partial_corr",
            "tolerance",
            "VIF",
            "min_tolerance",
        ],
    )


def selection_table(sel: Selection) -> pd.DataFrame:
    """SPSS "Variables Entered/Removed", with the criterion that decided each step."""
    rows = []
    for step in sel.steps:
        if sel.method == "enter" or (sel.method == "backward" and step.number == 1):
            how = "enter" if sel.method == "enter" else "backward (all terms entered)"
            rows.append(
                {
                    "model": step.number,
                    "entered": " ".join(step.fit.terms),
                    "removed": "",
                    "method": how,
                }
            )
            continue
        if step.entered is not None:
            how = f"{sel.method} (criterion: probability of F to enter <= {sel.p_enter:g})"
        else:
            how = f"{sel.method} (criterion: probability of F to remove >= {sel.p_remove:g})"
        rows.append(
            {
                "model": step.number,
                "entered": step.entered or "",
                "removed": step.removed or "",
                "method": how,
            }
        )
    return pd.DataFrame(rows, columns=["model", "entered", "removed", "method"])


def residuals_table(fit: Fit, float32: bool = False) -> pd.DataFrame:
    """SPSS "Residuals Statistics" of a model. With `float32`, the minimum and maximum are
    taken from the values rounded to single precision, as SPSS stores saved variables."""
    predicted, resid = fit.fitted, fit.resid
    sd_pred = _sd(predicted)
    series = {
        "predicted_value": predicted,
        "residual": resid,
        "std_predicted_value": (predicted - predicted.mean()) / sd_pred,
        # an exact fit has no residual spread to standardise by
        "std_residual": resid / fit.se_estimate if fit.se_estimate > 0 else resid * math.nan,
    }
    rows = []
    for name, values in series.items():
        extremes = values.astype(np.float32).astype(np.float64) if float32 else values
        rows.append(
            {
                "statistic": name,
                "min": float(extremes.min()),
                "max": float(extremes.max()),
                "mean": float(values.mean()),
                "std_dev": _sd(values),
                "N": len(values),
            }
        )
    return pd.DataFrame(rows)


def _pct(level: float) -> str:
    text = f"{level * 100:.10g}"
    return text.replace(".", "_")
