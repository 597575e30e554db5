"""Units of measure: parse the unit text of inputs, params and definitions, infer the unit of
every definition, and report sums, comparisons and branches whose units disagree.

A unit is a scale (an exact rational: 1, 1000, 10^6, 1/100 for percent) times a product of base
dimensions with rational exponents (KZT, USD, person, time, year, ...). Currencies are separate
dimensions: KZT and USD never mix without an exchange rate in KZT/USD. The rule for scales,
with examples, is in docs/units.md:

* `+`, `-`, comparisons, `min`/`max` of several values, `clamp` and the branches of `if` need
  the same dimensions *and* the same scale. `bn KZT + mln KZT` is an error that shows the factor;
  nothing is converted behind the user's back.
* A conversion is written as a literal factor. In a product of factors, the literal factors
  together (`* 1000`, `/ 1000`, `* 100`) are read as a change of scale when, and only when, the
  result lands on a named scale (1, thousand, mln, bn, trn; or percent for a dimensionless
  value): `ICTC * 1000` with ICTC in bn KZT is mln KZT, and `100 * a / b` is percent. Any other
  literal (2, 3, 0.25) is a plain number and leaves the unit alone.

An input or param written without a unit has an unknown unit: it is tracked as a variable, so
that `x / lag(x)` is still a ratio, but it never causes an error. Number literals take the unit
of whatever they are added to or compared with. Nothing here imports sympy: this runs on every
compilation and must stay cheap.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction

from kzf.dsl.diagnostics import Diagnostic, Span, localised, localised_warning
from kzf.engine.compile.resolve import CheckedProgram
from kzf.engine.core import ir
from kzf.engine.core.builtins import FUNCTIONS, Function, UnitRule

# ---------------------------------------------------------------- vocabulary

THOUSAND = Fraction(1000)
SCALE_WORDS: dict[str, Fraction] = {
    **dict.fromkeys(["thousand", "thousands", "thous", "тыс", "мың"], THOUSAND),
    **dict.fromkeys(["mln", "mn", "million", "millions", "млн"], THOUSAND**2),
    **dict.fromkeys(["bn", "billion", "billions", "mlrd", "млрд"], THOUSAND**3),
    **dict.fromkeys(["trn", "trillion", "trillions", "трлн"], THOUSAND**4),
}
# The scales that have a name; a literal factor is a conversion only when it lands on one.
NAMED_SCALES: dict[Fraction, str] = {
    THOUSAND: "thousand",
    THOUSAND**2: "mln",
    THOUSAND**3: "bn",
    THOUSAND**4: "trn",
}
PERCENT = Fraction(1, 100)

CURRENCY_WORDS = {
    **dict.fromkeys(["tenge", "теңге", "тенге", "тг", "тңг"], "KZT"),
    **dict.fromkeys(["dollar", "dollars", "долл", "доллар", "долларов", "доллара"], "USD"),
    **dict.fromkeys(
        ["ruble", "rubles", "rouble", "roubles", "руб", "рубль", "рублей", "рубля"], "RUB"
    ),
    **dict.fromkeys(["euro", "euros", "евро"], "EUR"),
}
_CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")

# word → (base dimension, scale)
BASE_WORDS: dict[str, tuple[str, Fraction]] = {
    **dict.fromkeys(
        [
            "person",
            "persons",
            "people",
            "capita",
            "inhabitants",
            "residents",
            "человек",
            "чел",
            "жителей",
            "жителя",
            "житель",
            "жители",
            "жит",  # ru
            "адам",
            "тұрғын",
            "тұрғындар",  # kk
        ],
        ("person", Fraction(1)),
    ),  # fmt: skip
    **dict.fromkeys(["year", "years", "yr", "жыл"], ("year", Fraction(1))),
    **dict.fromkeys(["quarter", "quarters"], ("year", Fraction(1, 4))),
    **dict.fromkeys(["month", "months"], ("year", Fraction(1, 12))),
    **dict.fromkeys(["second", "seconds", "sec", "s"], ("time", Fraction(1))),
    **dict.fromkeys(["minute", "minutes", "min"], ("time", Fraction(60))),
    **dict.fromkeys(["hour", "hours", "h"], ("time", Fraction(3600))),
    **dict.fromkeys(["day", "days"], ("time", Fraction(86400))),
    **dict.fromkeys(["week", "weeks"], ("time", Fraction(604800))),
}
# Dimensionless words: ratios, index values, ranks, and counts of things other than persons.
DIMENSIONLESS_WORDS = {
    "1", "ratio", "share", "fraction", "index", "score", "rank", "place", "points", "point",
    "times", "count", "number", "countries", "country", "entities", "enterprises",
    "organisations", "organizations", "firms", "operations", "services", "documents", "items",
    "pcs", "indicators", "subindices",
}  # fmt: skip
PERCENT_WORDS = {"%", "percent", "pct", "pp"}
PER_WORDS = {"per", "на"}  # `на 100 жителей`: per 100 inhabitants
# Kazakh says "per" with the dative case of the noun after its number: `100 тұрғынға` is per
# 100 inhabitants (the number goes into the denominator with the noun)
DATIVE_PER_WORDS = {"тұрғынға": "тұрғын", "адамға": "адам", "жылға": "жыл"}
KNOWN_WORDS = sorted(
    {
        *SCALE_WORDS,
        *CURRENCY_WORDS,
        *BASE_WORDS,
        *DIMENSIONLESS_WORDS,
        *PERCENT_WORDS,
        *PER_WORDS,
        *DATIVE_PER_WORDS,
    }
)

# ---------------------------------------------------------------- the algebra

Exps = tuple[tuple[str, Fraction], ...]


def _merge(a: Exps, b: Exps, k: Fraction = Fraction(1)) -> Exps:
    out = dict(a)
    for name, e in b:
        out[name] = out.get(name, Fraction(0)) + e * k
    return tuple(sorted((n, e) for n, e in out.items() if e != 0))


@dataclass(frozen=True)
class Unit:
    """scale × Π base^exponent × Π [unknown unit of an input]^exponent."""

    scale: Fraction = Fraction(1)
    dims: Exps = ()
    vars: Exps = ()  # inputs and params written without a unit

    @property
    def known(self) -> bool:
        return not self.vars

    @property
    def dimensionless(self) -> bool:
        return not self.dims and not self.vars

    def __mul__(self, other: Unit) -> Unit:
        return Unit(
            self.scale * other.scale,
            _merge(self.dims, other.dims),
            _merge(self.vars, other.vars),
        )

    def __truediv__(self, other: Unit) -> Unit:
        return self * other.power(Fraction(-1))

    def power(self, k: Fraction) -> Unit:
        scale = _rational_power(self.scale, k)
        if scale is None:  # an irrational scale, say sqrt(1000): keep it out of the algebra
            return Unit(Fraction(1), (), (("(" + self.format() + f")^{_num(k)}", Fraction(1)),))
        return Unit(scale, _merge((), self.dims, k), _merge((), self.vars, k))

    def rescaled(self, scale: Fraction) -> Unit:
        return Unit(scale, self.dims, self.vars)

    def format(self) -> str:
        return format_unit(self)


ONE = Unit()


@dataclass(frozen=True)
class Literal:
    """A number written in the file: it takes the unit of what it is added to."""


LITERAL = Literal()
UnitOrLiteral = Unit | Literal


def _rational_power(x: Fraction, k: Fraction) -> Fraction | None:
    if k.denominator == 1:
        return x ** int(k)
    if x <= 0:
        return None
    num = _int_root(x.numerator, k.denominator)
    den = _int_root(x.denominator, k.denominator)
    if num is None or den is None:
        return None
    return Fraction(num, den) ** k.numerator


def _int_root(n: int, r: int) -> int | None:
    guess = round(n ** (1 / r))
    for c in (guess - 1, guess, guess + 1):
        if c >= 0 and c**r == n:
            return c
    return None


def _num(k: Fraction) -> str:
    return str(k.numerator) if k.denominator == 1 else f"{k.numerator}/{k.denominator}"


def format_scale(s: Fraction) -> str:
    if s in NAMED_SCALES:
        return NAMED_SCALES[s]
    if s.denominator == 1:
        return f"{s.numerator:,}".replace(",", " ") if s.numerator < 10**15 else f"{float(s):g}"
    return f"{float(s):g}"


_NAMED_UNITS = {
    ("time", Fraction(60)): "min",
    ("time", Fraction(3600)): "hour",
    ("time", Fraction(86400)): "day",
    ("time", Fraction(604800)): "week",
    ("time", Fraction(1)): "s",
    ("year", Fraction(1, 12)): "month",
    ("year", Fraction(1, 4)): "quarter",
}


def format_unit(u: Unit) -> str:
    """`mln KZT`, `KZT/USD`, `%`, `1` (dimensionless), `KZT/person`, `mln KZT·[x]`."""
    for (base, scale), named in _NAMED_UNITS.items():  # 60 time·x → min·x
        if (base, Fraction(1)) in u.dims and u.scale == scale and scale != 1:
            dims = tuple((named, e) if n == base else (n, e) for n, e in u.dims)
            return format_unit(Unit(Fraction(1), dims, u.vars))
    parts_up: list[str] = []
    parts_down: list[str] = []
    for name, e in (*u.dims, *((f"[{n}]", e) for n, e in u.vars)):
        target = parts_up if e > 0 else parts_down
        mag = abs(e)
        target.append(name if mag == 1 else f"{name}^{_num(mag)}")
    if len(u.dims) == 1 and not u.vars and u.dims[0][1] == 1:
        word = _NAMED_UNITS.get((u.dims[0][0], u.scale))
        if word:
            return word
    if not parts_up and not parts_down:
        if u.scale == 1:
            return "1"
        if u.scale == PERCENT:
            return "%"
        return format_scale(u.scale)
    body = "·".join(parts_up) if parts_up else "1"
    if parts_down:
        down = "·".join(parts_down)
        body += "/" + (f"({down})" if len(parts_down) > 1 else down)
    return body if u.scale == 1 else f"{format_scale(u.scale)} {body}"


# ---------------------------------------------------------------- parsing unit text

_TOKEN = re.compile(r"\s*(?:(\()|(\))|([/*])|(%)|([^\W\d]\w*\.?|\d+(?:\.\d+)?)(?:\^(-?\d+))?)")


class UnitSyntaxError(ValueError):
    pass


@dataclass
class ParsedUnit:
    unit: Unit
    unknown_words: list[str] = field(default_factory=list)


def parse_unit(text: str) -> ParsedUnit:
    """Parse a unit as written after `:`, e.g. `bn KZT`, `KZT/USD`, `KZT per capita`, `%`."""
    tokens: list[tuple[str, str, Fraction]] = []  # (kind, text, exponent)
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise UnitSyntaxError(f"cannot read the unit {text!r} at {text[pos:]!r}")
        pos = m.end()
        lpar, rpar, op, pct, word, exp = m.groups()
        if lpar:
            tokens.append(("(", "(", Fraction(1)))
        elif rpar:
            tokens.append((")", ")", Fraction(1)))
        elif op:
            tokens.append(("op", op, Fraction(1)))
        elif pct:
            tokens.append(("word", "%", Fraction(1)))
        elif word is not None:
            tokens.append(("word", word, Fraction(int(exp)) if exp else Fraction(1)))
    unknown: list[str] = []
    unit, rest = _parse_product(tokens, 0, unknown)
    if rest != len(tokens):
        raise UnitSyntaxError(f"cannot read the unit {text!r}")
    return ParsedUnit(unit, unknown)


def _parse_product(
    tokens: list[tuple[str, str, Fraction]], i: int, unknown: list[str]
) -> tuple[Unit, int]:
    unit, i = _parse_factor(tokens, i, unknown)
    while i < len(tokens) and tokens[i][0] == "op":
        op = tokens[i][1]
        rhs, i = _parse_factor(tokens, i + 1, unknown)
        unit = unit * rhs if op == "*" else unit / rhs
    return unit, i


def _parse_factor(
    tokens: list[tuple[str, str, Fraction]], i: int, unknown: list[str]
) -> tuple[Unit, int]:
    if i < len(tokens) and tokens[i][0] == "(":
        inner, i = _parse_product(tokens, i + 1, unknown)
        if i >= len(tokens) or tokens[i][0] != ")":
            raise UnitSyntaxError("unclosed '(' in a unit")
        return inner, i + 1
    unit, any_word, sign = ONE, False, Fraction(1)
    numbers = ONE  # the numbers just before a word, which a Kazakh dative takes with it
    while i < len(tokens) and tokens[i][0] == "word":
        _, word, exp = tokens[i]
        i += 1
        any_word = True
        low = word.lower().rstrip(".")
        if low in PER_WORDS:
            sign = Fraction(-1)
            continue
        if low in DATIVE_PER_WORDS:  # `100 тұрғынға`: divide by the number and the noun
            noun = _word_unit(DATIVE_PER_WORDS[low], unknown)
            unit = unit / numbers.power(Fraction(2)) * noun.power(-exp)
            numbers = ONE
            continue
        factor = _word_unit(word, unknown).power(exp * sign)
        numbers = numbers * factor if re.fullmatch(r"\d+(\.\d+)?", word) else ONE
        unit = unit * factor
    if not any_word:
        raise UnitSyntaxError("a unit is missing")
    return unit, i


def _word_unit(word: str, unknown: list[str]) -> Unit:
    word = word.rstrip(".")  # `тыс.`, `долл.`: an abbreviation's full stop
    low = word.lower()
    if re.fullmatch(r"\d+(\.\d+)?", word):
        if Fraction(word) == 0:  # `persons / 0`, `0 KZT`: a scale of nothing
            raise UnitSyntaxError(f"a unit cannot be scaled by {word!r}")
        return Unit(Fraction(word))
    if low in SCALE_WORDS:
        return Unit(SCALE_WORDS[low])
    if word in PERCENT_WORDS or low in PERCENT_WORDS:
        return Unit(PERCENT)
    if low in DIMENSIONLESS_WORDS:
        return ONE
    if low in CURRENCY_WORDS:
        return Unit(Fraction(1), ((CURRENCY_WORDS[low], Fraction(1)),))
    if _CURRENCY_CODE.match(word):
        return Unit(Fraction(1), ((word, Fraction(1)),))
    if low in BASE_WORDS:
        base, scale = BASE_WORDS[low]
        return Unit(scale, ((base, Fraction(1)),))
    unknown.append(word)
    return Unit(Fraction(1), ((word, Fraction(1)),))


def is_currency(base: str) -> bool:
    return bool(_CURRENCY_CODE.match(base))


# ---------------------------------------------------------------- inference over the IR


@dataclass
class UnitReport:
    """The unit of every definition, the conversions recognised, and the problems found."""

    units: dict[str, UnitOrLiteral | None]
    conversions: list[tuple[Span | None, str]]
    diagnostics: list[Diagnostic]

    def describe(self, name: str) -> str:
        u = self.units.get(name)
        if u is None:
            return "(condition)"
        if isinstance(u, Literal):
            return "1 (a constant)"
        if u is _ERRORED:
            return "(none: its units disagree, KZF030)"
        return format_unit(u)


_ADDITIVE_VERBS = {
    "add": "add",
    "sub": "subtract",
    "eq": "compare",
    "ne": "compare",
    "lt": "compare",
    "le": "compare",
    "gt": "compare",
    "ge": "compare",
    **{f.name: f.verb for f in FUNCTIONS.values() if f.unit is UnitRule.ALL_ARGUMENTS_SAME},
}
_BOOL = {"and", "or", "not"}
_ERRORED = Unit(Fraction(1), (), (("error", Fraction(1)),))  # stops one mistake cascading


class _Infer:
    def __init__(self, program: CheckedProgram):
        self.program = program
        self.sources = program.sources
        self.memo: dict[ir.Node, UnitOrLiteral | None] = {}
        self.diagnostics: list[Diagnostic] = []
        self.conversions: list[tuple[Span | None, str]] = []
        self.seen_spans: set[tuple[str, Span | None]] = set()
        self.leaf_units: dict[str, UnitOrLiteral] = {}
        self.declared: dict[int, tuple[str, Unit, Span]] = {}
        self.def_ids = {id(d.node) for d in program.definitions.values()}
        self._declare_leaves()

    # ---- declarations
    def _parse(self, text: str, span: Span, name: str, declared: bool = False) -> Unit | None:
        """The unit `text` of `name` (its declared unit, for a definition), or None."""
        try:
            parsed = parse_unit(text)
        except UnitSyntaxError as exc:  # pragma: no cover - the grammar admits readable units
            self._add(
                localised(
                    "KZF032",
                    "the declared unit of '{name}': {problem}",
                    span,
                    name=name,
                    problem=exc,
                )
                if declared
                else localised(
                    "KZF032", "the unit of '{name}': {problem}", span, name=name, problem=exc
                )
            )
            return None
        for word in parsed.unknown_words:
            close = difflib.get_close_matches(word.lower(), KNOWN_WORDS, n=1, cutoff=0.75)
            if close:
                self._add(
                    localised_warning(
                        "KZF302",
                        "unknown unit word '{word}' in the declared unit of '{name}'; did you "
                        "mean '{suggestion}'? (it is taken as a dimension of its own)",
                        span,
                        word=word,
                        name=name,
                        suggestion=close[0],
                    )
                    if declared
                    else localised_warning(
                        "KZF302",
                        "unknown unit word '{word}' in the unit of '{name}'; did you mean "
                        "'{suggestion}'? (it is taken as a dimension of its own)",
                        span,
                        word=word,
                        name=name,
                        suggestion=close[0],
                    )
                )
        return parsed.unit

    def _declare_leaves(self) -> None:
        for name, info in self.program.inputs.items():
            unit = self._parse(info.unit, info.span, name) if info.unit else None
            self.leaf_units["column:" + name] = unit or Unit(vars=((name, Fraction(1)),))
        for name, p in self.program.params.items():
            # A param written without a unit is a named number, like a literal: it takes
            # the unit of what it is added to (never a conversion: its value can change).
            unit = self._parse(p.unit, p.span, name) if p.unit else None
            self.leaf_units["param:" + name] = unit or LITERAL
        for name, d in self.program.definitions.items():
            if d.unit:
                unit = self._parse(d.unit, d.span, name, declared=True)
                if unit is not None:
                    self.declared[id(d.node)] = (name, unit, d.span)

    def _add(self, d: Diagnostic) -> None:
        key = (d.code, d.span)
        if key not in self.seen_spans:
            self.seen_spans.add(key)
            self.diagnostics.append(d)

    def text(self, node: ir.Node) -> str:
        if node.span is None:
            if isinstance(node, ir.Const):
                return _fmt_number(node.value)
            return "?"
        from kzf.dsl.diagnostics import source_text

        return source_text(self.sources, node.span)

    # ---- the walk (iterative: definitions may chain thousands deep)
    def unit(self, root: ir.Node) -> UnitOrLiteral | None:
        for node in ir.postorder(root, children=self._operands, seen=self.memo):
            self.memo[node] = self._declared(node, self._compute(node))
        return self.memo[root]

    def _operands(self, node: ir.Node) -> list[ir.Node]:
        """The nodes whose units `_compute(node)` reads."""
        if isinstance(node, ir.Op) and node.op in ("mul", "div", "neg"):
            return [leaf for leaf, _ in self._factors(node)]
        if isinstance(node, ir.Op) and node.op in ("add", "sub"):
            return self._terms(node)
        return list(node.children)

    def _terms(self, node: ir.Node) -> list[ir.Node]:
        """The terms of a chain of + and - (not entering other definitions), in order."""
        out: list[ir.Node] = []
        stack = [node]
        while stack:
            n = stack.pop()
            is_def = id(n) in self.def_ids and n is not node
            if isinstance(n, ir.Op) and n.op in ("add", "sub") and not is_def:
                stack.extend(reversed(n.args))
            else:
                out.append(n)
        return out

    def _declared(self, node: ir.Node, inferred: UnitOrLiteral | None) -> UnitOrLiteral | None:
        entry = self.declared.get(id(node))
        if entry is None:
            return inferred
        name, declared, span = entry
        if isinstance(inferred, Unit) and inferred.known and inferred is not _ERRORED:
            if inferred.dims != declared.dims:
                self._add(
                    localised(
                        "KZF031",
                        "'{name}' is declared in {declared} but computes {computed}",
                        span,
                        name=name,
                        declared=format_unit(declared),
                        computed=format_unit(inferred),
                    )
                )
            elif inferred.scale != declared.scale:
                self._add(
                    localised(
                        "KZF031",
                        "'{name}' is declared in {declared} but computes {computed}; multiply by "
                        "{factor} to convert",
                        span,
                        name=name,
                        declared=format_unit(declared),
                        computed=format_unit(inferred),
                        factor=_fmt_fraction(inferred.scale / declared.scale),
                    )
                )
        return declared

    def _compute(self, node: ir.Node) -> UnitOrLiteral | None:
        m = self.memo
        if isinstance(node, ir.Const):
            return LITERAL if isinstance(node.value, float) else None
        if isinstance(node, ir.Column):
            return self.leaf_units.get("column:" + node.name, _unknown(node.name))
        if isinstance(node, ir.Param):
            return self.leaf_units.get("param:" + node.name, _unknown(node.name))
        if isinstance(node, ir.Dim):
            if node.type is not ir.Type.NUMBER:
                return None
            if node.name == "year":
                return Unit(Fraction(1), (("year", Fraction(1)),))
            return _unknown(node.name)
        if isinstance(node, ir.Shift):
            return m[node.arg]
        if isinstance(node, ir.Rank | ir.Across):
            return ONE
        if isinstance(node, ir.Aggregate):
            arg = m[node.arg]
            if node.func in ("count", "skew", "kurt"):
                return ONE
            if isinstance(arg, Literal):
                return ONE if node.func in ("sum", "count") else LITERAL
            if arg is None:
                return None
            if node.func == "var":
                return arg.power(Fraction(2))
            return arg
        if not isinstance(node, ir.Op):  # a node kind added later (e.g. a trend of x)
            first = next((c for c in node.children if c.type is ir.Type.NUMBER), None)
            return m[first] if first is not None else _unknown(self.text(node))
        op = node.op
        if op in _BOOL:
            return None
        if op in ("mul", "div", "neg"):
            return self._product(node)
        if op in ("add", "sub"):
            return self._additive(node, self._terms(node))
        if op in ("eq", "ne", "lt", "le", "gt", "ge"):
            if node.args[0].type is ir.Type.NUMBER:
                self._additive(node, list(node.args))
            return None
        function = FUNCTIONS.get(op)
        if function is not None:
            return self._function(node, function)
        if op == "pow":
            base, exponent = node.args
            k = _literal_value(exponent)
            bu = m[base]
            if k is None:
                if isinstance(bu, Unit) and not bu.dimensionless:
                    return Unit(vars=((self.text(node), Fraction(1)),))
                return ONE if isinstance(bu, Unit) else LITERAL
            return self._power(bu, k)
        return None

    def _function(self, node: ir.Op, function: Function) -> UnitOrLiteral | None:
        """The unit of a builtin function's result, by its unit rule."""
        if node.type is not ir.Type.NUMBER:  # if() choosing between conditions
            return None
        rule = function.unit
        if rule is UnitRule.ALL_ARGUMENTS_SAME:
            return self._additive(node, function.value_arguments(node.args))
        if rule is UnitRule.SAME_AS_ARGUMENT:
            return self.memo[node.args[0]]
        if rule is UnitRule.SQUARE_ROOT:
            return self._power(self.memo[node.args[0]], Fraction(1, 2))
        return ONE  # UnitRule.DIMENSIONLESS

    def _power(self, u: UnitOrLiteral | None, k: Fraction) -> UnitOrLiteral | None:
        if u is None or isinstance(u, Literal):
            return u
        return u.power(k)

    # ---- sums, comparisons, branches
    def _additive(self, node: ir.Node, args: list[ir.Node]) -> UnitOrLiteral | None:
        """Terms that must share one unit. The unit most of them have is taken as the
        intended one, and each term that differs is reported at its own span."""
        op = node.op if isinstance(node, ir.Op) else "add"
        units = [(arg, self.memo[arg]) for arg in args]
        dimensional = [(a, u) for a, u in units if isinstance(u, Unit)]
        if not dimensional:
            return LITERAL if any(isinstance(u, Literal) for _, u in units) else None
        if any(u is _ERRORED for _, u in dimensional):
            return _ERRORED
        known = [(a, u) for a, u in dimensional if u.known]
        if not known:
            return min((u for _, u in dimensional), key=lambda u: len(u.vars))
        counts: dict[Unit, int] = {}
        for _, u in known:
            counts[u] = counts.get(u, 0) + 1
        reference = max(counts, key=lambda u: counts[u])  # ties: the first written
        ref_node = next(a for a, u in known if u == reference)
        bad = [(a, u) for a, u in known if u != reference]
        for a, u in bad:
            self._mismatch(op, a, u, ref_node, reference)
        return _ERRORED if bad else reference

    def _mismatch(self, op: str, a: ir.Node, ua: Unit, b: ir.Node, ub: Unit) -> None:
        """`a` (in ua) should be in ub, the unit of `b` and of most other terms."""
        verb = _ADDITIVE_VERBS.get(op, "combine")
        ta, tb = self.text(a), self.text(b)
        values: dict[str, str] = {
            "term_a": ta,
            "term_b": tb,
            "unit_a": format_unit(ua),
            "unit_b": format_unit(ub),
        }
        where = a.span
        same_dims = ua.dims == ub.dims
        if same_dims:
            values.update(_factor_advice_values(ua, ub, ta, tb))
            if ua.scale < ub.scale and b.span is not None:
                where = b.span  # point at the term the advice says to multiply
        # one whole sentence for each verb, plain number or unit, and advice (mismatch_templates)
        template = _mismatch_template(verb, ua == ONE, ub == ONE, same_dims)
        if same_dims:
            self._add(localised("KZF030", template, where, **values))
            return
        ratio = ub / ua
        if len(ratio.dims) == 2 and all(is_currency(n) for n, _ in ratio.dims):
            rate = format_unit(Unit(Fraction(1), ratio.dims))
            if ratio.scale == 1:
                self._add(
                    localised(
                        "KZF030",
                        template,
                        where,
                        (
                            "convert with an exchange rate: multiply `{term}` by a rate in {rate}",
                            {"term": ta, "rate": rate},
                        ),
                        **values,
                    )
                )
            else:
                self._add(
                    localised(
                        "KZF030",
                        template,
                        where,
                        (
                            "convert with an exchange rate: multiply `{term}` by a rate in "
                            "{rate}, then by {factor}",
                            {"term": ta, "rate": rate, "factor": _fmt_fraction(1 / ratio.scale)},
                        ),
                        **values,
                    )
                )
        else:
            self._add(
                localised(
                    "KZF030",
                    template,
                    where,
                    (
                        "`{term}` would need a factor in {unit}",
                        {"term": ta, "unit": format_unit(ratio)},
                    ),
                    **values,
                )
            )

    # ---- products: literal factors may be conversions
    def _factors(self, node: ir.Node) -> list[tuple[ir.Node, int]]:
        out: list[tuple[ir.Node, int]] = []
        stack: list[tuple[ir.Node, int]] = [(node, 1)]
        while stack:
            n, e = stack.pop()
            is_def = id(n) in self.def_ids and n is not node
            if isinstance(n, ir.Op) and n.op in ("mul", "div", "neg") and not is_def:
                if n.op == "neg":
                    stack.append((n.args[0], e))
                else:
                    stack.append((n.args[0], e))
                    stack.append((n.args[1], e if n.op == "mul" else -e))
            else:
                out.append((n, e))
        return out

    def _product(self, node: ir.Op) -> UnitOrLiteral | None:
        unit: Unit | None = None
        literal = Fraction(1)
        for leaf, e in self._factors(node):
            value = _literal_value(leaf)
            if value is not None:
                if value != 0:
                    literal *= value**e
                continue
            u = self.memo[leaf]
            if u is None or isinstance(u, Literal):
                continue
            if u is _ERRORED:
                return _ERRORED
            unit = u.power(Fraction(e)) if unit is None else unit * u.power(Fraction(e))
        if unit is None:
            return LITERAL
        if literal != 1 and unit.known:
            target = unit.scale / literal
            named = target in NAMED_SCALES or target == 1 or (target == PERCENT and not unit.dims)
            if named and target != unit.scale:
                converted = unit.rescaled(target)
                note = (
                    node.span,
                    f"×{_fmt_fraction(literal)}: {format_unit(unit)} → {format_unit(converted)}",
                )
                if note not in self.conversions:
                    self.conversions.append(note)
                return converted
        return unit


