"""Parse .kzf text into the positioned AST (`kzf.dsl.ast`).

The Lark grammar lives in `kzf.lark`. Parsing is LALR(1): linear time, and about 27x faster
than Earley on our files (anchors.md §8). The parser object is built once per thread; Lark
parsers hold per-parse state, so sharing one across threads is not something we rely on.
"""

from __future__ import annotations

import dataclasses
import os
import re
import stat
import sys
import threading
import unicodedata
from importlib import resources
from typing import Any

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
    VisitError,
)

from kzf.dsl import ast
from kzf.dsl.diagnostics import Diagnostic, ProgramError, Span, error, localised
from kzf.dsl.statements import Chunk, split_statements

MAX_SOURCE_BYTES = 2_000_000
# `framework "f.csv" over d normalise minmax100`: the columns a framework statement can give a
# default for (dsl/framework.py)
FRAMEWORK_OPTIONS = ("normalise", "aggregate", "treat", "screen")
MAX_NESTING = 200

_local = threading.local()
_GRAMMAR = resources.files("kzf.dsl").joinpath("kzf.lark").read_text(encoding="utf-8")


def _composed(token: Token) -> Token:
    """A name in Unicode's composed form (NFC): `café` typed with é as one letter or as e and
    a combining accent is one name, as it looks."""
    return token.update(value=unicodedata.normalize("NFC", str(token)))


# Characters that change the order text is displayed in, or that show nothing: in a formula
# file they make what a reviewer reads differ from what kzf parses ("trojan source",
# CVE-2021-42574). Refused wherever they appear, comments and texts included.
_HIDDEN = {
    "\u200b": "zero-width space", "\u200c": "zero-width non-joiner",
    "\u200d": "zero-width joiner", "\u2060": "word joiner", "\ufeff": "zero-width no-break space",
    "\u00ad": "soft hyphen", "\u200e": "left-to-right mark", "\u200f": "right-to-left mark",
    "\u061c": "Arabic letter mark",
    "\u202a": "left-to-right embedding", "\u202b": "right-to-left embedding",
    "\u202c": "pop directional formatting", "\u202d": "left-to-right override",
    "\u202e": "right-to-left override", "\u2066": "left-to-right isolate",
    "\u2067": "right-to-left isolate", "\u2068": "first strong isolate",
    "\u2069": "pop directional isolate",
}  # fmt: skip
_HIDDEN_RE = re.compile("[" + "".join(_HIDDEN) + "]")


def _hidden_characters(source: str, path: str) -> list[Diagnostic]:
    """KZF005 for each invisible or direction-changing character (the first few)."""
    out: list[Diagnostic] = []
    for found in _HIDDEN_RE.finditer(source):
        if len(out) == 5:
            break
        start = found.start()
        line = source.count("\n", 0, start) + 1
        column = start - (source.rfind("\n", 0, start) + 1) + 1
        c = found.group()
        out.append(
            localised(
                "KZF005",
                "a {what} (U+{codepoint}): it is invisible or changes the order the "
                "text is shown in, so the file would read otherwise than kzf reads it",
                Span(path, line, column, line, column + 1),
                "delete it (in an editor that shows invisible characters)",
                what=_HIDDEN[c],
                codepoint=f"{ord(c):04X}",
            )
        )
    return out


def build_parser(*, cached: bool = False) -> Lark:
    """A new LALR parser of kzf's grammar, as the language reads it (start symbols
    `statement` and `expr`; names composed to NFC). Building one computes the LALR tables
    (`cached`: or reads them from the user's cache, `cache_file`), so `parse_module` keeps
    one per thread; tools that walk the grammar (the fuzzer's strategies) build their own."""
    return Lark(
        _GRAMMAR,
        parser="lalr",
        lexer="contextual",
        start=["statement", "expr"],
        propagate_positions=True,
        maybe_placeholders=True,
        cache=cache_file() if cached else False,
        lexer_callbacks={"NAME": _composed},
    )


