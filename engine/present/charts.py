"""Charts of results: a time series per entity, ranks per year, bars for the latest year.

Drawn with matplotlib's object API on the Agg/SVG canvases (no pyplot, no display, no global
figure state, so it is safe in a server or a test run). Text is in DejaVu Sans, which ships
with matplotlib and covers Kazakh Cyrillic (Қ Ә Ғ Ң Ө Ұ Ү Һ І). SVG output turns the text into
paths, so an SVG chart needs no font on the reader's machine, and its ids are prefixed so that
several charts can be inlined in one HTML page.

    kzf plot formulas/egdi.kzf egdi_place --kind ranks -o places.svg --lang kk
"""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from kzf.engine.core.numeric import snap
from kzf.engine.present.i18n import format_number, text

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

KINDS = ("series", "ranks", "bars")

_STYLE: Any = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "axes.edgecolor": "#888888",
    "axes.prop_cycle": "cycler('color', ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', "
    "'#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'])",
    "svg.hashsalt": "kzf",  # the same chart gives the same SVG on every run
    "svg.fonttype": "path",
}


@dataclass(frozen=True)
class Shape:
    """How a result column varies over the panel; decides its table and its charts."""

    kind: str  # "empty" | "series" (varies along time) | "per_entity" | "constant"
    entities: int  # entity keys (combinations of the non-time dimensions) with a value
    times: int = 0  # time points with a value


def entity_keys(frame: pd.DataFrame, dims: Sequence[str], time_dim: str | None) -> pd.Series:
    """One label per row for the combination of its non-time dimensions ("" if there are none)."""
    others = [d for d in dims if d != time_dim]
    if not others:
        return pd.Series([""] * len(frame), index=frame.index, dtype=object)
    if len(others) == 1:
        return frame[others[0]].astype(str)
    return frame[others].astype(str).agg(" / ".join, axis=1)


def shape_of(frame: pd.DataFrame, name: str, dims: Sequence[str], time_dim: str | None) -> Shape:
    values = pd.to_numeric(frame[name], errors="coerce").astype(float)
    keys = entity_keys(frame, dims, time_dim)
    present = values.notna()
    if not present.any():
        return Shape("empty", 0)
    n_entities = int(keys[present].nunique())
    n_times = int(frame.loc[present, time_dim].nunique()) if time_dim else 0
    per_entity = True
    seen: set[float] = set()
    for _, group in values.groupby(keys, sort=False):
        if group.isna().all():
            continue
        if group.isna().any() or group.nunique() > 1:
            per_entity = False
            break
        seen.add(float(group.iloc[0]))
    if not per_entity or time_dim is None:
        return Shape("series" if time_dim is not None else "per_entity", n_entities, n_times)
    return Shape("constant" if len(seen) == 1 else "per_entity", n_entities, n_times)


def kinds_for(shape: Shape, is_rank: bool = False) -> list[str]:
    """The charts that say something about a column of this shape. A column that is itself a
    rank gets its places per year only (its time series would be the same chart upside down)."""
    several = shape.entities >= 2
    if shape.kind == "series" and shape.times >= 2:
        if not several:
            return ["series"]
        return ["ranks"] if is_rank else ["series", "ranks", "bars"]
    if shape.kind in ("series", "per_entity") and several:
        return ["bars"]  # one year, or one value per entity
    return []


def colors_for(keys: Sequence[str]) -> dict[str, str]:
    """A colour per entity, the same in every chart of a report."""
    palette = [
        "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
        "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22",
    ]  # fmt: skip
    ordered = sorted(dict.fromkeys(keys))
    return {k: palette[i % len(palette)] for i, k in enumerate(ordered)}


# ---------------------------------------------------------------- drawing