def _unknown(name: str) -> Unit:
    return Unit(vars=((name, Fraction(1)),))


def _mismatch_template(verb: str, plain_a: bool, plain_b: bool, advice: bool) -> str:
    """The template of a KZF030 message: `cannot {verb} A and B: a is in A, b is in B`, A or
    B `a plain number` when dimensionless, and the advice of `_factor_advice_values` when the
    units differ only in scale. Put together here (mismatch_templates lists every one, for
    the catalogues), so that each is a whole sentence for a translator."""
    spoken_a = "a plain number" if plain_a else "{unit_a}"
    spoken_b = "a plain number" if plain_b else "{unit_b}"
    is_a = "`{term_a}` is a plain number" if plain_a else "`{term_a}` is in {unit_a}"
    is_b = "`{term_b}` is a plain number" if plain_b else "`{term_b}` is in {unit_b}"
    tail = "; multiply `{term}` by {factor} to convert {from_unit} to {to_unit}" if advice else ""
    return f"cannot {verb} {spoken_a} and {spoken_b}: {is_a}, {is_b}{tail}"


def mismatch_templates() -> list[str]:
    """Every template `_mismatch_template` can give (two different units: not both plain)."""
    verbs = sorted({*_ADDITIVE_VERBS.values(), "combine"})
    return [
        _mismatch_template(verb, plain_a, plain_b, advice)
        for verb in verbs
        for plain_a, plain_b in ((False, False), (True, False), (False, True))
        for advice in (False, True)
    ]


