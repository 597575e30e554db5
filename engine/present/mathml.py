"""Definitions as MathML, which browsers render natively: no script, no font from the network.

The LaTeX of a definition comes from the symbolic module (the notation `kzf show --latex`
prints), with an explicit `·` between factors so that two long names never run together.
latex2mathml (pure Python) turns it into MathML Core. Should the symbolic printer fail on a
definition, the definition's source text is shown instead: a report never fails for its
notation.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kzf.dsl.diagnostics import source_text
from kzf.engine.compile.resolve import CheckedProgram

if TYPE_CHECKING:
    from kzf.engine.present.show import Formula


@dataclass(frozen=True)
class Notation:
    name: str  # the definition or function
    head: str  # `K` or `minmax(x)`
    latex: str | None  # None: the printer failed; show `source` instead
    source: str  # the definition as written in the file
    is_function: bool


def notations(program: CheckedProgram) -> list[Notation]:
    """The root file's definitions and user functions in file order, as LaTeX."""
    from kzf.engine.present.show import formulas

    out = []
    for f in formulas(program):
        is_function = f.name in program.functions and f.name not in program.definitions
        span = program.functions[f.name].span if is_function else program.definitions[f.name].span
        source = source_text(program.sources, span)
        try:
            latex: str | None = _latex(program, f)
        except Exception:  # noqa: BLE001 - notation is a nicety; the source text stands in
            latex = None
        out.append(Notation(f.name, f.head, latex, source, is_function))
    return out


def _latex(program: CheckedProgram, f: Formula) -> str:
    import sympy as sp

    from kzf.engine.checks import symbolic as sym

    names = {
        id(d.node): n
        for n, d in program.definitions.items()
        if n != f.name and d.node is not f.node
    }
    expr = sym.Translator(exact=False, names=names)(f.node)
    head = sym.latex_name(f.name)
    if f.params:
        head += r"\left(" + ", ".join(sym.latex_name(p) for p in f.params) + r"\right)"
    body = sp.latex(expr, order="none", mul_symbol="dot")
    return f"{head} = {body}"


# ---------------------------------------------------------------- LaTeX -> MathML

_MATHRM = re.compile(r"\\mathrm\{((?:[^{}\\]|\\_)+)\}")
_MTEXT_NAME = re.compile(r"<mtext>([^<>\s“”\"]+)</mtext>")
_WORD = re.compile(r"^[\w]+$")


_TEXT = re.compile(r"\\text\{((?:[^{}\\]|\\[a-z]+\{\}|\\.)*)\}")
_LATEX_ESCAPE = re.compile(r"\\(textbackslash|textasciicircum|textasciitilde)\{\}|\\([{}#$%&_])")
_UNESCAPED = {"textbackslash": "\\", "textasciicircum": "^", "textasciitilde": "~"}


def _html_text(m: re.Match[str]) -> str:
    """`\\text{...}` with its LaTeX escapes undone and the result escaped for HTML:
    latex2mathml copies text into <mtext> as it is, so a text literal `<script>` written in
    a formula would otherwise become markup in the published report."""

    def plain(e: re.Match[str]) -> str:
        return _UNESCAPED[e.group(1)] if e.group(1) else e.group(2)

    return r"\text{" + html.escape(_LATEX_ESCAPE.sub(plain, m.group(1)), quote=True) + "}"


def to_mathml(latex: str, *, display: bool = True) -> str:
    """MathML for a LaTeX formula. Multi-letter names stay one identifier (`egdi_rank`).

    Text in the formula reaches the page escaped, and the result is checked to be MathML
    only (no element of another namespace, no event attribute): a downloaded .kzf file must
    not be able to run a script in the report made from it."""
    import latex2mathml.converter

    # \mathrm{egdi\_rank} would become one <mi> per letter; \text keeps the name whole.
    prepared = _MATHRM.sub(lambda m: r"\text{" + m.group(1).replace(r"\_", "_") + "}", latex)
    prepared = _TEXT.sub(_html_text, prepared)
    mode = "block" if display else "inline"
    markup: str = latex2mathml.converter.convert(prepared, display=mode)

    def name(m: re.Match[str]) -> str:
        word = html.unescape(m.group(1))
        return f"<mi>{m.group(1)}</mi>" if _WORD.match(word) else m.group(0)

    result = _calm_fences(_MTEXT_NAME.sub(name, markup))
    if not only_mathml(result):
        return f'<math xmlns="{_MATHML_NS}"><mtext>{html.escape(latex)}</mtext></math>'
    return result


def only_mathml(markup: str) -> bool:
    """Whether `markup` is well-formed MathML and nothing else: every element in the MathML
    namespace, no attribute that runs code or loads a page (on..., href, src)."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(markup)
    except ET.ParseError:
        return False
    for element in root.iter():
        if not element.tag.startswith(f"{{{_MATHML_NS}}}"):
            return False
        for attribute in element.attrib:
            bare = attribute.rsplit("}", 1)[-1].lower()
            if bare.startswith("on") or bare in ("href", "src", "xlink:href", "style"):
                return False
    return True


_TALL = {"mfrac", "msqrt", "mroot", "munder", "mover", "munderover", "mtable"}
_MATHML_NS = "http://www.w3.org/1998/Math/MathML"


def _calm_fences(markup: str) -> str:
    """Brackets around plain content (`(egdi_score)`) keep their natural size: sympy writes
    every bracket as `\\left( … \\right)`, and a stretched one looks oversized there."""
    import xml.etree.ElementTree as ET

    ET.register_namespace("", _MATHML_NS)
    try:
        root = ET.fromstring(markup)
    except ET.ParseError:  # pragma: no cover - latex2mathml writes well-formed XML
        return markup
    for mrow in root.iter(f"{{{_MATHML_NS}}}mrow"):
        kids = list(mrow)
        if len(kids) < 2 or not all(
            k.tag == f"{{{_MATHML_NS}}}mo" and k.get("fence") == "true" for k in (kids[0], kids[-1])
        ):
            continue
        inner = [e for k in kids[1:-1] for e in k.iter()]
        if not any(e.tag.split("}")[-1] in _TALL for e in inner):
            for k in (kids[0], kids[-1]):
                k.set("stretchy", "false")
    return ET.tostring(root, encoding="unicode")
