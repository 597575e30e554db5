"""Published values a file must reproduce (`expect`), and how each one fared.

`expect K[Kazakhstan, 2010] = 2.776 round 3` applies the stated rounding to the computed,
unrounded value and compares it with the printed one. An `erratum "why"` marks a published
number known to be wrong: it is reported apart from failures, with both values, and it is a
failure if the computed value does reproduce it (the erratum note would then be wrong).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd

from kzf.dsl import ast, messages
from kzf.engine.core.numeric import round_half_away, truncate


class Status(StrEnum):
    REPRODUCED = "reproduced"
    ERRATUM = "erratum"
    FAILED = "failed"
    UNREPRODUCIBLE = "unreproducible"  # printed in the source; its inputs are not available


@dataclass(frozen=True)
class Outcome:
    expect: ast.Expect
    status: Status
    computed: float | None
    shown: float | None  # the computed value after the stated rounding
    detail: str  # in English, as the API gives it
    # the detail's template and values, when kzf made it (not an erratum's own words), so
    # that `describe` says it in the command line's language
    detail_template: str = ""
    detail_values: tuple[tuple[str, str], ...] = ()

    def describe(self, lang: str | None = None) -> str:
        """`K[Kazakhstan, 2010] = 2.776 round 3: computed 2.7764 -> 2.776`, the words in
        `lang` (default: the language kzf speaks); what the file says stays as written."""
        e = self.expect
        key = f"[{', '.join(_fmt_key(k) for k in e.key)}]" if e.key else ""
        how = f" {e.rounding[0]} {e.rounding[1]}" if e.rounding else ""
        if e.tolerance is not None:
            how += f" tol {_fmt(e.tolerance)}"
        stated = f"{e.name}{key} = {_fmt(e.value)}"
        detail = self.detail
        if self.detail_template:
            detail = messages.say(self.detail_template, lang, **dict(self.detail_values))
        if self.status is Status.UNREPRODUCIBLE:
            return messages.say(
                "{stated}: cannot be reproduced; {detail}", lang, stated=stated, detail=detail
            )
        computed = messages.say("missing", lang) if self.computed is None else _fmt(self.computed)
        text = messages.say(
            "{stated}{how}: computed {computed}", lang, stated=stated, how=how, computed=computed
        )
        if self.shown is not None and e.rounding:
            text += f" -> {_fmt(self.shown)}"
        if detail:
            text += f"; {detail}"
        return text


def _fmt(x: float) -> str:
    return f"{x:.10g}"


def _fmt_key(k: str | float) -> str:
    return str(int(k)) if isinstance(k, float) and k.is_integer() else str(k)


Problem = tuple[str, dict[str, str]]  # why no value was found: a template and its values
NO_ROW_TEMPLATE = "no such row in the data"
NOWHERE_TEMPLATE = "the value is missing on every row"
NO_KEY_TEMPLATE = "{count} different values; give a key such as {name}[...]"
MISSING_TEMPLATE = "the computed value is missing"


def _lookup(
    frame: pd.DataFrame, dims: tuple[str, ...], e: ast.Expect
) -> tuple[float | None, Problem]:
    column = frame[e.name]
    if e.key:
        mask = np.ones(len(frame), dtype=bool)
        for dim, part in zip(dims, e.key, strict=True):
            values = frame[dim]
            if pd.api.types.is_numeric_dtype(values.dtype):
                try:
                    mask &= values.to_numpy(dtype=float) == float(part)
                except ValueError:
                    mask &= False
            else:
                mask &= values.astype(str).to_numpy() == _fmt_key(part)
        rows = np.flatnonzero(mask)
        if len(rows) == 0:
            return None, (NO_ROW_TEMPLATE, {})
        value = column.iloc[rows[0]]
    else:
        distinct = pd.unique(column.dropna())
        if len(distinct) == 0:
            return None, (NOWHERE_TEMPLATE, {})
        if len(distinct) > 1:
            return None, (NO_KEY_TEMPLATE, {"count": str(len(distinct)), "name": e.name})
        value = distinct[0]
    if value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None, (MISSING_TEMPLATE, {})
    return float(value), ("", {})


def judge(frame: pd.DataFrame, dims: tuple[str, ...], e: ast.Expect) -> Outcome:
    if e.origin == "unreproducible":
        return Outcome(e, Status.UNREPRODUCIBLE, None, None, e.origin_note or "")
    computed, (problem, values) = _lookup(frame, dims, e)
    if computed is None:
        return failed(e, problem, **values)
    shown = computed
    if e.rounding is not None:
        mode, digits = e.rounding
        shown = (round_half_away if mode == "round" else truncate)(computed, digits)
    if e.tolerance is not None:
        same = abs(shown - e.value) <= e.tolerance
    else:
        same = math.isclose(shown, e.value, rel_tol=1e-12, abs_tol=1e-12)
    if e.erratum is not None:
        if same:
            return failed(e, "marked as an erratum, but it is reproduced", computed, shown)
        return Outcome(e, Status.ERRATUM, computed, shown, e.erratum)
    return Outcome(e, Status.REPRODUCED if same else Status.FAILED, computed, shown, "")


def failed(
    e: ast.Expect,
    template: str,
    computed: float | None = None,
    shown: float | None = None,
    /,
    **values: str,
) -> Outcome:
    """A failed expectation whose reason kzf states: `template` filled with `values`."""
    detail = template.format(**values)
    return Outcome(e, Status.FAILED, computed, shown, detail, template, tuple(values.items()))
