"""`kzf lsp`: a language server for .kzf files (the Language Server Protocol, over stdio).

An editor that speaks LSP (VS Code with editors/vscode, Neovim, Emacs, Helix, ...) starts
`kzf lsp` and gets, as the file is edited: the diagnostics of `kzf check` (errors, warnings,
notes, with their codes and positions); hover on a name (what it is, its unit and domain, its
formula as written and as LaTeX, and when the file declares data, its first values); go to
definition (across imports); find references; rename; completion of the file's names, the
builtins, the dimensions and the declared data's columns. Built on pygls (the LSP
implementation of the Open Law Library, also behind other Python language servers), which
does the protocol; this module only answers from engine/editor/symbols.py.

Positions: LSP counts lines from 0 and characters in UTF-16 code units; kzf counts both from 1
and characters in code points. `_to_lsp` and `_from_lsp` convert, so that a name after an
emoji or another character beyond the BMP is still found.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Sequence
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from kzf.dsl import messages
from kzf.dsl.diagnostics import Severity, Span
from kzf.dsl.modules import file_of
from kzf.engine.core.builtins import BUILTINS
from kzf.engine.editor.symbols import Analysis, Symbol, analyse
from kzf.version import __version__

_SEVERITY = {
    Severity.ERROR: lsp.DiagnosticSeverity.Error,
    Severity.WARNING: lsp.DiagnosticSeverity.Warning,
    Severity.NOTE: lsp.DiagnosticSeverity.Information,
}
_KIND = {
    "definition": lsp.CompletionItemKind.Variable,
    "input": lsp.CompletionItemKind.Field,
    "param": lsp.CompletionItemKind.Constant,
    "function": lsp.CompletionItemKind.Function,
    "dimension": lsp.CompletionItemKind.Enum,
}
PREVIEW_ROWS = 5


class KzfLanguageServer(LanguageServer):
    """The server, with each open document's analysis kept for the requests that follow."""

    def __init__(self) -> None:
        super().__init__("kzf", __version__)
        self.analyses: dict[str, tuple[str, Analysis]] = {}  # uri: (text's hash, analysis)
        self.previews: dict[tuple[str, str], dict[str, list[str]]] = {}

    def analysis(self, uri: str) -> Analysis:
        text = self.workspace.get_text_document(uri).source
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        kept = self.analyses.get(uri)
        if kept is None or kept[0] != digest:
            kept = (digest, analyse(text, _path(uri)))
            self.analyses[uri] = kept
        return kept[1]


def _path(uri: str) -> str:
    return to_fs_path(uri) or uri


def _uri(path: str) -> str:
    return from_fs_path(str(file_of(path).resolve())) or path


def _utf16(text: str, points: int) -> int:
    """The UTF-16 offset of the first `points` code points of `text`."""
    return sum(2 if ord(c) > 0xFFFF else 1 for c in text[:points])


def _points(text: str, units: int) -> int:
    count = 0
    for i, c in enumerate(text):
        if count >= units:
            return i
        count += 2 if ord(c) > 0xFFFF else 1
    return len(text)


def _lines(analysis: Analysis, path: str) -> list[str]:
    return analysis.sources.get(path, "").splitlines()


def _to_lsp(analysis: Analysis, span: Span) -> lsp.Range:
    lines = _lines(analysis, span.path)

    def position(line: int, column: int) -> lsp.Position:
        text = lines[line - 1] if 1 <= line <= len(lines) else ""
        return lsp.Position(line=max(line - 1, 0), character=_utf16(text, max(column - 1, 0)))

    return lsp.Range(
        start=position(span.line, span.column), end=position(span.end_line, span.end_column)
    )


def _from_lsp(analysis: Analysis, path: str, at: lsp.Position) -> tuple[int, int]:
    lines = _lines(analysis, path)
    text = lines[at.line] if 0 <= at.line < len(lines) else ""
    return at.line + 1, _points(text, at.character) + 1


