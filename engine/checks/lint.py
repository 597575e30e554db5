"""Methodology lint: mistakes that are legal formulas.

* KZF320: the weights of a weighted sum do not add up to 1 (`0.25*a + 0.25*b + 0.15*c +
  0.15*d + 0.15*e` is 0.95; `(a + b + c) / 2` is 1.5).
* KZF321: an input the file declares that no definition uses.
* KZF322: a user function that is never called, or an import nothing is used from. (Every
  definition of the file is an output, so only functions can be "neither used nor output".)
* KZF323: an aggregate over a dimension along which the data does not vary (run when data is
  loaded: a rank among entities on a panel of one entity is always 1).
* KZF203: a ratio or difference of two aggregates whose parts cover different rows (run when
  data is loaded): `sum(gdp over entity) / sum(pop over entity)` where one country lacks GDP
  divides five countries' GDP by six countries' population.

A weighted sum is recognised as a linear combination of two or more terms with no constant
term, every weight strictly between 0 and 1, and weights adding up to between 0.5 and 1.5:
what a weighted mean with a slip looks like, and not what unit conversions (`a/1000 + b/1000`)
or sums look like. Params count with their default values.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from fractions import Fraction
from pathlib import Path
from typing import Protocol

from kzf.dsl import ast
from kzf.dsl.diagnostics import (
    Diagnostic,
    Span,
    latin_lookalike,
    localised_warning,
    scripts_of,
    source_text,
)
from kzf.dsl.modules import STD_PREFIX, ModuleSet, display_path
from kzf.engine.compile.resolve import CheckedProgram
from kzf.engine.core import ir

Linear = tuple[dict[ir.Node, Fraction], Fraction]  # coefficients of the terms, constant
MAX_LINEAR_DEPTH = 300


def _fraction(value: float) -> Fraction | None:
    if value != value or value in (float("inf"), float("-inf")):
        return None
    return Fraction(repr(value))


class _Weights:
    def __init__(self, program: CheckedProgram):
        self.program = program
        self.def_ids = {id(d.node) for d in program.definitions.values()}
        self.memo: dict[int, Linear] = {}

    def constant(self, node: ir.Node) -> Fraction | None:
        if isinstance(node, ir.Const) and isinstance(node.value, float):
            return _fraction(node.value)
        if isinstance(node, ir.Param) and node.name in self.program.params:
            value = self.program.params[node.name].value
            return None if isinstance(value, str) else _fraction(value)
        if isinstance(node, ir.Op) and node.op == "neg":
            inner = self.constant(node.args[0])
            return None if inner is None else -inner
        return None

    def is_linear_op(self, node: ir.Node, root: ir.Node) -> bool:
        if not isinstance(node, ir.Op) or (id(node) in self.def_ids and node is not root):
            return False
        if node.op in ("add", "sub", "neg"):
            return True
        if node.op == "mul":
            return (
                self.constant(node.args[0]) is not None or self.constant(node.args[1]) is not None
            )
        if node.op == "div":
            c = self.constant(node.args[1])
            return c is not None and c != 0
        return False

    def linear(self, node: ir.Node, root: ir.Node, depth: int = 0) -> Linear:
        c = self.constant(node)
        if c is not None:
            return {}, c
        if depth > MAX_LINEAR_DEPTH or not self.is_linear_op(node, root):
            return {node: Fraction(1)}, Fraction(0)
        assert isinstance(node, ir.Op)
        if node.op == "neg":
            return _scale(self.linear(node.args[0], root, depth + 1), Fraction(-1))
        if node.op in ("add", "sub"):
            a = self.linear(node.args[0], root, depth + 1)
            b = self.linear(node.args[1], root, depth + 1)
            return _combine(a, b, Fraction(1 if node.op == "add" else -1))
        if node.op == "mul":
            k = self.constant(node.args[0])
            if k is not None:
                return _scale(self.linear(node.args[1], root, depth + 1), k)
            k2 = self.constant(node.args[1])
            assert k2 is not None
            return _scale(self.linear(node.args[0], root, depth + 1), k2)
        k3 = self.constant(node.args[1])
        assert k3 is not None and k3 != 0
        return _scale(self.linear(node.args[0], root, depth + 1), 1 / k3)


def _scale(lin: Linear, k: Fraction) -> Linear:
    coeffs, const = lin
    return {n: c * k for n, c in coeffs.items()}, const * k


def _combine(a: Linear, b: Linear, sign: Fraction) -> Linear:
    coeffs = dict(a[0])
    for n, c in b[0].items():
        coeffs[n] = coeffs.get(n, Fraction(0)) + sign * c
    return {n: c for n, c in coeffs.items() if c != 0}, a[1] + sign * b[1]


def _fmt(f: Fraction) -> str:
    as_float = float(f)
    if Fraction(repr(as_float)) == f:
        return repr(as_float).removesuffix(".0") if as_float.is_integer() else repr(as_float)
    return f"{f.numerator}/{f.denominator}"


def _looks_like_weights(lin: Linear) -> Fraction | None:
    coeffs, const = lin
    if len(coeffs) < 2 or const != 0:
        return None
    if not all(0 < c < 1 for c in coeffs.values()):
        return None
    total = sum(coeffs.values(), Fraction(0))
    if total == 1 or not Fraction(1, 2) <= total <= Fraction(3, 2):
        return None
    return total


def _walk(root: ir.Node, def_ids: set[int]) -> Iterator[tuple[ir.Node, ir.Node | None]]:
    """Each node of a definition once, with a parent, not entering other definitions'."""
    seen: set[int] = set()
    stack: list[tuple[ir.Node, ir.Node | None]] = [(root, None)]
    while stack:
        node, parent = stack.pop()
        if id(node) in seen or (parent is not None and id(node) in def_ids):
            continue
        seen.add(id(node))
        yield node, parent
        stack.extend((c, node) for c in node.children)


