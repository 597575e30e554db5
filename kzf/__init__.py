"""kzf: statistical indicator formulas as checked plain-text files, run on pandas.

>>> import kzf
>>> prog = kzf.compile("input a, b\\nratio = a / b")
>>> prog.outputs
('ratio',)
"""

from __future__ import annotations

from kzf.dsl.diagnostics import (
    DataError,
    Diagnostic,
    EvaluationError,
    KzfError,
    ProgramError,
    Span,
    UsageError,
)
from kzf.engine.api.program import Evaluation, KzfWarning, Program, compile, load
from kzf.version import __version__

__all__ = [
    "Evaluation",
    "KzfWarning",
    "Program",
    "compile",
    "load",
    "DataError",
    "Diagnostic",
    "EvaluationError",
    "KzfError",
    "ProgramError",
    "Span",
    "UsageError",
    "__version__",
]
