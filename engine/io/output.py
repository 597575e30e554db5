"""Turn a result frame into text (table, csv, json) or a file (written atomically by
engine/io/files.py).

Machine-readable output is deterministic: floats are written with the shortest text that
reads back to the same float64 (Python's repr), missing values as empty cells (csv) or null
(json), so the same program and data give byte-identical output on every run.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kzf.dsl.diagnostics import UsageError, localised
from kzf.engine.core import locales
from kzf.engine.io.files import OUT_EXTENSIONS, write_atomically


def json_cell(value: object) -> object:
    """A JSON-ready scalar: NaN and NA become None, numpy scalars become Python ones."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        f = float(value)
        return None if math.isnan(f) else f
    return value


def to_json(frame: pd.DataFrame) -> str:
    records = [
        {col: json_cell(v) for col, v in zip(frame.columns, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]
    return json.dumps(records, ensure_ascii=False, indent=1) + "\n"


def _defused(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that Excel would run as a formula (starting with = + - @, a tab or a
    carriage return: `=HYPERLINK(...)` as an entity name) prefixed with `'`, which Excel
    shows as text: OWASP's rule against CSV injection, for the dialect people open in
    Excel. Numbers, and the standard dialect that programs read, are left as they are."""
    out = frame
    for name in frame.columns:
        column = frame[name]
        if column.dtype.kind in "biufcM":
            continue
        text = column.astype(str)
        risky = text.str.startswith(_FORMULA_START) & column.notna()
        if bool(risky.any()):
            if out is frame:
                out = frame.copy()
            out[name] = text.where(~risky, "'" + text).where(column.notna(), None)
    return out


def to_csv(frame: pd.DataFrame, dialect: str = "standard") -> str:
    """CSV text. `standard`: comma-separated, decimal point, LF (what programs read back).
    `excel`: what Excel opens in a Kazakh or Russian (or German, French...) locale without
    an import dialog: `;`-separated, decimal comma, CRLF; the file is written with a UTF-8
    byte-order mark (`write_frame`), without which Excel reads UTF-8 as the ANSI code page
    and shows «ÐšÐ°Ð·Ð°Ò›ÑÑ‚Ð°Ð½» for «Қазақстан»."""
    if dialect == "excel":
        text: str = _defused(frame).to_csv(index=False, sep=";", decimal=",", lineterminator="\r\n")
        return text
    text = frame.to_csv(index=False, lineterminator="\n", na_rep="")
    return text


def _format_number(v: float, lang: str | None = None) -> str:
    """A number of a terminal table: six decimals at most, thousands grouped from 10 000 (a
    four-digit number, a year above all, is not), in the marks of `lang` (CLDR's: 77,44 and
    12 345,6 with a no-break space in kk and ru) or, without one, 77.44 and 12 345.6."""
    if math.isnan(v):
        return "NA"
    if v == 0:
        return "0"
    decimal, group = ".", " "
    if lang is not None:
        decimal, group = locales.decimal_symbol(lang), locales.group_symbol(lang)
    if abs(v) >= 1e12 or abs(v) < 1e-6:
        return f"{v:.6g}".replace(".", decimal)
    text = f"{v:,.6f}".rstrip("0").rstrip(".")
    if abs(v) < 10_000:  # four-digit numbers (years above all) are written without a space
        text = text.replace(",", "")
    return text.replace(",", "\0").replace(".", decimal).replace("\0", group)


def in_language_order(frame: pd.DataFrame, dims: Sequence[str], lang: str) -> pd.DataFrame:
    """The rows sorted by the text dims as `lang` orders names (core/locales.py: Қазақстан
    before Ресей in Kazakh), the other dims keeping their order: for tables people read."""
    text_dims = [
        d for d in dims if d in frame.columns and not pd.api.types.is_numeric_dtype(frame[d])
    ]
    if not text_dims or frame.empty:
        return frame
    keys = [frame[d].map(lambda v: locales.collation_key(str(v), lang)) for d in text_dims]
    order = sorted(range(len(frame)), key=lambda i: tuple(k.iat[i] for k in keys))
    return frame.iloc[order]


def to_table(
    frame: pd.DataFrame, labels: Mapping[str, str] | None = None, lang: str | None = None
) -> str:
    """An aligned plain-text table: text left-aligned, numbers right-aligned (in the marks of
    `lang`, when given)."""
    labels = labels or {}
    headers = [labels.get(str(c), str(c)) for c in frame.columns]
    columns: list[list[str]] = []
    numeric: list[bool] = []
    for col in frame.columns:
        series = frame[col]
        if pd.api.types.is_bool_dtype(series.dtype):
            cells = ["NA" if v is pd.NA else ("true" if v else "false") for v in series]
            numeric.append(False)
        elif pd.api.types.is_float_dtype(series.dtype):
            cells = [_format_number(float(v), lang) for v in series]
            numeric.append(True)
        else:
            cells = [str(v) for v in series]
            numeric.append(pd.api.types.is_integer_dtype(series.dtype))
        columns.append(cells)
    widths = [
        max([len(h), *(len(c) for c in cells)]) for h, cells in zip(headers, columns, strict=True)
    ]

    def line(cells: list[str]) -> str:
        parts = [
            c.rjust(w) if num else c.ljust(w)
            for c, w, num in zip(cells, widths, numeric, strict=True)
        ]
        return "  ".join(parts).rstrip()

    out = [line(headers), "  ".join("-" * w for w in widths)]
    out.extend(line([col[i] for col in columns]) for i in range(len(frame)))
    return "\n".join(out) + "\n"


def render(
    frame: pd.DataFrame,
    fmt: str,
    labels: Mapping[str, str] | None = None,
    dialect: str = "standard",
    lang: str | None = None,
) -> str:
    if fmt == "csv" and dialect == "excel":  # for people: the labels head the columns
        return to_csv(frame.rename(columns=dict(labels or {})), "excel")
    if fmt == "csv":
        return to_csv(frame)
    if fmt == "json":
        return to_json(frame)
    return to_table(frame, labels, lang)


def write_frame(
    frame: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    labels: Mapping[str, str] | None = None,
    dialect: str = "standard",
) -> None:
    """Write the results; the format is the extension. `labels` ({name: header}, from
    `--lang`) head the columns of the files people open (.xlsx, and .csv in the excel
    dialect); csv, json and parquet for programs keep the names, so they read back."""
    suffix = Path(path).suffix.lower()
    if suffix not in OUT_EXTENSIONS:
        extensions = ", ".join(OUT_EXTENSIONS)
        raise UsageError(
            [
                localised(
                    "KZF108",
                    "--out {path}: unknown extension {suffix}; use one of {extensions}",
                    path=path,
                    suffix=suffix,
                    extensions=extensions,
                )
                if suffix
                else localised(
                    "KZF108",
                    "--out {path}: unknown extension (none); use one of {extensions}",
                    path=path,
                    extensions=extensions,
                )
            ]
        )

    for_people = suffix == ".xlsx" or (suffix == ".csv" and dialect == "excel")
    shown = frame.rename(columns=dict(labels)) if labels and for_people else frame

    def write(tmp: str) -> None:
        if suffix == ".csv" and dialect == "excel":
            Path(tmp).write_text(to_csv(shown, "excel"), encoding="utf-8-sig", newline="")
        elif suffix == ".csv":
            Path(tmp).write_text(to_csv(frame), encoding="utf-8")
        elif suffix == ".json":
            Path(tmp).write_text(to_json(frame), encoding="utf-8")
        elif suffix == ".parquet":
            frame.to_parquet(tmp, index=False)
        else:
            write_xlsx({"Sheet1": shown}, tmp, str(path))

    write_atomically(path, write)


XLSX_MAX_ROWS = 1_048_576  # Excel's limit, the header row included
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CONTROL = "[\x00-\x08\x0b\x0c\x0e-\x1f]"  # what openpyxl refuses (IllegalCharacterError)


def write_xlsx(sheets: Mapping[str, pd.DataFrame], tmp: str, shown: str) -> None:
    """Frames as the sheets of one workbook, every text cell stored as text: a name that
    starts like a formula (`=HYPERLINK(...)`) stays a name and never runs when the sheet is
    opened. What Excel cannot hold (more than 1,048,576 rows, control characters) is KZF108,
    checked before anything is written."""
    from openpyxl import Workbook

    for frame in sheets.values():
        _check_fits_excel(frame, shown)
    book = Workbook(write_only=True)
    for title, frame in sheets.items():
        _append_sheet(book, title, frame)
    book.save(tmp)


def _check_fits_excel(frame: pd.DataFrame, shown: str) -> None:
    if len(frame) + 1 > XLSX_MAX_ROWS:
        raise UsageError(
            [
                localised(
                    "KZF108",
                    "--out {path}: {rows} rows do not fit an Excel sheet ({most} at most); "
                    "write .csv or .parquet",
                    path=shown,
                    rows=f"{len(frame):,}",
                    most=f"{XLSX_MAX_ROWS - 1:,}",
                )
            ]
        )
    for name in frame.columns:  # openpyxl would fail half-way through a sheet
        values = frame[name]
        if values.dtype.kind in "biufc":
            continue
        text = values.astype(str)
        bad = text.str.contains(_CONTROL, regex=True).to_numpy(dtype=bool)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise UsageError(
                [
                    localised(
                        "KZF108",
                        "--out {path}: the value {value} (row {row}, column '{column}') holds "
                        "a control character an Excel sheet cannot store; write .csv or .parquet",
                        path=shown,
                        value=repr(text.iloc[row]),
                        row=row + 2,
                        column=name,
                    )
                ]
            )


def _append_sheet(book: Any, title: str, frame: pd.DataFrame) -> None:
    from openpyxl.cell import WriteOnlyCell

    sheet = book.create_sheet(title)

    def cell(value: object) -> WriteOnlyCell:
        if isinstance(value, float) and value != value:
            value = None
        elif isinstance(value, np.generic):
            value = value.item()
        c = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str) and value.startswith(_FORMULA_START):
            c.data_type = "s"
        return c

    columns = [frame[c].astype(object).where(frame[c].notna(), None) for c in frame.columns]
    sheet.append([cell(str(c)) for c in frame.columns])
    for record in zip(*columns, strict=True):
        sheet.append([cell(v) for v in record])
