"""Read a data file (or take an in-memory frame) into a `RawTable`: a header and raw cells.

This module only gets the cells out of the file; it does not know about dims, inputs or
layouts (that is `kzf.engine.io.data`). It keeps every cell as the file wrote it (CSV cells
as text, Excel and Parquet cells as whatever type they carry) so that the layer above can
parse numbers itself and name the exact row and column of a bad cell.

Row numbers are those a user sees when opening the file: the header is row 1, so the first
data row is row 2. CSV rows are counted as records (a quoted field that spans lines is one
row); Excel rows are sheet rows; Parquet rows are numbered as if a header were row 1; rows
of an in-memory frame are its position + 1 (there is no header row to count).
Blank records are dropped but do not shift the numbering of the rows after them.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from kzf.dsl.diagnostics import DataError, DataLocation, Diagnostic, data_error, warning

TEXT_EXTENSIONS = frozenset({".csv", ".txt", ".tsv"})
EXCEL_EXTENSIONS = frozenset({".xlsx", ".xlsm"})
PARQUET_EXTENSIONS = frozenset({".parquet", ".pq"})
_SEPARATOR_CANDIDATES = (",", ";", "\t")
_SEPARATOR_ALIASES = {"\\t": "\t", "tab": "\t", "TAB": "\t"}
_QUOTED = re.compile(r'"[^"]*"')
_LEADING_BLANK = re.compile(r"(?:[ \t\f\v\r]*\n)*")


@dataclass(frozen=True)
class RawTable:
    """Cells of one table, before any layout handling or parsing.

    `data` has positional column labels 0..n-1 (so that duplicate or odd header names
    cannot confuse pandas) and `names[i]` is the cleaned header of column i. `rows[k]` is
    the user-visible row number of the k-th record of `data`.
    """

    source: str
    names: tuple[str, ...]
    data: pd.DataFrame
    rows: np.ndarray
    bound: tuple[tuple[str, str], ...] = ()  # (kzf name, what the file calls it), for messages
    # The columns of an SDMX series key (Eurostat TSV: freq, unit, indic_is, geo): those the
    # program does not declare as dims name the row's indicator, joined with '.'.
    series_keys: tuple[str, ...] = ()
    notes: tuple[Diagnostic, ...] = ()  # what reading noticed (KZF263: flagged values)

    def positions(self, name: str) -> list[int]:
        return [i for i, n in enumerate(self.names) if n == name]

    def column(self, name: str) -> pd.Series:
        """The one column called `name`; a header that appears twice is an error."""
        found = self.positions(name)
        if len(found) != 1:
            raise self.ambiguous(name, found)
        return self.data[found[0]]

    def ambiguous(self, name: str, found: list[int]) -> DataError:
        numbers = " and ".join(str(i + 1) for i in found[:2])
        return data_error(
            "KZF106",
            f"column '{name}' appears more than once in the header (columns {numbers})",
            DataLocation(self.source, 1, name),
            "rename or delete the extra column",
        )


def clean_name(value: object) -> str:
    """A header cell as a column name: stripped of spaces and a BOM; years as digits.

    Excel and Parquet give year headers as ints (or floats such as 2010.0), CSV as text;
    normalising both to "2010" lets one rule recognise year columns everywhere.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return str(value)
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value).replace("\ufeff", "").strip()


def read_table(
    path: str | os.PathLike[str],
    *,
    sep: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
) -> RawTable:
    """Read a .csv/.txt/.tsv, .xlsx or .parquet file, chosen by its extension."""
    source = os.fspath(path)
    file = Path(source)
    where = DataLocation(source)
    if not file.exists():
        raise data_error("KZF101", f"data file not found: '{source}'", where)
    if file.is_dir():
        raise data_error("KZF101", f"'{source}' is a directory, not a data file", where)
    ext = file.suffix.lower()
    if ext in TEXT_EXTENSIONS:
        return _read_text(file, source, sep, encoding)
    if ext in EXCEL_EXTENSIONS:
        return _read_excel(file, source, sheet)
    if ext in PARQUET_EXTENSIONS:
        return _read_parquet(file, source)
    hint = "save it as .xlsx" if ext == ".xls" else "convert it to one of these"
    raise data_error(
        "KZF106",
        f"unsupported data format '{ext or '(no extension)'}'; "
        "kzf reads .csv, .txt, .tsv, .xlsx and .parquet files",
        where,
        hint,
    )


