"""Hypothesis strategies for .kzf programs, derived from the Lark grammar itself.

The grammar is loaded as `kzf.dsl.parser` loads it (the same `kzf.lark`, the same options).
Its compiled rules (`Lark.rules`: each optional `[x]` and each `x*` already expanded into
alternatives) are walked recursively: a nonterminal picks one of its alternatives, a terminal
is drawn from its pattern. Nothing about the language is written here except biases:

- weights on some alternatives (more definitions than titles, shorter sums than longer ones);
- pools for some terminals, so that programs mean something: NAME is drawn by its place in
  the grammar (the callee of a `call` from the builtin table, an `over` from the dimensions,
  a reference from the names the other statements define, so references resolve sometimes),
  NUMBER, STRING, INT, UNIT_WORD and LANG from small pools with their edge cases. Any other
  terminal, and a pool now and then, is drawn from the terminal's own regular expression.

A depth budget bounds the recursion: when it runs out, or when a statement has reached its
token budget, only the alternatives that end soonest are chosen (their height is computed
from the grammar). Statements are one per line, as `dsl/statements.py` splits them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

from hypothesis import strategies as st
from lark import Lark
from lark.grammar import Rule
from lark.lexer import Pattern, PatternRE, PatternStr

from kzf.dsl.parser import build_parser
from kzf.engine.compile.models import MODEL_FUNCTIONS, MODEL_OPTIONS, MODEL_TABLES
from kzf.engine.core.builtins import BUILTINS
from kzf.engine.core.ir import KINDS


@cache
def load_grammar() -> Lark:
    """kzf's grammar, built with the options `kzf.dsl.parser` uses (once: Lark builds its
    LALR tables on construction)."""
    return build_parser()


# ---------------------------------------------------------------- the grammar, as data


@dataclass(frozen=True)
class Symbol:
    name: str
    terminal: bool


@dataclass(frozen=True)
class Grammar:
    """The compiled rules of the grammar: alternatives per nonterminal, patterns per terminal,
    the least height of a derivation from each symbol, and the words the grammar spells out
    (`input`, `over`, `round`, ...), which are never a NAME."""

    alternatives: Mapping[str, tuple[tuple[Symbol, ...], ...]]
    patterns: Mapping[str, Pattern]
    height: Mapping[str, int]
    keywords: frozenset[str]

    def alternative_height(self, alternative: tuple[Symbol, ...]) -> int:
        return 1 + max((self.height[s.name] for s in alternative), default=0)


def _keywords(patterns: Mapping[str, Pattern]) -> frozenset[str]:
    words = {p.value for p in patterns.values() if isinstance(p, PatternStr)}
    for p in patterns.values():  # ROUND_MODE: (?:round|trunc)
        if isinstance(p, PatternRE) and re.fullmatch(r"\(\?:[a-z|]+\)", p.value):
            words.update(p.value[3:-1].split("|"))
    return frozenset(w for w in words if w.isalpha())


def _heights(rules: Sequence[Rule], terminals: set[str]) -> dict[str, int]:
    height = dict.fromkeys(terminals, 0)
    changed = True
    while changed:  # a fixpoint: a rule's height is known once one alternative's parts are
        changed = False
        for rule in rules:
            parts = [s.name for s in rule.expansion]
            if all(p in height for p in parts):
                h = 1 + max((height[p] for p in parts), default=0)
                if h < height.get(rule.origin.name, h + 1):
                    height[rule.origin.name] = h
                    changed = True
    return height


@cache
def grammar() -> Grammar:
    lark = load_grammar()
    patterns = {t.name: t.pattern for t in lark.terminals}
    height = _heights(lark.rules, set(patterns))
    alternatives: dict[str, list[tuple[Symbol, ...]]] = {}
    for rule in lark.rules:
        alternatives.setdefault(rule.origin.name, []).append(
            tuple(Symbol(s.name, s.is_term) for s in rule.expansion)
        )
    missing = set(alternatives) - set(height)
    assert not missing, f"rules without a finite derivation: {missing}"
    ordered = {  # the alternatives that end soonest first: hypothesis shrinks towards them
        name: tuple(sorted(alts, key=lambda a: (1 + max(height[s.name] for s in a), len(a))))
        for name, alts in alternatives.items()
    }
    return Grammar(ordered, patterns, height, _keywords(patterns))


# ---------------------------------------------------------------- biases

# Names a program defines or reads; the data panel of the tests has the columns a, b, c.
INPUTS = ("a", "b", "c")
DEFINED = ("x", "y", "z", "t")
FUNCTIONS = ("f", "g")
PARAMETERS = ("u", "v")  # of user functions
PARAMS = ("k", "w")  # `param` statements
DIMS = ("entity", "year")
UNDEFINED = ("nosuch", "__import__", "os", "Қазақстан", "_")

REFERENCES = (*INPUTS * 6, *DEFINED * 2, *PARAMS, *PARAMETERS, *DIMS, *UNDEFINED, KINDS[0])

# NAME by its place: (the rule it belongs to, which NAME of that rule it is); None = any other.
NAME_POOLS: dict[tuple[str, int | None], tuple[str, ...]] = {
    ("call", 0): (*BUILTINS, *FUNCTIONS, *FUNCTIONS, "nosuch", "eval"),
    ("over_clause", 0): (*DIMS, *DIMS, "region", "a"),
    ("dim_item", 0): (*DIMS, *DIMS, *DIMS, "region"),
    ("dim_item", 1): ("time", "time", "entity"),
    ("input_item", 0): (*INPUTS, *INPUTS, *INPUTS, "d"),
    ("definition", 0): (*DEFINED * 4, "s", "a", "entity"),
    ("func_def", 0): (*FUNCTIONS, "abs", "x"),
    ("func_def", None): (*PARAMETERS, "a"),
    ("param_decl", 0): (*PARAMS * 3, "a"),
    ("vary_stmt", 0): (*PARAMS, "x"),
    ("label_stmt", 0): ("x", "a", "k", "nosuch"),
    ("allow_stmt", 0): ("KZF202", "KZF310", "KZF030", "KZF204", "KZF999", "x"),
    ("allow_stmt", 1): ("x", "a", "nosuch"),
    ("expect_stmt", 0): ("x", "y", "nosuch"),
    ("model_stmt", 0): ("m", "m", "x"),
    ("model_stmt", 1): (*MODEL_FUNCTIONS, *MODEL_FUNCTIONS, "logit"),
    ("model_stmt", None): (*INPUTS, "x", "nosuch"),
    ("forecast_stmt", 0): ("fc", "x"),
    ("forecast_stmt", 1): ("m", "m", "nosuch"),
    ("substitution", None): (*INPUTS, "x", "nosuch"),
    ("model_option", 0): (*MODEL_OPTIONS, "nosuch"),
    ("option_value", 0): ("linear", "yes", "nosuch"),
    ("option_setting", 0): ("enter", "remove", "nosuch"),
    ("key_part", 0): ("Kazakhstan", "B", "x", "nosuch"),
    ("expect_table_stmt", 0): ("m", "fc", "nosuch"),
    ("expect_table_stmt", 1): (*MODEL_TABLES, "nosuch"),
    ("expect_table_stmt", None): ("B", "value", "nosuch"),
    ("atom", 0): REFERENCES,
}

# The places that define a name (a fresh one, mostly), as keys of NAME_POOLS.
DEFINING = frozenset(
    {("input_item", 0), ("definition", 0), ("param_decl", 0), ("func_def", 0)}
    | {("model_stmt", 0), ("forecast_stmt", 0)}
)

# Texts: entity names of the test panel, the empty text, quotes, escapes, Unicode,
# look-alike letters, paths and markup.
STRINGS = tuple(
    f'"{s}"'
    for s in (
        "Kazakhstan",
        "Kazakhstan",
        "Russia",
        "Қазақстан",
        "",
        "a",
        "b",
        " ",
        "it's",
        r"say \"hi\"",
        r"back\\slash",
        r"\n",
        "Kаzakhstan",  # a Cyrillic а
        "std:composite",
        "../../etc/passwd",
        "<script>alert(1)</script>",
        "🙂",
        "linear",
    )
)

# Numbers as the grammar writes them (no sign: `-` is its own token): zero, fractions, the
# edges of float64 (subnormal, the largest finite, one too large), a 30-digit integer.
NUMBERS = (
    *("0", "1", "2", "0.5", "10", "100") * 8,
    ".5",
    "3.14159",
    "2020",
    "1E3",
    "1e-300",
    "5e-324",
    "1e308",
    "1.7976931348623157e308",
    "1e309",
    "9" * 30,
)

# Terminals by their place: a binding is mostly written `= "a column"`; a domain takes any
# comparison.
PLACE_POOLS: dict[tuple[str, str], tuple[str, ...]] = {
    ("binding", "COMP_OP"): ("=",) * 24 + ("==", "<"),
    ("domain", "COMP_OP"): (">", ">=", "<", "<=", "!=", ">", ">=", "="),
    ("binding", "STRING"): ('"a"', '"b"', '"c"') * 5 + ('""', '"SP.POP.TOTL"'),
}

TERMINAL_POOLS: dict[str, tuple[str, ...]] = {
    "NUMBER": NUMBERS,
    "STRING": STRINGS,
    "INT": ("0", "1", "2", "2019", "2021", "2025", "2030", "9" * 20),
    "UNIT_WORD": ("persons", "USD", "tenge", "km^2", "kg^-1", "1000", "index", "pp", "0", "1"),
    "LANG": ("kk", "ru", "en", "de"),
}

# Relative weights of alternatives, by the rule and the alternative's symbols. Without an
# entry, an alternative that recurses into its own rule (`sum: sum ADD_OP product`, the
# `x*` helpers) weighs 1 and any other 3, so that statements stay short.
WEIGHTS: dict[str, dict[str, int]] = {
    "statement": {
        "definition": 30,
        "input_decl": 6,
        "func_def": 6,
        "param_decl": 4,
        "dims": 2,
        "label_stmt": 2,
        "expect_stmt": 2,
        "model_stmt": 2,
        **dict.fromkeys(["title", "source", "data_decl", "import_stmt", "allow_stmt"], 1),
        "assert_stmt": 1,
        **dict.fromkeys(["forecast_stmt", "expect_table_stmt", "vary_stmt"], 1),
    },
    "unary": {"power": 12},
    "power": {"atom": 9},
    "not_expr": {"comparison": 30},
    "or_expr": {"and_expr": 30},
    "and_expr": {"not_expr": 30},
    "comparison": {"sum": 12},
    "atom": {"NAME": 9, "NUMBER": 6, "STRING": 1, "call": 9},
    "argument": {"expr": 12},
    "input_item": {"NAME": 12, "NAME COLON unit": 3, "NAME domain": 3},
    "call": {
        "NAME LPAR arguments RPAR": 12,
        "NAME LPAR arguments over_clause RPAR": 6,
        "NAME LPAR RPAR": 1,
        "NAME LPAR over_clause RPAR": 1,
        "NAME LPAR where_clause RPAR": 1,
        "NAME LPAR over_clause where_clause RPAR": 1,
    },
    "unit_factor": {"LPAR unit RPAR": 1},
}


# ---------------------------------------------------------------- derivations


@dataclass(frozen=True)
class Token:
    """One terminal of a derivation: its name in the grammar and its text."""

    terminal: str
    text: str


@dataclass(frozen=True)
class Statement:
    rule: str  # the statement's kind: definition, input_decl, ...
    tokens: tuple[Token, ...]
    text: str


@dataclass(frozen=True)
class Program:
    statements: tuple[Statement, ...]

    @property
    def text(self) -> str:
        return "".join(s.text + "\n" for s in self.statements)

    @property
    def calls(self) -> frozenset[str]:
        """The names called anywhere (a NAME before `(`)."""
        return frozenset(
            t.text
            for s in self.statements
            for t, nxt in zip(s.tokens, s.tokens[1:], strict=False)
            if t.terminal == "NAME" and nxt.terminal == "LPAR"
        )


@dataclass
class Scope:
    """The names a program has defined so far (inputs, definitions, params, functions)."""

    names: list[str] = field(default_factory=list)
    functions: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)  # defined by the statement being drawn

    def commit(self) -> None:
        """A statement's own names are known after it (so `x = x + 1` is rarely drawn)."""
        self.names += self.pending
        self.pending.clear()


