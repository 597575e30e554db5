"""`kzf show`, `kzf check --units` and `kzf check --equiv`: formulas as mathematics.

    kzf show formulas/egdi.kzf                 # each definition in Unicode notation
    kzf show formulas/egdi.kzf egdi_place --latex
    kzf show indicators/egdi.kzf egdi --expand # down to the inputs, simplified

A definition is shown as written, with the names of the definitions it uses; `--expand`
substitutes them (and user functions) down to inputs and params, and simplifies within the
symbolic checker's limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kzf.dsl import ast
from kzf.dsl.diagnostics import ProgramError, UsageError, localised, localised_unknown, source_text
from kzf.engine.api.program import Program
from kzf.engine.compile.resolve import CheckedProgram, resolver_for
from kzf.engine.core import ir


@dataclass(frozen=True)
class Formula:
    """One definition or user function, ready to print."""

    name: str
    head: str  # `K` or `minmax(x)`
    node: ir.Node
    params: tuple[str, ...] = ()


def function_node(program: CheckedProgram, fdef: ast.FunctionDef, names: list[str]) -> ir.Node:
    """The body of a user function as IR, its parameters standing as symbols `names`."""
    r = resolver_for(program)
    env: dict[str, ir.Node] = {
        p.id: ir.Param(q, type=ir.Type.NUMBER, span=p.span)
        for p, q in zip(fdef.params, names, strict=True)
    }
    r.func_stack.append(fdef.name)
    node = r.expr(fdef.expr, env)
    if r.bag.errors:  # pragma: no cover - the program was checked already
        raise ProgramError(r.bag.errors, program.sources)
    return node


def formulas(program: CheckedProgram, name: str | None = None) -> list[Formula]:
    """The root file's definitions and functions in file order, or the one named."""
    items: list[tuple[tuple[int, int], Formula]] = []
    for n, d in program.definitions.items():
        if (name is None and d.span.path == program.path) or n == name:
            items.append(((d.span.line, d.span.column), Formula(n, n, d.node)))
    for n, f in program.functions.items():
        if (name is None and f.span.path == program.path) or n == name:
            params = tuple(p.id for p in f.params)
            node = function_node(program, f, list(params))
            head = f"{n}({', '.join(params)})"
            items.append(((f.span.line, f.span.column), Formula(n, head, node, params)))
    if name is not None and not items:
        found = localised_unknown(
            "KZF107",
            (
                "no definition or function named '{name}'",
                "no definition or function named '{name}'; did you mean '{suggestion}'?",
                "no definition or function named '{name}'; did you mean '{suggestion}'? "
                "('{name}' has {scripts} letters that look alike)",
            ),
            name,
            [*program.definitions, *program.functions],
        )
        raise UsageError([found])
    return [f for _, f in sorted(items, key=lambda i: i[0])]


def render(program: CheckedProgram, f: Formula, *, latex: bool, expand: bool) -> str:
    import sympy as sp
    from sympy.printing.pretty.pretty import PrettyPrinter
    from sympy.printing.pretty.stringpict import prettyForm, stringPict

    from kzf.engine.checks import symbolic as sym

    expr: Any
    note = ""
    if expand:
        try:
            expr = sym.simplest(sym.Translator(exact=True)(f.node))
        except sym.TooLarge:
            expr = None
            note = "  (too large to expand within the limits; shown as written)"
    if not expand or expr is None:
        names = {
            id(d.node): n
            for n, d in program.definitions.items()
            if n != f.name and d.node is not f.node
        }
        expr = sym.Translator(exact=False, names=names)(f.node)
    order = None if expand else "none"  # as written, unless sympy has rewritten it
    if latex:
        head = sym.latex_name(f.name)
        if f.params:
            head += r"\left(" + ", ".join(sym.latex_name(p) for p in f.params) + r"\right)"
        return f"{head} = {sp.latex(expr, order=order, mul_symbol='dot')}{note}"
    from sympy.printing.pretty.pretty_symbology import pretty_use_unicode

    pp = PrettyPrinter({"use_unicode": True, "wrap_line": False, "order": order})
    # sympy's atoms (∧, ∨, ⋅) follow a global flag it sets at import from the encoding of
    # stdout, not the printer's setting: kzf's text is Unicode whatever stdout is
    before = pretty_use_unicode(True)
    try:
        form = prettyForm(*stringPict.next(prettyForm(f"{f.head} = "), pp._print(expr)))
        return form.render(wrap_line=False) + note
    finally:
        pretty_use_unicode(before)