def check_weights(program: CheckedProgram) -> list[Diagnostic]:
    w = _Weights(program)
    out: list[Diagnostic] = []
    flagged: list[Span] = []
    for info in program.definitions.values():
        root = info.node
        if root.span is None or root.span.path != info.span.path:
            continue  # a definition that is another's node (b = a): checked as that one
        for node, parent in _walk(root, w.def_ids):
            if not w.is_linear_op(node, root):
                continue
            top = parent is None or not w.is_linear_op(parent, root)
            additive_core = (
                isinstance(node, ir.Op)
                and node.op in ("add", "sub")
                and not (isinstance(parent, ir.Op) and parent.op in ("add", "sub", "neg"))
            )
            if not (top or additive_core):
                continue
            total = _looks_like_weights(w.linear(node, root))
            if total is None or node.span is None:
                continue
            if any(_contains(s, node.span) for s in flagged):
                continue
            coeffs = w.linear(node, root)[0]
            terms = " + ".join(_fmt(c) for c in coeffs.values())
            flagged.append(node.span)
            out.append(
                localised_warning(
                    "KZF320",
                    "the weights of `{expression}` add up to {total}, not 1 ({terms})",
                    node.span,
                    [
                        "a weighted mean needs weights that add up to 1; if this is intended, "
                        'say so with `allow KZF320 name "why"`'
                    ],
                    expression=source_text(program.sources, node.span),
                    total=_fmt(total),
                    terms=terms,
                )
            )
    return out


def _contains(outer: Span, inner: Span) -> bool:
    return (
        outer.path == inner.path
        and (outer.line, outer.column) <= (inner.line, inner.column)
        and (inner.end_line, inner.end_column) <= (outer.end_line, outer.end_column)
    )


