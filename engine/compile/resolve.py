"""Resolve and check a parsed program: names, functions, types, cycles and declarations.

Everything here happens before any data is read. Every problem found is collected and
reported together, each at its span. The result, `CheckedProgram`, holds each definition as a
resolved IR node (`kzf.engine.core.ir`), with user functions inlined and references to other
definitions replaced by their nodes, so that shared subexpressions are shared nodes.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kzf.dsl import ast
from kzf.dsl.diagnostics import (
    CODES,
    Diagnostic,
    DiagnosticBag,
    ProgramError,
    Span,
    error,
    localised,
    localised_unknown,
    nearest,
    source_text,
    warning,
)
from kzf.dsl.messages import Phrase, phrased
from kzf.dsl.modules import ModuleSet
from kzf.engine.core import ir, locales
from kzf.engine.core.builtins import BUILTINS, FUNCTIONS, Function, Kind, Signature
from kzf.engine.core.periods import time_dimension

if TYPE_CHECKING:
    from kzf.engine.compile.models import Models

DEFAULT_DIMS = ("entity", "year")

_ARITH = {"+": "add", "-": "sub", "*": "mul", "/": "div", "^": "pow"}
_COMPARE = {"=": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}
POISON = ir.Const(float("nan"), type=ir.Type.NUMBER)
MAX_EXPANSIONS = 20_000  # user-function calls expanded per program


class _TooLarge(Exception):
    """User functions expand to more than MAX_EXPANSIONS calls (say, f(x) = g(g(x)) nested)."""

    def __init__(self, span: Span):
        self.span = span


@dataclass(frozen=True)
class InputInfo:
    name: str
    unit: str | None
    span: Span
    domain: ast.Domain | None = None
    source: str | None = None  # `input pop = "SP.POP.TOTL"`: what the data calls it


@dataclass(frozen=True)
class ParamInfo:
    name: str
    value: float | str  # text params choose among methods (docs/composite.md)
    unit: str | None
    span: Span


@dataclass(frozen=True)
class DefinitionInfo:
    name: str
    node: ir.Node
    expr: ast.Expr
    span: Span
    module: str
    unit: str | None = None  # declared with `name : unit = ...`


@dataclass(frozen=True)
class AssertInfo:
    """`assert [not] same(left, right)`, resolved; function bodies use the first's parameters."""

    negated: bool
    left: ir.Node
    right: ir.Node
    left_text: str
    right_text: str
    span: Span
    expr: ast.Expr | None = None  # as written, for the names it mentions


@dataclass
class CheckedProgram:
    """A program whose every name, call and type has been checked."""

    path: str
    title: str | None
    source: str | None
    dims: tuple[str, ...]
    time_dim: str
    data_path: str | None
    inputs: dict[str, InputInfo]
    params: dict[str, ParamInfo]
    definitions: dict[str, DefinitionInfo]
    outputs: tuple[str, ...]
    required_inputs: tuple[str, ...]
    functions: dict[str, ast.FunctionDef]
    expects: list[ast.Expect]
    labels: dict[str, dict[str, str]]
    warnings: list[Diagnostic]
    sources: dict[str, str] = field(repr=False)
    asserts: list[AssertInfo] = field(default_factory=list)
    allows: list[ast.Allow] = field(default_factory=list)
    models: Models | None = None  # models and forecasts (engine/compile/models.py)
    varies: dict[str, ast.Vary] = field(default_factory=dict)  # engine/composite/sensitivity.py
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)  # a text param's values
    time_chosen: bool = True  # False: `time_dim` is only the sort order (engine/core/periods.py)
    dim_sources: dict[str, str] = field(default_factory=dict)  # `dims country = "Country Code"`
    # validation rules of every file (imported rulesets first), by name; each is a definition
    rules: dict[str, ast.Rule] = field(default_factory=dict)
    # `hierarchy` declarations of every module, by name (checked on the data when it is read)
    hierarchies: dict[str, ast.Hierarchy] = field(default_factory=dict)

    def scope_names(self) -> list[str]:
        return [*self.dims, *self.inputs, *self.params, *self.definitions]


