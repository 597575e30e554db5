"""The statistical audit of a composite index, and the contribution of each indicator.

`kzf audit` answers the questions the OECD/JRC Handbook asks of an index before it is
published: does every indicator move with its pillar and with the index (Pearson r), do the
children of each node measure one thing (Cronbach's alpha, the share of variance of the
first principal component), and how much does the ranking depend on any one indicator
(leave-one-out rank shifts). `kzf contrib` splits each index value into the part each
indicator brought.

Both work from the evaluated leaf values (the indicators, as the file computes them) and
re-aggregate the tree (engine/compile/weighted.py) in numpy. This is needed because the
leave-one-out indices are indices the file does not define; it is trusted only because the
re-aggregation with every leaf is first checked to reproduce the engine's value of every node
to 1e-9 relative (otherwise KZF025 names the first node, bottom-up, that differs).

The cross-section is the panel's first non-time dimension (the entities), in one year of the
time dimension: by default the latest year in which the index has values for at least three
entities.

Contributions follow one principle for the three means. Each is a quasi-arithmetic mean:
f(V) = sum_i a_i f(x_i), with a_i = w_i / W and f(x) = x (arithmetic), ln x (geometric) or
1/x (harmonic). The share of child i is its term of that exact linear identity,
s_i = a_i f(x_i) / f(V), so the shares of a node's children sum to 1, and child i contributes
s_i * V to the node. Along a path the shares multiply, so the contributions of the leaves
sum to the index value.

- arithmetic: s_i = a_i x_i / V, i.e. the contribution is a_i x_i, the familiar linear share;
- geometric: s_i = a_i ln x_i / ln V, the log decomposition. It is undefined when a child is
  not positive or when ln V = 0 (V = 1); ln V is taken as 0 when it is below 1e-9 of
  sum_i |a_i ln x_i|, since it is then rounding noise and the shares would be meaningless
  1e9-sized numbers. In those rows the node's value is split in proportion to the weights,
  s_i = a_i, and the row's `rule` says so. When V = 0 (a child is 0) every child contributes
  0, which is exact whatever the rule, so it is not flagged;
- harmonic: s_i = a_i (1/x_i) / (1/V) = a_i V / x_i, the split of the mean reciprocal. It is
  also the elasticity d ln V / d ln x_i. A low indicator takes a larger share: in a harmonic
  mean the low values dominate, which is why it is chosen (little compensability). A child
  equal to 0 makes the node missing (division by zero), as in the engine.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kzf.dsl.diagnostics import Diagnostic, UsageError, error, localised, localised_unknown
from kzf.engine.api.program import Program
from kzf.engine.compile.weighted import Hierarchy, hierarchy
from kzf.engine.io.data import Panel, ReadOptions
from kzf.engine.run.lower_pandas import grouped_rank

RTOL = 1e-9  # re-aggregation must reproduce the engine to this relative tolerance
LOG_ZERO = 1e-9  # |ln V| below this fraction of sum |a_i ln x_i| counts as ln V = 0
MIN_ENTITIES = 3

Params = Mapping[str, float | str]


# ---------------------------------------------------------------- ranks


def rank_high_first(values: np.ndarray) -> np.ndarray:
    """1 = highest; ties share the lowest place (1, 2, 2, 4); missing values stay missing:
    the engine's rank(), so that the analyses rank exactly as a file's rank() does."""
    v = np.asarray(values, dtype=np.float64)
    return grouped_rank(v, np.zeros(len(v), dtype=np.int64))


def ranks_by_group(values: np.ndarray, groups: np.ndarray | None) -> np.ndarray:
    """Ranks among the rows of each group (each year), or among all rows when no groups."""
    if groups is None:
        return rank_high_first(values)
    codes, _ = pd.factorize(pd.Series(groups))
    return grouped_rank(np.asarray(values, dtype=np.float64), codes.astype(np.int64))


# ---------------------------------------------------------------- the tree with numbers


@dataclass(frozen=True)
class Tree:
    """The hierarchy with its methods and weights read for one set of param values."""

    index: str
    children: dict[str, tuple[str, ...]]
    weights: dict[str, tuple[float, ...]]
    methods: dict[str, str]
    leaves: tuple[str, ...]  # in reading order (depth first, as written)
    bottom_up: tuple[str, ...]  # every node after all of its children
    reading: tuple[str, ...]  # nodes and leaves depth first, as written: idx, p1, s1, x1, ...
    # the nodes that average the children present (amean_available …): their least share
    least: dict[str, float] = field(default_factory=dict)
    exponents: dict[str, float] = field(default_factory=dict)  # power_mean nodes: their p

    @property
    def top_down(self) -> tuple[str, ...]:
        return tuple(reversed(self.bottom_up))


def tree_of(h: Hierarchy, params: Params) -> Tree:
    children = {n: tuple(c.name for c in node.children) for n, node in h.nodes.items()}
    order: list[str] = []
    reading: list[str] = []

    def visit(name: str) -> None:
        if name in reading:
            return
        reading.append(name)
        for child in children.get(name, ()):
            visit(child)
        if name in children:
            order.append(name)

    visit(h.index)
    return Tree(
        index=h.index,
        children=children,
        weights={n: tuple(h.weights_of(node, params)) for n, node in h.nodes.items()},
        methods={n: h.method_of(node, params) for n, node in h.nodes.items()},
        least={
            n: least
            for n, node in h.nodes.items()
            if (least := h.least_of(node, params)) is not None
        },
        exponents={
            n: p for n, node in h.nodes.items() if (p := h.exponent_of(node, params)) is not None
        },
        leaves=tuple(n for n in reading if n not in children),
        bottom_up=tuple(order),
        reading=tuple(reading),
    )


def weighted_mean(
    method: str,
    values: Sequence[np.ndarray],
    weights: Sequence[float],
    least: float | None = None,
    exponent: float | None = None,
) -> np.ndarray:
    """The node's value row by row, with the engine's conventions: a missing child, a zero
    denominator or a negative number to a fractional power gives a missing value. With
    `least` (amean_available and its kin), a missing child is left out and the weights of
    the children present are rescaled, where they carry at least `least` of the total."""
    if least is not None:
        return _mean_of_present(method, values, weights, least)
    if method == "power" and exponent == 0.0:
        method = "geometric"  # the limit, as power_mean takes it
    x = np.vstack([np.asarray(v, dtype=np.float64) for v in values])  # children x rows
    w = np.asarray(weights, dtype=np.float64)[:, None]
    total = float(w.sum())
    with np.errstate(all="ignore"):
        if total == 0.0:
            out = np.full(x.shape[1], np.nan)
        elif method == "arithmetic":
            out = (w * x).sum(axis=0) / total
        elif method == "geometric":
            a = w / total
            invalid = (x < 0) & (a != np.round(a))
            out = np.prod(np.power(x, a), axis=0)
            out[invalid.any(axis=0)] = np.nan
        elif method == "harmonic":
            out = total / (w / np.where(x == 0, np.nan, x)).sum(axis=0)
        elif method == "power" and exponent is not None:
            out = np.power((w * np.power(x, exponent)).sum(axis=0) / total, 1.0 / exponent)
        else:
            raise UsageError(
                [localised("KZF024", "unknown aggregation method {method}", method=repr(method))]
            )
    out[np.isnan(x).any(axis=0) | np.isinf(out)] = np.nan
    return out


def _mean_of_present(
    method: str, values: Sequence[np.ndarray], weights: Sequence[float], least: float
) -> np.ndarray:
    """weighted_mean over the children present on each row, as engine/compile/weighted.py's
    _mean_available computes it: a missing child weighs 0 (and counts as 0 in a sum, 1 in a
    product), the weights present are rescaled, and a row whose children present carry less
    than `least` of the weights (share = carried / total, in the engine's order) is missing."""
    x = np.vstack([np.asarray(v, dtype=np.float64) for v in values])
    present = ~np.isnan(x)
    w = np.where(present, np.asarray(weights, dtype=np.float64)[:, None], 0.0)
    carried = w[0].copy()
    for row in w[1:]:  # summed in the children's order, as the engine's additions
        carried = carried + row
    total = float(np.sum(weights))
    with np.errstate(all="ignore"):
        share = carried / total
        safe = np.where(carried > 0, carried, 1.0)
        if method == "arithmetic":
            out = (w * np.where(present, x, 0.0)).sum(axis=0) / safe
        elif method == "geometric":
            out = np.prod(np.power(np.where(present, x, 1.0), w / safe), axis=0)
        elif method == "harmonic":
            quotients = (w / np.where(present, x, 1.0)).sum(axis=0)
            out = safe / np.where(carried > 0, quotients, 1.0)
        else:
            raise UsageError(
                [localised("KZF024", "unknown aggregation method {method}", method=repr(method))]
            )
    out = np.where((share >= least) & (share > 0) & np.isfinite(out), out, np.nan)
    return np.asarray(out, dtype=np.float64)


def recompute(
    tree: Tree, leaves: Mapping[str, np.ndarray], drop: frozenset[str] = frozenset()
) -> dict[str, np.ndarray]:
    """Every node's value from the leaf values. Children in `drop` are left out and the
    remaining weights renormalised (by the node's own method); a node left with no children
    is itself left out of its parent."""
    values: dict[str, np.ndarray] = {}
    for node in tree.bottom_up:
        kept = [
            (c, w)
            for c, w in zip(tree.children[node], tree.weights[node], strict=True)
            if c not in drop and (c in values or c in leaves)
        ]
        if not kept:
            continue  # the node vanishes with its last child
        columns = [values[c] if c in values else leaves[c] for c, _ in kept]
        values[node] = weighted_mean(
            tree.methods[node],
            columns,
            [w for _, w in kept],
            tree.least.get(node),
            tree.exponents.get(node),
        )
    return values


# ---------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class Evaluated:
    """The index, its nodes and its leaves evaluated on a panel, checked against numpy."""

    tree: Tree
    frame: pd.DataFrame  # dims, then the leaves, then the nodes (engine values)
    dims: tuple[str, ...]
    entity_dim: str
    time_dim: str | None
    warnings: list[Diagnostic]

    def leaf_values(self, rows: np.ndarray | None = None) -> dict[str, np.ndarray]:
        return {
            leaf: self.frame[leaf].to_numpy(dtype=np.float64)[slice(None) if rows is None else rows]
            for leaf in self.tree.leaves
        }


def cross_section(prog: Program) -> tuple[str, str | None]:
    """(entity dim, time dim): the entities are the panel's first non-time dimension."""
    time_dim = prog.checked.time_dim if len(prog.dims) > 1 else None  # entity alone: no time
    others = [d for d in prog.dims if d != time_dim]
    if len(others) != 1:
        raise UsageError(
            [
                localised(
                    "KZF026",
                    "the panel has dimensions {dims}: composite analysis needs entities, or "
                    "entities by a time dimension",
                    dims=", ".join(prog.dims),
                )
            ]
        )
    return others[0], time_dim


def evaluate(
    prog: Program,
    data: Panel | str | os.PathLike[str],
    index: str,
    params: Params | None = None,
    read_options: ReadOptions | None = None,
) -> Evaluated:
    """Evaluate the index's nodes and leaves; raise KZF025 if numpy cannot reproduce them."""
    h = hierarchy(prog.checked, index)
    entity_dim, time_dim = cross_section(prog)
    values = prog.param_values(params)  # defaults with the overrides, converted and checked
    tree = tree_of(h, values)
    defined = [leaf for leaf in h.leaves if leaf in prog.checked.definitions]
    select = [*tree.top_down, *defined]
    panel = panel_of(prog, data, select, read_options)
    result = prog.run(panel, values, select)
    frame = result.frame
    for leaf in h.leaves:
        if leaf in frame.columns:
            continue
        if leaf not in panel.frame.columns:
            raise UsageError(
                [
                    localised(
                        "KZF025",
                        "'{leaf}', averaged by '{parent}', is neither a definition nor an input, "
                        "so it is not an indicator of the index",
                        leaf=leaf,
                        parent=h.parent_of(leaf),
                    )
                ]
            )
        frame[leaf] = panel.frame[leaf].to_numpy(dtype=np.float64)  # the same rows
    frame = frame[[*prog.dims, *tree.leaves, *tree.top_down]]
    ev = Evaluated(tree, frame, prog.dims, entity_dim, time_dim, list(result.warnings))
    _check_reproduced(ev)
    return ev


def _check_reproduced(ev: Evaluated) -> None:
    mine = recompute(ev.tree, ev.leaf_values())
    for node in ev.tree.bottom_up:
        engine = ev.frame[node].to_numpy(dtype=np.float64)
        ours = mine[node]
        same_missing = np.isnan(engine) == np.isnan(ours)
        both = ~np.isnan(engine) & ~np.isnan(ours)
        scale = np.maximum(np.abs(engine[both]), np.abs(ours[both]))
        close = np.abs(engine[both] - ours[both]) <= RTOL * scale
        if not (same_missing.all() and close.all()):
            where = int(np.flatnonzero(~same_missing)[0]) if not same_missing.all() else -1
            if where < 0:
                where = int(np.flatnonzero(both)[np.flatnonzero(~close)[0]])
            key = ", ".join(str(ev.frame[d].iloc[where]) for d in ev.dims)
            raise UsageError(
                [
                    localised(
                        "KZF025",
                        "re-aggregating the leaves does not reproduce '{node}' at ({key}): the "
                        "engine gives {engine}, the weighted {method} mean of its children "
                        "{ours}",
                        node=node,
                        key=key,
                        engine=repr(engine[where]),
                        method=ev.tree.methods[node],
                        ours=repr(ours[where]),
                    )
                ]
            )


def year_and_rows(
    years: np.ndarray | None, index_values: np.ndarray, index: str, year: str | int | None
) -> tuple[int | None, np.ndarray]:
    """The year audit and sensitivity rank, and its rows: the year asked for, or the latest
    in which the index has values for at least MIN_ENTITIES entities; every row when the
    panel has no time dimension (`years` is None), where asking for a year is an error."""
    if years is None:
        if year is not None:
            raise UsageError([error("KZF026", "--year: the panel has no time dimension")])
        return None, np.arange(len(index_values))
    present = pd.Series(~np.isnan(index_values))
    chosen = choose_year(present.groupby(years).sum(), index, year)
    return chosen, np.flatnonzero(years == chosen)


def panel_of(
    prog: Program,
    data: Panel | str | os.PathLike[str],
    select: Sequence[str],
    read_options: ReadOptions | None,
) -> Panel:
    """The panel given, or the one read from a file with the columns `select` needs."""
    if isinstance(data, Panel):
        return data
    return prog.read_data(data, select, **(read_options or {}))


def choose_year(counts: pd.Series, index: str, year: str | int | None) -> int:
    """`year` checked against `counts` (entities with a value of `index`, by year), or the
    latest year with at least MIN_ENTITIES of them: the year audit and sensitivity rank."""
    if year is not None:
        try:
            chosen = int(str(year))
        except ValueError:
            raise UsageError(
                [localised("KZF026", "--year {year} is not a whole year", year=repr(year))]
            ) from None
        if chosen not in counts.index:
            raise UsageError(
                [
                    localised(
                        "KZF026", "--year {year}: the panel has no rows for that year", year=chosen
                    )
                ]
            )
        if counts[chosen] < 2:
            raise UsageError(
                [
                    localised(
                        "KZF026",
                        "'{index}' has values for {count} entity(ies) in {year}; at least 2 are "
                        "needed",
                        index=index,
                        count=int(counts[chosen]),
                        year=chosen,
                    )
                ]
            )
        return chosen
    enough = counts[counts >= MIN_ENTITIES]
    if enough.empty:
        raise UsageError(
            [
                localised(
                    "KZF026",
                    "no year in which '{index}' has values for at least {least} entities",
                    index=index,
                    least=MIN_ENTITIES,
                )
            ]
        )
    return int(enough.index.max())


# ---------------------------------------------------------------- statistics


def pearson(x: np.ndarray, y: np.ndarray) -> tuple[float, int]:
    """Pearson r over the pairs where both are present, and how many pairs there were."""
    both = ~np.isnan(x) & ~np.isnan(y)
    n = int(both.sum())
    if n < 2:
        return float("nan"), n
    a, b = x[both] - x[both].mean(), y[both] - y[both].mean()
    denom = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return (float((a * b).sum()) / denom if denom > 0 else float("nan")), n


def complete_cases(items: np.ndarray) -> np.ndarray:
    """The rows (cases) of a cases x items matrix in which every item is present."""
    return items[~np.isnan(items).any(axis=1)]


def cronbach_alpha(items: np.ndarray) -> float:
    """alpha = k/(k-1) (1 - sum of item variances / variance of the total), sample variances,
    on the raw (unstandardised) items: cases x items, complete cases only."""
    cases, k = items.shape
    if k < 2 or cases < 2:
        return float("nan")
    total_var = float(items.sum(axis=1).var(ddof=1))
    if total_var == 0:
        return float("nan")
    return k / (k - 1) * (1 - float(items.var(axis=0, ddof=1).sum()) / total_var)


def first_pc_share(items: np.ndarray) -> float:
    """The largest eigenvalue of the items' correlation matrix over the number of items: the
    share of the standardised variance the first principal component explains."""
    cases, k = items.shape
    if k < 2 or cases < 2 or (items.std(axis=0) == 0).any():
        return float("nan")
    corr = np.corrcoef(items, rowvar=False)
    return float(np.linalg.eigvalsh(corr)[-1]) / k


def pc1_weights(items: np.ndarray) -> np.ndarray:
    """Weights from the first principal component of the items' correlation matrix: the
    squares of its eigenvector's components, which add up to 1 (the OECD/JRC Handbook's
    weights from squared loadings scaled to unity, with one component). NaN where there is
    no component to read (fewer than 2 items or cases, an item that does not vary)."""
    cases, k = items.shape
    if k < 2 or cases < 2 or (items.std(axis=0) == 0).any():
        return np.full(k, np.nan)
    corr = np.corrcoef(items, rowvar=False)
    _, vectors = np.linalg.eigh(corr)
    first = vectors[:, -1]
    return np.asarray(first * first, dtype=np.float64)


# ---------------------------------------------------------------- the audit


@dataclass(frozen=True)
class Audit:
    index: str
    year: int | None
    entities: int  # entities with an index value in that year
    table: pd.DataFrame
    warnings: list[Diagnostic]
    correlations: pd.DataFrame | None = None  # with correlations=True: correlation_table
    weights: pd.DataFrame | None = None  # with optimise=NODE: optimise_weights


def audit(
    prog: Program,
    data: Panel | str | os.PathLike[str],
    index: str,
    params: Params | None = None,
    year: str | int | None = None,
    read_options: ReadOptions | None = None,
    correlations: bool = False,
    optimise: str | None = None,
) -> Audit:
    ev = evaluate(prog, data, index, params, read_options)
    years = ev.frame[ev.time_dim].to_numpy() if ev.time_dim is not None else None
    index_values = ev.frame[ev.tree.index].to_numpy(dtype=np.float64)
    chosen, rows = year_and_rows(years, index_values, index, year)
    matrix = correlation_table(ev, rows) if correlations else None
    weights = optimise_weights(ev, rows, optimise) if optimise is not None else None
    table = audit_table(ev, rows)
    return Audit(index, chosen, _count(ev, rows), table, ev.warnings, matrix, weights)


# COINr's get_corr_flags: within an aggregation group, above this is collinear, below that
# negative (its defaults)
COLLINEAR = 0.9
NEGATIVE = -0.4


def correlation_table(ev: Evaluated, rows: np.ndarray) -> pd.DataFrame:
    """Every pair of names of the hierarchy (indicators, nodes, the index), within and
    across levels: Pearson r over the entities with both, its two-sided p-value (t with
    n - 2 degrees of freedom), and flags: two children of one node above COLLINEAR
    ("collinear": one may be redundant) or below NEGATIVE ("negative": they pull the node
    apart, COINr's get_corr_flags), and a name negatively correlated with its own parent."""
    from scipy import stats

    tree = ev.tree
    names = list(tree.reading)
    col = {c: ev.frame[c].to_numpy(dtype=np.float64)[rows] for c in names}
    parent = {c: n for n in tree.top_down for c in tree.children[n]}
    records = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            r, n = pearson(col[a], col[b])
            p = float("nan")
            if n > 2 and np.isfinite(r):
                t = r * np.sqrt((n - 2) / max(1.0 - r * r, 1e-300))
                p = float(2 * stats.t.sf(abs(t), n - 2))
            if a in parent and parent.get(b) == parent[a]:
                relation = "siblings"
            elif parent.get(b) == a or parent.get(a) == b:
                relation = "parent"
            else:
                relation = "across"
            flag = ""
            if relation == "siblings" and r > COLLINEAR:
                flag = "collinear"
            elif relation == "siblings" and r < NEGATIVE:
                flag = "negative"
            elif relation == "parent" and r < 0:
                flag = "negative with its parent"
            records.append(
                {"a": a, "b": b, "relation": relation, "n": n, "r": r, "p": p, "flag": flag}
            )
    return pd.DataFrame.from_records(records, columns=["a", "b", "relation", "n", "r", "p", "flag"])


def _count(ev: Evaluated, rows: np.ndarray) -> int:
    return int((~np.isnan(ev.frame[ev.tree.index].to_numpy(dtype=np.float64)[rows])).sum())


def audit_table(ev: Evaluated, rows: np.ndarray) -> pd.DataFrame:
    """One row per node (the index first, then down the tree) and per indicator."""
    tree = ev.tree
    col = {c: ev.frame[c].to_numpy(dtype=np.float64)[rows] for c in (*tree.leaves, *tree.bottom_up)}
    parent = {c: n for n in tree.top_down for c in tree.children[n]}
    full_rank = rank_high_first(col[tree.index])
    # leave one out: every indicator, and every node below the index (a whole pillar)
    loo = {
        name: _leave_one_out(ev, rows, name, full_rank)
        for name in tree.reading
        if name != tree.index
    }
    relative, effective = effective_weights(tree)
    pca: dict[str, float] = {}
    for kids in tree.children.values():
        weights = pc1_weights(complete_cases(np.column_stack([col[c] for c in kids])))
        pca.update(zip(kids, map(float, weights), strict=True))
    records = []
    for name in tree.reading:
        is_node = name in tree.children
        r_parent, n_parent = (
            pearson(col[name], col[parent[name]]) if name in parent else (np.nan, 0)
        )
        r_index, n_index = (
            pearson(col[name], col[tree.index]) if name != tree.index else (np.nan, 0)
        )
        items = (
            complete_cases(np.column_stack([col[c] for c in tree.children[name]]))
            if is_node
            else np.empty((0, 0))
        )
        mean_shift, max_shift, most = loo.get(name, (np.nan, np.nan, ""))
        records.append(
            {
                "name": name,
                "kind": "index" if name == tree.index else ("node" if is_node else "indicator"),
                "parent": parent.get(name, ""),
                "method": tree.methods.get(name, ""),
                "weight": relative.get(name, np.nan),
                "effective_weight": effective[name],
                "pc1_weight": pca.get(name, np.nan),
                "n": n_index if name != tree.index else _count(ev, rows),
                "r_parent": r_parent,
                "r_index": r_index,
                "cases": len(items) if is_node else np.nan,
                "alpha": cronbach_alpha(items) if is_node else np.nan,
                "pc1_share": first_pc_share(items) if is_node else np.nan,
                "loo_mean_abs_shift": mean_shift,
                "loo_max_abs_shift": max_shift,
                "loo_most_shifted": most,
            }
        )
    table = pd.DataFrame.from_records(records)
    table["n"] = table["n"].astype(np.int64)
    table["cases"] = table["cases"].astype(np.float64)
    return table


def effective_weights(tree: Tree) -> tuple[dict[str, float], dict[str, float]]:
    """Each name's weight within its parent (its weight over the sum of its siblings'), and
    its effective weight in the index: the product of those down every path from the index,
    summed over the paths (COINr's get_eff_weights). The effective weights of the
    indicators add up to 1; they are the nominal weights, not the share of the index's
    variance an indicator drives (see the correlations for that)."""
    relative: dict[str, float] = {}
    effective: dict[str, float] = {tree.index: 1.0}
    for node in tree.top_down:
        weights = tree.weights[node]
        total = float(sum(weights))
        for child, w in zip(tree.children[node], weights, strict=True):
            share = w / total if total else float("nan")
            relative[child] = share
            effective[child] = effective.get(child, 0.0) + effective.get(node, 0.0) * share
    return relative, effective


def optimise_weights(
    ev: Evaluated, rows: np.ndarray, node: str, targets: Sequence[float] | None = None
) -> pd.DataFrame:
    """Weights for `node`'s children under which each child drives the index as much as the
    targets say (COINr's get_opt_weights, "balance" by default: equal shares): a child's
    share is its squared correlation with the index over the sum of the children's, the
    index recomputed for each trial of weights (non-negative, adding up to the node's
    total). The weights minimise the squared distance of the shares to the targets
    (scipy's SLSQP from the file's weights; several starts, the best kept)."""
    from scipy.optimize import minimize

    tree = ev.tree
    if node not in tree.children:
        known = ", ".join(tree.children)
        raise UsageError(
            [
                localised(
                    "KZF025",
                    "--optimise-weights: '{node}' is not a node of the index ({known})",
                    node=node,
                    known=known,
                )
            ]
        )
    kids = tree.children[node]
    k = len(kids)
    if k < 2:
        raise UsageError(
            [localised("KZF025", "'{node}' has one child: no weights to optimise", node=node)]
        )
    target = np.full(k, 1.0 / k) if targets is None else np.asarray(targets, dtype=np.float64)
    leaves = ev.leaf_values(rows)
    given = np.asarray(tree.weights[node], dtype=np.float64)
    total = float(given.sum())

    def shares(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        trial = dataclasses.replace(tree, weights={**tree.weights, node: tuple(w * total)})
        values = recompute(trial, leaves)
        index = values[tree.index]
        r = np.array([pearson(values[c] if c in values else leaves[c], index)[0] for c in kids])
        squared = r * r
        return r, squared / squared.sum()

    def loss(w: np.ndarray) -> float:
        _, got = shares(np.abs(w) / np.abs(w).sum())
        return float(np.sum((got - target) ** 2)) if np.all(np.isfinite(got)) else 1e9

    starts = [given / total, np.full(k, 1.0 / k), *np.eye(k) * 0.8 + 0.2 / k]
    best = None
    for x0 in starts:
        found = minimize(
            loss,
            x0,
            method="SLSQP",
            bounds=[(0.0, 1.0)] * k,
            constraints=[{"type": "eq", "fun": lambda w: float(np.sum(w) - 1.0)}],
            options={"ftol": 1e-14, "maxiter": 500},
        )
        if best is None or found.fun < best.fun:
            best = found
    assert best is not None
    optimal = np.abs(best.x) / np.abs(best.x).sum()
    r_before, before = shares(given / total)
    r_after, after = shares(optimal)
    return pd.DataFrame(
        {
            "node": node,
            "child": list(kids),
            "weight": given,
            "optimised_weight": optimal * total,
            "target_share": target,
            "r_index": r_before,
            "share": before,
            "r_index_optimised": r_after,
            "share_optimised": after,
        }
    )


def _leave_one_out(
    ev: Evaluated, rows: np.ndarray, leaf: str, full_rank: np.ndarray
) -> tuple[float, float, str]:
    """Mean and max |rank shift| over entities when `leaf` (an indicator or a node) is left
    out of its parent, the others' weights renormalised, and who moves most."""
    without = recompute(ev.tree, ev.leaf_values(rows), frozenset({leaf})).get(ev.tree.index)
    if without is None:
        return float("nan"), float("nan"), ""
    shift = np.abs(rank_high_first(without) - full_rank)
    present = ~np.isnan(shift)
    if not present.any():
        return float("nan"), float("nan"), ""
    entities = ev.frame[ev.entity_dim].to_numpy()[rows]
    worst = int(np.flatnonzero(present)[np.argmax(shift[present])])
    most = str(entities[worst]) if shift[worst] > 0 else ""
    return float(shift[present].mean()), float(shift[present].max()), most


# ---------------------------------------------------------------- contributions


def node_shares(
    method: str,
    values: Sequence[np.ndarray],
    weights: Sequence[float],
    node: np.ndarray,
    least: float | None = None,
    exponent: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Each child's share of the node (children x rows; the shares of a row sum to 1), and
    the rows where the geometric log rule was replaced by the split by weights (not those
    where the node is 0: its children then contribute 0 under any rule). A node over the
    children present (`least`) shares among them, by their rescaled weights; a missing
    child contributes 0."""
    if method == "power" and exponent == 0.0:
        method = "geometric"
    x = np.vstack([np.asarray(v, dtype=np.float64) for v in values])
    w = np.asarray(weights, dtype=np.float64)[:, None]
    a = np.broadcast_to(w / w.sum(), x.shape)
    missing = np.isnan(x)
    if least is not None:
        carried = np.where(missing, 0.0, w)
        with np.errstate(all="ignore"):
            a = carried / carried.sum(axis=0)
        x = np.where(missing, 1.0 if method != "arithmetic" else 0.0, x)
    fallback = np.zeros(x.shape[1], dtype=bool)
    with np.errstate(all="ignore"):
        if method == "arithmetic":
            shares = a * x / node
            zero = node == 0  # V = 0: every contribution is 0 whatever the shares
            shares[:, zero] = a[:, zero]
        elif method == "geometric":
            positive = (x > 0).all(axis=0)
            terms = a * np.log(np.where(x > 0, x, 1.0))
            log_node = terms.sum(axis=0)
            tiny = np.abs(log_node) <= LOG_ZERO * np.abs(terms).sum(axis=0)
            undefined = ~positive | tiny
            shares = np.where(undefined, a, terms / np.where(undefined, 1.0, log_node))
            fallback = undefined & (node != 0)  # V = 0: every contribution is 0 anyway
        elif (
            method == "power" and exponent is not None
        ):  # the share of V^p: a_i x_i^p / Σ a_j x_j^p
            powered = a * np.power(x, exponent)
            shares = powered / powered.sum(axis=0)
        else:  # harmonic: a_i (1/x_i) / (1/V)
            shares = a * node / x
    if least is not None:
        shares = np.where(missing, 0.0, shares)
    shares = np.where(np.isnan(node), np.nan, shares)
    return shares, fallback & ~np.isnan(node)


def contributions(ev: Evaluated) -> pd.DataFrame:
    """For each row and leaf: the leaf's value, its contribution to the index (they sum to
    the index value) and its share of the index; `rule` names the nodes where a geometric
    log share was undefined and the split by weights was used instead."""
    tree = ev.tree
    leaves = ev.leaf_values()
    nodes = recompute(tree, leaves)
    n = len(ev.frame)
    parts: dict[str, np.ndarray] = {tree.index: nodes[tree.index].copy()}
    # per name, the nodes on its paths whose shares fell back to the weights, row by row
    marks: dict[str, dict[str, np.ndarray]] = {tree.index: {}}
    for node in tree.top_down:
        kids = tree.children[node]
        shares, fallback = node_shares(
            tree.methods[node],
            [nodes[c] if c in nodes else leaves[c] for c in kids],
            tree.weights[node],
            nodes[node],
            tree.least.get(node),
            tree.exponents.get(node),
        )
        for i, child in enumerate(kids):
            add = shares[i] * parts[node]
            parts[child] = parts[child] + add if child in parts else add
            mine = marks.setdefault(child, {})
            for where, rows in [*marks[node].items(), (node, fallback)]:
                mine[where] = mine[where] | rows if where in mine else rows
    index_value = nodes[tree.index]
    frames = []
    for leaf in tree.leaves:
        piece = ev.frame[list(ev.dims)].copy()
        piece["index"] = index_value
        piece["indicator"] = leaf
        piece["value"] = leaves[leaf]
        piece["contribution"] = parts[leaf]
        with np.errstate(all="ignore"):
            piece["share"] = np.where(index_value == 0, np.nan, parts[leaf] / index_value)
        rule = np.full(n, "exact", dtype=object)
        for row in np.flatnonzero(np.any([m for m in marks[leaf].values()], axis=0)):
            at = sorted(k for k, m in marks[leaf].items() if m[row])
            rule[row] = "weights at " + ", ".join(at)
        piece["rule"] = rule
        frames.append(piece)
    out = pd.concat(frames, ignore_index=True)
    order = [*ev.dims, "_leaf"]
    out["_leaf"] = np.repeat(np.arange(len(tree.leaves)), n)
    out = out.sort_values(order, kind="stable").drop(columns="_leaf").reset_index(drop=True)
    taken = {*ev.dims, "indicator", "value", "contribution", "share", "rule"}
    return out if tree.index in taken else out.rename(columns={"index": tree.index})


def contributions_by_node(table: pd.DataFrame, tree: Tree, dims: Sequence[str]) -> pd.DataFrame:
    """The leaves' contributions rolled up the hierarchy: for each row and each node below
    the index (pillars, sub-pillars), the sum of its indicators' contributions and its share
    of the index. A node's indicators are counted once each, however many paths lead there."""
    index_col = tree.index if tree.index in table.columns else "index"
    under: dict[str, set[str]] = {}

    def leaves_of(name: str) -> set[str]:
        if name not in tree.children:
            return {name}
        if name not in under:
            under[name] = set().union(*(leaves_of(c) for c in tree.children[name]))
        return under[name]

    parents = {c: n for n in tree.top_down for c in tree.children[n]}
    frames = []
    for depth, node in _by_depth(tree):
        if node == tree.index:
            continue
        mine = table[table["indicator"].isin(leaves_of(node))]
        summed = mine.groupby(list(dims), sort=False, dropna=False)["contribution"].sum(min_count=1)
        piece = (
            mine.drop_duplicates(list(dims))[[*dims, index_col]]
            .merge(summed.rename("contribution").reset_index(), on=list(dims))
            .assign(node=node, level=depth, parent=parents.get(node, ""))
        )
        with np.errstate(all="ignore"):
            value = piece[index_col].to_numpy(dtype=np.float64)
            part = piece["contribution"].to_numpy(dtype=np.float64)
            piece["share"] = np.where(value == 0, np.nan, part / value)
        frames.append(piece)
    columns = [*dims, index_col, "node", "level", "parent", "contribution", "share"]
    if not frames:
        return pd.DataFrame(columns=columns)
    out = pd.concat(frames, ignore_index=True)[columns]
    return out.sort_values(list(dims), kind="stable").reset_index(drop=True)


def _by_depth(tree: Tree) -> list[tuple[int, str]]:
    """The nodes in reading order with their depth (the index 0, its children 1, ...)."""
    depth = {tree.index: 0}
    for name in tree.top_down:
        for child in tree.children[name]:
            depth.setdefault(child, depth[name] + 1)
    return [(depth[n], n) for n in tree.reading if n in tree.children]


def contributions_for(
    prog: Program,
    data: Panel | str | os.PathLike[str],
    index: str,
    params: Params | None = None,
    entity: str | None = None,
    year: str | int | None = None,
    read_options: ReadOptions | None = None,
    by_node: bool = False,
) -> tuple[pd.DataFrame, list[Diagnostic]]:
    """The contributions of the indicators (or with `by_node`, of every node below the index)
    to the index, for one entity or year when given."""
    ev = evaluate(prog, data, index, params, read_options)
    out = contributions(ev)
    if entity is not None:
        known = out[ev.entity_dim].astype(str).unique().tolist()
        if entity not in known:
            unknown = localised_unknown(
                "KZF026",
                (
                    "--entity: no entity named {entity}",
                    "--entity: no entity named {entity}; did you mean '{suggestion}'?",
                    "--entity: no entity named {entity}; did you mean '{suggestion}'? "
                    "('{name}' has {scripts} letters that look alike)",
                ),
                entity,
                known,
                entity=repr(entity),
            )
            raise UsageError([unknown])
        out = out[out[ev.entity_dim].astype(str) == entity]
    if year is not None:
        if ev.time_dim is None:
            raise UsageError([error("KZF026", "--year: the panel has no time dimension")])
        if str(year) not in set(out[ev.time_dim].astype(str)):
            raise UsageError(
                [localised("KZF026", "--year {year}: the panel has no rows for it", year=year)]
            )
        out = out[out[ev.time_dim].astype(str) == str(year)]
    if by_node:
        out = contributions_by_node(out, ev.tree, ev.dims)
    return out.reset_index(drop=True), ev.warnings
