"""`kzf report`: one self-contained HTML file a methodologist can publish.

    kzf report formulas/egdi.kzf --data data/eaeu.csv -o egdi.html --lang kk

The page needs no network when opened: styles and the sorting script are inline, formulas
are MathML (rendered by the browser itself), charts are inline SVG whose text is drawn as
paths, and the fonts are subsets of DejaVu Sans and DejaVu Serif (shipped with matplotlib,
covering Kazakh Cyrillic) embedded as data: URLs. Every text taken from the file or the data
is escaped with `html.escape`.

Sections: the methodology (title, source, each definition as mathematics with its unit, the
definitions it uses and its inputs, and the comment written above it), the data dictionary
(inputs with units and coverage), the results (sortable tables, models' tables) and charts,
and the checks (published values reproduced or not, warnings, accepted warnings, identities).
"""

from __future__ import annotations

import base64
import html
import io
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from kzf.dsl import ast
from kzf.dsl.diagnostics import Diagnostic, Span, UsageError, localised
from kzf.engine.api.program import Evaluation, Program
from kzf.engine.api.validation import Validation, validate
from kzf.engine.checks.expect import Outcome, Status, judge
from kzf.engine.compile.resolve import CheckedProgram
from kzf.engine.core import ir
from kzf.engine.io.data import Panel, ReadOptions
from kzf.engine.present import charts, i18n
from kzf.engine.present.composite import (
    SENSITIVITY_RUNS,
    CompositeCharts,
    composite_charts,
    default_index,
)
from kzf.engine.present.i18n import format_number
from kzf.version import __version__

MAX_CHARTS = 36  # a report of a large file stays a readable (and loadable) size

esc = html.escape


@dataclass
class Report:
    """Everything a report shows, computed once; `html()` lays it out."""

    program: Program
    lang: str
    data_source: str
    panel: Panel
    result: Evaluation
    names: list[str]  # the definitions shown in the results
    outcomes: list[Outcome]
    units: dict[str, str]
    params: dict[str, float | str]
    validation: Validation  # the file's rules on this data (empty when it has none)
    # the charts of the file's composite index (engine/present/composite.py), or why there
    # are none for an index the file has
    composite: CompositeCharts | None = None
    composite_note: str | None = None

    def html(self) -> str:
        return _html(self)

    def _repr_html_(self) -> str:
        """In a notebook: the whole page inline, in a frame of its own."""
        from kzf.engine.present.notebook import report_frame

        return report_frame(self.html())


def build(
    program: Program,
    data: str | os.PathLike[str] | pd.DataFrame | Panel | None = None,
    *,
    lang: str | None = None,
    params: Mapping[str, float | str] | None = None,
    select: Sequence[str] | None = None,
    where: str | None = None,
    read_options: ReadOptions | None = None,
    index: str | None = None,
    sensitivity_runs: int = SENSITIVITY_RUNS,
) -> Report:
    """Evaluate `program` on `data` (default: its `data` statement) for a report. A file with
    a composite index gets its charts (`index`, default the largest: framework, correlations,
    distributions, contributions and, when the file varies params, the ranks' uncertainty
    from `sensitivity_runs` Monte Carlo runs; 0 leaves that chart out)."""
    language = i18n.check_language(lang)
    checked = program.checked
    if data is None:
        if program.data_path is None:
            raise UsageError(
                [
                    localised(
                        "KZF107",
                        "{file} declares no `data`; give one with --data PATH",
                        file=program.path,
                    )
                ]
            )
        data = program.data_path
    if isinstance(data, Panel):
        panel = data
    elif isinstance(data, pd.DataFrame):
        panel = program.panel(data)
    else:
        panel = program.read_data(data, **(read_options or {}))
    names = program.selection(select)
    wanted = [e.name for e in checked.expects if e.column is None and e.origin != "unreproducible"]
    result = program.run(panel, params, list(dict.fromkeys([*names, *wanted])), where)
    outcomes = _judge(program, result)
    composite, composite_note = None, None
    chosen = index if index is not None else default_index(program)
    if chosen is not None:
        all_names = [*checked.inputs, *checked.definitions, *checked.dims, *checked.params]
        try:
            composite = composite_charts(
                program,
                panel,
                chosen,
                params,
                lang=language,
                labels=i18n.labels_for(checked.labels, all_names, language),
                runs=sensitivity_runs,
            )
        except UsageError as exc:
            if index is not None:  # asked for by name: say why not, as `kzf audit` does
                raise
            composite_note = "; ".join(d.text(language) for d in exc.diagnostics)
    return Report(
        program=program,
        lang=language,
        data_source=os.path.normpath(str(panel.source)),
        panel=panel,
        result=result,
        names=names,
        outcomes=outcomes,
        units=definition_units(program, names),
        params=program.param_values(params),
        validation=validate(program.checked, result.frame, panel.frame),
        composite=composite,
        composite_note=composite_note,
    )


