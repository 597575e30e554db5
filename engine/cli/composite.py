"""`kzf audit`, `kzf contrib`, `kzf sensitivity` and `kzf diff`: the commands that examine a
composite index (engine/composite/: audit.py, sensitivity.py, diff.py), registered by
engine/cli/main.py like the report commands.

Results go to stdout as a table (on a terminal), csv or json; what they are about (the year,
the entities, the notes) goes to stdout above a table and to stderr otherwise, so csv and json
stay machine-readable. A command with several tables (sensitivity) writes csv sections, each
after a `# name` line, and a json object with one list per table.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from kzf.dsl.diagnostics import Diagnostic, UsageError, localised
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
from kzf.engine.io import files

if TYPE_CHECKING:  # the argument table is built on every start: no pandas there
    import pandas as pd

    from kzf.engine.api.program import Program

AUDIT_EPILOG = """\
example:
  kzf audit indicators/eaeu_digital_index.kzf --index index --year 2018

columns: r_parent and r_index are Pearson correlations with the parent node and with the
index; alpha is Cronbach's alpha of a node's children and pc1_share the share of their
variance the first principal component explains (over `cases`, the entities with every child
present); loo_* are the rank shifts when one indicator is left out (its parent re-aggregated
over the others, weights renormalised).
"""

CONTRIB_EPILOG = """\
example:
  kzf contrib indicators/eaeu_digital_index.kzf --index index --entity Kazakhstan --year 2018

The contributions of the indicators sum to the index value. Arithmetic nodes split linearly
(w_i/W x_i); geometric nodes by logs ((w_i/W) ln x_i / ln V, times V); harmonic nodes by
reciprocals ((w_i/W) V / x_i, times V). Where a log share is undefined (a child <= 0, or
V = 1) the node is split by its weights and `rule` says so. See engine/composite/audit.py.
"""

SENSITIVITY_EPILOG = """\
example:
  kzf sensitivity indicators/eaeu_digital_index.kzf --index index --runs 1000 --sobol 512

The file's `vary` statements say what changes: `vary w in [0.2, 0.4]` (uniform) or
`vary agg in {"arithmetic", "geometric"}` (each alternative equally likely). Ranks: 1 = highest.
Percentiles are empirical (each is a rank some run gave). Sobol' indices (SALib, Saltelli
scheme, N * (params + 2) runs; N a power of 2) are for the mean |rank - nominal rank| over the
entities, with 95% bootstrap confidence intervals; --sobol 0 skips them.
"""

DIFF_EPILOG = """\
examples:
  kzf diff old.kzf new.kzf --data data/panel.csv
  kzf diff old.kzf new.kzf --index digital_index:dx_index