def show(program: Program, name: str | None, *, latex: bool, expand: bool) -> str:
    blocks = [
        render(program.checked, f, latex=latex, expand=expand)
        for f in formulas(program.checked, name)
    ]
    return "\n\n".join(blocks) + ("\n" if blocks else "")


# ---------------------------------------------------------------- kzf check --units


def units_table(program: Program) -> str:
    checked = program.checked
    report = program.analysis.units
    lines = [checked.path]
    width = max((len(n) for n in checked.outputs), default=0)
    for n in checked.outputs:
        declared = checked.definitions[n].unit
        mark = "  (declared)" if declared else ""
        lines.append(f"  {n.ljust(width)}  {report.describe(n)}{mark}")
    for name, info in checked.inputs.items():
        if info.span.path == checked.path and info.unit is None:
            lines.append(f"  note: input '{name}' has no unit; units through it are unknown")
    for span, text in report.conversions:
        if span is not None and span.path == checked.path:
            where = f"{span.line}:{span.column}"
            lines.append(f"  conversion at {where}: `{source_text(checked.sources, span)}` {text}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- kzf check --equiv


def equiv(a: tuple[Program, str], b: tuple[Program, str]) -> tuple[int, str]:
    """Compare two definitions (or user functions) across files; (exit status, report)."""
    from kzf.engine.checks import symbolic as sym
    from kzf.engine.checks.analysis import counterexample, leaves_of, renaming_notes

    (pa, na), (pb, nb) = a, b
    fa = _formula(pa.checked, na)
    fb = _formula(pb.checked, nb, like=fa)
    la, lb = leaves_of(pa.checked), leaves_of(pb.checked)
    leaves = sym.Leaves(
        {**lb.defaults, **la.defaults},
        {**lb.domains, **la.domains},
        {**lb.signatures, **la.signatures},
    )

    def text_of(node: ir.Node) -> str:
        sources = {**pb.checked.sources, **pa.checked.sources}
        return source_text(sources, node.span) if node.span else "?"

    d = sym.decide(fa.node, fb.node, leaves, text_of=text_of)
    left, right = f"{pa.path}:{na}", f"{pb.path}:{nb}"
    lines = []
    if d.same:
        how = "" if d.verdict is sym.Verdict.SAME else " (equal at every sample point; not proved)"
        lines.append(f"same: {left} and {right}{how}")
        lines += [f"  {n}" for n in renaming_notes(d)]
        status = 0
    elif d.verdict is sym.Verdict.DIFFER:
        lines.append(f"differ: {left} and {right}")
        lines.append("  " + counterexample(d, na, nb))
        status = 1
    else:
        lines.append(f"undecided: {left} and {right}: {d.reason}")
        status = 1
    for p, f in ((pa, fa), (pb, fb)):
        shown = render(p.checked, f, latex=False, expand=True)
        lines += ["", *("  " + line for line in shown.splitlines())]
    return status, "\n".join(lines) + "\n"


def _formula(program: CheckedProgram, name: str, like: Formula | None = None) -> Formula:
    if name in program.definitions:
        return Formula(name, name, program.definitions[name].node)
    if name in program.functions:
        fdef = program.functions[name]
        params = tuple(p.id for p in fdef.params)
        if like is not None and like.params:
            if len(like.params) != len(params):
                raise UsageError(
                    [
                        localised(
                            "KZF013",
                            "--equiv: {first}() takes {n} argument(s), {second}() {m}",
                            first=like.name,
                            n=len(like.params),
                            second=name,
                            m=len(params),
                        )
                    ]
                )
            node = function_node(program, fdef, list(like.params))
        else:
            node = function_node(program, fdef, list(params))
        shown = like.params if like is not None and like.params else params
        return Formula(name, f"{name}({', '.join(shown)})", node, shown)
    formulas(program, name)  # raises the did-you-mean error
    raise AssertionError  # pragma: no cover