class Resolver:
    """Resolves a module set to IR, collecting diagnostics in `bag`. Extensions of the
    language (weighted means, trend(), models) receive it as a `ResolverContext`."""

    def __init__(self, modules: ModuleSet):
        self.modules = modules
        self.bag = DiagnosticBag()
        self.dims: tuple[str, ...] = DEFAULT_DIMS
        self.declared_time: str | None = None  # `dims a, b : time`
        self.dim_sources: dict[str, str] = {}  # `dims country = "Country Code"`
        self.inputs: dict[str, InputInfo] = {}
        self.params: dict[str, ParamInfo] = {}
        self.def_asts: dict[str, tuple[ast.Definition, str]] = {}
        self.functions: dict[str, ast.FunctionDef] = {}
        self.resolved: dict[str, ir.Node] = {}
        self.def_stack: list[str] = []
        self.func_stack: list[str] = []
        self.cycles_reported: set[frozenset[str]] = set()
        self.declared_at: dict[str, Span] = {}
        self.expansions = 0
        self.probes: list[ir.Node] = []  # stand-ins for the parameters of a function body
        self.varies: dict[str, ast.Vary] = {}
        self.method_params: dict[str, tuple[str, ...]] = {}  # text params and their values
        self.hierarchies: dict[str, ast.Hierarchy] = {}  # `hierarchy geo over region: ...`
        self.body_alone = False  # checking a function's body apart from any call

    # ------------------------------------------------------------ declarations
    def collect(self) -> None:
        root = self.modules.root
        dims_stmt = next((s for s in root.statements if isinstance(s, ast.Dims)), None)
        if dims_stmt is not None:
            names = [n.id for n in dims_stmt.names]
            for n in dims_stmt.names:
                if names.count(n.id) > 1:
                    self.bag.add(
                        localised("KZF011", "dimension '{name}' is listed twice", n.span, name=n.id)
                    )
            self.dims = tuple(dict.fromkeys(names))
            if dims_stmt.time is not None:
                self.declared_time = dims_stmt.time.id
            self.dim_sources = dict(dims_stmt.sources)
        for module in self.modules.modules:
            is_root = module is root
            seen_single: dict[type, Span] = {}
            for stmt in module.statements:
                if isinstance(stmt, ast.Title | ast.Source | ast.Dims | ast.DataDecl):
                    kind = type(stmt)
                    if is_root and kind in seen_single:
                        self.bag.add(
                            localised(
                                "KZF023",
                                "`{statement}` is given twice (first at {first})",
                                stmt.span,
                                statement=kind.__name__.lower(),
                                first=seen_single[kind],
                            )
                        )
                    seen_single.setdefault(kind, stmt.span)
                elif isinstance(stmt, ast.InputDecl):
                    prior = self.inputs.get(stmt.name)
                    if prior is not None and (prior.span.path == stmt.span.path):
                        self._duplicate(stmt.name, stmt.span)
                    elif prior is None and self.claim(stmt.name, stmt.span):
                        self._check_domain(stmt.domain)
                        self.inputs[stmt.name] = InputInfo(
                            stmt.name, stmt.unit, stmt.span, stmt.domain, stmt.source
                        )
                elif isinstance(stmt, ast.ParamDecl):
                    if self.claim(stmt.name, stmt.span):
                        self.params[stmt.name] = ParamInfo(
                            stmt.name, stmt.value, stmt.unit, stmt.span
                        )
                elif isinstance(stmt, ast.Definition):
                    if self.claim(stmt.name, stmt.name_span):
                        self.def_asts[stmt.name] = (stmt, module.path)
                elif isinstance(stmt, ast.Vary) and is_root:
                    self.varies.setdefault(stmt.name, stmt)
                elif isinstance(stmt, ast.Hierarchy):
                    if self.claim(stmt.name, stmt.name_span) and self._check_hierarchy(stmt):
                        self.hierarchies[stmt.name] = stmt
                elif isinstance(stmt, ast.FunctionDef):
                    if stmt.name in BUILTINS:
                        self.bag.add(
                            localised(
                                "KZF011",
                                "'{name}' is a built-in function and cannot be redefined",
                                stmt.name_span,
                                name=stmt.name,
                            )
                        )
                    elif self.claim(stmt.name, stmt.name_span):
                        self.functions[stmt.name] = stmt
                        params = [p.id for p in stmt.params]
                        for p in stmt.params:
                            if params.count(p.id) > 1:
                                self.bag.add(
                                    localised(
                                        "KZF011",
                                        "parameter '{name}' is listed twice",
                                        p.span,
                                        name=p.id,
                                    )
                                )
        self._check_bindings()

    def _check_bindings(self) -> None:
        """KZF023 when two inputs (or an input and a dimension) read one column of the data:
        `input b = "a", a` would give the column to one of them and leave the other missing,
        or read it twice, depending on the reader; neither is what the file means."""
        readers = {unicodedata.normalize("NFC", self.dim_sources.get(d, d)): d for d in self.dims}
        for name, info in self.inputs.items():
            column = unicodedata.normalize("NFC", info.source or name)
            other = readers.get(column)
            if other is not None and other != name:
                values = {"name": name, "other": other, "column": column}
                self.bag.add(
                    localised(
                        "KZF023",
                        "input '{name}' and dimension '{other}' both read the data column "
                        "'{column}'",
                        info.span,
                        'give each a column of its own (`input x = "Column name"`)',
                        **values,
                    )
                    if other in self.dims
                    else localised(
                        "KZF023",
                        "input '{name}' and input '{other}' both read the data column '{column}'",
                        info.span,
                        'give each a column of its own (`input x = "Column name"`)',
                        **values,
                    )
                )
            readers.setdefault(column, name)

    def _check_hierarchy(self, h: ast.Hierarchy) -> bool:
        """KZF028 for a hierarchy that cannot mean one set of totals: over a dimension the
        panel lacks or along time, a parent given twice, a child repeated, a cycle."""
        problems: list[Diagnostic] = []
        if h.over not in self.dims:
            problems.append(self._unknown_dimension("KZF028", h.over, h.over_span))
        elif h.over == self.time_dim and self.time_chosen:
            problems.append(
                localised(
                    "KZF028",
                    "'{name}' is the time dimension; a hierarchy adds up codes of another "
                    "dimension (regions, sectors)",
                    h.over_span,
                    name=h.over,
                )
            )
        parents: dict[str, ast.HierarchyRule] = {}
        for rule in h.rules:
            if rule.parent in parents:
                problems.append(
                    localised(
                        "KZF028",
                        "'{parent}' is given twice in hierarchy '{hierarchy}' (first at "
                        "{first}); declare another hierarchy for a second breakdown",
                        rule.span,
                        parent=rule.parent,
                        hierarchy=h.name,
                        first=parents[rule.parent].span,
                    )
                )
            parents.setdefault(rule.parent, rule)
            repeated = sorted({c for c in rule.children if rule.children.count(c) > 1})
            if repeated:
                problems.append(
                    localised(
                        "KZF028",
                        "'{child}' is listed twice among the children",
                        rule.span,
                        child=repeated[0],
                    )
                )
        cycle = _hierarchy_cycle({p: r.children for p, r in parents.items()})
        if cycle:
            problems.append(
                localised(
                    "KZF028",
                    "hierarchy '{hierarchy}' is circular: {cycle}; a code cannot add up to itself",
                    parents[cycle[0]].span,
                    hierarchy=h.name,
                    cycle=" = ... + ".join(cycle),
                )
            )
        for problem in problems:
            self.bag.add(problem)
        return not problems

    def _unknown_dimension(self, code: str, name: str, span: Span | None) -> Diagnostic:
        """`unknown dimension 'x'`, with the closest dimension when one is close, and the
        dimensions of the panel."""
        which, near = nearest(name, self.dims)
        return localised(
            code,
            (
                "unknown dimension '{name}'; the panel's dimensions are {dims}",
                "unknown dimension '{name}'; did you mean '{suggestion}'?; the panel's dimensions "
                "are {dims}",
                "unknown dimension '{name}'; did you mean '{suggestion}'? ('{name}' has {scripts} "
                "letters that look alike); the panel's dimensions are {dims}",
            )[which],
            span,
            **near,
            dims=", ".join(self.dims),
        )

    def _check_domain(self, d: ast.Domain | None) -> None:
        if d is None:
            return
        empty = d.low is not None and d.high is not None and d.low > d.high
        if d.text.startswith("=") or empty:
            self.bag.add(
                localised(
                    "KZF023",
                    "the domain `{domain}` is not a range; write >= 0, > 0, != 0 or in [lo, hi]",
                    d.span,
                    domain=d.text,
                )
            )

    def assertion(self, stmt: ast.Assert) -> AssertInfo | None:
        e, negated = stmt.expr, False
        if isinstance(e, ast.Unary) and e.op == "not":
            e, negated = e.operand, True
        if not (
            isinstance(e, ast.Call)
            and e.func == "same"
            and len(e.args) == 2
            and e.over is None
            and e.where is None
        ):
            self.bag.add(
                error("KZF023", "assert takes same(a, b) or not same(a, b)", stmt.expr.span)
            )
            return None
        a, b = e.args
        texts = [source_text(self.modules.sources, x.span) for x in (a, b)]
        if (
            isinstance(a, ast.Name)
            and isinstance(b, ast.Name)
            and {a.id, b.id} <= set(self.functions)
        ):
            fa, fb = self.functions[a.id], self.functions[b.id]
            if len(fa.params) != len(fb.params):
                self.bag.add(
                    localised(
                        "KZF013",
                        "same(): {first}() takes {first_count} argument(s) and "
                        "{second}() {second_count}",
                        e.span,
                        first=a.id,
                        first_count=len(fa.params),
                        second=b.id,
                        second_count=len(fb.params),
                    )
                )
                return None
            probes = [self.probe(p) for p in fa.params]
            nodes = []
            for f in (fa, fb):
                env: dict[str, ir.Node] = {p.id: q for p, q in zip(f.params, probes, strict=True)}
                self.func_stack.append(f.name)
                nodes.append(self.expr(f.expr, env))
                self.func_stack.pop()
            left, right = nodes
        else:
            left = self.number(a, {}, phrased("an argument of same()"))
            right = self.number(b, {}, phrased("an argument of same()"))
        return AssertInfo(negated, left, right, texts[0], texts[1], stmt.span, stmt.expr)

    def probe(self, p: ast.Name) -> ir.Node:
        """A stand-in for a function parameter while a body is checked on its own. A body
        may use a parameter as the dimension of `over`, so a probe is remembered."""
        node = ir.Param(p.id, type=ir.Type.NUMBER, span=p.span)
        self.probes.append(node)
        return node

    def check_varies(self) -> None:
        for v in self.varies.values():
            p = self.params.get(v.name)
            if p is None:
                unknown = localised_unknown(
                    "KZF024",
                    (
                        "`vary` names '{name}', which is not a param of this file",
                        "`vary` names '{name}', which is not a param of this file; did you mean "
                        "'{suggestion}'?",
                        "`vary` names '{name}', which is not a param of this file; did you mean "
                        "'{suggestion}'? ('{name}' has {scripts} letters that look alike)",
                    ),
                    v.name,
                    self.params,
                    v.name_span,
                )
                self.bag.add(unknown)
                continue
            text = isinstance(p.value, str)
            if not v.choices:
                assert v.low is not None and v.high is not None
                if text:
                    self.bag.add(
                        localised(
                            "KZF024",
                            "`vary {name}`: need a text param varies over a set {{...}}",
                            v.span,
                            name=v.name,
                        )
                    )
                elif not v.low < v.high:
                    self.bag.add(
                        localised("KZF024", "`vary {name}`: need low < high", v.span, name=v.name)
                    )
            elif any(isinstance(c, str) != text for c in v.choices):
                self.bag.add(
                    localised(
                        "KZF024",
                        "`vary {name}`: the param is a text; its alternatives must be texts",
                        v.span,
                        name=v.name,
                    )
                    if text
                    else localised(
                        "KZF024",
                        "`vary {name}`: the param is a number; its alternatives must be numbers",
                        v.span,
                        name=v.name,
                    )
                )

    def claim(self, name: str, span: Span) -> bool:
        """Reserve `name` for a declaration at `span`; False (with KZF011/KZF012) when it is a
        dimension or already declared."""
        if name in self.dims:
            self.bag.add(
                localised(
                    "KZF011",
                    "'{name}' is a dimension of the panel and cannot be redefined",
                    span,
                    name=name,
                )
            )
            return False
        prior = self.declared_at.get(name)
        if prior is not None:
            self._duplicate(name, span)
            return False
        self.declared_at[name] = span
        return True

    def _duplicate(self, name: str, span: Span) -> None:
        prior = self.declared_at.get(name) or (
            self.inputs[name].span if name in self.inputs else None
        )
        self.bag.add(
            localised(
                "KZF011",
                "'{name}' is defined more than once (first defined at {first})",
                span,
                name=name,
                first=prior,
            )
            if prior
            else localised("KZF011", "'{name}' is defined more than once", span, name=name)
        )

    # ------------------------------------------------------------ definitions
    def resolve_all(self) -> None:
        # Resolve in dependency order, so that resolving one definition finds those it uses
        # already done: recursion then goes as deep as one formula, not as a chain of them.
        for name in self._dependency_order():
            self.definition(name)

    def _dependency_order(self) -> list[str]:
        func_refs: dict[str, set[str]] = {}

        def refs_of_function(fname: str, seen: set[str]) -> set[str]:
            if fname in func_refs:
                return func_refs[fname]
            if fname in seen:
                return set()
            seen.add(fname)
            names, calls = ast.names_in(self.functions[fname].expr)
            found = {n for n in names if n in self.def_asts}
            for c in calls:
                if c in self.functions:
                    found |= refs_of_function(c, seen)
            func_refs[fname] = found
            return found

        deps: dict[str, set[str]] = {}
        for name, (stmt, _) in self.def_asts.items():
            names, calls = ast.names_in(stmt.expr)
            found = {n for n in names if n in self.def_asts}
            for c in calls:
                if c in self.functions:
                    found |= refs_of_function(c, set())
            deps[name] = found
        order: list[str] = []
        state: dict[str, int] = {}  # 1 = on the stack, 2 = done
        for start in self.def_asts:
            if state.get(start):
                continue
            stack = [(start, iter(sorted(deps[start])))]
            state[start] = 1
            while stack:
                node, children = stack[-1]
                child = next(children, None)
                if child is None:
                    stack.pop()
                    state[node] = 2
                    order.append(node)
                elif not state.get(child):
                    state[child] = 1
                    stack.append((child, iter(sorted(deps[child]))))
        return order

    def definition(self, name: str) -> ir.Node:
        if name in self.resolved:
            return self.resolved[name]
        if name in self.def_stack:
            core = self.def_stack[self.def_stack.index(name) :]
            order = list(self.def_asts)
            first = min(range(len(core)), key=lambda i: order.index(core[i]))
            cycle = [*core[first:], *core[:first], core[first]]  # start where the file does
            key = frozenset(cycle)
            if key not in self.cycles_reported:
                self.cycles_reported.add(key)
                stmt = self.def_asts[cycle[0]][0]
                self.bag.add(
                    localised(
                        "KZF012",
                        "definition cycle: {cycle}",
                        stmt.name_span,
                        cycle=" -> ".join(cycle),
                    )
                )
            return POISON
        stmt, _ = self.def_asts[name]
        self.def_stack.append(name)
        node = self.expr(stmt.expr, {})
        self.def_stack.pop()
        self.resolved[name] = node
        return node

    # ------------------------------------------------------------ expressions
    def expr(self, e: ast.Expr, env: dict[str, ir.Node]) -> ir.Node:
        if isinstance(e, ast.Number):
            return ir.Const(e.value, type=ir.Type.NUMBER, span=e.span)
        if isinstance(e, ast.String):
            return ir.Const(e.value, type=ir.Type.TEXT, span=e.span)
        if isinstance(e, ast.Name):
            return self.name(e, env)
        if isinstance(e, ast.Unary):
            return self.unary(e, env)
        if isinstance(e, ast.Binary):
            return self.binary(e, env)
        if isinstance(e, ast.Weighted):
            self.bag.add(
                error(
                    "KZF024",
                    "`value: weight` is an argument of amean, gmean, hmean or aggregate only",
                    e.span,
                )
            )
            return POISON
        if isinstance(e, ast.Between):
            x = self.number(e.operand, env, phrased("the value tested by `in`"))
            lo = self.number(e.low, env, phrased("a bound of the range"))
            hi = self.number(e.high, env, phrased("a bound of the range"))
            return ir.Op(
                "and",
                (
                    ir.Op("ge", (x, lo), type=ir.Type.BOOL, span=e.span),
                    ir.Op("le", (x, hi), type=ir.Type.BOOL, span=e.span),
                ),
                type=ir.Type.BOOL,
                span=e.span,
            )
        assert isinstance(e, ast.Call)
        return self.call(e, env)

    def name(self, e: ast.Name, env: dict[str, ir.Node]) -> ir.Node:
        n = e.id
        if n in env:
            return env[n]
        if n in self.dims:
            # `year` is a number; every other dimension, a time dimension such as "2020Q1"
            # included, is text (the data may hold labels there).
            kind = ir.Type.NUMBER if n == "year" else ir.Type.TEXT
            return ir.Dim(n, type=kind, span=e.span)
        if n in self.inputs:
            return ir.Column(n, type=ir.Type.NUMBER, span=e.span)
        if n in self.params:
            kind = ir.Type.TEXT if isinstance(self.params[n].value, str) else ir.Type.NUMBER
            return ir.Param(n, type=kind, span=e.span)
        if n in self.resolved:
            return self.resolved[n]
        if n in self.def_asts:
            return self.definition(n)
        if n in self.hierarchies:
            return ir.HierarchyRef(n, type=ir.Type.HIERARCHY, span=e.span)
        if n in self.functions or n in BUILTINS:
            self.bag.add(
                localised(
                    "KZF017", "'{name}' is a function; call it as {name}(...)", e.span, name=n
                )
            )
            return POISON
        candidates = [*env, *self.dims, *self.inputs, *self.params, *self.def_asts, *self.resolved]
        unknown = localised_unknown(
            "KZF010",
            (
                "undefined name '{name}'",
                "undefined name '{name}'; did you mean '{suggestion}'?",
                "undefined name '{name}'; did you mean '{suggestion}'? ('{name}' has {scripts} "
                "letters that look alike)",
            ),
            n,
            candidates,
            e.span,
        )
        self.bag.add(unknown)
        return POISON

    @property
    def time_dim(self) -> str:
        """The dimension lags and growth rates step along (engine/core/periods.py)."""
        return time_dimension(self.dims, self.declared_time).dim or self.dims[-1]

    @property
    def time_chosen(self) -> bool:
        """Whether the file chose the time dimension (a mark, `year`, or one time-like name);
        when not, a function along time is an error (KZF027) rather than a guess."""
        return time_dimension(self.dims, self.declared_time).chosen

    def require_time(self, e: ast.Call) -> bool:
        """KZF027 for a call along time on a panel without a chosen time dimension."""
        if self.time_chosen or self.body_alone:
            return True
        listed = ", ".join(self.dims)
        self.bag.add(
            localised(
                "KZF027",
                "{function}() steps along time, but no dimension of this panel ({dims}) is "
                "`year` or the one named like time (TIME_PERIOD, period, date, quarter, "
                "month, ...); mark the one that is time with `: time`, e.g. `dims {dims} "
                ": time`",
                e.span,
                function=e.func,
                dims=listed,
            )
        )
        return False

    def number(self, e: ast.Expr, env: dict[str, ir.Node], what: str | Phrase) -> ir.Node:
        node = self.expr(e, env)
        return self._require(node, ir.Type.NUMBER, e.span, what)

    def condition(self, e: ast.Expr, env: dict[str, ir.Node], what: str | Phrase) -> ir.Node:
        node = self.expr(e, env)
        return self._require(node, ir.Type.BOOL, e.span, what)

    def _require(self, node: ir.Node, kind: ir.Type, span: Span, what: str | Phrase) -> ir.Node:
        if node.type is kind or node is POISON:
            return node
        # `kind` is a number or a condition (number(), condition()); each mismatch is said
        # as a whole sentence, so that each language can say it
        num, cond, text, hier = ir.Type.NUMBER, ir.Type.BOOL, ir.Type.TEXT, ir.Type.HIERARCHY
        mismatch = {
            (num, cond): localised(
                "KZF017",
                "{what} must be a number, but this is a condition; use if(condition, 1, 0) "
                "for a number",
                span,
                what=what,
            ),
            (num, text): localised(
                "KZF017",
                "{what} must be a number, but this is a text; text can only be compared with "
                "= or !=",
                span,
                what=what,
            ),
            (num, hier): localised(
                "KZF017",
                "{what} must be a number, but this is a hierarchy; a hierarchy is an argument "
                "of rollup() or complete() only",
                span,
                what=what,
            ),
            (cond, num): localised(
                "KZF017", "{what} must be a condition, but this is a number", span, what=what
            ),
            (cond, text): localised(
                "KZF017",
                "{what} must be a condition, but this is a text; text can only be compared "
                "with = or !=",
                span,
                what=what,
            ),
            (cond, hier): localised(
                "KZF017",
                "{what} must be a condition, but this is a hierarchy; a hierarchy is an "
                "argument of rollup() or complete() only",
                span,
                what=what,
            ),
        }
        self.bag.add(mismatch[kind, node.type])
        return POISON if kind is ir.Type.NUMBER else ir.Const(float("nan"), type=kind)

    def unary(self, e: ast.Unary, env: dict[str, ir.Node]) -> ir.Node:
        if e.op == "not":
            x = self.condition(e.operand, env, phrased("the operand of `not`"))
            return ir.Op("not", (x,), type=ir.Type.BOOL, span=e.span)
        x = self.number(e.operand, env, phrased("the operand of unary '{op}'", op=e.op))
        if e.op == "+":
            return x
        if (
            isinstance(e.operand, ast.Binary)
            and e.operand.op == "^"
            and not self._parenthesised(e.span, e.operand.span)
        ):
            self.bag.add(
                warning(
                    "KZF301",
                    "-x^2 means -(x^2) here, as in mathematics; spreadsheets compute (-x)^2. "
                    "Write -(x^2) or (-x)^2 to make the intent explicit",
                    e.span,
                )
            )
        if isinstance(x, ir.Const) and isinstance(x.value, float):
            return ir.Const(-x.value, type=ir.Type.NUMBER, span=e.span)
        return ir.Op("neg", (x,), type=ir.Type.NUMBER, span=e.span)

    def _parenthesised(self, outer: Span, inner: Span) -> bool:
        text = self.modules.sources.get(outer.path, "").splitlines()
        if outer.line != inner.line or not (1 <= outer.line <= len(text)):
            return True
        between = text[outer.line - 1][outer.column : inner.column - 1]
        return "(" in between

    def binary(self, e: ast.Binary, env: dict[str, ir.Node]) -> ir.Node:
        if e.op in _ARITH:
            a = self.number(e.left, env, phrased("the left side of '{op}'", op=e.op))
            b = self.number(e.right, env, phrased("the right side of '{op}'", op=e.op))
            return ir.Op(_ARITH[e.op], (a, b), type=ir.Type.NUMBER, span=e.span)
        if e.op in ("and", "or"):
            a = self.condition(e.left, env, phrased("the left side of `{op}`", op=e.op))
            b = self.condition(e.right, env, phrased("the right side of `{op}`", op=e.op))
            return ir.Op(e.op, (a, b), type=ir.Type.BOOL, span=e.span)
        a = self.expr(e.left, env)
        b = self.expr(e.right, env)
        if POISON not in (a, b):
            if a.type is not b.type:
                self.bag.add(_cannot_compare(a.type, b.type, e.span))
            elif a.type is ir.Type.HIERARCHY:
                self.bag.add(
                    error("KZF017", "a hierarchy is not a value and cannot be compared", e.span)
                )
            elif a.type is ir.Type.TEXT and e.op not in ("=", "!="):
                self.bag.add(
                    localised(
                        "KZF017",
                        "text can only be compared with = or !=, not {op}",
                        e.op_span,
                        op=e.op,
                    )
                )
        return ir.Op(_COMPARE[e.op], (a, b), type=ir.Type.BOOL, span=e.span)

    # ------------------------------------------------------------ calls
    def call(self, e: ast.Call, env: dict[str, ir.Node]) -> ir.Node:
        if e.func in self.functions:
            return self.user_call(e, env)
        builtin = BUILTINS.get(e.func)
        if builtin is None:
            if e.func in self.def_asts or e.func in self.inputs or e.func in self.params:
                found = localised("KZF014", "'{name}' is not a function", e.func_span, name=e.func)
            else:
                found = localised_unknown(
                    "KZF014",
                    (
                        "unknown function '{name}'",
                        "unknown function '{name}'; did you mean '{suggestion}'?",
                        "unknown function '{name}'; did you mean '{suggestion}'? ('{name}' has "
                        "{scripts} letters that look alike)",
                    ),
                    e.func,
                    [*BUILTINS, *self.functions],
                    e.func_span,
                )
            self.bag.add(found)
            return POISON
        if builtin.kind is Kind.TREND:  # trend(x, kind where c): engine/compile/models.py
            from kzf.engine.compile.models import resolve_trend

            if not self.require_time(e):
                return POISON
            return resolve_trend(self, e, env)
        if builtin.kind is Kind.WEIGHTED:  # amean(a: w, ...): engine/compile/weighted.py
            from kzf.engine.compile.weighted import resolve_weighted

            return resolve_weighted(self, e, env)
        if builtin.kind is Kind.CHOOSE:
            from kzf.engine.compile.weighted import resolve_choose

            return resolve_choose(self, e, env)
        if builtin.kind is Kind.HIERARCHY:
            return self.hierarchy_call(e, env)
        nargs = len(e.args)
        function = FUNCTIONS.get(e.func)
        # min and max are aggregates of one argument and element-wise functions of several
        elementwise_minmax = (
            builtin.kind is Kind.AGGREGATE and function is not None and nargs >= function.min_args
        )
        if not (builtin.min_args <= nargs <= builtin.max_args) or (
            builtin.kind is Kind.AGGREGATE and nargs > 1 and not elementwise_minmax
        ):
            low, high = builtin.min_args, builtin.max_args
            if builtin.kind is Kind.AGGREGATE and e.func not in FUNCTIONS:
                low = high = 1
            if low == high == 1:
                wrong = localised(
                    "KZF013",
                    "{function}() takes 1 argument, got {count}",
                    e.span,
                    function=e.func,
                    count=nargs,
                )
            elif low == high:
                wrong = localised(
                    "KZF013",
                    "{function}() takes {expected} arguments, got {count}",
                    e.span,
                    function=e.func,
                    expected=low,
                    count=nargs,
                )
            else:
                wrong = localised(
                    "KZF013",
                    "{function}() takes {low} to {high} arguments, got {count}",
                    e.span,
                    function=e.func,
                    low=low,
                    high=high,
                    count=nargs,
                )
            self.bag.add(wrong)
            return POISON
        takes_over = (
            builtin.kind in (Kind.AGGREGATE, Kind.RANK, Kind.TRANSFORM) and not elementwise_minmax
        )
        if not takes_over and (e.over is not None or e.where is not None):
            clause = "over" if e.over is not None else "where"
            span = e.over.span if e.over is not None else e.span
            self.bag.add(
                localised(
                    "KZF015",
                    "{function}() does not take `{clause}` (min and max of several arguments "
                    "are element-wise)",
                    span,
                    function=e.func,
                    clause=clause,
                )
                if elementwise_minmax
                else localised(
                    "KZF015",
                    "{function}() does not take `{clause}`",
                    span,
                    function=e.func,
                    clause=clause,
                )
            )
            return POISON
        if takes_over and e.over is None:
            dims = " or ".join(self.dims)
            self.bag.add(
                localised(
                    "KZF015",
                    "{function}() needs `over` and a dimension, "
                    "e.g. {function}(x over {first}); dimensions: {dims}",
                    e.span,
                    function=e.func,
                    first=self.dims[0],
                    dims=dims,
                )
            )
            return POISON
        if takes_over:
            return self.aggregate(e, builtin.kind, env)
        if function is not None:
            return self.function_call(e, function, env)
        return self.elementwise_call(e, builtin.kind, env)

    def over_dim(self, over_name: ast.Name, env: dict[str, ir.Node]) -> str:
        """The dimension `over` names. Inside a function it may be one of the function's
        parameters, given a dimension: `minmax(x, d) = ... min(x over d) ...`."""
        over = over_name.id
        bound = env.get(over)
        if bound is not None:
            if isinstance(bound, ir.Dim):
                return bound.name
            if any(bound is p for p in self.probes):  # a body checked on its own
                return self.dims[0]
            self.bag.add(
                localised(
                    "KZF016",
                    "'{name}' is used as the dimension of `over`, so the argument given for "
                    "it must be a dimension ({dims})",
                    bound.span or over_name.span,
                    name=over,
                    dims=", ".join(self.dims),
                )
            )
            return ""
        return over

    def aggregate(self, e: ast.Call, kind: Kind, env: dict[str, ir.Node]) -> ir.Node:
        assert e.over is not None
        over = self.over_dim(e.over, env)
        if not over:
            return POISON
        if over not in self.dims:
            self.bag.add(self._unknown_dimension("KZF016", over, e.over.span))
            return POISON
        x = self.number(e.args[0], env, phrased("the argument of {func}()", func=e.func))
        where = None
        if e.where is not None:
            where = self.condition(e.where, env, phrased("the `where` condition"))
        if kind is Kind.RANK:
            return ir.Rank(x, over, where, type=ir.Type.NUMBER, span=e.span)
        if kind is Kind.TRANSFORM:
            limit = 0
            if e.func in ir.TREATMENTS:
                limit = 5  # the OECD/JRC handbook's and COINr's usual maximum
                if len(e.args) == 2:
                    limit = self.whole_number(
                        e.args[1], phrased("the points {func}() may change", func=e.func), 1
                    )
            return ir.Transform(e.func, x, over, where, limit, type=ir.Type.NUMBER, span=e.span)
        return ir.Aggregate(e.func, x, over, where, type=ir.Type.NUMBER, span=e.span)

    def hierarchy_call(self, e: ast.Call, env: dict[str, ir.Node]) -> ir.Node:
        """rollup(x, h): each parent's total from its children; complete(x, h): x, with a
        missing total computed from its children, lower levels first (so a country's total
        can come from regions that are themselves totals of districts)."""
        f = e.func
        if e.over is not None or e.where is not None:
            self.bag.add(
                localised("KZF015", "{function}() takes no `over`/`where`", e.span, function=f)
            )
            return POISON
        if len(e.args) != 2:
            self.bag.add(
                localised(
                    "KZF013",
                    "{function}() takes 2 arguments (a value and a hierarchy)",
                    e.span,
                    function=f,
                )
            )
            return POISON
        x = self.number(e.args[0], env, phrased("the first argument of {func}()", func=f))
        ref = self.expr(e.args[1], env)
        if any(ref is p for p in self.probes):  # a function body checked on its own
            return x
        if not isinstance(ref, ir.HierarchyRef):
            if ref is not POISON:
                self.bag.add(
                    _not_a_hierarchy(f, ", ".join(self.hierarchies), ref.type, e.args[1].span)
                )
            return POISON
        h = self.hierarchies[ref.name]
        rules = tuple((r.parent, r.children) for r in h.rules)
        num = ir.Type.NUMBER
        if f == "rollup":
            return ir.Rollup(x, h.over, h.name, rules, False, type=num, span=e.span)
        node = x
        for level in _hierarchy_levels(rules):
            node = ir.Rollup(node, h.over, h.name, level, True, type=num, span=e.span)
        return node

    def function_call(self, e: ast.Call, fn: Function, env: dict[str, ir.Node]) -> ir.Node:
        """A call of an element-wise function (engine/core/builtins.py), checked by its
        signature: an `ir.Op` named after it, with its written numbers in `attrs`."""
        f = e.func
        given = e.args[: fn.values(len(e.args))]
        args: list[ir.Node]
        if fn.signature is not Signature.IF:  # NUMBERS, TEST
            args = [
                self.number(
                    a,
                    env,
                    phrased("{argument} of {func}()", argument=phrased(fn.argument(i)), func=f),
                )
                for i, a in enumerate(given)
            ]
            kind = ir.Type.BOOL if fn.signature is Signature.TEST else ir.Type.NUMBER
        else:
            cond = self.condition(given[0], env, phrased("the condition of {func}()", func=f))
            a, b = (self.expr(x, env) for x in given[1:])
            if a.type is not b.type and POISON not in (a, b):
                self.bag.add(_branches_differ(f, a.type, b.type, e.span))
            if a.type is ir.Type.TEXT:
                self.bag.add(
                    localised(
                        "KZF017",
                        "the branches of {function}() must not be text",
                        e.span,
                        function=f,
                    )
                )
            args, kind = [cond, a, b], a.type
        attrs: tuple[object, ...] = ()
        if fn.digits is not None:
            written = e.args[len(given) :]
            d = fn.digits
            attrs = (
                self.whole_number(
                    written[0],
                    phrased("{what} of {func}()", what=phrased(d.what), func=f),
                    d.minimum,
                )
                if written
                else d.default,
            )
        return ir.Op(f, tuple(args), attrs, type=kind, span=e.span)

    def elementwise_call(self, e: ast.Call, kind: Kind, env: dict[str, ir.Node]) -> ir.Node:
        """Calls along time: fill_previous(x), lag(x, k), diff(x), growth(x)."""
        f = e.func
        num = ir.Type.NUMBER
        x = self.number(e.args[0], env, phrased("the argument of {func}()", func=f))
        if not self.require_time(e):
            return POISON
        if kind is Kind.FILL:
            return ir.Transform(f, x, self.time_dim, None, type=num, span=e.span)
        if kind is Kind.SHIFT:
            k = 1
            if len(e.args) == 2:
                k = self.whole_number(e.args[1], phrased("the step of {func}()", func=f), minimum=0)
            return ir.Shift(x, k if f == "lag" else -k, type=num, span=e.span)
        if kind is Kind.TIME:
            previous = ir.Shift(x, 1, type=num, span=e.span)
            if f == "diff":
                return ir.Op("sub", (x, previous), type=num, span=e.span)
        # marked, so that the engines warn of a negative base (KZF205): -10 to 5 is -150 %
        ratio = ir.Op("div", (x, previous), ir.GROWTH, type=num, span=e.span)
        return ir.Op("sub", (ratio, ir.Const(1.0, type=num)), type=num, span=e.span)

    def whole_number(self, e: ast.Expr, what: str | Phrase, minimum: int) -> int:
        value: float | None = None
        if isinstance(e, ast.Number):
            value = e.value
        elif isinstance(e, ast.Unary) and e.op == "-" and isinstance(e.operand, ast.Number):
            value = -e.operand.value
        if value is None or value != int(value) or not (minimum <= value <= 10_000):
            self.bag.add(
                localised(
                    "KZF017", "{what} must be a whole number written in the file", e.span, what=what
                )
            )
            return 0
        return int(value)

    def user_call(self, e: ast.Call, env: dict[str, ir.Node]) -> ir.Node:
        fdef = self.functions[e.func]
        if e.over is not None or e.where is not None:
            self.bag.add(
                localised(
                    "KZF015",
                    "{function}() is a user function and takes no `over`/`where`",
                    e.span,
                    function=e.func,
                )
            )
            return POISON
        if len(e.args) != len(fdef.params):
            values = {
                "function": e.func,
                "expected": len(fdef.params),
                "count": len(e.args),
                "defined": fdef.name_span,
            }
            self.bag.add(
                localised(
                    "KZF013",
                    "{function}() takes 1 argument, got {count} (defined at {defined})",
                    e.span,
                    **values,
                )
                if len(fdef.params) == 1
                else localised(
                    "KZF013",
                    "{function}() takes {expected} arguments, got {count} (defined at {defined})",
                    e.span,
                    **values,
                )
            )
            return POISON
        self.expansions += 1
        if self.expansions > MAX_EXPANSIONS:
            raise _TooLarge(e.span)
        if e.func in self.func_stack:
            chain = " -> ".join([*self.func_stack[self.func_stack.index(e.func) :], e.func])
            self.bag.add(localised("KZF018", "recursive function: {chain}", e.span, chain=chain))
            return POISON
        args = [self.expr(a, env) for a in e.args]
        inner = {p.id: a for p, a in zip(fdef.params, args, strict=True)}
        self.func_stack.append(e.func)
        node = self.expr(fdef.expr, inner)
        self.func_stack.pop()
        return node


