"""Definitions as sympy expressions: equivalence (`assert same`, `kzf check --equiv`),
simplification and mathematical notation (`kzf show`).

Inputs, params and dimensions become real symbols. Aggregates, `rank`, `lag`/`lead`,
`round`/`trunc` and node kinds this module does not know become *opaque typed functions*:
sympy never looks inside them (a sum over entities is not a sum of symbols), but it knows their
sign (a count is nonnegative, a rank positive, the mean of positive values positive) and how
to print them (`max_{entity} x`, `x_{t-1}`).

Every step is bounded, without threads or signals: an expression whose tree is too large is
never handed to sympy; `together`/`cancel` run only on small rational expressions and
`simplify` only on smaller ones; anything past the limits is decided by evaluating both sides
at sample points, or reported as undecided (a warning). Nothing here can hang.

sympy is imported by this module only, and this module only when a file asserts something or
a command asks for symbolic work, so that `kzf eval` does not pay for it.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp
from sympy.printing.pretty.stringpict import prettyForm, stringPict

from kzf.engine.core import ir
from kzf.engine.core.builtins import FUNCTIONS, Function

MAX_TREE = 5_000  # IR tree nodes (shared subtrees counted each time) handed to sympy at all
MAX_RATIONAL_OPS = 150  # count_ops for together/cancel
MAX_SIMPLIFY_OPS = 40  # count_ops for simplify
MAX_DENOMINATORS = 8
MAX_EXPONENT = 12
TIME_BUDGET = 0.5  # seconds; checked between steps
SAMPLE_POINTS = 12


class TooLarge(Exception):
    """The expression is too large to hand to sympy within the checker's limits."""


# ---------------------------------------------------------------- symbols and printing


def latex_name(name: str) -> str:
    if re.fullmatch(r"[A-Za-z]", name):
        return name
    m = re.fullmatch(r"([A-Za-z])(\d+)", name)
    if m:
        return f"{m.group(1)}_{{{m.group(2)}}}"
    escaped = name.replace("\\", "").replace("_", r"\_").replace("{", "").replace("}", "")
    if escaped.isascii():
        return rf"\mathrm{{{escaped}}}"
    return rf"\text{{{escaped}}}"


class Var(sp.Symbol):
    """An input, param or dimension, printed exactly as it is written in the file."""

    def _latex(self, printer: Any) -> str:
        return latex_name(self.name)

    def _pretty(self, printer: Any) -> prettyForm:
        return prettyForm(self.name)

    def _sympystr(self, printer: Any) -> str:
        return str(self.name)


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "#": r"\#", "$": r"\$", "%": r"\%",
    "&": r"\&", "_": r"\_", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}",
}  # fmt: skip


def latex_text(text: str) -> str:
    """Text for LaTeX's text mode, every special character escaped: a text literal of a
    formula (`entity = "R&D 50%"`) must print as written, never as LaTeX commands."""
    return "".join(_LATEX_SPECIAL.get(c, c) for c in text)


class Text(sp.Symbol):
    """A text constant in a condition (`entity = "Kazakhstan"`)."""

    def _latex(self, printer: Any) -> str:
        return r"\text{“" + latex_text(self.name) + "”}"

    def _pretty(self, printer: Any) -> prettyForm:
        return prettyForm(f'"{self.name}"')

    def _sympystr(self, printer: Any) -> str:
        return f'"{self.name}"'


def var(name: str) -> Var:
    return Var(name, real=True)


