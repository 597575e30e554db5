"""Every builtin a file may call is documented: a new entry in engine/core/builtins.py without
a line in the docs fails here (docs/ARCHITECTURE.md, "Add a builtin")."""

from __future__ import annotations

from pathlib import Path

from kzf.engine.core.builtins import BUILTINS

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_builtin_is_documented() -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in DOCS.glob("*.md"))
    # named in backquotes (a table row says `skew`, `kurt`), or written as a call
    missing = [n for n in BUILTINS if f"`{n}(" not in text and f"`{n}`" not in text]
    assert missing == [], f"builtins no document shows called: {missing}"
