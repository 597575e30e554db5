"""Cold start, whole process: `kzf --version`, `kzf check` and `kzf eval` on a shipped file,
each a fresh interpreter, beside what a user would run instead for a small file (a Polars or
DuckDB one-liner reading the same CSV) and the floors (`python -c pass`, `import pandas`).

    python benchmarks/startup.py [--repeat 15] [--markdown]

Figures are the median and the minimum wall time of `repeat` runs after one warm-up run
(which writes Python's bytecode and kzf's parser cache, as a user's first run does). Run it
with bytecode caching on: with PYTHONDONTWRITEBYTECODE set, every run compiles kzf's sources
again (~50 ms), which no installed copy does, so this script unsets it for its children.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from files import run_once  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CSV = "data/eaeu.csv"
KZF = [sys.executable, "-m", "kzf"]
COMMANDS: dict[str, list[str]] = {
    "kzf --version": [*KZF, "--version"],
    "kzf check formulas/egdi.kzf": [*KZF, "check", "formulas/egdi.kzf"],
    "kzf eval formulas/egdi.kzf": [*KZF, "eval", "formulas/egdi.kzf"],
    "python -c pass": [sys.executable, "-c", "pass"],
    "python -c 'import pandas'": [sys.executable, "-c", "import pandas"],
    "polars: read_csv + one column": [
        sys.executable,
        "-c",
        f"import polars as pl; print(pl.read_csv({CSV!r}).select(pl.all().first()))",
    ],
    "duckdb: one query on the csv": [
        sys.executable,
        "-c",
        f"import duckdb; print(duckdb.sql(\"SELECT count(*) FROM '{CSV}'\").fetchall())",
    ],
}


def measure(argv: list[str], repeat: int) -> tuple[float, float]:
    run_once(argv)  # warm-up: bytecode and the parser cache written, files in the page cache
    times = [run_once(argv)[0] for _ in range(repeat)]
    return statistics.median(times), min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.chdir(ROOT)
    rows = []
    for what, argv in COMMANDS.items():
        start = time.perf_counter()
        median, best = measure(argv, args.repeat)
        rows.append((what, median, best))
        print(
            f"{what:<34} median {median * 1000:6.0f} ms  min {best * 1000:6.0f} ms"
            f"  ({time.perf_counter() - start:.1f} s)",
            file=sys.stderr,
        )
    if args.markdown:
        print("| command | median | min |\n|---|---:|---:|")
        for what, median, best in rows:
            print(f"| `{what}` | {median * 1000:.0f} ms | {best * 1000:.0f} ms |")


if __name__ == "__main__":
    main()