def lsp_diagnostics(analysis: Analysis) -> list[lsp.Diagnostic]:
    """The checker's diagnostics of the file, as LSP's: those of other files (an import, a
    framework table) at the top of this one, naming where they are. In the language the
    editor asked for at `initialize` (its `locale`), else the command line's (KZF_LANG, the
    locale), as `kzf check` says them."""
    out = []
    said = messages.NOTE_WORD.get(messages.language(), "note")
    for d in analysis.diagnostics:
        here = d.span is not None and Path(d.span.path).resolve() == Path(analysis.path).resolve()
        message = d.text() if here or d.span is None else f"{d.span}: {d.text()}"
        message += "".join(f"\n{said}: {n}" for n in d.note_texts())
        where = (
            _to_lsp(analysis, d.span)
            if here and d.span is not None
            else lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(0, 0))
        )
        out.append(
            lsp.Diagnostic(
                range=where,
                message=message,
                severity=_SEVERITY[d.severity],
                code=d.code,
                source="kzf",
            )
        )
    return out


def _hover_text(server: KzfLanguageServer, analysis: Analysis, name: str) -> str | None:
    symbol = analysis.symbols.get(name)
    if symbol is None:
        builtin = BUILTINS.get(name)
        return f"**{name}** (builtin)\n\n{builtin.summary}" if builtin is not None else None
    parts = [f"**{name}** ({symbol.kind})", f"```kzf\n{symbol.detail}\n```"]
    program = analysis.program
    if program is not None:
        checked = program.checked
        if symbol.kind == "definition" and name in checked.definitions:
            from kzf.engine.present.mathml import notations
            from kzf.engine.present.report import definition_units

            unit = definition_units(program, [name]).get(name)
            if unit:
                parts.append(f"unit: `{unit}`")
            latex = next((n.latex for n in notations(checked) if n.name == name), None)
            if latex:
                parts.append(f"```latex\n{latex}\n```")
        if symbol.kind == "input" and name in checked.inputs:
            info = checked.inputs[name]
            facts = [f"unit: `{info.unit}`" if info.unit else "no unit declared"]
            if info.domain is not None:
                facts.append(f"values {info.domain.text}")
            if info.source:
                facts.append(f"read from column `{info.source}`")
            parts.append(", ".join(facts))
        labels = checked.labels.get(name, {})
        if labels:
            parts.append(" · ".join(f"{lang}: {text}" for lang, text in labels.items()))
        preview = _preview(server, analysis).get(name)
        if preview:
            parts.append("first values:\n\n" + "\n".join(f"- {row}" for row in preview))
    parts.append(f"declared at {symbol.span.path}:{symbol.span.line}")
    return "\n\n".join(parts)


def _preview(server: KzfLanguageServer, analysis: Analysis) -> dict[str, list[str]]:
    """The first rows of each definition and input on the file's declared data, computed
    once per text of the file (and never when it declares none, or fails to run)."""
    program = analysis.program
    if program is None or program.data_path is None:
        return {}
    key = (analysis.path, hashlib.sha256(analysis.sources[analysis.path].encode()).hexdigest())
    if key not in server.previews:
        shown: dict[str, list[str]] = {}
        try:
            panel = program.read_data(program.data_path)
            frame = program.run(panel).frame
        except Exception:  # noqa: BLE001 - a preview is a courtesy: no data, no preview
            server.previews[key] = {}
            return {}
        dims = list(program.dims)
        head = frame.head(PREVIEW_ROWS)
        raw = panel.frame.head(PREVIEW_ROWS)
        for table in (raw, head):
            for column in table.columns:
                if column in dims:
                    continue
                rows = []
                for _, row in table.iterrows():
                    key_text = ", ".join(str(row[d]) for d in dims if d in table.columns)
                    rows.append(f"{key_text}: {row[column]}")
                shown[str(column)] = rows
        server.previews[key] = shown
    return server.previews[key]


def _data_columns(analysis: Analysis) -> list[str]:
    """The header of the file's declared CSV data: columns to complete as inputs."""
    program = analysis.program
    path = program.data_path if program is not None else None
    if path is None or not str(path).lower().endswith(".csv"):
        return []
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            header = next(csv.reader(f), [])
    except (OSError, UnicodeDecodeError):
        return []
    return [h.strip() for h in header if h.strip()]


def _completions(analysis: Analysis) -> list[lsp.CompletionItem]:
    items: dict[str, lsp.CompletionItem] = {}
    for symbol in analysis.symbols.values():
        items[symbol.name] = lsp.CompletionItem(
            label=symbol.name, kind=_KIND[symbol.kind], detail=symbol.detail
        )
    for name, builtin in BUILTINS.items():
        items.setdefault(
            name,
            lsp.CompletionItem(
                label=name, kind=lsp.CompletionItemKind.Function, detail=builtin.summary
            ),
        )
    for column in _data_columns(analysis):
        items.setdefault(
            column,
            lsp.CompletionItem(
                label=column, kind=lsp.CompletionItemKind.Field, detail="a column of the data"
            ),
        )
    return list(items.values())


