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

Backends are found by name in a registry (`register_backend`); `--engine` offers its names.
A new backend is a module under engine/run/ with a class satisfying `Backend`, and one
`register_backend` call here (SQL engines subclass `lower_sql.SqlBackend`: see ARCHITECTURE.md).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from kzf.dsl.diagnostics import DataError, Diagnostic, UsageError, localised

# The registry is read by the command's argument table on every start: what running needs
# (numpy, pandas, the plan) is imported where it runs.
if TYPE_CHECKING:
    import pandas as pd

    from kzf.engine.compile.plan import Plan
    from kzf.engine.run.native import SqlSession


class Backend(Protocol):
    """What runs a plan. `execute` returns the value of each output (a float64 array with one
    value per row, or a scalar) and the warnings raised on the rows that reach a result;
    `progress(k)`, when given, is told of the steps done."""

    name: str
    runs_trends: bool  # whether trend() steps run here (they have no SQL lowering yet)

    def execute(
        self,
        plan: Plan,
        frame: pd.DataFrame,
        params: Mapping[str, float | str],
        row_filter: str | None = None,
        progress: Callable[[int], object] | None = None,
    ) -> tuple[dict[str, Any], list[Diagnostic]]: ...


@runtime_checkable
class NativeBackend(Protocol):
    """A backend that can read the data itself: it opens a `SqlSession` (engine/run/native.py).
    Declared here, beside `Backend`, so that telling one from the other imports no SQL."""

    name: str

    def session(self) -> SqlSession: ...


@dataclass(frozen=True)
class BackendSpec:
    """A backend as the registry knows it: how to make one, and what it needs installed.
    `make(master)` imports the backend's module only when it is chosen, so that
    `kzf eval` on pandas never imports DuckDB or Spark."""

    name: str
    summary: str
    make: Callable[[str | None], Backend]
    requires: str | None = None  # the Python package it needs, from the extra of that name
    extra: str | None = None
    takes_master: bool = False  # accepts --master (a cluster URL)


_REGISTRY: dict[str, BackendSpec] = {}


def register_backend(spec: BackendSpec) -> None:
    """Make a backend choosable by name (`--engine NAME`, `engine="NAME"`)."""
    _REGISTRY[spec.name] = spec


def backend_names() -> tuple[str, ...]:
    """The names `--engine` accepts, in the order they were registered."""
    return tuple(_REGISTRY)


def backend_specs() -> tuple[BackendSpec, ...]:
    return tuple(_REGISTRY.values())


def _pandas(master: str | None) -> Backend:
    from kzf.engine.run.lower_pandas import PandasBackend

    return PandasBackend()


def _duckdb(master: str | None) -> Backend:
    from kzf.engine.run.backend_duckdb import DuckDBBackend

    return DuckDBBackend()


def _spark(master: str | None) -> Backend:
    from kzf.engine.run.backend_spark import SparkBackend

    return SparkBackend(master)


register_backend(BackendSpec("pandas", "numpy and pandas in this process (the reference)", _pandas))
register_backend(
    BackendSpec("duckdb", "DuckDB in this process, multi-threaded", _duckdb, "duckdb", "duckdb")
)
register_backend(
    BackendSpec(
        "spark", "Spark SQL, local or on a cluster", _spark, "pyspark", "spark", takes_master=True
    )
)


def get_backend(engine: str | Backend = "pandas", master: str | None = None) -> Backend:
    """The backend called `engine`; `master` is the Spark master (e.g. spark://host:7077)."""
    if not isinstance(engine, str):
        return engine
    spec = _REGISTRY.get(engine)
    if spec is None:
        names = ", ".join(backend_names())
        raise UsageError(
            [
                localised(
                    "KZF109",
                    "unknown engine '{engine}'; choose one of {names}",
                    engine=engine,
                    names=names,
                )
            ]
        )
    if master is not None and not spec.takes_master:
        takers = [s.name for s in backend_specs() if s.takes_master]
        raise UsageError(
            [
                localised(
                    "KZF109", "--master is only for --engine {engines}", engines=" or ".join(takers)
                )
            ]
        )
    if spec.requires is not None:
        _require(spec.requires, spec.extra or spec.name)
    return spec.make(master)


def check_supported(backend: Backend, plan: Plan) -> None:
    """Refuse, before anything runs, a plan with steps the backend cannot run (KZF150)."""
    if getattr(backend, "runs_trends", True):
        return
    from kzf.engine.core import ir

    for step in plan.steps:
        if isinstance(step.node, ir.Trend):
            raise UsageError(
                [
                    localised(
                        "KZF150",
                        "trend() runs on the pandas engine only, not on {engine}; "
                        "use --engine pandas",
                        step.node.span,
                        engine=backend.name,
                    )
                ]
            )


def _require(module: str, extra: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise UsageError(
            [
                localised(
                    "KZF109",
                    "the {extra} engine needs the '{module}' package: pip install 'kzf[{extra}]'",
                    extra=extra,
                    module=module,
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
    advance: Callable[[int], object],
) -> tuple[dict[str, Any], list[Diagnostic]]:
    """Run `plan` on `backend`, telling `advance` how many steps are done (the caller has
    checked the plan with `check_supported`)."""
    try:
        return backend.execute(plan, frame, params, row_filter, progress=advance)
    except ImportError as exc:  # pragma: no cover - the package checks come first
        raise UsageError(
            [
                localised(
                    "KZF109", "the {engine} engine: {problem}", engine=backend.name, problem=exc
                )
            ]
        ) from None


def out_of_memory(engine: str, what: str, limit: str, text: str, advice: str) -> DataError:
    """KZF161: the engine ran out of memory evaluating `what`; its memory as it states it
    (`limit`), what it said, and the setting that changes it (`advice`)."""
    values = {"engine": engine, "limit": limit, "text": text}
    return DataError(
        [
            # the SQL backends' own panel said in the language; a file's name as it is
            localised(
                "KZF161",
                "{engine} ran out of memory evaluating the panel (its memory limit is {limit}): "
                "{text}",
                None,
                advice,
                **values,
            )
            if what == "the panel"
            else localised(
                "KZF161",
                "{engine} ran out of memory evaluating {what} (its memory limit is {limit}): "
                "{text}",
                None,
                advice,
                what=what,
                **values,
            )
        ]
    )
