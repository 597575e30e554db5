"""Forecasts of a model's dependent variable from its predictors' future values.

Default mode (docs/models.md):

- the forecast years run from the year after the model's sample (or `from`) to `to`;
- the point forecast uses the full-precision coefficients;
- its interval is the OLS prediction interval of a new observation given the predictors'
  values, t with the model's residual degrees of freedom (statsmodels `get_prediction`;
  SPSS's ICIN), and beside it the confidence interval of the mean (SPSS's MCIN), which
  leaves out the new observation's own error;
- each predictor given by a trend gets that trend's own prediction interval;
- the scenarios put every predictor at the bound of its interval that lowers (pessimistic)
  or raises (optimistic) the forecast, which depends on the sign of its coefficient.

`compat` reproduces the published spreadsheet method (the seed dissertation, Tables 29-31):

- the equation uses the coefficients as printed (3 decimals);
- a predictor's "standard error" is the sample standard deviation of its observed values over
  the model's sample together with its forecast values, the margin is that times
  t(1 - (1 - level) / 2, N - 2), and the bounds are the forecast ± the margin (one width for
  every year);
- the scenarios are the equation at every predictor's lower (upper) bound, whatever the sign
  of its coefficient.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kzf.dsl.diagnostics import Diagnostic, localised_warning
from kzf.engine.compile.models import ForecastSpec, Formed, ModelSpec
from kzf.engine.core.ir import Trend, describe_kind
from kzf.engine.stats.regression import CONST, Selection
from kzf.engine.stats.trends import TrendFit, fit_groups

PRINTED_DECIMALS = 3  # SPSS prints B with 3 decimals


@dataclass
class ForecastInput:
    """What a forecast needs from the evaluated panel."""

    frame: pd.DataFrame  # the (extended) panel's dimension columns
    dims: tuple[str, ...]
    time_dim: str
    columns: dict[str, np.ndarray]  # every model variable and substituted definition, per row
    nodes: dict[str, object]  # substituted definition name -> IR node
    trend_inputs: dict[str, tuple[np.ndarray, np.ndarray | None]]  # name -> (arg, where)
    sample_rows: np.ndarray  # boolean: the rows of the model's sample
    selection: Selection


def _pct(level: float) -> str:
    return f"{level * 100:.10g}".replace(".", "_")


def _groups(frame: pd.DataFrame, dims: tuple[str, ...], time_dim: str) -> tuple[np.ndarray, int]:
    others = [d for d in dims if d != time_dim]
    if not others:
        return np.zeros(len(frame), dtype=np.int64), 1
    codes, uniques = pd.factorize(pd.MultiIndex.from_frame(frame[others]), sort=True)
    return codes.astype(np.int64), len(uniques)


def run_forecast(
    spec: ForecastSpec, model: ModelSpec, data: ForecastInput
) -> tuple[dict[str, pd.DataFrame], list[Diagnostic]]:
    fit = data.selection.final
    level = spec.level
    pct = _pct(level)
    lo_col, hi_col = f"lower_{pct}", f"upper_{pct}"
    years_all = data.frame[data.time_dim].to_numpy(dtype=np.float64)
    sample_years = years_all[data.sample_rows]
    last_sample = int(sample_years.max())
    start = spec.start if spec.start is not None else last_sample + 1
    rows = np.flatnonzero((years_all >= start) & (years_all <= spec.end))
    years = years_all[rows]
    gid, ngroups = _groups(data.frame, data.dims, data.time_dim)
    warnings: list[Diagnostic] = []
    terms = fit.terms
    dep = model.dependent
    b = fit.params.copy()
    if spec.compat:
        b = np.round(b, PRINTED_DECIMALS)
    names = fit.names

    # the predictors' values in the forecast years: of each variable the terms are made of (a
    # power or ln of x is formed from x's values, as in the fit)
    formed = {t: model.formed[t] for t in terms if t in model.formed}
    variables = list(dict.fromkeys(formed[t].base if t in formed else t for t in terms))
    values: dict[str, np.ndarray] = {}
    source: dict[str, str] = {}
    for term in variables:
        given = spec.substitutions.get(term)
        column = data.columns[given] if given is not None else data.columns[term]
        values[term] = column[rows]
        source[term] = given or term
        missing = np.isnan(values[term])
        if missing.any():
            shown = ", ".join(str(int(y)) for y in years[missing][:5])
            warnings.append(
                localised_warning(
                    "KZF252",
                    "forecast {forecast}: {variable} has no value in {years}, so the "
                    "forecast is missing there",
                    spec.span,
                    forecast=spec.name,
                    variable=source[term],
                    years=shown,
                )
                if given
                else localised_warning(
                    "KZF252",
                    "forecast {forecast}: {variable} has no value in {years}, so the "
                    "forecast is missing there; give its future values with "
                    "`with {variable} = …`",
                    spec.span,
                    forecast=spec.name,
                    variable=term,
                    years=shown,
                )
            )

    # predictor intervals
    lower: dict[str, np.ndarray] = {}
    upper: dict[str, np.ndarray] = {}
    methods: dict[str, str] = {}
    trend_fits: dict[str, list[TrendFit | None]] = {}
    for term in variables:
        given = spec.substitutions.get(term)
        node = data.nodes.get(given) if given else None
        lower[term] = np.full(len(rows), np.nan)
        upper[term] = np.full(len(rows), np.nan)
        if spec.compat:
            sd_all = np.full(len(rows), np.nan)
            n_all = np.zeros(len(rows))
            for g in range(ngroups):
                in_group = gid[rows] == g
                observed = data.columns[term][data.sample_rows & (gid == g)]
                both = np.concatenate([observed, values[term][in_group]])
                both = both[~np.isnan(both)]
                if len(both) > 2:
                    sd_all[in_group] = np.std(both, ddof=1)
                    n_all[in_group] = len(both)
            from scipy import stats

            with np.errstate(all="ignore"):
                t_crit = np.where(n_all > 2, stats.t.ppf(0.5 + level / 2, n_all - 2), np.nan)
            margin = sd_all * t_crit
            lower[term] = values[term] - margin
            upper[term] = values[term] + margin
            methods[term] = "as published: value ± t(N-2) × SD of the observed and forecast values"
            continue
        if isinstance(node, Trend):
            arg, where = data.trend_inputs[given or term]
            fits, _ = fit_groups(node, arg, where, years_all, gid, ngroups)
            trend_fits[term] = fits
            for g, tf in enumerate(fits):
                in_group = gid[rows] == g
                if tf is not None and in_group.any():
                    lo, hi = tf.interval(years[in_group], level)
                    lower[term][in_group] = lo
                    upper[term][in_group] = hi
                    methods[term] = tf.method(level)
            methods.setdefault(term, "trend could not be fitted")
        else:
            methods[term] = "given (not a trend: no interval)"
    for term, form in formed.items():  # from the base's value and interval
        values[term] = _formed_values(form, values[form.base])
        lower[term], upper[term] = _formed_interval(form, lower[form.base], upper[form.base])
        methods[term] = f"{term} of {form.base}'s value and interval"

    def design(xs: dict[str, np.ndarray]) -> np.ndarray:
        cols = [np.ones(len(rows))] if CONST in names else []
        cols += [xs[t] for t in terms]
        return np.column_stack(cols) if cols else np.zeros((len(rows), 0))

    point = design(values) @ b
    pi_lo = np.full(len(rows), np.nan)
    pi_hi = np.full(len(rows), np.nan)
    mean_lo = np.full(len(rows), np.nan)  # SPSS's MCIN beside the prediction interval (ICIN)
    mean_hi = np.full(len(rows), np.nan)
    if spec.compat:
        y_method = "as published: the printed equation (B to 3 decimals); no interval"
    else:
        x0 = design(values)
        ok = ~np.isnan(x0).any(axis=1)
        if ok.any():
            frame = fit.results.get_prediction(x0[ok]).summary_frame(alpha=1 - level)
            pi_lo[ok] = frame["obs_ci_lower"].to_numpy()
            pi_hi[ok] = frame["obs_ci_upper"].to_numpy()
            mean_lo[ok] = frame["mean_ci_lower"].to_numpy()
            mean_hi[ok] = frame["mean_ci_upper"].to_numpy()
        y_method = (
            f"{level:.0%} OLS prediction interval given the predictors' values "
            f"(t, {fit.df_resid} df)"
        )

    dims_part = {d: data.frame[d].to_numpy()[rows] for d in data.dims}
    actual = data.columns[dep][rows]
    main = pd.DataFrame(
        {
            **dims_part,
            dep: point,
            lo_col: pi_lo,
            hi_col: pi_hi,
            f"mean_{lo_col}": mean_lo,
            f"mean_{hi_col}": mean_hi,
            "actual": actual,
            **{t: values[t] for t in terms},
            "method": y_method,
        }
    )

    # scenarios
    scen_rows = []
    coef = {t: float(b[names.index(t)]) for t in terms}
    # a variable that forms other terms (x of poly(x, 2)) moves them together: its bound is the
    # one that lowers (raises) the forecast, tried both ways, year by year
    forming = {f.base for f in formed.values()}

    def with_formed(xs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {**xs, **{t: _formed_values(f, xs[f.base]) for t, f in formed.items()}}

    for scenario in ("pessimistic", "realistic", "optimistic"):
        xs: dict[str, np.ndarray] = {}
        for t in variables:
            if scenario == "realistic":
                xs[t] = values[t]
                continue
            if t in forming:
                continue
            low_side = scenario == "pessimistic"
            if not spec.compat and coef[t] < 0:
                low_side = not low_side
            chosen = lower[t] if low_side else upper[t]
            xs[t] = np.where(np.isnan(chosen), values[t], chosen)
        if scenario != "realistic":
            for base in forming:
                trial = {**values, **xs}
                tried = []
                for bound in (lower[base], upper[base]):
                    trial[base] = np.where(np.isnan(bound), values[base], bound)
                    tried.append((trial[base].copy(), design(with_formed(trial)) @ b))
                (lo_x, lo_y), (hi_x, hi_y) = tried
                take_low = (lo_y <= hi_y) == (scenario == "pessimistic")
                xs[base] = np.where(take_low, lo_x, hi_x)
        xs = with_formed(xs)
        y = design(xs) @ b
        if scenario == "realistic":
            how = "the point forecast"
        elif spec.compat:
            side = "lower" if scenario == "pessimistic" else "upper"
            how = f"as published: the equation at every predictor's {side} bound"
        else:
            sides = []
            for t in variables:
                if t in forming:
                    sides.append(f"{t} at its bound that does, year by year")
                    continue
                low_side = (scenario == "pessimistic") != (coef[t] < 0)
                sides.append(f"{t} {'lower' if low_side else 'upper'}")
            how = (
                f"predictors at the {level:.0%} bounds that "
                f"{'lower' if scenario == 'pessimistic' else 'raise'} {dep}: {', '.join(sides)}"
            )
        for i in range(len(rows)):
            entry: dict[str, object] = {d: dims_part[d][i] for d in data.dims}
            entry["scenario"] = scenario
            entry[dep] = float(y[i])
            for t in terms:
                entry[t] = float(xs[t][i])
            entry["method"] = how
            scen_rows.append(entry)
    scenarios = pd.DataFrame(scen_rows)
    if len(scenarios):
        order = {"pessimistic": 0, "realistic": 1, "optimistic": 2}
        scenarios = scenarios.sort_values(
            [*data.dims, "scenario"], key=lambda s: s.map(order) if s.name == "scenario" else s
        ).reset_index(drop=True)

    # predictors, long
    pred_rows = []
    for i in range(len(rows)):
        for t in terms:
            entry = {d: dims_part[d][i] for d in data.dims}
            entry.update(
                variable=t,
                value=float(values[t][i]),
                **{lo_col: float(lower[t][i]), hi_col: float(upper[t][i])},
                method=methods.get(t, ""),
            )
            pred_rows.append(entry)
    predictors = pd.DataFrame(pred_rows)

    tables = {
        f"{spec.name}.forecast": main,
        f"{spec.name}.scenarios": scenarios,
        f"{spec.name}.predictors": predictors,
    }
    if spec.compat:
        tables[f"{spec.name}.errors"] = _errors_table(
            data, rows, gid, ngroups, terms, values, level
        )
    tables[f"{spec.name}.trends"] = _trends_table(spec, data, trend_fits, terms, gid, ngroups)

    warnings += _alignment(spec, model, data, start, last_sample)
    warnings += _widening(spec, data, rows, years, gid, terms, lower, upper, pi_lo, pi_hi, dep)
    return tables, warnings


def _formed_values(form: Formed, base: np.ndarray) -> np.ndarray:
    """A formed term's values from its base's (model terms x^2, ln(x))."""
    with np.errstate(all="ignore"):
        if form.function == "ln":
            return np.where(base > 0, np.log(np.where(base > 0, base, 1.0)), np.nan)
        return np.asarray(base, dtype=np.float64) ** form.power


def _formed_interval(form: Formed, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The interval of x^p or ln(x) over x's interval [lo, hi]: ln and odd powers rise with
    x; an even power is smallest at the point of the interval nearest 0."""
    if form.function == "ln" or form.power % 2 == 1:
        return _formed_values(form, lo), _formed_values(form, hi)
    a, c = _formed_values(form, lo), _formed_values(form, hi)
    straddles = (lo < 0) & (hi > 0)
    return np.where(straddles, 0.0, np.fmin(a, c)), np.fmax(a, c)