def check_mixed_scripts(program: CheckedProgram) -> list[Diagnostic]:
    """KZF303: a name of the file whose letters come from more than one script, such as
    `eхport` with a Cyrillic х: it reads like another name (Unicode TR39's mixed-script
    confusables), and another file's `export` is not it. Names wholly in one script
    (`экспорт`, `export`) are fine."""
    declared: list[tuple[str, Span]] = [
        *((n, i.span) for n, i in program.inputs.items()),
        *((n, p.span) for n, p in program.params.items()),
        *((n, d.span) for n, d in program.definitions.items()),
        *((n, f.name_span) for n, f in program.functions.items()),
    ]
    out: list[Diagnostic] = []
    for name, span in declared:
        scripts = scripts_of(name)
        if span.path != program.path or len(scripts) < 2:
            continue
        plain = latin_lookalike(name)
        mixed = " and ".join(s.title() for s in scripts)
        out.append(
            localised_warning(
                "KZF303",
                "the name '{name}' mixes {scripts} letters, and reads like '{plain}'",
                span,
                ["write it in one alphabet"],
                name=name,
                scripts=mixed,
                plain=plain,
            )
            if plain != name
            else localised_warning(
                "KZF303",
                "the name '{name}' mixes {scripts} letters",
                span,
                ["write it in one alphabet"],
                name=name,
                scripts=mixed,
            )
        )
    return out


def check_unused(program: CheckedProgram) -> list[Diagnostic]:
    """Inputs of the file no definition uses; functions never called."""
    out: list[Diagnostic] = []
    roots = [info.node for info in program.definitions.values()]
    roots += [n for a in program.asserts for n in (a.left, a.right)]
    used_columns = set(ir.columns_read(*roots))
    for node in program.models.nodes() if program.models else ():  # models use inputs too
        used_columns |= set(ir.columns_read(node))
    for name, inp in program.inputs.items():
        if inp.span.path == program.path and name not in used_columns:
            out.append(
                localised_warning(
                    "KZF321",
                    "input '{name}' is declared but no definition uses it",
                    inp.span,
                    ['remove it, or say why it is kept with `allow KZF321 "why"`'],
                    name=name,
                )
            )
    called: set[str] = set()
    named: set[str] = set()
    exprs = [e for stmt in _all_statements(program) for e in _expressions(stmt)]
    exprs += [a.expr for a in program.asserts if a.expr is not None]
    for e in exprs:
        calls, names = _calls_and_names(e)
        called |= calls
        named |= names
    for fname, fdef in program.functions.items():
        if fdef.name_span.path == program.path and fname not in called | named:
            out.append(
                localised_warning(
                    "KZF322",
                    "function '{name}' is defined but never called",
                    fdef.name_span,
                    name=fname,
                )
            )
    return out


def unused_imports(
    program: CheckedProgram, modules: ModuleSet, base_dir: str | None
) -> list[Diagnostic]:
    """KZF322 for an `import` of the root file nothing of which (or of what it imports in
    turn) the root file uses."""
    if base_dir is None:
        return []
    by_path = {m.path: m for m in modules.modules}

    def target_of(module_path: str, stmt: ast.Import) -> str:
        if stmt.path.startswith(STD_PREFIX):
            return stmt.path  # the standard library's modules are shown by their import name
        folder = Path(base_dir) if module_path == modules.root.path else Path(module_path).parent
        return display_path((folder / stmt.path).resolve())

    def provided(path: str, seen: set[str]) -> set[str]:
        if path in seen or path not in by_path:
            return set()
        seen.add(path)
        names: set[str] = set()
        for s in by_path[path].statements:
            if isinstance(s, ast.Definition | ast.FunctionDef | ast.InputDecl | ast.ParamDecl):
                names.add(s.name)
            elif isinstance(s, ast.Import):
                names |= provided(target_of(path, s), seen)
        return names

    mentioned: set[str] = set()
    for s in modules.root.statements:
        if isinstance(s, ast.Definition | ast.FunctionDef | ast.Assert):
            calls, names = _calls_and_names(s.expr)
            mentioned |= calls | names
        elif isinstance(s, ast.Expect | ast.Label):
            mentioned.add(s.name)
    out = []
    for s in modules.root.statements:
        if isinstance(s, ast.Import) and not provided(target_of(modules.root.path, s), set()) & (
            mentioned
        ):
            out.append(
                localised_warning(
                    "KZF322",
                    "nothing from {module} is used in this file",
                    s.span,
                    module=repr(s.path),
                )
            )
    return out