class Opaque(sp.Function):
    """An aggregate, rank, time shift or rounding: sympy does not look inside it."""

    is_real = True
    kzf_kind = "opaque"  # aggregate | rank | shift | round | call
    kzf_label = "f"
    kzf_sub = ""  # subscript, plain text
    kzf_latex_sub = ""
    kzf_sign = "as-arg"  # as-arg | nonnegative | positive | none

    @classmethod
    def eval(cls, *args: Any) -> None:
        return None

    def _arg_sign(self, attr: str) -> bool | None:
        if not self.args:
            return None
        return getattr(self.args[0], attr)

    def _eval_is_nonnegative(self) -> bool | None:
        if self.kzf_sign in ("nonnegative", "positive"):
            return True
        return self._arg_sign("is_nonnegative") if self.kzf_sign == "as-arg" else None

    def _eval_is_positive(self) -> bool | None:
        if self.kzf_sign == "positive":
            return True
        return self._arg_sign("is_positive") if self.kzf_sign == "as-arg" else None

    def _eval_is_negative(self) -> bool | None:
        if self.kzf_sign in ("nonnegative", "positive"):
            return False
        return self._arg_sign("is_negative") if self.kzf_sign == "as-arg" else None

    # ---- printing
    def _latex(self, printer: Any) -> str:
        args = [printer._print(a) for a in self.args]
        if self.kzf_kind == "shift":
            return (
                rf"{{\left({args[0]}\right)}}_{{{self.kzf_latex_sub}}}"
                if not isinstance(self.args[0], sp.Symbol)
                else rf"{{{args[0]}}}_{{{self.kzf_latex_sub}}}"
            )
        head = {
            "sum": r"\sum",
            "min": r"\min",
            "max": r"\max",
        }.get(self.kzf_label, rf"\operatorname{{{_latex_escape(self.kzf_label)}}}")
        sub = f"_{{{self.kzf_latex_sub}}}" if self.kzf_latex_sub else ""
        body = ", ".join(args)
        return rf"{head}{sub}\left({body}\right)"

    def _pretty(self, printer: Any) -> prettyForm:
        args = [printer._print(a) for a in self.args]
        body = args[0] if len(args) == 1 else prettyForm(", ".join(str(a) for a in self.args))
        if self.kzf_kind == "shift":
            inner = body if isinstance(self.args[0], sp.Symbol) else prettyForm(*body.parens())
            return prettyForm(*stringPict.next(inner, prettyForm(f"[{self.kzf_sub}]")))
        label = "Σ" if self.kzf_label == "sum" else self.kzf_label
        head = prettyForm(f"{label}[{self.kzf_sub}]" if self.kzf_sub else label)
        return prettyForm(*stringPict.next(head, prettyForm(*body.parens())))

    def _sympystr(self, printer: Any) -> str:
        args = ", ".join(printer._print(a) for a in self.args)
        if self.kzf_kind == "shift":
            return f"({args})[{self.kzf_sub}]"
        sub = f"[{self.kzf_sub}]" if self.kzf_sub else ""
        return f"{self.kzf_label}{sub}({args})"


def _latex_escape(text: str) -> str:
    return text.replace("_", r"\_")


_CLASSES: dict[tuple[object, ...], type[Opaque]] = {}
_CLASSES_LOCK = threading.Lock()


def _opaque_class(
    key: tuple[object, ...], kind: str, label: str, sub: str, latex_sub: str, sign: str
) -> type[Opaque]:
    cls = _CLASSES.get(key)
    if cls is not None:
        return cls
    with _CLASSES_LOCK:  # one class per key, or equal expressions would compare unequal
        cls = _CLASSES.get(key)
        if cls is not None:
            return cls
        name = f"kzf_{kind}_{label}_{len(_CLASSES)}"
        cls = type(
            name,
            (Opaque,),
            {
                "kzf_kind": kind,
                "kzf_label": label,
                "kzf_sub": sub,
                "kzf_latex_sub": latex_sub,
                "kzf_sign": sign,
            },
        )
        _CLASSES[key] = cls
    return cls


_AGG_SIGN = {
    "skew": "none",
    "kurt": "none",
    "count": "nonnegative",
    "std": "nonnegative",
    "var": "nonnegative",
}


# ---------------------------------------------------------------- IR → sympy


def tree_size(
    root: ir.Node, cap: int = MAX_TREE + 1, leaf: Callable[[ir.Node], bool] | None = None
) -> int:
    """Nodes of the expression tree (a shared subtree counts each time it is used), capped;
    a `leaf` node counts as one (a definition shown by its name)."""
    sizes: dict[ir.Node, int] = {}
    for node in ir.postorder(root, leaf=leaf):
        if leaf is not None and leaf(node):
            sizes[node] = 1
        else:
            sizes[node] = min(cap, 1 + sum(sizes[c] for c in node.children))
    return sizes[root]


def _number(value: float, exact: bool) -> sp.Expr:
    if value != value or value in (math.inf, -math.inf):
        return sp.nan
    if float(value).is_integer() and abs(value) < 1e15:
        return sp.Integer(int(value))
    if exact:
        return sp.Rational(repr(value))
    digits = len(re.sub(r"[^0-9]", "", repr(value).split("e")[0]).lstrip("0")) or 1
    return sp.Float(repr(value), max(digits, 2))