def _errors_table(
    data: ForecastInput,
    rows: np.ndarray,
    gid: np.ndarray,
    ngroups: int,
    terms: tuple[str, ...],
    values: dict[str, np.ndarray],
    level: float,
) -> pd.DataFrame:
    """The published Table 30: each predictor's 'standard error' and 'margin of error'."""
    from scipy import stats

    others = [d for d in data.dims if d != data.time_dim]
    out = []
    for g in range(ngroups):
        in_group = gid[rows] == g
        stats_rows: dict[str, dict[str, object]] = {
            s: {} for s in ("standard_error", "margin_of_error", "n", "t")
        }
        for t in terms:
            observed = data.columns[t][data.sample_rows & (gid == g)]
            both = np.concatenate([observed, values[t][in_group]])
            both = both[~np.isnan(both)]
            n = len(both)
            sd = float(np.std(both, ddof=1)) if n > 1 else math.nan
            tq = float(stats.t.ppf(0.5 + level / 2, n - 2)) if n > 2 else math.nan
            stats_rows["standard_error"][t] = sd
            stats_rows["margin_of_error"][t] = sd * tq
            stats_rows["n"][t] = n
            stats_rows["t"][t] = tq
        first = np.flatnonzero(gid == g)
        for name, cells in stats_rows.items():
            entry: dict[str, object] = {
                d: data.frame[d].to_numpy()[first[0]] for d in others if len(first)
            }
            entry["statistic"] = name
            entry.update(cells)
            out.append(entry)
    return pd.DataFrame(out)


