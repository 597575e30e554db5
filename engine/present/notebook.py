"""How a notebook shows kzf's objects: a Program as its definitions in mathematics (MathML,
which Jupyter's and VS Code's renderers draw natively), its inputs and units; an Evaluation
as its results table and its warnings; a Report inline, in a frame of its own so that its
styles and its script stay in it.

`register()` puts the first two into `engine/api/program.HTML_RENDERERS`, which
`Program._repr_html_` and `Evaluation._repr_html_` read; `kzf` registers them when it hands
out the API, so `import kzf; kzf.load("f.kzf")` in a cell shows the file.
"""

from __future__ import annotations

import html
from typing import Any

from kzf.engine.api.program import HTML_RENDERERS, Evaluation, Program
from kzf.engine.present import i18n

esc = html.escape
ROWS = 20  # an evaluation shows its first rows; `.frame` has them all
_STYLE = (
    "<style>.kzf-nb table{border-collapse:collapse;font-size:0.9em}"
    ".kzf-nb th,.kzf-nb td{padding:2px 8px;border-bottom:1px solid #ddd;text-align:left}"
    ".kzf-nb td.num{text-align:right;font-variant-numeric:tabular-nums}"
    ".kzf-nb .warning{color:#8a5300}.kzf-nb .note{color:#555}</style>"
)


def _rows(header: list[str], rows: list[list[str]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def program_html(program: Program) -> str:
    """The file: its title, dims, inputs (unit, domain) and definitions as mathematics."""
    from kzf.engine.present.mathml import notations, to_mathml
    from kzf.engine.present.report import definition_units

    checked = program.checked
    title = checked.title or checked.path
    units = definition_units(program, list(checked.outputs))
    definitions = []
    for n in notations(checked):
        if n.is_function:
            continue
        shown = to_mathml(n.latex) if n.latex else f"<code>{esc(n.source)}</code>"
        definitions.append([f"<code>{esc(n.name)}</code>", shown, esc(units.get(n.name, ""))])
    inputs = [
        [
            f"<code>{esc(name)}</code>",
            esc(info.unit or ""),
            esc(info.domain.text if info.domain is not None else ""),
        ]
        for name, info in checked.inputs.items()
    ]
    parts = [
        f'<div class="kzf-nb">{_STYLE}<h3>{esc(title)}</h3>',
        f"<p><code>{esc(checked.path)}</code> · dims {esc(', '.join(checked.dims))}</p>",
    ]
    if inputs:
        parts.append("<h4>Inputs</h4>" + _rows(["input", "unit", "values"], inputs))
    if definitions:
        parts.append("<h4>Definitions</h4>" + _rows(["name", "formula", "unit"], definitions))
    parts.append("</div>")
    return "".join(parts)


def evaluation_html(evaluation: Evaluation) -> str:
    """The first rows of the results (numbers as kzf prints them) and every warning."""
    import pandas as pd  # imported by the evaluation already: not at `import kzf`

    frame = evaluation.frame
    shown = frame.head(ROWS)
    # values (float64) as kzf prints numbers; whole-number columns (years, codes) as they are
    numeric = {
        i for i, c in enumerate(shown.columns) if pd.api.types.is_float_dtype(shown[c].dtype)
    }
    rows = [
        [
            esc(i18n.format_number(v, "en")) if i in numeric else esc(str(v))
            for i, v in enumerate(record)
        ]
        for record in shown.itertuples(index=False)
    ]
    more = (
        f"<p>{len(frame) - ROWS} more rows in <code>.frame</code></p>" if len(frame) > ROWS else ""
    )
    said = "".join(
        f'<li class="{esc(d.severity.value)}"><code>{esc(d.code)}</code> {esc(d.message)}</li>'
        for d in evaluation.warnings
    )
    warnings = f"<h4>Warnings</h4><ul>{said}</ul>" if said else ""
    table = _rows([str(c) for c in shown.columns], rows, numeric)
    return f'<div class="kzf-nb">{_STYLE}{table}{more}{warnings}</div>'


def report_frame(page: str, height: int = 800) -> str:
    """A whole report inline: the page in an iframe's srcdoc, its styles and script its own."""
    return (
        f'<iframe srcdoc="{esc(page, quote=True)}" style="width:100%;height:{height}px;'
        'border:1px solid #ddd" sandbox="allow-scripts"></iframe>'
    )


def register() -> None:
    renderers: dict[str, Any] = {"program": program_html, "evaluation": evaluation_html}
    HTML_RENDERERS.update(renderers)


__all__ = ["evaluation_html", "program_html", "register", "report_frame"]
