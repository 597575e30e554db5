"""Read a data file (or take an in-memory frame) into a `RawTable`: a header and raw cells.

This module only gets the cells out of the file; it does not know about dims, inputs or
layouts (that is `kzf.engine.io.data`). It keeps every cell as the file wrote it (CSV cells
as text, Excel and Parquet cells as whatever type they carry) so that the layer above can
parse numbers itself and name the exact row and column of a bad cell.

Row numbers are those a user sees when opening the file: the header is row 1, so the first
data row is row 2. CSV rows are counted as records (a quoted field that spans lines is one
row); Excel rows are sheet rows; Parquet rows are numbered as if a header were row 1; rows
of an in-memory frame are its position + 1 (there is no header row to count), and so are
the rows of a JSON-stat dataset: row n is the cell at position n - 1 of its `value`.
Blank records are dropped but do not shift the numbering of the rows after them.

Files are read as downloaded: gzip-compressed (`x.csv.gz`, Eurostat's bulk `x.tsv.gz`) and
zip archives holding one data file are unpacked in memory, up to `MAX_DATA_BYTES`, and
messages name the archive and its member (`data.zip:panel.csv`). Title rows above a table
and a block of notes below it ("Source: ...") are told apart from the table; the notes are
reported (KZF264), never dropped without a word.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import re
import stat
import unicodedata
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from kzf.dsl.diagnostics import (
    DataError,
    DataLocation,
    Diagnostic,
    Note,
    data_error,
    localised_data_error,
    localised_warning,
)
from kzf.dsl.messages import Phrase, listed, phrased

TEXT_EXTENSIONS = frozenset({".csv", ".txt", ".tsv"})
EXCEL_EXTENSIONS = frozenset({".xlsx", ".xlsm"})
PARQUET_EXTENSIONS = frozenset({".parquet", ".pq"})
JSON_EXTENSIONS = frozenset({".json"})
DATA_EXTENSIONS = TEXT_EXTENSIONS | EXCEL_EXTENSIONS | PARQUET_EXTENSIONS | JSON_EXTENSIONS
# A compressed file is unpacked in memory; past this many bytes it is refused (KZF101) rather
# than left to exhaust the memory (a zip bomb unpacks a few kilobytes to terabytes).
MAX_DATA_BYTES = 2 * 1024**3  # the most read from one data file, on disk or unpacked
_CHUNK = 1 << 20
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
    notes: tuple[Diagnostic, ...] = ()  # what reading noticed (KZF263 flags, KZF264 notes)
    # Flags kept apart from the values they qualify (Eurostat's `85 e`, JSON-stat statuses):
    # one text per value cell ("" unflagged) by column position, and what each flag means.
    flags: Mapping[int, pd.Series] | None = None
    flag_kind: str = ""  # "Eurostat flags", "status flags": how the note names them
    flag_meanings: Mapping[str, str] | None = None

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
        return localised_data_error(
            "KZF106",
            "column '{name}' appears more than once in the header (columns {numbers})",
            DataLocation(self.source, 1, name),
            "rename or delete the extra column",
            name=name,
            numbers=numbers,
        )


def clean_name(value: object) -> str:
    """A header cell as a column name: stripped of spaces and a BOM, in Unicode's composed
    form (NFC, as kzf names are: `café` matches however its é was typed); years as digits.

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
    return unicodedata.normalize("NFC", str(value).replace("\ufeff", "").strip())


def read_table(
    path: str | os.PathLike[str],
    *,
    sep: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    header_row: int | None = None,
    drop_flags: Iterable[str] = (),
    max_bytes: int | None = None,
) -> RawTable:
    """Read a .csv/.txt/.tsv, .xlsx, .parquet or JSON-stat .json file, chosen by its
    extension; also gzip-compressed (`x.csv.gz`) or the one data file of a .zip archive
    (`data.zip`, or `data.zip:panel.csv` to name the member of an archive holding several).

    `header_row` is the 1-based row of the header (CSV and Excel), for a sheet whose title
    rows the detection of `_header_row` does not see past; None detects it. `drop_flags`
    are flags (Eurostat's `u` low reliability, `c` confidential, ...) whose values are read
    as missing; flagged values are otherwise read as values, and counted in a note.
    `max_bytes` bounds what is read from the file, on disk or unpacked (`--max-data-size`;
    default MAX_DATA_BYTES): checked while reading, so a file that grows cannot pass it."""
    limit = MAX_DATA_BYTES if max_bytes is None else max_bytes
    return with_flags(_read_any(path, sep, encoding, sheet, header_row, limit), drop_flags)