def _trends_table(
    spec: ForecastSpec,
    data: ForecastInput,
    trend_fits: dict[str, list[TrendFit | None]],
    terms: tuple[str, ...],
    gid: np.ndarray,
    ngroups: int,
) -> pd.DataFrame:
    """The trend behind each predictor: its curve, its years, and how well it fits."""
    others = [d for d in data.dims if d != data.time_dim]
    out = []
    for t in terms:
        given = spec.substitutions.get(t)
        node = data.nodes.get(given) if given else None
        if not isinstance(node, Trend):
            continue
        fits = trend_fits.get(t)
        if fits is None:  # compat: the intervals did not need the fits
            arg, where = data.trend_inputs[given or t]
            years_all = data.frame[data.time_dim].to_numpy(dtype=np.float64)
            fits, _ = fit_groups(node, arg, where, years_all, gid, ngroups)
        for g, tf in enumerate(fits):
            first = np.flatnonzero(gid == g)
            entry: dict[str, object] = {
                d: data.frame[d].to_numpy()[first[0]] for d in others if len(first)
            }
            entry.update(
                variable=t,
                definition=given,
                kind=describe_kind(node.kind, node.degree),
                equation=tf.equation() if tf else "",
                first_year=tf.first_year if tf else None,
                last_year=tf.last_year if tf else None,
                x_in_first_year=int(tf.index(np.array([tf.origin]))[0]) if tf else None,
                n=tf.n if tf else None,
                R2=tf.r2 if tf else math.nan,
                se_fit=tf.se if tf else math.nan,
                compat=bool(node.compat),
            )
            out.append(entry)
    columns = [
        *others,
        "variable",
        "definition",
        "kind",
        "equation",
        "first_year",
        "last_year",
        "x_in_first_year",
        "n",
        "R2",
        "se_fit",
        "compat",
    ]
    return pd.DataFrame(out, columns=columns)