def render(program: Program, data: object = None, **options: object) -> str:
    """The report as HTML text (see `build` for the options)."""
    return build(program, data, **options).html()  # type: ignore[arg-type]


def write(report: Report, path: str | os.PathLike[str]) -> None:
    from kzf.engine.io.output import write_atomically

    page = report.html()
    write_atomically(path, lambda tmp: Path(tmp).write_text(page, encoding="utf-8"))


def _judge(program: Program, result: Evaluation) -> list[Outcome]:
    checked = program.checked
    outcomes = []
    for e in checked.expects:
        if e.column is None or e.origin == "unreproducible":
            outcomes.append(judge(result.frame, program.dims, e))
        else:
            from kzf.engine.api.model_tables import judge_cell

            outcomes.append(judge_cell(result.tables, program.dims, checked.time_dim, e))
    return outcomes


def definition_units(program: Program, names: Iterable[str]) -> dict[str, str]:
    """The unit of each named definition as the checker inferred it (the program's analysis),
    in words; a unit that cannot be told is left out and shown as unknown."""
    out = {}
    for n in names:
        if n not in program.checked.definitions:
            continue
        try:
            out[n] = program.analysis.units.describe(n)
        except Exception:  # noqa: BLE001 - a unit we cannot describe is shown as unknown
            continue
    return out


# ---------------------------------------------------------------- what the file says


_RULE = re.compile(r"^[\s\-=_*#~.]*$")


def _strip_comment(line: str) -> str | None:
    """The comment of a source line (after a `#` outside quotes), or None."""
    quoted = False
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == "#" and not quoted:
            return line[i + 1 :].strip()
    return None


def comment_for(source: str, line: int) -> str:
    """The comment block written right above line `line` (1-based) and at its end."""
    lines = source.splitlines()
    if not 1 <= line <= len(lines):
        return ""
    block: list[str] = []
    i = line - 2
    while i >= 0:
        stripped = lines[i].strip()
        if not stripped.startswith("#"):
            break
        body = stripped.lstrip("#").strip()
        if _RULE.match(body) or re.match(r"^[-=]{4,}", body):
            break  # a section rule ends the block
        block.insert(0, body)
        i -= 1
    trailing = _strip_comment(lines[line - 1])
    if trailing and not lines[line - 1].lstrip().startswith("#"):
        block.append(trailing)
    return " ".join(b for b in block if b)


# ---------------------------------------------------------------- fonts


def _font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


# Mathematical italic letters: browsers draw a one-letter <mi> x as U+1D465.
_MATH_ITALIC = "".join(chr(c) for c in range(0x1D434, 0x1D468)) + "\u210e"


@lru_cache(maxsize=64)
def _subset(font: str, chars: str) -> str | None:
    """A WOFF subset of a matplotlib font holding `chars`, as base64; None if unavailable."""
    try:
        from fontTools import subset
        from fontTools.ttLib import TTFont
    except ImportError:  # pragma: no cover - fontTools comes with matplotlib
        return None
    path = _font_dir() / font
    if not path.is_file():  # pragma: no cover
        return None
    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.recalc_timestamp = False
    options.drop_tables = [t for t in options.drop_tables if t != "MATH"] + ["FFTM"]
    tt = TTFont(str(path), recalcTimestamp=False, lazy=True)
    sub = subset.Subsetter(options)
    sub.populate(text=chars)
    sub.subset(tt)
    buf = io.BytesIO()
    tt.flavor = "woff"
    tt.save(buf)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _font_faces(page_text: str) -> str:
    chars = "".join(sorted(set(page_text) | set(" –—…«»“”‘’·−×≤≥▲▼")))
    faces = []
    for family, font, weight, extra in (
        ("kzf-sans", "DejaVuSans.ttf", "normal", ""),
        ("kzf-sans", "DejaVuSans-Bold.ttf", "bold", ""),
        ("kzf-math", "DejaVuSerif.ttf", "normal", _MATH_ITALIC + "∑∏√∞±∓⋅∈∉≠≈"),
    ):
        data = _subset(font, "".join(sorted(set(chars + extra))))
        if data is None:  # pragma: no cover
            continue
        faces.append(
            f"@font-face{{font-family:{family};font-weight:{weight};font-style:normal;"
            f"src:url(data:font/woff;base64,{data}) format('woff');}}"
        )
    return "\n".join(faces)


# ---------------------------------------------------------------- HTML pieces


