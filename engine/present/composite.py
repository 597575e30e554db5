"""The charts of a composite index, for `kzf report` and `kzf plot --kind ...`.

COINr draws a composite index five ways, and so does kzf, from the same analyses as
`kzf audit`, `kzf contrib` and `kzf sensitivity` (engine/composite/), on one cross-section
(the latest year in which the index has values for enough entities, or the year asked for):

- framework: a sunburst of the hierarchy, each wedge its effective weight (plot_framework);
- correlations: the heat map of Pearson's r between the index, its nodes and (for a small
  index) its indicators (plot_corr);
- distributions: each indicator's values over the entities, by pillar (plot_dist);
- contributions: each entity's index split into what the index's children contribute,
  stacked (plot_bar with components);
- uncertainty: each entity's rank under the file's `vary` statements, nominal, median and
  5th-95th percentile (plot_uncertainty); only for a file that varies something.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from kzf.engine.api.program import Program
from kzf.engine.compile.weighted import top_indices
from kzf.engine.composite import audit, sensitivity
from kzf.engine.io.data import Panel
from kzf.engine.present import charts
from kzf.engine.present.i18n import text

if TYPE_CHECKING:
    from matplotlib.figure import Figure

Titled = Callable[..., str]
KINDS = ("framework", "correlations", "distributions", "contributions", "uncertainty")
# beyond this many names the heat map shows the index and its nodes only: 60 names make
# 3,600 cells, each with its value, which nobody reads
MAX_HEAT_MAP = 20
SENSITIVITY_RUNS = 200  # Monte Carlo runs for a report's rank uncertainty


@dataclass
class CompositeCharts:
    index: str
    year: int | None
    entities: int  # with a value of the index in that year
    leaves: tuple[str, ...]  # the indicators, drawn together in the distributions chart
    figures: list[tuple[str, Figure]] = field(default_factory=list)  # (kind, figure)


def default_index(program: Program) -> str | None:
    """The index a report draws: the largest weighted mean that is no other's child."""
    found = top_indices(program.checked)
    return found[0] if found else None


def composite_charts(
    program: Program,
    data: Panel | str | os.PathLike[str],
    index: str,
    params: Mapping[str, float | str] | None = None,
    *,
    year: str | int | None = None,
    lang: str = "en",
    labels: Mapping[str, str] | None = None,
    kinds: Sequence[str] = KINDS,
    runs: int = SENSITIVITY_RUNS,
    every_name: bool = False,
) -> CompositeCharts:
    """The charts of `kinds` for `index` (UsageError KZF025/KZF026 when it is not an index
    kzf can analyse, as for `kzf audit`). `every_name`: the heat map has every indicator,
    however many (for one chart of its own, `kzf plot`)."""
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ValueError(f"unknown composite chart {unknown[0]!r}; use one of {', '.join(KINDS)}")
    names = dict(labels or {})
    ev = audit.evaluate(program, data, index, params)
    years = ev.frame[ev.time_dim].to_numpy() if ev.time_dim is not None else None
    values = ev.frame[index].to_numpy(dtype=np.float64)
    chosen, rows = audit.year_and_rows(years, values, index, year)
    when = text("in_year", lang, year=chosen) if chosen is not None else ""
    present = rows[np.isfinite(values[rows])]
    out = CompositeCharts(index, chosen, len(present), ev.tree.leaves)
    tree = ev.tree

    def titled(key: str, **kw: object) -> str:
        return f"{names.get(index, index)}: {text(key, lang, **kw)}{when}"

    for kind in kinds:
        if kind == "framework":
            fig = charts.draw_framework(
                index, tree.children, tree.weights, names, title=titled("chart_framework")
            )
        elif kind == "correlations":
            fig = _correlations(ev, rows, titled, lang, every_name)
        elif kind == "distributions":
            parent = {c: n for n in tree.top_down for c in tree.children[n]}
            items = [
                (names.get(leaf, leaf), parent.get(leaf, index), _values(ev, leaf, present))
                for leaf in tree.leaves
            ]
            fig = charts.draw_distributions(items, title=titled("chart_distributions"), lang=lang)
        elif kind == "contributions":
            fig = _contributions(ev, present, names, titled, lang)
        else:
            if not program.checked.varies or runs <= 0:  # nothing varies: no uncertainty
                continue
            fig = _uncertainty(program, ev, data, index, params, chosen, runs, titled, lang)
        out.figures.append((kind, fig))
    return out


def _values(ev: audit.Evaluated, name: str, rows: np.ndarray) -> np.ndarray:
    return ev.frame[name].to_numpy(dtype=np.float64)[rows]


def _correlations(
    ev: audit.Evaluated, rows: np.ndarray, titled: Titled, lang: str, every_name: bool
) -> Figure:
    tree = ev.tree
    names = list(tree.reading)
    key = "chart_correlations"
    if len(names) > MAX_HEAT_MAP and not every_name:
        names = [n for n in names if n in tree.children]
        key = "chart_correlations_nodes"
    at = {n: i for i, n in enumerate(names)}
    matrix = np.eye(len(names))
    pairs = audit.correlation_table(ev, rows)
    for a, b, r in zip(pairs["a"], pairs["b"], pairs["r"], strict=True):
        if a in at and b in at:
            matrix[at[a], at[b]] = matrix[at[b], at[a]] = r
    return charts.draw_correlations(names, matrix, title=titled(key), lang=lang)


def _contributions(
    ev: audit.Evaluated,
    rows: np.ndarray,
    names: Mapping[str, str],
    titled: Titled,
    lang: str,
) -> Figure:
    """The index's children's contributions on `rows`, entities from the highest index."""
    tree = ev.tree
    table = audit.contributions(ev)
    by_node = audit.contributions_by_node(table, tree, ev.dims)
    keys = ev.frame.iloc[rows][list(ev.dims)]
    index_values = ev.frame[tree.index].to_numpy(dtype=np.float64)[rows]
    order = np.argsort(-index_values, kind="stable")
    entities = keys[ev.entity_dim].astype(str).to_numpy()[order]
    parts: dict[str, np.ndarray] = {}
    for child in tree.children[tree.index]:
        if child in tree.children:  # a node: its rolled-up contribution
            mine = by_node[by_node["node"] == child]
        else:  # an indicator straight under the index
            mine = table[table["indicator"] == child]
        merged = keys.merge(mine, on=list(ev.dims), how="left")
        parts[child] = merged["contribution"].to_numpy(dtype=np.float64)[order]
    return charts.draw_contributions(
        list(entities), parts, names, title=titled("chart_contributions"), lang=lang
    )


def _uncertainty(
    program: Program,
    ev: audit.Evaluated,
    data: Panel | str | os.PathLike[str],
    index: str,
    params: Mapping[str, float | str] | None,
    year: int | None,
    runs: int,
    titled: Titled,
    lang: str,
) -> Figure:
    found = sensitivity.analyse(
        program, data, index, params=params, runs=runs, sobol=0, year=year
    ).ranks
    found = found.dropna(subset=["nominal_rank"]).sort_values("nominal_rank", kind="stable")
    column = lambda c: found[c].to_numpy(dtype=np.float64)  # noqa: E731
    return charts.draw_rank_bands(
        list(found[ev.entity_dim].astype(str)),
        column("nominal_rank"),
        column("median_rank"),
        column("p05_rank"),
        column("p95_rank"),
        title=titled("chart_uncertainty", runs=runs),
        lang=lang,
    )


__all__ = ["KINDS", "CompositeCharts", "composite_charts", "default_index"]