def _alignment(
    spec: ForecastSpec, model: ModelSpec, data: ForecastInput, start: int, last_sample: int
) -> list[Diagnostic]:
    found = []
    if start > last_sample + 1:
        skipped = (
            f"{last_sample + 1}" if start == last_sample + 2 else f"{last_sample + 1}-{start - 1}"
        )
        found.append(
            localised_warning(
                "KZF252",
                "forecast {forecast} starts in {start}, but the sample of model {model} "
                "ends in {last}: {skipped} is left out, so the first forecast is "
                "two or more years past the data it was fitted on",
                spec.span,
                forecast=spec.name,
                start=start,
                model=model.name,
                last=last_sample,
                skipped=skipped,
            )
        )
    shifted = []
    for given in spec.substitutions.values():
        node = data.nodes.get(given)
        if isinstance(node, Trend) and node.compat:
            shifted.append(given)
    if shifted:
        found.append(
            localised_warning(
                "KZF252",
                "forecast {forecast} uses {trends}, trend lines in compat mode: "
                "the value written against {start} is the curve's value for {previous}, "
                "and so on: every forecast is labelled one year late",
                spec.span,
                forecast=spec.name,
                trends=", ".join(shifted),
                start=start,
                previous=start - 1,
            )
        )
    return found


def _widening(
    spec: ForecastSpec,
    data: ForecastInput,
    rows: np.ndarray,
    years: np.ndarray,
    gid: np.ndarray,
    terms: tuple[str, ...],
    lower: dict[str, np.ndarray],
    upper: dict[str, np.ndarray],
    pi_lo: np.ndarray,
    pi_hi: np.ndarray,
    dep: str,
) -> list[Diagnostic]:
    series = {dep: (pi_lo, pi_hi), **{t: (lower[t], upper[t]) for t in terms}}
    flat = []
    for name, (lo, hi) in series.items():
        width = hi - lo
        for g in np.unique(gid[rows]):
            in_group = gid[rows] == g
            w, y = width[in_group], years[in_group]
            ok = ~np.isnan(w)
            if ok.sum() < 2:
                continue
            w, y = w[ok], y[ok]
            first, last = w[np.argmin(y)], w[np.argmax(y)]
            if not last > first * (1 + 1e-9):
                flat.append(f"{name} ({first:.6g} in {int(y.min())}, {last:.6g} in {int(y.max())})")
    if not flat:
        return []
    return [
        localised_warning(
            "KZF253",
            "forecast {forecast}: the interval of {series} does not "
            "widen with the horizon; a prediction interval grows as the forecast moves away "
            "from the data",
            spec.span,
            forecast=spec.name,
            series="; ".join(dict.fromkeys(flat)),
        )
    ]