def _read_any(
    path: str | os.PathLike[str],
    sep: str | None,
    encoding: str | None,
    sheet: str | int | None,
    header_row: int | None,
    limit: int,
) -> RawTable:
    source = os.fspath(path)
    file = Path(source)
    where = DataLocation(source)
    member: str | None = None
    if not file.exists():
        archive, _, named = source.rpartition(":")
        if archive.lower().endswith(".zip") and named and Path(archive).is_file():
            file, member, source = Path(archive), named, archive
        else:
            raise localised_data_error(
                "KZF101", "data file not found: '{source}'", where, source=source
            )
    if file.is_dir():
        raise localised_data_error(
            "KZF101", "'{source}' is a directory, not a data file", where, source=source
        )
    info = file.stat()
    if not stat.S_ISREG(info.st_mode):  # /dev/zero, a FIFO: no end to read to
        raise localised_data_error(
            "KZF101", "'{source}' is not a regular file", where, source=source
        )
    if info.st_size > limit:
        raise _too_large(source, limit)
    if header_row is not None and (
        isinstance(header_row, bool) or not isinstance(header_row, int) or header_row < 1
    ):
        raise localised_data_error(
            "KZF106",
            "the header row must be a row number from 1, not {given}",
            where,
            given=repr(header_row),
        )
    ext = file.suffix.lower()
    options = _Options(sep, encoding, sheet, header_row, limit)
    if ext == ".gz":
        inner = Path(file.stem).suffix.lower()
        if inner not in DATA_EXTENSIONS:
            raise localised_data_error(
                "KZF106",
                "a gzip-compressed file must be named for what it holds (x.csv.gz, x.tsv.gz, "
                "x.json.gz), not '{name}'",
                where,
                name=file.name,
            )
        return _read_content(_gunzip(file, source, limit), inner, source, options)
    if ext == ".zip":
        name, raw = _unzip(file, source, member, limit)
        return _read_content(raw, Path(name).suffix.lower(), f"{source}:{name}", options)
    if ext in DATA_EXTENSIONS:
        return _read_content(file, ext, source, options)
    hint = "save it as .xlsx" if ext == ".xls" else "convert it to one of these"
    if not ext:
        raise localised_data_error(
            "KZF106",
            "unsupported data format '(no extension)'; kzf reads .csv, .txt, .tsv, .xlsx, "
            ".parquet and JSON-stat .json files (also as .gz or in a .zip)",
            where,
            hint,
        )
    raise localised_data_error(
        "KZF106",
        "unsupported data format '{ext}'; kzf reads .csv, .txt, .tsv, .xlsx, .parquet and "
        "JSON-stat .json files (also as .gz or in a .zip)",
        where,
        hint,
        ext=ext,
    )


@dataclass(frozen=True)
class _Options:
    sep: str | None
    encoding: str | None
    sheet: str | int | None
    header_row: int | None
    max_bytes: int


Bytes = bytes | bytearray  # a compressed file is unpacked into a bytearray, never copied
Content = Path | Bytes  # a file on disk, or the unpacked bytes of a compressed one


def _read_content(content: Content, ext: str, source: str, options: _Options) -> RawTable:
    """Dispatch on the extension of the data itself (`panel.csv` in `data.zip`)."""
    if ext in TEXT_EXTENSIONS:
        raw = _bytes_of(content, source, options.max_bytes)
        return _read_text(raw, source, options.sep, options.encoding, options.header_row)
    if ext in EXCEL_EXTENSIONS:
        return _read_excel(content, source, options.sheet, options.header_row)
    if options.header_row is not None:
        if ext in PARQUET_EXTENSIONS:
            raise data_error(
                "KZF106",
                "a header row applies to CSV and Excel files; a Parquet file has no header row "
                "to choose",
                DataLocation(source),
            )
        raise data_error(
            "KZF106",
            "a header row applies to CSV and Excel files; a JSON-stat dataset has no header "
            "row to choose",
            DataLocation(source),
        )
    if ext in PARQUET_EXTENSIONS:
        return _read_parquet(content, source)
    return _read_jsonstat(_bytes_of(content, source, options.max_bytes), source, options.encoding)


def _bytes_of(content: Content, source: str, limit: int) -> Bytes:
    if not isinstance(content, Path):
        return content
    try:
        with content.open("rb") as f:
            raw = f.read(limit + 1)
    except OSError as exc:
        raise _unreadable(source, exc) from None
    if len(raw) > limit:  # it grew since it was measured
        raise _too_large(source, limit)
    return raw


def _too_large(source: str, limit: int) -> DataError:
    return localised_data_error(
        "KZF101",
        "the file is larger than {size}, the most kzf reads from one data file",
        DataLocation(source),
        "pass --max-data-size (e.g. --max-data-size 8G; max_bytes= from Python) to read "
        "more: the pandas engine holds the data in memory",
        size=_size(limit),
    )


def _opened(content: Content) -> Path | io.BytesIO:
    """What pandas and openpyxl open: the path, or a fresh stream over the bytes."""
    return content if isinstance(content, Path) else io.BytesIO(content)


# --- compressed files ----------------------------------------------------------------------


