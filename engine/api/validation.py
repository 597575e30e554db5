"""Validation rules: the rows of the data that break a file's `rule`s, as a table people act
on (docs/validation.md).

A rule's condition is an ordinary condition definition, computed by whichever engine runs
the program; this module only reads the computed column. The table has one row per rule
and failing row, as VTL's `check_datapoint` gives it (its "invalid" output): the rule, the
row's keys, the values the rule reads, and the rule's code, severity and message. A row
where the condition is missing (a value it needs is missing) is not a failure; the summary
counts it as not evaluated, so that a rule no row could be checked against is never taken
for one every row passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kzf.dsl import ast
from kzf.dsl.diagnostics import Diagnostic, Severity
from kzf.dsl.messages import say
from kzf.engine.compile.resolve import CheckedProgram
from kzf.engine.core import ir

SUMMARY_COLUMNS = (
    "rule", "severity", "code", "rows", "passed", "failed", "not_evaluated", "not_applicable",
    "applies_to",
)  # fmt: skip
MAX_LISTED = 5  # failing rows named in a diagnostic


@dataclass(frozen=True)
class Validation:
    """`table`: one row per rule and failing row; `summary`: one row per rule."""

    table: pd.DataFrame
    summary: pd.DataFrame
    diagnostics: tuple[Diagnostic, ...]

    @property
    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.diagnostics)


def validate(
    checked: CheckedProgram, frame: pd.DataFrame, inputs: pd.DataFrame | None = None
) -> Validation:
    """The validation of `frame`, the results of evaluating every rule of `checked` (each
    rule's condition is the column of its name). `inputs`, the panel the results come from
    row for row, gives the values the rules read for the table."""
    dims = [d for d in checked.dims if d in frame.columns]
    if inputs is not None and len(inputs) == len(frame):
        extra = [c for c in inputs.columns if c not in frame.columns]
        frame = pd.concat([frame, inputs[extra].set_axis(frame.index, axis=0)], axis=1)
    parts: list[pd.DataFrame] = []
    summary: list[dict[str, object]] = []
    diagnostics: list[Diagnostic] = []
    for name, rule in checked.rules.items():
        if name not in frame.columns:
            continue
        held = frame[name].astype("boolean")
        failed = (~held.fillna(True)).to_numpy(dtype=bool)
        missing = held.isna().to_numpy(dtype=bool)
        applies = _applies(checked.definitions[name].node, frame)
        node = checked.definitions[name].node
        reads = list(dict.fromkeys([*ir.columns_read(node), *named_definitions(checked, name)]))
        reads = [c for c in reads if c in frame.columns and c not in dims and c != name]
        rows = np.flatnonzero(failed)
        if len(rows):
            part = frame.iloc[rows][dims].reset_index(drop=True)
            part.insert(0, "rule", name)
            part["severity"] = rule.severity
            part["code"] = rule.code or ""
            part["message"] = rule.message or ""
            part["values"] = _values(frame.iloc[rows], reads)
            parts.append(part)
            diagnostics.append(_diagnostic(rule, frame.iloc[rows], dims, len(rows)))
        summary.append(
            {
                "rule": name,
                "severity": rule.severity,
                "code": rule.code or "",
                "rows": len(frame),
                "passed": int(len(frame) - failed.sum() - missing.sum()),
                "failed": int(failed.sum()),
                "not_evaluated": int((missing & applies).sum()),
                "not_applicable": int((missing & ~applies).sum()),
                "applies_to": _scope(node),
            }
        )
    columns = ["rule", *dims, "severity", "code", "message", "values"]
    table = pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)
    return Validation(
        table, pd.DataFrame(summary, columns=list(SUMMARY_COLUMNS)), tuple(diagnostics)
    )


def rule_counts(row: Any) -> str:
    """`rule yoy (warning): 1 passed, 1 failed, 2 not evaluated (a value missing), of 4
    rows`: one line of the summary, as the command line and the report say it."""
    values = {
        "rule": row.rule,
        "severity": row.severity,
        "passed": row.passed,
        "failed": row.failed,
        "missing": row.not_evaluated,
        "rows": row.rows,
    }
    if row.not_applicable:
        return say(
            "rule {rule} ({severity}): {passed} passed, {failed} failed, {missing} not evaluated "
            "(a value missing), {inapplicable} not applicable (not {applies}), of {rows} rows",
            inapplicable=row.not_applicable,
            applies=row.applies_to,
            **values,
        )
    return say(
        "rule {rule} ({severity}): {passed} passed, {failed} failed, {missing} not evaluated "
        "(a value missing), of {rows} rows",
        **values,
    )


def _totals(node: ir.Node) -> list[ir.Rollup]:
    return [n for n in ir.preorder(node) if isinstance(n, ir.Rollup) and not n.fill]


def _applies(node: ir.Node, frame: pd.DataFrame) -> np.ndarray:
    """The rows a rule can be evaluated on. A rule comparing values with their totals,
    rollup(x, h), has one only on the rows of a parent code: elsewhere its condition is
    missing by construction, and those rows are not applicable rather than not evaluated,
    as VTL's check_hierarchy gives rows for the rules' left-hand sides only."""
    totals = _totals(node)
    if not totals:
        return np.ones(len(frame), dtype=bool)
    applies = np.zeros(len(frame), dtype=bool)
    for t in totals:
        if t.over in frame.columns:
            parents = [p for p, _ in t.rules]
            applies |= frame[t.over].astype(str).isin(parents).to_numpy(dtype=bool)
    return applies


def _scope(node: ir.Node) -> str:
    names = list(dict.fromkeys(t.hierarchy for t in _totals(node)))
    if not names:
        return ""
    return "the totals of hierarchy " + ", ".join(f"'{n}'" for n in names)


def named_definitions(checked: CheckedProgram, rule: str) -> list[str]:
    """The definitions a rule mentions by name (`close(value, sum_of_rows, 0.05)`: the
    sum_of_rows), computed with it so that the table shows their values too."""
    expr = checked.definitions[rule].expr
    names, _ = ast.names_in(expr)
    return [n for n in names if n in checked.definitions and n != rule]


def _shown(value: object) -> str:
    if pd.isna(value):  # type: ignore[call-overload]
        return "missing"
    return f"{value:.15g}" if isinstance(value, float) else str(value)


def _values(rows: pd.DataFrame, reads: list[str]) -> list[str]:
    """`share = 150, total = 100`: what the rule read on each failing row."""
    if not reads:
        return [""] * len(rows)
    shown = [rows[c].map(_shown) for c in reads]
    return [
        ", ".join(f"{c} = {v}" for c, v in zip(reads, values, strict=True))
        for values in zip(*shown, strict=True)
    ]


def _diagnostic(rule: ast.Rule, rows: pd.DataFrame, dims: list[str], count: int) -> Diagnostic:
    keys = [
        "(" + ", ".join(str(v) for v in r) + ")"
        for r in rows[dims].head(MAX_LISTED).itertuples(index=False)
    ]
    more = count - len(keys)
    values = {
        "name": rule.name,
        "code": f" [{rule.code}]" if rule.code else "",
        "count": str(count),
        "said": f": {rule.message}" if rule.message else "",
        "listed": ", ".join(keys),
    }
    # a template (said in Kazakh or Russian too) for a rule's severity, which may be info
    if more > 0:
        values["more"] = str(more)
        template = "rule '{name}'{code} fails on {count} row(s){said}: {listed} and {more} more"
    else:
        template = "rule '{name}'{code} fails on {count} row(s){said}: {listed}"
    severity = {"error": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.NOTE}[
        rule.severity
    ]
    return Diagnostic(
        "KZF170",
        template.format(**values),
        rule.span,
        severity,
        template=template,
        values=tuple(values.items()),
    )
