"""Highlighting (issue 20, item 2): the Pygments lexer and the VS Code extension's TextMate
grammar, on every .kzf file of the repository, and the extension built into a .vsix as
`vsce package` builds it for the Marketplace.

The TextMate grammar is tokenized by vscode-textmate with VS Code's Oniguruma regular
expressions (editors/vscode/test/tokenize.js), so what is checked is what VS Code shows.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.token import Comment, Error, Keyword, Name, String

from kzf.engine.editor.lexer import STATEMENTS, KzfLexer, textmate_grammar

ROOT = Path(__file__).resolve().parents[2]
EXTENSION = ROOT / "editors" / "vscode"
FILES = sorted(
    p
    for p in ROOT.rglob("*.kzf")
    if not any(
        part in (".venv", "node_modules", ".git") or part.startswith(".venv") for part in p.parts
    )
)


def test_every_kzf_file_of_the_repository_is_found() -> None:
    assert len(FILES) >= 30
    assert (
        ROOT / "indicators" / "asem.kzf" in FILES
        and ROOT / "dsl" / "std" / "composite.kzf" in FILES
    )


def test_pygments_finds_the_lexer_by_name_and_by_file_name() -> None:
    assert isinstance(get_lexer_by_name("kzf"), KzfLexer)  # the entry point kzf installs
    assert isinstance(get_lexer_for_filename("egdi.kzf"), KzfLexer)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_pygments_lexer_reads_every_file_without_an_error_token(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    tokens = list(KzfLexer().get_tokens(text))
    assert "".join(v for _, v in tokens) == text if text.endswith("\n") else True
    errors = [v for t, v in tokens if t in Error]
    assert errors == [], errors[:5]
    for line in text.splitlines():  # each statement's first word is a declaration keyword
        first = line.split(" ", 1)[0]
        if first in STATEMENTS:
            kinds = [t for t, v in KzfLexer().get_tokens(line) if v == first]
            assert kinds[0] in Keyword.Declaration, (line, kinds)


def test_the_lexer_tells_apart_comments_strings_builtins_and_definitions() -> None:
    line = 'egdi = amean(osi, tii) # the mean\nlabel egdi kk "Индекс"\n'
    kinds: dict[str, object] = {}
    for t, v in KzfLexer().get_tokens(line):
        kinds.setdefault(v, t)  # the first time each is written
    assert kinds["egdi"] in Name.Variable and kinds["amean"] in Name.Builtin
    assert kinds["# the mean"] in Comment and kinds['"Индекс"'] in String
    assert kinds["label"] in Keyword.Declaration


def test_the_extensions_grammar_is_the_one_the_lexer_generates() -> None:
    committed = json.loads(
        (EXTENSION / "syntaxes" / "kzf.tmLanguage.json").read_text(encoding="utf-8")
    )
    assert committed == textmate_grammar(), (
        "regenerate: python -m kzf.engine.editor.lexer --textmate > "
        "editors/vscode/syntaxes/kzf.tmLanguage.json"
    )


def _node_modules() -> None:
    """The extension's packages, as tests/setup_and_run.sh installs them."""
    if not (EXTENSION / "node_modules" / "vscode-textmate").is_dir():
        npm = shutil.which("npm")
        assert npm is not None, "npm is missing: run tests/setup_and_run.sh, which installs it"
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=EXTENSION, check=True
        )


def test_vscode_tokenizes_every_file_with_the_grammar() -> None:
    _node_modules()
    node = shutil.which("node")
    assert node is not None
    done = subprocess.run(
        [node, "test/tokenize.js", *map(str, FILES)],
        cwd=EXTENSION,
        capture_output=True,
        text=True,
        check=True,
    )
    tokens = json.loads(done.stdout)
    assert len(tokens) == len(FILES)
    for path in FILES:
        lines = path.read_text(encoding="utf-8").split("\n")
        found = tokens[str(path)]
        for text, line in zip(lines, found, strict=False):
            assert "".join(piece for piece, _ in line) == text  # every character tokenized
            first = text.split(" ", 1)[0]
            if first in STATEMENTS:
                assert "keyword.control.statement.kzf" in line[0][1], (path, text)
            if text.startswith("#"):
                assert line[0][1] == ["comment.line.number-sign.kzf"], (path, text)


def test_the_extension_packages_into_a_vsix(tmp_path: Path) -> None:
    _node_modules()
    out = tmp_path / "kzf.vsix"
    vsce = EXTENSION / "node_modules" / ".bin" / "vsce"
    subprocess.run(
        [str(vsce), "package", "--allow-missing-repository", "--out", str(out)],
        cwd=EXTENSION,
        check=True,
        capture_output=True,
    )
    with zipfile.ZipFile(out) as vsix:
        names = set(vsix.namelist())
        manifest = json.loads(vsix.read("extension/package.json"))
    assert {"extension/extension.js", "extension/syntaxes/kzf.tmLanguage.json"} <= names
    assert "extension/node_modules/vscode-languageclient/package.json" in names
    assert not any(n.startswith("extension/node_modules/@vscode/vsce/") for n in names)
    assert manifest["contributes"]["languages"][0]["extensions"] == [".kzf"]
    assert manifest["contributes"]["configuration"]["properties"]["kzf.command"]["default"] == [
        "kzf",
        "lsp",
    ]
    assert (
        sys.executable
    )  # the server it starts is this package's `kzf lsp` (tests/editor/test_language_server.py)
