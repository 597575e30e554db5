"""Output files without pandas: the names of the formats, writing a file atomically (and the
exception of a write interrupted by a signal), refusing to overwrite an input, and which
files a SQL engine writes itself.

They live apart from engine/io/output.py, which renders and writes frames with pandas, so
that the command's argument table, its last line of defence and a native run (the engine
reads and writes the data, engine/run/native.py) import no pandas (docs/performance.md,
cold start)."""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from kzf.dsl.diagnostics import DataError, Diagnostic, UsageError, localised

FORMATS = ("table", "csv", "json")  # what --format accepts
OUT_EXTENSIONS = (".csv", ".json", ".parquet", ".xlsx")  # what --out may end with
CSV_DIALECTS = ("standard", "excel")  # what --csv-dialect accepts


class Terminated(SystemExit):
    """SIGTERM or SIGHUP arrived while a file was written (engine/io/output.py): the write
    stops, its temporary file is removed, and the process exits 128 + the signal number, as
    a shell reports a killed command."""


def write_atomically(path: str | os.PathLike[str], write: Callable[[str], object]) -> None:
    """Write through a temporary file in the same folder, then rename over the target.

    A failed run leaves an existing output untouched; readers never see a half-written file.
    The file gets the permissions a new file gets from the umask (colleagues can read a
    published result when the umask lets them), or keeps those of the file it replaces; an
    output that is a symbolic link is written where the link points, and the link stays.
    """
    target = Path(os.path.realpath(path)) if os.path.islink(path) else Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise DataError(
            [
                localised(
                    "KZF108",
                    "cannot write {path}: folder {folder} does not exist",
                    path=path,
                    folder=folder,
                )
            ]
        )
    try:
        mode = target.stat().st_mode & 0o7777 if target.exists() else 0o666 & ~current_umask()
        fd, tmp = tempfile.mkstemp(
            prefix=f".{target.stem}.", suffix=f".tmp{target.suffix}", dir=folder
        )
    except OSError as exc:
        raise DataError([_cannot_write(path, exc)]) from None
    os.close(fd)
    try:
        with _signals_end_the_write():
            write(tmp)
            os.chmod(tmp, mode)
            os.replace(tmp, target)
    except OSError as exc:
        raise DataError([_cannot_write(path, exc)]) from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _cannot_write(path: str | os.PathLike[str], exc: OSError) -> Diagnostic:
    return localised(
        "KZF108", "cannot write {path}: {reason}", path=path, reason=exc.strerror or exc
    )


@contextlib.contextmanager
def _signals_end_the_write() -> Iterator[None]:
    """While writing, SIGTERM and SIGHUP raise `Terminated` instead of killing the process at
    once, so that no `.NAME.xxxx.tmp` file is left beside the output (SIGINT already raises
    KeyboardInterrupt; SIGKILL cannot be caught, and leaves the old output intact, since the
    target is only ever replaced whole). Handlers can only be set from the main thread; an
    embedding tool writing from another thread keeps its own."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, _frame: object) -> None:
        raise Terminated(128 + signum)

    wanted = [s for s in ("SIGTERM", "SIGHUP") if hasattr(signal, s)]
    before = {name: signal.signal(getattr(signal, name), stop) for name in wanted}
    try:
        yield
    finally:
        for name, handler in before.items():
            signal.signal(getattr(signal, name), handler)


def refuse_overwriting(out: str | os.PathLike[str], *inputs: str | os.PathLike[str]) -> None:
    """KZF108 when `out` is one of the files a run reads (its data, its formula files): an
    output must never destroy what it was computed from. Links and other spellings of one
    path count as the same file."""
    if not os.path.exists(out):
        return
    for given in inputs:
        if os.path.exists(given) and os.path.samefile(out, given):
            raise UsageError(
                [
                    localised(
                        "KZF108",
                        "the output {out} is {given}, which this run reads; writing the results "
                        "there would replace it. Choose another output file",
                        out=out,
                        given=given,
                    )
                ]
            )


def current_umask() -> int:
    """The process's umask, read without changing it where the system tells it (Linux's
    /proc); elsewhere set and restored at once."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def native_kind(path: str | os.PathLike[str], dialect: str = "standard") -> str | None:
    """The format a SQL engine writes `path` in itself (`COPY ... TO`), or None when kzf's own
    writer must (json, xlsx, and csv in the excel dialect, with its byte-order mark,
    decimal commas and defused formulas)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".parquet":
        return "parquet"
    if suffix == ".csv" and dialect == "standard":
        return "csv"
    return None
