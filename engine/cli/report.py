"""`kzf report` and `kzf plot`: the commands, registered by engine/cli/main.py.

kzf report FILE [--data PATH] -o report.html [--lang kk|ru|en] [--param k=v] [--select a,b]
kzf plot FILE [--data PATH] NAME -o chart.png|svg [--kind series|ranks|bars|correlations]
         [--lang kk|ru|en]
"""

from __future__ import annotations

import argparse
import contextlib
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from kzf.dsl.diagnostics import Diagnostic, UsageError, localised, localised_warning
from kzf.engine.cli.common import (
    add_data_options,
    add_param_option,
    add_program_options,
    data_source,
    load_program,
    parse_params,
    print_diagnostics,
    read_options,
)
from kzf.engine.present.i18n import LANGUAGES

if TYPE_CHECKING:  # the argument table is built on every start: no pandas there
    from kzf.engine.api.program import Program
    from kzf.engine.io.data import Panel


def add_parsers(
    sub: argparse._SubParsersAction,
) -> None:
    rp = sub.add_parser(
        "report",
        help="write a self-contained HTML report: methodology, data, results, charts, checks",
        description="Evaluate FILE and write one HTML file that opens without a network.",
    )
    rp.add_argument("file", metavar="FILE")
    rp.add_argument("--data", metavar="PATH", help="default: the file's `data`")
    rp.add_argument("-o", "--out", metavar="PATH", required=True, help="the .html to write")
    rp.add_argument("--lang", choices=LANGUAGES, default="en", help="language (default: en)")
    add_param_option(rp)
    rp.add_argument("--select", metavar="A,B", help="only these definitions in the results")
    rp.add_argument("--where", metavar="COND", help="keep rows where COND holds")
    rp.add_argument(
        "--index",
        metavar="NAME",
        help="the composite index whose charts the report shows (default: the file's largest)",
    )
    rp.add_argument(
        "--sensitivity-runs",
        metavar="N",
        type=_runs,
        default=200,
        help="Monte Carlo runs for the composite index's rank uncertainty (default 200; 0: "
        "no uncertainty chart)",
    )
    add_data_options(rp)
    add_program_options(rp)

    pp = sub.add_parser(
        "plot",
        help="draw one chart of a definition as .png or .svg",
        description="Evaluate FILE and draw definition NAME.",
    )
    pp.add_argument("file", metavar="FILE")
    pp.add_argument("name", metavar="NAME", help="the definition to draw")
    pp.add_argument("--data", metavar="PATH", help="default: the file's `data`")
    pp.add_argument("-o", "--out", metavar="PATH", required=True, help="chart.png or chart.svg")
    pp.add_argument(
        "--kind",
        choices=("series", "ranks", "bars", *COMPOSITE_KINDS),
        help="series: over time per entity; ranks: rank per year; bars: the latest year "
        "(default: the first that fits the definition). For a composite index NAME, in the "
        "latest year (or --year): framework (a sunburst of its hierarchy), correlations (the "
        "heat map of its indicators and nodes), distributions (of its indicators), "
        "contributions (stacked, by the index's children), uncertainty (ranks under the "
        "file's `vary`, --runs Monte Carlo runs)",
    )
    pp.add_argument(
        "--runs",
        metavar="N",
        type=_runs,
        default=1000,
        help="--kind uncertainty: Monte Carlo runs (1000)",
    )
    pp.add_argument("--lang", choices=LANGUAGES, default="en", help="language (default: en)")
    pp.add_argument(
        "--year", metavar="Y", help="a composite index's charts: the year (default: latest)"
    )
    add_param_option(pp)
    pp.add_argument("--where", metavar="COND", help="keep rows where COND holds")
    add_data_options(pp)
    add_program_options(pp)


COMPOSITE_KINDS = ("framework", "correlations", "distributions", "contributions", "uncertainty")


def _runs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is below 0")
    return value


def _read(prog: Program, args: argparse.Namespace) -> Panel:
    # the page or chart must not replace what it comes from (an `-o page.html` that is a
    # link to the data, or to the .kzf file)
    return prog.read_data(data_source(prog, args, args.out), **read_options(args))


def _out(path: str, suffixes: tuple[str, ...]) -> None:
    if Path(path).suffix.lower() not in suffixes:
        raise UsageError(
            [
                localised(
                    "KZF108",
                    "-o {path}: write a file ending in {suffixes}",
                    path=path,
                    suffixes=" or ".join(suffixes),
                )
            ]
        )


_MISSING_GLYPH = re.compile(r"Glyph \d+ \(.*\) missing from font")


