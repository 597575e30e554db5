"""What an .xlsx sheet really holds, found by streaming its XML before any cell is built.

A sheet's "used range" can claim far more than it holds: a 5 KB file whose rows each end in
an empty, formatted cell in column XFD makes every row-by-row reader (openpyxl, and pandas
through it) build 16,384 cells a row, 327 million for 20,000 rows. And a formula cell saved
by a program that does not calculate (a generated workbook, LibreOffice with recalculation
off) has no cached value: read with the values, it is an empty cell, and the number it
stands for is silently missing.

`scan_sheet` walks the sheet's XML once (expat, element by element, nothing kept) and says
how many rows and columns hold a value, and which formula cells have none, so that the
reader can bound what it builds and refuse what it cannot read.
"""

from __future__ import annotations

import os
import re
import zipfile
from dataclasses import dataclass
from typing import IO
from xml.etree import ElementTree

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_REF = re.compile(r"([A-Z]{1,3})(\d+)")
MAX_CELLS_SCANNED = 50_000_000  # XML cells walked before the scan gives up (time bound)


@dataclass(frozen=True)
class SheetScan:
    """`rows` and `columns`: the extent of the cells that hold a value (1-based, 0 when
    none). `uncached`: references of formula cells without a cached value (the first few);
    `uncached_count`: how many there are. `complete`: False when the scan stopped at
    MAX_CELLS_SCANNED."""

    rows: int
    columns: int
    uncached: tuple[str, ...]
    uncached_count: int
    complete: bool = True


def column_number(letters: str) -> int:
    number = 0
    for c in letters:
        number = number * 26 + (ord(c) - 64)
    return number


def _sheet_path(book: zipfile.ZipFile, sheet: str | int) -> str | None:
    """The path inside the package of the sheet called `sheet` (or at that position)."""
    workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
    sheets = [(s.get("name", ""), s.get(f"{_REL}id", "")) for s in workbook.iter(f"{_MAIN}sheet")]
    if isinstance(sheet, int):
        chosen = sheets[sheet] if 0 <= sheet < len(sheets) else None
    else:
        chosen = next((s for s in sheets if s[0] == sheet), None)
    if chosen is None:
        return None
    rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    for rel in rels.iter(f"{_PACKAGE_REL}Relationship"):
        if rel.get("Id") == chosen[1]:
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return None


def scan_sheet(
    source: str | os.PathLike[str] | IO[bytes], sheet: str | int, keep: int = 5
) -> SheetScan | None:
    """The extent and uncached formulas of one sheet; None when the package does not have
    the usual parts (then the reader's own checks speak)."""
    try:
        with zipfile.ZipFile(source) as book:
            path = _sheet_path(book, sheet)
            if path is None:
                return None
            with book.open(path) as xml:
                return _scan(xml, keep)
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError):
        return None


def _scan(xml: IO[bytes], keep: int) -> SheetScan:
    rows = columns = uncached_count = scanned = 0
    uncached: list[str] = []
    row = 0
    column = 0
    for event, element in ElementTree.iterparse(xml, events=("start", "end")):
        tag = element.tag
        if event == "start":
            if tag == f"{_MAIN}row":
                row = int(element.get("r") or row + 1)
                column = 0
            continue
        if tag == f"{_MAIN}c":
            scanned += 1
            ref = element.get("r")
            found = _REF.fullmatch(ref) if ref else None
            if found:
                column, row = column_number(found.group(1)), int(found.group(2))
            else:  # a cell without a reference sits after the previous one
                column += 1
            value = element.find(f"{_MAIN}v")
            inline = element.find(f"{_MAIN}is")
            has_value = (value is not None and (value.text or "") != "") or inline is not None
            if has_value:
                rows, columns = max(rows, row), max(columns, column)
            elif element.find(f"{_MAIN}f") is not None:
                uncached_count += 1
                if len(uncached) < keep:
                    uncached.append(ref or f"R{row}C{column}")
            element.clear()
            if scanned >= MAX_CELLS_SCANNED:
                return SheetScan(rows, columns, tuple(uncached), uncached_count, complete=False)
        elif tag == f"{_MAIN}row":
            element.clear()
    return SheetScan(rows, columns, tuple(uncached), uncached_count)