def check_program(modules: ModuleSet, *, base_dir: str | None) -> CheckedProgram:
    """Resolve and check; raise ProgramError carrying every error found (and the warnings)."""
    r = Resolver(modules)
    r.collect()
    try:
        r.resolve_all()
    except _TooLarge as exc:
        raise ProgramError(
            [
                localised(
                    "KZF004",
                    "user functions expand to more than {limit} calls here",
                    exc.span,
                    limit=MAX_EXPANSIONS,
                )
            ],
            modules.sources,
        ) from None
    except RecursionError:
        chain = r.def_stack[0] if r.def_stack else None
        span = r.def_asts[chain][0].name_span if chain else None
        raise ProgramError(
            [
                localised(
                    "KZF004",
                    "definitions refer to one another too deeply "
                    "(a chain of about {count}); shorten the chain",
                    span,
                    count=len(r.def_stack),
                )
            ],
            modules.sources,
        ) from None
    root = modules.root
    r.check_varies()
    for fdef in r.functions.values():  # check bodies of functions nobody calls, too
        probe = {p.id: r.probe(p) for p in fdef.params}
        r.func_stack.append(fdef.name)
        r.body_alone = True  # a library's lag() is checked where it is called (KZF027)
        r.expr(fdef.expr, probe)
        r.body_alone = False
        r.func_stack.pop()
    title = next((s.text for s in root.statements if isinstance(s, ast.Title)), None)
    source = next((s.text for s in root.statements if isinstance(s, ast.Source)), None)
    data_stmt = next((s for s in root.statements if isinstance(s, ast.DataDecl)), None)
    data_path = None
    if data_stmt is not None:
        data_path = str(Path(base_dir) / data_stmt.path) if base_dir else data_stmt.path
    outputs = tuple(s.name for s in root.statements if isinstance(s, ast.Definition))
    labels: dict[str, dict[str, str]] = {}
    expects: list[ast.Expect] = []
    known = {*r.def_asts, *r.inputs, *r.params}
    for module in modules.modules:
        for stmt in module.statements:
            if isinstance(stmt, ast.Label):
                if stmt.name not in known:
                    r.bag.add(
                        localised(
                            "KZF010",
                            "label for undefined name '{name}'",
                            stmt.span,
                            name=stmt.name,
                        )
                    )
                mine = labels.setdefault(stmt.name, {})
                for tag, text in stmt.labels:
                    try:
                        lang = locales.canonical_tag(tag)
                    except locales.TagError as exc:
                        r.bag.add(
                            localised(
                                "KZF023",
                                "label of '{name}': {problem}",
                                stmt.span,
                                name=stmt.name,
                                problem=exc,
                            )
                        )
                        continue
                    if lang in mine:  # a second label in one language: which one is meant?
                        r.bag.add(
                            localised(
                                "KZF023",
                                "'{name}' already has a label in {lang} "
                                '("{label}"); give each language one label',
                                stmt.span,
                                name=stmt.name,
                                lang=lang,
                                label=mine[lang],
                            )
                        )
                        continue
                    mine[lang] = text
    asserts = [
        info
        for stmt in root.statements
        if isinstance(stmt, ast.Assert) and (info := r.assertion(stmt)) is not None
    ]
    allows: list[ast.Allow] = []
    for module in modules.modules:
        scope_names = {
            s.name for s in module.statements if isinstance(s, ast.Definition | ast.FunctionDef)
        }
        for stmt in module.statements:
            if not isinstance(stmt, ast.Allow):
                continue
            allows.append(stmt)
            unit_error = stmt.code in ("KZF030", "KZF031")
            if not (stmt.code in CODES and (stmt.code[3] == "3" or unit_error)):
                r.bag.add(
                    localised(
                        "KZF023",
                        "`allow` takes the code of a checker warning (KZF3nn), not {given}",
                        stmt.span,
                        given=repr(stmt.code),
                    )
                )
            elif unit_error and stmt.name is None:
                r.bag.add(
                    localised(
                        "KZF023",
                        "`allow {given}` must name the definition it excuses "
                        "(a formula kept as printed to show that it is wrong)",
                        stmt.span,
                        given=stmt.code,
                    )
                )
            elif stmt.name is not None and stmt.name not in scope_names:
                unknown = localised_unknown(
                    "KZF010",
                    (
                        "`allow` names '{name}', which is not defined in this file",
                        "`allow` names '{name}', which is not defined in this file; did you mean "
                        "'{suggestion}'?",
                        "`allow` names '{name}', which is not defined in this file; did you mean "
                        "'{suggestion}'? ('{name}' has {scripts} letters that look alike)",
                    ),
                    stmt.name,
                    scope_names,
                    stmt.span,
                )
                r.bag.add(unknown)
    from kzf.engine.compile.models import check_models

    models = check_models(
        r
    )  # model, forecast, and expects of model tables: engine/compile/models.py
    for stmt in root.statements:
        if isinstance(stmt, ast.Expect) and stmt.column is not None:
            expects.append(stmt)  # a cell of a model's table, checked by check_models
        elif isinstance(stmt, ast.Expect):
            if stmt.origin == "unreproducible":
                pass  # a printed value nothing in the file computes; listed, never judged
            elif stmt.name not in r.def_asts:
                unknown = localised_unknown(
                    "KZF010",
                    (
                        "expectation for undefined name '{name}'",
                        "expectation for undefined name '{name}'; did you mean '{suggestion}'?",
                        "expectation for undefined name '{name}'; did you mean '{suggestion}'? "
                        "('{name}' has {scripts} letters that look alike)",
                    ),
                    stmt.name,
                    r.def_asts,
                    stmt.name_span,
                )
                r.bag.add(unknown)
            elif stmt.key and len(stmt.key) != len(r.dims):
                r.bag.add(
                    localised(
                        "KZF023",
                        "the key [{key}] has {parts} part(s), but the panel has {count} "
                        "dimension(s): {dims}",
                        stmt.span,
                        key=", ".join(map(_fmt_key, stmt.key)),
                        parts=len(stmt.key),
                        count=len(r.dims),
                        dims=", ".join(r.dims),
                    )
                )
            expects.append(stmt)
    if r.bag.errors:
        raise ProgramError(r.bag.items, modules.sources)
    definitions = {
        name: DefinitionInfo(name, r.resolved[name], stmt.expr, stmt.name_span, module, stmt.unit)
        for name, (stmt, module) in r.def_asts.items()
    }
    for name, defined in definitions.items():  # results are numbers or conditions, per row
        if defined.node.type is ir.Type.HIERARCHY:
            r.bag.add(
                localised(
                    "KZF017",
                    "'{name}' is a hierarchy, not a value; rollup(x, h) gives the totals "
                    "of a hierarchy h",
                    defined.span,
                    name=name,
                )
            )
        elif defined.node.type is ir.Type.TEXT:
            r.bag.add(
                localised(
                    "KZF017",
                    "'{name}' is a text; a definition must be a number or a condition "
                    '(a text is compared or chosen by: entity = "KAZ", choose(mode, ...))',
                    defined.span,
                    name=name,
                )
            )
    # the rules of every file, imported rulesets first (`import "checks.kzf"`): each is an
    # output too, so that whatever evaluates the file checks them
    rules = {s.name: s for m in modules.modules for s in m.statements if isinstance(s, ast.Rule)}
    outputs = (*outputs, *(n for n in rules if n not in outputs))
    for rule in rules.values():
        if definitions[rule.name].node.type is not ir.Type.BOOL:
            r.bag.add(
                localised(
                    "KZF017",
                    "rule '{name}' must be a condition (a comparison, `and`, `or`, "
                    "present(x)), not a number",
                    rule.name_span,
                    name=rule.name,
                )
            )
    if r.bag.errors:
        raise ProgramError(r.bag.items, modules.sources)
    used = ir.columns_read(*(definitions[n].node for n in outputs), *models.nodes())
    root_inputs = [s.name for s in root.statements if isinstance(s, ast.InputDecl)]
    required = tuple(dict.fromkeys([*root_inputs, *used]))
    return CheckedProgram(
        path=root.path,
        title=title,
        source=source,
        dims=r.dims,
        time_dim=r.time_dim,
        time_chosen=r.time_chosen,
        dim_sources=r.dim_sources,
        data_path=data_path,
        inputs=r.inputs,
        params=r.params,
        definitions=definitions,
        outputs=outputs,
        required_inputs=required,
        functions=r.functions,
        expects=expects,
        labels=labels,
        warnings=r.bag.warnings,
        sources=modules.sources,
        asserts=asserts,
        allows=allows,
        models=models,
        varies=r.varies,
        choices=r.method_params,
        rules=rules,
        hierarchies=r.hierarchies,
    )


