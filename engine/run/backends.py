"""The backend interface, and choosing a backend by name.

A backend runs a `Plan` over a panel frame and returns the value of each output (a float64
array with one value per row, or a scalar) and the warnings raised on the rows that reach a
result. Every backend computes the same values (to 15 significant digits, with the same
missing values) and the same warnings; `tests/engines/` checks this on every library file.

| name | where it runs | when to use it |
|---|---|---|
| pandas | numpy and pandas in this process (the reference) | the default; panels up to ~10⁷ rows |
| duckdb | DuckDB in this process, multi-threaded, spills to disk | data larger than memory |
| spark | Spark SQL, local or on a cluster (`master`) | data spread over a cluster |
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

import pandas as pd

from kzf.dsl.diagnostics import Diagnostic, UsageError, error
from kzf.engine.compile.plan import Plan

ENGINES = ("pandas", "duckdb", "spark")


class Backend(Protocol):
    name: str

    def execute(
        self,
        plan: Plan,
        frame: pd.DataFrame,
        params: Mapping[str, float | str],
        row_filter: str | None = None,
    ) -> tuple[dict[str, Any], list[Diagnostic]]: ...


def get_backend(engine: str | Backend = "pandas", master: str | None = None) -> Backend:
    """The backend called `engine`; `master` is the Spark master (e.g. spark://host:7077)."""
    if not isinstance(engine, str):
        return engine
    if master is not None and engine != "spark":
        raise UsageError([error("KZF109", "--master is only for --engine spark")])
    if engine == "pandas":
        from kzf.engine.run.lower_pandas import PandasBackend

        return PandasBackend()
    if engine == "duckdb":
        _require("duckdb", "duckdb")
        from kzf.engine.run.backend_duckdb import DuckDBBackend

        return DuckDBBackend()
    if engine == "spark":
        _require("pyspark", "spark")
        from kzf.engine.run.backend_spark import SparkBackend

        return SparkBackend(master)
    raise UsageError(
        [error("KZF109", f"unknown engine '{engine}'; choose one of {', '.join(ENGINES)}")]
    )


def _require(module: str, extra: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise UsageError(
            [
                error(
                    "KZF109",
                    f"the {extra} engine needs the '{module}' package: pip install 'kzf[{extra}]'",
                )
            ]
        )


@contextmanager
def progress(total: int, label: str, enabled: bool = True) -> Iterator[Any]:
    """A progress bar on stderr that appears only after a second, and only on a terminal.
    Yields a function to call with the number of units done since the last call."""
    if not enabled or not sys.stderr.isatty():
        yield lambda k=1: None
        return
    from tqdm import tqdm

    bar = tqdm(total=total, desc=label, delay=1.0, file=sys.stderr, leave=False, unit="step")
    try:
        yield bar.update
    finally:
        bar.close()


def execute(
    backend: Backend,
    plan: Plan,
    frame: pd.DataFrame,
    params: Mapping[str, float | str],
    row_filter: str | None,
    advance: Any,
) -> tuple[dict[str, Any], list[Diagnostic]]:
    """Run `plan` on `backend`, telling `advance` how many steps are done."""
    from kzf.engine.run.lower_pandas import PandasBackend

    if isinstance(backend, PandasBackend):
        return backend.execute(plan, frame, params, row_filter, progress=advance)
    try:
        out = backend.execute(plan, frame, params, row_filter)
    except ImportError as exc:  # pragma: no cover - the package checks come first
        raise UsageError([error("KZF109", f"the {backend.name} engine: {exc}")]) from None
    advance(len(plan.steps))
    return out