def cache_file() -> str | bool:
    """Where Lark keeps kzf's LALR tables between runs, or False for none.

    Computing the tables takes about 0.1 s, more than the rest of `kzf check` together, so
    they are kept in the user's cache folder ($XDG_CACHE_HOME or ~/.cache, then kzf/), and
    Lark rebuilds them whenever the grammar, its options, Lark's version or Python's differ
    (it keys the file by their hash). The file is a pickle, and reading a pickle can run
    code, so it is used only in a folder this user owns and no one else may write to (made
    0700 here): never in a shared folder such as /tmp. Anything else (no home, another
    owner, a read-only disk) means no cache, and the parser is built as before."""
    if not hasattr(os, "getuid"):
        return False
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    if not os.path.isabs(base):
        return False
    folder = os.path.join(base, "kzf")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        for path in (folder, os.path.join(folder, _CACHE_NAME)):
            try:
                info = os.lstat(path)
            except FileNotFoundError:
                continue
            if (
                info.st_uid != os.getuid()
                or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
                or stat.S_ISLNK(info.st_mode)
            ):
                return False
    except OSError:
        return False
    return os.path.join(folder, _CACHE_NAME)


_CACHE_NAME = f"grammar-py{sys.version_info[0]}{sys.version_info[1]}.lark-cache"


def _lark() -> Lark:
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = build_parser(cached=True)
        _local.parser = parser
    return parser


# Friendly names for the terminals Lark reports in "expected ..." lists.
_TERMINAL_NAMES = {
    "NAME": "a name",
    "NUMBER": "a number",
    "STRING": "a quoted text",
    "LPAR": "'('",
    "RPAR": "')'",
    "COMMA": "','",
    "EQUAL": "'='",
    "COMP_OP": "a comparison",
    "ADD_OP": "'+' or '-'",
    "MUL_OP": "'*' or '/'",
    "MINUS": "'-'",
    "PLUS": "'+'",
    "CIRCUMFLEX": "'^'",
    "LSQB": "'['",
    "RSQB": "']'",
    "COLON": "':'",
    "UNIT_WORD": "a unit",
    "UNIT_OP": "'/' or '*'",
    "PERCENT": "'%'",
    "LANG": "a language code such as kk, ru or en",
    "INT": "a whole number",
    "ROUND_MODE": "round or trunc",
    "SEVERITY": "error, warning or info",
    "$END": "the end of the statement",
    "TILDE": "'~'",
    "DOT": "'.'",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
}


# Characters that word processors substitute for the ASCII ones the language uses.
_CONFUSABLES = {
    "\u2010": ("-", "a hyphen"),
    "\u2011": ("-", "a non-breaking hyphen"),
    "\u2012": ("-", "a figure dash"),
    "\u2013": ("-", "an en dash"),
    "\u2014": ("-", "an em dash"),
    "\u2212": ("-", "the minus sign"),
    "\u00d7": ("*", "the multiplication sign"),
    "\u00f7": ("/", "the division sign"),
    "\u201c": ('"', "a curly quote"),
    "\u201d": ('"', "a curly quote"),
    "\u00ab": ('"', "a guillemet"),
    "\u00bb": ('"', "a guillemet"),
    "\u2264": ("<=", "the less-or-equal sign"),
    "\u2265": (">=", "the greater-or-equal sign"),
    "\u2260": ("!=", "the not-equal sign"),
}


class _Positions:
    """Turns Lark positions, relative to one statement, into spans in the whole file."""

    def __init__(self, path: str, chunk: Chunk):
        self.path = path
        self.chunk = chunk

    def span(self, line: int, column: int, end_line: int, end_column: int) -> Span:
        base = self.chunk.line - 1
        return Span(self.path, line + base, column, end_line + base, end_column)

    def of_meta(self, meta: Any) -> Span:
        return self.span(meta.line, meta.column, meta.end_line, meta.end_column)

    def of_token(self, tok: Token) -> Span:
        assert tok.line is not None and tok.column is not None
        end_line = tok.end_line if tok.end_line is not None else tok.line
        end_col = tok.end_column if tok.end_column is not None else tok.column + len(tok)
        return self.span(tok.line, tok.column, end_line, end_col)


class _HugeNumber(Exception):
    def __init__(self, token: Token):
        self.token = token


def _bound_name(token: Token, span: Span) -> str:
    """The name a data file gives a column or an indicator (`"SP.POP.TOTL"`), as headers are
    read: without surrounding spaces."""
    text = _unquote(token).strip()
    if not text:
        raise _Refused(error("KZF002", "the name a column is bound to cannot be empty", span))
    return text


class _Refused(Exception):
    """A statement that parses but says something the language does not allow."""

    def __init__(self, diagnostic: Diagnostic):
        self.diagnostic = diagnostic