@dataclass
class Translator:
    """IR → sympy. `exact` uses rationals (for deciding); otherwise floats print as written
    and nothing is evaluated (for showing). `names` maps definition nodes (by identity) to
    their names, so that a definition shows the names of the definitions it uses."""

    exact: bool = True
    names: Mapping[int, str] = field(default_factory=dict)
    time_dim: str = "year"
    text_of: Callable[[ir.Node], str] | None = None

    def __call__(self, root: ir.Node) -> Any:
        named = (lambda n: n is not root and id(n) in self.names) if self.names else None
        if tree_size(root, leaf=named) > MAX_TREE:
            raise TooLarge
        memo: dict[object, Any] = {}

        def key(n: ir.Node) -> object:
            return id(n) if self.names else n

        stack: list[tuple[ir.Node, bool]] = [(root, False)]
        while stack:
            node, ready = stack.pop()
            k = key(node)
            if k in memo:
                continue
            if node is not root and id(node) in self.names:
                memo[k] = var(self.names[id(node)])
                continue
            if not ready:
                stack.append((node, True))
                stack.extend((c, False) for c in node.children if key(c) not in memo)
                continue
            args = [memo[key(c)] for c in node.children]
            if self.exact:
                memo[k] = self._build(node, args)
            else:
                with sp.evaluate(False):
                    memo[k] = self._build(node, args)
        return memo[key(root)]

    def _build(self, node: ir.Node, args: list[Any]) -> Any:
        if isinstance(node, ir.Const):
            if isinstance(node.value, str):
                return Text(node.value)
            return _number(node.value, self.exact)
        if isinstance(node, ir.Column | ir.Param):
            return var(node.name)
        if isinstance(node, ir.Dim):
            return var(node.name)
        if isinstance(node, ir.Aggregate | ir.Transform):
            where = self._where_text(node.where, args[1] if node.where is not None else None)
            cls = _opaque_class(
                (
                    "agg",
                    node.func,
                    node.over,
                    node.where,
                    getattr(node, "limit", 0),
                    self.exact,
                    bool(self.names),
                ),
                "aggregate",
                node.func,
                node.over + (f": {where[0]}" if where else ""),
                _latex_text(node.over) + (rf"\,:\,{where[1]}" if where else ""),
                "none" if node.func in ir.LOG_FALLBACKS else _AGG_SIGN.get(node.func, "as-arg"),
            )
            return cls(args[0])
        if isinstance(node, ir.Rank):
            where = self._where_text(node.where, args[1] if node.where is not None else None)
            cls = _opaque_class(
                ("rank", node.over, node.where, self.exact, bool(self.names)),
                "rank",
                "rank",
                node.over + (f": {where[0]}" if where else ""),
                _latex_text(node.over) + (rf"\,:\,{where[1]}" if where else ""),
                "positive",
            )
            return cls(args[0])
        if isinstance(node, ir.Shift):
            t = "t"
            sub = f"{t}-{node.k}" if node.k > 0 else f"{t}+{-node.k}"
            cls = _opaque_class(("shift", node.k), "shift", "lag", sub, sub, "as-arg")
            return cls(args[0])
        if isinstance(node, ir.Op):
            return self._op(node, args)
        if isinstance(node, ir.Rollup):
            cls = _opaque_class(
                ("rollup", node.hierarchy, node.fill, self.exact, bool(self.names)),
                "call",
                "complete" if node.fill else "rollup",
                node.hierarchy,
                _latex_text(node.hierarchy),
                "none",
            )
            inner = args[0]
            if node.fill and isinstance(inner, cls):  # complete() is one node per level
                inner = inner.args[0]
            return cls(inner)
        label = type(node).__name__.lower()
        cls = _opaque_class(("node", node), "call", label, "", "", "none")
        return cls(*[a for a in args if isinstance(a, sp.Expr)])

    def _where_text(self, where: ir.Node | None, expr: Any) -> tuple[str, str] | None:
        if where is None:
            return None
        text = sp.pretty(expr, use_unicode=True, wrap_line=False)
        if "\n" in text:
            text = sp.sstr(expr)
        return (text, sp.latex(expr))

    def _op(self, node: ir.Op, a: list[Any]) -> Any:
        op = node.op
        if op in ("add", "sub"):
            # (a + b) + c prints as a + b + c, not (a + b) + c, when nothing is evaluated
            left = list(a[0].args) if not self.exact and a[0].is_Add else [a[0]]
            right = a[1] if op == "add" else sp.Mul(sp.Integer(-1), a[1])
            return sp.Add(*left, right)
        if op == "mul":
            return sp.Mul(a[0], a[1])
        if op == "div":
            return sp.Mul(a[0], sp.Pow(a[1], sp.Integer(-1)))
        if op == "pow":
            if a[0].is_Number and a[1].is_Number and (abs(a[1]) > 64 or abs(a[0]) > 10**6):
                return sp.Pow(a[0], a[1], evaluate=False)  # never compute 9^9^9 exactly
            return sp.Pow(a[0], a[1])
        if op == "neg":
            return sp.Mul(sp.Integer(-1), a[0])
        rel = {"eq": sp.Eq, "ne": sp.Ne, "lt": sp.Lt, "le": sp.Le, "gt": sp.Gt, "ge": sp.Ge}
        if op in rel:
            return rel[op](a[0], a[1], evaluate=self.exact and _numeric(a))
        if op == "and":
            return sp.And(a[0], a[1])
        if op == "or":
            return sp.Or(a[0], a[1])
        if op == "not":
            return sp.Not(a[0])
        function = FUNCTIONS.get(op)
        if function is not None:
            return self._function(node, function, a)
        cls = _opaque_class(("op", op), "call", op, "", "", "none")
        return cls(*a)

    def _function(self, node: ir.Op, function: Function, a: list[Any]) -> Any:
        """A builtin function by its sympy translation; shown under its own head when it
        has one (log₁₀), or opaque when sympy must not look inside (round, coalesce)."""
        op = node.op
        if function.shown_as is not None and not self.exact:
            return _shown_class(op, *function.shown_as)(a[0])
        if function.sympy is not None:
            return function.sympy(sp, a)
        if function.digits is not None:
            digits = str(node.attrs[0]) if node.attrs else str(function.digits.default)
            return _opaque_class((op, digits), "round", op, digits, digits, "none")(a[0])
        return _opaque_class(("op", op), "call", op, "", "", "none")(*a)


