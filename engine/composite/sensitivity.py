"""Uncertainty and sensitivity analysis of an index's ranking, driven by `vary` statements.

A methodologist states in the file which choices are uncertain: `vary w in [0.2, 0.3]` (a
weight anywhere in the interval, uniformly) or `vary agg in {"arithmetic", "geometric"}`
(one of the alternatives, with equal probability). Nothing else needs to be written: each run
evaluates the program itself with sampled params, so any choice the file can express
(normalisation, aggregation, weights, imputation) is covered, not only the aggregation
stage this module could recompute in numpy.

Uncertainty (Monte Carlo): N runs, each drawing every varied param independently; the index
is ranked among the entities of the chosen year (1 = highest, ties take the lowest place).
Per entity we report the rank with the file's defaults (nominal), the median and the 5th and
95th percentiles of its rank over the runs (empirical quantiles by the inverted CDF, so each
is a rank some run gave, never an interpolated one), and the mean |rank - nominal rank|.

Sensitivity (Sobol'): which param drives the change? The output is the mean absolute rank
shift from nominal over the entities of the year. First-order (S1) and total (ST) indices
come from SALib's Saltelli scheme on a scrambled Sobol' sequence (N * (D + 2) runs for D
params, no second-order terms), with SALib's bootstrap 95% confidence intervals. A choice
among k alternatives is sampled as u in [0, 1) and mapped to alternative floor(u * k), so
each has probability 1/k, as in the Monte Carlo.

Speed: the data are read once (only the columns the index needs), each run evaluates only the
index on the pandas engine (about 1 ms on a small panel: 1000 runs take about 1-2 s), and
runs with identical param values (frequent when every param is a choice) are evaluated once.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kzf.dsl.diagnostics import (
    Diagnostic,
    Severity,
    UsageError,
    error,
    localised,
)
from kzf.engine.api.program import Program
from kzf.engine.compile.weighted import unknown_index
from kzf.engine.composite.audit import cross_section, panel_of, rank_high_first, year_and_rows
from kzf.engine.io.data import Panel, ReadOptions

Params = Mapping[str, float | str]


@dataclass(frozen=True)
class Factor:
    """A varied param: an interval sampled uniformly, or alternatives with equal chances."""

    name: str
    low: float | None
    high: float | None
    choices: tuple[float | str, ...]

    @property
    def bounds(self) -> list[float]:
        """The sampling range given to SALib: the interval, or [0, 1] for alternatives."""
        if self.choices:
            return [0.0, 1.0]
        assert self.low is not None and self.high is not None
        return [self.low, self.high]

    def value(self, x: float) -> float | str:
        """The param value for a sampled number (in `bounds`)."""
        if not self.choices:
            return float(x)
        k = len(self.choices)
        return self.choices[min(int(np.floor(x * k)), k - 1)]

    def describe(self) -> str:
        if self.choices:
            return (
                "{"
                + ", ".join(repr(c) if isinstance(c, str) else f"{c:g}" for c in self.choices)
                + "}"
            )
        return f"[{self.low:g}, {self.high:g}]"


def factors_of(prog: Program) -> list[Factor]:
    varies = prog.checked.varies
    if not varies:
        raise UsageError(
            [
                localised(
                    "KZF026",
                    "{file} has no `vary` statement: state what may change, e.g. "
                    '`vary w in [0.2, 0.4]` or `vary agg in {{"arithmetic", "geometric"}}`',
                    file=prog.path,
                )
            ]
        )
    out = []
    for v in varies.values():
        choices = tuple(float(c) if not isinstance(c, str) else c for c in v.choices)
        out.append(Factor(v.name, v.low, v.high, choices))
    return out


@dataclass
class Runner:
    """Evaluates the index for one set of param values and ranks the chosen year's entities."""

    prog: Program
    panel: Panel
    index: str
    base: dict[str, float | str]  # the file's defaults with the --param overrides
    year: int | None = None
    entities: list[str] = field(default_factory=list)
    rows: np.ndarray = field(default_factory=lambda: np.arange(0))
    evaluations: int = 0
    warned_runs: int = 0
    warning_texts: set[str] = field(default_factory=set)
    last_warnings: list[Diagnostic] = field(default_factory=list)
    nominal_warnings: list[Diagnostic] = field(default_factory=list)
    _cache: dict[tuple[object, ...], np.ndarray] = field(default_factory=dict)

    def values(self, params: Params) -> np.ndarray:
        """The index in every row of the panel, for these param values."""
        result = self.prog.run(self.panel, {**self.base, **params}, [self.index])
        self.evaluations += 1
        self.last_warnings = list(result.warnings)
        # notes (an imputation the file asks for) are expected; so is what the nominal run said
        known = {d.headline() for d in self.nominal_warnings}
        new = [
            d.headline()
            for d in result.warnings
            if d.severity is not Severity.NOTE and d.headline() not in known
        ]
        if new:
            self.warned_runs += 1
            self.warning_texts.update(new)
        return result.frame[self.index].to_numpy(dtype=np.float64)

    def ranks(self, params: Params) -> np.ndarray:
        """The ranks of the chosen year's entities; identical param values are evaluated
        once (only the ranks are kept, so memory stays small)."""
        key = tuple(sorted(params.items()))
        if key not in self._cache:
            self._cache[key] = rank_high_first(self.values(params)[self.rows])
        return self._cache[key]