def _finite(tok: Token) -> float:
    """A literal as float64; one too large for float64 is an error, not an infinity."""
    value = float(tok)
    if value in (float("inf"), float("-inf")) or len(tok) > 400:
        raise _HugeNumber(tok)
    return value


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def _unquote(tok: Token) -> str:
    body = str(tok)[1:-1]
    out, i = [], 0
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            out.append(escapes.get(body[i + 1], body[i + 1]))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


@v_args(meta=True)
class _ToAst(Transformer[Token, Any]):
    """Parse tree → AST nodes, with every position shifted into file coordinates."""

    def __init__(self, positions: _Positions):
        super().__init__()
        self._positions = positions

    # ---- helpers
    def _s(self, meta: Any) -> Span:
        return self._positions.of_meta(meta)

    def _t(self, tok: Token) -> Span:
        return self._positions.of_token(tok)

    # ---- expressions
    def number(self, meta: Any, children: list[Token]) -> ast.Number:
        return ast.Number(_finite(children[0]), self._t(children[0]))

    def string(self, meta: Any, children: list[Token]) -> ast.String:
        return ast.String(_unquote(children[0]), self._t(children[0]))

    def name(self, meta: Any, children: list[Token]) -> ast.Name:
        return ast.Name(str(children[0]), self._t(children[0]))

    def neg(self, meta: Any, children: list[Any]) -> ast.Unary:
        return ast.Unary("-", children[0], self._s(meta))

    def plus(self, meta: Any, children: list[Any]) -> ast.Unary:
        return ast.Unary("+", children[0], self._s(meta))

    def not_(self, meta: Any, children: list[Any]) -> ast.Unary:
        return ast.Unary("not", children[0], self._s(meta))

    def binary(self, meta: Any, children: list[Any]) -> ast.Binary:
        left, op, right = children
        return ast.Binary(str(op), left, right, self._s(meta), self._t(op))

    def compare(self, meta: Any, children: list[Any]) -> ast.Binary:
        left, op, right = children
        symbol = "=" if str(op) == "==" else str(op)
        return ast.Binary(symbol, left, right, self._s(meta), self._t(op))

    def pow(self, meta: Any, children: list[Any]) -> ast.Binary:
        left, right = children
        return ast.Binary("^", left, right, self._s(meta), self._s(meta))

    def _logical(self, op: str, meta: Any, children: list[Any]) -> ast.Expr:
        result: ast.Expr = children[0]
        for nxt in children[1:]:
            span = Span(
                result.span.path,
                result.span.line,
                result.span.column,
                nxt.span.end_line,
                nxt.span.end_column,
            )
            result = ast.Binary(op, result, nxt, span, span)
        return result

    def or_(self, meta: Any, children: list[Any]) -> ast.Expr:
        return self._logical("or", meta, children)

    def and_(self, meta: Any, children: list[Any]) -> ast.Expr:
        return self._logical("and", meta, children)

    def between(self, meta: Any, children: list[Any]) -> ast.Between:
        operand, low, high = children
        return ast.Between(operand, low, high, self._s(meta))

    def call(self, meta: Any, children: list[Any]) -> ast.Call:
        func, args, over, where = children
        return ast.Call(
            str(func),
            tuple(args or ()),
            over,
            where,
            self._s(meta),
            self._t(func),
        )

    def arguments(self, meta: Any, children: list[Any]) -> list[Any]:
        return list(children)

    def over_clause(self, meta: Any, children: list[Token]) -> ast.Name:
        return ast.Name(str(children[0]), self._t(children[0]))

    def where_clause(self, meta: Any, children: list[Any]) -> Any:
        return children[0]

    def signed_number(self, meta: Any, children: list[Token]) -> float:
        return _finite(children[0])

    def negative_number(self, meta: Any, children: list[Token]) -> float:
        return -_finite(children[0])

    # ---- statements
    def title(self, meta: Any, children: list[Token]) -> ast.Title:
        return ast.Title(_unquote(children[0]), self._s(meta))

    def source(self, meta: Any, children: list[Token]) -> ast.Source:
        return ast.Source(_unquote(children[0]), self._s(meta))

    def dims(
        self, meta: Any, children: list[tuple[ast.Name, str | None, Token | None]]
    ) -> ast.Dims:
        names = tuple(name for name, _, _ in children)
        sources = tuple((name.id, source) for name, source, _ in children if source is not None)
        marked = [(name, role) for name, _, role in children if role is not None]
        for name, role in marked:
            if str(role) != "time":
                raise _Refused(
                    localised(
                        "KZF002",
                        "'{name} : {role}': the only mark a dimension takes is "
                        "`: time` (dims {name} : time)",
                        self._t(role),
                        name=name.id,
                        role=role,
                    )
                )
        if len(marked) > 1:
            raise _Refused(
                error("KZF002", "only one dimension can be marked `: time`", self._t(marked[1][1]))
            )
        return ast.Dims(names, self._s(meta), marked[0][0] if marked else None, sources)

    def dim_item(self, meta: Any, children: list[Any]) -> tuple[ast.Name, str | None, Token | None]:
        name, bound, role = children
        assert name is not None and not isinstance(bound, Token)
        return ast.Name(str(name), self._t(name)), bound, role

    def data_decl(self, meta: Any, children: list[Token]) -> ast.DataDecl:
        return ast.DataDecl(_unquote(children[0]), self._s(meta))

    def import_stmt(self, meta: Any, children: list[Token]) -> ast.Import:
        return ast.Import(_unquote(children[0]), self._s(meta))

    def framework_stmt(self, meta: Any, children: list[Any]) -> ast.Framework:
        path, over, *options = children
        seen: set[str] = set()
        for key, _, span in options:
            if key not in FRAMEWORK_OPTIONS:
                allowed = ", ".join(FRAMEWORK_OPTIONS)
                raise _Refused(
                    localised(
                        "KZF029",
                        "unknown framework option '{key}'; use {allowed}",
                        span,
                        key=key,
                        allowed=allowed,
                    )
                )
            if key in seen:
                raise _Refused(
                    localised("KZF029", "framework option '{key}' is given twice", span, key=key)
                )
            seen.add(key)
        defaults = tuple((key, method) for key, method, _ in options)
        return ast.Framework(_unquote(path), str(over), defaults, self._s(meta))

    def framework_option(self, meta: Any, children: list[Any]) -> tuple[str, str, Span]:
        key, method, *args = children
        written = str(method)
        if args != [None]:
            shown = [_fmt(a) if isinstance(a, float) else str(a) for a in args]
            written += "(" + ", ".join(shown) + ")"
        return str(key), written, self._s(meta)

    def framework_number(self, meta: Any, children: list[Any]) -> tuple[str, str, Span]:
        key, token = children
        value = _finite(token)
        if str(key) == "screen" and not 0 < value <= 1:
            raise _Refused(
                localised(
                    "KZF029",
                    "screen {value}: the least share of indicators is above 0 and at most 1",
                    self._s(meta),
                    value=_fmt(value),
                )
            )
        return str(key), _fmt(value), self._s(meta)

    def unit(self, meta: Any, children: list[Any]) -> str:
        return " ".join(str(c) for c in children).replace(" / ", "/").replace(" * ", "*")

    def unit_factor(self, meta: Any, children: list[Any]) -> str:
        if (
            len(children) == 1
            and isinstance(children[0], str)
            and not isinstance(children[0], Token)
        ):
            return f"({children[0]})"
        return " ".join(str(c) for c in children)

    def input_item(self, meta: Any, children: list[Any]) -> ast.InputDecl:
        name, bound, unit, domain, *level = children
        if domain is not None and level and level[0] is not None:
            domain = dataclasses.replace(domain, severity=str(level[0]))
        return ast.InputDecl(str(name), unit, self._t(name), domain, bound)

    def binding(self, meta: Any, children: list[Token]) -> str:
        op, source = children
        if str(op) != "=":
            raise _Refused(
                localised(
                    "KZF002", 'a binding is written `= "name"`, not `{op}`', self._t(op), op=op
                )
            )
        return _bound_name(source, self._t(source))

    def binding_equal(self, meta: Any, children: list[Token]) -> str:
        return self.binding(meta, [Token("COMP_OP", "="), children[0]])

    def domain_bound(self, meta: Any, children: list[Any]) -> ast.Domain:
        op, value = str(children[0]), children[1]
        low = value if op in (">", ">=") else None
        high = value if op in ("<", "<=") else None
        # `=`/`==` are kept (as an empty domain) so that the resolver can report them
        nonzero = op == "!=" and value == 0
        return ast.Domain(
            low, high, op == ">", op == "<", nonzero, f"{op} {_fmt(value)}", self._s(meta)
        )

    def domain_equal(self, meta: Any, children: list[Any]) -> ast.Domain:
        """`input a : % = 0`: after a unit the lexer reads `=` as the assignment sign, not
        a comparison; kept, like `input a = 0`, for the resolver to report (KZF023)."""
        return self.domain_bound(meta, [Token("COMP_OP", "="), children[0]])

    def domain_range(self, meta: Any, children: list[Any]) -> ast.Domain:
        low, high = children
        return ast.Domain(
            low, high, False, False, False, f"in [{_fmt(low)}, {_fmt(high)}]", self._s(meta)
        )

    def input_decl(self, meta: Any, children: list[ast.InputDecl]) -> list[ast.InputDecl]:
        return list(children)

    def param_decl(self, meta: Any, children: list[Any]) -> ast.ParamDecl:
        name, unit, value = children
        if isinstance(value, Token):
            value = _unquote(value)
        return ast.ParamDecl(str(name), unit, value, self._s(meta))

    def vary_range(self, meta: Any, children: list[Any]) -> ast.Vary:
        name, low, high = children
        return ast.Vary(str(name), low, high, (), self._s(meta), self._t(name))

    def vary_choices(self, meta: Any, children: list[Any]) -> ast.Vary:
        name, *choices = children
        values = tuple(_unquote(c) if isinstance(c, Token) else c for c in choices)
        return ast.Vary(str(name), None, None, values, self._s(meta), self._t(name))

    def weighted(self, meta: Any, children: list[Any]) -> ast.Weighted:
        value, weight = children
        return ast.Weighted(value, weight, self._s(meta))

    def definition(self, meta: Any, children: list[Any]) -> ast.Definition:
        name, unit, expr = children
        return ast.Definition(str(name), expr, self._s(meta), self._t(name), unit)

    def assert_stmt(self, meta: Any, children: list[Any]) -> ast.Assert:
        return ast.Assert(children[0], self._s(meta))

    def rule_stmt(self, meta: Any, children: list[Any]) -> list[ast.Statement]:
        name, expr, severity, code, message = children
        span, name_span = self._s(meta), self._t(name)
        return [
            ast.Definition(str(name), expr, span, name_span),
            ast.Rule(
                str(name),
                str(severity) if severity is not None else "error",
                _unquote(code) if code is not None else None,
                _unquote(message) if message is not None else None,
                span,
                name_span,
            ),
        ]

    def hierarchy_stmt(self, meta: Any, children: list[Any]) -> ast.Hierarchy:
        name, over, rules = children
        return ast.Hierarchy(
            str(name), str(over), tuple(rules), self._s(meta), self._t(name), self._t(over)
        )

    def hierarchy_rules(self, meta: Any, children: list[Any]) -> list[ast.HierarchyRule]:
        return [c for c in children if isinstance(c, ast.HierarchyRule)]

    def hierarchy_rule(self, meta: Any, children: list[Any]) -> ast.HierarchyRule:
        parent, *members = children
        return ast.HierarchyRule(parent, tuple(members), self._s(meta))

    def hierarchy_code(self, meta: Any, children: list[Token]) -> str:
        code = children[0]
        return _unquote(code) if code.type == "STRING" else str(code)

    def allow_stmt(self, meta: Any, children: list[Any]) -> ast.Allow:
        code, name, reason = children
        return ast.Allow(
            str(code), str(name) if name is not None else None, _unquote(reason), self._s(meta)
        )

    def func_def(self, meta: Any, children: list[Any]) -> ast.FunctionDef:
        name, *params, expr = children
        names = tuple(ast.Name(str(p), self._t(p)) for p in params if p is not None)
        return ast.FunctionDef(str(name), names, expr, self._s(meta), self._t(name))

    def label_stmt(self, meta: Any, children: list[Token]) -> ast.Label:
        name, *rest = children
        pairs = tuple((str(rest[i]), _unquote(rest[i + 1])) for i in range(0, len(rest), 2))
        return ast.Label(str(name), pairs, self._s(meta))

    def expect_key(self, meta: Any, children: list[Any]) -> tuple[str | float, ...]:
        return tuple(children)

    def key_part(self, meta: Any, children: list[Any]) -> str | float:
        part = children[0]
        if isinstance(part, Token):
            return _unquote(part) if part.type == "STRING" else str(part)
        return float(part)

    def rounding(self, meta: Any, children: list[Token]) -> tuple[str, int]:
        return (str(children[0]), int(children[1]))

    def tolerance(self, meta: Any, children: list[float]) -> float:
        return children[0]

    def erratum(self, meta: Any, children: list[Token]) -> str:
        return _unquote(children[0])

    def derived(self, meta: Any, children: list[Token]) -> tuple[str, str]:
        return ("derived", _unquote(children[0]))

    def unreproducible(self, meta: Any, children: list[Token]) -> tuple[str, str]:
        return ("unreproducible", _unquote(children[0]))

    def expect_stmt(self, meta: Any, children: list[Any]) -> ast.Expect:
        name, key, value, rounding, tol, erratum, origin = children
        return ast.Expect(
            str(name),
            tuple(key or ()),
            value,
            rounding,
            tol,
            erratum,
            self._s(meta),
            self._t(name),
            origin=origin[0] if origin else "published",
            origin_note=origin[1] if origin else None,
        )

    # ---- models and forecasts (docs/models.md)
    def expect_table_stmt(self, meta: Any, children: list[Any]) -> ast.Expect:
        model, table, key, column, value, rounding, tol, erratum, origin = children
        first, last = self._t(model), self._t(table)
        name_span = Span(first.path, first.line, first.column, last.end_line, last.end_column)
        return ast.Expect(
            f"{model}.{table}",
            tuple(key or ()),
            value,
            rounding,
            tol,
            erratum,
            self._s(meta),
            name_span,
            column=str(column),
            origin=origin[0] if origin else "published",
            origin_note=origin[1] if origin else None,
        )

    def option_setting(self, meta: Any, children: list[Any]) -> tuple[str, float]:
        return (str(children[0]), children[1])

    def option_settings(self, meta: Any, children: list[Any]) -> tuple[tuple[str, float], ...]:
        return tuple(children)

    def model_option(self, meta: Any, children: list[Any]) -> ast.ModelOption:
        name, value = children
        settings: tuple[tuple[str, float], ...] = ()
        if isinstance(value, tuple):
            settings, value = value, None
        elif isinstance(value, Token):
            value = str(value)
        return ast.ModelOption(str(name), value, settings, self._s(meta))

    def substitution(self, meta: Any, children: list[Token]) -> tuple[ast.Name, ast.Name]:
        return (
            ast.Name(str(children[0]), self._t(children[0])),
            ast.Name(str(children[1]), self._t(children[1])),
        )

    def model_stmt(self, meta: Any, children: list[Any]) -> ast.Model:
        name, function, dependent, *rest = children
        where = rest.pop()
        terms = tuple(t for t in rest if isinstance(t, ast.ModelTerm))
        options = tuple(o for o in rest if isinstance(o, ast.ModelOption))
        return ast.Model(
            str(name),
            ast.Name(str(function), self._t(function)),
            ast.Name(str(dependent), self._t(dependent)),
            terms,
            options,
            where,
            self._s(meta),
            self._t(name),
        )

    def term_name(self, meta: Any, children: list[Any]) -> ast.ModelTerm:
        (base,) = children
        return ast.ModelTerm(ast.Name(str(base), self._t(base)), None, None, self._s(meta))

    def term_power(self, meta: Any, children: list[Any]) -> ast.ModelTerm:
        base, power = children
        return ast.ModelTerm(ast.Name(str(base), self._t(base)), None, int(power), self._s(meta))

    def term_call(self, meta: Any, children: list[Any]) -> ast.ModelTerm:
        function, base, degree = children
        return ast.ModelTerm(
            ast.Name(str(base), self._t(base)),
            ast.Name(str(function), self._t(function)),
            None if degree is None else int(degree),
            self._s(meta),
        )

    def forecast_stmt(self, meta: Any, children: list[Any]) -> ast.Forecast:
        name, model, start, end, *rest = children
        return ast.Forecast(
            str(name),
            ast.Name(str(model), self._t(model)),
            None if start is None else int(start),
            int(end),
            tuple(r for r in rest if isinstance(r, tuple)),
            tuple(r for r in rest if isinstance(r, ast.ModelOption)),
            self._s(meta),
            self._t(name),
        )