class _Stream(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


def _unpacked(stream: _Stream, source: str, limit: int) -> bytearray:
    """All of a decompressing stream, read in chunks and refused past `limit` bytes."""
    unpacked = bytearray()  # grown in place: a list of chunks joined would need twice the memory
    while chunk := stream.read(min(_CHUNK, limit + 1 - len(unpacked))):
        unpacked += chunk
        if len(unpacked) > limit:
            raise localised_data_error(
                "KZF101",
                "the file unpacks to more than {size}, the most kzf unpacks in memory",
                DataLocation(source),
                "pass --max-data-size to unpack more, or unpack it yourself and keep only the "
                "rows and columns the program needs",
                size=_size(limit),
            )
    return unpacked


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= scale:
            return f"{n / scale:g} {unit}"
    return f"{n} bytes"


def _gunzip(file: Path, source: str, limit: int) -> bytearray:
    try:
        with gzip.open(file, "rb") as stream:
            return _unpacked(stream, source, limit)
    except DataError:
        raise
    except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError
        raise _unreadable(source, exc) from None


_ZIP_JUNK = ("__MACOSX/",)


def _unzip(file: Path, source: str, member: str | None, limit: int) -> tuple[str, bytearray]:
    """The one data file of an archive (or the member named), and its bytes.

    Folders, macOS's `__MACOSX/` resource forks and files that are not data (a PDF of the
    methodology) are passed over; two data files are an error naming them, because which
    one is the panel is the user's choice, not the archive's order."""
    try:
        with zipfile.ZipFile(file) as archive:
            entries = [
                i
                for i in archive.infolist()
                if not i.is_dir() and not i.filename.startswith(_ZIP_JUNK)
            ]
            if member is not None:
                chosen = [i for i in entries if i.filename == member]
                if not chosen:
                    raise localised_data_error(
                        "KZF101",
                        "the archive has no member '{member}'; it holds {members}",
                        DataLocation(source),
                        member=member,
                        members=_members(entries),
                    )
            else:
                chosen = [i for i in entries if Path(i.filename).suffix.lower() in DATA_EXTENSIONS]
            if not chosen:
                raise localised_data_error(
                    "KZF106",
                    "the archive holds no data file (.csv, .tsv, .txt, .json, .xlsx, "
                    ".parquet); it holds {members}",
                    DataLocation(source),
                    members=_members(entries),
                )
            if len(chosen) > 1:
                raise localised_data_error(
                    "KZF106",
                    "the archive holds {count} data files ({members}): kzf reads one",
                    DataLocation(source),
                    (
                        "unzip it and pass the file you mean, or name it: --data {source}:{member}",
                        {"source": source, "member": chosen[0].filename},
                    ),
                    count=len(chosen),
                    members=_members(chosen),
                )
            info = chosen[0]
            if Path(info.filename).suffix.lower() not in DATA_EXTENSIONS:
                raise localised_data_error(
                    "KZF106",
                    "unsupported data format of '{member}' in the archive",
                    DataLocation(f"{source}:{info.filename}"),
                    member=info.filename,
                )
            with archive.open(info) as stream:
                return info.filename, _unpacked(stream, f"{source}:{info.filename}", limit)
    except DataError:
        raise
    except (
        OSError,
        EOFError,
        zipfile.BadZipFile,
        zlib.error,
        RuntimeError,
        NotImplementedError,
    ) as exc:
        # RuntimeError: an encrypted member; NotImplementedError: a compression zipfile lacks
        raise _unreadable(source, exc) from None


def _members(entries: list[zipfile.ZipInfo], limit: int = 6) -> str | Phrase:
    return listed([f"'{i.filename}'" for i in entries], limit, phrased("nothing"))


def table_from_frame(df: pd.DataFrame, source: str) -> RawTable:
    """Wrap an in-memory frame; named index levels (e.g. after set_index) count as columns."""
    if any(name is not None for name in df.index.names):
        df = df.reset_index()
    names = tuple(clean_name(c) for c in df.columns)
    data = df.set_axis(range(df.shape[1]), axis=1).reset_index(drop=True)
    return _drop_blank(RawTable(source, names, data, np.arange(1, len(data) + 1)))


def _unreadable(source: str, exc: BaseException) -> DataError:
    reason = str(exc).strip() or type(exc).__name__
    return localised_data_error(
        "KZF101", "cannot read the file: {reason}", DataLocation(source), reason=reason
    )


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


def _bom_encoding(raw: Bytes) -> str | None:
    return next((name for mark, name in _BOMS if raw.startswith(mark)), None)


def _decode(raw: Bytes, source: str, encoding: str | None) -> str:
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
        raise localised_data_error(
            "KZF106", "unknown text encoding '{encoding}'", where, encoding=encoding
        ) from None
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        byte = raw[exc.start : exc.start + 1].hex()
        if encoding is None:
            raise _not_utf8(raw, where, byte, line) from None
        raise localised_data_error(
            "KZF101",
            "the file cannot be decoded as {encoding} (byte 0x{byte} on line {line})",
            where,
            encoding=encoding,
            byte=byte,
            line=line,
        ) from None
    _check_plausible(text, raw, chosen, where)
    return text


def _not_utf8(raw: Bytes, where: DataLocation, byte: str, line: int) -> DataError:
    """KZF101 for a file that is not UTF-8, with a hint of which single-byte Cyrillic
    encoding the bytes fit, said only as far as it is sure."""
    if raw[:200].count(b"\x00") > len(raw[:200]) // 4:
        return localised_data_error(
            "KZF101",
            "the file is not UTF-8 text (byte 0x{byte} on line {line}); it looks like UTF-16 "
            "without a byte-order mark: pass --encoding utf-16-le",
            where,
            byte=byte,
            line=line,
        )
    as_1251 = raw.decode("cp1251", errors="replace")
    as_1048 = raw.decode("kz1048", errors="replace")
    if as_1251 == as_1048:
        return localised_data_error(
            "KZF101",
            "the file is not UTF-8 text (byte 0x{byte} on line {line}); if it was saved by "
            "Excel or 1C on Windows, pass --encoding cp1251",
            where,
            byte=byte,
            line=line,
        )
    if any(c in _NOT_RU_KZ_BY for c in as_1251):
        return localised_data_error(
            "KZF101",
            "the file is not UTF-8 text (byte 0x{byte} on line {line}); its letters fit "
            "KZ-1048 (Kazakh: {word}): pass --encoding kz1048",
            where,
            byte=byte,
            line=line,
            word=_word_with(as_1048, _KAZAKH),
        )
    # only Ў/ў against Ұ/ұ: Belarusian or Kazakh text, which only the reader knows
    return localised_data_error(
        "KZF101",
        "the file is not UTF-8 text (byte 0x{byte} on line {line}); it is Windows Cyrillic, "
        "either cp1251 (Belarusian Ў: {belarusian}) or KZ-1048 (Kazakh Ұ: {kazakh}); "
        "pass --encoding cp1251 or --encoding kz1048",
        where,
        byte=byte,
        line=line,
        belarusian=_word_with(as_1251, "Ўў"),
        kazakh=_word_with(as_1048, "Ұұ"),
    )


def _word_with(text: str, letters: str) -> str:
    m = re.search(rf"\w*[{letters}]\w*", text)
    return f"«{m.group(0)}»" if m else ""


def _check_plausible(text: str, raw: Bytes, encoding: str, where: DataLocation) -> None:
    if "\ufffd" in text:
        line = text[: text.index("\ufffd")].count("\n") + 1
        raise localised_data_error(
            "KZF101",
            "line {line} holds the replacement character �: the text was damaged before kzf "
            "read it (decoded as {encoding}); export the file again",
            where,
            line=line,
            encoding=encoding,
        )
    if encoding.replace("-", "").replace("_", "").lower() in ("cp1251", "windows1251"):
        bad = _word_with(text, _NOT_RU_KZ_BY)
        if bad:
            kz = _word_with(raw.decode("kz1048", errors="replace"), _KAZAKH)
            raise localised_data_error(
                "KZF101",
                "decoded as {encoding} the file reads {bad}, letters of no language of the "
                "region; as KZ-1048 it reads {kz}: pass --encoding kz1048",
                where,
                encoding=encoding,
                bad=bad,
                kz=kz,
            )


def _sniff_separator(header: str) -> str:
    """The most frequent of `,` `;` tab in the header line, ignoring quoted names."""
    bare = _QUOTED.sub("", header)
    counts = [(bare.count(c), -i, c) for i, c in enumerate(_SEPARATOR_CANDIDATES)]
    best = max(counts)
    return best[2] if best[0] > 0 else ","


def _read_text(
    raw: Bytes, source: str, sep: str | None, encoding: str | None, header_row: int | None
) -> RawTable:
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
        _check_width(_first_line(body), "\t", source)
        tsv = _parse_csv(body, "\t", source)
        return _eurostat(_from_grid(tsv, source, skipped + 1, header_row))
    if sep is None:
        sep = _sniff_separator(_first_line(body))
    sep = _SEPARATOR_ALIASES.get(sep, sep)
    if len(sep) != 1:
        raise localised_data_error(
            "KZF106",
            "the separator must be one character, not {sep}",
            DataLocation(source),
            sep=repr(sep),
        )
    _check_width(_first_line(body), sep, source)
    grid = _parse_csv_fast(body, sep)
    if grid is None:
        grid = _parse_csv(body, sep, source)
    return _from_grid(grid, source, skipped + 1, header_row)


MAX_COLUMNS = 16_384  # as many as an Excel sheet has


def _check_width(header: str, sep: str, source: str) -> None:
    """A header of more than MAX_COLUMNS fields is refused before the body is parsed (a CSV
    of 100,000 columns took 12.8 s and 1.5 GB only to be rejected for a missing column)."""
    fields = header.count(sep) + 1
    if fields > MAX_COLUMNS:
        raise localised_data_error(
            "KZF106",
            "the header has {fields} fields, more than the {most} columns kzf reads (is {sep} "
            "the separator?)",
            DataLocation(source, 1),
            "keep the columns the program needs, or give the separator with --sep",
            fields=f"{fields:,}",
            most=f"{MAX_COLUMNS:,}",
            sep=repr(sep),
        )


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
            raise localised_data_error(
                "KZF106",
                "not a valid table with separator {sep}: {reason}",
                DataLocation(source),
                "every row must have as many fields as the header; quote fields that contain "
                "the separator",
                sep=repr(sep),
                reason=msg,
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


def _read_excel(
    content: Content, source: str, sheet: str | int | None, header_row: int | None
) -> RawTable:
    try:
        with pd.ExcelFile(_opened(content), engine="openpyxl") as book:
            sheets = [str(s) for s in book.sheet_names]
            chosen: str | int = 0 if sheet is None else sheet
            if isinstance(chosen, int) and not 0 <= chosen < len(sheets):
                raise localised_data_error(
                    "KZF101",
                    "the workbook has no sheet number {number} (sheets are numbered from 0; "
                    "it has {count}: {sheets})",
                    DataLocation(source),
                    number=chosen,
                    count=len(sheets),
                    sheets=", ".join(sheets),
                )
            if isinstance(chosen, str) and chosen not in sheets:
                raise localised_data_error(
                    "KZF101",
                    "the workbook has no sheet '{sheet}'; its sheets are: {sheets}",
                    DataLocation(source),
                    sheet=chosen,
                    sheets=", ".join(sheets),
                )
            grid = _sheet_grid(content, source, chosen)
            # The header is row 1 unless told otherwise: merged cells there are a decorative
            # title, which kzf refuses rather than guess past (an explicit row is checked).
            top = 0 if header_row is None else header_row - 1
            header_has_gaps = 0 <= top < len(grid) and any(
                str(v).strip() == "" for v in grid.iloc[top].tolist()
            )
            merged = _merged_header_cells(content, chosen, top + 1) if header_has_gaps else []
    except DataError:
        raise
    except Exception as exc:  # openpyxl raises many unrelated types for a corrupt file
        raise _unreadable(source, exc) from None
    if grid.empty:
        raise data_error(
            "KZF106", "the sheet is empty: expected a header row", DataLocation(source)
        )
    if merged:
        notes: list[Note] = [
            (
                "unmerge the cells and put each column's name in row {number} "
                "(titles go in another sheet)",
                {"number": top + 1},
            )
        ]
        if header_row is None:
            notes.append("or, when the header is lower down, give its row: --header-row N")
        raise localised_data_error(
            "KZF106",
            "the header row has merged cells ({cells}): kzf needs one header row with one "
            "name per column",
            DataLocation(source, top + 1),
            *notes,
            cells=", ".join(merged),
        )
    return _from_grid(grid, source, 1, header_row)


MAX_SHEET_CELLS = 20_000_000  # rows x columns of a sheet's filled extent that kzf builds


def _sheet_grid(content: Content, source: str, sheet: str | int) -> pd.DataFrame:
    """The cells of a sheet as a header-less grid ("" for an empty cell; sheet row k is grid
    row k - 1), built only over the extent that holds values (`xlsx.scan_sheet`): a used
    range that claims more than it holds costs nothing, one that really holds more than
    MAX_SHEET_CELLS is refused, and formula cells without a cached value are refused, naming
    them, instead of becoming missing values."""
    import openpyxl

    from kzf.engine.io import xlsx  # here, not at the top: a CSV's cold start skips its XML

    scan = xlsx.scan_sheet(_opened(content), sheet)
    if scan is not None and scan.uncached_count:
        listed = ", ".join(scan.uncached)
        more = scan.uncached_count - len(scan.uncached)
        if more > 0:
            raise localised_data_error(
                "KZF104",
                "{count} formula cell(s) of the sheet have no saved value ({cells} and {more} "
                "more): read as values they would be missing",
                DataLocation(source),
                "open the workbook in Excel (or LibreOffice with recalculation on) and save it, "
                "or paste the cells as values",
                count=scan.uncached_count,
                cells=listed,
                more=more,
            )
        raise localised_data_error(
            "KZF104",
            "{count} formula cell(s) of the sheet have no saved value ({cells}): read as "
            "values they would be missing",
            DataLocation(source),
            "open the workbook in Excel (or LibreOffice with recalculation on) and save it, "
            "or paste the cells as values",
            count=scan.uncached_count,
            cells=listed,
        )
    if scan is not None and (not scan.complete or scan.rows * scan.columns > MAX_SHEET_CELLS):
        if not scan.complete:
            raise localised_data_error(
                "KZF106",
                "the sheet's filled cells span more, more than the {most} cells kzf reads from "
                "a sheet",
                DataLocation(source),
                "save the table as CSV or Parquet, or delete stray cells far from the table",
                most=f"{MAX_SHEET_CELLS:,}",
            )
        raise localised_data_error(
            "KZF106",
            "the sheet's filled cells span {rows} rows x {columns} columns, more than the "
            "{most} cells kzf reads from a sheet",
            DataLocation(source),
            "save the table as CSV or Parquet, or delete stray cells far from the table",
            rows=f"{scan.rows:,}",
            columns=f"{scan.columns:,}",
            most=f"{MAX_SHEET_CELLS:,}",
        )
    book = openpyxl.load_workbook(_opened(content), read_only=True, data_only=True)
    try:
        ws = book.worksheets[sheet] if isinstance(sheet, int) else book[sheet]
        if scan is None:  # an unusual package: openpyxl's own idea of the extent, bounded
            ws.reset_dimensions()
            rows, columns = ws.max_row, ws.max_column
        else:
            rows, columns = scan.rows, scan.columns
        if not rows or not columns:
            return pd.DataFrame()
        values = ws.iter_rows(max_row=rows, max_col=columns, values_only=True)
        grid = pd.DataFrame(list(values), dtype=object)
    finally:
        book.close()
    return grid.where(grid.notna(), "")


def _merged_header_cells(content: Content, sheet: str | int, row: int) -> list[str]:
    """Merged ranges touching the header row: the mark of a spreadsheet's decorative header.

    Only called when the header row has empty cells, since finding merges means loading the
    workbook fully (read-only mode does not keep them)."""
    import openpyxl

    workbook = openpyxl.load_workbook(_opened(content), read_only=False, data_only=True)
    ws = workbook.worksheets[sheet] if isinstance(sheet, int) else workbook[sheet]
    ranges = getattr(ws, "merged_cells", None)
    if ranges is None:
        return []
    return [str(r.coord) for r in ranges.ranges if r.min_row <= row <= r.max_row]


def _read_parquet(content: Content, source: str) -> RawTable:
    try:
        df = pd.read_parquet(_opened(content), engine="pyarrow")
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ...
        raise _unreadable(source, exc) from None
    table = table_from_frame(df, source)
    return RawTable(source, table.names, table.data, table.rows + 1)


def _read_jsonstat(raw: Bytes, source: str, encoding: str | None) -> RawTable:
    """A JSON-stat dataset as a long table: one column per dimension (named by its id, each
    cell a category id), then `value`, one row per cell in the order of the file's `value`.

    Row n is the cell at position n - 1 of `value`. The dimensions other than time are the
    table's series key (`RawTable.series_keys`): those the program does not declare as dims
    make the indicator, as for a Eurostat TSV. Statuses (Eurostat's flags) are counted in a
    note (KZF263) with what the file says they mean."""
    from kzf.engine.io import jsonstat  # here, not at the top: only JSON-stat needs it

    cube = jsonstat.parse(_decode(raw, source, encoding), source)
    text = pd.StringDtype("pyarrow", na_value=np.nan)
    columns: dict[int, pd.Series] = {
        i: pd.Series(pd.array(c, dtype=text)) for i, c in enumerate(cube.coordinates())
    }
    columns[len(cube.ids)] = pd.Series(pd.array(cube.values, dtype=text))
    data = pd.DataFrame(columns, index=pd.RangeIndex(len(cube.values)))
    return RawTable(
        source,
        (*cube.ids, "value"),
        data,
        cube.positions + 1,
        series_keys=tuple(d for d in cube.ids if d not in cube.time),
        flags={len(cube.ids): pd.Series(cube.cell_flags, dtype=object).astype(str)},
        flag_kind="status flags",
        flag_meanings=cube.status_labels,
    )


def _from_grid(
    grid: pd.DataFrame, source: str, first_row: int, header_row: int | None = None
) -> RawTable:
    """Split a header-less grid into header and records; the header is `header_row` when
    given, else the first non-blank row (past title rows, `_header_row`). A block of notes
    below the table is set aside (`_without_notes`).

    `first_row` is the row number of the grid's first row in the file.
    """
    grid = grid.set_axis(range(grid.shape[1]), axis=1)
    blank = _blank_rows(grid)
    filled = np.flatnonzero(~blank)
    if len(filled) == 0:
        raise data_error("KZF106", "the file is empty: expected a header row", DataLocation(source))
    if header_row is None:
        h = _header_row(grid, filled)
    else:
        h = header_row - first_row
        last = first_row + len(grid) - 1
        if not 0 <= h < len(grid) or blank[h]:
            if h >= len(grid):
                raise localised_data_error(
                    "KZF106",
                    "the header row is {number}, but the last row is {last}",
                    DataLocation(source, header_row),
                    "give the row of the column names, counting from 1 as a spreadsheet does",
                    number=header_row,
                    last=last,
                )
            raise localised_data_error(
                "KZF106",
                "the header row is {number}, but that row is blank",
                DataLocation(source, header_row),
                "give the row of the column names, counting from 1 as a spreadsheet does",
                number=header_row,
            )
    names = tuple(clean_name(v) for v in grid.iloc[h].tolist())
    data = grid.iloc[h + 1 :].reset_index(drop=True)
    rows = np.arange(len(data)) + first_row + h + 1
    table = RawTable(source, names, data, rows)
    return _drop_blank(_without_notes(table, sum(1 for n in names if n)))


NOTE_CELLS = 2  # at most this many filled cells make a row below the table a note
_QUOTED_NOTES = 3  # notes quoted in the message; the rest are counted


def _without_notes(table: RawTable, width: int) -> RawTable:
    """The table without the block of notes a statistics office writes below it ("Source:
    ...", "Note: 1) provisional"), with a note (KZF264) naming those rows and quoting them.

    The block is the rows after the last blank row that follows the last full row, when each
    of them has at most NOTE_CELLS filled cells and the header is at least three columns
    wide: a blank row and a change of shape, both, since a sparse data row next to the table
    (an entity with no values yet) is data."""
    if width < NOTE_CELLS + 1 or len(table.data) == 0:
        return table
    window = 1  # the usual file ends with a row of the table: one row is looked at
    while True:
        start = max(len(table.data) - window, 0)
        counts = _filled_cells(table.data.iloc[start:])
        full = np.flatnonzero(counts > NOTE_CELLS)
        if len(full) or start == 0:
            break
        window *= 16
    if len(full) == 0 or full[-1] == len(counts) - 1:
        return table  # no row of the table to be below, or nothing below the table
    after = start + int(full[-1]) + 1
    counts = np.concatenate([np.zeros(start, dtype=np.int64), counts])
    gaps = np.flatnonzero(counts[after:] == 0)
    if len(gaps) == 0:
        return table
    cut = after + int(gaps[0])
    kept = np.flatnonzero(counts[cut:] > 0) + cut
    if len(kept) == 0:
        return table  # only blank rows below: dropped as blank rows are
    rows = table.rows[kept]
    quoted = [_note_text(table.data.iloc[int(k)]) for k in kept[:_QUOTED_NOTES]]
    more = len(kept) - len(quoted)
    listed = ", ".join(f"'{q}'" for q in quoted)
    source, first, last = table.source, rows[0], rows[-1]
    if len(rows) == 1:
        note = localised_warning(
            "KZF264",
            "{source}: row {first} below the table were read as notes, not data: {quoted}",
            source=source,
            first=first,
            quoted=listed,
        )
    elif more > 0:
        note = localised_warning(
            "KZF264",
            "{source}: rows {first}-{last} below the table were read as notes, not data: "
            "{quoted} and {more} more",
            source=source,
            first=first,
            last=last,
            quoted=listed,
            more=more,
        )
    else:
        note = localised_warning(
            "KZF264",
            "{source}: rows {first}-{last} below the table were read as notes, not data: {quoted}",
            source=source,
            first=first,
            last=last,
            quoted=listed,
        )
    return replace(
        table,
        data=table.data.iloc[:cut].reset_index(drop=True),
        rows=table.rows[:cut],
        notes=(*table.notes, note),
    )


def _note_text(row: pd.Series, limit: int = 60) -> str:
    cells = [str(v).strip() for v in row.tolist() if _is_filled(v)]
    text = " ".join(cells)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_filled(v: object) -> bool:
    """A cell that holds something: not missing (None, NaN, pandas' NA and NaT), not only
    whitespace; as `_filled` tells it for a column."""
    if v is None or v is pd.NA or v is pd.NaT:
        return False
    if isinstance(v, float | np.floating) and np.isnan(v):
        return False
    return str(v).strip() != ""


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
        raise localised_data_error(
            "KZF106",
            "the series key {key} does not have the {count} parts {parts}",
            DataLocation(table.source, int(table.rows[bad]), table.names[0]),
            key=repr(table.data[0].iloc[bad]),
            count=len(keys),
            parts=",".join(keys),
        )
    columns: dict[int, pd.Series] = {i: parts[i].str.strip() for i in range(len(keys))}
    flags: dict[int, pd.Series] = {}
    for j in range(1, table.data.shape[1]):
        cells = table.data[j].astype(str).str.strip()
        found = cells.str.fullmatch(_EUROSTAT_VALUE.pattern)
        split = cells.str.extract(_EUROSTAT_VALUE.pattern)
        missing = cells.str.startswith(":") | (cells == "")
        position = len(keys) + j - 1
        flags[position] = split[1].where(found, "").fillna("")
        columns[position] = cells.where(~found, split[0]).where(~missing, "")
    data = pd.DataFrame(columns)
    names = (*keys, *table.names[1:])
    return RawTable(
        table.source,
        names,
        data,
        table.rows,
        series_keys=tuple(keys),
        notes=table.notes,
        flags=flags,
        flag_kind="Eurostat flags",
        flag_meanings=EUROSTAT_FLAGS,
    )


def with_flags(table: RawTable, drop: Iterable[str] = ()) -> RawTable:
    """The table with the values whose flag is in `drop` made missing, and the note (KZF263)
    counting the flags that values carry, by flag and meaning, and saying which were read as
    values and which as missing. A flag of several letters (`ep`) is dropped when any of its
    letters is, and explained letter by letter."""
    wanted = frozenset(d.strip() for d in drop if d.strip())
    if not table.flags:
        if wanted:
            raise localised_data_error(
                "KZF106",
                "--drop-flags {flags}: the file carries no flags (kzf reads them from Eurostat "
                "TSV and JSON-stat statuses)",
                DataLocation(table.source),
                flags=",".join(sorted(wanted)),
            )
        return table
    meanings = table.flag_meanings or {}
    kept: Counter[str] = Counter()
    dropped: Counter[str] = Counter()
    data = table.data
    for position, flag in table.flags.items():
        present = (data[position].astype(str).str.strip() != "").to_numpy(dtype=bool)
        flagged = present & (flag != "").to_numpy(dtype=bool)
        if not flagged.any():
            continue
        hit = flag.map(lambda f: f in wanted or any(c in wanted for c in f)).to_numpy(bool)
        out = flagged & hit
        kept.update(flag[flagged & ~hit].tolist())
        dropped.update(flag[out].tolist())
        if out.any():
            if data is table.data:
                data = data.copy()
            data[position] = data[position].where(~out, "")
    unknown = sorted(f for f in wanted if f not in meanings and f not in kept and f not in dropped)
    notes = list(table.notes)
    if kept or dropped:
        notes.append(_flags_note(table, kept, dropped, unknown, meanings))
    return replace(table, data=data, notes=tuple(notes), flags=None)


def _flags_note(
    table: RawTable,
    kept: Counter[str],
    dropped: Counter[str],
    unknown: list[str],
    meanings: Mapping[str, str],
) -> Diagnostic:
    """KZF263: the flags values carry, read as values and read as missing (--drop-flags),
    and the flags to drop that no value carries."""
    values = {
        "source": table.source,
        "kind": table.flag_kind,
        "kept": _flag_counts(kept, meanings),
        "dropped": _flag_counts(dropped, meanings),
        "unknown": ", ".join(unknown),
    }
    if kept and dropped and unknown:
        return localised_warning(
            "KZF263",
            "{source}: values carry {kind}, read as values: {kept}; read as missing "
            "(--drop-flags): {dropped} (no value carries {unknown})",
            **values,
        )
    if kept and dropped:
        return localised_warning(
            "KZF263",
            "{source}: values carry {kind}, read as values: {kept}; read as missing "
            "(--drop-flags): {dropped}",
            **values,
        )
    if kept and unknown:
        return localised_warning(
            "KZF263",
            "{source}: values carry {kind}, read as values: {kept} (no value carries {unknown})",
            **values,
        )
    if kept:
        return localised_warning(
            "KZF263", "{source}: values carry {kind}, read as values: {kept}", **values
        )
    if unknown:
        return localised_warning(
            "KZF263",
            "{source}: values carry {kind}, read as missing (--drop-flags): {dropped} (no value "
            "carries {unknown})",
            **values,
        )
    return localised_warning(
        "KZF263",
        "{source}: values carry {kind}, read as missing (--drop-flags): {dropped}",
        **values,
    )


def _flag_counts(counts: Mapping[str, int], meanings: Mapping[str, str]) -> str:
    return ", ".join(
        f"{n} {flag} ({_meaning(flag, meanings)})" for flag, n in sorted(counts.items())
    )


def _meaning(flag: str, meanings: Mapping[str, str]) -> str:
    if flag in meanings:
        return meanings[flag]
    if len(flag) > 1 and all(c in meanings for c in flag):
        return " and ".join(meanings[c] for c in flag)
    return "unknown flag" if meanings else "the file does not say what it means"


PREAMBLE_ROWS = 30  # rows above the table a download may carry (titles, "Data Source", dates)


def _header_row(grid: pd.DataFrame, filled: np.ndarray) -> int:
    """The header: the first non-blank row, unless rows of one or two cells sit above a wider
    table (a World Bank download's "Data Source" and "Last Updated Date" lines, a statistics
    office's title rows); then the first row with at least half the table's width."""
    top = filled[:PREAMBLE_ROWS]
    counts = _filled_cells(grid.iloc[top])
    widest = int(counts.max())
    if counts[0] > 2 or widest < 3 or counts[0] * 2 > widest:
        return int(filled[0])
    return int(top[int(np.flatnonzero(counts * 2 >= widest)[0])])


def _filled(s: pd.Series) -> np.ndarray:
    """True for cells that hold something: not missing, not only whitespace."""
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        return s.notna().to_numpy()
    if isinstance(s.dtype, pd.StringDtype):
        return (s.fillna("").str.strip() != "").to_numpy(dtype=bool)
    text = s.astype(object).where(s.notna(), "").astype(str)
    return (text.str.strip() != "").to_numpy()


SMALL_CELLS = 50_000  # a block of cells this small is looked at cell by cell


def _filled_cells(frame: pd.DataFrame) -> np.ndarray:
    """How many cells of each record hold something. A small block (the rows above a
    header, the last rows of a table) cell by cell: column by column, each column's string
    methods cost pandas ~0.3 ms, 30 ms for a table of 94 columns, which is most of reading
    a small file."""
    if frame.size <= SMALL_CELLS:
        cells = frame.to_numpy(dtype=object)
        return np.array([sum(map(_is_filled, row)) for row in cells], dtype=np.int64)
    counts = np.zeros(len(frame), dtype=np.int64)
    for col in frame.columns:
        counts += _filled(frame[col])
    return counts


def _blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """True for records whose every cell is missing or only whitespace. Numeric columns are
    looked at first: one without a NaN settles it without stripping any text (a DataFrame's
    float columns usually do)."""
    blank = np.ones(len(frame), dtype=bool)
    numeric = [c for c in frame.columns if frame[c].dtype.kind in "iuf"]
    for col in [*numeric, *(c for c in frame.columns if c not in set(numeric))]:
        blank &= ~_filled(frame[col])
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
