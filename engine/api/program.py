"""The embedding API: compile a .kzf program once, evaluate it on many data frames.

    prog = kzf.load("formulas/egdi.kzf")
    frame = prog.evaluate(df, params={"T1": 45})

A `Program` is immutable after compilation, so one instance may be evaluated from several
threads at once; each evaluation keeps its own state.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Unpack, overload

import numpy as np

from kzf.dsl.diagnostics import (
    DataError,
    Diagnostic,
    ProgramError,
    Severity,
    UsageError,
    error,
    localised,
    localised_unknown,
    localised_warning,
)
from kzf.dsl.messages import Phrase, phrased
from kzf.dsl.modules import load_modules, read_source
from kzf.dsl.parser import parse_expression
from kzf.engine.checks.analysis import Analysis, analyse
from kzf.engine.checks.domains import check_domains, contains, domain_violation, param_interval
from kzf.engine.checks.lint import FrameFacts, data_checks
from kzf.engine.compile.plan import Plan, build_plan
from kzf.engine.compile.resolve import CheckedProgram, check_program, resolve_extra
from kzf.engine.core import ir

# Compiling and checking a file (`kzf check`, `kzf.load`) needs none of what evaluation
# needs: pandas, pyarrow, the readers and the engines are imported by the methods that use
# them, so that a check starts in a fraction of the time (docs/performance.md, cold start).
if TYPE_CHECKING:
    import pandas as pd

    from kzf.engine.api.frames import Table
    from kzf.engine.api.validation import Validation
    from kzf.engine.io.data import Panel, ReadOptions
    from kzf.engine.run.backend_duckdb import RelationSession
    from kzf.engine.run.backend_spark import SparkRelationSession
    from kzf.engine.run.backends import Backend
    from kzf.engine.run.native import DataSource, NativeEvaluation, SqlSession

_WHERE = "\x00where"
_RELATIONS = {"duckdb": "DuckDB relation", "spark": "Spark DataFrame"}  # as messages name them


class KzfWarning(UserWarning):
    """A warning from evaluation (division by zero, a value outside a function's domain)."""


@dataclass
class Evaluation:
    """The result of one evaluation: the frame and the warnings raised while computing it."""

    frame: pd.DataFrame
    warnings: list[Diagnostic] = field(default_factory=list)
    # the tables of the program's models and forecasts, by name (docs/models.md)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    def __repr__(self) -> str:
        rows, columns = self.frame.shape
        said = f", {len(self.warnings)} warning(s)" if self.warnings else ""
        return f"<kzf.Evaluation: {rows} rows x {columns} columns{said}>"

    def _repr_html_(self) -> str | None:
        """In a notebook: the results table and the warnings (engine/present/notebook.py)."""
        render = HTML_RENDERERS.get("evaluation")
        return render(self) if render is not None else None


# How a notebook (Jupyter, VS Code) shows a Program and an Evaluation: as HTML made by
# engine/present/notebook.py, which registers itself here when `kzf` hands out the API (the
# API does not import the layers above it); without it, their plain repr.
HTML_RENDERERS: dict[str, Callable[[Any], str]] = {}


@dataclass(frozen=True)
class Written:
    """What `Program.write` wrote: the file, its number of rows, and the diagnostics of the
    evaluation (as `Evaluation.warnings`)."""

    path: str | os.PathLike[str]
    rows: int
    warnings: list[Diagnostic]


@dataclass(frozen=True)
class Program:
    checked: CheckedProgram
    analysis: Analysis  # what the static checks found (units of every definition, …)
    # The folder the file's own `data` must lie in (its project), like its imports; None: no
    # fence (a program compiled from text, or loaded with allow_data_outside).
    data_boundary: Path | None = None

    def __repr__(self) -> str:
        c = self.checked
        return (
            f"<kzf.Program {c.path}: {len(c.outputs)} definitions, {len(c.inputs)} inputs, "
            f"dims {', '.join(c.dims)}>"
        )

    def _repr_html_(self) -> str | None:
        """In a notebook: the definitions as mathematics, the inputs, the units."""
        render = HTML_RENDERERS.get("program")
        return render(self) if render is not None else None

    # ---- what the program declares
    @property
    def path(self) -> str:
        return self.checked.path

    @property
    def title(self) -> str | None:
        return self.checked.title

    @property
    def dims(self) -> tuple[str, ...]:
        return self.checked.dims

    @property
    def inputs(self) -> tuple[str, ...]:
        """The data columns the program reads."""
        return self.checked.required_inputs

    @property
    def outputs(self) -> tuple[str, ...]:
        """The definitions of the file, in file order."""
        return self.checked.outputs

    @property
    def params(self) -> dict[str, float | str]:
        return {name: p.value for name, p in self.checked.params.items()}

    @property
    def diagnostics(self) -> list[Diagnostic]:
        """Warnings found when checking (errors stop compilation and are raised instead)."""
        return list(self.checked.warnings)

    @property
    def sources(self) -> dict[str, str]:
        """What the data calls the dims and inputs bound to another name
        (`dims country = "Country Code"`, `input pop = "SP.POP.TOTL"`), by kzf name."""
        bound = {n: i.source for n, i in self.checked.inputs.items() if i.source is not None}
        return {**self.checked.dim_sources, **bound}

    @property
    def data_path(self) -> str | None:
        """The file's `data`, refused (KZF022) when it lies outside the file's project: a
        downloaded .kzf must not read, and a report must not embed, your other files."""
        path = self.checked.data_path
        if path is None or self.data_boundary is None:
            return path
        if not Path(path).resolve().is_relative_to(self.data_boundary):
            raise UsageError(
                [
                    localised(
                        "KZF022",
                        "{path}: `data` {data} lies outside the file's project "
                        "({project}); give the data with --data, or pass "
                        "--allow-data-outside if the file is yours",
                        path=self.path,
                        data=repr(path),
                        project=self.data_boundary,
                    )
                ]
            )
        return path

    @property
    def has_models(self) -> bool:
        """True when the file states models or forecasts: `run` then returns their tables."""
        return bool(self.checked.models)

    # ---- evaluation
    def plan(self, select: Sequence[str] | None = None, where: str | None = None) -> Plan:
        """The plan of the selected definitions (cached: a program never changes)."""
        cache = self.__dict__.setdefault("_plans", {})
        key = (tuple(select) if select else None, where)
        if key not in cache:
            cache[key] = self._build_plan(select, where)
        return cache[key]

    def _build_plan(self, select: Sequence[str] | None, where: str | None) -> Plan:
        names = self.selection(select)
        roots: dict[str, ir.Node] = {n: self.checked.definitions[n].node for n in names}
        if where:
            roots[_WHERE] = resolve_extra(
                self.checked, parse_expression(where, "--where"), "--where"
            )
        return build_plan(roots, self.checked.dims, self.checked.time_dim)

    def read_data(
        self,
        path: str | os.PathLike[str],
        select: Sequence[str] | None = None,
        where: str | None = None,
        **options: Unpack[ReadOptions],
    ) -> Panel:
        """Load the data the program needs for these definitions (all outputs by default)."""
        from kzf.engine.io.data import load_panel

        columns = self._columns_needed(self.plan(select, where))
        time, sources = self.checked.time_dim, self.sources
        return with_rows(
            load_panel(path, self.dims, columns, time=time, sources=sources, **options)
        )

    def run(
        self,
        data: Table | Panel | str | os.PathLike[str],
        params: Mapping[str, float | str] | None = None,
        select: Sequence[str] | None = None,
        where: str | None = None,
        *,
        engine: str | Backend = "pandas",
        master: str | None = None,
        progress: bool = False,
        models: bool = True,
        native: bool = True,
    ) -> Evaluation:
        """Evaluate on `data`; `engine` is pandas (the default), duckdb or spark (`master`:
        the Spark master, e.g. spark://host:7077; default local). `progress` shows a bar on
        stderr for evaluations that take more than a second, when stderr is a terminal.
        A Polars or Arrow table is read as a DataFrame; the results are a pandas DataFrame
        (`evaluate` gives them back in the caller's kind). `models=False` leaves the
        file's models and forecasts out: the definitions on the data's own rows only.

        With a SQL engine and a Parquet or CSV path (a glob, a hive-partitioned folder), the
        engine reads the data itself and only the result comes back (engine/run/native.py);
        where it cannot, pandas reads the data and a KZF160 note says why. `native=False`
        has pandas read it in any case. A DuckDB relation is evaluated by DuckDB on its own
        connection, and only the result is fetched (rows sorted by the dimensions)."""
        import pandas as pd

        from kzf.engine.api.frames import caller_table, relation_engine
        from kzf.engine.io.data import Panel
        from kzf.engine.run.backends import NativeBackend, check_supported, execute, get_backend
        from kzf.engine.run.backends import progress as show_progress

        if relation_engine(data) is not None:
            done = self._run_relation(data, params, select, where, engine, lazy=False)
            return Evaluation(self._native_frame(done.outcome.table), done.diagnostics)
        with_models = models and self.has_models
        if not isinstance(data, Panel | str | os.PathLike):
            data = caller_table(data).frame
        backend = get_backend(engine, master)
        plan = self.plan(select, where)
        values = self.param_values(params)
        read_by_pandas: list[Diagnostic] = []
        if native and isinstance(data, str | os.PathLike) and isinstance(backend, NativeBackend):
            from kzf.engine.run.native import NativeEvaluation

            found = self.run_natively(backend, data, plan, values, where, models=with_models)
            if isinstance(found, NativeEvaluation):
                issues = [*recheck_params(self.checked, values, params or {}), *found.diagnostics]
                return Evaluation(self._native_frame(found.outcome.table), issues)
            read_by_pandas.append(found)
        panel = self._panel(data, plan)
        check_supported(backend, plan)  # before the models extend the panel
        check_periods(plan, panel)
        outside = check_input_domains(self.checked, plan, panel)
        outside += recheck_params(self.checked, values, params or {})
        if with_models:  # forecast years join the panel; models run after the definitions
            from kzf.engine.api.model_tables import extend_panel, run_models

            panel = extend_panel(panel, self.checked.models)
        row_filter = _WHERE if where else None
        with show_progress(len(plan.steps), f"kzf ({backend.name})", progress) as advance:
            results, issues = execute(backend, plan, panel.frame, values, row_filter, advance)
        nodes = [s.node for s in plan.steps]
        issues = [
            *read_by_pandas,
            *outside,
            *panel.notes,
            *data_checks(nodes, FrameFacts(panel.frame, self.dims), self.checked),
            *issues,
        ]
        frame = self._assemble(panel, plan, results)
        if isinstance(data, pd.DataFrame):
            frame = in_callers_order(frame, panel.source_rows, data.index)
        if _WHERE in plan.outputs:
            keep = np.asarray(frame.pop(_WHERE), dtype=np.float64) == 1.0
            frame = frame[keep]
            if not isinstance(data, pd.DataFrame):
                frame = frame.reset_index(drop=True)
        if with_models:
            tables, notes = run_models(self.checked, panel, values)
            issues += [d for d in notes if d not in issues]
            return Evaluation(frame, issues, tables)
        return Evaluation(frame, issues)

    def write(
        self,
        data: Table | Panel | str | os.PathLike[str],
        out: str | os.PathLike[str],
        params: Mapping[str, float | str] | None = None,
        select: Sequence[str] | None = None,
        where: str | None = None,
        *,
        engine: str | Backend = "pandas",
        master: str | None = None,
        dialect: str = "standard",
    ) -> Written:
        """Evaluate and write the results to `out` (.csv, .parquet, .json, .xlsx), atomically.

        With a SQL engine, a Parquet or CSV source and a .parquet or .csv `out`, the engine
        reads the data and writes the result itself (`COPY ... TO`): neither passes through
        this process, so the data may be larger than its memory. Otherwise the results are
        computed as `run` does and written by kzf's writers."""
        from kzf.engine.io import files
        from kzf.engine.run.backends import NativeBackend, get_backend
        from kzf.engine.run.native import NativeEvaluation

        backend = get_backend(engine, master)
        kind = files.native_kind(out, dialect)
        found: list[Diagnostic] = []
        if kind is not None and isinstance(data, str | os.PathLike):
            if isinstance(backend, NativeBackend):
                plan = self.plan(select, where)
                values = self.param_values(params)

                def write_file(write: Callable[[str], None]) -> None:
                    files.write_atomically(out, write)

                native = self.run_natively(
                    backend,
                    data,
                    plan,
                    values,
                    where,
                    models=self.has_models,
                    write=write_file,
                    out_kind=kind,
                )
                if isinstance(native, NativeEvaluation):
                    issues = recheck_params(self.checked, values, params or {})
                    rows = native.outcome.rows or 0  # a written result is counted
                    return Written(out, rows, [*issues, *native.diagnostics])
                found.append(native)
        from kzf.engine.io import output  # pandas: the results are written by kzf's writers

        result = self.run(data, params, select, where, engine=backend, master=master, native=False)
        output.write_frame(result.frame, out, dialect=dialect)
        return Written(out, len(result.frame), [*found, *result.warnings])

    def run_natively(
        self,
        backend: Backend,
        data: str | os.PathLike[str],
        plan: Plan,
        values: Mapping[str, float | str],
        where: str | None,
        *,
        models: bool = False,
        write: Callable[[Callable[[str], None]], None] | None = None,
        out_kind: str | None = None,
    ) -> NativeEvaluation | Diagnostic:
        """Evaluate inside a SQL engine that reads `data` itself (engine/run/native.py), or
        the KZF160 note that says why pandas must read it."""
        from kzf.engine.run.backends import NativeBackend, check_supported
        from kzf.engine.run.native import file_source

        def by_pandas(reason: str | Phrase) -> Diagnostic:
            return localised_warning(
                "KZF160",
                "{data} was read by pandas in this process, not by {engine}: {reason}",
                data=os.fspath(data),
                engine=backend.name,
                reason=reason,
            )

        if models:
            return by_pandas(phrased("the file's models and forecasts run on pandas"))
        source = file_source(data)
        if isinstance(source, Phrase):
            return by_pandas(source)
        if not isinstance(backend, NativeBackend):
            return by_pandas(phrased("{engine} does not read files itself", engine=backend.name))
        check_supported(backend, plan)
        found = self._natively(
            backend.session(), backend.name, plan, source, values, where, write, out_kind
        )
        if isinstance(found, Phrase):
            return by_pandas(found)
        return found

    def _natively(
        self,
        session: SqlSession,
        engine: str,
        plan: Plan,
        source: DataSource,
        values: Mapping[str, float | str],
        where: str | None,
        write: Callable[[Callable[[str], None]], None] | None = None,
        out_kind: str | None = None,
        deliver: Callable[[str], Any] | None = None,
    ) -> NativeEvaluation | Phrase:
        """`native.evaluate` on a session, closed afterwards: the evaluation, or why the
        engine cannot evaluate this source (a reason to say). Out of memory is KZF161,
        naming the engine's limit and the setting that changes it."""
        from kzf.engine.run.backends import out_of_memory
        from kzf.engine.run.native import evaluate as native_evaluate

        try:
            found = native_evaluate(
                session,
                self.checked,
                plan,
                source,
                self._columns_needed(plan),
                self.sources,
                values,
                _WHERE if where else None,
                write,
                out_kind,
                deliver,
            )
        except Exception as exc:  # noqa: BLE001 - what the engine says, told apart below
            failure = session.failure(exc)
            if failure is None:
                raise
            kind, text = failure
            if kind == "read":
                return phrased(
                    "{engine} could not read it ({problem})", engine=engine, problem=text
                )
            raise out_of_memory(
                engine, source.shown, session.memory_limit, text, session.memory_advice
            ) from None
        finally:
            session.close()
        return found

    def _run_relation(
        self,
        relation: Any,
        params: Mapping[str, float | str] | None,
        select: Sequence[str] | None,
        where: str | None,
        engine: str | Backend,
        lazy: bool,
    ) -> NativeEvaluation:
        """A DuckDB relation or a Spark DataFrame evaluated by its own engine, on its own
        connection or session (backend_duckdb.RelationSession, backend_spark.
        SparkRelationSession): the checks and warnings as aggregate queries, the result
        fetched, or with `lazy` a relation (DataFrame) not yet computed. What the engine
        cannot evaluate is KZF162, saying why: a relation is not read by pandas behind the
        caller's back (that may read a whole database)."""
        from kzf.engine.api.frames import relation_engine
        from kzf.engine.run.backends import check_supported, get_backend
        from kzf.engine.run.native import DataSource

        own = relation_engine(relation)
        assert own is not None
        name = engine if isinstance(engine, str) else engine.name
        if name not in ("pandas", own):  # pandas: the default, not a choice
            if own == "duckdb":
                wrong = localised(
                    "KZF109",
                    "a DuckDB relation is evaluated by duckdb, not by {engine}",
                    engine=name,
                )
            else:
                wrong = localised(
                    "KZF109",
                    "a Spark DataFrame is evaluated by spark, not by {engine}",
                    engine=name,
                )
            raise UsageError([wrong])
        shown = f"the {_RELATIONS[own]}"

        def refused(reason: str | Phrase) -> UsageError:
            if own == "duckdb":
                why = localised(
                    "KZF162",
                    "duckdb cannot evaluate the DuckDB relation here: {reason}",
                    None,
                    "give kzf relation.df() (or a file) to evaluate it on pandas",
                    reason=reason,
                )
            else:
                why = localised(
                    "KZF162",
                    "spark cannot evaluate the Spark DataFrame here: {reason}",
                    None,
                    "give kzf frame.toPandas() (or a file) to evaluate it on pandas",
                    reason=reason,
                )
            return UsageError([why])

        if self.has_models:
            raise refused(phrased("the file's models and forecasts run on pandas"))
        plan = self.plan(select, where)
        check_supported(get_backend(own), plan)
        values = self.param_values(params)
        session: RelationSession | SparkRelationSession
        if own == "duckdb":
            from kzf.engine.run.backend_duckdb import RelationSession

            session = RelationSession(relation)
        else:
            from kzf.engine.run.backend_spark import SparkRelationSession

            session = SparkRelationSession(relation)
        source = DataSource("relation", session.table, shown)
        deliver = session.lazy if lazy else None
        found = self._natively(session, own, plan, source, values, where, deliver=deliver)
        if isinstance(found, Phrase):
            raise refused(found)
        issues = recheck_params(self.checked, values, params or {})
        return replace(found, diagnostics=[*issues, *found.diagnostics])

    def _native_frame(self, table: Any) -> pd.DataFrame:
        """A native result (Arrow) as the frame `run` gives on pandas: text dims, int64
        years, float64 values and nullable booleans."""
        frame = table.to_pandas()
        for name in frame.columns:
            info = self.checked.definitions.get(name)
            if info is not None and info.node.type is ir.Type.BOOL:
                frame[name] = frame[name].astype("boolean")
            elif info is not None:
                frame[name] = frame[name].astype("float64")
        return frame

    @overload
    def evaluate(
        self,
        data: pd.DataFrame | Panel | str | os.PathLike[str],
        params: Mapping[str, float | str] | None = None,
        select: Sequence[str] | None = None,
        where: str | None = None,
        *,
        engine: str | Backend = "pandas",
        master: str | None = None,
    ) -> pd.DataFrame: ...

    @overload
    def evaluate(
        self,
        data: Table,
        params: Mapping[str, float | str] | None = None,
        select: Sequence[str] | None = None,
        where: str | None = None,
        *,
        engine: str | Backend = "pandas",
        master: str | None = None,
    ) -> Any: ...

    def evaluate(
        self,
        data: Table | Panel | str | os.PathLike[str],
        params: Mapping[str, float | str] | None = None,
        select: Sequence[str] | None = None,
        where: str | None = None,
        *,
        engine: str | Backend = "pandas",
        master: str | None = None,
    ) -> Any:
        """Evaluate and return the dimension columns followed by the selected definitions.

        From a DataFrame, the rows come back in the caller's order with the caller's index
        (a MultiIndex or duplicate labels included), so `df["y"] = prog.evaluate(df)["y"]`
        puts each value on its own row; `where` keeps the labels of the rows it keeps, and
        forecast years follow the caller's rows. From a file, or a frame in the long or
        years-as-columns layout (whose rows are not one per result), the rows are sorted by
        the dimensions, with a RangeIndex.

        A Polars DataFrame gives a Polars DataFrame, an Arrow table (or any object with the
        Arrow PyCapsule stream interface, `__arrow_c_stream__`) an Arrow table, in the
        caller's row order. A DuckDB relation gives a DuckDB relation of the same
        connection, not yet computed, to compose with your own queries: DuckDB evaluates
        it, the data never passes through pandas, and its rows are ordered by the
        dimensions (a relation has no order of its own). The checks and the warnings run
        first, as aggregate queries (KZF162 when DuckDB cannot evaluate the relation).

        Warnings (division by zero and the like) are issued as `KzfWarning`s; use `run` to
        receive them as diagnostics instead.
        """
        from kzf.engine.api.frames import caller_table, relation_engine
        from kzf.engine.io.data import Panel

        if relation_engine(data) is not None:
            done = self._run_relation(data, params, select, where, engine, lazy=True)
            for issue in done.diagnostics:
                warnings.warn(KzfWarning(issue.headline()), stacklevel=2)
            return done.outcome.table
        table = None if isinstance(data, Panel | str | os.PathLike) else caller_table(data)
        given = data if table is None else table.frame
        result = self.run(given, params, select, where, engine=engine, master=master)
        for issue in result.warnings:
            warnings.warn(KzfWarning(issue.headline()), stacklevel=2)
        return result.frame if table is None else table.back(result.frame)

    def to_sql(
        self,
        dialect: str = "duckdb",
        table: str = "data",
        params: Mapping[str, float | str] | None = None,
        select: Sequence[str] | None = None,
        where: str | None = None,
    ) -> str:
        """The definitions as one SQL SELECT over `table` (a name, `schema.table` allowed)
        in `dialect` (duckdb or spark), to run in your own pipeline: the dims under their
        names, then each definition, ordered by the dims, with params and `where` applied.

        It computes; it checks nothing. kzf's checks of the data (one row per key, KZF103;
        whole years, KZF104; the inputs' domains, KZF110) and its warnings (a division by
        zero, KZF201) are queries of their own that this text does not run, so run it only
        on data kzf has checked, or use `evaluate(relation)`, which runs them. The time
        dimension must hold whole numbers (years): the ordinals of period labels such as
        2020-Q1 are read from the data."""
        from kzf.engine.run.backends import check_supported, get_backend
        from kzf.engine.run.lower_sql import DIALECTS
        from kzf.engine.run.native import statement_of

        if dialect not in DIALECTS:
            raise UsageError(
                [
                    localised(
                        "KZF109",
                        "to_sql: no dialect {dialect}; choose {dialects}",
                        dialect=repr(dialect),
                        dialects=", ".join(DIALECTS),
                    )
                ]
            )
        if self.has_models:
            raise UsageError(
                [
                    localised(
                        "KZF150",
                        "{path}: its models and forecasts run on pandas, not in SQL",
                        path=self.path,
                    )
                ]
            )
        plan = self.plan(select, where)
        check_supported(get_backend(dialect), plan)
        values = self.param_values(params)
        row_filter = _WHERE if where else None
        columns = self._columns_needed(plan)
        return statement_of(
            self.checked, plan, columns, self.sources, values, row_filter, dialect, table
        )

    def validate(
        self,
        data: Table | Panel | str | os.PathLike[str],
        params: Mapping[str, float | str] | None = None,
        *,
        engine: str | Backend = "pandas",
        master: str | None = None,
        **options: Unpack[ReadOptions],
    ) -> Validation:
        """Check the data against the file's `rule`s: the failing rows (`table`, one row per
        rule and row), the counts per rule (`summary`), and a diagnostic per failing rule
        (KZF170, with the rule's severity). No rules is KZF107."""
        from kzf.engine.api.validation import named_definitions, validate

        if not self.checked.rules:
            raise UsageError(
                [localised("KZF107", "{path} has no `rule` statements", path=self.path)]
            )
        rules = list(self.checked.rules)
        terms = [n for r in rules for n in named_definitions(self.checked, r)]
        rules = list(dict.fromkeys([*rules, *terms]))
        if isinstance(data, str | os.PathLike):
            panel = self.read_data(data, rules, **options)
        else:
            panel = self._panel(data, self.plan(rules, None))
        result = self.run(panel, params, rules, engine=engine, master=master, models=False)
        checked = validate(self.checked, result.frame, panel.frame)
        # the warnings of computing the rules (a division by zero, a hierarchy code the data
        # lacks) come first, as `kzf eval` gives them
        return replace(checked, diagnostics=(*result.warnings, *checked.diagnostics))

    # ---- helpers
    def selection(self, select: Sequence[str] | None) -> list[str]:
        """The definitions `select` names, checked (KZF107 with a did-you-mean); all by default."""
        if not select:
            return list(self.outputs)
        unknown = [s for s in select if s not in self.checked.definitions]
        if unknown:
            known = list(self.checked.definitions)
            raise UsageError([_no_definition(u, known) for u in unknown])
        return list(dict.fromkeys(select))

    def param_values(self, overrides: Mapping[str, float | str] | None) -> dict[str, float | str]:
        """The file's params with `overrides` applied, each converted to its param's type and
        checked (KZF019)."""
        values = self.params
        for name, value in (overrides or {}).items():
            if name not in values:
                raise UsageError([_unknown_parameter(name, list(values))])
            if isinstance(values[name], str):  # a text param: one of its known values
                allowed = self.checked.choices.get(name)
                if allowed is not None and str(value) not in allowed:
                    raise UsageError(
                        [
                            localised(
                                "KZF019",
                                "parameter '{name}' is one of {allowed} in "
                                "this file (its default and its `vary` set), not {value}",
                                name=name,
                                allowed=", ".join(allowed),
                                value=repr(value),
                            )
                        ]
                    )
                values[name] = str(value)
                continue
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise UsageError(
                    [
                        localised(
                            "KZF019",
                            "parameter '{name}': {value} is not a number",
                            name=name,
                            value=repr(value),
                        )
                    ]
                ) from None
            if not np.isfinite(number):
                raise UsageError(
                    [localised("KZF019", "parameter '{name}' must be finite", name=name)]
                )
            values[name] = number
        return values

    def _columns_needed(self, plan: Plan) -> list[str]:
        """The file's own inputs and every column the plan reads (imported ones included)."""
        return list(dict.fromkeys([*self.inputs, *plan.columns]))

    def panel(
        self,
        data: Table | Panel | str | os.PathLike[str],
        select: Sequence[str] | None = None,
        where: str | None = None,
    ) -> Panel:
        """The panel these definitions run on: a frame or a file read with the columns they
        need, or a panel checked to have them."""
        return self._panel(data, self.plan(select, where))

    def _panel(self, data: Table | Panel | str | os.PathLike[str], plan: Plan) -> Panel:
        import pandas as pd

        from kzf.engine.api.frames import caller_table
        from kzf.engine.io.data import Panel, load_panel, panel_from_frame

        if isinstance(data, Panel):
            if not data.keyed and not plan.row_wise:
                raise UsageError(
                    [
                        error(
                            "KZF107",
                            "this panel was read for a row-wise program, without checking "
                            "its keys; these definitions need them: read it again",
                        )
                    ]
                )
            missing = [c for c in plan.columns if c not in data.frame.columns]
            if missing:  # a panel read for another selection
                raise UsageError(
                    [
                        localised(
                            "KZF107",
                            "the panel has no column {column}; read it again",
                            column=repr(m),
                        )
                        for m in missing
                    ]
                )
            return data
        columns = self._columns_needed(plan)
        time, sources = self.checked.time_dim, self.sources
        if isinstance(data, pd.DataFrame):
            row_wise = plan.row_wise and not self.has_models
            return panel_from_frame(
                data, self.dims, columns, time=time, sources=sources, row_wise=row_wise
            )
        if not isinstance(data, str | os.PathLike):  # a Polars or Arrow table
            return self._panel(caller_table(data).frame, plan)
        return with_rows(load_panel(data, self.dims, columns, time=time, sources=sources))

    def _assemble(self, panel: Panel, plan: Plan, results: Mapping[str, object]) -> pd.DataFrame:
        import pandas as pd

        n = len(panel.frame)
        # The frame is built without copying (pandas would copy every column into one block:
        # 35 ms on 10⁷ rows), so each column must be its own: Arrow-backed text is immutable
        # and shared (to_numpy() would turn it into Python objects), other dims are copied, and
        # so is a result that is a view (of an input column) or that another output also is.
        columns: dict[str, object] = {}
        for d in self.dims:
            dim = panel.frame[d].array
            columns[d] = dim if isinstance(dim, pd.arrays.ArrowExtensionArray) else dim.copy()
        placed: set[int] = set()
        for name in plan.outputs:
            value = results[name]
            if name == _WHERE:  # the --where mask, applied after the rows are placed
                columns[name] = np.broadcast_to(np.asarray(value, dtype=np.float64), (n,))
                continue
            array = value if isinstance(value, np.ndarray) else np.full(n, value, dtype=np.float64)
            if self.checked.definitions[name].node.type is ir.Type.BOOL:
                columns[name] = pd.arrays.BooleanArray(array == 1.0, np.isnan(array))
                continue
            array = np.asarray(array, dtype=np.float64)
            if array.base is not None or not array.flags.writeable or id(array) in placed:
                array = array.copy()
            placed.add(id(array))
            columns[name] = array
        return pd.DataFrame(columns, copy=False)


def check_periods(plan: Plan, panel: Panel) -> None:
    """Refuse a shift (lag, lead, diff, growth) along a time dimension whose values are
    neither whole years nor periods (2020-Q1, 2020-01, ...): stepping by position there
    would silently compare whatever rows happen to be adjacent (KZF027)."""
    from kzf.engine.run.runtime import time_ordinals

    shifts = [s.node for s in plan.steps if isinstance(s.node, ir.Shift)]
    if not shifts or len(panel.frame) == 0 or panel.time_dim is None:
        return
    if time_ordinals(panel.frame, panel.time_dim) is not None:
        return
    sample = ", ".join(repr(str(v)) for v in panel.frame[panel.time_dim].unique()[:3])
    raise DataError(
        [
            localised(
                "KZF027",
                "lag, lead, diff and growth step along '{dim}', but its values "
                "({sample}, ...) are neither years nor periods such as 2020-Q1 or 2020-01; "
                "mark the time dimension with `dims ... : time` if another one is",
                shifts[0].span,
                dim=panel.time_dim,
                sample=sample,
            )
        ]
    )


MAX_SHOWN_VIOLATIONS = 5


def check_input_domains(checked: CheckedProgram, plan: Plan, panel: Panel) -> list[Diagnostic]:
    """KZF110 when the data breaks a domain an input declares (`input t > 0`, `input s in
    [0, 1]`), before anything is computed. The checker proved divisions, logarithms and
    square roots safe from these domains; a value outside one would make those proofs, and
    the results, silently wrong. Missing values break no domain. The error names the first
    offending rows (as the file counts them) and their values."""
    frame = panel.frame
    problems: list[Diagnostic] = []
    for name in dict.fromkeys(plan.columns):
        info = checked.inputs.get(name)
        domain = info.domain if info is not None else None
        if domain is None or name not in frame.columns or len(frame) == 0:
            continue
        values = frame[name].to_numpy(dtype=np.float64)
        with np.errstate(invalid="ignore"):
            inside = np.ones(len(values), dtype=bool)
            if domain.low is not None:
                inside &= values > domain.low if domain.low_open else values >= domain.low
            if domain.high is not None:
                inside &= values < domain.high if domain.high_open else values <= domain.high
            if domain.nonzero:
                inside &= values != 0
        bad = np.flatnonzero(~inside & ~np.isnan(values))
        if len(bad) == 0:
            continue
        shown = []
        for i in bad[:MAX_SHOWN_VIOLATIONS]:
            key = ", ".join(str(panel.frame[d].iloc[i]) for d in panel.dims)
            row = panel.source_rows[i] if panel.source_rows is not None else 0
            where = f"row {row} ({key})" if row > 0 else f"({key})"
            shown.append(f"{where} = {values[i]:g}")
        problems.append(domain_violation(name, domain, shown, len(bad), panel.source, info))
    errors = [p for p in problems if p.severity is Severity.ERROR]
    if errors:
        raise DataError(errors)
    return problems


def recheck_params(
    checked: CheckedProgram, values: Mapping[str, float | str], given: Mapping[str, object]
) -> list[Diagnostic]:
    """The domain checks again, for params given a value (--param, `params=`) outside the
    values the file's checks assumed (param_interval: the sign of the file's value, or its
    `vary` range). What they find that the file's own check did not, a divisor that may now
    be 0 or a logarithm of a value that may be negative, is reported with the param named:
    the proofs the file was accepted with do not cover this run."""
    moved = {
        n: float(v)
        for n, v in values.items()
        if n in given
        and isinstance(v, float)
        and not contains(param_interval(checked, n), float(v))
    }
    if not moved:
        return []
    params = {n: replace(p, value=moved[n]) if n in moved else p for n, p in checked.params.items()}
    before = {(d.code, d.message, d.span) for d in check_domains(checked)}
    found = []
    for d in check_domains(replace(checked, params=params)):
        if (d.code, d.message, d.span) in before:
            continue
        shown = ", ".join(
            f"{n} = {v:.15g} (the checks assumed {param_interval(checked, n).describe()})"
            for n, v in moved.items()
        )
        # the note's template (said in Kazakh or Russian too), added to a diagnostic made
        # elsewhere: the notes before it keep theirs
        template = "with --param {params}: the file's checks did not find this"
        kept = (*d.note_templates, *[("", ())] * (len(d.notes) - len(d.note_templates)))
        found.append(
            replace(
                d,
                notes=(*d.notes, template.format(params=shown)),
                note_templates=(*kept, (template, (("params", shown),))),
            )
        )
    return found


def with_rows(panel: Panel) -> Panel:
    """A panel read from a file, refused when the file has no data rows: an empty result
    with exit 0 would look like a computed one (KZF107)."""
    if len(panel.frame) == 0:
        raise DataError(
            [
                localised(
                    "KZF107",
                    "{source}: the file has a header but no data rows; nothing to evaluate",
                    source=panel.source,
                )
            ]
        )
    return panel


def in_callers_order(
    frame: pd.DataFrame, source_rows: np.ndarray | None, index: pd.Index
) -> pd.DataFrame:
    """Results in the caller's row order, labelled with the caller's index, so that
    `df["x"] = prog.evaluate(df)["x"]` puts every value on its own row.

    `source_rows` (Panel) says which caller row each result row belongs to. Rows the program
    added (forecast years) follow the caller's rows, numbered on from a RangeIndex, else
    labelled with missing values. When the rows cannot be traced (a long or years-as-columns
    frame, pivoted into a panel), the results stay sorted by the dimensions, as for a file."""
    import pandas as pd

    if source_rows is None:
        return frame
    n = len(index)
    if len(frame) == n and source_rows[0] == 1 and source_rows[-1] == n:  # cheap tests first
        if np.array_equal(source_rows, np.arange(1, n + 1)):  # already the caller's order
            return frame.set_axis(index, axis=0)
    ours = source_rows > 0
    positions = source_rows[ours] - 1
    order = np.argsort(positions, kind="stable")
    caller = frame.iloc[np.flatnonzero(ours)[order]]
    labels = index[positions[order]]
    added = frame.iloc[np.flatnonzero(~ours)]
    if len(added) == 0:
        if (
            len(caller) == len(frame)
            and len(caller) == len(index)
            and bool(np.all(order == np.arange(len(order))))
        ):
            return frame.set_axis(index, axis=0)  # already in the caller's order: no copy
        return caller.set_axis(labels, axis=0)
    if isinstance(index, pd.RangeIndex):
        more: pd.Index = pd.RangeIndex(index.stop, index.stop + len(added) * index.step, index.step)
    elif isinstance(index, pd.MultiIndex):
        more = pd.MultiIndex.from_tuples([(None,) * index.nlevels] * len(added), names=index.names)
    else:
        more = pd.Index([None] * len(added), name=index.name)
    return pd.concat([caller.set_axis(labels, axis=0), added.set_axis(more, axis=0)])


def compile(  # noqa: A001 - the public name the API promises
    text: str,
    path: str = "<string>",
    *,
    base_dir: str | os.PathLike[str] | None = None,
    allow_import_outside: bool = False,
) -> Program:
    """Compile program text. Raises ProgramError listing every static error found."""
    base = str(base_dir) if base_dir is not None else None
    modules = load_modules(text, path, base_dir=base, allow_import_outside=allow_import_outside)
    return Program(*analyse(check_program(modules, base_dir=base), modules, base))


def load(
    path: str | os.PathLike[str],
    *,
    allow_import_outside: bool = False,
    allow_data_outside: bool = False,
) -> Program:
    """Read and compile a .kzf file; imports are resolved relative to it.

    Compiled programs are cached in the process, keyed by the file's content and the content
    of every file it imports (re-read and compared on each call), so a cached program is never
    stale: editing any of them recompiles."""
    text = read_source(path)
    key = (str(path), os.path.abspath(path), allow_import_outside, allow_data_outside, os.getcwd())
    cached = _COMPILED.get(key)
    if cached is not None and cached[1] == text and _sources_unchanged(cached[0], str(path)):
        return cached[0]
    base = Path(path).parent
    modules = load_modules(
        text,
        str(path),
        base_dir=str(base),
        boundary=str(import_boundary(base)),
        allow_import_outside=allow_import_outside,
    )
    program = Program(*analyse(check_program(modules, base_dir=str(base)), modules, str(base)))
    if not allow_data_outside:
        program = replace(program, data_boundary=import_boundary(base))
    if len(_COMPILED) >= _COMPILED_MAX:
        _COMPILED.pop(next(iter(_COMPILED)))
    _COMPILED[key] = (program, text)
    return program


_COMPILED: dict[tuple[object, ...], tuple[Program, str]] = {}
_COMPILED_MAX = 256


def _sources_unchanged(program: Program, main: str) -> bool:
    for source_path, source_text in program.checked.sources.items():
        if source_path == main:
            continue
        try:
            if read_source(source_path) != source_text:
                return False
        except Exception:  # noqa: BLE001 - an import that vanished: recompile and report it
            return False
    return True


PROJECT_MARKER = "kzf.toml"


def import_boundary(folder: Path) -> Path:
    """Imports may not leave the project: the nearest folder above holding a kzf.toml, or
    else the folder of the file itself."""
    folder = folder.resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / PROJECT_MARKER).is_file():
            return candidate
    return folder


def _no_definition(name: str, known: list[str]) -> Diagnostic:
    """KZF107 for a --select naming no definition, with kzf's did-you-mean."""
    return localised_unknown(
        "KZF107",
        (
            "--select: no definition named '{name}'",
            "--select: no definition named '{name}'; did you mean '{suggestion}'?",
            "--select: no definition named '{name}'; did you mean '{suggestion}'? "
            "('{name}' has {scripts} letters that look alike)",
        ),
        name,
        known,
    )


def _unknown_parameter(name: str, known: list[str]) -> Diagnostic:
    """KZF019 for a --param naming no param of the file, with kzf's did-you-mean."""
    return localised_unknown(
        "KZF019",
        (
            "unknown parameter '{name}'",
            "unknown parameter '{name}'; did you mean '{suggestion}'?",
            "unknown parameter '{name}'; did you mean '{suggestion}'? "
            "('{name}' has {scripts} letters that look alike)",
        ),
        name,
        known,
    )


__all__ = ["Evaluation", "KzfWarning", "Program", "ProgramError", "compile", "load"]