MAX_RUNS = 1_000_000  # Monte Carlo runs; each is one evaluation of the index
MAX_EVALUATIONS = 2_000_000  # Sobol' evaluations, N * (params + 2)


def check_budget(runs: int, sobol: int, seed: int, params: int) -> None:
    """The analysis's size, checked before any work (KZF026): numpy's generators take seeds
    of 0 or more, and a budget beyond these limits would run for hours or run out of memory."""
    problems = []
    if runs < 1 or runs > MAX_RUNS:
        problems.append(
            localised(
                "KZF026",
                "--runs must be between 1 and {most}, not {runs}",
                most=f"{MAX_RUNS:,}",
                runs=f"{runs:,}",
            )
        )
    if sobol < 0:
        problems.append(
            localised(
                "KZF026",
                "--sobol must be 0 (no Sobol' indices) or more, not {sobol}",
                sobol=f"{sobol:,}",
            )
        )
    elif sobol * (params + 2) > MAX_EVALUATIONS:
        problems.append(
            localised(
                "KZF026",
                "--sobol {sobol} needs {evaluations} evaluations ({params} varied params); at "
                "most {most}",
                sobol=f"{sobol:,}",
                evaluations=f"{sobol * (params + 2):,}",
                params=params,
                most=f"{MAX_EVALUATIONS:,}",
            )
        )
    if seed < 0:
        problems.append(localised("KZF026", "--seed must be 0 or more, not {seed}", seed=seed))
    if problems:
        raise UsageError(problems)


def _check_index(prog: Program, index: str) -> None:
    if index not in prog.checked.definitions:
        raise unknown_index(index, prog.checked.definitions)


def prepare(
    prog: Program, panel: Panel, index: str, params: Params | None, year: str | int | None
) -> Runner:
    """Evaluate the nominal index once and fix the year and its entities."""
    _check_index(prog, index)
    entity_dim, time_dim = cross_section(prog)
    runner = Runner(prog, panel, index, prog.param_values(params))
    nominal = runner.values({})
    runner.nominal_warnings = list(runner.last_warnings)  # printed once, not counted
    runner.warned_runs, runner.warning_texts = 0, set()
    years = panel.frame[time_dim].to_numpy() if time_dim is not None else None
    runner.year, runner.rows = year_and_rows(years, nominal, index, year)
    runner._cache[()] = rank_high_first(nominal[runner.rows])  # the nominal ranks: no second run
    runner.entities = [str(e) for e in panel.frame[entity_dim].to_numpy()[runner.rows]]
    return runner


# ---------------------------------------------------------------- Monte Carlo


@dataclass(frozen=True)
class MonteCarlo:
    samples: pd.DataFrame  # one row per run, one column per varied param
    ranks: np.ndarray  # runs x entities
    nominal: np.ndarray  # entities
    seconds: float


def monte_carlo(runner: Runner, factors: Sequence[Factor], runs: int, seed: int) -> MonteCarlo:
    if runs < 1:
        raise UsageError([error("KZF026", "--runs must be at least 1")])
    rng = np.random.default_rng(seed)
    columns: dict[str, list[float | str]] = {}
    for f in factors:  # one stream, param by param: the same seed gives the same runs
        if f.choices:
            columns[f.name] = [f.choices[i] for i in rng.integers(len(f.choices), size=runs)]
        else:
            assert f.low is not None and f.high is not None
            columns[f.name] = list(rng.uniform(f.low, f.high, size=runs))
    start = time.perf_counter()
    ranks = np.vstack(
        [runner.ranks({f.name: columns[f.name][r] for f in factors}) for r in range(runs)]
    )
    seconds = time.perf_counter() - start
    return MonteCarlo(pd.DataFrame(columns), ranks, runner.ranks({}), seconds)


