"""Domains: prove every division, log, square root and fractional power safe, or warn.

Each value gets an interval (with open or closed ends) computed from the declared domains of
the inputs (`input x > 0`, `input s in [0, 1]`), the default values of params (a param keeps
the sign of its default), and what the operators guarantee (`abs` ≥ 0, `exp` > 0, `rank` ≥ 1,
`count` ≥ 0, the sum of positive values is positive, ...). Conditions narrow it: in
`if(d > 0, a / d, 0)` the division is safe, and so is the one in
`sum(x over year where x > 0) / ...` for the rows kept. A warning names the span and the
reason, for example that `max(x over entity) - min(x over entity)` is 0 when all entities are
equal.

Warnings are warnings: `kzf check --strict` makes them errors. Everything here is plain
interval arithmetic on the IR (no sympy), iterative, and bounded in work, so that it can run on
every compilation.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from kzf.dsl.diagnostics import Diagnostic, Note, Span, localised_warning, source_text
from kzf.engine.compile.resolve import CheckedProgram
from kzf.engine.core import ir
from kzf.engine.core.builtins import FUNCTIONS
from kzf.engine.core.intervals import (
    ANY,
    INF,
    Interval,
    add,
    clean,
    hull,
    multiply,
    negate,
    power,
    reciprocal,
)

MAX_CONTEXTS = 500  # distinct sets of conditions analysed; beyond, conditions are ignored
MAX_VISITS = 200_000  # node visits per program; beyond, the analysis stops (a note says so)


# ---------------------------------------------------------------- conditions


Facts = tuple[tuple[ir.Node, Interval], ...]
_FLIP = {"gt": "lt", "ge": "le", "lt": "gt", "le": "ge", "eq": "eq", "ne": "ne"}
_NEGATE = {"gt": "le", "ge": "lt", "lt": "ge", "le": "gt", "eq": "ne", "ne": "eq"}


def _bound(op: str, c: float) -> Interval:
    return {
        "gt": Interval(c, INF, True, True),
        "ge": Interval(c, INF, False, True),
        "lt": Interval(-INF, c, True, True),
        "le": Interval(-INF, c, True, False),
        "eq": Interval.point(c),
        "ne": Interval(nonzero=c == 0),
    }[op]


def facts_of(cond: ir.Node, negated: bool = False) -> list[tuple[ir.Node, Interval]]:
    """What a condition guarantees when it holds (or, negated, when it does not)."""
    if not isinstance(cond, ir.Op):
        return []
    if cond.op == "not":
        return facts_of(cond.args[0], not negated)
    if (cond.op == "and" and not negated) or (cond.op == "or" and negated):
        return [*facts_of(cond.args[0], negated), *facts_of(cond.args[1], negated)]
    if cond.op not in _FLIP:
        return []
    op = _NEGATE[cond.op] if negated else cond.op
    a, b = cond.args
    out: list[tuple[ir.Node, Interval]] = []
    cb, ca = _const(b), _const(a)
    if cb is not None:
        out.append((a, _bound(op, cb)))
    elif ca is not None:
        out.append((b, _bound(_FLIP[op], ca)))
    else:  # a op b  ⇒  a - b op 0  and  b - a flip(op) 0
        out.append((ir.Op("sub", (a, b), type=ir.Type.NUMBER), _bound(op, 0.0)))
        out.append((ir.Op("sub", (b, a), type=ir.Type.NUMBER), _bound(_FLIP[op], 0.0)))
    return out


def _const(node: ir.Node) -> float | None:
    if isinstance(node, ir.Const) and isinstance(node.value, float):
        return node.value
    return None


# ---------------------------------------------------------------- the analysis


@dataclass
class _Issue:
    diagnostic: Diagnostic  # the warning, before the definitions it is in are named
    where: list[str]


# why a value may be 0 or negative (_Why.kind): each kind is a whole sentence of a warning
FLAT = "flat"  # max(x over D) - min(x over D): 0 where every D has the same value
UNDECLARED_ONE = "undeclared one"  # an input without a declared domain
UNDECLARED_MANY = "undeclared many"  # inputs without one
POSITIVE = "positive"  # 0 even when the inputs are positive
ALWAYS_ZERO = "always zero"
LIES_IN = "lies in"  # the range the declared domains give


@dataclass(frozen=True)
class _Why:
    kind: str
    values: dict[str, str]
    first: str = ""  # the first undeclared input, named in the note


# The domain warnings, one whole sentence for each thing that may be 0 or of the wrong sign
# and each reason (_Why.kind), so that a translator sees sentences: KZF310 by what may be 0
ZERO_TEMPLATES: dict[tuple[str, str], str] = {
    ("the denominator", FLAT): (
        "the denominator `{text}` may be 0: it is 0 in a {group} where every {over} has "
        "the same value"
    ),
    ("the denominator", UNDECLARED_ONE): (
        "the denominator `{text}` may be 0: {names} has no declared domain"
    ),
    ("the denominator", UNDECLARED_MANY): (
        "the denominator `{text}` may be 0: {names} have no declared domain"
    ),
    ("the denominator", POSITIVE): (
        "the denominator `{text}` may be 0: it can be 0 even when the inputs are positive ({range})"
    ),
    ("the denominator", ALWAYS_ZERO): ("the denominator `{text}` may be 0: it is always 0"),
    ("the denominator", LIES_IN): (
        "the denominator `{text}` may be 0: from the declared domains it lies in {range}"
    ),
    ("the base of a negative power", FLAT): (
        "the base of a negative power `{text}` may be 0: it is 0 in a {group} where "
        "every {over} has the same value"
    ),
    ("the base of a negative power", UNDECLARED_ONE): (
        "the base of a negative power `{text}` may be 0: {names} has no declared domain"
    ),
    ("the base of a negative power", UNDECLARED_MANY): (
        "the base of a negative power `{text}` may be 0: {names} have no declared domain"
    ),
    ("the base of a negative power", POSITIVE): (
        "the base of a negative power `{text}` may be 0: it can be 0 even when the "
        "inputs are positive ({range})"
    ),
    ("the base of a negative power", ALWAYS_ZERO): (
        "the base of a negative power `{text}` may be 0: it is always 0"
    ),
    ("the base of a negative power", LIES_IN): (
        "the base of a negative power `{text}` may be 0: from the declared domains it "
        "lies in {range}"
    ),
}
# KZF311/KZF312 by whether it is the base of a power (else the argument of a function)
SIGN_TEMPLATES: dict[tuple[bool, str], str] = {
    (True, UNDECLARED_ONE): (
        "the base of the power `{power}` must be {need}, but `{text}` may not be: "
        "{names} has no declared domain"
    ),
    (True, UNDECLARED_MANY): (
        "the base of the power `{power}` must be {need}, but `{text}` may not be: "
        "{names} have no declared domain"
    ),
    (True, POSITIVE): (
        "the base of the power `{power}` must be {need}, but `{text}` may not be: it "
        "can be 0 even when the inputs are positive ({range})"
    ),
    (True, ALWAYS_ZERO): (
        "the base of the power `{power}` must be {need}, but `{text}` may not be: it is always 0"
    ),
    (True, LIES_IN): (
        "the base of the power `{power}` must be {need}, but `{text}` may not be: from "
        "the declared domains it lies in {range}"
    ),
    (False, UNDECLARED_ONE): (
        "the argument of {func}() must be {need}, but `{text}` may not be: {names} has "
        "no declared domain"
    ),
    (False, UNDECLARED_MANY): (
        "the argument of {func}() must be {need}, but `{text}` may not be: {names} have "
        "no declared domain"
    ),
    (False, POSITIVE): (
        "the argument of {func}() must be {need}, but `{text}` may not be: it can be 0 "
        "even when the inputs are positive ({range})"
    ),
    (False, ALWAYS_ZERO): (
        "the argument of {func}() must be {need}, but `{text}` may not be: it is always 0"
    ),
    (False, LIES_IN): (
        "the argument of {func}() must be {need}, but `{text}` may not be: from the "
        "declared domains it lies in {range}"
    ),
}
GUARD_NOTE_TEMPLATE = (
    "guard it, e.g. if(max(x over D) > min(x over D), ..., 0), or accept the missing value "
    'with `allow KZF310 name "why"`'
)
DECLARE_NOTE_TEMPLATE = "declare what the data allows, e.g. `input {name} > 0`"


def _why_notes(why: _Why) -> list[Note]:
    """What to do about a domain warning, by its reason."""
    if why.kind == FLAT:
        return [GUARD_NOTE_TEMPLATE]
    if why.kind in (UNDECLARED_ONE, UNDECLARED_MANY):
        return [(DECLARE_NOTE_TEMPLATE, {"name": why.first})]
    return []


class _Domains:
    def __init__(self, program: CheckedProgram, optimistic: bool = False):
        self.program = program
        self.optimistic = optimistic  # undeclared inputs taken as > 0 (to explain warnings)
        self._optimistic_twin: _Domains | None = None
        self.sources = program.sources
        self.contexts: dict[Facts, dict[ir.Node, Interval]] = {}
        self.issues: dict[tuple[str, Span | None, str], _Issue] = {}
        self.visits = 0
        self.truncated = False
        self.current = ""
        self.def_ids = {id(d.node) for d in program.definitions.values()}
        self.leaf: dict[str, Interval] = {}
        self.undeclared: set[str] = set()
        for name, info in program.inputs.items():
            d = info.domain
            if d is None:
                self.undeclared.add(name)
                if optimistic:
                    self.leaf[name] = Interval(0.0, INF, True, True)
                continue
            self.leaf[name] = clean(
                -INF if d.low is None else d.low,
                INF if d.high is None else d.high,
                d.low_open,
                d.high_open,
                d.nonzero,
            )

    def text(self, node: ir.Node) -> str:
        if node.span is None:
            return "?"
        return source_text(self.sources, node.span)

    # ---- ranges, iteratively, per set of facts (the conditions known to hold)
    def range(self, root: ir.Node, facts: Facts = ()) -> Interval:
        stack: list[tuple[ir.Node, Facts, bool]] = [(root, facts, False)]
        while stack:
            node, ctx, ready = stack.pop()
            memo = self.contexts.setdefault(ctx, {})
            if node in memo:
                continue
            if not ready:
                self.visits += 1
                if self.visits > MAX_VISITS:
                    self.truncated = True
                    return ANY
                stack.append((node, ctx, True))
                for child, child_ctx in self._inputs(node, ctx):
                    if child not in self.contexts.get(child_ctx, {}):
                        stack.append((child, child_ctx, False))
                continue
            memo[node] = self._narrow(node, ctx, self._compute(node, ctx))
        return self.contexts[facts][root]

    def _narrow(self, node: ir.Node, ctx: Facts, r: Interval) -> Interval:
        h = hash(node)
        for fact_node, bound in ctx:
            if hash(fact_node) == h and fact_node == node:
                r = r.intersect(bound)
        return r

    def _inputs(self, node: ir.Node, ctx: Facts) -> list[tuple[ir.Node, Facts]]:
        """The children a node's range depends on, each with the conditions it is under.

        Another definition is computed on every row whatever guards the use of it here, so
        it is analysed without this expression's conditions (they narrow only its value)."""
        if isinstance(node, ir.Op) and node.op == "if":
            cond, a, b = node.args
            pairs = [
                (cond, ctx),
                (a, self._under(ctx, facts_of(cond))),
                (b, self._under(ctx, facts_of(cond, negated=True))),
            ]
        elif isinstance(node, ir.Aggregate | ir.Rank) and node.where is not None:
            pairs = [(node.where, ctx), (node.arg, self._under(ctx, facts_of(node.where)))]
        else:
            pairs = [(c, ctx) for c in node.children]
        return [(c, () if id(c) in self.def_ids else cc) for c, cc in pairs]

    def _inputs_ctx(self, node: ir.Node, ctx: Facts) -> list[Facts]:
        """The conditions each child's value is seen under at this node (before a definition
        boundary reset them), to narrow that value."""
        if isinstance(node, ir.Op) and node.op == "if":
            cond = node.args[0]
            return [
                ctx,
                self._under(ctx, facts_of(cond)),
                self._under(ctx, facts_of(cond, negated=True)),
            ]
        if isinstance(node, ir.Aggregate | ir.Rank) and node.where is not None:
            return [ctx, self._under(ctx, facts_of(node.where))]
        return [ctx] * len(node.children)

    def _under(self, ctx: Facts, extra: list[tuple[ir.Node, Interval]]) -> Facts:
        if not extra or (
            len(self.contexts) >= MAX_CONTEXTS and ctx + tuple(extra) not in self.contexts
        ):
            return ctx
        return ctx + tuple(extra)

    def _compute(self, node: ir.Node, ctx: Facts) -> Interval:
        inputs = self._inputs(node, ctx)
        pairs = zip(inputs, (self._inputs_ctx(node, ctx)), strict=True)
        got = [self._narrow(n, own, self.contexts[c][n]) for (n, c), own in pairs]
        if isinstance(node, ir.Const):
            return Interval.point(node.value) if isinstance(node.value, float) else ANY
        if isinstance(node, ir.Column):
            return self.leaf.get(node.name, ANY)
        if isinstance(node, ir.Param):
            return param_interval(self.program, node.name)
        if isinstance(node, ir.Dim):
            return ANY
        if isinstance(node, ir.Shift):
            return got[0]
        if isinstance(node, ir.Rank):
            return Interval(1.0, INF, False, True)
        if isinstance(node, ir.Aggregate):
            return self._aggregate(node.func, got[-1] if node.where is not None else got[0])
        if isinstance(node, ir.Transform) and node.func not in ir.LOG_FALLBACKS:
            return got[0]  # imputed and winsorised values lie within the observed ones
        if isinstance(node, ir.Rollup):  # a sum of children; complete() keeps the others
            total = self._aggregate("sum", got[0])
            return hull(got[0], total) if node.fill else total
        if not isinstance(node, ir.Op):  # a node kind this analysis does not know
            return ANY
        op, args = node.op, node.args
        if node.type is not ir.Type.NUMBER:
            return ANY
        rs = got
        function = FUNCTIONS.get(op)
        if function is not None:
            if function.defined_on is not None:  # ln: x > 0 (KZF311); sqrt: x >= 0 (KZF312)
                positive = function.defined_on.lo_open
                code = "KZF311" if positive else "KZF312"
                self._check(node, args[0], rs[0], code, nonnegative=not positive)
            return function.domain(rs, node.attrs)
        if op == "add":
            return add(rs[0], rs[1])
        if op == "sub":
            return self._sub(args[0], args[1], rs[0], rs[1])
        if op == "neg":
            return negate(rs[0])
        if op == "mul":
            if args[0] == args[1]:
                return power(rs[0], 2)
            return multiply(rs[0], rs[1])
        if op == "div":
            self._check_nonzero(node, args[1], rs[1], "the denominator")
            if is_min_max_scaling(args[0], args[1]):
                return Interval(0.0, 1.0)
            return multiply(rs[0], reciprocal(rs[1]))
        if op == "pow":
            return self._pow(node, args, rs)
        return ANY

    def _sub(self, a: ir.Node, b: ir.Node, ra: Interval, rb: Interval) -> Interval:
        if a == b:
            return Interval.point(0.0)
        if _is_min_max(a, b) or _above_minimum(a, b) or _count_minus_rank(a, b):
            return Interval(0.0, INF, False, True)
        return add(ra, negate(rb))

    def _aggregate(self, func: str, arg: Interval) -> Interval:
        if func in ("count",):
            return Interval(0.0, INF, False, True)
        if func in ("std", "var"):
            return Interval(0.0, INF, False, True)
        if func in ("skew", "kurt"):
            return ANY
        if func == "sum":  # at least one value: a sum of no values is missing, not 0
            if arg.lo >= 0:
                return clean(arg.lo, INF, arg.lo_open, True)
            if arg.hi <= 0:
                return clean(-INF, arg.hi, True, arg.hi_open)
            return ANY
        # mean, min, max, median, first, last lie within the values
        return Interval(arg.lo, arg.hi, arg.lo_open, arg.hi_open, arg.positive() or arg.hi < 0)

    def _pow(self, node: ir.Op, args: tuple[ir.Node, ...], rs: list[Interval]) -> Interval:
        k = _const(args[1])
        base = rs[0]
        if k is None:
            exp_r = rs[1]
            if exp_r.lo >= 0 and exp_r.lo == exp_r.hi and float(exp_r.lo).is_integer():
                k = exp_r.lo
            else:
                need_positive = not exp_r.nonnegative()
                self._check(node, args[0], base, "KZF312", nonnegative=not need_positive)
                return Interval(0.0, INF, not base.nonnegative() or need_positive, True)
        if not float(k).is_integer():
            self._check(node, args[0], base, "KZF312", nonnegative=k > 0)
        elif k < 0:
            self._check_nonzero(node, args[0], base, "the base of a negative power")
        return power(base, k)

    # ---- the checks
    def _check_nonzero(self, node: ir.Node, operand: ir.Node, r: Interval, what: str) -> None:
        if not r.has_zero():
            return
        text = self.text(operand)
        if _is_min_max(*_sub_args(operand)):
            a, _ = _sub_args(operand)
            assert isinstance(a, ir.Aggregate)
            why = _Why(FLAT, {"group": self._other_dims(a.over), "over": a.over})
        else:
            why = self._why(operand, r)
        self._issue(self._zero_warning(what, operand.span or node.span, text, why))

    def _check(
        self, node: ir.Node, operand: ir.Node, r: Interval, code: str, nonnegative: bool
    ) -> None:
        ok = r.nonnegative() if nonnegative else r.positive()
        if ok:
            return
        func = self.text(node).split("(")[0] if isinstance(node, ir.Op) else "?"
        need = "≥ 0" if nonnegative else "> 0"
        power = self.text(node) if isinstance(node, ir.Op) and node.op == "pow" else None
        why = self._why(operand, r)
        span = operand.span or node.span
        self._issue(self._sign_warning(code, power, func, span, self.text(operand), need, why))

    def _why(self, operand: ir.Node, r: Interval) -> _Why:
        undeclared = [c for c in ir.columns_read(operand) if c in self.undeclared]
        if undeclared and not self.optimistic:
            # Would positive inputs make it safe? If not, blaming them would mislead.
            if self._optimist().range(operand).has_zero():
                undeclared = []
        if undeclared:
            names = ", ".join(undeclared[:4])
            kind = UNDECLARED_ONE if len(undeclared) == 1 else UNDECLARED_MANY
            return _Why(kind, {"names": names}, undeclared[0])
        if self.undeclared & set(ir.columns_read(operand)):
            return _Why(POSITIVE, {"range": r.describe()})
        if r.lo == r.hi == 0:
            return _Why(ALWAYS_ZERO, {})
        return _Why(LIES_IN, {"range": r.describe()})

    def _zero_warning(self, what: str, span: Span | None, text: str, why: _Why) -> Diagnostic:
        """KZF310: `what` (the denominator, the base of a negative power) `text` may be 0, with
        the reason `why`, in its sentence of ZERO_TEMPLATES."""
        v = {"text": text, **why.values}
        template = ZERO_TEMPLATES[(what, why.kind)]
        return localised_warning("KZF310", template, span, _why_notes(why), **v)

    def _sign_warning(
        self,
        code: str,
        power: str | None,
        func: str,
        span: Span | None,
        text: str,
        need: str,
        why: _Why,
    ) -> Diagnostic:
        """KZF311/KZF312: the base of the power `power` (or the argument of `func`()) must be
        `need`, but `text` may not be, with the reason `why`, in its sentence of
        SIGN_TEMPLATES."""
        v = {"text": text, "need": need, **why.values}
        v |= {"power": power} if power is not None else {"func": func}
        template = SIGN_TEMPLATES[(power is not None, why.kind)]
        return localised_warning(code, template, span, _why_notes(why), **v)

    def _optimist(self) -> _Domains:
        if self._optimistic_twin is None:
            twin = _Domains(self.program, optimistic=True)
            self._optimistic_twin = twin
        return self._optimistic_twin

    def _other_dims(self, over: str) -> str:
        others = [d for d in self.program.dims if d != over]
        return others[0] if len(others) == 1 else "group"

    def _issue(self, d: Diagnostic) -> None:
        key = (d.code, d.span, d.message)
        issue = self.issues.get(key)
        if issue is None:
            issue = self.issues[key] = _Issue(d, [])
        if self.current and self.current not in issue.where:
            issue.where.append(self.current)

    def diagnostics(self) -> list[Diagnostic]:
        out = []
        for i in self.issues.values():
            d = i.diagnostic
            if not i.where or (d.span is not None and self._inside_definition(d.span, i.where)):
                out.append(d)
                continue
            notes: list[Note] = [
                (template, dict(values)) if template else text
                for text, (template, values) in zip(d.notes, d.note_templates, strict=True)
            ]
            names = {"names": ", ".join(i.where[:5])}
            values = dict(d.values)
            out.append(
                localised_warning(
                    d.code, d.template, d.span, [*notes, ("in {names} …", names)], **values
                )
                if len(i.where) > 5
                else localised_warning(
                    d.code, d.template, d.span, [*notes, ("in {names}", names)], **values
                )
            )
        return out

    def _inside_definition(self, span: Span, names: list[str]) -> bool:
        if len(names) != 1:
            return False
        d = self.program.definitions.get(names[0])
        return d is not None and d.span.path == span.path and d.span.line == span.line


