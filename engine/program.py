"""The embedding API: compile a .kzf program once, evaluate it on many data frames.

    prog = kzf.load("formulas/egdi.kzf")
    frame = prog.evaluate(df, params={"T1": 45})

A `Program` is immutable after compilation, so one instance may be evaluated from several
threads at once; each evaluation keeps its own state.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from kzf.dsl.diagnostics import Diagnostic, ProgramError, UsageError, error
from kzf.dsl.parser import parse_expression
from kzf.engine import ir
from kzf.engine.data import Panel, load_panel, panel_from_frame
from kzf.engine.lower_pandas import PandasBackend
from kzf.engine.modules import load_modules, read_source
from kzf.engine.plan import Plan, build_plan
from kzf.engine.resolve import CheckedProgram, check_program, resolve_extra

_WHERE = "\x00where"


class KzfWarning(UserWarning):
    """A warning from evaluation (division by zero, a value outside a function's domain)."""


@dataclass
class Evaluation:
    """The result of one evaluation: the frame and the warnings raised while computing it."""

    frame: pd.DataFrame
    warnings: list[Diagnostic] = field(default_factory=list)


@dataclass(frozen=True)
class Program:
    checked: CheckedProgram

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
    def params(self) -> dict[str, float]:
        return {name: p.value for name, p in self.checked.params.items()}

    @property
    def diagnostics(self) -> list[Diagnostic]:
        """Warnings found when checking (errors stop compilation and are raised instead)."""
        return list(self.checked.warnings)

    @property
    def data_path(self) -> str | None:
        return self.checked.data_path

    # ---- evaluation
    def plan(self, select: Sequence[str] | None = None, where: str | None = None) -> Plan:
        names = self._selection(select)
        roots: dict[str, ir.Node] = {n: self.checked.definitions[n].node for n in names}
        if where:
            roots[_WHERE] = resolve_extra(
                self.checked, parse_expression(where, "--where"), "--where"
            )
        return build_plan(roots, self.checked.dims, self.checked.time_dim)

    def read_data(self, path: str | os.PathLike[str], **options: object) -> Panel:
        return load_panel(path, self.dims, self._columns_needed(), **options)

    def run(
        self,
        data: pd.DataFrame | Panel | str | os.PathLike[str],
        params: Mapping[str, float] | None = None,
        select: Sequence[str] | None = None,
        where: str | None = None,
    ) -> Evaluation:
        plan = self.plan(select, where)
        values = self._param_values(params)
        panel = self._panel(data)
        row_filter = _WHERE if where else None
        results, issues = PandasBackend().execute(plan, panel.frame, values, row_filter)
        frame = self._assemble(panel, plan, results)
        return Evaluation(frame, issues)

    def evaluate(
        self,
        data: pd.DataFrame | Panel | str | os.PathLike[str],
        params: Mapping[str, float] | None = None,
        select: Sequence[str] | None = None,
        where: str | None = None,
    ) -> pd.DataFrame:
        """Evaluate and return the dimension columns followed by the selected definitions.

        Warnings (division by zero and the like) are issued as `KzfWarning`s; use `run` to
        receive them as diagnostics instead.
        """
        result = self.run(data, params, select, where)
        for issue in result.warnings:
            warnings.warn(KzfWarning(issue.headline()), stacklevel=2)
        return result.frame

    # ---- helpers
    def _selection(self, select: Sequence[str] | None) -> list[str]:
        if not select:
            return list(self.outputs)
        unknown = [s for s in select if s not in self.checked.definitions]
        if unknown:
            from kzf.engine.resolve import _suggest

            known = list(self.checked.definitions)
            raise UsageError(
                [
                    error("KZF107", f"--select: no definition named '{u}'{_suggest(u, known)}")
                    for u in unknown
                ]
            )
        return list(dict.fromkeys(select))

    def _param_values(self, overrides: Mapping[str, float] | None) -> dict[str, float]:
        values = self.params
        for name, value in (overrides or {}).items():
            if name not in values:
                from kzf.engine.resolve import _suggest

                raise UsageError(
                    [error("KZF019", f"unknown parameter '{name}'{_suggest(name, list(values))}")]
                )
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise UsageError(
                    [error("KZF019", f"parameter '{name}': {value!r} is not a number")]
                ) from None
            if not np.isfinite(number):
                raise UsageError([error("KZF019", f"parameter '{name}' must be finite")])
            values[name] = number
        return values

    def _columns_needed(self) -> list[str]:
        return list(self.inputs)

    def _panel(self, data: pd.DataFrame | Panel | str | os.PathLike[str]) -> Panel:
        if isinstance(data, Panel):
            return data
        if isinstance(data, pd.DataFrame):
            return panel_from_frame(data, self.dims, self._columns_needed())
        return self.read_data(data)

    def _assemble(self, panel: Panel, plan: Plan, results: Mapping[str, object]) -> pd.DataFrame:
        n = len(panel.frame)
        columns: dict[str, object] = {d: panel.frame[d].to_numpy() for d in self.dims}
        for name in plan.outputs:
            if name == _WHERE:
                continue
            value = results[name]
            array = value if isinstance(value, np.ndarray) else np.full(n, value, dtype=np.float64)
            if self.checked.definitions[name].node.type is ir.Type.BOOL:
                columns[name] = pd.arrays.BooleanArray(array == 1.0, np.isnan(array))
            else:
                columns[name] = np.asarray(array, dtype=np.float64)
        frame = pd.DataFrame(columns)
        if _WHERE in plan.outputs:
            keep = np.asarray(results[_WHERE]) == 1.0
            frame = frame[np.broadcast_to(keep, (n,))].reset_index(drop=True)
        return frame


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
    return Program(check_program(modules, base_dir=base))


def load(path: str | os.PathLike[str], *, allow_import_outside: bool = False) -> Program:
    """Read and compile a .kzf file; imports are resolved relative to it."""
    text = read_source(path)
    base = Path(path).parent
    modules = load_modules(
        text,
        str(path),
        base_dir=str(base),
        boundary=str(import_boundary(base)),
        allow_import_outside=allow_import_outside,
    )
    return Program(check_program(modules, base_dir=str(base)))


PROJECT_MARKER = "kzf.toml"


def import_boundary(folder: Path) -> Path:
    """Imports may not leave the project: the nearest folder above holding a kzf.toml, or
    else the folder of the file itself."""
    folder = folder.resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / PROJECT_MARKER).is_file():
            return candidate
    return folder


__all__ = ["Evaluation", "KzfWarning", "Program", "ProgramError", "compile", "load"]