def rank_summary(entities: Sequence[str], mc: MonteCarlo, entity_dim: str) -> pd.DataFrame:
    """Per entity: nominal rank, median and 5th-95th percentile ranks, mean |shift|."""
    records = []
    for j, entity in enumerate(entities):
        r = mc.ranks[:, j]
        r = r[~np.isnan(r)]
        if len(r):
            q05, med, q95 = np.quantile(r, [0.05, 0.5, 0.95], method="inverted_cdf")
            shift = float(np.abs(r - mc.nominal[j]).mean())
        else:
            q05 = med = q95 = shift = np.nan
        records.append(
            {
                entity_dim: entity,
                "nominal_rank": mc.nominal[j],
                "median_rank": float(med),
                "p05_rank": float(q05),
                "p95_rank": float(q95),
                "mean_abs_shift": shift,
                "runs": len(r),
            }
        )
    table = pd.DataFrame.from_records(records)
    return table.sort_values(["nominal_rank", entity_dim], kind="stable").reset_index(drop=True)


def mean_abs_shift(ranks: np.ndarray, nominal: np.ndarray) -> float:
    """The mean |rank - nominal rank| over the entities ranked in both."""
    shift = np.abs(ranks - nominal)
    shift = shift[~np.isnan(shift)]
    return float(shift.mean()) if len(shift) else float("nan")


# ---------------------------------------------------------------- Sobol'


