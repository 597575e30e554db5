"""kzf: statistical indicator formulas as checked plain-text files, run on pandas.

>>> import kzf
>>> prog = kzf.compile("input a, b\\nratio = a / b")
>>> prog.outputs
('ratio',)
"""

from __future__ import annotations

import os as _os

# In a source checkout the subpackages live beside this folder (dsl/, engine/); installed,
# they live inside it. Let both layouts import as kzf.dsl and kzf.engine.
_here = _os.path.dirname(__file__)
if not _os.path.isdir(_os.path.join(_here, "dsl")):
    __path__.append(_os.path.dirname(_here))  # noqa: F821 - __path__ is set for packages

from kzf.dsl.diagnostics import (  # noqa: E402
    DataError,
    Diagnostic,
    EvaluationError,
    KzfError,
    ProgramError,
    Span,
    UsageError,
)

__version__ = "0.1.0"

from kzf.engine.program import Evaluation, KzfWarning, Program, compile, load  # noqa: E402

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