class _Shown(sp.Function):
    """A function shown under its own head (log₁₀) rather than as sympy rewrites it; the
    heads are `Function.shown_as`, one subclass per function."""

    is_real = True
    kzf_latex = ""
    kzf_text = ""

    @classmethod
    def eval(cls, *args: Any) -> None:
        return None

    def _latex(self, printer: Any) -> str:
        return rf"{self.kzf_latex}\left({printer._print(self.args[0])}\right)"

    def _pretty(self, printer: Any) -> prettyForm:
        return prettyForm(
            *stringPict.next(prettyForm(self.kzf_text), printer._print(self.args[0]).parens())
        )


@functools.cache
def _shown_class(name: str, latex: str, text: str) -> type[_Shown]:
    return type(f"kzf_shown_{name}", (_Shown,), {"kzf_latex": latex, "kzf_text": text})


def _latex_text(name: str) -> str:
    return latex_name(name)


def _numeric(args: list[Any]) -> bool:
    return all(not isinstance(x, Text) for x in args)


# ---------------------------------------------------------------- numeric evaluation of IR


class _Undefined(Exception):
    pass


def _rename(node: ir.Node, mapping: Mapping[str, str]) -> ir.Node:
    """The same expression with inputs and params renamed."""
    if not mapping:
        return node
    done: dict[ir.Node, ir.Node] = {}
    for n in ir.postorder(node):
        if isinstance(n, ir.Column | ir.Param) and n.name in mapping:
            done[n] = dataclasses.replace(n, name=mapping[n.name])
            continue
        changes: dict[str, Any] = {}  # IR fields of every type: nodes, tuples of nodes
        for f in dataclasses.fields(n):
            v = getattr(n, f.name)
            if isinstance(v, ir.Node):
                changes[f.name] = done[v]
            elif isinstance(v, tuple) and v and all(isinstance(x, ir.Node) for x in v):
                changes[f.name] = tuple(done[x] for x in v)
        done[n] = dataclasses.replace(n, **changes) if changes else n
    return done[node]


@dataclass
class Point:
    """Values for the leaves of an expression: inputs and params by name, opaque nodes."""

    names: dict[str, float | str]  # a text param at its default
    atoms: dict[ir.Node, float]


