"""What an editor asks of a .kzf file, answered from the same parser and checker as `kzf check`.

`analyse(text, path)` compiles the text as the file it is (its imports and its `data` found
relative to it), and indexes every name it declares and every place a name is written: the
language server (engine/editor/server.py) answers hover, go to definition, references,
rename and completion from that index, and publishes the checker's diagnostics. A file with
errors still gets its index (from the parse alone) so that an editor keeps helping while the
file is being written; a file that does not parse gets its syntax errors and nothing else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from kzf.dsl import ast
from kzf.dsl.diagnostics import Diagnostic, KzfError, Span
from kzf.dsl.modules import ModuleSet, load_modules
from kzf.engine.api.program import Program
from kzf.engine.api.program import compile as compile_program  # kzf's, not the builtin
from kzf.engine.core.builtins import BUILTINS

_WORD = re.compile(r"[^\W\d]\w*")


@dataclass(frozen=True)
class Symbol:
    """A name the file (or one it imports) declares."""

    name: str
    kind: str  # "definition", "input", "param", "function", "dimension"
    span: Span  # where it is declared: the name itself
    detail: str  # the declaration as written (one line)


@dataclass
class Analysis:
    path: str
    diagnostics: list[Diagnostic]
    sources: dict[str, str]
    symbols: dict[str, Symbol] = field(default_factory=dict)
    occurrences: list[tuple[str, Span]] = field(default_factory=list)  # every name written
    program: Program | None = None  # None: the file has errors

    def name_at(self, path: str, line: int, column: int) -> tuple[str, Span] | None:
        """The name written at (line, column) of `path` (1-based, as kzf's spans)."""
        for name, span in self.occurrences:
            if span.path == path and span.line == line and span.column <= column < span.end_column:
                return name, span
        return None

    def references(self, name: str) -> list[Span]:
        return [span for found, span in self.occurrences if found == name]


def analyse(text: str, path: str) -> Analysis:
    """Check `text` as the file `path`, and index its names."""
    base = str(Path(path).parent)
    sources = {path: text}
    try:
        modules = load_modules(text, path, base_dir=base)
    except KzfError as exc:
        return Analysis(path, list(exc.diagnostics), {**sources, **exc.sources})
    analysis = Analysis(path, [], {**modules.sources, **sources})
    _index(analysis, modules)
    try:
        program = compile_program(text, path=path, base_dir=base)
    except KzfError as exc:
        analysis.diagnostics = list(exc.diagnostics)
        analysis.sources.update(exc.sources)
        return analysis
    analysis.program = program
    analysis.diagnostics = list(program.diagnostics)
    return analysis


def _line(sources: dict[str, str], span: Span) -> str:
    lines = sources.get(span.path, "").splitlines()
    return lines[span.line - 1].strip() if 1 <= span.line <= len(lines) else ""


def _name_in(sources: dict[str, str], span: Span, name: str) -> Span:
    """The span of `name` as written inside a statement's span (an input or a param, whose
    statements do not keep their names' own positions)."""
    lines = sources.get(span.path, "").splitlines()
    if not 1 <= span.line <= len(lines):
        return span
    text = lines[span.line - 1]
    for found in _WORD.finditer(text, max(span.column - 1, 0)):
        if found.group(0) == name:
            start = found.start() + 1
            return Span(span.path, span.line, start, span.line, start + len(name))
    return span


def _index(analysis: Analysis, modules: ModuleSet) -> None:
    sources = analysis.sources
    symbols, seen = analysis.symbols, analysis.occurrences

    def declare(name: str, kind: str, span: Span, statement: Span) -> None:
        symbols.setdefault(name, Symbol(name, kind, span, _line(sources, statement)))
        seen.append((name, span))

    def expression(e: ast.Expr) -> None:
        for node in ast.walk(e):
            if isinstance(node, ast.Name):
                seen.append((node.id, node.span))
            elif isinstance(node, ast.Call):
                seen.append((node.func, node.func_span))
                if node.over is not None:
                    seen.append((node.over.id, node.over.span))

    for module in modules.modules:
        for stmt in module.statements:
            if isinstance(stmt, ast.Dims):
                for n in stmt.names:
                    declare(n.id, "dimension", n.span, stmt.span)
            elif isinstance(stmt, ast.InputDecl):
                declare(stmt.name, "input", _name_in(sources, stmt.span, stmt.name), stmt.span)
            elif isinstance(stmt, ast.ParamDecl):
                declare(stmt.name, "param", _name_in(sources, stmt.span, stmt.name), stmt.span)
            elif isinstance(stmt, ast.Definition):
                declare(stmt.name, "definition", stmt.name_span, stmt.span)
                expression(stmt.expr)
            elif isinstance(stmt, ast.FunctionDef):
                declare(stmt.name, "function", stmt.name_span, stmt.span)
                expression(stmt.expr)
            elif isinstance(stmt, ast.Expect | ast.Vary):
                seen.append((stmt.name, stmt.name_span))
            elif isinstance(stmt, ast.Label):
                seen.append((stmt.name, _name_in(sources, stmt.span, stmt.name)))
            elif isinstance(stmt, ast.Assert):
                expression(stmt.expr)


def builtin_names() -> list[str]:
    return sorted(BUILTINS)


__all__ = ["Analysis", "Symbol", "analyse", "builtin_names"]
