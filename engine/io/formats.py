"""What the command knows of output before it writes any: the names of the formats and the
exception of an interrupted write.

They live apart from engine/io/output.py, which writes with pandas, so that the command's
argument table and its last line of defence import no pandas (docs/performance.md, cold
start)."""

from __future__ import annotations

FORMATS = ("table", "csv", "json")  # what --format accepts
OUT_EXTENSIONS = (".csv", ".json", ".parquet", ".xlsx")  # what --out may end with
CSV_DIALECTS = ("standard", "excel")  # what --csv-dialect accepts


class Terminated(SystemExit):
    """SIGTERM or SIGHUP arrived while a file was written (engine/io/output.py): the write
    stops, its temporary file is removed, and the process exits 128 + the signal number, as
    a shell reports a killed command."""