@dataclass
class _Budget:
    tokens: int
    scope: Scope
    spent: int = 0


@dataclass
class _Owner:
    """The nearest rule that is not a helper (`__x_star_n`): NAMEs are counted in it."""

    rule: str
    names: int = field(default=0)


def _weight(rule: str, alternative: tuple[Symbol, ...]) -> int:
    given = WEIGHTS.get(rule, {}).get(" ".join(s.name for s in alternative))
    if given is not None:
        return given
    return 1 if any(s.name == rule for s in alternative) else 3


@cache
def _choices(
    rule: str, alternatives: tuple[tuple[Symbol, ...], ...]
) -> st.SearchStrategy[tuple[Symbol, ...]]:
    """Each alternative as many times as it weighs (hypothesis samples a list uniformly)."""
    return st.sampled_from([a for a in alternatives for _ in range(_weight(rule, a))])


@cache
def _pool(names: tuple[str, ...]) -> st.SearchStrategy[str]:
    return st.sampled_from(names)


@cache
def _from_pattern(regex: str) -> st.SearchStrategy[str]:
    return st.from_regex(regex, fullmatch=True).filter(lambda s: "\n" not in s)


def _name(draw: st.DrawFn, owner: _Owner, scope: Scope) -> str:
    """A NAME by its place. A defining place mostly takes a name not defined yet, and a
    reference or a call mostly one that is (so that programs resolve often, not always)."""
    nth = owner.names
    owner.names += 1
    place = (owner.rule, nth)
    pool = NAME_POOLS.get(place) or NAME_POOLS.get((owner.rule, None)) or REFERENCES
    if place in DEFINING:
        fresh = tuple(n for n in pool if n not in scope.names + scope.pending)
        if fresh and draw(st.integers(0, 9)) > 0:
            pool = fresh
    elif owner.rule == "atom" and scope.names and draw(st.integers(0, 2)) > 0:
        pool = tuple(scope.names)
    elif owner.rule == "call" and scope.functions and draw(st.integers(0, 3)) == 0:
        pool = tuple(scope.functions)
    name = draw(_pool(tuple(n for n in pool if n not in grammar().keywords)))
    if place == ("func_def", 0):
        scope.functions.append(name)
    elif place in DEFINING:
        scope.pending.append(name)
    return name