def sobol_indices(
    factors: Sequence[Factor],
    model: Callable[[dict[str, float | str]], np.ndarray],
    n: int,
    seed: int,
    outputs: Sequence[str] = ("mean_abs_shift",),
) -> pd.DataFrame:
    """First-order and total Sobol' indices of each factor for each output of `model`
    (a vector, one value per name in `outputs`), with SALib's 95% confidence intervals."""
    from SALib.analyze import sobol as analyze
    from SALib.sample import sobol as sample

    if n < 2:
        raise UsageError([error("KZF026", "--sobol must be at least 2 (a power of 2 is best)")])
    problem = {
        "num_vars": len(factors),
        "names": [f.name for f in factors],
        "bounds": [f.bounds for f in factors],
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # N not a power of 2: SALib warns, the help says so
        x = sample.sample(problem, n, calc_second_order=False, seed=seed)
    y = np.vstack(
        [model({f.name: f.value(v) for f, v in zip(factors, row, strict=True)}) for row in x]
    )
    records = []
    for k, output in enumerate(outputs):
        column = y[:, k]
        if np.isnan(column).any() or np.var(column) == 0:
            why = "missing in some runs" if np.isnan(column).any() else "does not vary"
            for f in factors:
                records.append(_sobol_row(output, f.name, (np.nan,) * 4, f"the output {why}"))
            continue
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            si = analyze.analyze(
                problem, column, calc_second_order=False, conf_level=0.95, seed=seed
            )
        for i, f in enumerate(factors):
            values = (si["S1"][i], si["S1_conf"][i], si["ST"][i], si["ST_conf"][i])
            records.append(_sobol_row(output, f.name, values, _uncertain(*values)))
    return pd.DataFrame.from_records(records)


def _uncertain(s1: float, s1_conf: float, st: float, st_conf: float) -> str:
    """What a row's 95% intervals say: an index whose interval covers 0 cannot be told from
    0 with this many runs (a negative S1 is sampling noise: the index is at least 0)."""
    covers = [
        name
        for name, value, conf in (("S1", s1, s1_conf), ("ST", st, st_conf))
        if abs(value) <= conf
    ]
    if not covers:
        return ""
    return f"{' and '.join(covers)}: the 95% interval covers 0 (not told from 0 at this --sobol)"


def interval_advice(table: pd.DataFrame, n: int) -> str | None:
    """A note when some Sobol' indices cannot be told from 0, with the runs that would halve
    their intervals (the bootstrap intervals narrow as 1/sqrt(N): 4N for half)."""
    uncertain = table[table["note"].str.contains("interval covers 0", regex=False)]
    if uncertain.empty:
        return None
    shown = ", ".join(
        f"{r.param} S1 = {r.S1:.3g} ± {r.S1_conf:.2g}" for r in uncertain.head(3).itertuples()
    )
    return (
        f"{len(uncertain)} of {len(table)} Sobol' indices cannot be told from 0: their 95% "
        f"interval covers 0 ({shown}); --sobol {4 * n} would halve the intervals (they narrow "
        "as 1/sqrt(N)); a factor whose total index ST covers 0 may not matter at all"
    )


def _sobol_row(
    output: str, name: str, values: tuple[float, float, float, float], note: str
) -> dict[str, object]:
    s1, s1_conf, st, st_conf = (float(v) for v in values)
    return {
        "output": output,
        "param": name,
        "S1": s1,
        "S1_conf": s1_conf,
        "ST": st,
        "ST_conf": st_conf,
        "note": note,
    }


def weight_share_notes(
    prog: Program, index: str, factors: Sequence[Factor], base: Params
) -> list[str]:
    """Where a varied param is a weight of the index's hierarchy: the range of its share of
    its node's weights while it runs over its interval (the other weights at their values).
    A mean divides by the sum of its weights, so `vary w in [0.3, 0.7]` beside a fixed 0.5
    moves the share from 0.375 to 0.583, not from 0.3 to 0.7; the note says so."""
    from kzf.dsl import ast as kzf_ast
    from kzf.dsl.diagnostics import KzfError
    from kzf.engine.compile.weighted import hierarchy

    try:
        h = hierarchy(prog.checked, index)
    except KzfError:
        return []
    intervals = {f.name: (f.low, f.high) for f in factors if not f.choices}
    notes = []
    for node in h.nodes.values():
        for i, child in enumerate(node.children):
            w = child.weight
            if not (isinstance(w, kzf_ast.Name) and w.id in intervals):
                continue
            low, high = intervals[w.id]
            assert low is not None and high is not None
            try:
                weights = h.weights_of(node, base)
            except KzfError:
                continue
            others = sum(weights) - weights[i]
            lo_share = low / (low + others) if low + others else float("nan")
            hi_share = high / (high + others) if high + others else float("nan")
            if abs(lo_share - low) > 1e-9 or abs(hi_share - high) > 1e-9:
                notes.append(
                    f"{w.id} in [{low:g}, {high:g}] weighs {child.name} in {node.name}: its "
                    f"share of {node.name}'s weights runs over [{lo_share:.3g}, {hi_share:.3g}] "
                    "(the other weights at their values; a mean divides by the sum of its "
                    "weights), not over the interval itself"
                )
    return notes


@dataclass(frozen=True)
class Sensitivity:
    index: str
    year: int | None
    factors: list[Factor]
    ranks: pd.DataFrame
    sobol: pd.DataFrame | None
    runs: int
    evaluations: int
    seconds: float
    notes: list[str]
    warnings: list[Diagnostic]  # those of the nominal evaluation


def analyse(
    prog: Program,
    data: Panel | str | os.PathLike[str],
    index: str,
    *,
    params: Params | None = None,
    runs: int = 1000,
    sobol: int = 256,
    seed: int = 1,
    year: str | int | None = None,
    per_entity: bool = False,
    read_options: ReadOptions | None = None,
) -> Sensitivity:
    """The Monte Carlo rank distribution, then (when `sobol` > 0) the Sobol' indices."""
    factors = factors_of(prog)
    check_budget(runs, sobol, seed, len(factors))
    _check_index(prog, index)  # before the data is read
    runner = prepare(prog, panel_of(prog, data, [index], read_options), index, params, year)
    entity_dim, _ = cross_section(prog)
    start = time.perf_counter()
    mc = monte_carlo(runner, factors, runs, seed)
    table = rank_summary(runner.entities, mc, entity_dim)
    notes: list[str] = []
    sobol_table = None
    if sobol > 0:
        outputs = ["mean_abs_shift"] + (
            [f"abs_shift[{e}]" for e in runner.entities] if per_entity else []
        )

        def model(values: dict[str, float | str]) -> np.ndarray:
            ranks = runner.ranks(values)
            shift = [mean_abs_shift(ranks, mc.nominal)]
            if per_entity:
                shift += list(np.abs(ranks - mc.nominal))
            return np.asarray(shift, dtype=np.float64)

        sobol_table = sobol_indices(factors, model, sobol, seed, outputs)
        advice = interval_advice(sobol_table, sobol)
        if advice is not None:
            notes.append(advice)
        if sobol & (sobol - 1):
            notes.append(
                f"--sobol {sobol} is not a power of 2: Sobol' sequences balance best at one"
            )
    notes += weight_share_notes(prog, index, factors, runner.base)
    if runner.warned_runs:
        notes.append(
            f"{runner.warned_runs} of {runner.evaluations} evaluations gave warnings the "
            "nominal one did not: " + "; ".join(sorted(runner.warning_texts)[:3])
        )
    return Sensitivity(
        index,
        runner.year,
        factors,
        table,
        sobol_table,
        runs,
        runner.evaluations,
        time.perf_counter() - start,
        notes,
        runner.nominal_warnings,
    )