def table_from_frame(df: pd.DataFrame, source: str) -> RawTable:
    """Wrap an in-memory frame; named index levels (e.g. after set_index) count as columns."""
    if any(name is not None for name in df.index.names):
        df = df.reset_index()
    names = tuple(clean_name(c) for c in df.columns)
    data = df.set_axis(range(df.shape[1]), axis=1).reset_index(drop=True)
    return _drop_blank(RawTable(source, names, data, np.arange(len(data)) + 1))


def _unreadable(source: str, exc: BaseException) -> DataError:
    reason = str(exc).strip() or type(exc).__name__
    return data_error("KZF101", f"cannot read the file: {reason}", DataLocation(source))


# Byte-order marks, longest first (a UTF-32 LE mark begins with the UTF-16 LE one).
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
# Bytes where Windows-1251 and KZ-1048 differ: cp1251 reads Serbian, Macedonian, Ukrainian
# and Belarusian letters where KZ-1048 reads Kazakh ones (0x8D: Ќ in cp1251, Қ in KZ-1048).
# Letters of no EAEU language, which cp1251 gives for KZ-1048 text: never a plausible name.
_NOT_RU_KZ_BY = "ЌЋќћЈҐЄЇґєјЅѕї"
_KAZAKH = "ҚқҺһҰұӘәӨөҒғҮүҢң"


def _bom_encoding(raw: bytes) -> str | None:
    return next((name for mark, name in _BOMS if raw.startswith(mark)), None)


def _decode(raw: bytes, source: str, encoding: str | None) -> str:
    """UTF-8, or what a byte-order mark says (UTF-16/32 as Excel's "Unicode text" writes),
    unless told otherwise. Nothing is guessed: a file that is not UTF-8 is an error whose
    hint names the encoding its bytes fit (cp1251 or KZ-1048, told apart by the Kazakh
    letters), and a decoding that gives replacement characters or letters of no language of
    the region (cp1251 read of a KZ-1048 file: «Ќазаќстан») is an error, not a result."""
    where = DataLocation(source)
    chosen = encoding or _bom_encoding(raw) or "utf-8-sig"
    if chosen in ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be") and encoding is None:
        raw = raw[4 if "32" in chosen else 2 :]  # the mark is not part of the text
    try:
        text = raw.decode(chosen)
    except LookupError:
        raise data_error("KZF106", f"unknown text encoding '{encoding}'", where) from None
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        byte = raw[exc.start : exc.start + 1].hex()
        if encoding is None:
            raise data_error(
                "KZF101",
                f"the file is not UTF-8 text (byte 0x{byte} on line {line}); "
                + _encoding_hint(raw),
                where,
            ) from None
        raise data_error(
            "KZF101",
            f"the file cannot be decoded as {encoding} (byte 0x{byte} on line {line})",
            where,
        ) from None
    _check_plausible(text, raw, chosen, where)
    return text


def _encoding_hint(raw: bytes) -> str:
    """Which single-byte Cyrillic encoding the bytes fit, said only as far as it is sure."""
    if raw[:200].count(b"\x00") > len(raw[:200]) // 4:
        return "it looks like UTF-16 without a byte-order mark: pass --encoding utf-16-le"
    as_1251 = raw.decode("cp1251", errors="replace")
    as_1048 = raw.decode("kz1048", errors="replace")
    if as_1251 == as_1048:
        return "if it was saved by Excel or 1C on Windows, pass --encoding cp1251"
    if any(c in _NOT_RU_KZ_BY for c in as_1251):
        word = _word_with(as_1048, _KAZAKH)
        return f"its letters fit KZ-1048 (Kazakh: {word}): pass --encoding kz1048"
    # only Ў/ў against Ұ/ұ: Belarusian or Kazakh text, which only the reader knows
    return (
        "it is Windows Cyrillic, either cp1251 (Belarusian Ў: "
        f"{_word_with(as_1251, 'Ўў')}) or KZ-1048 (Kazakh Ұ: {_word_with(as_1048, 'Ұұ')}); "
        "pass --encoding cp1251 or --encoding kz1048"
    )


def _word_with(text: str, letters: str) -> str:
    m = re.search(rf"\w*[{letters}]\w*", text)
    return f"«{m.group(0)}»" if m else ""


