"""The positioned abstract syntax tree of a .kzf file.

Frozen dataclasses: a node never changes after parsing, so later stages can share, hash and
cache them freely. Every node carries the `Span` it came from, so that any later stage can
point at the exact text a problem concerns.
"""

from __future__ import annotations

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


Expr = Number | String | Name | Unary | Binary | Between | Call

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
class InputDecl:
    name: str
    unit: str | None
    span: Span


@dataclass(frozen=True)
class ParamDecl:
    name: str
    unit: str | None
    value: float
    span: Span


@dataclass(frozen=True)
class Definition:
    name: str
    expr: Expr
    span: Span
    name_span: Span


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


@dataclass(frozen=True)
class Label:
    """Names of a definition or input in several languages: `label K kk "…" en "…"`."""

    name: str
    labels: tuple[tuple[str, str], ...]
    span: Span


Statement = (
    Title
    | Source
    | Dims
    | DataDecl
    | Import
    | InputDecl
    | ParamDecl
    | Definition
    | FunctionDef
    | Expect
    | Label
)


@dataclass(frozen=True)
class Module:
    """One parsed file: its statements in source order."""

    path: str
    source: str
    statements: tuple[Statement, ...]