def draw(
    kind: str,
    frame: pd.DataFrame,
    name: str,
    dims: Sequence[str],
    time_dim: str | None,
    *,
    title: str,
    unit: str | None = None,
    lang: str = "en",
    is_rank: bool = False,
) -> Figure:
    """One chart of column `name` (`kind` is one of KINDS) as a matplotlib Figure."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    if kind not in KINDS:
        raise ValueError(f"unknown chart kind {kind!r}; use one of {', '.join(KINDS)}")
    data = pd.DataFrame(
        {
            "key": entity_keys(frame, dims, time_dim).to_numpy(),
            "t": frame[time_dim].to_numpy() if time_dim else np.zeros(len(frame)),
            "v": pd.to_numeric(frame[name], errors="coerce").astype(float).to_numpy(),
        }
    ).dropna(subset=["v"])
    colors = colors_for(list(entity_keys(frame, dims, time_dim)))
    broadcast = shape_of(frame, name, dims, time_dim).kind in ("per_entity", "constant")
    numbers = FuncFormatter(lambda v, _pos: format_number(v, lang))
    with matplotlib.rc_context(_STYLE):
        fig = Figure(figsize=(6.4, 3.6), layout="constrained")
        ax = fig.subplots()
        if kind == "series":
            subtitle = text("chart_series", lang)
            _series(ax, data, colors)
            ax.yaxis.set_major_formatter(numbers)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            if unit:
                ax.set_ylabel(unit)
        elif kind == "ranks":
            subtitle = text("chart_places" if is_rank else "chart_ranks", lang)
            _ranks(ax, data, is_rank, colors)
            ax.set_ylabel(text("rank", lang))
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        else:
            subtitle = _bars(
                ax, data, lang, numbers, time_dim is not None and not broadcast, colors
            )
            if unit:
                ax.set_xlabel(unit)
        wrapped = textwrap.fill(title, 70)
        ax.set_title(f"{wrapped}\n{subtitle}", loc="left")
    return fig


def draw_correlations(
    names: Sequence[str], matrix: np.ndarray, *, title: str, lang: str = "en"
) -> Figure:
    """A composite index's correlation heat map: Pearson's r of every pair of its names
    (indicators, nodes, the index) as cells coloured from -1 (red) to 1 (blue), the value
    written in each cell (`kzf plot FILE INDEX --kind correlations`)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    k = len(names)
    size = max(4.0, 0.45 * k + 2.0)
    with matplotlib.rc_context(_STYLE):
        fig = Figure(figsize=(size + 1.0, size), layout="constrained")
        ax = fig.subplots()
        image = ax.imshow(np.ma.masked_invalid(matrix), cmap="RdBu", vmin=-1.0, vmax=1.0)
        ax.grid(False)
        ax.set_xticks(range(k), labels=list(names), rotation=90, fontsize=8)
        ax.set_yticks(range(k), labels=list(names), fontsize=8)
        for i in range(k):
            for j in range(k):
                if np.isfinite(matrix[i, j]):
                    ax.text(
                        j, i, format_number(round(float(matrix[i, j]), 2), lang),
                        ha="center", va="center", fontsize=7,
                        color="white" if abs(matrix[i, j]) > 0.6 else "black",
                    )  # fmt: skip
        fig.colorbar(image, ax=ax, shrink=0.8, label="r")
        ax.set_title(textwrap.fill(title, 70), loc="left")
    return fig


PALETTE = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
    "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22",
]  # fmt: skip


def _figure(width: float, height: float) -> tuple[Figure, Axes]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.subplots()


def draw_framework(
    index: str,
    children: Mapping[str, Sequence[str]],
    weights: Mapping[str, Sequence[float]],
    labels: Mapping[str, str],
    *,
    title: str,
) -> Figure:
    """A composite index's framework as a sunburst (COINr's plot_framework): the index in
    the centre, a ring for each level below it, each node and indicator a wedge spanning its
    effective weight (its share of the index: the product of its normalised weights down from
    the index). Wedges take the colour of the index's child they belong to; a wedge is
    labelled where there is room."""
    import matplotlib

    wedges: list[tuple[str, int, float, float, int]] = []  # name, depth, start, span, family

    def place(name: str, depth: int, start: float, span: float, family: int) -> None:
        wedges.append((name, depth, start, span, family))
        kids = children.get(name, ())
        total = float(sum(weights.get(name, ())))
        at = start
        for i, (kid, w) in enumerate(zip(kids, weights.get(name, ()), strict=True)):
            part = span * (w / total) if total else 0.0
            place(kid, depth + 1, at, part, i if depth == 0 else family)
            at += part

    place(index, 0, 0.0, 2 * np.pi, 0)
    depth = max(w[1] for w in wedges)
    with matplotlib.rc_context(_STYLE):
        import matplotlib.colors as mcolors
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6.4, 6.4), layout="constrained")
        ax = fig.add_subplot(projection="polar")
        ax.grid(False)
        ax.set_axis_off()
        for name, level, start, span, family in wedges:
            base = np.array(mcolors.to_rgb(PALETTE[family % len(PALETTE)] if level else "#555555"))
            shade = base + (1 - base) * min(0.18 * max(level - 1, 0), 0.6)
            ax.bar(
                start + span / 2, 1.0, width=span, bottom=level, color=tuple(shade),
                edgecolor="white", linewidth=0.6 if level else 0.0, align="center",
            )  # fmt: skip
            room = span * (level + 0.5)  # the wedge's arc length at its middle, in ring widths
            shown = labels.get(name, name)
            if level == 0 or room > 0.9 * min(len(shown), 14) / 10:
                angle = np.degrees(start + span / 2)
                rotation = angle - 90 if level else 0  # along the ring, upright below too
                if level and 180 < angle < 360:
                    rotation += 180
                ax.text(
                    start + span / 2 if level else 0, level + 0.5 if level else 0,
                    textwrap.shorten(shown, 22, placeholder="…"),
                    ha="center", va="center", fontsize=7 if level else 9,
                    rotation=rotation, rotation_mode="anchor",
                    color="white" if level <= 1 else "black",
                )  # fmt: skip
        ax.set_ylim(0, depth + 1)
        ax.set_title(textwrap.fill(title, 60), loc="left")
    return fig