def _sub_args(node: ir.Node) -> tuple[ir.Node | None, ir.Node | None]:
    if isinstance(node, ir.Op) and node.op == "sub":
        return node.args[0], node.args[1]
    return None, None


def _above_minimum(a: ir.Node, b: ir.Node) -> bool:
    """`x - min(x over D)` and `max(x over D) - x`: never negative."""
    low = isinstance(b, ir.Aggregate) and b.func == "min" and b.where is None and b.arg == a
    high = isinstance(a, ir.Aggregate) and a.func == "max" and a.where is None and a.arg == b
    return low or high


def _count_minus_rank(a: ir.Node, b: ir.Node) -> bool:
    """`count(x over D) - rank(x over D)`: a rank never exceeds the number of values ranked."""
    return (
        isinstance(a, ir.Aggregate)
        and a.func == "count"
        and isinstance(b, ir.Rank)
        and (a.arg, a.over, a.where) == (b.arg, b.over, b.where)
    )


def is_min_max_scaling(num: ir.Node, den: ir.Node) -> bool:
    """`(x - min(x over D)) / (max(x over D) - min(x over D))`: within [0, 1]."""
    x, low = _sub_args(num)
    high, low2 = _sub_args(den)
    return (
        x is not None
        and low is not None
        and _is_min_max(high, low2)
        and low == low2
        and isinstance(low, ir.Aggregate)
        and low.where is None
        and low.arg == x
    )