def _check_plausible(text: str, raw: bytes, encoding: str, where: DataLocation) -> None:
    if "\ufffd" in text:
        line = text[: text.index("\ufffd")].count("\n") + 1
        raise data_error(
            "KZF101",
            f"line {line} holds the replacement character �: the text was damaged before kzf "
            f"read it (decoded as {encoding}); export the file again",
            where,
        )
    if encoding.replace("-", "").replace("_", "").lower() in ("cp1251", "windows1251"):
        bad = _word_with(text, _NOT_RU_KZ_BY)
        if bad:
            kz = _word_with(raw.decode("kz1048", errors="replace"), _KAZAKH)
            raise data_error(
                "KZF101",
                f"decoded as {encoding} the file reads {bad}, letters of no language of the "
                f"region; as KZ-1048 it reads {kz}: pass --encoding kz1048",
                where,
            )


def _sniff_separator(header: str) -> str:
    """The most frequent of `,` `;` tab in the header line, ignoring quoted names."""
    bare = _QUOTED.sub("", header)
    counts = [(bare.count(c), -i, c) for i, c in enumerate(_SEPARATOR_CANDIDATES)]
    best = max(counts)
    return best[2] if best[0] > 0 else ","


def _read_text(file: Path, source: str, sep: str | None, encoding: str | None) -> RawTable:
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise _unreadable(source, exc) from None
    text = _decode(raw, source, encoding).lstrip("\ufeff")
    if "\r" in text and "\n" not in text:  # classic Mac line ends (CR only), as old Excel wrote
        text = text.replace("\r", "\n")
    lead = _LEADING_BLANK.match(text)
    start = lead.end() if lead else 0
    if not text[start:].strip():
        raise data_error("KZF106", "the file is empty: expected a header row", DataLocation(source))
    skipped = text.count("\n", 0, start)
    body = text[start:]
    if sep is None and _is_eurostat(_first_line(body)):
        return _eurostat(_from_grid(_parse_csv(body, "\t", source), source, skipped + 1))
    if sep is None:
        sep = _sniff_separator(_first_line(body))
    sep = _SEPARATOR_ALIASES.get(sep, sep)
    if len(sep) != 1:
        raise data_error(
            "KZF106", f"the separator must be one character, not {sep!r}", DataLocation(source)
        )
    grid = _parse_csv_fast(body, sep)
    if grid is None:
        grid = _parse_csv(body, sep, source)
    return _from_grid(grid, source, first_row=skipped + 1)


def _first_line(body: str) -> str:
    end = body.find("\n")
    return body if end < 0 else body[:end]