def _syntax_diagnostic(exc: UnexpectedInput, pos: _Positions, text: str) -> Diagnostic:
    line = exc.line if isinstance(exc.line, int) and exc.line > 0 else 1
    column = exc.column if isinstance(exc.column, int) and exc.column > 0 else 1
    if isinstance(exc, UnexpectedCharacters):
        at = exc.pos_in_stream or 0
        char = text[at] if at < len(text) else ""
        shown = repr(char) if char.isprintable() and char else f"U+{ord(char):04X}" if char else ""
        if char == '"':
            return error(
                "KZF001",
                'a text is not closed: the closing " is missing on this line',
                pos.span(line, column, line, column + 1),
            )
        span = pos.span(line, column, line, column + 1)
        if char in _CONFUSABLES:
            ascii_char, name = _CONFUSABLES[char]
            return localised(
                "KZF001",
                "unexpected character {char} ({name}); write the plain '{plain}'",
                span,
                char=shown,
                name=name,
                plain=ascii_char,
            )
        return localised("KZF001", "unexpected character {char}", span, char=shown)
    if isinstance(exc, UnexpectedEOF) or (
        isinstance(exc, UnexpectedToken) and exc.token.type == "$END"
    ):
        expected = getattr(exc, "expected", None) or getattr(exc, "accepts", None) or set()
        body = text.rstrip()  # point just after the last character written
        last_line = body.count("\n") + 1
        last_col = len(body.rsplit("\n", 1)[-1]) + 1
        return localised(
            "KZF002",
            "the statement ends too early; expected {expected}",
            pos.span(last_line, last_col, last_line, last_col + 1),
            expected=_describe(expected),
        )
    assert isinstance(exc, UnexpectedToken)
    tok = exc.token
    expected = exc.accepts or exc.expected
    width = max(len(str(tok)), 1)
    at = tok.start_pos or 0
    where = pos.span(line, column, line, column + width)
    if str(tok) == "*" and at > 0 and text[at - 1] == "*":
        return localised(
            "KZF002",
            "unexpected {token}; expected {expected}",
            where,
            "powers are written with ^, as in x^2",
            token=repr(str(tok)),
            expected=_describe(expected),
        )
    return localised(
        "KZF002",
        "unexpected {token}; expected {expected}",
        where,
        token=repr(str(tok)),
        expected=_describe(expected),
    )


