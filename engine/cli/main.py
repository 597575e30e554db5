"""The `kzf` command: eval, check and test.

Exit status: 0 success; 1 a data or evaluation error (or an expectation not reproduced);
2 a usage, syntax or check error. A user's mistake never shows a Python traceback;
`--debug` shows one for kzf's own bugs.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kzf.dsl.diagnostics import KzfError, UsageError, error, localised
from kzf.engine.cli.common import (
    DIAGNOSTICS,
    add_data_options,
    add_param_option,
    add_program_options,
    data_source,
    load_program,
    parse_params,
    print_diagnostics,
    read_options,
)
from kzf.engine.cli.helptext import KzfParser, language_in
from kzf.engine.io import files
from kzf.engine.run.backends import backend_names
from kzf.version import __version__

# What evaluating needs (pandas, the readers, the engines) is imported by the commands that
# evaluate, so that `kzf --version` and `kzf check` start quickly (docs/performance.md).
if TYPE_CHECKING:
    from kzf.engine.api.program import Program
    from kzf.engine.api.validation import Validation
    from kzf.engine.checks.expect import Outcome

EPILOG = """\
examples:
  kzf eval formulas/ict_efficiency.kzf                  # on the data the file declares
  kzf eval formulas/egdi.kzf --data data/eaeu.csv --select egdi_place --where "year >= 2016"
  kzf eval formulas/document_processing.kzf --param T1=45 --format json
  kzf eval formulas/egdi.kzf --data data/eaeu.csv --out results.xlsx
  kzf eval formulas/gdp_regression.kzf --table gdp.summary,gdp.coefficients
  kzf check formulas/*.kzf
  kzf check --units formulas/egdi.kzf
  kzf check --equiv formulas/a.kzf:E formulas/b.kzf:E
  kzf show formulas/egdi.kzf --latex
  kzf eval formulas/egdi.kzf --format table --lang kk
  kzf report formulas/egdi.kzf --data data/eaeu.csv -o egdi.html --lang ru
  kzf plot formulas/egdi.kzf egdi_place -o places.svg --kind ranks
  kzf test formulas indicators

exit status: 0 success; 1 data or evaluation error, or an expectation not reproduced;
2 usage, syntax or check error.  Language reference: docs/language.md
"""


def _parser() -> argparse.ArgumentParser:
    p = KzfParser(
        prog="kzf",
        description="Compute statistical indicators from formula files (.kzf) and panel data.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"kzf {__version__}")
    p.add_argument("--debug", action="store_true", help="show Python tracebacks of internal errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    ev = sub.add_parser(
        "eval",
        help="evaluate a formula file on data",
        description="Evaluate FILE on a panel and print or write the results.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ev.add_argument("file", metavar="FILE")
    ev.add_argument(
        "--data", metavar="PATH", help="csv, xlsx or parquet (default: the file's `data`)"
    )
    add_param_option(ev)
    ev.add_argument("--select", metavar="A,B", help="only these definitions, in this order")
    ev.add_argument(
        "--where", metavar="COND", help='keep rows where COND holds, e.g. "year >= 2017"'
    )
    ev.add_argument(
        "--format", choices=files.FORMATS, help="default: table on a terminal, else csv"
    )
    ev.add_argument("--out", metavar="PATH", help="write .csv, .json, .parquet or .xlsx")
    ev.add_argument(
        "--lang",
        choices=("kk", "kk-Latn", "ru", "en"),
        help="headers from the file's `label`s (kk-Latn: the Kazakh Latin ones): of the "
        "table, of --out .xlsx files and of --csv-dialect excel; the table's numbers and "
        "the order of its names as the language writes them",
    )
    ev.add_argument(
        "--csv-dialect",
        choices=files.CSV_DIALECTS,
        default="standard",
        help="excel: ';', decimal comma and a UTF-8 BOM, as Excel opens csv in kk/ru locales "
        "(default: standard, for programs)",
    )
    ev.add_argument(
        "--table", metavar="A,B", help="only these tables of the models (e.g. gdp.coefficients)"
    )
    add_data_options(ev)
    ev.add_argument(
        "--engine",
        choices=backend_names(),
        default="pandas",
        help=f"where to compute: {', '.join(backend_names())} (default: pandas); same results",
    )
    ev.add_argument("--master", metavar="URL", help="Spark master, e.g. spark://host:7077")
    add_program_options(ev)

    ck = sub.add_parser("check", help="check formula files without data")
    ck.add_argument("files", metavar="FILE", nargs="*")
    ck.add_argument("--strict", action="store_true", help="treat warnings as errors")
    ck.add_argument("--units", action="store_true", help="print every definition's unit")
    ck.add_argument(
        "--equiv",
        nargs=2,
        metavar=("A.kzf:NAME", "B.kzf:NAME"),
        help="are two definitions the same formula? (exit 0 same, 1 different)",
    )
    add_program_options(ck)

    sh = sub.add_parser("show", help="print definitions in mathematical notation")
    sh.add_argument("file", metavar="FILE")
    sh.add_argument("name", metavar="NAME", nargs="?", help="only this definition or function")
    sh.add_argument("--latex", action="store_true", help="LaTeX instead of Unicode")
    sh.add_argument("--expand", action="store_true", help="substitute down to the inputs")
    add_program_options(sh)

    va = sub.add_parser(
        "validate",
        help="check data against the file's `rule`s: the failing rows, as a table",
        description="Check the data against the file's rule statements (docs/validation.md). "
        "Prints one row per rule and failing row; exit status 1 when a rule of severity "
        "error fails.",
    )
    va.add_argument("file", metavar="FILE")
    va.add_argument("--data", metavar="PATH", help="default: the file's `data`")
    add_param_option(va)
    va.add_argument("--format", choices=files.FORMATS, help="default: table on a terminal")
    va.add_argument("--out", metavar="PATH", help="write the table: .csv, .json, .parquet, .xlsx")
    add_data_options(va)
    va.add_argument("--engine", choices=backend_names(), default="pandas")
    va.add_argument("--master", metavar="URL", help="Spark master, e.g. spark://host:7077")
    add_program_options(va)

    sub.add_parser(
        "lsp",
        help="run the language server on stdio, for editors (docs/editor.md)",
        description="The Language Server Protocol over standard input and output: an editor "
        "starts `kzf lsp` and gets the checker's diagnostics as the file is edited, hover, go "
        "to definition, references, rename and completion (docs/editor.md).",
    )

    from kzf.engine.cli import start  # kzf init, kzf completion

    start.add_parsers(sub)

    ts = sub.add_parser("test", help="reproduce the published values stated with `expect`")
    ts.add_argument("paths", metavar="PATH", nargs="+", help=".kzf files or folders of them")
    add_program_options(ts)

    from kzf.engine.cli import composite as composite_cli  # kzf audit, contrib, sensitivity, diff
    from kzf.engine.cli import report as report_cli  # kzf report, kzf plot

    report_cli.add_parsers(sub)
    composite_cli.add_parsers(sub)
    return p


def _cmd_eval(args: argparse.Namespace) -> int:
    prog = load_program(args.file, args)
    print_diagnostics(prog.diagnostics, prog.checked.sources)
    data = data_source(prog, args, args.out)
    select = [s.strip() for s in args.select.split(",") if s.strip()] if args.select else None
    if args.engine != "pandas" and not prog.has_models and not prog.checked.rules:
        written = _eval_natively(prog, args, data, select)
        if written is not None:
            return written
    from kzf.engine.api.validation import validate  # pandas: not needed by a native run
    from kzf.engine.io import output

    panel = prog.read_data(data, select, args.where, **read_options(args))
    result = prog.run(
        panel,
        parse_params(args.param),
        select,
        args.where,
        engine=args.engine,
        master=args.master,
        progress=True,
    )
    print_diagnostics(result.warnings, prog.checked.sources)
    # the file's rules that were evaluated: failing rows said; an error-level one: exit 1
    checked_rules = validate(prog.checked, result.frame, panel.frame)
    print_diagnostics(list(checked_rules.diagnostics), prog.checked.sources)
    status = 1 if checked_rules.has_errors else 0
    if args.lang:  # headers in the chosen language (the table format only)
        from kzf.engine.present.i18n import labels_for

        args.labels = labels_for(prog.checked.labels, map(str, result.frame.columns), args.lang)
    labels = getattr(args, "labels", None)
    if prog.has_models:  # the frame, then the models' tables (engine/api/model_tables.py)
        from kzf.engine.api import model_tables

        return max(model_tables.emit(result, args), status)
    dialect = args.csv_dialect
    if args.out:
        output.write_frame(result.frame, args.out, labels=labels, dialect=dialect)
        if args.format:
            sys.stdout.write(output.render(result.frame, args.format, labels, dialect, args.lang))
        return status
    fmt = args.format or ("table" if sys.stdout.isatty() else "csv")
    shown = result.frame
    if fmt == "table" and args.lang:  # for people: names in the language's order
        shown = output.in_language_order(shown, prog.dims, args.lang)
    sys.stdout.write(output.render(shown, fmt, labels, dialect, args.lang))
    return status


def _eval_natively(
    prog: Program, args: argparse.Namespace, data: str, select: list[str] | None
) -> int | None:
    """`kzf eval --engine duckdb` on a file the engine reads itself: it computes, checks and,
    with `--out` as .parquet or .csv, writes the result without the data passing through
    this process (engine/run/native.py; where pandas must read the data after all, the API
    does so and says why, KZF160). None, before any work, for what only the pandas reader
    and writers do: reading options (--decimal, --missing, ...), a file for people (.xlsx,
    the excel dialect, headers in a language), or --out with --format."""

    defaults: tuple[object, ...] = (".", None, None, None, [], None, None)
    given: tuple[object, ...] = (args.decimal, args.sep, args.encoding, args.sheet, args.missing)
    given += (args.header_row, args.drop_flags)
    if given != defaults or (args.out and (args.format or args.lang)):
        return None
    out_kind = files.native_kind(args.out, args.csv_dialect) if args.out else None
    if args.out and out_kind is None:
        return None
    params = parse_params(args.param)
    if args.out:
        written = prog.write(
            data, args.out, params, select, args.where, engine=args.engine, master=args.master
        )
        print_diagnostics(written.warnings, prog.checked.sources)
        return 0
    evaluation = prog.run(data, params, select, args.where, engine=args.engine, master=args.master)
    print_diagnostics(evaluation.warnings, prog.checked.sources)
    labels = None
    if args.lang:
        from kzf.engine.present.i18n import labels_for

        labels = labels_for(prog.checked.labels, map(str, evaluation.frame.columns), args.lang)
    fmt = args.format or ("table" if sys.stdout.isatty() else "csv")
    from kzf.engine.io import output  # the table or csv on stdout

    shown = evaluation.frame
    if fmt == "table" and args.lang:
        shown = output.in_language_order(shown, prog.dims, args.lang)
    sys.stdout.write(output.render(shown, fmt, labels, args.csv_dialect, args.lang))
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    """The data against the file's rules: the failing rows as a table (stdout or --out),
    one diagnostic per failing rule and the counts per rule (stderr); exit 1 when a rule of
    severity error fails."""
    from kzf.engine.api.validation import rule_counts
    from kzf.engine.io import output

    prog = load_program(args.file, args)
    print_diagnostics(prog.diagnostics, prog.checked.sources)
    data = data_source(prog, args, args.out)
    checked = prog.validate(
        data,
        parse_params(args.param),
        engine=args.engine,
        master=args.master,
        **read_options(args),
    )
    print_diagnostics(list(checked.diagnostics), prog.checked.sources)
    for row in checked.summary.itertuples(index=False):
        print(rule_counts(row), file=sys.stderr)
    if args.out:
        output.write_frame(checked.table, args.out)
        if args.format:
            sys.stdout.write(output.render(checked.table, args.format))
    else:
        fmt = args.format or ("table" if sys.stdout.isatty() else "csv")
        sys.stdout.write(output.render(checked.table, fmt))
    return 1 if checked.has_errors else 0


def _cmd_check(args: argparse.Namespace) -> int:
    if args.equiv:
        return _cmd_equiv(args)
    if not args.files:
        raise UsageError([error("KZF107", "kzf check: give one or more FILEs (or --equiv A B)")])
    status = 0
    for file in args.files:
        try:
            prog = load_program(file, args)
        except KzfError as exc:
            print_diagnostics(exc.diagnostics, exc.sources)
            status = 2
            continue
        print_diagnostics(prog.diagnostics, prog.checked.sources)
        if prog.diagnostics and args.strict:
            status = 2
        if args.units:
            from kzf.engine.present.show import units_table

            sys.stdout.write(units_table(prog))
    if status == 0 and args.diagnostics_format == "text":
        from kzf.dsl.messages import say

        print(say("checked {count} file(s): no errors", count=len(args.files)), file=sys.stderr)
    return status


def _cmd_equiv(args: argparse.Namespace) -> int:
    from kzf.engine.present.show import equiv

    sides = []
    for spec in args.equiv:
        path, sep, name = spec.rpartition(":")
        if not sep or not path or not name:
            raise UsageError(
                [localised("KZF107", "--equiv {spec}: write FILE.kzf:NAME", spec=repr(spec))]
            )
        sides.append(
            (
                load_program(path, args),
                name,
            )
        )
    status, report = equiv(sides[0], sides[1])
    sys.stdout.write(report)
    return status


def _cmd_show(args: argparse.Namespace) -> int:
    from kzf.engine.present.show import show

    prog = load_program(args.file, args)
    sys.stdout.write(show(prog, args.name, latex=args.latex, expand=args.expand))
    return 0


def _kzf_files(paths: Sequence[str]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            files.extend(sorted(p.rglob("*.kzf")))
        elif p.is_file():
            files.append(p)
        else:
            raise UsageError([localised("KZF020", "no such file or folder: {file}", file=raw)])
    return files


def _cmd_test(args: argparse.Namespace) -> int:
    from kzf.dsl.messages import say
    from kzf.engine.checks.expect import Status

    shown_as = {
        Status.REPRODUCED: say("ok"),
        Status.ERRATUM: say("erratum"),
        Status.FAILED: say("FAILED"),
        Status.UNREPRODUCIBLE: say("cannot"),
    }
    counts = {Status.REPRODUCED: 0, Status.ERRATUM: 0, Status.FAILED: 0, Status.UNREPRODUCIBLE: 0}
    derived = 0  # reproduced values the files derive themselves, counted apart
    broken = rules_met = rules_warned = rules_broken = 0
    for file in _kzf_files(args.paths):
        try:
            prog = load_program(file, args)
            if not prog.checked.expects and not prog.checked.rules:
                print(say("{file}: no expectations", file=file))
                continue
            outcomes = _run_expectations(prog) if prog.checked.expects else []
            checked_rules = _run_rules(prog)
        except KzfError as exc:
            print(say("{file}: ERROR", file=file))
            print_diagnostics(exc.diagnostics, exc.sources)
            broken += 1
            continue
        print(f"{file}")
        for o in outcomes:
            is_own = o.status is Status.REPRODUCED and o.expect.origin == "derived"
            derived += is_own
            counts[o.status] += not is_own
            label = say("derived") if is_own else shown_as[o.status]
            how = " " + say("(derived: {note})", note=o.expect.origin_note) if is_own else ""
            print(f"  {label:<8} {o.describe()}{how}")
        summary = checked_rules.summary if checked_rules else None
        for rule, severity, failed in (
            zip(summary["rule"], summary["severity"], summary["failed"], strict=True)
            if summary is not None
            else ()
        ):
            failing = int(failed) > 0 and severity == "error"
            rules_broken += failing
            rules_warned += int(failed) > 0 and not failing
            rules_met += int(failed) == 0
            said = (
                say("rule {rule}: {count} row(s) fail", rule=rule, count=int(failed))
                if int(failed)
                else say("rule {rule}: every row meets it", rule=rule)
            )
            shown = (
                shown_as[Status.FAILED]
                if failing
                else say("ok")
                if not int(failed)
                else str(severity)
            )
            print(f"  {shown:<8} {said}")
    # the summary, a part for each count there is, each said in the language
    parts = [
        say(
            "{reproduced} reproduced, {errata} known errata, {failed} failed",
            reproduced=counts[Status.REPRODUCED],
            errata=counts[Status.ERRATUM],
            failed=counts[Status.FAILED],
        )
    ]
    if derived:
        parts.append(say("; {count} derived values checked", count=derived))
    if unavailable := counts[Status.UNREPRODUCIBLE]:
        parts.append(say("; {count} published values cannot be reproduced", count=unavailable))
    if rules_met + rules_warned + rules_broken:
        parts.append(
            say(
                "; rules: {met} met, {warned} with warnings, {broken} broken",
                met=rules_met,
                warned=rules_warned,
                broken=rules_broken,
            )
        )
    parts.append(say(", {count} file(s) with errors", count=broken))
    print("".join(parts))
    return 1 if counts[Status.FAILED] or broken or rules_broken else 0


def _run_rules(prog: Program) -> Validation | None:
    """The file's rules on its own data (a file with rules and no data is KZF023)."""
    if not prog.checked.rules:
        return None
    if prog.data_path is None:
        raise UsageError(
            [localised("KZF023", "{file}: has `rule` but declares no `data`", file=prog.path)]
        )
    return prog.validate(prog.data_path)


def _run_expectations(prog: Program) -> list[Outcome]:
    from kzf.engine.checks.expect import judge

    if prog.data_path is None:
        raise UsageError(
            [localised("KZF023", "{file}: has `expect` but declares no `data`", file=prog.path)]
        )
    names = list(
        dict.fromkeys(
            e.name
            for e in prog.checked.expects
            if e.column is None and e.origin != "unreproducible"
        )
    )
    result = prog.run(prog.data_path, select=names)
    if not prog.has_models:
        return [judge(result.frame, prog.dims, e) for e in prog.checked.expects]
    from kzf.engine.api.model_tables import judge_cell  # cells of models' tables

    time_dim = prog.checked.time_dim
    return [
        judge(result.frame, prog.dims, e)
        if e.column is None or e.origin == "unreproducible"
        else judge_cell(result.tables, prog.dims, time_dim, e)
        for e in prog.checked.expects
    ]


def _cmd_lsp(args: argparse.Namespace) -> int:
    from kzf.engine.editor.server import serve  # pygls: imported only for an editor

    serve()
    return 0


def _encodable_output() -> None:
    """Text kzf prints that the terminal's encoding cannot hold (Kazakh letters or ⋅ on a
    cp1251 console) is written as \\uXXXX escapes rather than ending the run."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # a stream already written to in another mode
                pass


def main(argv: Sequence[str] | None = None) -> int:
    from kzf.engine.cli import start

    _encodable_output()
    from kzf.dsl import messages

    argv = list(sys.argv[1:] if argv is None else argv)
    messages.set_language(language_in(argv))  # the help is printed while parsing
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    commands = {
        "eval": _cmd_eval,
        "check": _cmd_check,
        "test": _cmd_test,
        "show": _cmd_show,
        "validate": _cmd_validate,
        "lsp": _cmd_lsp,
        "init": start.cmd_init,
        "completion": lambda a: start.cmd_completion(a, parser),
    }
    from kzf.engine.cli.report import COMMANDS as report_commands

    commands.update(report_commands)
    from kzf.engine.cli.composite import COMMANDS as composite_commands

    commands.update(composite_commands)
    DIAGNOSTICS.start(getattr(args, "diagnostics_format", "text"))
    # the messages' language: the command's --lang (kk, ru; kk-Latn: kk's), else the locale
    messages.set_language(getattr(args, "lang", None))
    try:
        return commands[args.command](args)
    except KzfError as exc:
        print_diagnostics(exc.diagnostics, exc.sources)
        return exc.exit_status
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print("kzf: interrupted", file=sys.stderr)
        return 130
    except files.Terminated as exc:  # SIGTERM/SIGHUP while writing: the output is as it was
        print("kzf: terminated; the output was left as it was", file=sys.stderr)
        return int(exc.code or 143)
    except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
        if args.debug:
            traceback.print_exc()
        print(
            f"kzf: internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in kzf, not in your file; run with --debug for details.",
            file=sys.stderr,
        )
        return 3
    finally:
        DIAGNOSTICS.finish(args.command)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