def _is_min_max(a: ir.Node | None, b: ir.Node | None) -> bool:
    """`max(x over D [where c]) - min(x over D [where c])`: zero when all values are equal."""
    return (
        isinstance(a, ir.Aggregate)
        and isinstance(b, ir.Aggregate)
        and a.func == "max"
        and b.func == "min"
        and (a.arg, a.over, a.where) == (b.arg, b.over, b.where)
    )


def param_interval(program: CheckedProgram, name: str) -> Interval:
    """The values the checks assume a param takes: those of its `vary` statement, else the
    sign of its value in the file (a positive default: any positive value). A value given
    with --param outside it is re-checked (engine/api/program.py)."""
    p = program.params.get(name)
    if p is None or isinstance(p.value, str) or p.value == 0:
        return ANY
    vary = program.varies.get(name)
    if vary is not None and vary.low is not None and vary.high is not None:
        return Interval(vary.low, vary.high)  # every value a sensitivity run can give it
    if vary is not None and vary.choices:
        numbers = [float(c) for c in vary.choices]
        return Interval(min(p.value, *numbers), max(p.value, *numbers))
    return Interval(0.0, INF) if p.value > 0 else Interval(-INF, 0.0)


def contains(r: Interval, value: float) -> bool:
    """Whether `value` lies in `r`, open ends and a `!= 0` respected."""
    above = value > r.lo if r.lo_open else value >= r.lo
    below = value < r.hi if r.hi_open else value <= r.hi
    return above and below and not (r.nonzero and value == 0)