def _terminal(draw: st.DrawFn, name: str, owner: _Owner, scope: Scope) -> str:
    g = grammar()
    pattern = g.patterns[name]
    if isinstance(pattern, PatternStr):
        return pattern.value
    if name == "NAME":
        return _name(draw, owner, scope)
    pool = PLACE_POOLS.get((owner.rule, name)) or TERMINAL_POOLS.get(name)
    if pool is not None and draw(st.integers(0, 29)) > 0:
        return draw(_pool(pool))
    return draw(_from_pattern(pattern.value))


def _derive(
    draw: st.DrawFn, symbol: Symbol, depth: int, budget: _Budget, owner: _Owner
) -> list[Token]:
    g = grammar()
    if symbol.terminal:
        budget.spent += 1
        return [Token(symbol.name, _terminal(draw, symbol.name, owner, budget.scope))]
    alternatives = g.alternatives[symbol.name]
    if budget.spent < budget.tokens:
        fitting = [a for a in alternatives if g.alternative_height(a) <= depth]
    else:
        fitting = []
    if not fitting:  # out of budget: only the alternatives that end soonest
        least = min(g.alternative_height(a) for a in alternatives)
        fitting = [a for a in alternatives if g.alternative_height(a) == least]
    alternative = draw(_choices(symbol.name, tuple(fitting)))
    inner = owner if symbol.name.startswith("__") else _Owner(symbol.name)
    out: list[Token] = []
    for child in alternative:
        out += _derive(draw, child, depth - 1, budget, inner)
    return out


