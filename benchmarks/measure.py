"""Measure one (implementation, computation, rows) case in this process and print one JSON
line: the best time of `repeat` runs, the peak memory the computation added above the input
(resident set high-water mark), and the input frame's size. Run by report.py, one fresh process
per case, so peaks do not carry over. vtlengine runs in its own virtual environment.

The high-water mark is reset (Linux: /proc/self/clear_refs) once the input is built, so that
the temporaries of building it do not hide the computation's own peak."""

from __future__ import annotations

import ctypes
import gc
import json
import re
import resource
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import workloads  # noqa: E402


def _status_mb(field: str) -> float | None:
    try:
        found = re.search(rf"{field}:\s+(\d+) kB", Path("/proc/self/status").read_text())
    except OSError:
        return None
    return int(found.group(1)) / 1024 if found else None


def reset_peak() -> float:
    """Free what can be freed, reset the high-water mark to the current resident set, and
    return that resident set (MB)."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass
    return _status_mb("VmRSS") or peak_mb()


def peak_mb() -> float:
    hwm = _status_mb("VmHWM")
    return hwm if hwm is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    impl, name, rows, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    df = workloads.make_panel(rows)[["entity", "year", *workloads.INPUTS[name]]]
    frame_mb = df.memory_usage(deep=True).sum() / 2**20
    if impl == "kzf-evaluate":  # what an embedding tool calls: from its own DataFrame
        import kzf

        prog = kzf.compile(workloads.KZF[name])

        def run() -> object:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return prog.evaluate(df)

    elif impl.startswith("kzf"):
        import kzf
        from kzf.engine.io.data import panel_from_frame

        prog = kzf.compile(workloads.KZF[name])
        panel = panel_from_frame(df, prog.dims, list(prog.inputs))
        engine = impl.split("-")[1]

        def run() -> object:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return prog.run(panel, engine=engine)

    elif impl == "pandas":

        def run() -> object:
            return workloads.pandas_version(name, df)

    elif impl == "polars":
        import polars as pl

        pl_frame = pl.from_pandas(df)

        def run() -> object:
            return workloads.polars_version(name, pl_frame)

    elif impl == "duckdb-sql":  # what a DuckDB user writes by hand, from the same frame
        import duckdb

        con = duckdb.connect()
        con.register("panel", df)
        query = workloads.DUCKDB_SQL[name].format(data="panel")

        def run() -> object:
            return con.sql(query).df()  # a DataFrame back, as kzf gives

    elif impl == "numpy":
        arrays = {c: df[c].to_numpy() for c in workloads.INPUTS[name]}

        def run() -> object:
            return workloads.numpy_version(name, arrays)

    else:  # vtlengine-pandas, vtlengine-duckdb
        import vtlengine

        structure = workloads.vtl_structure(workloads.INPUTS[name])
        duck = impl.endswith("duckdb")

        def run() -> object:
            return vtlengine.run(
                script=workloads.VTL[name],
                data_structures=structure,
                datapoints={"DS_1": df},
                use_duckdb=duck,
            )

    if not impl.startswith("vtlengine"):  # vtlengine runs once: a warm-up would double it
        run()  # warm-up: imports and compiled plans are not part of the time or the peak
    base = reset_peak()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    print(
        json.dumps(
            {
                "impl": impl,
                "name": name,
                "rows": len(df),
                "seconds": best,
                "peak_added_mb": max(peak_mb() - base, 0.0),
                "frame_mb": frame_mb,
            }
        )
    )


if __name__ == "__main__":
    main()