def _all_statements(program: CheckedProgram) -> Iterator[ast.Statement]:
    yield from (
        ast.Definition(d.name, d.expr, d.span, d.span) for d in program.definitions.values()
    )
    yield from program.functions.values()


def _expressions(stmt: ast.Statement) -> Iterator[ast.Expr]:
    if isinstance(stmt, ast.Definition | ast.FunctionDef | ast.Assert):
        yield stmt.expr


def _calls_and_names(expr: ast.Expr) -> tuple[set[str], set[str]]:
    names, calls = ast.names_in(expr)
    return set(calls), set(names)


class PanelFacts(Protocol):
    """What the data checks read of a panel, wherever it is: a pandas frame in this process
    (`FrameFacts`) or a table an SQL engine reads itself (engine/run/native.py), so that both
    give the same codes and the same wording."""

    def is_empty(self) -> bool: ...

    def has_column(self, name: str) -> bool: ...

    def single_value(self, dim: str) -> str | None:
        """The only value of `dim`, or None when it has several."""
        ...

    def values(self, dim: str) -> set[str]:
        """The distinct values of `dim`, as text."""
        ...

    def lacking(self, lacks: str, has: str, limit: int) -> tuple[list[tuple[str, ...]], int]:
        """The keys (as text) of the first `limit` rows, in panel order, where input `has`
        has a value and input `lacks` has none; and how many such rows there are."""
        ...