POINTS = 600  # a distributions chart shows each value up to this many values in all


def draw_distributions(
    items: Sequence[tuple[str, str, np.ndarray]], *, title: str, lang: str = "en"
) -> Figure:
    """The distribution over the entities of each (name, group, values): a box (quartiles,
    whiskers to 1.5 IQR) and the values as points, coloured by group (the indicator's
    pillar), in the order given (COINr's plot_dist)."""
    import matplotlib
    from matplotlib.ticker import FuncFormatter

    n = len(items)
    groups = list(dict.fromkeys(g for _, g, _ in items))
    color = {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(groups)}
    with matplotlib.rc_context(_STYLE):
        fig, ax = _figure(6.4, max(2.5, 0.22 * n + 1.2))
        data = [v[np.isfinite(v)] for _, _, v in items]
        boxes = ax.boxplot(
            data, orientation="horizontal", widths=0.6, patch_artist=True,
            showfliers=sum(len(v) for v in data) > POINTS, flierprops={"markersize": 2},
            medianprops={"color": "black"},
        )  # fmt: skip
        for box, (_, group, _) in zip(boxes["boxes"], items, strict=True):
            box.set_facecolor(color[group])
            box.set_alpha(0.45)
        rng = np.random.default_rng(0)  # the same jitter on every run
        # every value as a point while they are few enough to tell apart (and to keep the
        # page small: each is a shape of the SVG); beyond, the boxes and their outliers
        for i, values in enumerate(data if sum(len(v) for v in data) <= POINTS else []):
            jitter = rng.uniform(-0.18, 0.18, len(values))
            ax.scatter(values, np.full(len(values), i + 1) + jitter, s=5, color="#333333")
        ax.set_yticks(range(1, n + 1), labels=[name for name, _, _ in items], fontsize=7)
        ax.invert_yaxis()
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: format_number(v, lang)))
        ax.set_title(textwrap.fill(title, 70), loc="left")
    return fig


def draw_contributions(
    entities: Sequence[str],
    parts: Mapping[str, np.ndarray],
    labels: Mapping[str, str],
    *,
    title: str,
    lang: str = "en",
) -> Figure:
    """Stacked bars: each entity's index value split into what each part (the index's
    children) contributes, the entities from the highest index value down (COINr's
    plot_bar with stacked components). The contributions add up to the index."""
    import matplotlib
    from matplotlib.ticker import FuncFormatter

    n = len(entities)
    with matplotlib.rc_context(_STYLE):
        fig, ax = _figure(6.4, max(2.5, 0.2 * n + 1.4))
        left = np.zeros(n)
        for i, (name, values) in enumerate(parts.items()):
            shown = np.nan_to_num(values, nan=0.0)
            ax.barh(
                range(n), shown, left=left, color=PALETTE[i % len(PALETTE)],
                label=labels.get(name, name), height=0.75,
            )  # fmt: skip
            left = left + shown
        ax.set_yticks(range(n), labels=list(entities), fontsize=7)
        ax.invert_yaxis()
        ax.grid(axis="y", visible=False)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: format_number(v, lang)))
        ax.legend(loc="lower right", fontsize=7, frameon=False)
        ax.set_title(textwrap.fill(title, 70), loc="left")
    return fig


def draw_rank_bands(
    entities: Sequence[str],
    nominal: np.ndarray,
    median: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    *,
    title: str,
    lang: str = "en",
) -> Figure:
    """Each entity's rank under the sensitivity analysis: the nominal rank (a dot), the
    median rank (a diamond) and the 5th-95th percentile band (a bar), from the best rank
    down (COINr's plot_uncertainty)."""
    import matplotlib

    n = len(entities)
    y = np.arange(n)
    with matplotlib.rc_context(_STYLE):
        fig, ax = _figure(6.4, max(2.5, 0.2 * n + 1.4))
        ax.hlines(y, low, high, color="#9ecae1", linewidth=4)
        ax.scatter(
            median, y, marker="D", s=14, color="#d62728", label=text("median_rank", lang), zorder=3
        )
        ax.scatter(nominal, y, s=14, color="#1f77b4", label=text("nominal_rank", lang), zorder=3)
        ax.set_yticks(y, labels=list(entities), fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel(text("rank", lang))
        ax.legend(loc="lower right", fontsize=7, frameon=False)
        ax.set_title(textwrap.fill(title, 70), loc="left")
    return fig


def _one_time(ax: Axes, data: pd.DataFrame) -> None:
    times = data["t"].unique()
    if len(times) == 1:  # a single year: do not let the axis spread over centuries
        ax.set_xticks([times[0]])
        ax.set_xlim(times[0] - 1, times[0] + 1)


def _series(ax: Axes, data: pd.DataFrame, colors: dict[str, str]) -> None:
    keys = list(dict.fromkeys(data["key"]))
    for key in keys:
        part = data[data["key"] == key].sort_values("t")
        ax.plot(
            part["t"],
            part["v"],
            marker="o",
            markersize=3.5,
            linewidth=1.6,
            label=key or None,
            color=colors.get(key),
        )
    _one_time(ax, data)
    if len(keys) > 1:
        ax.legend(fontsize=8, frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))


