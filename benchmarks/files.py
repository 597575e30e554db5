"""File to file, whole process: `kzf eval F.kzf --data x.parquet --out y.parquet` on each
engine against a Polars script and a DuckDB query written by hand doing the same, each a
fresh process (start-up, reading, computing and writing included), side by side in one run.

    python benchmarks/files.py --rows 10000000 [--repeat 3] [--markdown]

Wall time is the best of `repeat` runs; peak memory is the process's resident high-water mark
(`wait4`'s ru_maxrss) of that run. Every output is read back and its value column's sum
compared across the implementations, so that no figure is of a wrong computation.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import workloads  # noqa: E402

HERE = Path(__file__).resolve().parent
POLARS = """import sys
sys.path.insert(0, {here!r})
import polars as pl
import workloads
workloads.polars_version({name!r}, pl.scan_parquet({data!r})).sink_parquet({out!r})
"""
DUCKDB = """import duckdb
duckdb.sql("COPY ({query}) TO '{out}' (FORMAT parquet)")
"""
IMPLEMENTATIONS = ("kzf-duckdb", "kzf-pandas", "polars", "duckdb-sql")
# kzf-spark (local mode, this machine's cores) is asked for by name: it starts a JVM (10-20 s)
# and its memory is the JVM's, which the Python process's high-water mark does not include
OPTIONAL = ("kzf-spark",)


def command(impl: str, name: str, data: Path, out: Path, formula: Path) -> list[str]:
    kzf = [sys.executable, "-m", "kzf", "eval", str(formula), "--data", str(data)]
    if impl in ("kzf-duckdb", "kzf-spark"):
        return [*kzf, "--engine", impl.removeprefix("kzf-"), "--out", str(out)]
    if impl == "kzf-pandas":
        return [*kzf, "--out", str(out)]
    if impl == "polars":
        script = POLARS.format(here=str(HERE), name=name, data=str(data), out=str(out))
        return [sys.executable, "-c", script]
    query = workloads.DUCKDB_SQL[name].format(data=f"read_parquet('{data}')")
    return [sys.executable, "-c", DUCKDB.format(query=query.replace('"', '\\"'), out=out)]


def run_once(argv: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one process."""
    start = time.perf_counter()
    quiet = [  # kzf's warnings, DuckDB's progress bar
        (os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_WRONLY, 0) for fd in (1, 2)
    ]
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=quiet)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(argv)}")
    return wall, usage.ru_maxrss / 1024


def in_child(script: str) -> str:
    """Run `script` in a child process and return what it prints: this process stays small,
    because a child's resident high-water mark starts from its parent's at the fork."""
    import subprocess

    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return done.stdout


def write_data(rows: int, name: str, data: Path) -> None:
    columns = ["entity", "year", *workloads.INPUTS[name]]
    in_child(
        f"import sys; sys.path.insert(0, {str(HERE)!r}); import workloads; "
        f"workloads.make_panel({rows})[{columns!r}].to_parquet({str(data)!r}, index=False)"
    )


def checksum(out: Path, name: str) -> float:
    column = {"egdi": "egdi", "ratio": "ratio", "growth": "growth_pct", "rank": "place"}
    value = column.get(name, "eff")
    query = f"SELECT sum({value}) FROM read_parquet('{out}')"
    return float(
        in_child(f"import duckdb; print(duckdb.connect().execute({query!r}).fetchone()[0])")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workloads", default=",".join(workloads.KZF))
    parser.add_argument("--impls", default=",".join(IMPLEMENTATIONS))
    args = parser.parse_args()
    impls = args.impls.split(",")
    unknown = sorted(set(impls) - {*IMPLEMENTATIONS, *OPTIONAL})
    if unknown:
        parser.error(
            f"unknown --impls {', '.join(unknown)}; choose from {IMPLEMENTATIONS + OPTIONAL}"
        )
    print(f"| computation | rows | {' | '.join(impls)} |")
    print(f"|---|---:|{'---:|' * len(impls)}")
    with tempfile.TemporaryDirectory(prefix="kzf-files-") as folder:
        for name in args.workloads.split(","):
            data, formula = Path(folder) / "x.parquet", Path(folder) / f"{name}.kzf"
            write_data(args.rows, name, data)
            formula.write_text(workloads.KZF[name], encoding="utf-8")
            cells, sums = [], {}
            for impl in impls:
                out = Path(folder) / f"{impl}.parquet"
                argv = command(impl, name, data, out, formula)
                best = min(run_once(argv) for _ in range(args.repeat))
                sums[impl] = checksum(out, name)
                cells.append(f"{best[0]:.2f} s, {best[1]:.0f} MB")
            first = next(iter(sums.values()))
            for impl, total in sums.items():
                if abs(total - first) > 1e-9 * abs(first):
                    raise SystemExit(f"{name}: {impl} sums to {total!r}, {impls[0]} to {first!r}")
            print(f"| {name} | {args.rows:,} | {' | '.join(cells)} |", flush=True)


if __name__ == "__main__":
    main()
