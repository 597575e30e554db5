"""kzf: statistical indicator formulas as checked plain-text files, run on pandas.

>>> import kzf
>>> prog = kzf.compile("input a, b\\nratio = a / b")
>>> prog.outputs
('ratio',)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kzf.dsl.diagnostics import (
    DataError,
    Diagnostic,
    EvaluationError,
    KzfError,
    ProgramError,
    Span,
    UsageError,
)
from kzf.version import __version__

if TYPE_CHECKING:
    from kzf.engine.api.program import Evaluation, KzfWarning, Program, compile, load

# The compiler is imported on first use (PEP 562), not by `import kzf`: `kzf --version`
# and the command's other quick paths start without it (docs/performance.md, cold start).
_FROM_PROGRAM = ("Evaluation", "KzfWarning", "Program", "compile", "load")


def __getattr__(name: str) -> Any:
    if name in _FROM_PROGRAM:
        from kzf.engine.api import program
        from kzf.engine.present import notebook

        notebook.register()  # a Program and an Evaluation shown as HTML in a notebook
        return getattr(program, name)
    raise AttributeError(f"module 'kzf' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


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