def check_domains(program: CheckedProgram) -> list[Diagnostic]:
    """Domain warnings (KZF310-KZF312) for every definition of the program."""
    dom = _Domains(program)
    for name, info in program.definitions.items():
        dom.current = name
        dom.range(info.node, ())
        # conditions never reach into another definition: only the plain ranges are reused
        dom.contexts = {(): dom.contexts.get((), {})}
        if dom.truncated:
            break
    out = dom.diagnostics()
    if dom.truncated:
        out.append(
            localised_warning(
                "KZF310",
                "the program is too large for the domain check ({steps} steps); "
                "divisions after this point were not checked",
                None,
                steps=MAX_VISITS,
            )
        )
    return out


def domain_violation(
    name: str, domain: object, shown: list[str], count: int, source: str, info: object
) -> Diagnostic:
    """KZF110 (an error) or KZF111 (the file's `warning`/`note`) for `count` values of input
    `name` outside its declared `domain`; `shown` names the first rows (`row 7 (KZ, 2020) =
    -1`), whichever engine found them."""
    from kzf.dsl.diagnostics import Severity, localised

    written = str(getattr(domain, "text", ""))
    level = str(getattr(domain, "severity", "error"))
    more = count - len(shown)
    span = getattr(info, "span", None)
    values = {
        "source": source,
        "name": name,
        "domain": written,
        "count": count,
        "listed": "; ".join(shown),
        "more": more,
    }
    if level == "error":
        if more > 0:
            return localised(
                "KZF110",
                "{source}: input '{name}' is declared {domain}, but {count} value(s) of the "
                "data are not: {listed}; and {more} more",
                span,
                "the checks proved the formulas safe from this domain: correct the data, or "
                "declare the domain the data really has",
                **values,
            )
        return localised(
            "KZF110",
            "{source}: input '{name}' is declared {domain}, but {count} value(s) of the "
            "data are not: {listed}",
            span,
            "the checks proved the formulas safe from this domain: correct the data, or "
            "declare the domain the data really has",
            **values,
        )
    # the file's `warning` or `note`: KZF111, said at the level the file gives it
    said = (
        localised_warning(
            "KZF111",
            "{source}: input '{name}' is declared {domain}, but {count} value(s) of the "
            "data are not: {listed}; and {more} more",
            span,
            [
                (
                    "computed anyway, as the file allows (`{domain} {level}`): the proofs made "
                    "from this domain do not hold on these rows, where a division by zero or a "
                    "logarithm of a value <= 0 gives a missing value and its own warning",
                    {"domain": written, "level": level},
                )
            ],
            **values,
        )
        if more > 0
        else localised_warning(
            "KZF111",
            "{source}: input '{name}' is declared {domain}, but {count} value(s) of the "
            "data are not: {listed}",
            span,
            [
                (
                    "computed anyway, as the file allows (`{domain} {level}`): the proofs made "
                    "from this domain do not hold on these rows, where a division by zero or a "
                    "logarithm of a value <= 0 gives a missing value and its own warning",
                    {"domain": written, "level": level},
                )
            ],
            **values,
        )
    )
    severity = Severity.WARNING if level == "warning" else Severity.NOTE
    return replace(said, severity=severity)
