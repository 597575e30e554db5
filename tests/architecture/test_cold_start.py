"""The quick paths of the command import only what they use (docs/performance.md, cold start).

`kzf --version` imports none of the compiler, and `kzf check` compiles and checks a file
without pandas, pyarrow, sqlglot or sympy: those cost more to import than the check itself.
Timings are measured in benchmarks/ (tests do not assert them); what is asserted here is the
cause, which modules a run loads, so a stray top-level import cannot slip back in unseen."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("pandas", "pyarrow", "sqlglot", "sympy", "duckdb", "pyspark", "matplotlib", "scipy")


def modules_loaded_by(*argv: str) -> set[str]:
    """The top-level packages a fresh interpreter holds after running `kzf ARGV`."""
    script = (
        "import contextlib, io, json, sys\n"
        "from kzf.engine.cli.main import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):\n"
        "    try:\n"
        f"        status = main({list(argv)!r})\n"
        "    except SystemExit as exc:\n"
        "        status = exc.code\n"
        "print(json.dumps({'status': status, 'modules': sorted(sys.modules)}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["status"] == 0, done.stdout
    return {m.partition(".")[0] for m in found["modules"]}


def test_version_imports_no_compiler_and_no_numpy() -> None:
    loaded = modules_loaded_by("--version")
    assert not loaded & {*HEAVY, "numpy", "lark"}, sorted(loaded & {*HEAVY, "numpy", "lark"})


def test_check_compiles_a_file_without_pandas_or_sql() -> None:
    loaded = modules_loaded_by("check", "formulas/egdi.kzf")
    assert "lark" in loaded  # it did parse the file
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_import_kzf_defers_the_compiler_until_it_is_used() -> None:
    script = (
        "import sys, kzf\n"
        "before = 'kzf.engine.api.program' in sys.modules\n"
        "prog = kzf.compile('input a\\nb = a * 2')\n"
        "print(before, prog.outputs, 'pandas' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["False", "('b',)", "False"]


def test_a_native_duckdb_run_reads_and_writes_without_pandas(tmp_path: Path) -> None:
    """`--engine duckdb` on a Parquet file with `--out`: the engine reads and writes the data
    (engine/run/native.py), so the process never needs pandas (~0.3 s of a cold start)."""
    import duckdb

    data, out = tmp_path / "eaeu.parquet", tmp_path / "out.parquet"
    csv = (ROOT / "data" / "eaeu.csv").as_posix()
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{csv}')) TO '{data.as_posix()}' (FORMAT parquet)")
    loaded = modules_loaded_by(
        "eval", "formulas/egdi.kzf", "--data", str(data), "--engine", "duckdb", "--out", str(out)
    )
    assert out.is_file() and "duckdb" in loaded
    assert "pandas" not in loaded
