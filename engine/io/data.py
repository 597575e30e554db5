"""Load panel data (entities x years) for a kzf program, whatever shape the file has.

The compiler asks for `dims` (e.g. ``("entity", "year")``) and the `inputs` a program
reads; everything else in the file is ignored. The result is always one `Panel`: a wide
frame unique on its dims, sorted, with float64 inputs, so that the lowered pandas code
never has to care where the numbers came from.

Layouts, detected in this order (header names are compared after stripping spaces and a
UTF-8 BOM; `indicator` and `value` case-insensitively):

1. years-as-columns -- the time dim is *not* a column, some columns are named by a
   4-digit year ("2010", or the int 2010 from Excel/Parquet) and there is an `indicator`
   column. The other dims must be columns; other non-year columns (World Bank's
   "Indicator Name", ...) are ignored. Melted to long, then pivoted.
2. long -- there are `indicator` and `value` columns and none of the inputs is itself a
   column. Every dim must be a column; extra columns (`unit`, `seed_line`, ...) are
   ignored. Pivoted to wide; a repeated (dims..., indicator) is KZF103.
3. wide -- anything else: every dim and every input is a column.

Cells:

* inputs become float64. Empty cells and the NA spellings in `NA_TEXT` (compared
  case-insensitively) are missing values. With ``decimal="."`` "1,234.5" is accepted only
  as strict comma thousands grouping; with ``decimal=","`` the comma is the decimal mark
  ("2,776") and a "." is an error (a file mixing both is ambiguous). Either way digit
  groups separated by spaces or no-break spaces ("2 094 454,3") are accepted. Infinite
  values are rejected.
* the time dim must hold integers ("2010", 2010, 2010.0, " 2010 ") and becomes int64.
* other dims become strings (stripped; integral numbers from Excel written without ".0").
  NA spellings are *not* missing here ("NA" is Namibia's ISO code); only an empty cell is,
  and an empty dim cell is KZF105 (the row lacks one of its dimensions), with row and column.

Errors are `DataError`s whose message names the file, the row and the column; rows are
file rows (header = row 1; for long and years-as-columns files, the row of the source
record). For `panel_from_frame`, row n is the frame's n-th row by position (row 1 is the
first row: a frame has no header row). Named index levels of a frame count as columns.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal, TypedDict

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kzf.dsl.diagnostics import (
    DataError,
    DataLocation,
    Diagnostic,
    Note,
    data_error,
    localised_data_error,
)
from kzf.dsl.messages import Phrase, listed, phrased
from kzf.engine.core import periods
from kzf.engine.core.numeric import infinite_mask
from kzf.engine.io.readers import RawTable, read_table, table_from_frame

Layout = Literal["wide", "long", "years"]

# Missing-value markers statistics offices and data portals write, compared without case:
# the World Bank's "..", Eurostat's and SDMX's ":", dashes, Russian "н/д" (нет данных), "…".
NA_TEXT = frozenset(
    {"", "na", "n/a", "#n/a", "..", "-", "\u2013", "\u2014", "nan", "null", "none", ":",
     "н/д", "\u2026", "..."}
)  # fmt: skip
# A year column of the years-as-columns layout: 2020, or 2020 [YR2020] as DataBank writes it.
YEAR_NAME = re.compile(r"(\d{4})(?: \[YR\1\])?")


def is_time_column(name: str) -> bool:
    """A column of the years-as-columns layout: a year (`2020`, `2020 [YR2020]`) or a period
    (`2023-Q3`, `2023M01`, `2023-S1`, as Eurostat heads its quarterly and monthly tables)."""
    return YEAR_NAME.fullmatch(name) is not None or periods.period_of(name) is not None


# The column that names the indicator of a row in the long layouts, and the one holding its
# value, as kzf's own layout, the World Bank (WDI, DataBank), SDMX-CSV and the UN SDG API
# call them (compared without case).
INDICATOR_NAMES = ("indicator", "indicator code", "series code", "seriescode")
VALUE_NAMES = ("value", "obs_value")
_SP = "[ \u00a0\u202f]"
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_INFINITY = r"[+-]?inf(?:inity)?"
_INTEGER = r"[+-]?\d+(?:\.0*)?"
_SPACE_GROUPS = {
    ".": rf"[+-]?\d{{1,3}}(?:{_SP}\d{{3}})+(?:\.\d*)?",
    ",": rf"[+-]?\d{{1,3}}(?:{_SP}\d{{3}})+(?:,\d*)?",
}
_PLAIN = {".": _NUMBER, ",": r"[+-]?(?:\d+(?:,\d*)?|,\d+)(?:[eE][+-]?\d+)?"}
_COMMA_GROUPS = r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?"
_IND = "\0indicator"
_VAL = "\0value"
_ROW = "\0row"  # the source row of a wide record, kept through the sort


@dataclass(frozen=True, eq=False)
class Panel:
    """Input data of a program: one row per dims key, dims columns first, then inputs.

    `frame` has a RangeIndex, is unique on `dims` and sorted by the non-time dims then the
    time dim; the time dim is int64, other dims str, inputs float64.

    `source_rows[i]` is the row of the source that frame row i came from, as a user counts
    them (a file's header is row 1; a DataFrame's first row is 1), when each frame row is one
    source row (the wide layout); 0 marks a row the program added (a forecast year). The
    embedding API uses it to return results in the caller's row order.
    """

    frame: pd.DataFrame
    dims: tuple[str, ...]
    time_dim: str | None
    source: str
    source_rows: np.ndarray | None = None
    notes: tuple[Diagnostic, ...] = ()  # what reading the data noticed (KZF263)
    # False for a panel read for a row-wise program (each result from its own row alone):
    # its rows are the caller's, in the caller's order, their keys neither sorted nor
    # checked unique, since no value depends on them (`panel_from_frame(row_wise=True)`).
    keyed: bool = True


def time_dimension(dims: Sequence[str], declared: str | None = None) -> str | None:
    """The dim that lags and growth rates move along (engine/core/periods.py): the one the
    file marks, else `year`, else the one named like time, else the last (only the order)."""
    return periods.time_dimension(dims, declared).dim


class ReadOptions(TypedDict, total=False):
    """How a data file is read (`--decimal`, `--sep`, `--encoding`, `--sheet`, `--missing`,
    `--header-row`, `--drop-flags`, `--max-data-size`)."""

    decimal: str
    sep: str | None
    encoding: str | None
    sheet: str | int | None
    missing: Sequence[str]
    header_row: int | None
    drop_flags: Sequence[str]
    max_bytes: int | None


@dataclass(frozen=True)
class CellSyntax:
    """How the text of a value cell is read: the decimal mark, and the missing-value markers
    (`NA_TEXT` plus the caller's, e.g. SPSS's `-99` or a national `x`, compared without case).

    A marker that is a number (`-99`) marks every cell whose value equals it (`-99.0` text,
    the number -99 in Excel or Parquet), so that a missing code is never averaged in."""

    decimal: str = "."
    markers: frozenset[str] = frozenset()

    @classmethod
    def of(cls, decimal: str, missing: Sequence[str], source: str) -> CellSyntax:
        if decimal not in (".", ","):
            raise localised_data_error(
                "KZF106",
                "the decimal separator must be '.' or ',', not {decimal}",
                DataLocation(source),
                decimal=repr(decimal),
            )
        if isinstance(missing, str):
            missing = [missing]
        markers = frozenset(m.strip().lower() for m in missing)
        if "" in markers:
            raise data_error(
                "KZF106",
                "a missing-value marker cannot be empty (empty cells are always missing)",
                DataLocation(source),
            )
        return cls(decimal, markers)

    @property
    def missing_text(self) -> frozenset[str]:
        return NA_TEXT | self.markers

    def missing_numbers(self) -> np.ndarray:
        """The markers that are numbers, as float64 (numeric cells equal to one are missing)."""
        found = []
        for m in self.markers:
            try:
                found.append(float(m.replace(",", ".") if self.decimal == "," else m))
            except ValueError:
                continue
        return np.array(found, dtype="float64")


def load_panel(
    path: str | os.PathLike[str],
    dims: Sequence[str],
    inputs: Sequence[str],
    *,
    decimal: str = ".",
    sep: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    missing: Sequence[str] = (),
    header_row: int | None = None,
    drop_flags: Sequence[str] = (),
    max_bytes: int | None = None,
    time: str | None = None,
    sources: Mapping[str, str] | None = None,
) -> Panel:
    """Read a .csv/.txt, .xlsx or .parquet file in any of the three layouts into a Panel;
    `time` is the time dimension the program chose (by default, the rule of
    `time_dimension`). `sources` maps dims and inputs to what the file calls them
    (`input pop = "SP.POP.TOTL"`): a column, or an indicator of the long layouts.
    `missing` adds missing-value markers to `NA_TEXT`; `header_row` (1-based) says which
    row is the header when the detection of title rows above it should not decide;
    `drop_flags` are the flags (Eurostat's `u`, ...) whose values are read as missing;
    `max_bytes` lifts (or lowers) the bound on what is read from the file (2 GiB)."""
    syntax = CellSyntax.of(decimal, missing, os.fspath(path))
    table = read_table(
        path,
        sep=sep,
        encoding=encoding,
        sheet=sheet,
        header_row=header_row,
        drop_flags=drop_flags,
        max_bytes=max_bytes,
    )
    return _build(_bind(table, sources), dims, inputs, syntax, time)


def panel_from_frame(
    df: pd.DataFrame,
    dims: Sequence[str],
    inputs: Sequence[str],
    *,
    source: str = "<dataframe>",
    time: str | None = None,
    sources: Mapping[str, str] | None = None,
    missing: Sequence[str] = (),
    row_wise: bool = False,
) -> Panel:
    """Validate an in-memory frame like a file; text cells are parsed with decimal '.'.

    `row_wise` is for a program whose every value comes from its own row alone (no
    aggregate, lag, rank or use of a dim): then the rows keep the caller's order and a
    text dim of text dtype and an integer time dim are taken as they are, not stripped,
    sorted or checked unique (no result depends on them), which makes an element-wise
    evaluation of a large frame cost little more than the arithmetic itself."""
    syntax = CellSyntax.of(".", missing, source)
    table = _bind(table_from_frame(df, source), sources)
    return _build(table, dims, inputs, syntax, time, row_wise)


_UNBOUND = "\0unbound:"  # a column named like a bound name, which the binding replaces


def _bind(table: RawTable, sources: Mapping[str, str] | None) -> RawTable:
    """The table with each bound column under the kzf name it is bound to. A column that has
    the kzf name itself is then not read: the binding says which column is meant."""
    if not sources:
        return table
    sources = {name: unicodedata.normalize("NFC", source) for name, source in sources.items()}
    by_source = {source: name for name, source in sources.items()}
    names = tuple(by_source.get(n, _UNBOUND + n if n in sources else n) for n in table.names)
    keys = tuple(by_source.get(k, k) for k in table.series_keys)  # `dims country = "geo"`
    return replace(table, names=names, bound=tuple(sources.items()), series_keys=keys)


def _shown(table: RawTable, name: str) -> str:
    """How a message names a column: as the file calls it, and the kzf name it is bound to."""
    source = dict(table.bound).get(name)
    return f"'{source}' (bound to {name})" if source else f"'{name}'"


def _file_names(table: RawTable) -> list[str]:
    """The header as the file writes it, for messages."""
    bound = dict(table.bound)
    return [bound.get(n, n.removeprefix(_UNBOUND)) for n in table.names]


def detect_layout(
    names: Sequence[str], dims: Sequence[str], inputs: Sequence[str], time: str | None = None
) -> Layout:
    """Which of the three layouts a header describes (see the module docstring)."""
    lowered = {n.lower() for n in names}
    time = time if time is not None else time_dimension(dims)
    has_years = any(is_time_column(n) for n in names)
    indicator = any(n in INDICATOR_NAMES for n in lowered)
    if time is not None and time not in names and has_years and indicator:
        return "years"
    if indicator and any(n in VALUE_NAMES for n in lowered) and not any(i in names for i in inputs):
        return "long"
    return "wide"


# --- layouts -------------------------------------------------------------------------------


def _build(
    table: RawTable,
    dims_in: Sequence[str],
    inputs: Sequence[str],
    syntax: CellSyntax,
    time_in: str | None = None,
    row_wise: bool = False,
) -> Panel:
    dims = tuple(dims_in)
    time = time_in if time_in is not None else time_dimension(dims)
    wanted = [i for i in dict.fromkeys(inputs) if i not in dims]
    if table.series_keys:
        table = _with_series_indicator(table, dims)
    layout = detect_layout(table.names, dims, wanted, time)
    if layout == "years":
        frame = _from_years(table, dims, time, wanted, syntax)
    elif layout == "long":
        frame = _from_long(table, dims, time, wanted, syntax)
    elif row_wise:
        frame = _from_wide(table, dims, time, wanted, syntax, as_given=True)
        rows = frame.pop(_ROW).to_numpy(dtype=np.int64)
        return Panel(frame, dims, time, table.source, rows, table.notes, keyed=False)
    else:
        frame = _from_wide(table, dims, time, wanted, syntax)
    finished, source_rows = _finish(frame, dims, time, wanted, table.source)
    return Panel(finished, dims, time, table.source, source_rows, table.notes)


def _with_series_indicator(table: RawTable, dims: tuple[str, ...]) -> RawTable:
    """An `indicator` column for a table of SDMX series keys (Eurostat TSV): the key columns
    the program does not declare as dims, joined with '.' as SDMX writes a series key
    (`A.PC_IND.I_IUSE` for freq, unit, indic_is when the dims are geo and year)."""
    others = [k for k in table.series_keys if k not in dims]
    positions = [table.positions(k)[0] for k in others]
    if positions:
        indicator = table.data[positions[0]].astype(str)
        for p in positions[1:]:
            indicator = indicator + "." + table.data[p].astype(str)
    else:
        indicator = pd.Series(["value"] * len(table.data))
    keep = [i for i, n in enumerate(table.names) if n not in others]
    data = table.data[keep].set_axis(range(len(keep)), axis=1)
    data[len(keep)] = indicator.to_numpy()
    names = (*(table.names[i] for i in keep), "indicator")
    return replace(table, names=names, data=data, series_keys=())


def _from_wide(
    table: RawTable,
    dims: tuple[str, ...],
    time: str | None,
    wanted: list[str],
    syntax: CellSyntax,
    as_given: bool = False,
) -> pd.DataFrame:
    """Dims and inputs of a wide table; with `as_given`, dims already of the panel's types
    (text dtype; an integer time) are taken without parsing (see `panel_from_frame`)."""
    _require_dims(table, dims, dims)
    missing = [w for w in wanted if not table.positions(w)]
    if missing:
        raise _missing_inputs(table, missing, _file_names(table), None)
    columns: dict[str, object] = {}
    if as_given:
        for d in dims:
            column = table.column(d)
            typed = column.dtype.kind == "i" if d == time else column.dtype == "str"
            columns[d] = column if typed else _parse_dims(table, (d,), time, None)[d]
    else:
        keys = _parse_dims(table, dims, time, None)  # unique keys: checked sorted, in _finish
        columns.update((d, keys[d]) for d in dims)
    for name in wanted:
        columns[name] = _parse_values(table.column(name), table.rows, name, table.source, syntax)
    columns[_ROW] = table.rows
    # one frame from the columns, without copying each into it (pandas copies on setitem)
    return pd.DataFrame(columns, index=pd.RangeIndex(len(table.data)), copy=False)


def _from_long(
    table: RawTable, dims: tuple[str, ...], time: str | None, wanted: list[str], syntax: CellSyntax
) -> pd.DataFrame:
    _require_dims(table, dims, dims)
    ind_name = _indicator_column(table, wanted)
    val_name = _find_ci(table, VALUE_NAMES)
    indicator, take = _select_indicators(table, ind_name, wanted)
    rows = table.rows[take]
    long = _parse_dims(table, dims, time, take)
    long[_IND] = indicator
    long[_VAL] = _parse_values(
        table.column(val_name).iloc[take], rows, val_name, table.source, syntax, indicator
    )
    _check_unique(long[[*dims, _IND]], rows, table.source, _IND)
    return _pivot(long, dims, wanted)


def _from_years(
    table: RawTable, dims: tuple[str, ...], time: str | None, wanted: list[str], syntax: CellSyntax
) -> pd.DataFrame:
    assert time is not None  # detect_layout only picks "years" when there is a time dim
    others = tuple(d for d in dims if d != time)
    _require_dims(table, others, dims)
    ind_name = _indicator_column(table, wanted)
    year_names = list(dict.fromkeys(n for n in table.names if is_time_column(n)))
    # years become int64; period labels stay text, and _finish orders them as periods
    as_years = all(YEAR_NAME.fullmatch(n) for n in year_names)
    indicator, take = _select_indicators(table, ind_name, wanted)
    rows = table.rows[take]
    keys = _parse_dims(table, others, None, take)
    keys[_IND] = indicator
    _check_unique(keys, rows, table.source, _IND)
    parts = []
    for name in year_names:  # a loop over year columns, not rows
        part = keys.copy()
        label = int(name[:4]) if as_years else name
        part[time] = np.full(len(keys), label, dtype="int64" if as_years else object)
        part[_VAL] = _parse_values(
            table.column(name).iloc[take], rows, name, table.source, syntax, indicator
        )
        parts.append(part)
    return _pivot(pd.concat(parts, ignore_index=True), dims, wanted)


def _indicator_column(table: RawTable, wanted: list[str]) -> str:
    """The column naming each row's indicator. A UN SDG download has two (`Indicator`:
    17.8.1, and `SeriesCode`: IT_USE_ii99, one of the indicator's series); the one holding
    the codes the program asks for is meant, else the first of INDICATOR_NAMES (whose
    error then lists its codes)."""
    lowered = [n.lower() for n in table.names]
    candidates = [n for n in INDICATOR_NAMES if lowered.count(n) == 1]
    if len(candidates) > 1:
        bound = dict(table.bound)
        codes = {bound.get(w, w) for w in wanted}
        for name in candidates:
            column = table.data[lowered.index(name)].astype(str).str.strip()
            if codes and codes <= set(column.unique()):
                return table.names[lowered.index(name)]
    return _find_ci(table, INDICATOR_NAMES)


def _select_indicators(
    table: RawTable, ind_name: str, wanted: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """The indicator names and record positions of the rows that hold a wanted input."""
    labels = _labels(_Cells.of(table.column(ind_name)))
    if table.bound:  # indicator codes bound to inputs: `input pop = "SP.POP.TOTL"`
        codes = {source: name for name, source in table.bound if name in wanted}
        shown = labels
        labels = labels.map(lambda code: codes.get(code, code))
    else:
        shown = labels
    mask = labels.isin(wanted).to_numpy(dtype=bool)
    present = set(labels[mask].unique())
    missing = [w for w in wanted if w not in present]
    if missing and len(table.data) > 0:
        raise _missing_inputs(table, missing, [str(v) for v in shown.unique()], ind_name)
    take = np.flatnonzero(mask)
    return labels.to_numpy(dtype=object)[take], take


def _pivot(long: pd.DataFrame, dims: tuple[str, ...], wanted: list[str]) -> pd.DataFrame:
    index = list(dims) or ["\0key"]
    if not dims:
        long = long.assign(**{"\0key": 0})
    wide = long.pivot(index=index, columns=_IND, values=_VAL).reindex(columns=wanted)
    wide.columns.name = None
    wide = wide.reset_index()
    return wide.drop(columns=["\0key"]) if not dims else wide


def _finish(
    frame: pd.DataFrame, dims: tuple[str, ...], time: str | None, wanted: list[str], source: str
) -> tuple[pd.DataFrame, np.ndarray | None]:
    """Fix column order and dtypes (also of empty frames) and sort time-last; with the source
    row of each sorted row, when the layout kept one. A time dimension of period labels
    (2020-Q1, 2020-01, ...) gets the hidden ordinal column `periods.ORDINAL_COLUMN` that the
    engines step along, and is sorted by it.

    The wide layout's keys are checked unique here, on the sorted rows: a repeated key is a
    pair of equal neighbours, found by the same comparisons that tell whether the rows are
    already sorted (cheaper than hashing every key). Columns already of the right type are
    not copied."""
    rows = [_ROW] if _ROW in frame.columns else []
    columns: dict[str, object] = {}
    for d in dims:
        column = frame[d]
        integral = d == time and pd.api.types.is_numeric_dtype(column.dtype)
        if integral or (d == time and frame.empty):
            columns[d] = column.astype("int64")
        else:
            columns[d] = column if column.dtype == "str" else column.astype(str)
    for name in [*wanted, *rows]:
        columns[name] = frame[name].astype("float64" if name != _ROW else "int64")
    out = pd.DataFrame(columns, copy=False)
    last = time
    if time is not None and not pd.api.types.is_integer_dtype(out[time].dtype) and len(out):
        ordinals = _period_ordinals(out, time, source)
        if ordinals is not None:
            out[periods.ORDINAL_COLUMN] = ordinals
            last = periods.ORDINAL_COLUMN
    order = [d for d in dims if d != time] + ([last] if last is not None else [])
    sorted_already, repeats = _neighbours(out, order)
    if not sorted_already:
        out = out.sort_values(order, kind="stable")
        if rows:
            _, repeats = _neighbours(out, order)
    out = out.reset_index(drop=True)
    if rows:
        if not order and len(out) > 1:  # no dims: a second row repeats the (empty) key
            repeats = np.array([False, True])
        if repeats is not None and repeats.any():
            _repeated_key(out, dims, order, repeats, source)
    if not rows:
        return out, None
    source_rows = out.pop(_ROW).to_numpy(dtype=np.int64)
    return out, source_rows


def _repeated_key(
    out: pd.DataFrame, dims: tuple[str, ...], order: list[str], repeats: np.ndarray, source: str
) -> None:
    """KZF103 for sorted rows with equal neighbours (`repeats[i]`: row i repeats row i-1's
    key): the repeat that comes first in the file, and the row it repeats."""
    rows = out[_ROW].to_numpy(dtype=np.int64)
    candidates = np.flatnonzero(repeats)
    second = int(candidates[np.argmin(rows[candidates])])
    first = second
    while first > 0 and repeats[first]:  # the stable sort keeps a key's rows in file order
        first -= 1
    shown = [d for d in dims if d in out.columns]
    key = ", ".join(str(out[d].iloc[second]) for d in shown)
    raise _duplicate(source, key, "", int(rows[first]), int(rows[second]), bool(order))


def _duplicate(
    source: str, key: str, what: str, first: int, second: int, has_dims: bool
) -> DataError:
    """KZF103: the key (and indicator, `what`) of a repeated row, with both its rows."""
    note = "each combination of the dims may appear only once"
    if not has_dims:
        note = "the program declares no dims, so the file may hold only one value per input"
    return localised_data_error(
        "KZF103",
        "duplicate row for ({key}){what}: rows {first} and {second}",
        DataLocation(source, second),
        note,
        key=key,
        what=what,
        first=first,
        second=second,
    )


def _period_ordinals(out: pd.DataFrame, time: str, source: str) -> np.ndarray | None:
    """The ordinal of each row's period, or None when the time labels are not periods."""
    codes, labels = pd.factorize(out[time])
    try:
        parsed = periods.parse_periods([str(label) for label in labels], time)
    except periods.PeriodError as exc:
        first = int(np.flatnonzero(codes == exc.position)[0])
        row = int(out[_ROW].iloc[first]) if _ROW in out.columns else None
        raise data_error("KZF104", exc.message, DataLocation(source, row, time)) from None
    if parsed is None:
        return None
    return np.asarray(parsed[0], dtype=np.int64)[codes]


def _neighbours(frame: pd.DataFrame, order: list[str]) -> tuple[bool, np.ndarray | None]:
    """Whether the rows are already in `order` (then sorting them again is skipped), and,
    when they are, which rows repeat their predecessor's key (`repeats[i]`, row i; None when
    unsorted). Each pair of neighbours is compared on the first key that differs, column by
    column, vectorised (Arrow text is compared by Arrow)."""
    n = len(frame)
    undecided = np.ones(max(n - 1, 0), dtype=bool)
    if not order:
        return True, None
    for column in order:
        values = frame[column].array
        before, after = values[:-1], values[1:]
        if np.any(undecided & np.asarray(after < before, dtype=bool)):
            return False, None
        undecided &= np.asarray(after == before, dtype=bool)
        if not undecided.any():
            break
    return True, np.concatenate([[False], undecided]) if n else np.zeros(0, dtype=bool)


# --- cells ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cells:
    """A column split into real numbers (Excel/Parquet cells) and text (everything else).

    `text` is "" where the cell holds a number or nothing; `number` is NaN where it holds
    text. CSV columns are all text; splitting once keeps the parsers vectorised.
    """

    text_or_none: pd.Series | None  # None for an all-numeric column: built only if asked for
    number: np.ndarray
    is_number_or_none: np.ndarray | None  # None for an all-numeric column: ~isnan(number)
    original: pd.Series

    @functools.cached_property
    def is_number(self) -> np.ndarray:
        if self.is_number_or_none is None:
            return ~np.isnan(self.number)
        return self.is_number_or_none

    @property
    def text(self) -> pd.Series:
        if self.text_or_none is None:
            return pd.Series(np.full(len(self.number), "", dtype=object)).astype(str)
        return self.text_or_none

    @property
    def all_numeric(self) -> bool:
        """A numeric column: its missing cells are NaN, never text to parse."""
        return self.text_or_none is None

    @classmethod
    def of(cls, s: pd.Series) -> _Cells:
        s = s.reset_index(drop=True)
        n = len(s)
        if isinstance(s.dtype, pd.StringDtype):
            text = s.fillna("").astype(str)
            return cls(text, np.full(n, np.nan), np.zeros(n, dtype=bool), s)
        if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
            if s.dtype == np.float64:  # NaN is already the missing value: no conversion
                number = s.to_numpy()
            else:
                number = s.to_numpy(dtype="float64", na_value=np.nan)
            if np.may_share_memory(number, s.to_numpy()):  # the caller's own array:
                number = number.view()  # read through a view nothing can write to
                number.flags.writeable = False
            return cls(None, number, None, s)
        obj = s.astype(object)
        kind = pd.api.types.infer_dtype(obj, skipna=True)
        if kind in ("string", "empty"):
            is_number = np.zeros(n, dtype=bool)
        elif kind in ("integer", "floating", "mixed-integer-float"):
            is_number = obj.notna().to_numpy(dtype=bool)
        else:
            is_number = obj.map(_is_real).to_numpy(dtype=bool)
        number = pd.to_numeric(obj.where(is_number), errors="coerce").to_numpy(dtype="float64")
        is_number = is_number & ~np.isnan(number)
        text = obj.where(~is_number & obj.notna().to_numpy(), "").astype(str)
        return cls(text, number, is_number, s)

    def show(self, pos: int) -> str:
        return repr(str(self.original.iloc[pos]))


def _is_real(v: object) -> bool:
    return isinstance(v, int | float | np.integer | np.floating) and not isinstance(
        v, bool | np.bool_
    )


def _parse_values(
    column: pd.Series,
    rows: np.ndarray,
    name: str,
    source: str,
    syntax: CellSyntax,
    indicator: np.ndarray | None = None,
) -> np.ndarray:
    """An input column as float64, or KZF104 for the first cell that is not a number."""
    cells = _Cells.of(column)
    values = cells.number  # the caller's own array only read-only (`_Cells.of`)
    if cells.all_numeric and not syntax.markers and infinite_mask(values) is None:
        return values  # a float column, as a DataFrame or Parquet file gives it
    bad = np.zeros(len(values), dtype=bool)
    infinite = cells.is_number & np.isinf(values)
    textual = ~cells.is_number
    if textual.any() and not cells.all_numeric:
        if not values.flags.writeable:  # pandas hands out read-only arrays
            values = values.copy()
        text = cells.text.str.strip()
        sub = text if textual.all() else text[textual]
        parsed, not_number, inf_text = _text_numbers(sub, syntax)
        values[textual] = parsed
        bad[textual] = not_number
        infinite[textual] |= inf_text
    if syntax.markers:  # a cell equal to a numeric missing code (-99, -99.0) is missing
        codes = syntax.missing_numbers()
        coded = np.isin(values, codes) if len(codes) else None
        if coded is not None and coded.any():
            values = values.copy()
            values[coded] = np.nan
    if bad.any() or infinite.any():
        pos = int(np.flatnonzero(bad | infinite)[0])
        where = DataLocation(source, int(rows[pos]), name)
        shown = cells.show(pos)
        if infinite[pos]:
            if indicator is None:
                raise localised_data_error(
                    "KZF104",
                    "{value}: infinite values are not allowed",
                    where,
                    "leave the cell empty for a missing value",
                    value=shown,
                )
            raise localised_data_error(
                "KZF104",
                "{value}: infinite values are not allowed (indicator '{indicator}')",
                where,
                "leave the cell empty for a missing value",
                value=shown,
                indicator=indicator[pos],
            )
        hint = _decimal_hint(str(cells.original.iloc[pos]).strip(), syntax.decimal)
        notes = [hint] if hint else []
        if indicator is None:
            raise localised_data_error(
                "KZF104", "{value} is not a number", where, *notes, value=shown
            )
        raise localised_data_error(
            "KZF104",
            "{value} is not a number (indicator '{indicator}')",
            where,
            *notes,
            value=shown,
            indicator=indicator[pos],
        )
    return values


@functools.cache
def _digit_table() -> dict[int, str]:
    """Every Unicode decimal digit (fullwidth １, Arabic-Indic ٣, Devanagari ३, ...) as its
    ASCII digit, and the signs typesetters use (− U+2212, fullwidth ＋ －) as + and -."""
    table = {
        code: str(unicodedata.digit(chr(code)))
        for code in range(0x80, 0x110000)
        if unicodedata.category(chr(code)) == "Nd"
    }
    table.update({0x2212: "-", 0xFF0D: "-", 0xFF0B: "+", 0x2013: "-"})
    return table


def _ascii_digits(text: pd.Series) -> pd.Series:
    """`text` with non-ASCII digits and minus signs written in ASCII, so that `１２` and `٣` are
    read as 12 and 3, not as missing values (regular expressions' \\d matches them, the
    float parsers do not). Cells already ASCII, nearly always all of them, cost one test."""
    ascii_only = text.str.isascii()
    if bool(ascii_only.all()):
        return text
    table = _digit_table()
    return text.where(ascii_only, text.str.translate(table))


def _text_numbers(text: pd.Series, syntax: CellSyntax) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stripped text cells as (values, not-a-number mask, infinite mask); NaN if missing."""
    decimal = syntax.decimal
    text = _ascii_digits(text)
    plain = text.str.fullmatch(_PLAIN[decimal]).to_numpy(dtype=bool)
    if (plain | (text == "").to_numpy(dtype=bool)).all():  # the usual column: no NA words
        norm = text if decimal == "." else text.str.replace(",", ".", regex=False)
        values = _to_float(norm.where(plain))
        return values, np.zeros(len(values), dtype=bool), np.isinf(values)
    values = np.full(len(text), np.nan)
    bad = np.zeros(len(text), dtype=bool)
    infinite = np.zeros(len(text), dtype=bool)
    present = ~text.str.lower().isin(list(syntax.missing_text)).to_numpy(dtype=bool)
    if present.any():
        t = text[present]
        spaced = t.str.fullmatch(_SPACE_GROUPS[decimal]).to_numpy(dtype=bool)
        if decimal == ",":
            norm = t.where(~spaced, t.str.replace(_SP, "", regex=True))
            dotted = norm.str.contains(".", regex=False).to_numpy(dtype=bool)
            norm = norm.str.replace(",", ".", regex=False)
        else:
            grouped = spaced | t.str.fullmatch(_COMMA_GROUPS).to_numpy(dtype=bool)
            norm = t.where(~grouped, t.str.replace(f",|{_SP}", "", regex=True))
            dotted = np.zeros(len(t), dtype=bool)
        ok = norm.str.fullmatch(_NUMBER).to_numpy(dtype=bool) & ~dotted
        parsed = _to_float(norm.where(ok))
        inf_text = t.str.lower().str.fullmatch(_INFINITY).to_numpy(dtype=bool)
        values[present] = parsed
        bad[present] = ~ok & ~inf_text
        infinite[present] = inf_text | (ok & np.isinf(parsed))
    return values, bad, infinite


def _to_float(text: pd.Series) -> np.ndarray:
    """Already validated number text (NaN for the rest) as float64, correctly rounded.

    pyarrow's cast is exact and ~50x faster than pd.to_numeric on text; the fallback only
    serves text pyarrow will not take.
    """
    try:
        cast = pc.cast(pa.array(text, from_pandas=True), pa.float64())
        return np.array(cast.to_numpy(zero_copy_only=False), dtype="float64")
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return pd.to_numeric(text, errors="coerce").to_numpy(dtype="float64", copy=True)


def _decimal_hint(text: str, decimal: str) -> str:
    if decimal == "." and re.fullmatch(r"[+-]?[\d \u00a0\u202f]*,\d+", text):
        return "the file seems to use decimal commas: pass --decimal ',' (decimal=',')"
    if decimal == "," and re.fullmatch(r"[+-]?\d*\.\d+(?:[eE][+-]?\d+)?", text):
        return "the decimal separator was set to ',' but this cell uses '.'"
    return ""


def _labels(cells: _Cells, stripped: pd.Series | None = None) -> pd.Series:
    """Dim or indicator labels as stripped text; integral numbers written without '.0'.
    `stripped` is the cells' text already stripped, when the caller has it."""
    text = cells.text.str.strip() if stripped is None else stripped
    if cells.is_number.any():
        num = pd.Series(cells.number[cells.is_number])
        integral = np.isfinite(num) & (num == np.round(num))
        shown = num.astype(str)
        shown[integral] = num[integral].astype("int64").astype(str)
        text = text.astype(object)
        text[cells.is_number] = shown.to_numpy(dtype=object)
        text = text.astype(str)
    return text


def _parse_dims(
    table: RawTable, dims: Sequence[str], time: str | None, take: np.ndarray | None
) -> pd.DataFrame:
    """The dims of records `take` (None: all), typed: time int64, others str; an empty cell
    is KZF105. A numeric time column (a frame's int64 years) is taken as it is, without
    going through text."""
    rows = table.rows if take is None else table.rows[take]
    out: dict[str, object] = {}
    for d in dims:
        column = table.column(d)
        cells = _Cells.of(column if take is None else column.iloc[take])
        if cells.all_numeric:
            empty = ~cells.is_number
            text = None
        else:
            text = cells.text.str.strip()
            empty = ~cells.is_number & (text == "").to_numpy(dtype=bool)
        if empty.any():
            pos = int(np.flatnonzero(empty)[0])
            raise localised_data_error(
                "KZF105",
                "empty value in dimension column '{dim}'",
                DataLocation(table.source, int(rows[pos]), d),
                "every row needs a value for each of the dims",
                dim=d,
            )
        if d != time:
            out[d] = _labels(cells, text)
            continue
        # A year must be a whole number (a typo such as "2O10" is an error). Another time
        # dimension may hold labels that sort in time order, such as "2020Q1".
        try:
            out[d] = _parse_time(cells, text, rows, d, table.source)
        except DataError:
            if d == "year":
                raise
            out[d] = _labels(cells, text)
    return pd.DataFrame(out, index=pd.RangeIndex(len(rows)), copy=False)


def _parse_time(
    cells: _Cells, text: pd.Series | None, rows: np.ndarray, name: str, source: str
) -> np.ndarray:
    """Integer-like time values ("2010", 2010, 2010.0) as int64; anything else is KZF104."""
    if text is None:  # a numeric column
        values = cells.number
        if cells.original.dtype.kind == "i":  # int8..int64, nullable Int64 (no NA: see above)
            return np.array(cells.original.to_numpy(dtype="int64"), copy=True)
    else:
        text = _ascii_digits(text)
        ok_text = text.str.fullmatch(_INTEGER).to_numpy(dtype=bool)
        values = np.where(cells.is_number, cells.number, _to_float(text.where(ok_text)))
    with np.errstate(invalid="ignore"):
        integral = np.isfinite(values) & (values == np.round(values)) & (np.abs(values) < 2**53)
    bad = ~integral
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise localised_data_error(
            "KZF104",
            "{value} is not an integer ('{dim}' is the time dimension)",
            DataLocation(source, int(rows[pos]), name),
            value=cells.show(pos),
            dim=name,
        )
    return values.astype("int64")


# --- checks and messages -------------------------------------------------------------------


def _find_ci(table: RawTable, wanted: tuple[str, ...]) -> str:
    """The header matching the first of `wanted` the table has, case-insensitively; two
    columns of that name is KZF106."""
    lowered = [n.lower() for n in table.names]
    name = next((w for w in wanted if w in lowered), wanted[0])
    found = [i for i, n in enumerate(lowered) if n == name]
    if len(found) != 1:
        raise table.ambiguous(name, found)
    return table.names[found[0]]


def _require_dims(table: RawTable, needed: Sequence[str], dims: Sequence[str]) -> None:
    missing = [d for d in needed if not table.positions(d)]
    if not missing:
        return
    notes: list[Note] = ["declare `dims ...` in the .kzf file to match the file's columns"]
    years = [n for n in table.names if is_time_column(n)]
    if years and not any(n.lower() == "indicator" for n in table.names):
        notes.append(
            (
                "the file has year columns ({years}, ...) but no 'indicator' column, so it "
                "cannot be read as a years-as-columns table",
                {"years": ", ".join(years[:3])},
            )
        )
    guesses = {m: _did_you_mean(dict(table.bound).get(m, m), _file_names(table)) for m in missing}
    where = DataLocation(table.source)
    expected = ", ".join(dims)
    columns = _listing(_file_names(table))
    if len(missing) == 1 and guesses[missing[0]]:
        raise localised_data_error(
            "KZF105",
            "missing dimension column {dim} (did you mean '{suggestion}'?): the program "
            "expects dims ({dims}) and the file has columns {columns}",
            where,
            *notes,
            dim=_shown(table, missing[0]),
            suggestion=guesses[missing[0]],
            dims=expected,
            columns=columns,
        )
    # several missing: each with its did-you-mean, in English, inside the list
    quoted = ", ".join(
        _shown(table, m) + (f" (did you mean '{g}'?)" if g else "") for m, g in guesses.items()
    )
    raise localised_data_error(
        "KZF105",
        "missing dimension column {dim}: the program expects dims ({dims}) and the file has "
        "columns {columns}",
        where,
        *notes,
        dim=quoted,
        dims=expected,
        columns=columns,
    )


def _missing_inputs(
    table: RawTable, missing: list[str], candidates: list[str], ind_name: str | None
) -> DataError:
    """KZF102 for each missing input, each with a did-you-mean when one is close."""
    errors = []
    for name in missing:
        guess = _did_you_mean(dict(table.bound).get(name, name), candidates)
        shown = _shown(table, name)
        listed = _listing(candidates)
        where = DataLocation(table.source)
        near = bool(guess)  # which sentence: without or with the did-you-mean
        if ind_name is None:
            errors.append(
                localised_data_error(
                    "KZF102",
                    (
                        "missing input column {input}",
                        "missing input column {input} (did you mean '{suggestion}'?)",
                    )[near],
                    where,
                    ("the file has columns {columns}", {"columns": listed}),
                    input=shown,
                    suggestion=guess,
                )
            )
            continue
        errors.append(
            localised_data_error(
                "KZF102",
                (
                    "no rows for input {input} in column '{column_name}'",
                    "no rows for input {input} in column '{column_name}' (did you mean "
                    "'{suggestion}'?)",
                )[near],
                where,
                ("the indicators in the file are {indicators}", {"indicators": listed}),
                input=shown,
                column_name=ind_name,
                suggestion=guess,
            )
        )
    return DataError([e.first for e in errors], location=errors[0].location)


def _did_you_mean(name: str, candidates: Sequence[str]) -> str | None:
    real = [c for c in candidates if c]
    by_lower = {c.lower(): c for c in real}
    if name.lower() in by_lower:
        return by_lower[name.lower()]
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.6)
    return by_lower[close[0]] if close else None


def _listing(names: Sequence[str], limit: int = 12) -> str | Phrase:
    return listed([f"'{n}'" for n in names if n], limit, phrased("(none)"))


def _check_unique(keys: pd.DataFrame, rows: np.ndarray, source: str, indicator: str | None) -> None:
    """KZF103 naming the first repeated key and both of its rows."""
    if len(keys) < 2:
        return
    if keys.shape[1] == 0:  # no dims: a second row repeats the (empty) key
        first, second = 0, 1
    else:
        repeat = keys.duplicated(keep="first").to_numpy(dtype=bool)
        if not repeat.any():
            return
        second = int(np.flatnonzero(repeat)[0])
        same = np.ones(len(keys), dtype=bool)
        for col in keys.columns:
            same &= (keys[col] == keys[col].iloc[second]).to_numpy(dtype=bool)
        first = int(np.flatnonzero(same)[0])
    dims = [c for c in keys.columns if c != indicator]
    key = ", ".join(str(keys[c].iloc[second]) for c in dims)
    what = f" and indicator '{keys[indicator].iloc[second]}'" if indicator else ""
    raise _duplicate(source, key, what, int(rows[first]), int(rows[second]), bool(dims))
