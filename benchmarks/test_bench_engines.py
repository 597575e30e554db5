"""kzf (pandas and DuckDB engines) against hand-written pandas and numpy (the floor), on the
computations of benchmarks/workloads.py. docs/performance.md has the full table (with
vtlengine and peak memory), written by benchmarks/report.py.

Run with:  pytest benchmarks --benchmark-enable --benchmark-group-by=param:name,param:rows
(KZF_BENCH_ROWS=10000,1000000,10000000 for other sizes)."""

from __future__ import annotations

import importlib.util
import os
import sys
import warnings
from pathlib import Path

import pytest

import kzf
from kzf.engine.io.data import panel_from_frame

_spec = importlib.util.spec_from_file_location(
    "kzf_workloads", Path(__file__).with_name("workloads.py")
)
assert _spec is not None and _spec.loader is not None
workloads = importlib.util.module_from_spec(_spec)
sys.modules["kzf_workloads"] = workloads
_spec.loader.exec_module(workloads)

ROWS = [int(r) for r in os.environ.get("KZF_BENCH_ROWS", "10000,1000000").split(",")]
NAMES = list(workloads.KZF)


@pytest.mark.parametrize("rows", ROWS)
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("impl", ["kzf-pandas", "kzf-duckdb", "pandas", "numpy"])
def test_engines(benchmark, impl: str, name: str, rows: int) -> None:  # type: ignore[no-untyped-def]
    df = workloads.make_panel(rows)[["entity", "year", *workloads.INPUTS[name]]]
    if impl.startswith("kzf"):
        prog = kzf.compile(workloads.KZF[name])
        panel = panel_from_frame(df, prog.dims, list(prog.inputs))
        engine = impl.split("-")[1]

        def run() -> object:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return prog.run(panel, engine=engine)

        benchmark(run)
    elif impl == "pandas":
        benchmark(workloads.pandas_version, name, df)
    else:
        arrays = {c: df[c].to_numpy() for c in workloads.INPUTS[name]}
        benchmark(workloads.numpy_version, name, arrays)
