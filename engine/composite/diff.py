"""`kzf diff A.kzf B.kzf`: how a change of methodology moves scores and ranks.

A methodologist who changes a weight, a normalisation or an aggregation method wants to see,
entity by entity, what it does: the score under A and under B, the change, and the rank
among the entities of each year under both. Both files are evaluated as they are (each on its
own `data`, or both on --data), so any difference the language can express is compared, not
only those of the aggregation stage.

Ranks: 1 = the highest score among the entities with a score in that year (ties take the
lowest place, 1, 2, 2, 4). Each file ranks its own entities, so when the two files cover
different entities or years the ranks are not over the same set: the comparison says so.
Changes are B - A; a negative rank change means the entity moved up under B.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kzf.dsl.diagnostics import (
    Diagnostic,
    KzfError,
    UsageError,
    error,
    localised,
    localised_unknown,
)
from kzf.engine.api.program import Program
from kzf.engine.compile.weighted import hierarchy
from kzf.engine.composite.audit import cross_section, ranks_by_group
from kzf.engine.io.data import ReadOptions


@dataclass(frozen=True)
class Diff:
    name_a: str
    name_b: str
    frame: pd.DataFrame  # dims, score_a, score_b, change, rank_a, rank_b, rank_change
    notes: list[str]  # entities or years present in one file only
    warnings: list[Diagnostic]
    # per year (one row without a time dimension): entities scored by both, the mean and
    # largest absolute rank change, who moved most, Spearman's rho of the two scores
    summary: pd.DataFrame | None = None


def index_roots(prog: Program) -> set[str]:
    """Definitions that are weighted means of named indicators and no node's child."""
    nodes: set[str] = set()
    children: set[str] = set()
    for name in prog.checked.definitions:
        try:
            h = hierarchy(prog.checked, name)
        except KzfError:
            continue
        nodes.add(name)
        children.update(c.name for node in h.nodes.values() for c in node.children)
    return nodes - children


def choose_names(a: Program, b: Program, spec: str | None) -> tuple[str, str]:
    """--index NAME, --index NAME_A:NAME_B, or the one index both files define."""
    if spec:
        left, sep, right = spec.partition(":")
        name_a, name_b = (left, right) if sep else (spec, spec)
        for prog, name in ((a, name_a), (b, name_b)):
            if name not in prog.checked.definitions:
                unknown = localised_unknown(
                    "KZF025",
                    (
                        "--index: {file} has no definition named '{name}'",
                        "--index: {file} has no definition named '{name}'; did you mean "
                        "'{suggestion}'?",
                        "--index: {file} has no definition named '{name}'; did you mean "
                        "'{suggestion}'? ('{name}' has {scripts} letters that look alike)",
                    ),
                    name,
                    list(prog.checked.definitions),
                    file=prog.path,
                )
                raise UsageError([unknown])
        return name_a, name_b
    common = index_roots(a) & index_roots(b)
    if len(common) == 1:
        name = common.pop()
        return name, name
    shared = [n for n in a.checked.definitions if n in b.checked.definitions]
    candidates = sorted(common) if common else shared
    listed = ", ".join(candidates[:12]) + (", ..." if len(candidates) > 12 else "")
    if common:  # several: `common` is not empty, so neither is `candidates`
        said = localised(
            "KZF025",
            "both files define several indices; choose one with --index NAME (or NAME_A:NAME_B)"
            "; candidates: {candidates}",
            candidates=listed,
        )
    elif candidates:
        said = localised(
            "KZF025",
            "the two files define no common weighted-mean index; choose one with --index NAME "
            "(or NAME_A:NAME_B); candidates: {candidates}",
            candidates=listed,
        )
    else:
        said = error(
            "KZF025",
            "the two files define no common weighted-mean index; choose one with --index NAME "
            "(or NAME_A:NAME_B); they share no definition",
        )
    raise UsageError([said])


def _params_for(prog: Program, overrides: Mapping[str, float | str]) -> dict[str, float | str]:
    return {k: v for k, v in overrides.items() if k in prog.params}