def resolver_for(program: CheckedProgram) -> Resolver:
    """A resolver in the scope of a checked program, for expressions that are not in its
    file: `--where`, and user-function bodies shown as formulas."""
    r = Resolver(ModuleSet(root=ast.Module(program.path, "", ()), sources=program.sources))
    r.dims = program.dims
    r.inputs = program.inputs
    r.params = program.params
    r.functions = program.functions
    r.resolved = {n: d.node for n, d in program.definitions.items()}
    return r


def resolve_extra(program: CheckedProgram, expr: ast.Expr, what: str | Phrase) -> ir.Node:
    """Resolve an expression given outside the file (`--where`) in the program's scope."""
    r = resolver_for(program)
    node = r.expr(expr, {})
    if r.bag.errors:
        raise ProgramError(r.bag.errors, program.sources)
    if node.type is not ir.Type.BOOL:
        raise ProgramError(
            [localised("KZF017", "{what} must be a condition", expr.span, what=what)]
        )
    return node


# Messages that name the types of two values: a whole sentence for each pair, so that each
# language can say it (dsl/locale/*.po); only the one asked for is used.
def _cannot_compare(a: ir.Type, b: ir.Type, span: Span | None) -> Diagnostic:
    """KZF017 for a comparison of a value of type `a` with one of type `b` (a is not b)."""
    num, cond, text, hier = ir.Type.NUMBER, ir.Type.BOOL, ir.Type.TEXT, ir.Type.HIERARCHY
    code = "KZF017"
    said = {
        (num, cond): localised(code, "cannot compare a number with a condition", span),
        (num, text): localised(code, "cannot compare a number with a text", span),
        (num, hier): localised(code, "cannot compare a number with a hierarchy", span),
        (cond, num): localised(code, "cannot compare a condition with a number", span),
        (cond, text): localised(code, "cannot compare a condition with a text", span),
        (cond, hier): localised(code, "cannot compare a condition with a hierarchy", span),
        (text, num): localised(code, "cannot compare a text with a number", span),
        (text, cond): localised(code, "cannot compare a text with a condition", span),
        (text, hier): localised(code, "cannot compare a text with a hierarchy", span),
        (hier, num): localised(code, "cannot compare a hierarchy with a number", span),
        (hier, cond): localised(code, "cannot compare a hierarchy with a condition", span),
        (hier, text): localised(code, "cannot compare a hierarchy with a text", span),
    }
    return said[a, b]


