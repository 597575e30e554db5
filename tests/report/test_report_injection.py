"""A report published from a downloaded .kzf file cannot run the file's scripts.

Titles, labels and names were escaped before; text literals inside formulas were not: they
reached MathML's <mtext> raw, and an HTML parser built live elements from them. Each attack
below is a text literal of a formula; the report must show it as text. The check parses the
report with the standard library's HTML parser (as a browser's tokenizer would) and counts
the elements and attributes that run code: only the report's own one <script> may be there.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from kzf.engine.cli.main import main

ATTACKS = [
    "<script>alert(1)</script>",
    "</math><img/src=x/onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "</mtext></mrow></math><iframe src=javascript:alert(1)>",
    "&lt;script&gt;",
]


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts = 0
        self.active: list[str] = []  # elements with an event handler or a javascript: URL

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts += 1
        for name, value in attrs:
            if name.startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                self.active.append(f"<{tag} {name}={value}>")
        if tag in ("img", "iframe", "svg", "object", "embed"):
            self.active.append(f"<{tag}>")


@pytest.mark.parametrize("attack", ATTACKS)
def test_a_text_literal_in_a_formula_is_text_in_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], attack: str
) -> None:
    literal = attack.replace("\\", "\\\\").replace('"', '\\"')
    (tmp_path / "f.kzf").write_text(
        f'data "d.csv"\ninput x, y\na = if(entity = "{literal}", x, y)\n', encoding="utf-8"
    )
    (tmp_path / "d.csv").write_text("entity,year,x,y\nA,2020,1,2\n", encoding="utf-8")
    out = tmp_path / "r.html"
    status = main(["report", str(tmp_path / "f.kzf"), "-o", str(out)])
    capsys.readouterr()
    assert status == 0
    page = out.read_text(encoding="utf-8")
    parsed = _Elements()
    parsed.feed(page)
    assert parsed.scripts == 1, "only the report's own script"
    assert parsed.active == []


def test_show_latex_escapes_the_specials_of_a_text_literal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "f.kzf").write_text(
        'input x, y\na = if(entity = "R&D 50% #1 $_^~", x, y)\n', encoding="utf-8"
    )
    status = main(["show", "--latex", str(tmp_path / "f.kzf")])
    out = capsys.readouterr().out
    assert status == 0
    assert r"R\&D 50\% \#1 \$\_\textasciicircum{}\textasciitilde{}" in out, out
