"""Run a program's models and forecasts, and print or write the tables they produce.

`Program.run` calls `run_models` after the definitions are computed: the models read their
variables from the same panel (extended with the forecast years, see `extend_panel`), and
return named tables (`gdp.summary`, `gdp.coefficients`, `gdp_2026.forecast`, …) and
diagnostics (warnings KZF250-KZF254). docs/models.md describes every table.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from kzf.dsl import ast
from kzf.dsl.diagnostics import (
    Diagnostic,
    EvaluationError,
    UsageError,
    error,
    localised,
    localised_unknown,
    localised_warning,
)
from kzf.engine.checks.expect import Outcome, failed, judge
from kzf.engine.compile.models import FORECAST_TABLES, TABLE_KEYS, Models, ModelSpec
from kzf.engine.core.ir import Trend
from kzf.engine.io import output
from kzf.engine.io.data import Panel

if TYPE_CHECKING:
    from kzf.engine.compile.resolve import CheckedProgram
    from kzf.engine.stats.regression import Selection

VIF_LIMIT = 10.0
REPEAT_DIGITS = 4  # a repeated value is suspicious when it has at least this many digits


# ---------------------------------------------------------------- the panel's future years


def extend_panel(panel: Panel, models: Models | None) -> Panel:
    """Add the forecast years (after the last year of the data, up to the horizon) to every
    entity, with missing inputs, so that trends and other definitions have values there."""
    if not models or models.horizon is None or panel.time_dim is None:
        return panel
    frame = panel.frame
    time = panel.time_dim
    if not pd.api.types.is_integer_dtype(frame[time].dtype) or len(frame) == 0:
        raise EvaluationError(
            [
                localised(
                    "KZF150",
                    "forecasts need whole years in the time dimension '{time}'",
                    time=time,
                )
            ]
        )
    last = int(frame[time].max())
    if models.horizon <= last:
        return panel
    others = [d for d in panel.dims if d != time]
    future = np.arange(last + 1, models.horizon + 1, dtype=np.int64)
    if others:
        keys = frame[others].drop_duplicates()
        extra = keys.loc[keys.index.repeat(len(future))].reset_index(drop=True)
        extra[time] = np.tile(future, len(keys))
    else:
        extra = pd.DataFrame({time: future})
    for col in frame.columns:
        if col not in extra.columns:
            extra[col] = np.nan
    extra = extra[list(frame.columns)].astype(frame.dtypes.to_dict())
    grown = pd.concat([frame, extra], ignore_index=True)
    order = grown.sort_values([*others, time], kind="stable").index.to_numpy()
    grown = grown.iloc[order].reset_index(drop=True)
    rows = None
    if panel.source_rows is not None:  # the added years come from no row of the source: 0
        rows = np.concatenate([panel.source_rows, np.zeros(len(extra), dtype=np.int64)])[order]
    return Panel(grown, panel.dims, panel.time_dim, panel.source, rows)


# ---------------------------------------------------------------- running


def run_models(
    checked: CheckedProgram, panel: Panel, params: Mapping[str, float | str]
) -> tuple[dict[str, pd.DataFrame], list[Diagnostic]]:
    from kzf.engine.compile.plan import build_plan
    from kzf.engine.run.lower_pandas import PandasBackend
    from kzf.engine.stats.forecast import ForecastInput, run_forecast
    from kzf.engine.stats.regression import (
        FitError,
        Sample,
        anova_table,
        coefficients_table,
        excluded_table,
        residuals_table,
        select,
        selection_table,
        summary_table,
    )

    models = checked.models
    assert models is not None
    roots: dict[str, Any] = {}
    for m in models.models.values():
        for var, node in m.variables.items():
            roots[f"\0{var}"] = node
        if m.sample is not None:
            roots[f"\0where {m.name}"] = m.sample
    for f in models.forecasts.values():
        for name, node in f.values.items():
            roots[f"\0{name}"] = node
            if isinstance(node, Trend):
                roots[f"\0arg {name}"] = node.arg
                if node.where is not None:
                    roots[f"\0where {name}"] = node.where
    plan = build_plan(roots, checked.dims, checked.time_dim)
    values, issues = PandasBackend().execute(plan, panel.frame, params)
    n = len(panel.frame)

    def column(key: str) -> np.ndarray:
        v = values[key]
        return np.asarray(v, dtype=np.float64) if isinstance(v, np.ndarray) else np.full(n, v)

    tables: dict[str, pd.DataFrame] = {}
    found: list[Diagnostic] = []
    selections = {}
    samples = {}
    for m in models.models.values():
        data = pd.DataFrame({var: column(f"\0{var}") for var in m.variables})
        keep = ~data.isna().any(axis=1).to_numpy()
        if m.sample is not None:
            keep &= column(f"\0where {m.name}") == 1.0
        powers = {t: (f.base, f.power) for t, f in m.formed.items() if f.function == "pow"}
        sample = Sample(data[keep].reset_index(drop=True), powers)
        try:
            sel = select(sample, m.dependent, m.terms, m.method, m.p_enter, m.p_remove, m.intercept)
        except FitError as exc:
            raise EvaluationError(
                [
                    localised(
                        "KZF150",
                        "model {model} cannot be fitted: {reason}",
                        m.span,
                        model=m.name,
                        reason=exc,
                    )
                ],
                checked.sources,
            ) from None
        selections[m.name] = sel
        samples[m.name] = keep
        tables[f"{m.name}.selection"] = selection_table(sel)
        tables[f"{m.name}.summary"] = summary_table(sel)
        tables[f"{m.name}.anova"] = anova_table(sel)
        coefficients = coefficients_table(sel, sample, m.level)
        tables[f"{m.name}.coefficients"] = coefficients
        tables[f"{m.name}.excluded"] = excluded_table(sel, sample, m.dependent)
        tables[f"{m.name}.residuals"] = residuals_table(sel.final, float32=m.compat)
        found += _exact_fit(m, sel)
        found += _refused(m, sel)
        found += _collinearity(m, coefficients, len(sel.steps))
        found += _repeats(m, panel, data, keep, checked.time_dim)
    for f in models.forecasts.values():
        m = models.models[f.model]
        columns = {var: column(f"\0{var}") for var in m.variables}
        columns.update({name: column(f"\0{name}") for name in f.values})
        trend_inputs = {}
        for name, node in f.values.items():
            if isinstance(node, Trend):
                where = column(f"\0where {name}") if node.where is not None else None
                trend_inputs[name] = (column(f"\0arg {name}"), where)
        data_in = ForecastInput(
            frame=panel.frame[list(checked.dims)],
            dims=checked.dims,
            time_dim=checked.time_dim,
            columns=columns,
            nodes=dict(f.values),
            trend_inputs=trend_inputs,
            sample_rows=samples[m.name],
            selection=selections[m.name],
        )
        made, notes = run_forecast(f, m, data_in)
        tables.update(made)
        found += notes
    return tables, [*issues, *found]


def _exact_fit(m: ModelSpec, selection: Selection) -> list[Diagnostic]:
    """KZF255: a model that fits its rows exactly (R² = 1 to float precision), where the
    tables show standard errors of 0 and no F, t or p: usually a definition regressed on
    the inputs it is computed from, or as many rows as coefficients plus one."""
    exact = [step.number for step in selection.steps if step.fit.exact]
    if not exact:
        return []
    numbers = ", ".join(map(str, exact))
    if len(selection.steps) == 1:
        return [
            localised_warning(
                "KZF255",
                "model {model}: the model fits its rows exactly (R² = 1, every residual 0 to "
                "float precision): standard errors are 0, and F, t and their p-values are not "
                "defined (shown as NA); is the dependent variable computed from the predictors?",
                m.span,
                model=m.name,
            )
        ]
    return [
        localised_warning(
            "KZF255",
            "model {model}: model {numbers} of the selection fits its rows exactly (R² = 1, "
            "every residual 0 to float precision): standard errors are 0, and F, t and their "
            "p-values are not defined (shown as NA); is the dependent variable computed from "
            "the predictors?",
            m.span,
            model=m.name,
            numbers=numbers,
        )
    ]


def _refused(m: ModelSpec, selection: Selection) -> list[Diagnostic]:
    """KZF256: terms left out of an `enter` or `backward` model for failing SPSS's tolerance
    test: each is (almost) a linear combination of terms already in, so its coefficient and
    theirs would be noise (±10^6 where the data say 1)."""
    from kzf.engine.stats.regression import TOLERANCE_MIN

    if not selection.refused:
        return []
    listed = ", ".join(f"{term} (tolerance {tol:.3g})" for term, tol in selection.refused)
    return [
        localised_warning(
            "KZF256",
            "model {model}: left out {terms}: below the tolerance {tolerance}, each "
            "is almost a linear combination of the terms in the model (SPSS's TOLERANCE "
            "criterion); see the excluded table",
            m.span,
            model=m.name,
            terms=listed,
            tolerance=f"{TOLERANCE_MIN:g}",
        )
    ]


def _collinearity(m: ModelSpec, coefficients: pd.DataFrame, final: int) -> list[Diagnostic]:
    last = coefficients[(coefficients["model"] == final) & (coefficients["term"] != "const")]
    # the powers of one variable (poly(x, 3): x, x^2, x^3) are collinear by construction,
    # and formed exactly: their VIFs are not a warning about the data
    families = [m.family(t) for t in last["term"]]
    shared = {f for f in families if families.count(f) > 1}
    last = last[[f not in shared for f in families]]
    high = last[last["VIF"] > VIF_LIMIT].sort_values("VIF", ascending=False)
    if high.empty:
        return []
    listed = ", ".join(f"{t} {v:.2f}" for t, v in zip(high["term"], high["VIF"], strict=True))
    limit = f"{VIF_LIMIT:g}"
    if final == 1:
        return [
            localised_warning(
                "KZF250",
                "model {model}: VIF above {limit} in the model: {terms}; these predictors "
                "are strongly collinear, so their separate coefficients are unreliable "
                "(multicollinearity has not been removed)",
                m.span,
                model=m.name,
                limit=limit,
                terms=listed,
            )
        ]
    return [
        localised_warning(
            "KZF250",
            "model {model}: VIF above {limit} in model {final} (the last step): {terms}; these "
            "predictors are strongly collinear, so their separate coefficients are unreliable "
            "(multicollinearity has not been removed)",
            m.span,
            model=m.name,
            limit=limit,
            final=final,
            terms=listed,
        )
    ]


def _significant_digits(value: float) -> int:
    text = f"{abs(value):.15g}"
    mantissa = text.split("e")[0].replace(".", "").lstrip("0")
    if "." in text.split("e")[0]:
        return len(mantissa)
    return len(mantissa.rstrip("0")) or 1


def _repeats(
    m: ModelSpec, panel: Panel, data: pd.DataFrame, keep: np.ndarray, time_dim: str
) -> list[Diagnostic]:
    frame = panel.frame
    years = frame[time_dim].to_numpy()
    others = [d for d in panel.dims if d != time_dim]
    same_entity = np.ones(len(frame) - 1, dtype=bool) if len(frame) else np.zeros(0, bool)
    for d in others:
        col = frame[d].to_numpy()
        same_entity &= col[1:] == col[:-1]
    consecutive = same_entity & (np.diff(years) == 1) & keep[1:] & keep[:-1]
    found = []
    for var in data.columns:
        x = data[var].to_numpy()
        equal = consecutive & (x[1:] == x[:-1])
        for i in np.flatnonzero(equal):
            if _significant_digits(float(x[i])) < REPEAT_DIGITS:
                continue
            where = "".join(f"{frame[d].iat[int(i)]}, " for d in others)
            found.append(
                localised_warning(
                    "KZF251",
                    "model {model}: {variable} is {value} in both {where}{year} and {next}; a "
                    "value this precise rarely repeats, check the data for a copy error",
                    m.span,
                    model=m.name,
                    variable=var,
                    value=f"{x[i]:.15g}",
                    where=where,
                    year=years[i],
                    next=years[i + 1],
                )
            )
    return found


# ---------------------------------------------------------------- expectations


def table_keys(name: str, dims: tuple[str, ...], time_dim: str) -> tuple[str, ...]:
    table = name.partition(".")[2]
    keys = TABLE_KEYS.get(table, ())
    if table in FORECAST_TABLES and table in ("errors", "trends"):
        return (*(d for d in dims if d != time_dim), *keys)
    if table in FORECAST_TABLES:
        return (*dims, *keys)
    return keys


def judge_cell(
    tables: Mapping[str, pd.DataFrame], dims: tuple[str, ...], time_dim: str, e: ast.Expect
) -> Outcome:
    """An expectation about a cell of a model's table: `expect gdp.summary[4].R2 = 0.996`."""
    table = tables.get(e.name)
    if table is None:
        return failed(e, "no table {name} in this run", name=e.name)
    assert e.column is not None
    if e.column not in table.columns:
        cols = ", ".join(str(c) for c in table.columns)
        template = "{name} has no column {column} ({columns})"
        return failed(e, template, name=e.name, column=e.column, columns=cols)
    keys = list(table_keys(e.name, dims, time_dim))
    shown = replace(e, name=f"{e.name}.{e.column}")  # reported as gdp.coefficients.B[4, X4]
    frame = table[[*keys, e.column]].rename(columns={e.column: shown.name})
    return judge(frame, tuple(keys), shown)