@st.composite
def derivations(
    draw: st.DrawFn,
    start: str = "statement",
    scope: Scope | None = None,
    max_depth: int = 45,
    max_tokens: int = 40,
) -> tuple[str, tuple[Token, ...]]:
    """One sentence of the grammar from `start`: the statement's kind and its tokens."""
    g = grammar()
    scope = scope if scope is not None else Scope()
    rule = start
    if start == "statement":  # chosen here, to know the kind; the same choice _derive makes
        rule = draw(_choices(start, g.alternatives[start]))[0].name
    depth = draw(st.integers(g.height[rule], max_depth))
    budget = _Budget(max_tokens, scope)
    tokens = _derive(draw, Symbol(rule, False), depth, budget, _Owner(rule))
    scope.commit()
    return rule, tuple(tokens)


CONTINUATION = " \\\n    "  # a backslash continues a statement on the next line


@st.composite
def layouts(draw: st.DrawFn, tokens: Sequence[Token]) -> str:
    """The tokens as one statement's text: spaces between them, now and then a tab, a
    continuation line or a trailing comment (all ignored by the grammar)."""
    gaps = [" "] * (len(tokens) - 1)
    if gaps and draw(st.integers(0, 4)) == 0:
        at = draw(st.integers(0, len(gaps) - 1))
        gaps[at] = draw(st.sampled_from(["\t", "   ", CONTINUATION]))
    text = tokens[0].text + "".join(gap + t.text for gap, t in zip(gaps, tokens[1:], strict=True))
    if draw(st.integers(0, 9)) == 0:
        text += "  # " + draw(st.sampled_from(["a comment", "x = (", '"', "Қазақша"]))
    return text