def _describe(expected: Any) -> str:
    names = sorted({_TERMINAL_NAMES.get(t, _keyword(t)) for t in expected})
    if not names:
        return "something else"
    if len(names) > 6:
        return ", ".join(names[:6]) + ", …"
    return " or ".join(names) if len(names) <= 2 else ", ".join(names[:-1]) + " or " + names[-1]


def _keyword(terminal: str) -> str:
    # Anonymous keyword terminals are named by Lark after their text, e.g. "OVER".
    return f"'{terminal.lower()}'" if terminal.isalpha() else terminal


def _check_nesting(text: str, pos: _Positions) -> Diagnostic | None:
    depth = 0
    for i, c in enumerate(text):
        if c in "([":
            depth += 1
            if depth > MAX_NESTING:
                line = text.count("\n", 0, i) + 1
                col = i - (text.rfind("\n", 0, i) + 1) + 1
                return localised(
                    "KZF004",
                    "brackets nested more than {limit} deep",
                    pos.span(line, col, line, col + 1),
                    limit=MAX_NESTING,
                )
        elif c in ")]":
            depth -= 1
    return None


class _WholeRow(_Positions):
    """Positions of a statement made from a row of a table (dsl/framework.py): every span is
    the row's, so that a message about what the row declares points at the row."""

    def __init__(self, row: Span):
        super().__init__(row.path, Chunk("", 0, row.line))
        self.row = row

    def span(self, line: int, column: int, end_line: int, end_column: int) -> Span:
        return self.row


