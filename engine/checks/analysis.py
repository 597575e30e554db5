"""The static checks run on every compilation, after names and types are resolved:
units (engine/checks/units.py), domains (engine/checks/domains.py), methodology lint
(engine/checks/lint.py) and the file's `assert same(...)` (engine/checks/symbolic.py, imported
only when a file asserts).

Unit errors and failed assertions are errors: compilation stops with a ProgramError. The rest
are warnings, the `warnings` of the checked program returned, unless an `allow` statement
accepts them. The passes are declared in PASSES; their results are kept in an `Analysis`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from kzf.dsl.diagnostics import Diagnostic, ProgramError, Span, localised, localised_warning
from kzf.dsl.modules import ModuleSet
from kzf.engine.checks.domains import check_domains
from kzf.engine.checks.lint import (
    check_mixed_scripts,
    check_unused,
    check_weights,
    unused_imports,
)
from kzf.engine.checks.units import UnitReport, infer_units
from kzf.engine.compile.resolve import CheckedProgram
from kzf.engine.core import ir

if TYPE_CHECKING:
    from kzf.engine.checks.symbolic import Decision, Leaves


@dataclass(frozen=True)
class CheckInput:
    """What a check pass reads: the resolved program, and its modules when it was loaded
    from files (the unused-import check needs them)."""

    program: CheckedProgram
    modules: ModuleSet | None
    base_dir: str | None


@dataclass(frozen=True)
class CheckPass:
    """One static check. `run` returns its diagnostics and, for passes whose findings later
    stages read (the units of each definition), a result kept in the `Analysis`."""

    name: str
    run: Callable[[CheckInput], tuple[list[Diagnostic], object]]
    applies: Callable[[CheckInput], bool] = lambda _: True


def _units_pass(c: CheckInput) -> tuple[list[Diagnostic], object]:
    report = infer_units(c.program)
    return report.diagnostics, report


def _imports_pass(c: CheckInput) -> tuple[list[Diagnostic], object]:
    assert c.modules is not None
    return unused_imports(c.program, c.modules, c.base_dir), None


# The checks every compilation runs, in this order. A new check is one entry here (and its
# module under engine/checks/); its diagnostics go through the file's `allow` statements.
PASSES: tuple[CheckPass, ...] = (
    CheckPass("units", _units_pass),
    CheckPass("domains", lambda c: (check_domains(c.program), None)),
    CheckPass("weights", lambda c: (check_weights(c.program), None)),
    CheckPass("unused", lambda c: (check_unused(c.program), None)),
    CheckPass("scripts", lambda c: (check_mixed_scripts(c.program), None)),
    CheckPass("imports", _imports_pass, applies=lambda c: c.modules is not None),
    CheckPass(
        "asserts",
        lambda c: (check_asserts(c.program), None),
        applies=lambda c: bool(c.program.asserts),
    ),
)


@dataclass(frozen=True)
class Analysis:
    """What the checks found, kept for the stages after them: `kzf show --units` and the
    report read the units from here instead of inferring them again."""

    units: UnitReport
    results: Mapping[str, object] = field(default_factory=dict)  # by pass name
    diagnostics: Mapping[str, tuple[Diagnostic, ...]] = field(default_factory=dict)


def analyse(
    program: CheckedProgram, modules: ModuleSet | None = None, base_dir: str | None = None
) -> tuple[CheckedProgram, Analysis]:
    """Run every pass of PASSES. Errors raise ProgramError; the warnings not accepted by an
    `allow` are those of the returned program (a copy: the input is left as it was)."""
    given = CheckInput(program, modules, base_dir)
    found: list[Diagnostic] = []
    results: dict[str, object] = {}
    by_pass: dict[str, tuple[Diagnostic, ...]] = {}
    for check in PASSES:
        if not check.applies(given):
            continue
        diagnostics, result = check.run(given)
        found += diagnostics
        results[check.name] = result
        by_pass[check.name] = tuple(diagnostics)
    kept = _apply_allows(program, [*program.warnings, *found])
    errors = [d for d in kept if d.is_error]
    warnings = [d for d in kept if not d.is_error]
    if errors:
        raise ProgramError(_sorted(errors) + warnings, program.sources)
    units = results["units"]
    assert isinstance(units, UnitReport)
    return replace(program, warnings=warnings), Analysis(units, results, by_pass)


def _sorted(items: list[Diagnostic]) -> list[Diagnostic]:
    def key(d: Diagnostic) -> tuple[str, int, int]:
        return (d.span.path, d.span.line, d.span.column) if d.span else ("", 0, 0)

    return sorted(items, key=key)


# ---------------------------------------------------------------- allow


def _statement_spans(program: CheckedProgram) -> dict[tuple[str, str], Span]:
    """Where each definition and function of each file is written, whole statement."""
    spans: dict[tuple[str, str], Span] = {}
    for name, d in program.definitions.items():
        end = d.expr.span
        spans[(d.span.path, name)] = Span(
            d.span.path, d.span.line, d.span.column, end.end_line, end.end_column
        )
    for name, f in program.functions.items():
        spans[(f.span.path, name)] = f.span
    return spans


def _within(inner: Span, outer: Span) -> bool:
    return (
        inner.path == outer.path
        and (outer.line, outer.column) <= (inner.line, inner.column)
        and (inner.end_line, inner.end_column) <= (outer.end_line, outer.end_column)
    )


def _apply_allows(program: CheckedProgram, items: list[Diagnostic]) -> list[Diagnostic]:
    spans = _statement_spans(program)
    used: set[int] = set()
    kept: list[Diagnostic] = []
    for d in _sorted(items):
        match = None
        for i, allow in enumerate(program.allows):
            if allow.code != d.code or d.span is None or d.span.path != allow.span.path:
                continue
            scope = spans.get((allow.span.path, allow.name)) if allow.name else None
            if allow.name is None or (scope is not None and _within(d.span, scope)):
                match = i
                break
        if match is None:
            kept.append(d)
        else:
            used.add(match)
    for i, allow in enumerate(program.allows):
        if i not in used and allow.span.path == program.path:
            kept.append(
                localised_warning(
                    "KZF331",
                    "`allow {allowed}` matches no warning in '{name}'; remove it",
                    allow.span,
                    allowed=allow.code,
                    name=allow.name,
                )
                if allow.name
                else localised_warning(
                    "KZF331",
                    "`allow {allowed}` matches no warning; remove it",
                    allow.span,
                    allowed=allow.code,
                )
            )
    return kept


# ---------------------------------------------------------------- assert same


def check_asserts(program: CheckedProgram) -> list[Diagnostic]:
    from kzf.dsl.diagnostics import source_text
    from kzf.engine.checks import symbolic as sym

    leaves = leaves_of(program)

    def text_of(node: ir.Node) -> str:
        return source_text(program.sources, node.span) if node.span else "?"

    out: list[Diagnostic] = []
    for a in program.asserts:
        d = sym.decide(a.left, a.right, leaves, text_of=text_of)
        if d.verdict is sym.Verdict.UNDECIDED:
            out.append(
                localised_warning(
                    "KZF330",
                    "could not decide whether `{left}` and `{right}` are the same formula: "
                    "too large for the symbolic limits, and most sample points were undefined",
                    a.span,
                    left=a.left_text,
                    right=a.right_text,
                )
                if d.reason == sym.TOO_LARGE
                else localised_warning(
                    "KZF330",
                    "could not decide whether `{left}` and `{right}` are the same formula: "
                    "{reason}",
                    a.span,
                    left=a.left_text,
                    right=a.right_text,
                    reason=d.reason,
                )
            )
            continue
        if d.same and a.negated:
            out.append(
                localised(
                    "KZF033",
                    "`{left}` and `{right}` are the same formula (proved), "
                    "but the file asserts they are not",
                    a.span,
                    *renaming_note_templates(d),
                    left=a.left_text,
                    right=a.right_text,
                )
                if d.verdict is sym.Verdict.SAME
                else localised(
                    "KZF033",
                    "`{left}` and `{right}` are the same formula (equal at every sample point), "
                    "but the file asserts they are not",
                    a.span,
                    *renaming_note_templates(d),
                    left=a.left_text,
                    right=a.right_text,
                )
            )
        elif not d.same and not a.negated:
            out.append(
                localised(
                    "KZF033",
                    "`{left}` and `{right}` are not the same formula",
                    a.span,
                    counterexample_note(d, a.left_text, a.right_text),
                    left=a.left_text,
                    right=a.right_text,
                )
            )
    return out


def leaves_of(program: CheckedProgram) -> Leaves:
    import math

    from kzf.engine.checks.symbolic import Leaves

    domains: dict[str, tuple[float, float]] = {}
    for name, info in program.inputs.items():
        dom = info.domain
        if dom is not None:
            lo = -math.inf if dom.low is None else dom.low
            hi = math.inf if dom.high is None else dom.high
            if dom.low_open and lo == 0 and math.isinf(hi):
                lo = 0.0
            domains[name] = (lo, hi)
    signatures: dict[str, object] = {
        n: ("input", _unit_key(i.unit), i.domain.text if i.domain else None)
        for n, i in program.inputs.items()
    }
    signatures.update({n: ("param", _unit_key(p.unit)) for n, p in program.params.items()})
    return Leaves({n: p.value for n, p in program.params.items()}, domains, signatures)


def _unit_key(text: str | None) -> object:
    from kzf.engine.checks.units import UnitSyntaxError, parse_unit

    if text is None:
        return None
    try:
        return parse_unit(text).unit
    except UnitSyntaxError:  # pragma: no cover - the grammar admits only readable units
        return text


def renaming_note_templates(d: Decision) -> list[tuple[str, dict[str, str]]]:
    """The note that says which leaves were matched to each other, as a template and values."""
    renaming = d.renaming
    if not renaming:
        return []
    pairs = ", ".join(f"{b} ↔ {a}" for b, a in renaming.items())
    return [("up to renaming: {pairs}", {"pairs": pairs})]


def renaming_notes(d: Decision) -> list[str]:
    return [template.format(**values) for template, values in renaming_note_templates(d)]


def counterexample_note(d: Decision, left: str, right: str) -> tuple[str, dict[str, str]]:
    """The values at which two formulas differ, as a note's template and values."""
    from kzf.engine.checks.symbolic import format_value

    point, atoms, values = d.point, d.atoms, d.values
    shown = {k: format_value(v) if isinstance(v, float) else f'"{v}"' for k, v in point.items()}
    assignment = ", ".join(f"{k} = {v}" for k, v in shown.items())
    if atoms:
        assignment += (", " if assignment else "") + ", ".join(
            f"{t} = {format_value(v)}" for t, v in atoms
        )
    if values is None:
        return ("counterexample: {assignment}", {"assignment": assignment})
    return (
        "counterexample: {assignment}: {left} = {left_value}, {right} = {right_value}",
        {
            "assignment": assignment,
            "left": left,
            "left_value": format_value(values[0]),
            "right": right,
            "right_value": format_value(values[1]),
        },
    )


def counterexample(d: Decision, left: str, right: str) -> str:
    template, values = counterexample_note(d, left, right)
    return template.format(**values)
