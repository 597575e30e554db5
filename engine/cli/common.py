"""What every command group shares: options declared once, and the printing of diagnostics.

Each command module (main.py: eval, check, show, test; report.py: report, plot; composite.py:
audit, contrib, sensitivity, diff) declares its parsers with these helpers and exports a
`COMMANDS` table; main.py only dispatches.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from kzf.dsl.diagnostics import Diagnostic, UsageError, localised
from kzf.engine.io import files
from kzf.engine.present.diagnostics import FORMATS, coloured, to_json, to_sarif, wants_colour

if TYPE_CHECKING:
    from kzf.engine.api.program import Program
    from kzf.engine.io.data import ReadOptions


def add_program_options(p: argparse.ArgumentParser) -> None:
    """The options every command that reads a .kzf file accepts (most of them hidden)."""
    p.add_argument(
        "--diagnostics-format",
        choices=FORMATS,
        default="text",
        help="errors, warnings and notes as text (default; coloured on a terminal unless "
        "NO_COLOR is set), or as one JSON or SARIF 2.1.0 document: on standard output for "
        "`kzf check`, on standard error for the other commands",
    )
    p.add_argument("--allow-import-outside", action="store_true", help=argparse.SUPPRESS)
    p.add_argument(
        "--allow-data-outside",
        action="store_true",
        help="let the file's own `data` lie outside its project folder",
    )
    # SUPPRESS: `kzf --debug eval ...` keeps the top-level flag (a default would reset it)
    p.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
    )


def load_program(path: str | os.PathLike[str], args: argparse.Namespace) -> Program:
    """The .kzf file with the fences the command line lifted (imports, data outside the
    file's project)."""
    from kzf.engine.api.program import load  # the compiler: not needed for `kzf --version`

    return load(
        path,
        allow_import_outside=args.allow_import_outside,
        allow_data_outside=args.allow_data_outside,
    )


def data_source(prog: Program, args: argparse.Namespace, out: str | None = None) -> str:
    """The data a command reads: `--data`, else the file's own `data` (KZF107 without
    either). With `out`, what the command will write is checked first, before anything is
    read: it must not be the data or a formula file it comes from (KZF108)."""
    data: str | None = args.data or prog.data_path
    if data is None:
        raise UsageError(
            [
                localised(
                    "KZF107",
                    "{file} declares no `data`; give one with --data PATH",
                    file=prog.path,
                )
            ]
        )
    if out:
        files.refuse_overwriting(out, data, *prog.checked.sources)
    return data


def add_data_options(p: argparse.ArgumentParser) -> None:
    """How a data file is read (csv separators and decimals, encodings, Excel sheets)."""
    p.add_argument("--decimal", default=".", choices=[".", ","], help="decimal mark in csv files")
    p.add_argument("--sep", help="csv field separator (default: detected)")
    p.add_argument("--encoding", help="text encoding of csv files (default: UTF-8)")
    p.add_argument("--sheet", help="Excel sheet name or number (default: the first)")
    p.add_argument(
        "--missing",
        metavar="MARKS",
        action="append",
        default=[],
        help="more missing-value markers, comma-separated (e.g. --missing=-99,x); "
        "'..', ':', 'NA', 'н/д' and the rest of docs/data.md are always missing",
    )
    p.add_argument(
        "--drop-flags",
        metavar="FLAGS",
        help="read values carrying these flags as missing, comma-separated (e.g. u,c: "
        "Eurostat's low reliability, confidential); flagged values are otherwise read and "
        "counted in a note",
    )
    p.add_argument(
        "--max-data-size",
        metavar="SIZE",
        type=data_size,
        help="read data files up to SIZE (e.g. 500M, 8G; default 2G), on disk or unpacked",
    )
    p.add_argument(
        "--header-row",
        metavar="N",
        type=int,
        help="the header's row number in the file (default: found below any title rows)",
    )


_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?", re.IGNORECASE)


def data_size(text: str) -> int:
    """`--max-data-size`: bytes, or a number with K, M, G or T (powers of 1024)."""
    found = _SIZE.fullmatch(text.strip())
    if not found or float(found.group(1)) <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: write a size such as 500M or 8G")
    scale = 1024 ** " KMGT".index(found.group(2).upper() or " ")
    return int(float(found.group(1)) * scale)


def read_options(args: argparse.Namespace) -> ReadOptions:
    """The options of `add_data_options` as the API takes them."""
    sheet = int(args.sheet) if args.sheet and args.sheet.isdigit() else args.sheet
    missing = [m for marks in args.missing for m in marks.split(",")]
    options: ReadOptions = {
        "decimal": args.decimal,
        "sep": args.sep,
        "encoding": args.encoding,
        "sheet": sheet,
        "missing": missing,
        "header_row": args.header_row,
        "drop_flags": [f for f in (args.drop_flags or "").split(",") if f.strip()],
        "max_bytes": args.max_data_size,
    }
    return options


def add_param_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--param", metavar="NAME=VALUE", action="append", default=[], help="override a param"
    )


class DiagnosticsOutput:
    """Where one command's diagnostics go: printed as they come (text), or collected and
    written once at the end as one document (json, sarif), so that a CI system reads one
    whole log however the command ended."""

    def __init__(self) -> None:
        self.format = "text"
        self.collected: list[Diagnostic] = []

    def start(self, format: str) -> None:
        self.format, self.collected = format, []

    def add(self, items: Sequence[Diagnostic], sources: Mapping[str, str]) -> None:
        if self.format != "text":
            self.collected.extend(items)
            return
        colour = wants_colour(sys.stderr)
        for d in items:
            text = d.render(sources.get(d.span.path) if d.span else None)
            print(coloured(text, d.severity) if colour else text, file=sys.stderr)

    def finish(self, command: str | None) -> None:
        """The document of a json or sarif run: the output of `kzf check`, else beside it."""
        if self.format == "text":
            return
        document = to_sarif(self.collected) if self.format == "sarif" else to_json(self.collected)
        print(document, file=sys.stdout if command == "check" else sys.stderr)
        self.collected = []


DIAGNOSTICS = DiagnosticsOutput()


def print_diagnostics(items: Sequence[Diagnostic], sources: Mapping[str, str]) -> None:
    DIAGNOSTICS.add(items, sources)


def parse_params(pairs: Sequence[str]) -> dict[str, float | str]:
    """NAME=VALUE pairs; the program converts each value to its param's type and checks it."""
    params: dict[str, float | str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise UsageError(
                [
                    localised(
                        "KZF019", "--param {pair}: write NAME=VALUE, e.g. T1=45", pair=repr(pair)
                    )
                ]
            )
        params[name.strip()] = value.strip()
    return params
