"""How long checking the whole library takes: parse, resolve, units, domains, lint and the
files' `assert same(...)` (engine/checks/analysis.py), for every file of formulas/ and indicators/.

Run with:  pytest benchmarks/test_bench_check.py --benchmark-enable
The goal (anchors.md §5.3, issue 4): well under a second for the whole library, warm (the
interpreter has imported kzf, and sympy if some file asserts something). The caches of compiled
files and of symbolic decisions are cleared before each round, so every round does it all.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import kzf
from kzf.engine.api import program

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = sorted((ROOT / "formulas").glob("*.kzf")) + sorted((ROOT / "indicators").glob("*.kzf"))


def check_library() -> int:
    symbolic = sys.modules.get("kzf.engine.checks.symbolic")
    if symbolic is not None:
        symbolic._CACHE.clear()
    getattr(program, "_COMPILED", {}).clear()  # kzf.load caches compiled files
    warnings = 0
    for path in LIBRARY:
        warnings += len(kzf.load(path).diagnostics)
    return warnings


def test_check_the_whole_library(benchmark) -> None:  # type: ignore[no-untyped-def]
    check_library()  # imports (sympy included, if a file asserts) are not the check
    started = time.perf_counter()
    check_library()
    once = time.perf_counter() - started
    assert once < 1.0, f"checking {len(LIBRARY)} files took {once:.2f} s"
    benchmark(check_library)


def test_check_one_large_file(benchmark) -> None:  # type: ignore[no-untyped-def]
    """500 definitions with units, domains and guarded divisions: the checks scale linearly."""
    lines = ["input a : mln KZT > 0, b : mln KZT >= 0, r : KZT/USD > 0, u : mln USD >= 0"]
    for i in range(500):
        prev = f"d{i - 1}" if i else "a"
        lines.append(f"d{i} = if({prev} > 0, (a + b + u * r) / {prev}, 0) * 1")
    text = "\n".join(lines) + "\n"
    benchmark(kzf.compile, text)