def evaluate(node: ir.Node, point: Point) -> float:
    """The value of an expression at a point, in floats; opaque nodes take the point's value."""
    values: dict[ir.Node, Any] = {}
    for n in ir.postorder(node, leaf=point.atoms.__contains__):
        if n in point.atoms:
            values[n] = point.atoms[n]
        else:
            values[n] = _eval_node(n, [values[c] for c in n.children], point)
    result = values[node]
    if isinstance(result, bool):
        return 1.0 if result else 0.0
    if not isinstance(result, float | int) or not math.isfinite(result):
        raise _Undefined
    return float(result)


def _eval_node(n: ir.Node, a: list[Any], point: Point) -> Any:
    if isinstance(n, ir.Const):
        return n.value
    if isinstance(n, ir.Column | ir.Param | ir.Dim):
        if n.name not in point.names:
            raise _Undefined
        return point.names[n.name]
    if not isinstance(n, ir.Op):
        raise _Undefined  # opaque nodes are given by the point
    op = n.op
    function = FUNCTIONS.get(op)
    if function is not None:
        return _call(function, n, a)
    try:
        return _OPS[op](a, n)
    except (ZeroDivisionError, OverflowError, ValueError, TypeError):
        raise _Undefined from None


def _call(function: Function, n: ir.Op, a: list[Any]) -> float:
    """A builtin function at a point, by the kernel every engine uses; undefined outside
    where it is defined or where it overflows."""
    values = [float(x) for x in a]
    if function.defined_on is not None and function.undefined(values[0]):
        raise _Undefined
    with np.errstate(all="ignore"):
        result = float(function.kernel(values, n.attrs))
    if math.isinf(result):
        raise _Undefined
    return result


def _pow(x: float, y: float) -> float:
    r = x**y
    if isinstance(r, complex):
        raise ValueError
    return float(r)


_OPS: dict[str, Callable[[list[Any], ir.Op], Any]] = {
    "add": lambda a, n: a[0] + a[1],
    "sub": lambda a, n: a[0] - a[1],
    "mul": lambda a, n: a[0] * a[1],
    "div": lambda a, n: a[0] / a[1],
    "pow": lambda a, n: _pow(a[0], a[1]),
    "neg": lambda a, n: -a[0],
    "eq": lambda a, n: a[0] == a[1],
    "ne": lambda a, n: a[0] != a[1],
    "lt": lambda a, n: a[0] < a[1],
    "le": lambda a, n: a[0] <= a[1],
    "gt": lambda a, n: a[0] > a[1],
    "ge": lambda a, n: a[0] >= a[1],
    "and": lambda a, n: bool(a[0]) and bool(a[1]),
    "or": lambda a, n: bool(a[0]) or bool(a[1]),
    "not": lambda a, n: not a[0],
}


def _opaque_nodes(node: ir.Node) -> list[ir.Node]:
    """The outermost nodes `evaluate` cannot compute (aggregates, ranks, shifts, ...)."""
    found: list[ir.Node] = []
    seen: set[ir.Node] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        if isinstance(n, ir.Op | ir.Const | ir.Column | ir.Param | ir.Dim):
            stack.extend(n.children)
        else:
            found.append(n)
    return found


def _leaf_names(node: ir.Node) -> list[str]:
    out: list[str] = []
    seen: set[ir.Node] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        if isinstance(n, ir.Column | ir.Param | ir.Dim) and n.name not in out:
            out.append(n.name)
        elif isinstance(n, ir.Op | ir.Const):
            stack.extend(reversed(n.children))
    return out


def _domain_value(rng: random.Random, domain: tuple[float, float] | None, i: int) -> float:
    small = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37]
    if domain is None:
        if i == 0:
            return float(small[rng.randrange(len(small))])
        return float(rng.choice([-1, 1]) * rng.randint(1, 97)) / rng.choice([1, 2, 3, 7])
    lo, hi = domain
    if math.isinf(lo) and math.isinf(hi):
        return _domain_value(rng, None, i)
    if math.isinf(hi):
        return lo + rng.randint(1, 97) / rng.choice([1, 2, 3])
    if math.isinf(lo):
        return hi - rng.randint(1, 97) / rng.choice([1, 2, 3])
    return lo + (hi - lo) * rng.randint(1, 96) / 97


# ---------------------------------------------------------------- deciding equivalence


class Verdict(StrEnum):
    SAME = "same"  # proved symbolically
    SAME_TESTED = "same-tested"  # equal at every sample point; not proved
    DIFFER = "differ"
    UNDECIDED = "undecided"


