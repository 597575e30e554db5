"""Run every benchmark case and write the results table into docs/performance.md.

    python benchmarks/report.py --rows 10000,1000000,10000000

Each case runs in a fresh process (benchmarks/measure.py) so that peak memory is its own.
vtlengine runs from the virtual environment given by --vtl-python (default .venv-vtl), kept
apart because it pins duckdb < 2, sqlglot < 23 and pyarrow < 26; cases it cannot run, or that
exceed --timeout seconds, are reported as such."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMPLS = ["kzf-pandas", "kzf-duckdb", "pandas", "numpy", "vtlengine-pandas", "vtlengine-duckdb"]
NAMES = ["egdi", "ratio", "growth", "rank"]
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
        "| computation | rows | " + " | ".join(IMPLS) + " | kzf-pandas peak / input |",
        "|---|---:|" + "---:|" * len(IMPLS) + "---:|",
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
                else:
                    cells.append(f"{r['seconds'] * 1000:.1f} ms")
            k = by.get(("kzf-pandas", name, rows))
            ratio = (
                f"{(k['peak_added_mb'] + k['frame_mb']) / k['frame_mb']:.1f}×"
                if k and "seconds" in k
                else "–"
            )
            lines.append(f"| {name} | {rows:,} | " + " | ".join(cells) + f" | {ratio} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", default="10000,1000000,10000000")
    ap.add_argument("--impls", default=",".join(IMPLS))
    ap.add_argument("--vtl-rows-max", type=int, default=1_000_000)
    ap.add_argument("--vtl-python", default=str(ROOT / ".venv-vtl" / "bin" / "python"))
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--json", default=str(ROOT / "benchmarks" / "results.json"))
    ap.add_argument("--doc", default=str(ROOT / "docs" / "performance.md"))
    args = ap.parse_args()
    results: list[dict] = []
    header = machine()
    for rows in [int(r) for r in args.rows.split(",")]:
        for name in NAMES:
            for impl in args.impls.split(","):
                python = sys.executable
                if impl.startswith("vtlengine"):
                    if rows > args.vtl_rows_max or not Path(args.vtl_python).exists():
                        continue
                    python = args.vtl_python
                r = run_case(python, impl, name, rows, args.timeout)
                if r is not None:
                    results.append(r)
                    print(json.dumps(r), flush=True)
    Path(args.json).write_text(json.dumps({"machine": header, "results": results}, indent=1))
    doc = Path(args.doc)
    text = doc.read_text(encoding="utf-8") if doc.exists() else f"{BEGIN}\n{END}\n"
    block = f"{BEGIN}\nMachine: {header}.\n\n{table(results)}\n{END}"
    start, end = text.index(BEGIN), text.index(END) + len(END)
    doc.write_text(text[:start] + block + text[end:], encoding="utf-8")


if __name__ == "__main__":
    main()
