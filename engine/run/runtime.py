"""What every backend's run shares: grouping rows by dimension, and the bookkeeping of
warnings that reports only the rows reaching a result, with the same wording everywhere.

The pandas backend evaluates with it; the SQL backends hand it the rows their queries flagged,
so that `kzf eval --engine duckdb` and `--engine spark` print exactly the warnings pandas does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from kzf.dsl.diagnostics import Diagnostic, Span
from kzf.dsl.messages import Phrase
from kzf.engine.compile.plan import Plan
from kzf.engine.core.periods import ORDINAL_COLUMN
from kzf.engine.run.relevance import outputs_reached, relevant_rows, row_warning

# pandas is imported where a frame is read, not here: the SQL lowering folds its constants
# with this module's context (lower_pandas.fold_constant), and a run in which the engine
# reads the data itself imports no pandas (docs/performance.md).
if TYPE_CHECKING:
    import pandas as pd

MAX_ROWS_SHOWN = 5  # rows named in a warning; the rest are counted
Value = Any  # a step's value: a float64 array (one value per row), a float, a str, or text codes


@dataclass
class EvalContext:
    """What evaluating one plan on one frame keeps: the groupings of rows by dimension
    (computed once, shared by every step) and the warnings raised, each with the rows it
    concerns, so that only rows that reach a result are reported (see relevance.py). Every
    backend reports its warnings through one of these."""

    frame: pd.DataFrame
    dims: tuple[str, ...]
    time_dim: str
    params: Mapping[str, float | str]
    n: int
    step: int = -1  # the step being evaluated, for the warnings it raises
    pending: list[tuple[int, str, str | Phrase, Span | None, np.ndarray]] = field(
        default_factory=list
    )
    conditions: dict[int, np.ndarray] = field(default_factory=dict)
    _groups: dict[str, tuple[np.ndarray, int]] = field(default_factory=dict)
    _orders: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)
    _codes: dict[str, tuple[np.ndarray, int]] = field(default_factory=dict)
    _periods: dict[str, int] = field(default_factory=dict)

    def dim_codes(self, dim: str) -> tuple[np.ndarray, int]:
        if dim not in self._codes:
            found = sorted_text_codes(self.frame[dim])
            if found is None:
                import pandas as pd

                codes, uniques = pd.factorize(self.frame[dim], sort=True)
                found = (codes.astype(np.int64), len(uniques))
            self._codes[dim] = found
        return self._codes[dim]

    def groups_without(self, dim: str) -> tuple[np.ndarray, int]:
        """Group ids of the rows for every combination of the dimensions other than `dim`."""
        if dim not in self._groups:
            others = [d for d in self.dims if d != dim]
            if len(others) == 1:  # the codes of one dimension are already dense and sorted
                self._groups[dim] = self.dim_codes(others[0])
                return self._groups[dim]
            gid = np.zeros(self.n, dtype=np.int64)
            for d in others:
                codes, size = self.dim_codes(d)
                gid = gid * size + codes
            if others:
                import pandas as pd

                gid, uniques = pd.factorize(gid, sort=True)
                count = len(uniques)
            else:
                count = 1 if self.n else 0
            self._groups[dim] = (gid.astype(np.int64), count)
        return self._groups[dim]

    def group_order(self, dim: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows sorted by group (stable: row order within a group), the start of each
        non-empty group in that order, and which groups are non-empty. Sorting once per
        dimension serves every min/max/first/last over it."""
        if dim not in self._orders:
            gid, ngroups = self.groups_without(dim)
            key = gid.astype(np.uint16) if ngroups <= 2**16 else gid  # 16 bits: a radix sort
            order = np.argsort(key, kind="stable")
            del key
            sizes = np.bincount(gid, minlength=ngroups)
            starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
            nonempty = sizes > 0
            self._orders[dim] = (order, starts[nonempty], nonempty)
        return self._orders[dim]

    def period(self, dim: str) -> int:
        """k when the groups over `dim` repeat as 0, 1, …, k-1 down the rows (a dense panel,
        sorted by entity then year, grouped by year), so the rows form an n/k × k matrix
        whose columns are the groups; 0 otherwise."""
        if dim not in self._periods:
            gid, k = self.groups_without(dim)
            dense = 0 < k < self.n and self.n % k == 0
            dense = dense and bool((gid.reshape(-1, k) == np.arange(k)).all())
            self._periods[dim] = k if dense else 0
        return self._periods[dim]

    def row_labels(self, mask: np.ndarray) -> tuple[str, int]:
        """The keys of the first rows of `mask`, and how many more rows it has."""
        rows = np.flatnonzero(mask)
        first = rows[:MAX_ROWS_SHOWN]  # each dimension's column is read once, for these rows
        columns = [self.frame[d].iloc[first].tolist() for d in self.dims]
        shown = ["(" + ", ".join(str(c[i]) for c in columns) + ")" for i in range(len(first))]
        return ", ".join(shown), len(rows) - len(first)

    def warn(self, code: str, message: str | Phrase, span: Span | None, mask: np.ndarray) -> None:
        """Note a problem on some rows; `issues` reports it for the rows that reach a result."""
        self.pending.append((self.step, code, message, span, np.broadcast_to(mask, (self.n,))))

    def issues(self, plan: Plan, output_rows: np.ndarray | None) -> list[Diagnostic]:
        if not self.pending:
            return []
        matters = relevant_rows(plan, self.n, self.conditions, output_rows)
        reached = outputs_reached(plan)
        found = []
        for step, code, message, span, mask in self.pending:
            rows = mask & matters.get(step, np.zeros(self.n, dtype=bool))
            if rows.any():
                shown, more = self.row_labels(rows)
                found.append(row_warning(code, message, span, shown, more, reached, step))
        return found

    def full(self, value: Value) -> np.ndarray:
        if isinstance(value, np.ndarray):
            return value
        return np.full(self.n, float(value))


def sorted_text_codes(column: pd.Series) -> tuple[np.ndarray, int] | None:
    """What pd.factorize(column, sort=True) gives, for Arrow-backed text that is already
    sorted (the panel's first dimension): a running count of the changes between neighbours,
    4x faster than hashing 10⁷ strings. None when the column is not such text."""
    import pandas as pd

    if not isinstance(column.array, pd.arrays.ArrowStringArray) or len(column) < 2:
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pa.array(column)
    if text.null_count:
        return None
    before, after = text.slice(0, len(text) - 1), text.slice(1)
    if not pc.all(pc.greater_equal(after, before)).as_py():
        return None
    codes = np.zeros(len(text), dtype=np.int64)
    np.cumsum(pc.not_equal(after, before).to_numpy(zero_copy_only=False), out=codes[1:])
    return codes, int(codes[-1]) + 1


def time_ordinals(frame: pd.DataFrame, time_dim: str) -> np.ndarray | None:
    """What a shift steps along: whole years, or the ordinals of period labels (2020-Q1);
    None for other labels, which the API refuses before a shift runs (KZF027)."""
    from pandas.api.types import is_integer_dtype

    if ORDINAL_COLUMN in frame.columns:
        return frame[ORDINAL_COLUMN].to_numpy()
    time = frame[time_dim]
    return time.to_numpy() if is_integer_dtype(time.dtype) else None