@dataclass
class Decision:
    verdict: Verdict
    renaming: dict[str, str] = field(default_factory=dict)  # right name → left name
    point: dict[str, float | str] = field(default_factory=dict)  # the counterexample
    atoms: list[tuple[str, float]] = field(default_factory=list)
    values: tuple[float, float] | None = None
    left: Any = None
    right: Any = None
    reason: str = ""

    @property
    def same(self) -> bool:
        return self.verdict in (Verdict.SAME, Verdict.SAME_TESTED)


@dataclass
class Leaves:
    """What is known about the leaves: param defaults and input domains."""

    defaults: dict[str, float | str] = field(default_factory=dict)  # text params: a method
    domains: dict[str, tuple[float, float]] = field(default_factory=dict)
    # what is declared about each leaf (kind, unit, domain): a renaming must keep it
    signatures: dict[str, object] = field(default_factory=dict)


# why a decision is UNDECIDED (engine/checks/analysis.py says it in its KZF330 warning)
TOO_LARGE = "too large for the symbolic limits, and most sample points were undefined"

_CACHE: dict[tuple[ir.Node, ir.Node, tuple[tuple[str, float | str], ...], str], Decision] = {}


def decide(
    left: ir.Node,
    right: ir.Node,
    leaves: Leaves | None = None,
    *,
    allow_renaming: bool = True,
    text_of: Callable[[ir.Node], str] | None = None,
) -> Decision:
    """Are two expressions the same formula? Leaves that occur on one side only may be
    matched to each other (formula (1) in ЭӘ and Ш is formula (3) in R and TC)."""
    leaves = leaves or Leaves()
    key = (
        left,
        right,
        tuple(sorted(leaves.defaults.items())),
        repr(sorted(leaves.domains.items())) + repr(sorted(leaves.signatures.items())),
    )
    if key in _CACHE:
        return _CACHE[key]
    if len(_CACHE) > 2_000:
        _CACHE.clear()
    started = time.perf_counter()
    only_left = [n for n in _leaf_names(left) if n not in set(_leaf_names(right))]
    only_right = [n for n in _leaf_names(right) if n not in set(_leaf_names(left))]
    decision = _decide_one(left, right, leaves, text_of, started)
    if (
        not decision.same
        and allow_renaming
        and only_left
        and len(only_left) == len(only_right) <= 6
    ):
        for perm in itertools.permutations(only_left):
            mapping = dict(zip(only_right, perm, strict=True))
            if any(
                leaves.signatures.get(b) != leaves.signatures.get(a) for b, a in mapping.items()
            ):
                continue
            renamed = _rename(right, mapping)
            attempt = _decide_one(left, renamed, leaves, text_of, started, quick=True)
            if attempt.same:
                attempt.renaming = mapping
                decision = attempt
                break
    _CACHE[key] = decision
    return decision