def parse_generated(
    statements: list[tuple[str, Span, bool]],
) -> tuple[list[ast.Statement], list[Diagnostic]]:
    """Parse statements written by kzf for the rows of a table (dsl/framework.py), each given
    with the line it stands on and whether its positions are its own (it is that line's text)
    or the whole line's: the statements, and the syntax errors of any that do not parse."""
    parser = _lark()
    parsed: list[ast.Statement] = []
    diagnostics: list[Diagnostic] = []
    for text, row, own in statements:
        pos = _Positions(row.path, Chunk(text, 0, row.line)) if own else _WholeRow(row)
        try:
            node = _transform(parser.parse(text, start="statement"), pos)
        except UnexpectedInput as exc:
            diagnostics.append(_syntax_diagnostic(exc, pos, text))
            continue
        except _Refused as exc:
            diagnostics.append(exc.diagnostic)
            continue
        parsed.extend(node if isinstance(node, list) else [node])
    return parsed, diagnostics


def parse_module(source: str, path: str = "<string>") -> ast.Module:
    """Parse a whole file. Raises ProgramError with every syntax error found."""
    if len(source) > MAX_SOURCE_BYTES:
        raise ProgramError(
            [
                localised(
                    "KZF004",
                    "{path}: file larger than {limit} characters",
                    path=path,
                    limit=MAX_SOURCE_BYTES,
                )
            ]
        )
    if "\x00" in source:
        line = source.count("\n", 0, source.index("\x00")) + 1
        raise ProgramError(
            [error("KZF003", "the file contains a NUL byte", Span(path, line, 1, line, 2))],
            {path: source},
        )
    hidden = _hidden_characters(source, path)
    if hidden:
        raise ProgramError(hidden, {path: source})
    chunks, unclosed = split_statements(source)
    diagnostics: list[Diagnostic] = []
    statements: list[ast.Statement] = []
    closing = {"(": ")", "[": "]"}
    unclosed_lines = {u.line for u in unclosed}
    for u in unclosed:
        diagnostics.append(
            localised(
                "KZF002",
                "'{char}' is never closed; expected '{closing}'",
                Span(path, u.line, u.column, u.line, u.column + 1),
                char=u.char,
                closing=closing[u.char],
            )
        )
    parser = _lark()
    for chunk in chunks:
        pos = _Positions(path, chunk)
        too_deep = _check_nesting(chunk.text, pos)
        if too_deep:
            diagnostics.append(too_deep)
            continue
        try:
            tree = parser.parse(chunk.text, start="statement")
            node = _transform(tree, pos)
        except UnexpectedInput as exc:
            diag = _syntax_diagnostic(exc, pos, chunk.text)
            if not (diag.span and diag.span.line in unclosed_lines and "too early" in diag.message):
                diagnostics.append(diag)
            continue
        except (RecursionError, _TooDeep):
            diagnostics.append(_too_deep(pos))
            continue
        except _HugeNumber as exc:
            diagnostics.append(_huge(pos, exc.token))
            continue
        except _Refused as exc:
            diagnostics.append(exc.diagnostic)
            continue
        if isinstance(node, list):
            statements.extend(node)
        else:
            statements.append(node)
    if diagnostics:
        diagnostics.sort(key=lambda d: (d.span.line, d.span.column) if d.span else (0, 0))
        raise ProgramError(diagnostics, {path: source})
    return ast.Module(path, source, tuple(statements))


