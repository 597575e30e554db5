"""Run every benchmark case and write the results table into docs/performance.md.

    python benchmarks/report.py --rows 10000,1000000,10000000

Each case runs in a fresh process (benchmarks/measure.py) so that peak memory is its own.
vtlengine runs from the virtual environment given by --vtl-python (default .venv-vtl), kept
apart because it pins duckdb < 2, sqlglot < 23 and pyarrow < 26; cases it cannot run, or that
exceed --timeout (--vtl-timeout for vtlengine) seconds, are reported as such, with the reason
under the table. The machine line gives the load average and the memory bandwidth measured
here (a numpy copy into a preallocated array), the yardstick of the element-wise target."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMPLS = [
    "kzf-pandas",
    "kzf-evaluate",
    "kzf-duckdb",
    "pandas",
    "polars",
    "duckdb-sql",
    "numpy",
    "vtlengine-pandas",
    "vtlengine-duckdb",
]
NAMES = ["egdi", "ratio", "growth", "rank", "rowwise"]
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = os.getloadavg()
    return (
        f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB, {platform.platform()}, "
        f"Python {platform.python_version()}; load average at the start "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}"
    )


def bandwidth() -> float:
    """GB/s of a numpy copy of 2·10⁷ float64 (160 MB) into a preallocated array, counting
    16 bytes an element (read + write, as STREAM's copy), best of 10."""
    import numpy as np

    a = np.random.default_rng(0).uniform(size=20_000_000)
    b = np.empty_like(a)
    best = float("inf")
    for _ in range(10):
        start = time.perf_counter()
        np.copyto(b, a)
        best = min(best, time.perf_counter() - start)
    return 16 * len(a) / best / 1e9


def run_case(python: str, impl: str, name: str, rows: int, timeout: float) -> dict | None:
    repeat = 5 if rows <= 10_000 else 3 if rows <= 1_000_000 else 2
    if impl.startswith("vtlengine"):
        repeat = 1
    try:
        out = subprocess.run(
            [python, str(ROOT / "benchmarks" / "measure.py"), impl, name, str(rows), str(repeat)],
            capture_output=True, text=True, timeout=timeout, cwd=ROOT,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return {"impl": impl, "name": name, "rows": rows, "timeout": timeout}
    if out.returncode != 0:
        return {"impl": impl, "name": name, "rows": rows, "error": out.stderr.strip()[-200:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def table(results: list[dict]) -> str:
    lines = [
        "| computation | rows | "
        + " | ".join(IMPLS)
        + " | kzf-pandas M rows/s | kzf-pandas peak / input |",
        "|---|---:|" + "---:|" * len(IMPLS) + "---:|---:|",
    ]
    by = {(r["impl"], r["name"], r["rows"]): r for r in results}
    rows_seen = sorted({r["rows"] for r in results})
    for name in NAMES:
        for rows in rows_seen:
            cells = []
            for impl in IMPLS:
                r = by.get((impl, name, rows))
                if r is None:
                    cells.append("–")
                elif "timeout" in r:
                    cells.append(f"> {r['timeout']:.0f} s")
                elif "error" in r:
                    cells.append("error")
                elif "skipped" in r:
                    cells.append("–")
                else:
                    ms = r["seconds"] * 1000
                    cells.append(f"{ms:.1f} ms" if ms >= 1 else f"{ms:.3f} ms")
            k = by.get(("kzf-pandas", name, rows))
            done = k is not None and "seconds" in k
            speed = f"{rows / k['seconds'] / 1e6:.1f}" if done else "–"
            ratio = f"{(k['peak_added_mb'] + k['frame_mb']) / k['frame_mb']:.1f}×" if done else "–"
            lines.append(f"| {name} | {rows:,} | " + " | ".join(cells) + f" | {speed} | {ratio} |")
    notes = [
        f"- {r['impl']} {r['name']} {r['rows']:,}: {r['skipped']}"
        for r in results
        if "skipped" in r
    ]
    notes += [
        f"- {r['impl']} {r['name']} {r['rows']:,}: failed: {r['error']}"
        for r in results
        if "error" in r
    ]
    return "\n".join(lines + ([""] + notes if notes else []))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", default="10000,1000000,10000000")
    ap.add_argument("--impls", default=",".join(IMPLS))
    ap.add_argument("--vtl-rows-max", type=int, default=1_000_000)
    ap.add_argument("--vtl-python", default=str(ROOT / ".venv-vtl" / "bin" / "python"))
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--vtl-timeout", type=float, default=180)
    ap.add_argument("--json", default=str(ROOT / "benchmarks" / "results.json"))
    ap.add_argument("--doc", default=str(ROOT / "docs" / "performance.md"))
    ap.add_argument(
        "--merge",
        action="store_true",
        help="keep the cases of --json that this run does not measure (to re-run some cells)",
    )
    args = ap.parse_args()
    results: list[dict] = []
    header = f"{machine()}; memory bandwidth {bandwidth():.1f} GB/s (numpy copy, 16 B an element)"
    vtl_ran: dict[tuple[str, str], str] = {}  # what vtlengine took at the last size run
    for rows in [int(r) for r in args.rows.split(",")]:
        for name in NAMES:
            for impl in args.impls.split(","):
                python, timeout = sys.executable, args.timeout
                if impl.startswith("vtlengine"):
                    if not Path(args.vtl_python).exists():
                        continue
                    if rows > args.vtl_rows_max:
                        why = f"not run (--vtl-rows-max {args.vtl_rows_max:,}"
                        if (impl, name) in vtl_ran:
                            why += f"; {vtl_ran[impl, name]}"
                        results.append(
                            {"impl": impl, "name": name, "rows": rows, "skipped": why + ")"}
                        )
                        continue
                    python, timeout = args.vtl_python, args.vtl_timeout
                r = run_case(python, impl, name, rows, timeout)
                if r is not None and impl.startswith("vtlengine"):
                    took = f"{r['seconds']:.1f} s" if "seconds" in r else "no result"
                    vtl_ran[impl, name] = f"{took} at {rows:,} rows"
                if r is not None:
                    results.append(r)
                    print(json.dumps(r), flush=True)
    if args.merge and Path(args.json).exists():
        before = json.loads(Path(args.json).read_text())
        ran = {(r["impl"], r["name"], r["rows"]) for r in results}
        kept = [r for r in before["results"] if (r["impl"], r["name"], r["rows"]) not in ran]
        what = f"{args.impls} at {args.rows} rows"
        header = (
            f"{before['machine']}. Re-run later ({what}): load {header.split('; load ', 1)[-1]}"
        )
        results = kept + results
    Path(args.json).write_text(json.dumps({"machine": header, "results": results}, indent=1))
    doc = Path(args.doc)
    text = doc.read_text(encoding="utf-8") if doc.exists() else f"{BEGIN}\n{END}\n"
    block = f"{BEGIN}\nMachine: {header}.\n\n{table(results)}\n{END}"
    start, end = text.index(BEGIN), text.index(END) + len(END)
    doc.write_text(text[:start] + block + text[end:], encoding="utf-8")


if __name__ == "__main__":
    main()
