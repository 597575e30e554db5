"""A deliberately simple reference evaluator of .kzf programs, written from docs/language.md.

It shares nothing with the compiler but the parser: it walks the AST of
`kzf.dsl.parser.parse_module` one row at a time, with plain Python. Clarity over speed:

- every definition is computed for every row, recursively and memoised per (node, row);
- an aggregate literally collects the rows of the group (the same values of every dimension
  except the `over` one), keeps those whose `where` holds, and reduces their values;
- `lag(x, k)` looks up the row of the same entity whose year is `year - k`;
- `rank` counts the strictly larger values of the group and adds one;
- user functions are expanded by substituting their arguments into their bodies.

Values: numbers are Python floats with NaN for missing; conditions are True, False or None
(missing); text (a dimension such as `entity`, or a quoted string) is a `str`. Every numeric
result that is infinite becomes NaN ("never an infinity").
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping
from decimal import ROUND_DOWN, ROUND_HALF_UP, Context, Decimal

import pandas as pd

from kzf.dsl import ast
from kzf.dsl.parser import parse_module

NAN = float("nan")
NUM, COND, TEXT = "number", "condition", "text"
AGGREGATES = {"sum", "mean", "min", "max", "count", "median", "std", "var", "first", "last"}
COMPARE = {"=", "!=", "<", "<=", ">", ">="}


def _missing(x: float) -> bool:
    return x != x


def _finite(x: float) -> float:
    """Infinities are never results: they become missing."""
    return NAN if math.isinf(x) else x


# ---------------------------------------------------------------- numeric helpers


def power(a: float, b: float) -> float:
    if _missing(a) or _missing(b):
        return NAN  # any arithmetic with a missing value is missing (even NaN^0)
    if a < 0 and b != int(b):
        return NAN  # a negative number to a fractional power
    if a == 0 and b < 0:
        return NAN  # 0 to a negative power is a division by zero
    try:
        return _finite(a**b)
    except OverflowError:
        return NAN


def divide(a: float, b: float) -> float:
    if _missing(a) or _missing(b) or b == 0:
        return NAN
    return _finite(a / b)


def decimal_round(x: float, digits: int, mode: str) -> float:
    """round (halves away from zero) or trunc (toward zero) on the value's 15 significant
    digits, in decimal arithmetic."""
    if _missing(x):
        return NAN
    value = Decimal(f"{x:.15g}")
    quantum = Decimal(1).scaleb(-digits)
    rounding = ROUND_HALF_UP if mode == "round" else ROUND_DOWN
    exact = Context(prec=1000, Emax=10_000, Emin=-10_000)  # room for every float64
    return float(value.quantize(quantum, rounding=rounding, context=exact)) + 0.0  # no -0.0


def _math(func: str, x: float) -> float:
    if _missing(x):
        return NAN
    if func == "abs":
        return abs(x)
    if func == "exp":
        try:
            return _finite(math.exp(x))
        except OverflowError:
            return NAN
    if func in ("ln", "log10"):
        if x <= 0:
            return NAN
        return math.log(x) if func == "ln" else math.log10(x)
    if func == "sqrt":
        return NAN if x < 0 else math.sqrt(x)
    raise ValueError(func)


def _kleene_and(a: bool | None, b: bool | None) -> bool | None:
    if a is False or b is False:
        return False
    if a is None or b is None:
        return None
    return True


def _kleene_or(a: bool | None, b: bool | None) -> bool | None:
    if a is True or b is True:
        return True
    if a is None or b is None:
        return None
    return False


# ---------------------------------------------------------------- the evaluator


class Reference:
    """Evaluate the definitions of one .kzf text on a data frame, row by row."""

    def __init__(
        self,
        text: str,
        frame: pd.DataFrame,
        params: Mapping[str, float] | None = None,
        *,
        between_strict: bool = False,
    ):
        module = parse_module(text)
        # `x in lo..hi` means `x >= lo and x <= hi` with Kleene logic (docs/language.md), so
        # `5 in missing..3` is false. between_strict=True keeps the earlier reading (missing
        # whenever a bound is), for comparison only.
        self.between_strict = between_strict
        self.dims: tuple[str, ...] = ("entity", "year")
        self.inputs: list[str] = []
        self.params: dict[str, float] = {}
        self.functions: dict[str, ast.FunctionDef] = {}
        raw: dict[str, ast.Expr] = {}
        self.outputs: list[str] = []
        for stmt in module.statements:
            if isinstance(stmt, ast.Dims):
                self.dims = tuple(n.id for n in stmt.names)
            elif isinstance(stmt, ast.InputDecl):
                self.inputs.append(stmt.name)
            elif isinstance(stmt, ast.ParamDecl):
                self.params[stmt.name] = stmt.value
            elif isinstance(stmt, ast.FunctionDef):
                self.functions[stmt.name] = stmt
            elif isinstance(stmt, ast.Definition):
                raw[stmt.name] = stmt.expr
                self.outputs.append(stmt.name)
        for name, value in (params or {}).items():
            self.params[name] = float(value)
        self.time = "year" if "year" in self.dims else self.dims[-1]
        # User functions are expanded once, so the memo can key on the expanded nodes.
        self.definitions = {name: self._expand(e, {}) for name, e in raw.items()}

        # Rows, ordered by the dimensions (other dimensions first, the time one last).
        order = [d for d in self.dims if d != self.time] + [self.time]
        records = frame.to_dict("records")
        records.sort(key=lambda r: tuple(self._dim_value(d, r[d]) for d in order))
        self.rows: list[dict[str, object]] = []
        for rec in records:
            row: dict[str, object] = {d: self._dim_value(d, rec[d]) for d in self.dims}
            for name in self.inputs:
                value = rec.get(name, NAN)
                row[name] = NAN if value is None or pd.isna(value) else float(value)
            self.rows.append(row)
        self.index = {tuple(row[d] for d in self.dims): i for i, row in enumerate(self.rows)}
        self.memo: dict[tuple[int, int], object] = {}
        self.kinds: dict[int, str] = {}

    def _dim_value(self, dim: str, value: object) -> object:
        return int(value) if dim == self.time else str(value)  # type: ignore[call-overload]

    # ------------------------------------------------------------ user functions
    def _expand(self, e: ast.Expr, env: dict[str, ast.Expr]) -> ast.Expr:
        if isinstance(e, ast.Name):
            return env.get(e.id, e)
        if isinstance(e, ast.Number | ast.String):
            return e
        if isinstance(e, ast.Unary):
            return ast.Unary(e.op, self._expand(e.operand, env), e.span)
        if isinstance(e, ast.Binary):
            return ast.Binary(
                e.op, self._expand(e.left, env), self._expand(e.right, env), e.span, e.op_span
            )
        if isinstance(e, ast.Between):
            return ast.Between(
                self._expand(e.operand, env),
                self._expand(e.low, env),
                self._expand(e.high, env),
                e.span,
            )
        assert isinstance(e, ast.Call)
        args = tuple(self._expand(a, env) for a in e.args)
        if e.func in self.functions:
            fdef = self.functions[e.func]
            inner = {p.id: a for p, a in zip(fdef.params, args, strict=True)}
            return self._expand(fdef.expr, inner)  # the body sees only its parameters
        where = None if e.where is None else self._expand(e.where, env)
        return ast.Call(e.func, args, e.over, where, e.span, e.func_span)

    # ------------------------------------------------------------ types
    def kind(self, e: ast.Expr) -> str:
        if id(e) not in self.kinds:
            self.kinds[id(e)] = self._kind(e)
        return self.kinds[id(e)]

    def _kind(self, e: ast.Expr) -> str:
        if isinstance(e, ast.Number):
            return NUM
        if isinstance(e, ast.String):
            return TEXT
        if isinstance(e, ast.Name):
            if e.id in self.dims:
                return NUM if e.id == self.time else TEXT
            if e.id in self.definitions:
                return self.kind(self.definitions[e.id])
            return NUM
        if isinstance(e, ast.Unary):
            return COND if e.op == "not" else NUM
        if isinstance(e, ast.Binary):
            return COND if e.op in COMPARE or e.op in ("and", "or") else NUM
        if isinstance(e, ast.Between):
            return COND
        assert isinstance(e, ast.Call)
        return self.kind(e.args[1]) if e.func == "if" else NUM

    # ------------------------------------------------------------ evaluation
    def run(self) -> pd.DataFrame:
        """The dimension columns and every definition; conditions as 1.0 / 0.0 / NaN."""
        out: dict[str, list[object]] = {d: [row[d] for row in self.rows] for d in self.dims}
        for name in self.outputs:
            column = []
            for r in range(len(self.rows)):
                v = self.value(self.definitions[name], r)
                if self.kind(self.definitions[name]) == COND:
                    v = NAN if v is None else float(bool(v))
                column.append(v)
            out[name] = column
        return pd.DataFrame(out)

    def value(self, e: ast.Expr, r: int) -> object:
        key = (id(e), r)
        if key not in self.memo:
            self.memo[key] = self._eval(e, r)
        return self.memo[key]

    def num(self, e: ast.Expr, r: int) -> float:
        v = self.value(e, r)
        assert isinstance(v, float), (e, v)
        return v

    def cond(self, e: ast.Expr, r: int) -> bool | None:
        v = self.value(e, r)
        assert v is None or isinstance(v, bool), (e, v)
        return v

    def _eval(self, e: ast.Expr, r: int) -> object:
        row = self.rows[r]
        if isinstance(e, ast.Number):
            return float(e.value)
        if isinstance(e, ast.String):
            return e.value
        if isinstance(e, ast.Name):
            if e.id in self.dims:
                v = row[e.id]
                return float(v) if e.id == self.time else v  # type: ignore[arg-type]
            if e.id in self.inputs:
                return row[e.id]
            if e.id in self.params:
                return float(self.params[e.id])
            return self.value(self.definitions[e.id], r)
        if isinstance(e, ast.Unary):
            if e.op == "not":
                c = self.cond(e.operand, r)
                return None if c is None else not c
            x = self.num(e.operand, r)
            return -x if e.op == "-" else x
        if isinstance(e, ast.Binary):
            return self._binary(e, r)
        if isinstance(e, ast.Between):
            x, lo, hi = (self.num(y, r) for y in (e.operand, e.low, e.high))
            if self.between_strict and any(_missing(y) for y in (x, lo, hi)):
                return None
            ge = None if _missing(x) or _missing(lo) else x >= lo
            le = None if _missing(x) or _missing(hi) else x <= hi
            return _kleene_and(ge, le)
        assert isinstance(e, ast.Call)
        return self._call(e, r)

    def _binary(self, e: ast.Binary, r: int) -> object:
        op = e.op
        if op == "and":
            return _kleene_and(self.cond(e.left, r), self.cond(e.right, r))
        if op == "or":
            return _kleene_or(self.cond(e.left, r), self.cond(e.right, r))
        if op in COMPARE:
            a, b = self.value(e.left, r), self.value(e.right, r)
            if isinstance(a, str) or isinstance(b, str):
                return (a == b) if op == "=" else (a != b)
            if a is None or b is None or (isinstance(a, float) and _missing(a)):
                return None
            if isinstance(b, float) and _missing(b):
                return None
            return {
                "=": a == b,
                "!=": a != b,
                "<": a < b,  # type: ignore[operator]
                "<=": a <= b,  # type: ignore[operator]
                ">": a > b,  # type: ignore[operator]
                ">=": a >= b,  # type: ignore[operator]
            }[op]
        a, b = self.num(e.left, r), self.num(e.right, r)
        if op == "/":
            return divide(a, b)
        if op == "^":
            return power(a, b)
        if _missing(a) or _missing(b):
            return NAN
        if op == "+":
            return _finite(a + b)
        if op == "-":
            return _finite(a - b)
        assert op == "*"
        return _finite(a * b)

    def _call(self, e: ast.Call, r: int) -> object:
        f = e.func
        if e.over is not None:
            if f == "rank":
                return self._rank(e, r)
            return self._aggregate(e, r)
        if f == "if":
            c = self.cond(e.args[0], r)
            if c is None:
                return NAN if self.kind(e) == NUM else None
            return self.value(e.args[1] if c else e.args[2], r)
        if f in ("min", "max"):
            xs = [self.num(a, r) for a in e.args]
            if any(_missing(x) for x in xs):
                return NAN
            return min(xs) if f == "min" else max(xs)
        if f in ("lag", "lead"):
            k = _literal(e.args[1]) if len(e.args) == 2 else 1
            return self._shifted(e.args[0], r, k if f == "lag" else -k)
        if f == "diff":
            x, prev = self.num(e.args[0], r), self._shifted(e.args[0], r, 1)
            return NAN if _missing(x) or _missing(prev) else _finite(x - prev)
        if f == "growth":
            x, prev = self.num(e.args[0], r), self._shifted(e.args[0], r, 1)
            ratio = divide(x, prev)
            return NAN if _missing(ratio) else ratio - 1
        if f in ("round", "trunc"):
            digits = _literal(e.args[1]) if len(e.args) == 2 else 0
            return decimal_round(self.num(e.args[0], r), digits, f)
        if f == "clamp":
            x, lo, hi = (self.num(a, r) for a in e.args)
            if _missing(x) or _missing(lo) or _missing(hi):
                return NAN
            return min(max(x, lo), hi)
        return _math(f, self.num(e.args[0], r))

    # ------------------------------------------------------------ along time
    def _shifted(self, x: ast.Expr, r: int, k: int) -> float:
        """x on the row of the same other dimensions whose time is `time - k`."""
        row = self.rows[r]
        key = tuple(row[d] - k if d == self.time else row[d] for d in self.dims)  # type: ignore[operator]
        other = self.index.get(key)
        return NAN if other is None else self.num(x, other)

    # ------------------------------------------------------------ across rows
    def _group(self, r: int, over: str) -> list[int]:
        """The rows sharing every dimension of row r but `over`, in `over` order."""
        row = self.rows[r]
        members = [
            i
            for i, other in enumerate(self.rows)
            if all(other[d] == row[d] for d in self.dims if d != over)
        ]
        return sorted(members, key=lambda i: self.rows[i][over])  # type: ignore[arg-type,return-value]

    def _kept(self, e: ast.Call, r: int) -> list[int]:
        assert e.over is not None
        group = self._group(r, e.over.id)
        if e.where is None:
            return group
        return [i for i in group if self.cond(e.where, i) is True]

    def _aggregate(self, e: ast.Call, r: int) -> float:
        values = [self.num(e.args[0], i) for i in self._kept(e, r)]
        values = [v for v in values if not _missing(v)]
        f = e.func
        if f == "count":
            return float(len(values))
        if not values:
            return NAN
        if f == "sum":
            total = 0.0
            for v in values:
                total += v
            return _finite(total)
        if f == "mean":
            total = 0.0
            for v in values:
                total += v
            return _finite(total / len(values))
        if f == "min":
            return min(values)
        if f == "max":
            return max(values)
        if f == "median":
            return float(statistics.median(values))
        if f in ("std", "var"):
            if len(values) < 2:
                return NAN
            # the textbook two-pass formula: mean, then squared deviations / (n - 1)
            mean = sum(values) / len(values)
            squares = 0.0
            for v in values:
                squares += (v - mean) * (v - mean)
            var = _finite(squares / (len(values) - 1))
            return math.sqrt(var) if f == "std" and not _missing(var) else var
        if f == "first":
            return values[0]
        if f == "last":
            return values[-1]
        raise ValueError(f)

    def _rank(self, e: ast.Call, r: int) -> float:
        kept = self._kept(e, r)
        mine = self.num(e.args[0], r)
        if r not in kept or _missing(mine):
            return NAN
        larger = sum(1 for i in kept if self.num(e.args[0], i) > mine)
        return float(larger + 1)


def _literal(e: ast.Expr) -> int:
    """A whole number written in the file, possibly negative (lag's step, round's digits)."""
    if isinstance(e, ast.Unary) and e.op == "-":
        return -_literal(e.operand)
    assert isinstance(e, ast.Number)
    return int(e.value)


def evaluate(
    text: str,
    frame: pd.DataFrame,
    params: Mapping[str, float] | None = None,
    *,
    between_strict: bool = False,
) -> pd.DataFrame:
    """Evaluate every definition of `text` on `frame` (see `Reference`)."""
    return Reference(text, frame, params, between_strict=between_strict).run()