# ---------------------------------------------------------------- output


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    return [
        {str(col): output.json_cell(v) for col, v in zip(frame.columns, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]


def to_json(frame: pd.DataFrame, tables: Mapping[str, pd.DataFrame]) -> str:
    body = {"rows": _records(frame), "tables": {k: _records(v) for k, v in tables.items()}}
    return json.dumps(body, ensure_ascii=False, indent=1) + "\n"


def to_text(
    frame: pd.DataFrame | None,
    tables: Mapping[str, pd.DataFrame],
    labels: dict[str, str] | None = None,
) -> str:
    parts = [] if frame is None else [output.to_table(frame, labels)]
    for name, table in tables.items():
        parts.append(f"{name}\n" + (output.to_table(table) if len(table) else "(no rows)\n"))
    return "\n".join(parts)


def _pick(tables: Mapping[str, pd.DataFrame], wanted: str | None) -> dict[str, pd.DataFrame]:
    if not wanted:
        return dict(tables)
    names = [w.strip() for w in wanted.split(",") if w.strip()]
    unknown = [w for w in names if w not in tables]
    if unknown:
        found = [
            localised_unknown(
                "KZF107",
                (
                    "--table: no table named '{name}'",
                    "--table: no table named '{name}'; did you mean '{suggestion}'?",
                    "--table: no table named '{name}'; did you mean '{suggestion}'? ('{name}' "
                    "has {scripts} letters that look alike)",
                ),
                u,
                tables,
            )
            for u in unknown
        ]
        raise UsageError(found)
    return {w: tables[w] for w in names}


def emit(result: Any, args: Any) -> int:
    """`kzf eval` for a program with models: the frame, then the tables."""
    wanted = getattr(args, "table", None)
    tables = _pick(result.tables, wanted)
    frame = None if wanted else result.frame
    if args.out:
        _write(result.frame if frame is None else frame, tables, args.out)
        if not args.format:
            return 0
    fmt = args.format or ("table" if sys.stdout.isatty() else "csv")
    if fmt == "json":
        if frame is None:
            text = json.dumps(
                {k: _records(v) for k, v in tables.items()}, ensure_ascii=False, indent=1
            )
            sys.stdout.write(text + "\n")
        else:
            sys.stdout.write(to_json(frame, tables))
    elif fmt == "csv":
        if frame is not None:
            sys.stdout.write(output.to_csv(frame))
        elif len(tables) == 1:
            sys.stdout.write(output.to_csv(next(iter(tables.values()))))
        else:
            raise UsageError([error("KZF107", "csv holds one table: give one name with --table")])
    else:
        sys.stdout.write(to_text(frame, tables, getattr(args, "labels", None)))
    return 0


def _write(frame: pd.DataFrame, tables: Mapping[str, pd.DataFrame], path: str) -> None:
    suffix = Path(path).suffix.lower()
    if suffix == ".json":
        output.write_atomically(
            path, lambda tmp: Path(tmp).write_text(to_json(frame, tables), encoding="utf-8")
        )
    elif suffix == ".xlsx":
        sheets = {"rows": frame, **{_sheet(name): table for name, table in tables.items()}}
        # one writer for every workbook: text stays text (no formula runs when it is opened)
        output.write_atomically(path, lambda tmp: output.write_xlsx(sheets, tmp, path))
    else:
        output.write_frame(frame, path)


def _sheet(name: str) -> str:
    cleaned = "".join("_" if c in "[]:*?/\\" else c for c in name)
    return cleaned[:31]