change = B - A; rank_change = rank B - rank A (negative: moved up under B). Ranks are among
the entities with a score in each year, 1 = highest.
"""


def add_parsers(
    sub: argparse._SubParsersAction,
) -> None:
    def common(p: argparse.ArgumentParser, count: int = 1) -> None:
        if count == 1:
            p.add_argument("file", metavar="FILE")
        else:
            p.add_argument("file_a", metavar="A.kzf", help="the first methodology")
            p.add_argument("file_b", metavar="B.kzf", help="the second methodology")
        p.add_argument("--data", metavar="PATH", help="default: the file's `data`")
        add_param_option(p)
        p.add_argument(
            "--format", choices=files.FORMATS, help="default: table on a terminal, else csv"
        )
        p.add_argument(
            "--out",
            metavar="PATH",
            help="write the tables to a file: .xlsx (a sheet per table), .json, .csv (one table)",
        )
        add_data_options(p)
        add_program_options(p)

    def parser(name: str, help_text: str, description: str, epilog: str) -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            help=help_text,
            description=description,
            epilog=epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    au = parser(
        "audit",
        "statistical audit of a composite index: correlations, alpha, PCA, leave-one-out",
        "Audit the index NAME of FILE in one year (default: the latest year in which at least "
        "3 entities have a value).",
        AUDIT_EPILOG,
    )
    common(au)
    au.add_argument("--index", metavar="NAME", required=True, help="the index to audit")
    au.add_argument("--year", metavar="Y", help="the year to audit")
    au.add_argument(
        "--optimise-weights",
        metavar="NODE",
        help="weights for NODE's children that balance how much each drives the index",
    )
    au.add_argument(
        "--correlations",
        action="store_true",
        help="add every pair's correlation, p-value and flags (collinear, negative)",
    )

    co = parser(
        "contrib",
        "how much each indicator contributed to each index value",
        "Split each value of the index NAME into the contributions of its indicators.",
        CONTRIB_EPILOG,
    )
    common(co)
    co.add_argument("--index", metavar="NAME", required=True, help="the index to decompose")
    co.add_argument("--entity", metavar="E", help="only this entity")
    co.add_argument("--year", metavar="Y", help="only this year")
    co.add_argument(
        "--by-node",
        action="store_true",
        help="roll the contributions up the hierarchy: one row per pillar and sub-pillar",
    )

    se = parser(
        "sensitivity",
        "Monte Carlo rank uncertainty and Sobol' indices over the file's `vary` statements",
        "Sample the params the file varies, evaluate the index each time and report the "
        "distribution of each entity's rank and which param drives it.",
        SENSITIVITY_EPILOG,
    )
    common(se)
    se.add_argument("--index", metavar="NAME", required=True, help="the index to rank")
    se.add_argument("--runs", metavar="N", type=int, default=1000, help="Monte Carlo runs (1000)")
    se.add_argument(
        "--sobol", metavar="N", type=int, default=256, help="Sobol' base samples (256; 0 skips)"
    )
    se.add_argument("--seed", metavar="S", type=int, default=1, help="random seed (1)")
    se.add_argument("--year", metavar="Y", help="the year to rank (default as for audit)")
    se.add_argument(
        "--per-entity", action="store_true", help="Sobol' indices of each entity's |rank shift|"
    )

    di = parser(
        "diff",
        "compare two methodologies: scores and ranks per entity and year",
        "Evaluate the index of A.kzf and of B.kzf and compare them entity by entity.",
        DIFF_EPILOG,
    )
    common(di, count=2)
    di.add_argument(
        "--index",
        metavar="NAME|NAME_A:NAME_B",
        help="the index to compare (default: the one weighted-mean index both files define)",
    )


# ---------------------------------------------------------------- helpers


def _load(path: str, args: argparse.Namespace) -> Program:
    prog = load_program(path, args)
    print_diagnostics(prog.diagnostics, prog.checked.sources)
    return prog


def _params(args: argparse.Namespace) -> dict[str, float | str]:
    return parse_params(args.param)


def _emit(
    args: argparse.Namespace,
    header: list[str],
    tables: dict[str, pd.DataFrame],
    *programs: Program,
) -> None:
    """Tables to stdout, the header above a text table, else to stderr; with --out, to the
    file (the header to stderr), never over a file the run read (`programs` and their data)."""
    from kzf.engine.io import output

    if args.out:
        for line in header:
            print(line, file=sys.stderr)
        read = [str(p.path) for p in programs if p.path] + [
            str(p.data_path) for p in programs if p.data_path
        ]
        _write_tables(args, header, tables, read)
        return
    fmt = args.format or ("table" if sys.stdout.isatty() else "csv")
    if fmt != "table":
        for line in header:
            print(line, file=sys.stderr)
    if fmt == "json":
        payload = {name: json.loads(output.to_json(t)) for name, t in tables.items()}
        body = payload if len(tables) > 1 else next(iter(payload.values()))
        sys.stdout.write(json.dumps(body, ensure_ascii=False, indent=1) + "\n")
        return
    parts = []
    if fmt == "table":
        parts.append("".join(line + "\n" for line in header))
    for name, table in tables.items():
        if len(tables) > 1:
            parts.append(f"# {name}\n")
        parts.append(output.render(table, fmt))
    sys.stdout.write("\n".join(p for p in parts if p))


def _write_tables(
    args: argparse.Namespace, header: list[str], tables: dict[str, pd.DataFrame], read: list[str]
) -> None:
    """--out: an analysis's tables in one file, written atomically and never over the data
    or the program it read: .xlsx with a sheet per table and one for the header (what was
    varied, the notes), .json with an object per table, .csv when there is one table."""
    from pathlib import Path

    import pandas as pd

    from kzf.engine.io import output

    out = args.out
    suffix = Path(out).suffix.lower()
    given = ("file", "file_a", "file_b", "data")
    readers = [getattr(args, a) for a in given if getattr(args, a, None)]
    files.refuse_overwriting(out, *readers, *read)
    if suffix == ".xlsx":
        sheets = {"about": pd.DataFrame({"about": header})} if header else {}
        sheets.update(tables)
        files.write_atomically(out, lambda tmp: output.write_xlsx(sheets, tmp, str(out)))
    elif suffix == ".json":
        payload = {name: json.loads(output.to_json(t)) for name, t in tables.items()}
        text = json.dumps({"about": header, **payload}, ensure_ascii=False, indent=1) + "\n"
        files.write_atomically(out, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    elif suffix == ".csv" and len(tables) == 1:
        output.write_frame(next(iter(tables.values())), out)
    elif suffix == ".csv":
        raise UsageError(
            [
                localised(
                    "KZF108",
                    "--out {out}: this analysis has {n} tables ({names}), and a csv file holds "
                    "one; use .xlsx or .json",
                    out=out,
                    n=len(tables),
                    names=", ".join(tables),
                )
            ]
        )
    else:
        raise UsageError(
            [
                localised(
                    "KZF108",
                    "--out {out}: unknown extension {suffix}; use .xlsx, .json or .csv",
                    out=out,
                    suffix=suffix,
                )
                if suffix
                else localised(
                    "KZF108",
                    "--out {out}: unknown extension (none); use .xlsx, .json or .csv",
                    out=out,
                )
            ]
        )


def _warn(items: list[Diagnostic], prog: Program) -> None:
    print_diagnostics(items, prog.checked.sources)


def _with_year(table: pd.DataFrame, year: int | None) -> pd.DataFrame:
    """The year a one-year analysis is about, as a first column: csv and json carry it too."""
    if year is None:
        return table
    return table.assign(year=year)[["year", *table.columns]]


# ---------------------------------------------------------------- commands


def cmd_audit(args: argparse.Namespace) -> int:
    from kzf.engine.composite.audit import audit

    prog = _load(args.file, args)
    result = audit(
        prog,
        data_source(prog, args),
        args.index,
        _params(args),
        args.year,
        read_options(args),
        correlations=args.correlations,
        optimise=args.optimise_weights,
    )
    _warn(result.warnings, prog)
    when = f" in {result.year}" if result.year is not None else ""
    header = [f"audit of '{result.index}'{when}: {result.entities} entities with a value"]
    tables = {"audit": _with_year(result.table, result.year)}
    if result.correlations is not None:
        flagged = int((result.correlations["flag"] != "").sum())
        header.append(f"correlations: {len(result.correlations)} pairs, {flagged} flagged")
        tables["correlations"] = _with_year(result.correlations, result.year)
    if result.weights is not None:
        header.append(
            "optimised weights: each child's squared correlation with the index, as a share, "
            "brought to equal shares (COINr's get_opt_weights, balance)"
        )
        tables["weights"] = _with_year(result.weights, result.year)
    _emit(args, header, tables, prog)
    return 0


def cmd_contrib(args: argparse.Namespace) -> int:
    from kzf.engine.composite.audit import contributions_for

    prog = _load(args.file, args)
    table, issues = contributions_for(
        prog,
        data_source(prog, args),
        args.index,
        _params(args),
        args.entity,
        args.year,
        read_options(args),
        by_node=args.by_node,
    )
    _warn(issues, prog)
    if args.by_node:
        header = [
            f"contributions to '{args.index}' by node: the sum of each pillar's indicators' "
            "contributions; the nodes of one level sum to the index"
        ]
        _emit(args, header, {"contributions": table}, prog)
        return 0
    header = [f"contributions to '{args.index}': they sum to its value in each row"]
    _emit(args, header, {"contributions": table}, prog)
    return 0


def cmd_sensitivity(args: argparse.Namespace) -> int:
    from kzf.engine.composite.sensitivity import analyse

    prog = _load(args.file, args)
    result = analyse(
        prog,
        data_source(prog, args),
        args.index,
        params=_params(args),
        runs=args.runs,
        sobol=args.sobol,
        seed=args.seed,
        year=args.year,
        per_entity=args.per_entity,
        read_options=read_options(args),
    )
    _warn(result.warnings, prog)
    when = f" in {result.year}" if result.year is not None else ""
    varied = ", ".join(f"{f.name} in {f.describe()}" for f in result.factors)
    header = [
        f"sensitivity of the rank of '{result.index}'{when}: {result.runs} Monte Carlo runs, "
        f"seed {args.seed}; varied: {varied}",
        f"{result.evaluations} evaluations in {result.seconds:.1f} s",
        *result.notes,
    ]
    tables = {"ranks": _with_year(result.ranks, result.year)}
    if result.sobol is not None:
        tables["sobol"] = result.sobol
    _emit(args, header, tables, prog)
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from kzf.engine.composite.diff import diff

    a = _load(args.file_a, args)
    b = _load(args.file_b, args)
    result = diff(a, b, args.data, args.index, _params(args), read_options(args))
    _warn(result.warnings, a)
    header = [
        f"A = {a.path}: {result.name_a}; B = {b.path}: {result.name_b}; change = B - A",
        *(f"note: {n}" for n in result.notes),
        *_diff_summary(result.summary),
    ]
    _emit(args, header, {"diff": result.frame}, a, b)
    return 0


def _diff_summary(summary: pd.DataFrame | None) -> list[str]:
    """The summary lines of kzf diff: per year, how much the ranking moved."""
    if summary is None:
        return []
    lines = []
    for row in summary.to_dict("records"):
        when = " ".join(f"{row[c]}" for c in summary.columns[:1] if c not in _SUMMARY_COLUMNS)
        moved = f", most: {row['moved_most']}" if row["moved_most"] else ""
        lines.append(
            f"summary{' ' + when if when else ''}: {row['entities']} entities in both; mean "
            f"|rank change| {row['mean_abs_rank_change']:.3g}, largest "
            f"{row['max_abs_rank_change']:.3g}{moved}; {row['share_moved']:.0%} moved; "
            f"Spearman's rho {row['spearman_rho']:.3g}"
        )
    return lines


_SUMMARY_COLUMNS = (
    "entities", "mean_abs_rank_change", "max_abs_rank_change", "moved_most", "share_moved",
    "spearman_rho",
)  # fmt: skip


COMMANDS = {
    "audit": cmd_audit,
    "contrib": cmd_contrib,
    "sensitivity": cmd_sensitivity,
    "diff": cmd_diff,
}