@st.composite
def statements(draw: st.DrawFn, start: str = "statement", scope: Scope | None = None) -> Statement:
    rule, tokens = draw(derivations(start, scope))
    return Statement(rule, tokens, draw(layouts(tokens)))


@st.composite
def programs(draw: st.DrawFn, max_statements: int = 5) -> Program:
    """A program: usually an `input` statement first (so that references resolve), then
    statements of any kind. Every statement is a sentence of the grammar."""
    scope = Scope()
    first = [draw(statements("input_decl", scope))] if draw(st.integers(0, 4)) > 0 else []
    rest = [draw(statements(scope=scope)) for _ in range(draw(st.integers(1, max_statements)))]
    return Program((*first, *rest))


MUTATIONS = ("delete", "duplicate", "swap")


@st.composite
def near_valid_programs(draw: st.DrawFn) -> tuple[str, Program]:
    """A program with one token of one statement deleted, duplicated, or swapped with the
    next: the syntax errors a hand makes."""
    program = draw(programs(max_statements=4))
    where = draw(st.integers(0, len(program.statements) - 1))
    stmt = program.statements[where]
    tokens = list(stmt.tokens)
    kind = draw(st.sampled_from(MUTATIONS))
    at = draw(st.integers(0, len(tokens) - 1))
    if kind == "swap" and len(tokens) > 1:
        other = at + 1 if at + 1 < len(tokens) else at - 1
        tokens[at], tokens[other] = tokens[other], tokens[at]
    elif kind == "delete":
        del tokens[at]
    else:
        kind = "duplicate"
        tokens.insert(at, tokens[at])
    text = " ".join(t.text for t in tokens)
    mutated = Statement(stmt.rule, tuple(tokens), text)
    statements_ = list(program.statements)
    statements_[where] = mutated
    return kind, Program(tuple(statements_))