# KZF017 for if() whose branches differ, one whole sentence per pair of types (then, else)
BRANCHES_TEMPLATES: dict[tuple[ir.Type, ir.Type], str] = {
    (ir.Type.NUMBER, ir.Type.BOOL): (
        "the branches of {function}() differ: a number and a condition"
    ),
    (ir.Type.NUMBER, ir.Type.TEXT): ("the branches of {function}() differ: a number and a text"),
    (
        ir.Type.NUMBER,
        ir.Type.HIERARCHY,
    ): "the branches of {function}() differ: a number and a hierarchy",
    (ir.Type.BOOL, ir.Type.NUMBER): (
        "the branches of {function}() differ: a condition and a number"
    ),
    (ir.Type.BOOL, ir.Type.TEXT): ("the branches of {function}() differ: a condition and a text"),
    (
        ir.Type.BOOL,
        ir.Type.HIERARCHY,
    ): "the branches of {function}() differ: a condition and a hierarchy",
    (ir.Type.TEXT, ir.Type.NUMBER): ("the branches of {function}() differ: a text and a number"),
    (ir.Type.TEXT, ir.Type.BOOL): ("the branches of {function}() differ: a text and a condition"),
    (
        ir.Type.TEXT,
        ir.Type.HIERARCHY,
    ): "the branches of {function}() differ: a text and a hierarchy",
    (
        ir.Type.HIERARCHY,
        ir.Type.NUMBER,
    ): "the branches of {function}() differ: a hierarchy and a number",
    (
        ir.Type.HIERARCHY,
        ir.Type.BOOL,
    ): "the branches of {function}() differ: a hierarchy and a condition",
    (
        ir.Type.HIERARCHY,
        ir.Type.TEXT,
    ): "the branches of {function}() differ: a hierarchy and a text",
}