def _decide_one(
    left: ir.Node,
    right: ir.Node,
    leaves: Leaves,
    text_of: Callable[[ir.Node], str] | None,
    started: float,
    quick: bool = False,
) -> Decision:
    if left == right:
        return Decision(Verdict.SAME, reason="identical")
    sym_left = sym_right = None
    diff = None
    try:
        sym_left = Translator(exact=True)(left)
        sym_right = Translator(exact=True)(right)
        diff = sym_left - sym_right
        if diff != 0 and _safe_for_algebra(diff):
            diff = sp.expand(diff)
        if diff == 0:
            return Decision(Verdict.SAME, left=sym_left, right=sym_right, reason="expand")
    except TooLarge:
        pass
    # A difference at a sample point settles it, and is cheap; look for one first.
    tested = 0
    atoms = _opaque_nodes(left) + [n for n in _opaque_nodes(right)]
    names = list(dict.fromkeys(_leaf_names(left) + _leaf_names(right)))
    rng = random.Random(20261129)
    points = 3 if quick else SAMPLE_POINTS
    for i in range(points):
        point = _point(i, names, atoms, leaves, rng)
        try:
            a, b = evaluate(left, point), evaluate(right, point)
        except _Undefined:
            continue
        tested += 1
        if not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12):
            shown_atoms = [
                ((text_of(n) if text_of else sp.sstr(Translator(exact=False)(n))), v)
                for n, v in point.atoms.items()
            ]
            return Decision(
                Verdict.DIFFER,
                point={k: v for k, v in point.names.items()},
                atoms=shown_atoms,
                values=(a, b),
                left=sym_left,
                right=sym_right,
            )
    if diff is not None and time.perf_counter() - started < TIME_BUDGET:
        proved = _prove_zero(diff, started)
        if proved:
            return Decision(Verdict.SAME, left=sym_left, right=sym_right, reason="simplify")
    if tested >= max(2, points // 2):
        return Decision(Verdict.SAME_TESTED, left=sym_left, right=sym_right)
    return Decision(
        Verdict.UNDECIDED,
        left=sym_left,
        right=sym_right,
        reason=TOO_LARGE,
    )


def _point(
    i: int, names: list[str], atoms: list[ir.Node], leaves: Leaves, rng: random.Random
) -> Point:
    values: dict[str, float | str] = {}
    for name in names:
        if i == 0 and name in leaves.defaults:
            values[name] = leaves.defaults[name]
        elif name == "year":
            values[name] = float(2000 + rng.randint(1, 30))
        else:
            values[name] = _domain_value(rng, leaves.domains.get(name), i)
    return Point(values, {a: _domain_value(rng, (0.0, math.inf), i) for a in atoms})


MAX_TERMS = 5_000  # terms an expansion may produce


def _safe_for_algebra(expr: Any) -> bool:
    """Small enough that expand, together and cancel finish quickly: bounded exponents,
    operations, and an upper bound on the terms that multiplying everything out produces
    (denominators included, as `together` multiplies them into the numerator)."""
    for p in expr.atoms(sp.Pow):
        e = p.exp
        if e.is_Integer and abs(int(e)) > MAX_EXPONENT:
            return False
    if sp.count_ops(expr) > MAX_RATIONAL_OPS * 4:
        return False
    bound = _term_bound(expr)
    for p in expr.atoms(sp.Pow):
        if p.exp.is_Integer and p.exp < 0:
            bound *= _term_bound(p.base) ** int(-p.exp)
            if bound > MAX_TERMS:
                return False
    return bound <= MAX_TERMS


def _term_bound(e: Any) -> int:
    if e.is_Add:
        return min(MAX_TERMS + 1, sum(_term_bound(a) for a in e.args))
    if e.is_Mul:
        out = 1
        for a in e.args:
            out = min(MAX_TERMS + 1, out * _term_bound(a))
        return out
    if e.is_Pow and e.exp.is_Integer and e.exp > 0:
        t, n = _term_bound(e.base), int(e.exp)
        return min(MAX_TERMS + 1, math.comb(t + n - 1, n)) if t <= MAX_TERMS else MAX_TERMS + 1
    return 1


def _small_powers(expr: Any) -> bool:
    return _safe_for_algebra(expr)


def _prove_zero(diff: Any, started: float) -> bool:
    """Cheap canonical forms first; `simplify` only on small expressions."""
    if diff.has(sp.Piecewise) or not _safe_for_algebra(diff):
        return False
    ops = sp.count_ops(diff)
    denominators = [p for p in diff.atoms(sp.Pow) if p.exp.is_negative]
    if ops <= MAX_RATIONAL_OPS and len(denominators) <= MAX_DENOMINATORS:
        if sp.cancel(sp.together(diff)) == 0:
            return True
    if time.perf_counter() - started > TIME_BUDGET:
        return False
    if ops <= MAX_SIMPLIFY_OPS:
        return bool(sp.simplify(diff) == 0)
    return False


# ---------------------------------------------------------------- showing


def simplest(expr: Any) -> Any:
    """A simpler equivalent form for display, within the limits; the input if none is."""
    candidates = [expr]
    try:
        if _small_powers(expr) and sp.count_ops(expr) <= MAX_RATIONAL_OPS:
            candidates.append(sp.cancel(expr))
            candidates.append(sp.factor_terms(expr))
        if sp.count_ops(expr) <= MAX_SIMPLIFY_OPS and not expr.has(sp.Piecewise):
            candidates.append(sp.simplify(expr))
    except (sp.PolynomialError, RecursionError, ValueError, TypeError):  # pragma: no cover
        pass
    return min(candidates, key=lambda e: (sp.count_ops(e), len(sp.sstr(e))))


def format_value(v: float) -> str:
    if float(v).is_integer() and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.10g}"


def format_fraction(f: Fraction) -> str:  # pragma: no cover - helper for callers
    return str(f)


def symbols_of(nodes: Iterable[ir.Node]) -> list[str]:
    out: list[str] = []
    for n in nodes:
        out.extend(x for x in _leaf_names(n) if x not in out)
    return out