def _factor_advice_values(ua: Unit, ub: Unit, ta: str, tb: str) -> dict[str, str]:
    """How to make a (in ua) agree with b (in ub) when they differ only in scale: which term
    to multiply, by what, from which unit to which."""
    factor = ua.scale / ub.scale
    if factor > 1:
        return {
            "term": ta,
            "factor": _fmt_fraction(factor),
            "from_unit": format_unit(ua),
            "to_unit": format_unit(ub),
        }
    return {
        "term": tb,
        "factor": _fmt_fraction(1 / factor),
        "from_unit": format_unit(ub),
        "to_unit": format_unit(ua),
    }


def _fmt_fraction(f: Fraction) -> str:
    if f.denominator == 1:
        return str(f.numerator)
    as_float = float(f)
    if Fraction(repr(as_float)) == f:
        return repr(as_float)
    return f"{f.numerator}/{f.denominator}"


def _fmt_number(value: object) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _literal_value(node: ir.Node) -> Fraction | None:
    if isinstance(node, ir.Const) and isinstance(node.value, float):
        v = node.value
        if v != v or v in (float("inf"), float("-inf")):
            return None
        return Fraction(repr(v))
    if isinstance(node, ir.Op) and node.op == "neg":
        inner = _literal_value(node.args[0])
        return -inner if inner is not None else None
    return None


def infer_units(program: CheckedProgram, names: Iterable[str] | None = None) -> UnitReport:
    """Infer the unit of each definition (all of them by default) and collect unit errors."""
    inf = _Infer(program)
    wanted = list(program.definitions) if names is None else list(names)
    units: dict[str, UnitOrLiteral | None] = {}
    for name in wanted:
        units[name] = inf.unit(program.definitions[name].node)
    for a in program.asserts:
        inf.unit(a.left)
        inf.unit(a.right)
    return UnitReport(units, inf.conversions, inf.diagnostics)