@contextlib.contextmanager
def _glyphs_reported() -> Iterator[None]:
    """matplotlib's "Glyph 20013 missing from font(s) DejaVu Sans" UserWarnings, one per
    character and chart with a source line of kzf's, become one kzf warning (KZF270) naming
    the characters the charts draw as empty boxes; its other warnings (a layout that
    collapses under very long labels) become KZF270 too, each said once."""
    missing: list[str] = []
    others: list[warnings.WarningMessage] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        try:
            yield
        finally:
            for w in caught:
                text = str(w.message)
                if _MISSING_GLYPH.search(text):
                    char = chr(int(text.split()[1]))
                    if char not in missing:
                        missing.append(char)
                else:
                    others.append(w)
    said: list[Diagnostic] = []
    for w in others:  # matplotlib's other complaints, as kzf warnings; the rest as they were
        if "matplotlib" in w.filename or w.filename.endswith("charts.py"):
            found = localised_warning(
                "KZF270", "a chart is drawn imperfectly: {problem}", problem=w.message
            )
            if found not in said:
                said.append(found)
        else:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    print_diagnostics(said, {})
    if missing:
        listed = " ".join(missing[:20]) + (" ..." if len(missing) > 20 else "")
        print_diagnostics(
            [
                localised_warning(
                    "KZF270",
                    "the charts' font (DejaVu Sans) has no glyph for {chars}: the charts draw "
                    "these characters as empty boxes (tables and text show them)",
                    chars=listed,
                )
            ],
            {},
        )


def cmd_report(args: argparse.Namespace) -> int:
    from kzf.engine.present import report

    _out(args.out, (".html", ".htm"))
    prog = load_program(args.file, args)
    print_diagnostics(prog.diagnostics, prog.checked.sources)
    select = [s.strip() for s in args.select.split(",") if s.strip()] if args.select else None
    built = report.build(
        prog,
        _read(prog, args),
        lang=args.lang,
        params=parse_params(args.param),
        select=select,
        where=args.where,
        index=args.index,
        sensitivity_runs=args.sensitivity_runs,
    )
    print_diagnostics(built.result.warnings, prog.checked.sources)
    # the rules: shown in the page's checks; failing ones said here; error-level: exit 1
    print_diagnostics(list(built.validation.diagnostics), prog.checked.sources)
    with _glyphs_reported():  # the page, and its charts, are drawn when written
        report.write(built, args.out)
    return 1 if built.validation.has_errors else 0


def cmd_plot(args: argparse.Namespace) -> int:
    from kzf.engine.present import charts, i18n
    from kzf.engine.present.report import definition_units, is_rank_definition

    _out(args.out, (".png", ".svg"))
    prog = load_program(args.file, args)
    if args.kind in COMPOSITE_KINDS:
        return _plot_composite(prog, args)
    checked = prog.checked
    prog.selection([args.name])  # an unknown name: a did-you-mean error
    result = prog.run(_read(prog, args), parse_params(args.param), [args.name], args.where)
    dims = list(prog.dims)
    time_dim = checked.time_dim if checked.time_dim in dims else None
    shape = charts.shape_of(result.frame, args.name, dims, time_dim)
    is_rank = is_rank_definition(checked, args.name)
    fitting = charts.kinds_for(shape, is_rank)
    kind = args.kind or (fitting[0] if fitting else None)
    if kind is None:
        raise UsageError(
            [
                localised(
                    "KZF107", "'{name}' has no values: there is nothing to draw", name=args.name
                )
                if shape.kind == "empty"
                else localised(
                    "KZF107",
                    "'{name}' has one value for the whole panel: there is nothing to draw",
                    name=args.name,
                )
            ]
        )
    label = i18n.label(checked.labels, args.name, args.lang)
    unit = definition_units(prog, [args.name]).get(args.name)
    fig = charts.draw(
        kind,
        result.frame,
        args.name,
        dims,
        time_dim,
        title=label if label == args.name else f"{label} ({args.name})",
        unit=unit if unit not in (None, "1", "(condition)") else None,
        lang=args.lang,
        is_rank=is_rank,
    )
    with _glyphs_reported():
        charts.save(fig, args.out)
    return 0


def _plot_composite(prog: Program, args: argparse.Namespace) -> int:
    """kzf plot FILE INDEX --kind framework|correlations|...: a chart of a composite index."""
    from kzf.engine.present import charts, i18n
    from kzf.engine.present.composite import composite_charts

    checked = prog.checked
    all_names = [*checked.inputs, *checked.definitions, *checked.dims, *checked.params]
    made = composite_charts(
        prog,
        _read(prog, args),
        args.name,
        parse_params(args.param),
        year=args.year,
        lang=args.lang,
        labels=i18n.labels_for(checked.labels, all_names, args.lang),
        kinds=[args.kind],
        runs=args.runs,
        every_name=True,
    )
    if not made.figures:  # uncertainty of a file that varies nothing
        raise UsageError(
            [
                localised(
                    "KZF026",
                    "{file} has no `vary` statement: nothing varies, so no rank is uncertain",
                    file=prog.path,
                )
            ]
        )
    with _glyphs_reported():
        charts.save(made.figures[0][1], args.out)
    return 0


COMMANDS = {"report": cmd_report, "plot": cmd_plot}
