"""`kzf report` and `kzf plot`: the commands, registered by engine/cli/main.py.

kzf report FILE [--data PATH] -o report.html [--lang kk|ru|en] [--param k=v] [--select a,b]
kzf plot FILE [--data PATH] NAME -o chart.png|svg [--kind series|ranks|bars] [--lang kk|ru|en]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from kzf.dsl.diagnostics import UsageError, error
from kzf.engine.api.program import Program
from kzf.engine.cli.common import (
    add_data_options,
    add_param_option,
    add_program_options,
    load_program,
    parse_params,
    print_diagnostics,
    read_options,
)
from kzf.engine.io.data import Panel
from kzf.engine.present.i18n import LANGUAGES


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
        choices=("series", "ranks", "bars"),
        help="series: over time per entity; ranks: rank per year; bars: the latest year "
        "(default: the first that fits the definition)",
    )
    pp.add_argument("--lang", choices=LANGUAGES, default="en", help="language (default: en)")
    add_param_option(pp)
    pp.add_argument("--where", metavar="COND", help="keep rows where COND holds")
    add_data_options(pp)
    add_program_options(pp)


def _read(prog: Program, args: argparse.Namespace) -> Panel:
    data = args.data or prog.data_path
    if data is None:
        raise UsageError(
            [error("KZF107", f"{args.file} declares no `data`; give one with --data PATH")]
        )
    return prog.read_data(data, **read_options(args))


def _out(path: str, suffixes: tuple[str, ...]) -> None:
    if Path(path).suffix.lower() not in suffixes:
        raise UsageError(
            [error("KZF108", f"-o {path}: write a file ending in {' or '.join(suffixes)}")]
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
    )
    print_diagnostics(built.result.warnings, prog.checked.sources)
    report.write(built, args.out)
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    from kzf.engine.present import charts, i18n
    from kzf.engine.present.report import definition_units, is_rank_definition

    _out(args.out, (".png", ".svg"))
    prog = load_program(args.file, args)
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
        why = "has no values" if shape.kind == "empty" else "has one value for the whole panel"
        raise UsageError([error("KZF107", f"'{args.name}' {why}: there is nothing to draw")])
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
    charts.save(fig, args.out)
    return 0


COMMANDS = {"report": cmd_report, "plot": cmd_plot}
