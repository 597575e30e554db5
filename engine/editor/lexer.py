"""A Pygments lexer for .kzf files: `pygmentize -l kzf`, and .kzf blocks in docs built with
Sphinx or MkDocs (Pygments finds it through the `pygments.lexers` entry point kzf installs).

Its words come from the language itself: the statement keywords of dsl/kzf.lark and the
builtins of engine/core/builtins.py, so that a function added to kzf is highlighted without
touching this file. editors/vscode/syntaxes/kzf.tmLanguage.json is the same lexicon for
TextMate-grammar editors (VS Code, Sublime Text, GitHub), generated from this module by
`python -m kzf.engine.editor.lexer --textmate` so that the two cannot drift apart.
"""

from __future__ import annotations

import json
import sys

from pygments.lexer import RegexLexer, bygroups, words
from pygments.token import (
    Comment,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Text,
    Whitespace,
)

from kzf.engine.core.builtins import BUILTINS

# the words that begin a statement, or qualify one (docs/language.md's reserved words)
STATEMENTS = (
    "title", "source", "dims", "data", "input", "param", "import", "expect", "label",
    "model", "forecast", "assert", "allow", "vary", "rule", "hierarchy", "framework",
)  # fmt: skip
KEYWORDS = (
    "over", "where", "in", "and", "or", "not", "round", "trunc", "tol", "erratum", "derived",
    "unreproducible", "error", "warning", "info", "code", "time", "name",
)  # fmt: skip
NAME = r"[^\W\d][\w\u0300-\u036f]*"  # as dsl/kzf.lark's NAME (letters of any script)
NUMBER = r"(\d+(\.\d+)?|\.\d+)([eE][+-]?\d+)?"


class KzfLexer(RegexLexer):
    """Pygments lexer for the kzf formula language."""

    name = "kzf"
    aliases = ["kzf"]
    filenames = ["*.kzf"]
    mimetypes = ["text/x-kzf"]
    url = "https://pypi.org/project/kzf/"

    tokens = {
        "root": [
            (r"[ \t\f]+", Whitespace),
            (r"\\?\r?\n", Whitespace),
            (r"#.*?$", Comment.Single),
            (r'"([^"\\\n]|\\.)*"', String.Double),
            (words(STATEMENTS, prefix=r"^", suffix=r"\b"), Keyword.Declaration),
            (words(KEYWORDS, suffix=r"\b"), Keyword),
            (words(sorted(BUILTINS, key=len, reverse=True), suffix=r"(?=\s*\()"), Name.Builtin),
            (rf"({NAME})(\s*)(\()", bygroups(Name.Function, Whitespace, Punctuation)),
            (rf"({NAME})(\s*)(=)(?!=)", bygroups(Name.Variable, Whitespace, Operator)),
            (NAME, Name),
            (NUMBER, Number),
            (r"\.\.|<=|>=|==|!=|[-+*/^<>=~%]", Operator),
            (r"[()\[\]{},:.]", Punctuation),
            (r".", Text),
        ]
    }


def textmate_grammar() -> dict[str, object]:
    """The same lexicon as a TextMate grammar (the scopes editors' themes colour)."""
    builtins = "|".join(sorted(BUILTINS, key=len, reverse=True))
    return {
        "$schema": "https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json",
        "name": "kzf",
        "scopeName": "source.kzf",
        "fileTypes": ["kzf"],
        "patterns": [
            {"name": "comment.line.number-sign.kzf", "match": "#.*$"},
            {"name": "string.quoted.double.kzf", "match": r'"([^"\\]|\\.)*"'},
            {
                "name": "keyword.control.statement.kzf",
                "match": rf"^\s*({'|'.join(STATEMENTS)})\b",
            },
            {"name": "keyword.other.kzf", "match": rf"\b({'|'.join(KEYWORDS)})\b"},
            {"name": "support.function.builtin.kzf", "match": rf"\b({builtins})(?=\s*\()"},
            {
                "match": rf"^\s*({NAME})\s*(?=(:[^=]*)?=(?!=))",
                "captures": {"1": {"name": "entity.name.variable.kzf"}},
            },
            {"name": "entity.name.function.kzf", "match": rf"{NAME}(?=\s*\()"},
            {"name": "constant.numeric.kzf", "match": rf"\b{NUMBER}\b"},
            {"name": "keyword.operator.kzf", "match": r"\.\.|<=|>=|==|!=|[-+*/^<>=~]"},
        ],
    }


def main(argv: list[str] | None = None) -> int:
    """`python -m kzf.engine.editor.lexer --textmate`: print the TextMate grammar."""
    args = sys.argv[1:] if argv is None else argv
    if args != ["--textmate"]:
        print("usage: python -m kzf.engine.editor.lexer --textmate", file=sys.stderr)
        return 2
    print(json.dumps(textmate_grammar(), ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["KEYWORDS", "STATEMENTS", "KzfLexer", "textmate_grammar"]