class FrameFacts:
    """`PanelFacts` of a pandas panel (sorted by the dims, as every panel is)."""

    def __init__(self, frame: object, dims: tuple[str, ...]) -> None:
        import pandas as pd

        assert isinstance(frame, pd.DataFrame)
        self.frame = frame
        self.dims = dims

    def is_empty(self) -> bool:
        return len(self.frame) == 0

    def has_column(self, name: str) -> bool:
        return name in self.frame.columns

    def single_value(self, dim: str) -> str | None:
        column = self.frame[dim]
        first = column.iloc[0]  # no conversion of the whole column: text is Arrow-backed
        if column.iloc[-1] != first or column.iloc[len(column) // 2] != first:
            return None  # O(1) in the usual case of several values
        return str(first) if bool((column == first).all()) else None

    def values(self, dim: str) -> set[str]:
        return {str(v) for v in self.frame[dim].unique()}

    def lacking(self, lacks: str, has: str, limit: int) -> tuple[list[tuple[str, ...]], int]:
        import numpy as np

        frame = self.frame
        mask = ~np.isnan(frame[has].to_numpy(dtype=np.float64))
        mask &= np.isnan(frame[lacks].to_numpy(dtype=np.float64))
        rows = np.flatnonzero(mask)
        shown = frame.iloc[rows[:limit]][list(self.dims)].astype(str)
        return [tuple(r) for r in shown.itertuples(index=False)], len(rows)


def keys_text(keys: list[tuple[str, ...]], total: int) -> str:
    """`(KZ, 2020), (RU, 2020) and 3 more`: rows named by their keys, the way every warning
    about rows names them."""
    text = ", ".join("(" + ", ".join(k) + ")" for k in keys)
    more = total - len(keys)
    return text + (f" and {more} more" if more > 0 else "")


def check_panel(plan_nodes: list[ir.Node], facts: PanelFacts) -> list[Diagnostic]:
    """KZF323: aggregates and ranks over a dimension with a single value in the data."""
    if facts.is_empty():
        return []
    wanted = {n.over for n in plan_nodes if isinstance(n, ir.Aggregate | ir.Rank | ir.Across)}
    single = {d: v for d in wanted if facts.has_column(d) and (v := facts.single_value(d))}
    out: list[Diagnostic] = []
    seen: set[tuple[str, Span | None]] = set()
    for node in plan_nodes:
        if isinstance(node, ir.Aggregate | ir.Rank) and node.over in single:
            key = (node.over, node.span)
            if key in seen:
                continue
            seen.add(key)
            out.append(
                localised_warning(
                    "KZF323",
                    "rank over {dim}: the data has a single {dim} ({value}), so there is "
                    "nothing to aggregate across",
                    node.span,
                    dim=node.over,
                    value=single[node.over],
                )
                if isinstance(node, ir.Rank)
                else localised_warning(
                    "KZF323",
                    "{func}() over {dim}: the data has a single {dim} ({value}), so there is "
                    "nothing to aggregate across",
                    node.span,
                    func=node.func,
                    dim=node.over,
                    value=single[node.over],
                )
            )
    return out


MAX_COVERAGE_ROWS = 5  # rows a coverage warning names


def check_coverage(plan_nodes: list[ir.Node], facts: PanelFacts) -> list[Diagnostic]:
    """KZF203: `agg(a over d) / agg(b over d)` (or `-`) where `a` and `b` are inputs with values
    on different rows, so that the two aggregates are not over the same entities. A `where`
    on either side says what the file wants (`where present(b)`), and is not second-guessed."""
    out: list[Diagnostic] = []
    for node in plan_nodes:
        pair = _aggregated_inputs(node)
        if pair is None or facts.is_empty() or not all(map(facts.has_column, pair)):
            continue
        a, b = pair
        parts = []
        for name, other in ((a, b), (b, a)):
            keys, total = facts.lacking(name, other, MAX_COVERAGE_ROWS)
            if total:
                parts.append((name, other, keys_text(keys, len(keys)), total - len(keys)))
        if parts:
            out.append(_coverage_warning(node, a, b, parts))
    return out


# KZF203, one whole sentence for each way it is said: (a ratio, both inputs lack rows,
# more rows than named lacking in the first, in the second)
COVERAGE_TEMPLATES: dict[tuple[bool, bool, bool, bool], str] = {
    (True, True, True, True): (
        "the numerator and denominator aggregate over different rows: '{a}' has no value "
        "in rows {rows_a} and {more_a} more where '{b}' has one; '{b}' has no value in "
        "rows {rows_b} and {more_b} more where '{a}' has one"
    ),
    (True, True, True, False): (
        "the numerator and denominator aggregate over different rows: '{a}' has no value "
        "in rows {rows_a} and {more_a} more where '{b}' has one; '{b}' has no value in "
        "rows {rows_b} where '{a}' has one"
    ),
    (True, True, False, True): (
        "the numerator and denominator aggregate over different rows: '{a}' has no value "
        "in rows {rows_a} where '{b}' has one; '{b}' has no value in rows {rows_b} and "
        "{more_b} more where '{a}' has one"
    ),
    (True, True, False, False): (
        "the numerator and denominator aggregate over different rows: '{a}' has no value "
        "in rows {rows_a} where '{b}' has one; '{b}' has no value in rows {rows_b} where "
        "'{a}' has one"
    ),
    (True, False, True, False): (
        "the numerator and denominator aggregate over different rows: '{name}' has no "
        "value in rows {rows} and {more} more where '{other}' has one"
    ),
    (True, False, False, False): (
        "the numerator and denominator aggregate over different rows: '{name}' has no "
        "value in rows {rows} where '{other}' has one"
    ),
    (False, True, True, True): (
        "the two sides aggregate over different rows: '{a}' has no value in rows {rows_a} "
        "and {more_a} more where '{b}' has one; '{b}' has no value in rows {rows_b} and "
        "{more_b} more where '{a}' has one"
    ),
    (False, True, True, False): (
        "the two sides aggregate over different rows: '{a}' has no value in rows {rows_a} "
        "and {more_a} more where '{b}' has one; '{b}' has no value in rows {rows_b} where "
        "'{a}' has one"
    ),
    (False, True, False, True): (
        "the two sides aggregate over different rows: '{a}' has no value in rows {rows_a} "
        "where '{b}' has one; '{b}' has no value in rows {rows_b} and {more_b} more where "
        "'{a}' has one"
    ),
    (False, True, False, False): (
        "the two sides aggregate over different rows: '{a}' has no value in rows {rows_a} "
        "where '{b}' has one; '{b}' has no value in rows {rows_b} where '{a}' has one"
    ),
    (False, False, True, False): (
        "the two sides aggregate over different rows: '{name}' has no value in rows "
        "{rows} and {more} more where '{other}' has one"
    ),
    (False, False, False, False): (
        "the two sides aggregate over different rows: '{name}' has no value in rows "
        "{rows} where '{other}' has one"
    ),
}
COVERAGE_NOTE_TEMPLATE = (
    "to use only the rows both have, add `where present({b})` to the aggregate of {a} and "
    "`where present({a})` to the other"
)


def _coverage_warning(
    node: ir.Node, a: str, b: str, parts: list[tuple[str, str, str, int]]
) -> Diagnostic:
    """KZF203 for the rows where one of inputs `a` and `b` has a value and the other has
    none (`parts`: the input lacking, the other, the rows named and how many more), in the
    template of COVERAGE_TEMPLATES that says it."""
    div = _op(node) == "div"
    notes = [(COVERAGE_NOTE_TEMPLATE, {"a": a, "b": b})]
    if len(parts) == 1:
        ((name, other, rows, more),) = parts
        template = COVERAGE_TEMPLATES[(div, False, bool(more), False)]
        values = {"name": name, "other": other, "rows": rows, "more": more}
        return localised_warning("KZF203", template, node.span, notes, **values)
    (_, _, rows_a, more_a), (_, _, rows_b, more_b) = parts
    template = COVERAGE_TEMPLATES[(div, True, bool(more_a), bool(more_b))]
    values = {"a": a, "b": b, "rows_a": rows_a, "rows_b": rows_b, "more_a": more_a}
    return localised_warning("KZF203", template, node.span, notes, more_b=more_b, **values)


def _op(node: ir.Node) -> str | None:
    return node.op if isinstance(node, ir.Op) else None


def _aggregated_inputs(node: ir.Node) -> tuple[str, str] | None:
    """The two inputs whose aggregates, over one dimension and without `where`, `node`
    divides or subtracts; None for any other node."""
    if _op(node) not in ("div", "sub"):
        return None
    a, b = node.children
    if not (isinstance(a, ir.Aggregate) and isinstance(b, ir.Aggregate)):
        return None
    if a.over != b.over or a.where is not None or b.where is not None:
        return None
    if not (isinstance(a.arg, ir.Column) and isinstance(b.arg, ir.Column)) or a.arg == b.arg:
        return None
    return a.arg.name, b.arg.name


def check_text_literals(plan_nodes: list[ir.Node], facts: PanelFacts) -> list[Diagnostic]:
    """KZF204: `entity = "Kazakstan"`, a text compared with a dimension that has no such
    value in the data. The comparison is then false on every row, and what it selects is
    missing or 0 without a word; the warning gives the nearest value, a look-alike letter
    (Cyrillic а for Latin a) named."""
    import difflib

    out: list[Diagnostic] = []
    seen: set[tuple[str, str]] = set()
    values: dict[str, set[str]] = {}
    for node in plan_nodes:
        if _op(node) not in ("eq", "ne") or facts.is_empty():
            continue
        a, b = node.children
        dim, text = (a, b) if isinstance(a, ir.Dim) else (b, a)
        if not (isinstance(dim, ir.Dim) and isinstance(text, ir.Const)):
            continue
        if not isinstance(text.value, str) or not facts.has_column(dim.name):
            continue
        if dim.name not in values:
            values[dim.name] = facts.values(dim.name)
        known = values[dim.name]
        if text.value in known or (dim.name, text.value) in seen:
            continue
        seen.add((dim.name, text.value))
        plain = latin_lookalike(text.value)
        close = difflib.get_close_matches(text.value, sorted(known), n=1, cutoff=0.6)
        if plain != text.value and plain in known:
            others = " and ".join(x.title() for x in scripts_of(text.value) if x != "LATIN")
            out.append(
                localised_warning(
                    "KZF204",
                    "'{dim}' has no value '{text}' in the data, so this comparison is the same "
                    "on every row; it has '{plain}', and '{text}' holds {scripts} letters that "
                    "look Latin",
                    node.span,
                    dim=dim.name,
                    text=text.value,
                    plain=plain,
                    scripts=others,
                )
            )
        elif close:
            out.append(
                localised_warning(
                    "KZF204",
                    "'{dim}' has no value '{text}' in the data, so this comparison is the same "
                    "on every row; did you mean '{suggestion}'?",
                    node.span,
                    dim=dim.name,
                    text=text.value,
                    suggestion=close[0],
                )
            )
        else:
            out.append(
                localised_warning(
                    "KZF204",
                    "'{dim}' has no value '{text}' in the data, so this comparison is the same "
                    "on every row",
                    node.span,
                    dim=dim.name,
                    text=text.value,
                )
            )
    return out


def check_hierarchy_codes(
    plan_nodes: list[ir.Node], facts: PanelFacts, declared: Mapping[str, ast.Hierarchy]
) -> list[Diagnostic]:
    """KZF266: a code of a hierarchy the evaluation uses that the data does not have. A
    child missing from the data leaves its parent's total missing (never a smaller sum); a
    parent missing from it has no row for its total, so rollup() and complete() cannot
    give one and a rule cannot check it. Either is usually a typo or another coding (KAZ
    for KZ), named with the nearest code present."""
    import difflib

    out: list[Diagnostic] = []
    seen: set[tuple[str, str]] = set()
    values: dict[str, set[str]] = {}
    for node in plan_nodes:
        if not isinstance(node, ir.Rollup) or not facts.has_column(node.over) or facts.is_empty():
            continue
        if node.over not in values:
            values[node.over] = facts.values(node.over)
        known = values[node.over]
        for parent, children in node.rules:
            for code in (parent, *children):
                if code in known or (node.hierarchy, code) in seen:
                    continue
                seen.add((node.hierarchy, code))
                close = difflib.get_close_matches(code, sorted(known), n=1, cutoff=0.6)
                span = declared[node.hierarchy].span if node.hierarchy in declared else node.span
                out.append(
                    _missing_code_warning(node.hierarchy, node.over, code, parent, close, span)
                )
    return out


def _missing_code_warning(
    hierarchy: str, dim: str, code: str, parent: str, close: list[str], span: Span | None
) -> Diagnostic:
    """KZF266 for a `code` of `hierarchy` that `dim` does not have in the data: a parent (its
    total has no row) or a child (its parent's total is missing), with the nearest code."""
    v = {"hierarchy": hierarchy, "dim": dim, "value": code}
    if code == parent and close:
        return localised_warning(
            "KZF266",
            "hierarchy '{hierarchy}': '{dim}' has no value '{value}' in the data, so its total "
            "has no row to be computed on or checked; did you mean '{suggestion}'?",
            span,
            suggestion=close[0],
            **v,
        )
    if code == parent:
        return localised_warning(
            "KZF266",
            "hierarchy '{hierarchy}': '{dim}' has no value '{value}' in the data, so its total "
            "has no row to be computed on or checked",
            span,
            **v,
        )
    if close:
        return localised_warning(
            "KZF266",
            "hierarchy '{hierarchy}': '{dim}' has no value '{value}' in the data, so the total "
            "of '{parent}' is missing wherever it is needed; did you mean '{suggestion}'?",
            span,
            parent=parent,
            suggestion=close[0],
            **v,
        )
    return localised_warning(
        "KZF266",
        "hierarchy '{hierarchy}': '{dim}' has no value '{value}' in the data, so the total "
        "of '{parent}' is missing wherever it is needed",
        span,
        parent=parent,
        **v,
    )


def data_checks(
    plan_nodes: list[ir.Node], facts: PanelFacts, checked: CheckedProgram
) -> list[Diagnostic]:
    """Every check of the data an evaluation runs (KZF323, KZF203, KZF204, KZF266), in the
    order they are reported, on any engine."""
    return [
        *check_panel(plan_nodes, facts),
        *check_coverage(plan_nodes, facts),
        *check_text_literals(plan_nodes, facts),
        *check_hierarchy_codes(plan_nodes, facts, checked.hierarchies),
    ]
