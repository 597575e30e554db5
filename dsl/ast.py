"""The positioned abstract syntax tree of a .kzf file.

Frozen dataclasses: a node never changes after parsing, so later stages can share, hash and
cache them freely. Every node carries the `Span` it came from, so that any later stage can
point at the exact text a problem concerns.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from kzf.dsl.diagnostics import Span

# ---------------------------------------------------------------- expressions


@dataclass(frozen=True)
class Number:
    value: float
    span: Span


@dataclass(frozen=True)
class String:
    value: str
    span: Span


@dataclass(frozen=True)
class Name:
    id: str
    span: Span


@dataclass(frozen=True)
class Unary:
    op: str  # "-", "+", "not"
    operand: Expr
    span: Span


@dataclass(frozen=True)
class Binary:
    op: str  # + - * / ^  = != < <= > >=  and or
    left: Expr
    right: Expr
    span: Span
    op_span: Span


@dataclass(frozen=True)
class Between:
    """`x in lo..hi`, inclusive at both ends."""

    operand: Expr
    low: Expr
    high: Expr
    span: Span


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple[Expr, ...]
    over: Name | None
    where: Expr | None
    span: Span
    func_span: Span


@dataclass(frozen=True)
class Weighted:
    """`child: weight`, an argument of amean/gmean/hmean/aggregate with its weight."""

    value: Expr
    weight: Expr
    span: Span


Expr = Number | String | Name | Unary | Binary | Between | Call | Weighted


def children(e: Expr) -> tuple[Expr, ...]:
    """The sub-expressions of `e`, left to right (a call's `over` is a dimension, not one)."""
    if isinstance(e, Unary):
        return (e.operand,)
    if isinstance(e, Binary):
        return (e.left, e.right)
    if isinstance(e, Between):
        return (e.operand, e.low, e.high)
    if isinstance(e, Weighted):
        return (e.value, e.weight)
    if isinstance(e, Call):
        return e.args if e.where is None else (*e.args, e.where)
    return ()


def walk(expr: Expr) -> Iterator[Expr]:
    """Every expression under `expr` (itself included) in source order, without recursion:
    the one walk over expressions that every later stage uses."""
    stack: list[Expr] = [expr]
    while stack:
        e = stack.pop()
        yield e
        stack.extend(reversed(children(e)))


def names_in(expr: Expr) -> tuple[list[str], list[str]]:
    """The names an expression mentions and the functions it calls, each once, in order of
    appearance."""
    names: dict[str, None] = {}
    calls: dict[str, None] = {}
    for e in walk(expr):
        if isinstance(e, Name):
            names[e.id] = None
        elif isinstance(e, Call):
            calls[e.func] = None
    return list(names), list(calls)


# ---------------------------------------------------------------- statements


@dataclass(frozen=True)
class Title:
    text: str
    span: Span


@dataclass(frozen=True)
class Source:
    text: str
    span: Span


@dataclass(frozen=True)
class Dims:
    names: tuple[Name, ...]
    span: Span
    time: Name | None = None  # the dimension marked `: time`
    sources: tuple[tuple[str, str], ...] = ()  # (dimension, the column the data calls it)


@dataclass(frozen=True)
class DataDecl:
    """`data "file.csv"`: the data this file is evaluated on by `kzf test` and by default."""

    path: str
    span: Span


@dataclass(frozen=True)
class Import:
    path: str
    span: Span


@dataclass(frozen=True)
class Framework:
    """`framework "f.csv" over country [normalise minmax100] [aggregate amean] [treat ...]`:
    a composite index declared as a table (dsl/framework.py), expanded into the statements
    it stands for when the file is loaded; `defaults` are (option, method as written)."""

    path: str
    over: str
    defaults: tuple[tuple[str, str], ...]
    span: Span


@dataclass(frozen=True)
class Domain:
    """The values an input may take: `>= 0`, `> 0`, `!= 0`, `in [0, 1]` (bounds inclusive)."""

    low: float | None  # None: unbounded
    high: float | None
    low_open: bool
    high_open: bool
    nonzero: bool
    text: str  # as written, for messages
    span: Span
    # what data outside the domain is: "error" (refused, KZF110) unless the file says
    # `input t > 0 warning` (reported, KZF111, and computed)
    severity: str = "error"


@dataclass(frozen=True)
class InputDecl:
    name: str
    unit: str | None
    span: Span
    domain: Domain | None = None
    source: str | None = None  # the column or indicator code the data calls it


@dataclass(frozen=True)
class ParamDecl:
    name: str
    unit: str | None
    value: float | str  # a text param chooses among methods: `param aggregation = "geometric"`
    span: Span


@dataclass(frozen=True)
class Vary:
    """`vary w in [0.2, 0.3]` or `vary method in {"minmax", "zscore"}`: the values a param
    takes in a sensitivity analysis (engine/composite/sensitivity.py)."""

    name: str
    low: float | None
    high: float | None
    choices: tuple[float | str, ...]  # empty for an interval
    span: Span
    name_span: Span


@dataclass(frozen=True)
class Definition:
    name: str
    expr: Expr
    span: Span
    name_span: Span
    unit: str | None = None  # `K : ratio = ...`: the unit the definition must have


@dataclass(frozen=True)
class FunctionDef:
    name: str
    params: tuple[Name, ...]
    expr: Expr
    span: Span
    name_span: Span


@dataclass(frozen=True)
class Expect:
    """A published value the file must reproduce: `expect K[Kazakhstan, 2010] = 2.776 round 3`."""

    name: str
    key: tuple[str | float, ...]
    value: float
    rounding: tuple[str, int] | None  # ("round" | "trunc", digits)
    tolerance: float | None
    erratum: str | None
    span: Span
    name_span: Span
    column: str | None = None  # a model table's cell: `expect gdp.coefficients[4, X4].B = …`
    # "published" (printed in the source), "derived" (the file's own) or "unreproducible"
    # (printed, its inputs unavailable); `origin_note` says how or why
    origin: str = "published"
    origin_note: str | None = None


@dataclass(frozen=True)
class Label:
    """Names of a definition or input in several languages: `label K kk "…" en "…"`."""

    name: str
    labels: tuple[tuple[str, str], ...]
    span: Span


@dataclass(frozen=True)
class Assert:
    """`assert same(a, b)` or `assert not same(a, b)`, decided symbolically at check time."""

    expr: Expr
    span: Span


@dataclass(frozen=True)
class Rule:
    """`rule NAME: condition [error|warning|info] [code "C"] ["message"]`: a validation rule.
    The condition is also a definition of the same name (a condition column of the results);
    the rule adds what a failing row is reported with."""

    name: str
    severity: str  # "error", "warning", "info"
    code: str | None
    message: str | None
    span: Span
    name_span: Span


@dataclass(frozen=True)
class HierarchyRule:
    """`KZ = North + South`: the parent's value is the sum of its children's."""

    parent: str
    children: tuple[str, ...]
    span: Span


@dataclass(frozen=True)
class Hierarchy:
    """`hierarchy NAME over DIM: rule, rule ...`: codes of one dimension and how they add up,
    declared once and used both to check totals and to compute missing ones (VTL's
    hierarchical rulesets)."""

    name: str
    over: str
    rules: tuple[HierarchyRule, ...]
    span: Span
    name_span: Span
    over_span: Span


@dataclass(frozen=True)
class Allow:
    """`allow KZF310 [name] "why"`: a checker warning accepted, with its reason."""

    code: str
    name: str | None  # the definition or function it is limited to; None: the whole file
    reason: str
    span: Span


@dataclass(frozen=True)
class ModelOption:
    """An option of a model or forecast: `compat`, `intercept off`, `interval 0.95`,
    `stepwise(enter 0.05, remove 0.10)`."""

    name: str
    value: str | float | None
    settings: tuple[tuple[str, float], ...]
    span: Span


@dataclass(frozen=True)
class ModelTerm:
    """A term of a model formula as written: `x` (function and power None), `x^2` (power 2),
    `poly(x, 3)` (function "poly", power 3: the terms x, x^2, x^3), `ln(x)` (function "ln",
    power None); engine/compile/models.py checks and expands it."""

    base: Name
    function: Name | None
    power: int | None
    span: Span


@dataclass(frozen=True)
class Model:
    """`model gdp = ols(Y ~ X1 + X2, stepwise where year <= 2020)` (docs/models.md)."""

    name: str
    function: Name
    dependent: Name
    terms: tuple[ModelTerm, ...]
    options: tuple[ModelOption, ...]
    where: Expr | None
    span: Span
    name_span: Span


@dataclass(frozen=True)
class Forecast:
    """`forecast f = gdp from 2022 to 2026 with X3 = X3_t, interval 0.95` (docs/models.md)."""

    name: str
    model: Name
    start: int | None
    end: int
    substitutions: tuple[tuple[Name, Name], ...]
    options: tuple[ModelOption, ...]
    span: Span
    name_span: Span


Statement = (
    Title
    | Source
    | Dims
    | DataDecl
    | Import
    | Framework
    | InputDecl
    | ParamDecl
    | Definition
    | FunctionDef
    | Expect
    | Rule
    | Hierarchy
    | Label
    | Assert
    | Allow
    | Model
    | Forecast
    | Vary
)


@dataclass(frozen=True)
class Module:
    """One parsed file: its statements in source order."""

    path: str
    source: str
    statements: tuple[Statement, ...]