def _branches_differ(f: str, a: ir.Type, b: ir.Type, span: Span | None) -> Diagnostic:
    """KZF017 for if() (function `f`) whose branches are of types `a` and `b` (a is not b)."""
    return localised("KZF017", BRANCHES_TEMPLATES[a, b], span, function=f)


def _not_a_hierarchy(f: str, known: str, kind: ir.Type, span: Span | None) -> Diagnostic:
    """KZF017 for a second argument of rollup()/complete() (function `f`) that is a value of
    type `kind`, not a hierarchy's name; `known`: the hierarchies declared, or ""."""
    num, cond, text, hier = ir.Type.NUMBER, ir.Type.BOOL, ir.Type.TEXT, ir.Type.HIERARCHY
    code = "KZF017"
    if not known:
        said = {
            num: localised(
                code,
                "the second argument of {function}() must name a hierarchy (none declared), "
                "not a number",
                span,
                function=f,
            ),
            cond: localised(
                code,
                "the second argument of {function}() must name a hierarchy (none declared), "
                "not a condition",
                span,
                function=f,
            ),
            text: localised(
                code,
                "the second argument of {function}() must name a hierarchy (none declared), "
                "not a text",
                span,
                function=f,
            ),
            hier: localised(
                code,
                "the second argument of {function}() must name a hierarchy (none declared), "
                "not a hierarchy",
                span,
                function=f,
            ),
        }
        return said[kind]
    said = {
        num: localised(
            code,
            "the second argument of {function}() must name a hierarchy ({known}), not a number",
            span,
            function=f,
            known=known,
        ),
        cond: localised(
            code,
            "the second argument of {function}() must name a hierarchy ({known}), not a condition",
            span,
            function=f,
            known=known,
        ),
        text: localised(
            code,
            "the second argument of {function}() must name a hierarchy ({known}), not a text",
            span,
            function=f,
            known=known,
        ),
        hier: localised(
            code,
            "the second argument of {function}() must name a hierarchy ({known}), not a hierarchy",
            span,
            function=f,
            known=known,
        ),
    }
    return said[kind]


