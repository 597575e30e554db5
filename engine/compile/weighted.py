"""Composite indices: weighted means in the language, and the hierarchy they form.

`amean(a: wa, b: wb)`, `gmean(...)`, `hmean(...)` and `aggregate(method, ...)` are resolved
here into ordinary arithmetic (a weighted sum over the sum of the weights; a product of
powers; the sum of the weights over a sum of quotients). Every backend, the unit checker, the
domain prover and the symbolic checks therefore handle them with no code of their own, and a
missing child gives a missing parent, as any arithmetic does (imputation is explicit: see
`fill_*` in engine/core/transforms.py).

The hierarchy of an index (indicators -> sub-pillars -> pillars -> index) is read from the
definitions as written: a definition whose formula is one of these calls, with names as its
arguments, is a node; each name it averages is a child. The audit, the contributions and the
leave-one-out analysis (engine/composite/audit.py) walk this structure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kzf.dsl import ast
from kzf.dsl.diagnostics import UsageError, error, localised, localised_unknown
from kzf.dsl.messages import phrased
from kzf.engine.compile.context import ResolverContext
from kzf.engine.core import ir

if TYPE_CHECKING:
    from kzf.engine.compile.resolve import CheckedProgram

METHODS = ("arithmetic", "geometric", "harmonic")
_FIXED = {
    "amean": "arithmetic",
    "gmean": "geometric",
    "hmean": "harmonic",
    "amean_available": "arithmetic",
    "gmean_available": "geometric",
    "hmean_available": "harmonic",
}
# over the children present, with the least share of the weights they must carry first
AVAILABLE_FORMS = ("amean_available", "gmean_available", "hmean_available", "aggregate_available")
POWER = "power_mean"  # the generalised mean, its exponent first
AGGREGATE_FORMS = ("aggregate", "aggregate_available")  # a method first
_NUM = ir.Type.NUMBER


# ---------------------------------------------------------------- resolving the calls


def resolve_weighted(r: ResolverContext, e: ast.Call, env: dict[str, ir.Node]) -> ir.Node:
    """amean/gmean/hmean/aggregate as arithmetic on their children and weights."""
    from kzf.engine.compile.resolve import POISON

    if e.func in ir.ACROSS:
        return _resolve_across(r, e, env)
    if e.over is not None or e.where is not None:
        r.bag.add(
            localised(
                "KZF015",
                "{function}() averages its arguments on each row; no over/where",
                e.span,
                function=e.func,
            )
        )
        return POISON
    args = list(e.args)
    method: ir.Node | str
    if e.func in AGGREGATE_FORMS:
        if not args or isinstance(args[0], ast.Weighted):
            r.bag.add(
                error("KZF013", 'aggregate() takes a method first: "arithmetic", ...', e.span)
            )
            return POISON
        method = r.expr(args.pop(0), env)
        probe = any(method is p for p in r.probes)  # a function body checked on its own
        if method.type is not ir.Type.TEXT and not probe:
            r.bag.add(
                error("KZF017", 'the method of aggregate() is a text such as "geometric"', e.span)
            )
            return POISON
        if isinstance(method, ir.Const):
            method = str(method.value)
    elif e.func == POWER:
        method = "power"
    elif e.func == "coverage":
        method = "coverage"
    else:
        method = _FIXED[e.func]
    exponent: ir.Node | None = None
    if e.func == POWER:
        if not args or isinstance(args[0], ast.Weighted):
            r.bag.add(
                error(
                    "KZF013",
                    "power_mean() takes its exponent first: power_mean(2, a: 1, b: 1)",
                    e.span,
                )
            )
            return POISON
        exponent = r.number(args.pop(0), env, phrased("the exponent of power_mean()"))
    least: ir.Node | None = None
    if e.func in AVAILABLE_FORMS:
        least = _least_share(r, e, args, env)
        if least is None:
            return POISON
    if not args:
        r.bag.add(
            localised(
                "KZF013",
                "{function}() needs at least one value to average",
                e.span,
                function=e.func,
            )
        )
        return POISON
    values, weights = _values_and_weights(r, e, args, env)
    if POISON in values or POISON in weights:
        return POISON
    if e.func == "coverage":
        present = [_where_present(x, w, 0.0, e) for w, x in zip(weights, values, strict=True)]
        return ir.Op("div", (_add(present, e), _add(weights, e)), type=_NUM, span=e.span)
    if exponent is not None:
        return _power_mean(exponent, values, weights, e)
    if isinstance(method, str):
        if method not in METHODS:
            r.bag.add(
                localised(
                    "KZF024",
                    "unknown aggregation method {method}; use {methods}",
                    e.span,
                    method=repr(method),
                    methods=", ".join(map(repr, METHODS)),
                )
            )
            return POISON
        return _mean(method, values, weights, e, least)
    methods: tuple[str, ...] = METHODS
    if isinstance(method, ir.Param) and not any(method is p for p in r.probes):
        methods = _check_method_param(r, method.name, e)
    return _switch(method, [(m, _mean(m, values, weights, e, least)) for m in methods], e)


def _resolve_across(r: ResolverContext, e: ast.Call, env: dict[str, ir.Node]) -> ir.Node:
    """copeland(a: wa, b: wb over d), bod(a, b over d): the values and weights, compared
    across `d` (ir.Across)."""
    from kzf.engine.compile.resolve import POISON

    if e.over is None or e.where is not None:
        r.bag.add(
            localised(
                "KZF015",
                "{function}() compares each row with the others across a dimension: write "
                "{function}(a, b over entity), no where",
                e.span,
                function=e.func,
            )
        )
        return POISON
    if e.func == "bod" and any(isinstance(a, ast.Weighted) for a in e.args):
        r.bag.add(
            error(
                "KZF024",
                "bod() takes no weights: the benefit of the doubt lets each entity's data "
                "choose them",
                e.span,
            )
        )
        return POISON
    over = r.over_dim(e.over, env)
    values, weights = _values_and_weights(r, e, list(e.args), env)
    if POISON in values or POISON in weights:
        return POISON
    return ir.Across(e.func, tuple(values), tuple(weights), over, type=_NUM, span=e.span)


def _values_and_weights(
    r: ResolverContext, e: ast.Call, args: list[ast.Expr], env: dict[str, ir.Node]
) -> tuple[list[ir.Node], list[ir.Node]]:
    """The values of a weighted call (`child: weight`, a weight of 1 when omitted) and their
    weights, a negative one (written, or a param's value) refused (KZF024)."""
    values: list[ir.Node] = []
    weights: list[ir.Node] = []
    for a in args:
        value, weight = (a.value, a.weight) if isinstance(a, ast.Weighted) else (a, None)
        values.append(r.number(value, env, phrased("an argument of {func}()", func=e.func)))
        if weight is None:
            weights.append(ir.Const(1.0, type=_NUM, span=a.span))
            continue
        w = r.number(weight, env, phrased("a weight in {func}()", func=e.func))
        negative = isinstance(w, ir.Const) and isinstance(w.value, float) and w.value < 0
        if isinstance(w, ir.Param):
            p = r.params.get(w.name)
            negative = p is not None and isinstance(p.value, float) and p.value < 0
        if negative:
            r.bag.add(error("KZF024", "a weight must not be negative", weight.span))
        weights.append(w)
    return values, weights


def _least_share(
    r: ResolverContext, e: ast.Call, args: list[ast.Expr], env: dict[str, ir.Node]
) -> ir.Node | None:
    """The least share of the weights the children present must carry (a number from 0 to 1
    written in the file, or a param), taken from the front of `args`."""
    if not args or isinstance(args[0], ast.Weighted):
        r.bag.add(
            localised(
                "KZF013",
                "{function}() takes the least share of the weights present first, e.g. "
                "{function}(0.5, a: 1, b: 1)",
                e.span,
                function=e.func,
            )
        )
        return None
    first = args.pop(0)
    least = r.number(first, env, phrased("the least share of {func}()", func=e.func))
    value = least.value if isinstance(least, ir.Const) else None
    if isinstance(least, ir.Param):
        p = r.params.get(least.name)
        value = p.value if p is not None else None
    if isinstance(value, float) and not 0.0 < value <= 1.0:
        r.bag.add(
            localised(
                "KZF024",
                "the least share of {function}() is above 0 and at most 1 (0.5: half the "
                "weights), not {value}",
                first.span,
                function=e.func,
                value=f"{value:g}",
            )
        )
        return None
    return least


def _switch(key: ir.Node, options: list[tuple[str, ir.Node]], e: ast.Call) -> ir.Node:
    """if(key = "a", value_a, if(key = "b", value_b, value_c)): the key was checked to be one
    of the labels, so the last needs no test (and no missing value that would hide the
    other alternatives' ranges from the domain checker)."""
    chosen = options[-1][1]
    for label, value in reversed(options[:-1]):
        test = ir.Op("eq", (key, ir.Const(label, type=ir.Type.TEXT)), type=ir.Type.BOOL)
        chosen = ir.Op("if", (test, value, chosen), type=_NUM, span=e.span)
    return chosen


def _check_method_param(
    r: ResolverContext, name: str, e: ast.Call, allowed: tuple[str, ...] = METHODS
) -> tuple[str, ...]:
    """A text param choosing among alternatives must name one of them, as must every value
    its `vary` set gives it. Only those values (the default and the `vary` set) are built
    as alternatives, and `--param` may choose only among them (engine/api/program.py): the
    checks then speak of the methods the file can use, not of every method there is."""
    p = r.params.get(name)
    values = [p.value] if p is not None else []
    vary = r.varies.get(name)
    if vary is not None:
        values += list(vary.choices)
    known = r.method_params.get(name)
    allowed = tuple(a for a in allowed if known is None or a in known)
    possible = tuple(a for a in allowed if a in values) or allowed
    for v in values:
        if v not in allowed:
            r.bag.add(
                localised(
                    "KZF024",
                    "param '{name}' chooses in {function}(), but {value} is not one of {allowed}",
                    e.span,
                    name=name,
                    function=e.func,
                    value=repr(v),
                    allowed=", ".join(map(repr, allowed)),
                )
            )
    r.method_params[name] = possible
    return possible


def resolve_choose(r: ResolverContext, e: ast.Call, env: dict[str, ir.Node]) -> ir.Node:
    """choose(key, "a": value_a, "b": value_b, ...): the value whose label is `key` (a text
    written in the file or a text param). It is a chain of if(), so the warnings and notes of
    the alternatives not chosen are not reported (engine/run/relevance.py)."""
    from kzf.engine.compile.resolve import POISON

    if e.over is not None or e.where is not None or not e.args:
        r.bag.add(
            error("KZF015", "choose() takes a text and labelled values, no over/where", e.span)
        )
        return POISON
    key = r.expr(e.args[0], env)
    options: list[tuple[str, ir.Node]] = []
    for a in e.args[1:]:
        if not (isinstance(a, ast.Weighted) and isinstance(a.value, ast.String)):
            r.bag.add(
                error("KZF024", 'each alternative of choose() is written "label": value', a.span)
            )
            return POISON
        options.append(
            (
                a.value.value,
                r.number(
                    a.weight, env, phrased("the value for {value}", value=repr(a.value.value))
                ),
            )
        )
    labels = tuple(label for label, _ in options)
    if len(set(labels)) != len(labels):
        r.bag.add(error("KZF024", "choose() lists a label twice", e.span))
        return POISON
    probe = any(key is p for p in r.probes)
    if key is POISON or POISON in [n for _, n in options]:
        return POISON
    if not probe and key.type is not ir.Type.TEXT:
        r.bag.add(error("KZF017", "the first argument of choose() must be a text", e.args[0].span))
        return POISON
    if isinstance(key, ir.Const):
        if key.value not in labels:
            r.bag.add(
                localised(
                    "KZF024",
                    "{value} is not one of the alternatives: {labels}",
                    e.args[0].span,
                    value=repr(key.value),
                    labels=", ".join(map(repr, labels)),
                )
            )
            return POISON
        return dict(options)[str(key.value)]
    if isinstance(key, ir.Param) and not probe:
        possible = _check_method_param(r, key.name, e, labels)
        options = [(label, value) for label, value in options if label in possible]
    return _switch(key, options, e)


def _add(nodes: list[ir.Node], e: ast.Call) -> ir.Node:
    total = nodes[0]
    for n in nodes[1:]:
        total = ir.Op("add", (total, n), type=_NUM, span=e.span)
    return total


def _times(w: ir.Node, x: ir.Node, e: ast.Call) -> ir.Node:
    if isinstance(w, ir.Const) and w.value == 1.0:
        return x
    return ir.Op("mul", (w, x), type=_NUM, span=e.span)


def _mean(
    method: str,
    values: list[ir.Node],
    weights: list[ir.Node],
    e: ast.Call,
    least: ir.Node | None = None,
) -> ir.Node:
    if least is not None:
        return _mean_available(method, values, weights, e, least)
    return _rescaled_mean(method, values, weights, _add(weights, e), e)


def _mean_available(
    method: str, values: list[ir.Node], weights: list[ir.Node], e: ast.Call, least: ir.Node
) -> ir.Node:
    """The mean over the children present: a missing child gets weight 0 (and a neutral
    value: 0 in a sum, 1 in a product), the weights present are rescaled to add up, and
    available() keeps the mean where they carry at least `least` of all the weights, with a
    note naming the rows (KZF267, KZF268)."""

    kept = [_where_present(x, w, 0.0, e) for w, x in zip(weights, values, strict=True)]
    neutral = 1.0 if method in ("geometric", "harmonic") else 0.0
    filled = [_where_present(x, x, neutral, e) for x in values]
    carried = _add(kept, e)
    # a row with no child present has no mean: available() leaves it missing, with a note,
    # and the division must not warn of a zero it never uses
    safe = _positive_or_one(carried, carried, e)
    mean: ir.Node
    if method == "harmonic":  # Σ wᵢ/xᵢ is 0 too where no child is present
        quotients = _add(
            [
                ir.Op("div", (w, x), type=_NUM, span=e.span)
                for w, x in zip(kept, filled, strict=True)
            ],
            e,
        )
        mean = ir.Op("div", (safe, _positive_or_one(carried, quotients, e)), type=_NUM, span=e.span)
    else:
        mean = _rescaled_mean(method, filled, kept, safe, e)
    share = ir.Op("div", (carried, _add(weights, e)), type=_NUM, span=e.span)
    return ir.Op("available", (mean, share, least), type=_NUM, span=e.span)


def _power_mean(
    exponent: ir.Node, values: list[ir.Node], weights: list[ir.Node], e: ast.Call
) -> ir.Node:
    """The generalised (power) mean (Σ wᵢxᵢ^p / Σ wᵢ)^(1/p): p = 1 the arithmetic mean, p = -1
    the harmonic, p → 0 the geometric (taken at p = 0 itself), p = 2 the quadratic. The
    larger p, the more the high values weigh; below 1 a low value is compensated less and
    less, so p < 1 penalises imbalance (COINr's a_genmean)."""
    total = _add(weights, e)
    powered = [
        _times(w, ir.Op("pow", (x, exponent), type=_NUM, span=e.span), e)
        for w, x in zip(weights, values, strict=True)
    ]
    mean_of_powers = ir.Op("div", (_add(powered, e), total), type=_NUM, span=e.span)
    inverse = ir.Op("div", (ir.Const(1.0, type=_NUM), exponent), type=_NUM, span=e.span)
    general = ir.Op("pow", (mean_of_powers, inverse), type=_NUM, span=e.span)
    if isinstance(exponent, ir.Const):
        if exponent.value == 0.0:
            return _rescaled_mean("geometric", values, weights, total, e)
        return general
    is_zero = ir.Op("eq", (exponent, ir.Const(0.0, type=_NUM)), type=ir.Type.BOOL, span=e.span)
    geometric = _rescaled_mean("geometric", values, weights, total, e)
    return ir.Op("if", (is_zero, geometric, general), type=_NUM, span=e.span)


def _where_present(x: ir.Node, then: ir.Node, otherwise: float, e: ast.Call) -> ir.Node:
    """if(present(x), then, otherwise): a child's weight, or value, where it is present."""
    test = ir.Op("present", (x,), type=ir.Type.BOOL, span=e.span)
    return ir.Op("if", (test, then, ir.Const(otherwise, type=_NUM)), type=_NUM, span=e.span)


def _positive_or_one(test: ir.Node, value: ir.Node, e: ast.Call) -> ir.Node:
    """`value` where `test` > 0, else 1: a divisor for the rows without a child present,
    whose mean available() leaves missing."""
    positive = ir.Op("gt", (test, ir.Const(0.0, type=_NUM)), type=ir.Type.BOOL, span=e.span)
    return ir.Op("if", (positive, value, ir.Const(1.0, type=_NUM)), type=_NUM, span=e.span)


def _rescaled_mean(
    method: str, values: list[ir.Node], weights: list[ir.Node], total: ir.Node, e: ast.Call
) -> ir.Node:
    """The weighted means as arithmetic, with the weights' total given: Σ wᵢxᵢ / total, the
    product of xᵢ^(wᵢ/total), total / Σ (wᵢ/xᵢ)."""
    if method == "arithmetic":
        weighted = _add([_times(w, x, e) for w, x in zip(weights, values, strict=True)], e)
        return ir.Op("div", (weighted, total), type=_NUM, span=e.span)
    if method == "geometric":
        product: ir.Node | None = None
        for w, x in zip(weights, values, strict=True):
            term = ir.Op(
                "pow", (x, ir.Op("div", (w, total), type=_NUM, span=e.span)), type=_NUM, span=e.span
            )
            product = (
                term if product is None else ir.Op("mul", (product, term), type=_NUM, span=e.span)
            )
        assert product is not None
        return product
    quotients: list[ir.Node] = [
        ir.Op("div", (w, x), type=_NUM, span=e.span) for w, x in zip(weights, values, strict=True)
    ]
    return ir.Op("div", (total, _add(quotients, e)), type=_NUM, span=e.span)


# ---------------------------------------------------------------- the hierarchy


@dataclass(frozen=True)
class Child:
    name: str  # a definition or an input
    weight: ast.Expr | None  # as written; None is a weight of 1


@dataclass(frozen=True)
class Node:
    """A definition that averages named children: a pillar, a sub-pillar or the index."""

    name: str
    method: str  # one of METHODS, or the name of the text param that chooses it
    method_param: str | None
    children: tuple[Child, ...]
    # amean_available() and its kin: the least share of the weights the children present
    # must carry, as written (a number or a param); None: every child is needed
    least: ast.Expr | None = None
    exponent: ast.Expr | None = None  # power_mean's p, as written


@dataclass(frozen=True)
class Hierarchy:
    index: str
    nodes: dict[str, Node]  # every aggregating definition under the index, the index first
    leaves: tuple[str, ...]  # the indicators: children that are not themselves nodes

    def parent_of(self, name: str) -> str | None:
        for node in self.nodes.values():
            if any(c.name == name for c in node.children):
                return node.name
        return None

    def path_to(self, name: str) -> list[str]:
        """The nodes from `name`'s parent up to the index."""
        path, current = [], self.parent_of(name)
        while current is not None:
            path.append(current)
            current = self.parent_of(current)
        return path

    def method_of(self, node: Node, params: Mapping[str, float | str]) -> str:
        if node.method_param is None:
            return node.method
        return str(params[node.method_param])

    def weights_of(self, node: Node, params: Mapping[str, float | str]) -> list[float]:
        return [_scalar(c.weight, params, node.name) for c in node.children]

    def exponent_of(self, node: Node, params: Mapping[str, float | str]) -> float | None:
        """A power mean's exponent (None for the other means)."""
        return None if node.exponent is None else _scalar(node.exponent, params, node.name)

    def least_of(self, node: Node, params: Mapping[str, float | str]) -> float | None:
        """The least share of weights present a node needs (None: it needs every child)."""
        return None if node.least is None else _scalar(node.least, params, node.name)


def _scalar(e: ast.Expr | None, params: Mapping[str, float | str], where: str) -> float:
    """A weight as a number: a literal, a param, or arithmetic on them."""
    if e is None:
        return 1.0
    if isinstance(e, ast.Number):
        return float(e.value)
    if isinstance(e, ast.Name) and isinstance(params.get(e.id), float | int):
        return float(params[e.id])
    if isinstance(e, ast.Unary) and e.op == "-":
        return -_scalar(e.operand, params, where)
    if isinstance(e, ast.Binary) and e.op in "+-*/":
        a, b = _scalar(e.left, params, where), _scalar(e.right, params, where)
        return {"+": a + b, "-": a - b, "*": a * b, "/": a / b if b else float("nan")}[e.op]
    raise UsageError(
        [
            localised(
                "KZF025",
                "a weight in {name} is not a number or a param, so the hierarchy's weights "
                "cannot be read",
                getattr(e, "span", None),
                name=where,
            )
        ]
    )


def unknown_index(index: str, known: Iterable[str]) -> UsageError:
    """KZF025 for an index named on the command line that the file does not define."""
    unknown = localised_unknown(
        "KZF025",
        (
            "no definition named '{name}'",
            "no definition named '{name}'; did you mean '{suggestion}'?",
            "no definition named '{name}'; did you mean '{suggestion}'? ('{name}' has "
            "{scripts} letters that look alike)",
        ),
        index,
        known,
    )
    return UsageError([unknown])


def hierarchy(program: CheckedProgram, index: str) -> Hierarchy:
    """The tree of weighted means under `index`, read from the definitions as written."""
    defs = program.definitions
    if index not in defs:
        raise unknown_index(index, defs)
    nodes: dict[str, Node] = {}
    leaves: list[str] = []
    pending = [index]
    while pending:
        name = pending.pop(0)
        node = _as_node(name, defs[name].expr) if name in defs else None
        if node is None:
            if name == index:
                raise UsageError(
                    [
                        localised(
                            "KZF025",
                            "'{name}' is not a weighted mean of named indicators: write it as "
                            "amean(a: w, ...), gmean, hmean or aggregate(method, ...) (or their "
                            "_available forms)",
                            defs[index].span,
                            name=index,
                        )
                    ]
                )
            if name not in leaves:
                leaves.append(name)
            continue
        if name in nodes:
            continue
        nodes[name] = node
        pending.extend(c.name for c in node.children)
    return Hierarchy(index, nodes, tuple(leaves))


def top_indices(program: CheckedProgram) -> list[str]:
    """The composite indices of a file: its weighted means of named definitions that are no
    other's child, the largest hierarchy first (then in file order)."""
    defs = program.definitions
    nodes = {n: node for n, d in defs.items() if (node := _as_node(n, d.expr)) is not None}
    children = {c.name for node in nodes.values() for c in node.children}
    tops = [n for n in nodes if n not in children]
    size = {n: len(hierarchy(program, n).nodes) + len(hierarchy(program, n).leaves) for n in tops}
    return sorted(tops, key=lambda n: -size[n])


def _as_node(name: str, e: ast.Expr) -> Node | None:
    if not isinstance(e, ast.Call) or e.func not in (*_FIXED, *AGGREGATE_FORMS, POWER):
        return None
    args = list(e.args)
    method, method_param = _FIXED.get(e.func, ""), None
    exponent = None
    if e.func == POWER:
        if not args:
            return None
        method, exponent = "power", args.pop(0)
    if e.func in AGGREGATE_FORMS:
        first = args.pop(0)
        if isinstance(first, ast.String):
            method = first.value
        elif isinstance(first, ast.Name):
            method, method_param = first.id, first.id
        else:
            return None
    least = args.pop(0) if e.func in AVAILABLE_FORMS and args else None
    children = []
    for a in args:
        value, weight = (a.value, a.weight) if isinstance(a, ast.Weighted) else (a, None)
        if not isinstance(value, ast.Name):
            return None  # an expression, not a named indicator: not a node of a hierarchy
        children.append(Child(value.id, weight))
    return Node(name, method, method_param, tuple(children), least, exponent)