def _parse_csv_fast(body: str, sep: str) -> pd.DataFrame | None:
    """pyarrow's reader, ten times faster than pandas' for all-text columns; None to fall back.

    It cannot pad short rows nor keep blank lines as rows (both needed to number rows as
    the file does), so any row with the wrong number of fields sends us to `_parse_csv`.
    """
    header = next(csv.reader([_first_line(body).rstrip("\r")], delimiter=sep), [])
    names = [f"f{i}" for i in range(max(len(header), 1))]
    try:
        table = pacsv.read_csv(
            io.BytesIO(body.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=names),
            parse_options=pacsv.ParseOptions(
                delimiter=sep,
                newlines_in_values=True,
                ignore_empty_lines=False,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, csv.Error):
        return None
    text_dtype = pd.StringDtype("pyarrow", na_value=np.nan)
    return table.to_pandas(types_mapper={pa.string(): text_dtype}.get)


def _parse_csv(body: str, sep: str, source: str) -> pd.DataFrame:
    """pandas' C reader: pads short rows, keeps blank lines, names the line of a bad row.

    The width is the first line's, unless narrower lines sit above the table (a download's
    preamble) and no line after the first widest one is wider: then it is the table's."""
    try:
        return _read_grid(body, sep, None)
    except (pd.errors.ParserError, ValueError):
        width = _preamble_width(body, sep)
        try:
            if width is None:
                raise
            return _read_grid(body, sep, width)
        except (pd.errors.ParserError, ValueError) as exc:
            msg = str(exc).replace("Error tokenizing data. C error: ", "").strip()
            raise data_error(
                "KZF106",
                f"not a valid table with separator {sep!r}: {msg}",
                DataLocation(source),
                "every row must have as many fields as the header; quote fields that contain "
                "the separator",
            ) from None


def _read_grid(body: str, sep: str, width: int | None) -> pd.DataFrame:
    return pd.read_csv(
        io.StringIO(body),
        sep=sep,
        header=None,
        names=None if width is None else list(range(width)),
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        skip_blank_lines=False,
        engine="c",
    )


def _preamble_width(body: str, sep: str) -> int | None:
    """The table's width when only lines above it are narrower, else None."""
    try:
        records = list(csv.reader(io.StringIO(body), delimiter=sep))
    except csv.Error:
        return None
    widths = [len(r) for r in records]
    if not widths:
        return None
    widest = max(widths)
    first = widths.index(widest)
    filled = [sum(1 for cell in r if cell.strip()) for r in records[:first]]
    if first == 0 or first >= PREAMBLE_ROWS or any(n > 2 for n in filled):
        return None
    return widest


def _read_excel(file: Path, source: str, sheet: str | int | None) -> RawTable:
    try:
        with pd.ExcelFile(file, engine="openpyxl") as book:
            sheets = [str(s) for s in book.sheet_names]
            chosen: str | int = 0 if sheet is None else sheet
            if isinstance(chosen, int) and not 0 <= chosen < len(sheets):
                raise data_error(
                    "KZF101",
                    f"the workbook has no sheet number {chosen} (sheets are numbered from 0; "
                    f"it has {len(sheets)}: {', '.join(sheets)})",
                    DataLocation(source),
                )
            if isinstance(chosen, str) and chosen not in sheets:
                raise data_error(
                    "KZF101",
                    f"the workbook has no sheet '{chosen}'; its sheets are: {', '.join(sheets)}",
                    DataLocation(source),
                )
            grid = pd.read_excel(
                book,
                sheet_name=chosen,
                header=None,
                dtype=object,
                keep_default_na=False,
                na_filter=False,
            )
            header_has_gaps = not grid.empty and any(
                str(v).strip() == "" for v in grid.iloc[0].tolist()
            )
            merged = _merged_header_cells(file, chosen) if header_has_gaps else []
    except DataError:
        raise
    except Exception as exc:  # openpyxl raises many unrelated types for a corrupt file
        raise _unreadable(source, exc) from None
    if grid.empty:
        raise data_error(
            "KZF106", "the sheet is empty: expected a header row", DataLocation(source)
        )
    if merged:
        raise data_error(
            "KZF106",
            f"the header row has merged cells ({', '.join(merged)}): kzf needs one header row "
            "with one name per column",
            DataLocation(source, 1),
            "unmerge the cells and put each column's name in row 1 (titles go in another sheet)",
        )
    return _from_grid(grid, source, first_row=1)


def _merged_header_cells(file: Path, sheet: str | int) -> list[str]:
    """Merged ranges touching the first row: the mark of a spreadsheet's decorative header.

    Only called when the header row has empty cells, since finding merges means loading the
    workbook fully (read-only mode does not keep them)."""
    import openpyxl

    workbook = openpyxl.load_workbook(file, read_only=False, data_only=True)
    ws = workbook.worksheets[sheet] if isinstance(sheet, int) else workbook[sheet]
    ranges = getattr(ws, "merged_cells", None)
    if ranges is None:
        return []
    return [str(r.coord) for r in ranges.ranges if r.min_row <= 1]


def _read_parquet(file: Path, source: str) -> RawTable:
    try:
        df = pd.read_parquet(file, engine="pyarrow")
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ...
        raise _unreadable(source, exc) from None
    table = table_from_frame(df, source)
    return RawTable(source, table.names, table.data, table.rows + 1)


def _from_grid(grid: pd.DataFrame, source: str, first_row: int) -> RawTable:
    """Split a header-less grid into header and records; the first non-blank row is the header.

    `first_row` is the row number of the grid's first row in the file.
    """
    grid = grid.set_axis(range(grid.shape[1]), axis=1)
    blank = _blank_rows(grid)
    filled = np.flatnonzero(~blank)
    if len(filled) == 0:
        raise data_error("KZF106", "the file is empty: expected a header row", DataLocation(source))
    h = _header_row(grid, filled)
    names = tuple(clean_name(v) for v in grid.iloc[h].tolist())
    data = grid.iloc[h + 1 :].reset_index(drop=True)
    rows = np.arange(len(data)) + first_row + h + 1
    return _drop_blank(RawTable(source, names, data, rows))


_EUROSTAT_VALUE = re.compile(r"([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*([a-z]*)")
EUROSTAT_FLAGS = {
    "b": "break in time series", "c": "confidential", "d": "definition differs",
    "e": "estimated", "f": "forecast", "n": "not significant", "p": "provisional",
    "r": "revised", "s": "Eurostat estimate", "u": "low reliability", "z": "not applicable",
}  # fmt: skip


def _is_eurostat(header: str) -> bool:
    """Eurostat's TSV: tab-separated, its first cell the series key and the time dimension,
    `freq,unit,geo\\TIME_PERIOD`."""
    first = header.split("\t", 1)[0]
    return "\t" in header and "\\" in first and "," in first.split("\\", 1)[0]


def _eurostat(table: RawTable) -> RawTable:
    """A Eurostat TSV as a years-as-columns table: the series key split into its columns,
    `:` (with or without a flag) missing, and each value's flag (`87 e`) kept apart from it
    and counted in a note (KZF263), so that an estimate is never read as a plain figure
    without a word."""
    keys = [k.strip() for k in table.names[0].split("\\", 1)[0].split(",")]
    parts = table.data[0].astype(str).str.split(",", expand=True)
    if parts.shape[1] != len(keys):
        bad = int(np.flatnonzero(table.data[0].astype(str).str.count(",") != len(keys) - 1)[0])
        raise data_error(
            "KZF106",
            f"the series key {table.data[0].iloc[bad]!r} does not have the {len(keys)} parts "
            f"{','.join(keys)}",
            DataLocation(table.source, int(table.rows[bad]), table.names[0]),
        )
    columns: dict[int, pd.Series] = {i: parts[i].str.strip() for i in range(len(keys))}
    flags: dict[str, int] = {}
    for j in range(1, table.data.shape[1]):
        cells = table.data[j].astype(str).str.strip()
        found = cells.str.fullmatch(_EUROSTAT_VALUE.pattern)
        split = cells.str.extract(_EUROSTAT_VALUE.pattern)
        flag = split[1].where(found, "")
        for letter, n in flag[flag != ""].value_counts().items():
            flags[str(letter)] = flags.get(str(letter), 0) + int(n)
        missing = cells.str.startswith(":") | (cells == "")
        columns[len(keys) + j - 1] = cells.where(~found, split[0]).where(~missing, "")
    data = pd.DataFrame(columns)
    names = (*keys, *table.names[1:])
    notes: tuple[Diagnostic, ...] = ()
    if flags:
        listed = ", ".join(
            f"{n} {letter} ({EUROSTAT_FLAGS.get(letter, 'unknown flag')})"
            for letter, n in sorted(flags.items())
        )
        notes = (
            warning(
                "KZF263",
                f"{table.source}: values carry Eurostat flags, read as values: {listed}",
            ),
        )
    return RawTable(table.source, names, data, table.rows, series_keys=tuple(keys), notes=notes)


PREAMBLE_ROWS = 30  # rows above the table a download may carry (titles, "Data Source", dates)


def _header_row(grid: pd.DataFrame, filled: np.ndarray) -> int:
    """The header: the first non-blank row, unless rows of one or two cells sit above a wider
    table (a World Bank download's "Data Source" and "Last Updated Date" lines, a statistics
    office's title rows); then the first row with at least half the table's width."""
    top = filled[:PREAMBLE_ROWS]
    head = grid.iloc[top]
    cells = head.notna() & (head.astype(str).apply(lambda c: c.str.strip()) != "")
    counts = cells.sum(axis=1).to_numpy()
    widest = int(counts.max())
    if counts[0] > 2 or widest < 3 or counts[0] * 2 > widest:
        return int(filled[0])
    return int(top[int(np.flatnonzero(counts * 2 >= widest)[0])])


def _blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """True for records whose every cell is missing or only whitespace."""
    blank = np.ones(len(frame), dtype=bool)
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
            blank &= s.isna().to_numpy()
        elif isinstance(s.dtype, pd.StringDtype):
            blank &= (s.fillna("").str.strip() == "").to_numpy(dtype=bool)
        else:
            text = s.astype(object).where(s.notna(), "").astype(str)
            blank &= (text.str.strip() == "").to_numpy()
        if not blank.any():
            break
    return blank


def _drop_blank(table: RawTable) -> RawTable:
    blank = _blank_rows(table.data)
    if not blank.any():
        return table
    keep = ~blank
    data = table.data[keep].reset_index(drop=True)
    return RawTable(table.source, table.names, data, table.rows[keep])
