"""Diagnostics for machines and for terminals: JSON, SARIF 2.1.0, and coloured text.

`kzf check --diagnostics-format sarif` writes one SARIF log (OASIS SARIF 2.1.0, the format
GitHub code scanning, GitLab and Azure DevOps read to annotate the lines of a change), with a
rule for each code kzf reported (its description from the error catalogue) and a result for
each diagnostic; `json` writes kzf's own, flatter document. Columns count Unicode code points,
as kzf's messages do (SARIF's default is UTF-16 code units; the log says which it uses).

On a terminal, text diagnostics colour their severity, unless NO_COLOR is set (to anything
but the empty string, https://no-color.org) or TERM is `dumb`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from kzf.dsl.diagnostics import CODES, Diagnostic, Severity, printable
from kzf.version import __version__

FORMATS = ("text", "json", "sarif")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning"}  # SARIF's; the rest "note"
_COLOUR = {"error": "\033[1;31m", "warning": "\033[1;33m"}  # bold red, bold yellow
_NOTE_COLOUR = "\033[1;36m"  # bold cyan
_RESET = "\033[0m"


def wants_colour(stream: IO[str]) -> bool:
    """Colour for a terminal that shows it, unless the user said not to (NO_COLOR)."""
    if os.environ.get("NO_COLOR", ""):
        return False
    if os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def coloured(text: str, severity: Severity) -> str:
    """`text` (a rendered diagnostic) with its `severity[CODE]` word coloured."""
    word = severity.value
    start = _COLOUR.get(word, _NOTE_COLOUR)
    marker = f"{word}["
    at = text.find(marker)
    if at < 0:
        return text
    end = text.find("]", at)
    return text[:at] + start + text[at : end + 1] + _RESET + text[end + 1 :]


def _record(d: Diagnostic) -> dict[str, Any]:
    span = d.span
    return {
        "code": d.code,
        "severity": d.severity.value,
        "message": printable(d.message),
        "notes": [printable(n) for n in d.notes],
        "file": span.path if span else None,
        "line": span.line if span else None,
        "column": span.column if span else None,
        "end_line": span.end_line if span else None,
        "end_column": span.end_column if span else None,
    }


def to_json(items: Sequence[Diagnostic]) -> str:
    """kzf's own document: every diagnostic with its position, and how many of each kind."""
    counts = {s.value: sum(d.severity is s for d in items) for s in Severity}
    document: dict[str, Any] = {
        "tool": "kzf",
        "version": __version__,
        "diagnostics": [_record(d) for d in items],
        "summary": counts,
    }
    return json.dumps(document, ensure_ascii=False, indent=2)


def _uri(path: str) -> str:
    """An artifact's URI: a relative path as it is (relative to where kzf ran, as the
    messages show it), an absolute one as a file URI."""
    p = Path(path)
    return p.as_uri() if p.is_absolute() else p.as_posix()


def to_sarif(items: Sequence[Diagnostic]) -> str:
    """One SARIF 2.1.0 log of one run of kzf."""
    codes = sorted({d.code for d in items})
    rules = [
        {
            "id": code,
            "shortDescription": {"text": CODES.get(code, code)},
        }
        for code in codes
    ]
    results = []
    for d in items:
        text = printable(d.message)
        if d.notes:
            text += "".join(f"\nnote: {printable(n)}" for n in d.notes)
        result: dict[str, Any] = {
            "ruleId": d.code,
            "ruleIndex": codes.index(d.code),
            "level": _LEVEL.get(d.severity, "note"),
            "message": {"text": text},
        }
        if d.span is not None and d.span.path:
            region = {
                "startLine": max(d.span.line, 1),
                "startColumn": max(d.span.column, 1),
                "endLine": max(d.span.end_line, d.span.line, 1),
                "endColumn": max(d.span.end_column, 1),
            }
            result["locations"] = [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(d.span.path)},
                        "region": region,
                    }
                }
            ]
        results.append(result)
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "kzf",
                        "version": __version__,
                        "rules": rules,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(log, ensure_ascii=False, indent=2)


__all__ = ["FORMATS", "coloured", "to_json", "to_sarif", "wants_colour"]