def _hierarchy_cycle(children: dict[str, tuple[str, ...]]) -> list[str]:
    """A cycle of parents (`A = B + C`, `B = A + D`: A, B, A), or []."""
    state: dict[str, int] = {}  # 1 on the path, 2 done
    for start in children:
        path: list[str] = []
        stack: list[tuple[str, int]] = [(start, 0)]
        while stack:
            code, i = stack.pop()
            if i == 0:
                if state.get(code) == 2:
                    continue
                if state.get(code) == 1:
                    return [*path[path.index(code) :], code]
                state[code] = 1
                path.append(code)
            kids = [k for k in children.get(code, ()) if k in children]
            if i < len(kids):
                stack.append((code, i + 1))
                stack.append((kids[i], 0))
            else:
                state[code] = 2
                path.pop()
    return []


def _hierarchy_levels(
    rules: tuple[tuple[str, tuple[str, ...]], ...],
) -> list[tuple[tuple[str, tuple[str, ...]], ...]]:
    """The rules grouped bottom-up: first the parents whose children are all leaves, then
    those whose children are at most those parents, and so on (the hierarchy is acyclic)."""
    parents = {p for p, _ in rules}
    depth: dict[str, int] = {}
    remaining = list(rules)
    while remaining:
        ready = [
            (p, kids) for p, kids in remaining if all(k not in parents or k in depth for k in kids)
        ]
        if not ready:  # a cycle, reported as KZF028 by _check_hierarchy
            break
        for p, kids in ready:
            depth[p] = 1 + max((depth.get(k, 0) for k in kids), default=0)
        remaining = [r for r in remaining if r[0] not in depth]
    top = max(depth.values(), default=0)
    return [tuple(r for r in rules if depth[r[0]] == d) for d in range(1, top + 1)]


def _fmt_key(part: str | float) -> str:
    if isinstance(part, float) and part.is_integer():
        return str(int(part))
    return str(part)