def _cell(value: object, lang: str, *, group: bool = True, shown: str | None = None) -> str:
    """A <td> for a value: numbers right-aligned with a sort key, missing as a dash."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return f'<td class="num missing" data-sort="">{i18n.MISSING}</td>'
    if isinstance(value, bool | np.bool_):
        return f"<td>{'✓' if value else '✗'}</td>"
    if isinstance(value, int | np.integer):
        shown = format_number(int(value), lang, 0) if group else str(int(value))
        return f'<td class="num" data-sort="{int(value)}">{esc(shown)}</td>'
    if isinstance(value, float | np.floating):
        f = float(value)
        text = shown if shown is not None else format_number(f, lang, group=group)
        return f'<td class="num" data-sort="{f!r}">{esc(text)}</td>'
    return f"<td>{esc(str(value))}</td>"


def _table(
    frame: pd.DataFrame,
    lang: str,
    headers: Mapping[str, str] | None = None,
    *,
    plain: Iterable[str] = (),
    caption: str | None = None,
    table_id: str | None = None,
    notes: Mapping[str, str] | None = None,
) -> str:
    """A sortable table. `plain` columns are integers shown without grouping (years)."""
    headers = headers or {}
    notes = notes or {}
    plain = set(plain)
    attrs = f' id="{esc(table_id)}"' if table_id else ""
    out = [f'<div class="table-wrap"><table class="sortable"{attrs}>']
    if caption:
        out.append(f"<caption>{esc(caption)}</caption>")
    out.append("<thead><tr>")
    for col in frame.columns:
        name = str(col)
        shown = headers.get(name, name)
        title = f' title="{esc(name)}"' if shown != name else ""
        numeric = pd.api.types.is_numeric_dtype(frame[col].dtype) and not (
            pd.api.types.is_bool_dtype(frame[col].dtype)
        )
        cls = ' class="num"' if numeric else ""
        note = notes.get(name)
        unit = f'<span class="unit">{esc(note)}</span>' if note else ""
        out.append(f'<th scope="col"{cls}{title} aria-sort="none">{esc(shown)}{unit}</th>')
    out.append("</tr></thead><tbody>")
    columns = list(frame.columns)
    for row in frame.itertuples(index=False, name=None):
        cells = [
            _cell(_py(v), lang, group=str(col) not in plain)
            for col, v in zip(columns, row, strict=True)
        ]
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def _py(v: object) -> object:
    if isinstance(v, np.floating):
        return float(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def _math(latex: str | None, source: str) -> str:
    if latex is not None:
        try:
            from kzf.engine.present.mathml import to_mathml

            return f'<div class="formula">{to_mathml(latex)}</div>'
        except Exception:  # noqa: BLE001 - fall back to the text as written
            pass
    return f'<div class="formula"><pre class="source">{esc(source)}</pre></div>'


def _dl(items: Sequence[tuple[str, str]]) -> str:
    """A definition list; values are already HTML."""
    rows = "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in items if v)
    return f'<dl class="facts">{rows}</dl>' if rows else ""


def _names_html(names: Sequence[str], labels: Mapping[str, str], anchor: str = "") -> str:
    parts = []
    for n in names:
        shown = labels.get(n)
        code = f"<code>{esc(n)}</code>"
        inner = f"{esc(shown)} ({code})" if shown else code
        parts.append(f'<a href="#{anchor}{esc(_slug(n))}">{inner}</a>' if anchor else inner)
    return ", ".join(parts)


def _chips(names: Sequence[str], labels: Mapping[str, str], anchor: str) -> str:
    """Names as compact links to where they are described; the label shows on hover."""
    parts = []
    for n in names:
        title = f' title="{esc(labels[n])}"' if n in labels else ""
        parts.append(
            f'<a class="chip" href="#{anchor}{esc(_slug(n))}"{title}><code>{esc(n)}</code></a>'
        )
    return " ".join(parts)


def _slug(name: str) -> str:
    return re.sub(r"[^\w-]", "_", name)


def _diagnostic_rows(items: Sequence[Diagnostic], lang: str) -> list[tuple[str, str, str]]:
    """Code, place and message of each warning, the message and its notes in the report's
    language (the catalogue's, dsl/locale; English where it has none)."""
    rows = []
    for d in items:
        where = f"{d.span.path}:{d.span.line}:{d.span.column}" if d.span else ""
        message = d.text(lang) + "".join(f" ({n})" for n in d.note_texts(lang))
        rows.append((d.code, where, message))
    return rows


# ---------------------------------------------------------------- the page


def _html(report: Report) -> str:  # noqa: C901 - one page, one function, section by section
    prog = report.program
    checked = prog.checked
    lang = report.lang
    t = lambda key, **kw: i18n.text(key, lang, **kw)  # noqa: E731
    all_names = [*checked.inputs, *checked.definitions, *checked.dims, *checked.params]
    labels = i18n.labels_for(checked.labels, all_names, lang)
    frame = report.result.frame
    dims = list(prog.dims)
    time_dim = checked.time_dim if checked.time_dim in dims else None
    title = checked.title or Path(prog.path).stem

    def lab(name: str) -> str:
        return labels.get(name, name)

    body: list[str] = []
    toc: list[tuple[str, str]] = []

    # ---- header
    meta = [
        (t("file"), f"<code>{esc(prog.path)}</code>"),
        (t("data"), f"<code>{esc(report.data_source)}</code>"),
    ]
    if checked.source:
        meta.insert(0, (t("source"), esc(checked.source)))
    header = (
        f'<header><p class="kicker">{esc(t("report"))}</p><h1>{esc(title)}</h1>{_dl(meta)}</header>'
    )

    # ---- methodology
    from kzf.engine.present.mathml import notations

    toc.append(("methodology", t("methodology")))
    parts = [f'<section id="methodology"><h2>{esc(t("methodology"))}</h2>']
    root_source = checked.sources.get(checked.path, "")
    for n in notations(checked):
        if n.is_function:
            fdef = checked.functions[n.name]
            line = fdef.span.line
            heading = f"{esc(t('function'))} <code>{esc(n.head)}</code>"
            facts: list[tuple[str, str]] = []
        else:
            d = checked.definitions[n.name]
            line = d.span.line
            shown = labels.get(n.name)
            heading = (
                f"{esc(shown)} <code>{esc(n.name)}</code>"
                if shown
                else f"<code>{esc(n.name)}</code>"
            )
            uses = [x for x in ast.names_in(d.expr)[0] if x in checked.definitions and x != n.name]
            params_used = [x for x in ast.names_in(d.expr)[0] if x in checked.params]
            unit = report.units.get(n.name) or definition_units(report.program, [n.name]).get(
                n.name, ""
            )
            unit = _unit_text(unit, lang)
            facts = [
                (t("unit"), esc(unit)),
                (t("uses"), _names_html(uses, labels, "def-")),
                (t("params"), _names_html(params_used, labels)),
                (t("inputs"), _chips(sorted(ir.columns_read(d.node)), labels, "input-")),
            ]
        note = comment_for(root_source, line)
        parts.append(
            f'<article class="definition" id="def-{esc(_slug(n.name))}">'
            f"<h3>{heading}</h3>"
            + (f'<p class="note">{esc(note)}</p>' if note else "")
            + _math(n.latex, n.source)
            + _dl(facts)
            + "</article>"
        )
    if checked.params:
        rows = pd.DataFrame(
            {
                t("parameter"): list(checked.params),
                t("value"): [report.params.get(p, np.nan) for p in checked.params],
                t("unit"): [checked.params[p].unit or "" for p in checked.params],
            }
        )
        parts.append(f"<h3>{esc(t('params'))}</h3>" + _table(rows, lang, plain=[t("value")]))
    if checked.models:
        spans = [m.span for m in checked.models.models.values()]
        spans += [f.span for f in checked.models.forecasts.values()]
        statements = [_source_text(checked, span) for span in spans]
        parts.append(
            f"<h3>{esc(t('models'))}</h3>"
            + "".join(f'<pre class="source">{esc(s)}</pre>' for s in statements)
        )
    parts.append("</section>")
    body.append("".join(parts))

    # ---- data dictionary
    toc.append(("dictionary", t("dictionary")))
    body.append(_dictionary(report, labels, lab))

    # ---- results
    toc.append(("results", t("results")))
    shapes = {
        n: charts.shape_of(frame, n, dims, time_dim) for n in report.names if n in frame.columns
    }
    body.append(_results(report, shapes, labels, dims, time_dim))

    # ---- charts
    figures = _charts(report, shapes, lab, dims, time_dim)
    if figures:
        toc.append(("charts", t("charts")))
        body.append(
            f'<section id="charts"><h2>{esc(t("charts"))}</h2><div class="charts">'
            + "".join(figures)
            + "</div></section>"
        )

    # ---- composite index
    section = _composite(report, lab)
    if section:
        toc.append(("composite", t("composite")))
        body.append(section)

    # ---- checks
    toc.append(("checks", t("checks")))
    body.append(_checks(report, labels))

    nav = (
        f'<nav aria-label="{esc(t("contents"))}"><ol>'
        + "".join(f'<li><a href="#{k}">{esc(v)}</a></li>' for k, v in toc)
        + "</ol></nav>"
    )
    footer = f"<footer>{esc(t('generated', version=__version__))}</footer>"
    main = header + nav + "<main>" + "".join(body) + "</main>" + footer
    visible = re.sub(r"<[^>]+>", " ", main)
    fonts = _font_faces(html.unescape(visible) + title)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{esc(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="kzf {esc(__version__)}">'
        f"<title>{esc(title)}</title>"
        f"<style>{fonts}\n{_CSS}</style></head>"
        f"<body>{main}<script>{_JS}</script></body></html>\n"
    )


def _unit_text(unit: str, lang: str) -> str:
    if unit == "(condition)":
        return i18n.text("condition", lang)
    if unit in ("1", "1 (a constant)"):
        return i18n.text("dimensionless", lang)
    return unit


def _source_text(checked: CheckedProgram, span: Span) -> str:
    from kzf.dsl.diagnostics import source_text

    try:
        return source_text(checked.sources, span)
    except Exception:  # noqa: BLE001
        return ""


def _dictionary(report: Report, labels: Mapping[str, str], lab: object) -> str:
    prog = report.program
    checked = prog.checked
    lang = report.lang
    t = lambda key, **kw: i18n.text(key, lang, **kw)  # noqa: E731
    panel = report.panel.frame
    dims = list(prog.dims)
    time_dim = checked.time_dim if checked.time_dim in dims else None
    keys = charts.entity_keys(panel, dims, time_dim)
    has_entities = any(d != time_dim for d in dims)
    rows = []
    for name in prog.inputs:
        info = checked.inputs.get(name)
        values = panel[name] if name in panel.columns else pd.Series(dtype=float)
        present = values.notna()
        entities = int(keys[present].nunique()) if has_entities else None
        if time_dim is not None and present.any():
            times = panel.loc[present, time_dim]
            span = f"{_fmt_dim(times.min())}–{_fmt_dim(times.max())} ({times.nunique()})"
        else:
            span = i18n.MISSING
        missing = int((~present).sum())
        total = len(values)
        source = checked.sources.get(info.span.path, "") if info else ""
        description = comment_for(source, info.span.line) if info else ""
        shown = labels.get(name)
        indicator = (
            f"<strong>{esc(shown)}</strong><br><code>{esc(name)}</code>"
            if shown
            else f"<code>{esc(name)}</code>"
        )
        cells = [
            f'<td id="input-{esc(_slug(name))}">{indicator}</td>',
            f"<td>{esc(info.unit or '') if info else ''}</td>",
            f"<td>{esc(info.domain.text) if info and info.domain else ''}</td>",
        ]
        if has_entities:
            cells.append(_cell(entities, lang))
        cells.append(f'<td class="nowrap">{esc(span)}</td>')
        share = f" ({format_number(100 * missing / total, lang, 1)} %)" if total else ""
        missing_text = t(
            "of", n=format_number(missing, lang, 0), total=format_number(total, lang, 0)
        )
        cells.append(f'<td class="num" data-sort="{missing}">{esc(missing_text + share)}</td>')
        cells.append(f'<td class="description">{esc(description)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    heads = [t("indicator"), t("unit"), t("domain")]
    if has_entities:
        heads.append(t("entities"))
    heads += [
        t("years") if time_dim == "year" else labels.get(time_dim or "", time_dim or ""),
        t("missing"),
        t("description"),
    ]
    head = "".join(f'<th scope="col" aria-sort="none">{esc(h)}</th>' for h in heads)
    dims_text = ", ".join(i18n.label(checked.labels, d, lang) for d in dims)
    summary = t("panel", rows=format_number(len(panel), lang, 0), dims=dims_text)
    return (
        f'<section id="dictionary"><h2>{esc(t("dictionary"))}</h2>'
        f"<p>{esc(summary)}</p>"
        f'<div class="table-wrap"><table class="sortable" id="dictionary-table">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div></section>"
    )


def _fmt_dim(v: object) -> str:
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    return str(v)


def _results(
    report: Report,
    shapes: Mapping[str, charts.Shape],
    labels: Mapping[str, str],
    dims: list[str],
    time_dim: str | None,
) -> str:
    lang = report.lang
    t = lambda key, **kw: i18n.text(key, lang, **kw)  # noqa: E731
    from kzf.engine.io.output import in_language_order

    frame = in_language_order(report.result.frame, dims, lang)  # names as the language sorts
    dim_labels = {d: labels.get(d, d) for d in dims}
    headers = {**dim_labels, **labels}
    units = {
        n: u for n, u in report.units.items() if u not in ("(condition)", "1", "1 (a constant)")
    }
    plain = [time_dim] if time_dim else []
    out = [f'<section id="results"><h2>{esc(t("results"))}</h2>']

    series = [n for n, s in shapes.items() if s.kind == "series"]
    series += [n for n in report.names if n in frame.columns and n not in shapes]
    per_entity = [n for n, s in shapes.items() if s.kind == "per_entity"]
    constant = [n for n, s in shapes.items() if s.kind == "constant"]
    if time_dim is None:  # no time: every per-entity value is a row of the main table
        series, per_entity = series + per_entity, []

    if series:
        part = frame[[*dims, *series]]
        keep = part[series].notna().any(axis=1)
        part = part[keep]
        heading = t("by_row") if time_dim == "year" else t("results")
        out.append(f'<h3>{esc(heading)}</h3><p class="hint">{esc(t("rows_left_out"))}</p>')
        out.append(
            _table(part, lang, headers, plain=plain, table_id="results-table", notes=units)
            if len(part)
            else f"<p>{esc(t('no_rows'))}</p>"
        )
    if per_entity:
        others = [d for d in dims if d != time_dim]
        part = frame[[*others, *per_entity]].dropna(how="all", subset=per_entity)
        part = part.drop_duplicates(subset=others)
        out.append(f"<h3>{esc(t('by_entity'))}</h3>")
        out.append(_table(part, lang, headers, notes=units))
    if constant:
        rows = []
        for n in constant:
            value = frame[n].dropna().iloc[0]
            rows.append(
                "<tr>"
                f'<td><span class="label">{esc(labels.get(n, ""))}</span> '
                f"<code>{esc(n)}</code></td>"
                + _cell(_py(value), lang)
                + f"<td>{esc(units.get(n, ''))}</td></tr>"
            )
        head = "".join(
            f'<th scope="col" aria-sort="none">{esc(h)}</th>'
            for h in (t("indicator"), t("value"), t("unit"))
        )
        out.append(
            f"<h3>{esc(t('whole_panel'))}</h3>"
            f'<div class="table-wrap"><table class="sortable" id="constants-table">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
        )
    if report.result.tables:
        out.append(f"<h3>{esc(t('models'))}</h3>")
        for name, table in report.result.tables.items():
            ints = [str(c) for c in table.columns if pd.api.types.is_integer_dtype(table[c].dtype)]
            out.append(_table(table, lang, plain=ints, caption=name))
    out.append("</section>")
    return "".join(out)


def is_rank_definition(checked: CheckedProgram, name: str) -> bool:
    """A definition that is itself a rank is charted as it is, not ranked again."""
    d = checked.definitions.get(name)
    return d is not None and isinstance(d.node, ir.Rank)


def _charts(
    report: Report,
    shapes: Mapping[str, charts.Shape],
    lab: object,
    dims: list[str],
    time_dim: str | None,
) -> list[str]:
    checked = report.program.checked
    frame = report.result.frame
    figures: list[str] = []
    count = 0
    # a composite index's indicators are drawn together, in its distributions chart
    together = set(report.composite.leaves) if report.composite is not None else set()
    for name, shape in shapes.items():
        if name in together:
            continue
        is_rank = is_rank_definition(checked, name)
        kinds = charts.kinds_for(shape, is_rank)
        for kind in kinds:
            if count >= MAX_CHARTS:
                return figures
            title = lab(name)  # type: ignore[operator]
            fig = charts.draw(
                kind,
                frame,
                name,
                dims,
                time_dim,
                title=title if title == name else f"{title} ({name})",
                unit=report.units.get(name) if report.units.get(name) not in (None, "1") else None,
                lang=report.lang,
                is_rank=is_rank,
            )
            count += 1
            svg = charts.to_svg(fig, f"c{count}", title=f"{title}: {kind}")
            figures.append(f'<figure class="chart-box" data-kind="{kind}">{svg}</figure>')
    return figures


def _composite(report: Report, lab: Callable[[str], str]) -> str:
    """The composite index's section: a sentence on what is shown, then its charts."""
    t = lambda key, **kw: i18n.text(key, report.lang, **kw)  # noqa: E731
    c = report.composite
    if c is None:
        if report.composite_note is None:
            return ""
        return (
            f'<section id="composite"><h2>{esc(t("composite"))}</h2>'
            f'<p class="note">{esc(report.composite_note)}</p></section>'
        )
    when = t("in_year", year=c.year) if c.year is not None else ""
    intro = t(
        "composite_intro", index=lab(c.index), when=when, entities=c.entities, leaves=len(c.leaves)
    )
    figures = "".join(
        f'<figure class="chart-box" data-kind="{kind}">'
        f"{charts.to_svg(fig, f'composite-{kind}', title=f'{lab(c.index)}: {kind}')}</figure>"
        for kind, fig in c.figures
    )
    return (
        f'<section id="composite"><h2>{esc(t("composite"))}</h2><p>{esc(intro)}</p>'
        f'<div class="charts">{figures}</div></section>'
    )


def _kind(o: Outcome) -> str:
    """The badge of an expectation: its status, or "derived" for a reproduced value the
    file derives itself (`expect ... derived "how"`)."""
    if o.status is Status.REPRODUCED and o.expect.origin == "derived":
        return "derived"
    return o.status.value


def _checks(report: Report, labels: Mapping[str, str]) -> str:
    prog = report.program
    checked = prog.checked
    lang = report.lang
    t = lambda key, **kw: i18n.text(key, lang, **kw)  # noqa: E731
    out = [f'<section id="checks"><h2>{esc(t("checks"))}</h2>']
    if report.outcomes:
        counts = {s.value: 0 for s in Status}
        counts["derived"] = 0  # the files' own values, apart from the published ones
        for o in report.outcomes:
            counts[_kind(o)] += 1
        out.append(f"<h3>{esc(t('expectations'))}</h3>")
        badges = "".join(
            f'<span class="badge {k}">{esc(t(k))}: {n}</span>'
            for k, n in counts.items()
            if n or k in ("reproduced", "erratum", "failed")
        )
        out.append(f'<p class="badges">{badges}</p>')
        heads = (
            t("status"),
            t("indicator"),
            t("cell"),
            t("published"),
            t("rounding"),
            t("computed"),
            t("note"),
        )
        head = "".join(f'<th scope="col" aria-sort="none">{esc(h)}</th>' for h in heads)
        rows = []
        for o in report.outcomes:
            e = o.expect
            key = ", ".join(_fmt_dim(k) for k in e.key)
            if e.column:
                key = f"{key} · {e.column}" if key else e.column
            rounding = t(e.rounding[0], d=e.rounding[1]) if e.rounding else ""
            if e.tolerance is not None:
                rounding = (
                    rounding + " " if rounding else ""
                ) + f"± {format_number(e.tolerance, lang)}"
            title = f' title="{esc(labels[e.name])}"' if e.name in labels else ""
            name = f"<code{title}>{esc(e.name)}</code>"
            computed = (
                _cell(o.computed, lang, shown=format_number(o.computed, lang, 6))
                if o.computed is not None
                else _cell(None, lang)
            )
            kind = _kind(o)
            detail = o.detail or ((e.origin_note or "") if kind == "derived" else "")
            rows.append(
                f'<tr class="{o.status.value}">'
                f'<td><span class="badge {kind}">{esc(t(kind))}</span></td>'
                f"<td>{name}</td><td>{esc(key)}</td>"
                + _cell(e.value, lang, shown=i18n.format_exact(e.value, lang))
                + f'<td class="nowrap">{esc(rounding)}</td>'
                + computed
                + f"<td>{esc(detail)}</td></tr>"
            )
        out.append(
            '<div class="table-wrap"><table class="sortable" id="expectations-table">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
        )
    warnings = [
        *prog.diagnostics,
        *(w for w in report.result.warnings if w not in prog.diagnostics),
    ]
    out.append(f"<h3>{esc(t('warnings'))}</h3>")
    if warnings:
        frame = pd.DataFrame(
            _diagnostic_rows(warnings, lang), columns=[t("code"), t("location"), t("message")]
        )
        out.append(_table(frame, lang))
    else:
        out.append(f"<p>{esc(t('no_warnings'))}</p>")
    if checked.rules:  # the validation of the data: counts per rule, then the failing rows
        validation = report.validation
        out.append(f'<h3 id="validation">{esc(t("validation"))}</h3>')
        out.append(_table(validation.summary, lang))
        if len(validation.table):
            out.append(f"<h4>{esc(t('failing_rows'))}</h4>" + _table(validation.table, lang))
        else:
            out.append(f"<p>{esc(t('no_failures'))}</p>")
    allows = [a for a in checked.allows if a.span.path == checked.path]
    if allows:
        frame = pd.DataFrame(
            [(a.code, a.name or "", a.reason) for a in allows],
            columns=[t("code"), t("indicator"), t("reason")],
        )
        out.append(f"<h3>{esc(t('allowed'))}</h3>" + _table(frame, lang))
    if checked.asserts:
        items = "".join(
            f"<li><code>{esc(a.left_text)}</code> {'≢' if a.negated else '≡'} "
            f"<code>{esc(a.right_text)}</code></li>"
            for a in checked.asserts
        )
        out.append(f"<h3>{esc(t('asserts'))}</h3><ul>{items}</ul>")
    out.append("</section>")
    return "".join(out)


_CSS = """
:root{--ink:#1d2330;--muted:#5b6475;--line:#d9dde5;--bg:#ffffff;--soft:#f5f7fa;--accent:#1f5fa8;
--ok:#1b7a3d;--ok-bg:#e3f3e8;--err:#a81d1d;--err-bg:#fbe5e5;--warn:#8a5a00;--warn-bg:#fdf1d8}
*{box-sizing:border-box}
html{font-family:kzf-sans,"DejaVu Sans",system-ui,sans-serif;color:var(--ink);background:var(--bg);
font-size:15px;line-height:1.5}
body{margin:0 auto;max-width:1120px;padding:24px 28px 48px}
header h1{font-size:1.9rem;line-height:1.25;margin:.1em 0 .5em}
.kicker{color:var(--accent);text-transform:uppercase;letter-spacing:.08em;font-size:.8rem;margin:0;
font-weight:bold}
h2{font-size:1.4rem;border-bottom:2px solid var(--ink);padding-bottom:.2em;margin:1.8em 0 .7em}
h3{font-size:1.08rem;margin:1.4em 0 .4em}
code{font-family:"DejaVu Sans Mono",ui-monospace,monospace;font-size:.86em;background:var(--soft);
padding:.05em .3em;border-radius:3px}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
nav ol{display:flex;flex-wrap:wrap;gap:.3em 1.4em;list-style:none;padding:.6em .9em;margin:0;
background:var(--soft);border-radius:6px}
nav li{counter-increment:s}nav li::before{content:counter(s) ". ";color:var(--muted)}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.15em 1em;margin:.4em 0 0;
font-size:.92rem}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
.definition{border:1px solid var(--line);border-radius:8px;padding:.7em 1.1em .9em;margin:.8em 0;
break-inside:avoid}
.definition h3{margin:.2em 0 .3em}
.definition h3 code{font-weight:normal;margin-left:.3em}
.note{color:var(--muted);margin:.2em 0 .5em;font-size:.93rem}
.formula{overflow-x:auto;padding:.35em 0;font-size:1.12rem}
math{font-family:kzf-math,"DejaVu Serif",math}
math[display=block]{margin:.2em 0;text-align:left;justify-content:flex-start}
pre.source{background:var(--soft);padding:.6em .8em;border-radius:6px;overflow-x:auto;
font-size:.88rem;white-space:pre-wrap}
.table-wrap{overflow-x:auto;margin:.4em 0 1em;border:1px solid var(--line);border-radius:6px}
table{border-collapse:collapse;width:100%;font-size:.9rem}
caption{caption-side:top;text-align:left;font-weight:bold;padding:.5em .7em;background:var(--soft)}
th,td{padding:.32em .7em;border-bottom:1px solid var(--line);vertical-align:top;text-align:left}
th{background:var(--soft);font-weight:bold;cursor:pointer;user-select:none;position:sticky;top:0;
min-width:5em;vertical-align:bottom}
th .unit{display:block;font-weight:normal;color:var(--muted);font-size:.82em}
th[aria-sort=ascending]::after{content:" ▲";font-size:.75em}
th[aria-sort=descending]::after{content:" ▼";font-size:.75em}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.num{white-space:nowrap}
a.chip{display:inline-block;margin:0 .15em .15em 0}
.nowrap{white-space:nowrap}
td.missing{color:#9aa1ad;text-align:center}
tbody tr:nth-child(even){background:#fafbfc}tbody tr:hover{background:#eef4fb}
td.description{color:var(--muted);font-size:.88em;min-width:24em}
.hint{color:var(--muted);font-size:.88rem;margin:.1em 0 .3em}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(440px,1fr));gap:14px}
figure.chart-box{margin:0;border:1px solid var(--line);border-radius:8px;padding:6px;
background:#fff;break-inside:avoid}
svg.chart{display:block;width:100%;height:auto}
.badge{display:inline-block;padding:.05em .55em;border-radius:999px;font-size:.85em;
white-space:nowrap}
.badge.reproduced{background:var(--ok-bg);color:var(--ok)}
.badge.erratum{background:var(--warn-bg);color:var(--warn)}
.badge.failed{background:var(--err-bg);color:var(--err);font-weight:bold}
.badge.derived{background:var(--ok-bg);color:var(--ok);font-style:italic}
.badge.unreproducible{background:var(--warn-bg);color:var(--warn);font-style:italic}
.badges .badge{margin-right:.5em;font-size:.95em}
footer{margin-top:3em;color:var(--muted);font-size:.85rem;border-top:1px solid var(--line);
padding-top:.6em}
@media print{body{max-width:none;padding:0}nav{display:none}th{position:static}
.table-wrap{overflow:visible}}
"""

_JS = """
(function(){
var lang=document.documentElement.lang||undefined;
function key(row,i){var c=row.cells[i];if(!c)return null;var s=c.getAttribute('data-sort');
if(s===null)return c.textContent.trim();if(s==='')return null;return Number(s);}
function sortBy(table,i,th){
var asc=th.getAttribute('aria-sort')!=='ascending';
var heads=table.tHead.rows[0].cells;
for(var h=0;h<heads.length;h++)heads[h].setAttribute('aria-sort','none');
th.setAttribute('aria-sort',asc?'ascending':'descending');
var body=table.tBodies[0];var rows=Array.prototype.slice.call(body.rows);
rows.sort(function(a,b){var x=key(a,i),y=key(b,i);
if(x===null&&y===null)return 0;if(x===null)return 1;if(y===null)return -1;
var d=(typeof x==='number'&&typeof y==='number')?x-y:String(x).localeCompare(String(y),lang);
return asc?d:-d;});
rows.forEach(function(r){body.appendChild(r);});}
var tables=document.querySelectorAll('table.sortable');
Array.prototype.forEach.call(tables,function(table){
if(!table.tHead)return;var heads=table.tHead.rows[0].cells;
Array.prototype.forEach.call(heads,function(th,i){th.tabIndex=0;
th.addEventListener('click',function(){sortBy(table,i,th);});
th.addEventListener('keydown',function(e){if(e.key==='Enter'||e.key===' '){e.preventDefault();
sortBy(table,i,th);}});});});
})();
"""