def _ranks(ax: Axes, data: pd.DataFrame, is_rank: bool, colors: dict[str, str]) -> None:
    if is_rank:
        data = data.assign(r=data["v"])
    else:  # 1 = the largest value of the year, ties share the lowest rank (as kzf's rank,
        # which compares values to 15 significant digits)
        snapped = data.assign(v=snap(data["v"].to_numpy(dtype=np.float64)))
        data = data.assign(r=snapped.groupby("t")["v"].rank(method="min", ascending=False))
    for key in dict.fromkeys(data["key"]):
        part = data[data["key"] == key].sort_values("t")
        (line,) = ax.plot(
            part["t"], part["r"], marker="o", markersize=4, linewidth=1.8, color=colors.get(key)
        )
        last = part.iloc[-1]
        ax.annotate(
            str(key),
            (last["t"], last["r"]),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
            color=line.get_color(),
        )
    top = max(float(data["r"].max()), 1.0)
    ax.set_ylim(top + 0.5, 0.5)  # 1 at the top
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis="x", visible=False)
    ax.margins(x=0.12)
    _one_time(ax, data)


def _bars(
    ax: Axes,
    data: pd.DataFrame,
    lang: str,
    numbers: object,
    by_year: bool,
    colors: dict[str, str],
) -> str:
    latest = data["t"].max()
    if by_year:
        part = data[data["t"] == latest]
        subtitle = text("chart_bars", lang, year=_year(latest))
    else:  # one value per entity: any row of each entity
        part = data.drop_duplicates("key", keep="last")
        subtitle = text("chart_bars_entity", lang)
    part = part.sort_values("v")
    fill = [colors.get(k, "#1f77b4") for k in part["key"]]
    bars = ax.barh(part["key"].astype(str), part["v"], color=fill, height=0.6)
    ax.axvline(0, color="#888888", linewidth=0.8)
    ax.bar_label(bars, labels=[format_number(v, lang) for v in part["v"]], padding=3, fontsize=8)
    ax.xaxis.set_major_formatter(numbers)  # type: ignore[arg-type]
    ax.grid(axis="y", visible=False)
    ax.margins(x=0.15)
    return subtitle


def _year(t: object) -> str:
    try:
        f = float(t)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(t)
    return str(int(f)) if f.is_integer() else str(f)


# ---------------------------------------------------------------- output

_ID = re.compile(r'\bid="([^"]+)"')
_REF = re.compile(r'(xlink:href|href)="#([^"]+)"')
_URL = re.compile(r"url\(#([^)]+)\)")
_ROOT = re.compile(r"<svg\b[^>]*>")


def to_svg(fig: Figure, prefix: str, title: str | None = None) -> str:
    """The chart as an `<svg>` element to inline in HTML: no XML prolog, ids prefixed,
    scaled to the width of its container."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context(_STYLE):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)  # RDF boilerplate
    svg = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    svg = _REF.sub(lambda m: f'{m.group(1)}="#{prefix}-{m.group(2)}"', svg)
    svg = _URL.sub(lambda m: f"url(#{prefix}-{m.group(1)})", svg)

    def root(m: re.Match[str]) -> str:
        tag = re.sub(r'\s(width|height)="[^"]*"', "", m.group(0))
        extra = ' class="chart" role="img" preserveAspectRatio="xMidYMid meet"'
        if title:
            from html import escape

            extra += f' aria-label="{escape(title)}"'
        return tag[:-1] + extra + ">"

    return _ROOT.sub(root, svg, count=1)


def save(fig: Figure, path: str) -> None:
    """Write a chart to .png (150 dpi) or .svg."""
    import matplotlib

    from kzf.engine.io.output import write_atomically

    suffix = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    if suffix not in ("png", "svg"):
        raise ValueError(f"{path}: write .png or .svg")

    def write(tmp: str) -> None:
        with matplotlib.rc_context(_STYLE):
            meta = {"Date": None} if suffix == "svg" else {"Software": "kzf"}
            fig.savefig(tmp, format=suffix, dpi=150, metadata=meta)

    write_atomically(path, write)