def diff(
    a: Program,
    b: Program,
    data: str | os.PathLike[str] | None = None,
    index: str | None = None,
    params: Mapping[str, float | str] | None = None,
    read_options: ReadOptions | None = None,
) -> Diff:
    """Evaluate both and line their scores and ranks up per entity and year."""
    if a.dims != b.dims:
        raise UsageError(
            [
                localised(
                    "KZF026",
                    "the files have different dimensions ({dims_a} and {dims_b}): their results "
                    "cannot be lined up",
                    dims_a=", ".join(a.dims),
                    dims_b=", ".join(b.dims),
                )
            ]
        )
    overrides = dict(params or {})
    unknown = [k for k in overrides if k not in a.params and k not in b.params]
    if unknown:
        raise UsageError(
            [
                localised(
                    "KZF019", "--param: neither file has a param named '{name}'", name=unknown[0]
                )
            ]
        )
    name_a, name_b = choose_names(a, b, index)
    entity_dim, time_dim = cross_section(a)
    frames, issues = [], []
    for prog, name, label in ((a, name_a, "a"), (b, name_b, "b")):
        source = data if data is not None else prog.data_path
        if source is None:
            raise UsageError(
                [
                    localised(
                        "KZF107",
                        "{file} declares no `data`; give one with --data PATH",
                        file=prog.path,
                    )
                ]
            )
        panel = prog.read_data(source, [name], **(read_options or {}))
        result = prog.run(panel, _params_for(prog, overrides), [name])
        issues += result.warnings
        frame = result.frame[[*a.dims, name]].rename(columns={name: f"score_{label}"})
        frames.append(frame[~frame[f"score_{label}"].isna()])
    merged = frames[0].merge(frames[1], on=list(a.dims), how="outer", sort=True)
    groups = merged[time_dim].to_numpy() if time_dim else None
    for label in ("a", "b"):
        score = merged[f"score_{label}"].to_numpy(dtype=np.float64)
        merged[f"rank_{label}"] = ranks_by_group(score, groups)
    merged["change"] = merged["score_b"] - merged["score_a"]
    merged["rank_change"] = merged["rank_b"] - merged["rank_a"]
    order = [*a.dims, "score_a", "score_b", "change", "rank_a", "rank_b", "rank_change"]
    notes = _coverage(frames[0], frames[1], entity_dim, time_dim)
    frame = merged[order].reset_index(drop=True)
    summary = summarise(frame, entity_dim, time_dim)
    return Diff(name_a, name_b, frame, notes, issues, summary)


def summarise(frame: pd.DataFrame, entity_dim: str, time_dim: str | None) -> pd.DataFrame:
    """How much the ranking moved, per year, over the entities both files score: the mean
    and largest |rank change|, who moved most, the share of entities that moved, and
    Spearman's rho of the two scores (1: the same order; ties take average ranks)."""
    from scipy import stats

    both = frame.dropna(subset=["score_a", "score_b"])
    groups = [(None, both)] if time_dim is None else list(both.groupby(time_dim, sort=True))
    records = []
    for year, part in groups:
        shift = part["rank_change"].abs().to_numpy(dtype=np.float64)
        rho = float("nan")
        if len(part) > 2:
            rho = float(stats.spearmanr(part["score_a"], part["score_b"]).statistic)
        most = part[entity_dim].to_numpy()[int(np.argmax(shift))] if len(shift) else ""
        records.append(
            {
                **({time_dim: year} if time_dim is not None else {}),
                "entities": len(part),
                "mean_abs_rank_change": float(shift.mean()) if len(shift) else float("nan"),
                "max_abs_rank_change": float(shift.max()) if len(shift) else float("nan"),
                "moved_most": most if len(shift) and shift.max() > 0 else "",
                "share_moved": float((shift > 0).mean()) if len(shift) else float("nan"),
                "spearman_rho": rho,
            }
        )
    return pd.DataFrame.from_records(records)


def _coverage(
    fa: pd.DataFrame, fb: pd.DataFrame, entity_dim: str, time_dim: str | None
) -> list[str]:
    notes = []
    for dim, what in ((entity_dim, "entities"), (time_dim, "years")):
        if dim is None:
            continue
        in_a, in_b = set(fa[dim].astype(str)), set(fb[dim].astype(str))
        for only, side in ((in_a - in_b, "A"), (in_b - in_a, "B")):
            if only:
                shown = ", ".join(sorted(only)[:10]) + (", ..." if len(only) > 10 else "")
                notes.append(f"{what} with a score in {side} only: {shown}")
    if notes:
        notes.append("ranks are among each file's own entities, so they cover different sets")
    return notes