def parse_expression(text: str, path: str = "<expression>") -> ast.Expr:
    """Parse a lone expression, as given to `kzf eval --where`."""
    chunk = Chunk(text, 0, 1)
    pos = _Positions(path, chunk)
    too_deep = _check_nesting(text, pos)
    if too_deep:
        raise ProgramError([too_deep], {path: text})
    try:
        tree = _lark().parse(text, start="expr")
        result: ast.Expr = _transform(tree, pos)
    except UnexpectedInput as exc:
        raise ProgramError([_syntax_diagnostic(exc, pos, text)], {path: text}) from None
    except (RecursionError, _TooDeep):
        raise ProgramError([_too_deep(pos)], {path: text}) from None
    except _HugeNumber as exc:
        raise ProgramError([_huge(pos, exc.token)], {path: text}) from None
    return result


class _TooDeep(Exception):
    pass


def _too_deep(pos: _Positions) -> Diagnostic:
    return localised(
        "KZF004",
        "the statement is nested more than {limit} levels deep; split it into definitions",
        pos.span(1, 1, 1, 2),
        limit=MAX_NESTING,
    )


def _huge(pos: _Positions, tok: Token) -> Diagnostic:
    return error(
        "KZF004",
        "number too large for float64 (about 1.8e308 at most)",
        pos.of_token(tok),
    )


def _tree_depth(tree: Tree[Token]) -> int:
    """Depth of a parse tree, measured without recursion (it may be very deep)."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((c, depth + 1) for c in node.children if isinstance(c, Tree))
    return deepest


def _transform(tree: Tree[Token] | Token, pos: _Positions) -> Any:
    if isinstance(tree, Token):  # a lone NAME or NUMBER inlined by `?atom`
        return _ToAst(pos).transform(Tree("name" if tree.type == "NAME" else "number", [tree]))
    # Long operator chains (a + a + ... + a) nest without brackets; the AST and every later
    # stage walk it recursively, so its depth is bounded here.
    if _tree_depth(tree) > MAX_NESTING:
        raise _TooDeep
    try:
        return _ToAst(pos).transform(tree)
    except VisitError as exc:  # Lark wraps what a callback raises
        raise exc.orig_exc from None
