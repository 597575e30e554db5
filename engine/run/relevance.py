"""Which rows of each step reach a result: so that warnings speak only of rows that matter.

`if(max - min = 0, 0, (x - min) / (max - min))` divides by zero on the rows where the guard
picks 0; a warning about those rows would be noise. Walking the plan backwards from the
outputs, a row of a step matters when some output's value on that row depends on it: an
`if` passes its rows to the `then` branch only where the condition holds, and to the `else`
branch only where it does not. Steps that read across rows (aggregates, ranks, shifts) make
every row of their argument matter. Backend-neutral: any backend that can hand over the
condition of each `if` can use it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

import numpy as np

from kzf.dsl.diagnostics import Diagnostic, Span, localised_warning
from kzf.dsl.messages import Phrase
from kzf.engine.compile.plan import Plan
from kzf.engine.core import ir

Rows = TypeVar("Rows")  # how a set of rows is represented: a mask, a SQL condition


def relevant_rows(
    plan: Plan,
    n: int,
    conditions: Mapping[int, np.ndarray],
    output_rows: np.ndarray | None = None,
) -> dict[int, np.ndarray]:
    """For each step id, a boolean mask of the rows whose value reaches an output.

    `conditions` maps the step id of each `if` to its condition (1, 0 or NaN per row);
    `output_rows` restricts the outputs to the rows that are kept (`--where`)."""
    every = np.ones(n, dtype=bool)
    out_mask = every if output_rows is None else output_rows

    def branches(sid: int, mine: np.ndarray) -> list[np.ndarray] | None:
        if sid not in conditions:
            return None
        cond = np.broadcast_to(np.asarray(conditions[sid]), (n,))
        return [mine, mine & (cond == 1.0), mine & (cond == 0.0)]

    return walk_back(
        plan,
        lambda: out_mask.copy(),
        branches,
        lambda mine: every if mine.any() else mine,
        lambda prior, share: prior | share,
    )


def walk_back(
    plan: Plan,
    outputs: Callable[[], Rows],
    branches: Callable[[int, Rows], list[Rows] | None],
    across: Callable[[Rows], Rows],
    union: Callable[[Rows, Rows], Rows],
) -> dict[int, Rows]:
    """The walk itself, over any representation of a set of rows (a numpy mask here, a SQL
    condition in `native.SqlRelevance`): `outputs()` the rows of an output, `branches` the
    shares of an `if`'s condition, then and else (None: its condition is not known, every
    input gets the `if`'s rows), `across` what a step reading across rows passes on."""
    matters: dict[int, Rows] = {sid: outputs() for sid in plan.outputs.values()}
    for step in reversed(plan.steps):
        mine = matters.get(step.id)
        if mine is None or not step.inputs:
            continue
        node = step.node
        split = None
        if isinstance(node, ir.Op) and node.op == "if":
            split = branches(step.id, mine)
        if split is not None:
            shares = split
        elif isinstance(node, ir.Op):
            shares = [mine] * len(step.inputs)
        else:  # across rows: any row of the argument may reach any row of the result
            shares = [across(mine)] * len(step.inputs)
        for child, share in zip(step.inputs, shares, strict=True):
            prior = matters.get(child)
            matters[child] = share if prior is None else union(prior, share)
    return matters


def row_warning(
    code: str,
    message: str | Phrase,
    span: Span | None,
    rows: str,
    more: int,
    reached: Mapping[int, list[str]],
    step: int,
) -> Diagnostic:
    """A warning about some rows of a step, as every engine gives it: `message in rows (KZ,
    2020), (RU, 2020) and 3 more`, with a note of the outputs it reaches (`used by egdi,
    osi_norm`; hidden names, kzf's own, starting with NUL, left out). Made from templates, so
    that the command line says it in Kazakh or Russian where the message is one of the
    catalogue's."""
    values: dict[str, object] = {"rows": rows}
    if isinstance(message, Phrase):
        template = message.template + " in rows {rows}"
        values.update(message.values)
    else:
        template = message.replace("{", "{{").replace("}", "}}") + " in rows {rows}"
    if more > 0:
        template += " and {more} more"
        values["more"] = more
    names = [n for n in reached.get(step, []) if not n.startswith("\x00")]
    notes = [("used by {names}", {"names": ", ".join(names)})] if names else []
    return localised_warning(code, template, span, notes, **values)


def outputs_reached(plan: Plan) -> dict[int, list[str]]:
    """For each step id, the outputs computed from it (in output order)."""
    reached: dict[int, set[str]] = {sid: {name} for name, sid in plan.outputs.items()}
    for step in reversed(plan.steps):
        names = reached.get(step.id, set())
        for child in step.inputs:
            reached.setdefault(child, set()).update(names)
    order = {name: i for i, name in enumerate(plan.outputs)}
    return {sid: sorted(names, key=order.__getitem__) for sid, names in reached.items()}