def _locations(analysis: Analysis, spans: Sequence[Span]) -> list[lsp.Location]:
    return [lsp.Location(uri=_uri(s.path), range=_to_lsp(analysis, s)) for s in spans]


def build_server() -> KzfLanguageServer:  # noqa: C901 - one handler per request, side by side
    server = KzfLanguageServer()

    def publish(ls: KzfLanguageServer, uri: str) -> None:
        found = lsp_diagnostics(ls.analysis(uri))
        ls.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=uri, diagnostics=found)
        )

    @server.feature(lsp.INITIALIZE)
    def initialize(ls: KzfLanguageServer, params: lsp.InitializeParams) -> None:
        if params.locale:  # the editor's language (VS Code sends its display language)
            messages.set_language(params.locale)

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: KzfLanguageServer, params: lsp.DidOpenTextDocumentParams) -> None:
        publish(ls, params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: KzfLanguageServer, params: lsp.DidChangeTextDocumentParams) -> None:
        publish(ls, params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: KzfLanguageServer, params: lsp.DidSaveTextDocumentParams) -> None:
        publish(ls, params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: KzfLanguageServer, params: lsp.DidCloseTextDocumentParams) -> None:
        ls.analyses.pop(params.text_document.uri, None)

    def found_at(
        ls: KzfLanguageServer, uri: str, at: lsp.Position
    ) -> tuple[Analysis, str, Span] | None:
        analysis = ls.analysis(uri)
        line, column = _from_lsp(analysis, analysis.path, at)
        hit = analysis.name_at(analysis.path, line, column)
        return None if hit is None else (analysis, hit[0], hit[1])

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(ls: KzfLanguageServer, params: lsp.HoverParams) -> lsp.Hover | None:
        hit = found_at(ls, params.text_document.uri, params.position)
        if hit is None:
            return None
        analysis, name, span = hit
        text = _hover_text(ls, analysis, name)
        if text is None:
            return None
        content = lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text)
        return lsp.Hover(contents=content, range=_to_lsp(analysis, span))

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: KzfLanguageServer, params: lsp.DefinitionParams) -> list[lsp.Location]:
        hit = found_at(ls, params.text_document.uri, params.position)
        if hit is None or hit[1] not in hit[0].symbols:
            return []
        analysis, name, _ = hit
        return _locations(analysis, [analysis.symbols[name].span])

    @server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
    def references(ls: KzfLanguageServer, params: lsp.ReferenceParams) -> list[lsp.Location]:
        hit = found_at(ls, params.text_document.uri, params.position)
        if hit is None:
            return []
        analysis, name, _ = hit
        spans = analysis.references(name)
        if not params.context.include_declaration and name in analysis.symbols:
            spans = [s for s in spans if s != analysis.symbols[name].span]
        return _locations(analysis, spans)

    @server.feature(
        lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=["(", ",", " "])
    )
    def completion(ls: KzfLanguageServer, params: lsp.CompletionParams) -> lsp.CompletionList:
        return lsp.CompletionList(
            is_incomplete=False, items=_completions(ls.analysis(params.text_document.uri))
        )

    @server.feature(lsp.TEXT_DOCUMENT_RENAME)
    def rename(ls: KzfLanguageServer, params: lsp.RenameParams) -> lsp.WorkspaceEdit | None:
        hit = found_at(ls, params.text_document.uri, params.position)
        if hit is None:
            return None
        analysis, name, _ = hit
        symbol: Symbol | None = analysis.symbols.get(name)
        if symbol is None:
            raise ValueError(f"'{name}' is not declared in this file or its imports")
        new = params.new_name
        if not new.isidentifier() or new in BUILTINS:
            raise ValueError(f"'{new}' is not a name a .kzf file can declare")
        edits: dict[str, list[lsp.TextEdit]] = {}
        for span in analysis.references(name):
            edits.setdefault(_uri(span.path), []).append(
                lsp.TextEdit(range=_to_lsp(analysis, span), new_text=new)
            )
        return lsp.WorkspaceEdit(changes=edits)

    return server


def serve() -> None:
    """Run the server on stdin and stdout until the editor says exit."""
    build_server().start_io()


__all__ = ["KzfLanguageServer", "build_server", "lsp_diagnostics", "serve"]
