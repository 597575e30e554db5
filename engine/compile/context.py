"""The resolver as extensions of the language see it.

Weighted means (`amean`, `choose`: compile/weighted.py), `trend()` and the `model` and
`forecast` statements (compile/models.py) are resolved outside the core resolver. They receive
this protocol rather than the resolver itself: the part of its state and behaviour they may
use, typed, so that the resolver's internals can change without breaking them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

from kzf.dsl import ast
from kzf.dsl.diagnostics import DiagnosticBag, Span
from kzf.dsl.messages import Phrase
from kzf.dsl.modules import ModuleSet
from kzf.engine.core import ir

if TYPE_CHECKING:
    from kzf.engine.compile.resolve import ParamInfo


class ResolverContext(Protocol):
    """What an extension may read and call while a program is resolved."""

    # Read-only for an extension (it adds to `bag` and `method_params`, never rebinds them).
    @property
    def bag(self) -> DiagnosticBag:
        """Where an extension reports its errors."""
        ...

    @property
    def dims(self) -> tuple[str, ...]: ...

    @property
    def modules(self) -> ModuleSet: ...

    @property
    def params(self) -> Mapping[str, ParamInfo]: ...

    @property
    def method_params(self) -> dict[str, tuple[str, ...]]:
        """Text params and the values they may take."""
        ...

    @property
    def probes(self) -> list[ir.Node]:
        """Stand-ins for the parameters of a user function's body, checked on its own."""
        ...

    @property
    def varies(self) -> Mapping[str, ast.Vary]: ...

    @property
    def time_dim(self) -> str: ...

    def expr(self, e: ast.Expr, env: dict[str, ir.Node]) -> ir.Node:
        """Resolve any expression."""
        ...

    def number(self, e: ast.Expr, env: dict[str, ir.Node], what: str | Phrase) -> ir.Node:
        """Resolve an expression that must be a number (KZF015 otherwise)."""
        ...

    def condition(self, e: ast.Expr, env: dict[str, ir.Node], what: str | Phrase) -> ir.Node:
        """Resolve an expression that must be a condition."""
        ...

    def over_dim(self, over_name: ast.Name, env: dict[str, ir.Node]) -> str:
        """The dimension an `over` names (a function's parameter bound to one, too)."""
        ...

    def claim(self, name: str, span: Span) -> bool:
        """Reserve a name for a new declaration; False (reported) when it is taken."""
        ...
