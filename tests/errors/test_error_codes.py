"""Every error code: its message, line, column and exit status, through the real command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kzf.dsl.diagnostics import CODES
from kzf.engine.cli.main import main

ROOT = Path(__file__).resolve().parents[2]

# (code, program, line, column, a fragment of the message)
PROGRAM_ERRORS = [
    ("KZF001", "input a\nx = a @ 2\n", 2, 7, "unexpected character '@'"),
    ("KZF002", "input a\ny = a +* 2\n", 2, 8, "unexpected '*'"),
    ("KZF002", "input a\ny = a ** 2\n", 2, 8, "powers are written with ^"),
    ("KZF001", "input a\ny = a \u2212 2\n", 2, 7, "(the minus sign); write the plain '-'"),
    ("KZF001", 'title "abc\n', 1, 7, "a text is not closed"),
    ("KZF002", "input a\nx = (a + 1\n", 2, 5, "'(' is never closed"),
    ("KZF002", "input a\nx = \n", 2, 4, "ends too early"),
    ("KZF004", "x = " + "(" * 250 + "1" + ")" * 250 + "\n", 1, 205, "nested more than 200"),
    (
        "KZF010",
        "input osi\negdi = osi_m + 1\n",
        2,
        8,
        "undefined name 'osi_m'; did you mean 'osi'?",
    ),
    (
        "KZF011",
        "input a\nb = a\nb = 2 * a\n",
        3,
        1,
        "'b' is defined more than once (first defined at",
    ),
    ("KZF011", "input a\nyear = a\n", 2, 1, "'year' is a dimension"),
    ("KZF012", "input c\na = b + 1\nb = a * 2 + c\n", 2, 1, "definition cycle: a -> b -> a"),
    ("KZF013", "input a\nf(x) = x * 2\ny = f(a, a)\n", 3, 5, "f() takes 1 argument, got 2"),
    ("KZF013", "input a\ny = round(a, 1, 2)\n", 2, 5, "round() takes 1 to 2 arguments, got 3"),
    ("KZF014", "input a\ny = avrage(a over year)\n", 2, 5, "unknown function 'avrage'"),
    ("KZF015", "input a\ny = sum(a)\n", 2, 5, "sum() needs `over`"),
    ("KZF015", "input a\ny = abs(a over year)\n", 2, 16, "abs() does not take `over`"),
    ("KZF016", "input a\ny = sum(a over country)\n", 2, 16, "unknown dimension 'country'"),
    ("KZF017", "input a\ny = entity + 1\n", 2, 5, "must be a number, but this is a text"),
    ("KZF017", "input a\ny = if(a, 1, 0)\n", 2, 8, "must be a condition"),
    ("KZF017", "input a\nparam k = 2\ny = lag(a, k)\n", 3, 12, "whole number written in the file"),
    ("KZF018", "input a\nf(x) = f(x) + 1\ny = f(a)\n", 2, 8, "recursive function: f -> f"),
    ("KZF020", 'import "nowhere.kzf"\n', 1, 1, "import not found: 'nowhere.kzf'"),
    ("KZF023", "input a\nb = a\nexpect b[2010] = 1\n", 3, 1, "has 1 part(s), but the panel has 2"),
]


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(args)
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize(("code", "program", "line", "col", "fragment"), PROGRAM_ERRORS)
def test_program_errors(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    code: str,
    program: str,
    line: int,
    col: int,
    fragment: str,
) -> None:
    f = tmp_path / "prog.kzf"
    f.write_text(program, encoding="utf-8")
    status, _, err = run_cli(["check", str(f)], capsys)
    assert status == 2
    headline = f"{f}:{line}:{col}: error[{code}]: "
    assert headline in err, err
    assert fragment in err
    assert "Traceback" not in err
    # the source line is shown with a caret under the span
    assert re.search(r"^\s+\d+ \| ", err, re.M)
    assert "^" in err


def test_all_errors_of_a_file_are_reported_in_one_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "many.kzf"
    f.write_text("input a\nx = a +* 1\ny = b\nz = c @ 1\nw = sum(a)\n", encoding="utf-8")
    status, _, err = run_cli(["check", str(f)], capsys)
    assert status == 2
    assert "error[KZF002]" in err and "error[KZF001]" in err
    f.write_text("input a\ny = bb\nz = cc\nw = sum(a)\nq = f(a)\n", encoding="utf-8")
    status, _, err = run_cli(["check", str(f)], capsys)
    assert [c for c in re.findall(r"error\[(KZF\d+)\]", err)] == [
        "KZF010",
        "KZF010",
        "KZF015",
        "KZF014",
    ]


def test_import_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "kzf.toml").write_text("")
    (tmp_path / "a.kzf").write_text('import "b.kzf"\ninput x\nxa = x\n')
    (tmp_path / "b.kzf").write_text('import "a.kzf"\nxb = 1\n')
    status, _, err = run_cli(["check", str(tmp_path / "a.kzf")], capsys)
    assert status == 2 and "b.kzf:1:1: error[KZF021]: import cycle: a.kzf -> b.kzf -> a.kzf" in err
    outside = tmp_path / "sub"
    outside.mkdir()
    (tmp_path.parent / "elsewhere.kzf").write_text("q = 1\n")
    (outside / "c.kzf").write_text('import "../../elsewhere.kzf"\n')
    status, _, err = run_cli(["check", str(outside / "c.kzf")], capsys)
    assert status == 2 and "error[KZF022]" in err and "--allow-import-outside" in err
    status, _, err = run_cli(["check", "--allow-import-outside", str(outside / "c.kzf")], capsys)
    assert status == 0, err


def test_not_utf8_and_nul_bytes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "cp.kzf"
    f.write_bytes("input a\nЭТ = a\n".encode("cp1251"))
    status, _, err = run_cli(["check", str(f)], capsys)
    assert status == 2 and f"{f}:2:1: error[KZF003]: the file is not valid UTF-8" in err
    f.write_bytes(b"input a\nx = a\x00\n")
    status, _, err = run_cli(["check", str(f)], capsys)
    assert status == 2 and "error[KZF003]: the file contains a NUL byte" in err


def test_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run_cli(["check", "no/such/file.kzf"], capsys)
    assert status == 2 and "error[KZF020]: file not found: no/such/file.kzf" in err


def test_warning_for_minus_x_squared(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "w.kzf"
    f.write_text("input x\ny = -x^2\nz = -(x^2)\n")
    status, _, err = run_cli(["check", str(f)], capsys)
    assert status == 0
    assert f"{f}:2:5: warning[KZF301]" in err and ":3:" not in err
    status, _, err = run_cli(["check", "--strict", str(f)], capsys)
    assert status == 2


# ---------------------------------------------------------------- data and usage errors


@pytest.fixture
def prog(tmp_path: Path) -> Path:
    f = tmp_path / "p.kzf"
    f.write_text("input osi, tii\nratio = osi / tii\nparam k = 1\nscaled = ratio * k\n")
    return f


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_missing_input_column(
    tmp_path: Path, prog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write(tmp_path, "d.csv", "entity,year,osi,tij\nKZ,2010,1,2\n")
    status, _, err = run_cli(["eval", str(prog), "--data", str(data)], capsys)
    assert status == 1
    assert (
        "error[KZF102]" in err and "d.csv" in err and "'tii'" in err and "did you mean 'tij'" in err
    )


def test_duplicate_key(tmp_path: Path, prog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = write(tmp_path, "d.csv", "entity,year,osi,tii\nKZ,2010,1,2\nRU,2010,1,2\nKZ,2010,3,4\n")
    status, _, err = run_cli(["eval", str(prog), "--data", str(data)], capsys)
    assert (
        status == 1 and "error[KZF103]" in err and "rows 2 and 4" in err and "Kazakhstan" not in err
    )


def test_non_numeric_cell(tmp_path: Path, prog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = write(tmp_path, "d.csv", "entity,year,osi,tii\nKZ,2010,1,2\nRU,2010,12x,4\n")
    status, _, err = run_cli(["eval", str(prog), "--data", str(data)], capsys)
    assert (
        status == 1
        and "error[KZF104]" in err
        and "row 3" in err
        and "'osi'" in err
        and "12x" in err
    )


def test_missing_data_file(tmp_path: Path, prog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run_cli(["eval", str(prog), "--data", str(tmp_path / "none.csv")], capsys)
    assert status == 1 and "error[KZF101]" in err and "none.csv" in err


def test_usage_errors(tmp_path: Path, prog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = write(tmp_path, "d.csv", "entity,year,osi,tii\nKZ,2010,1,2\n")
    status, _, err = run_cli(["eval", str(prog), "--data", str(data), "--param", "kk=2"], capsys)
    assert status == 2 and "error[KZF019]: unknown parameter 'kk'; did you mean 'k'?" in err
    status, _, err = run_cli(["eval", str(prog), "--data", str(data), "--param", "k=x"], capsys)
    assert status == 2 and "error[KZF019]" in err
    status, _, err = run_cli(["eval", str(prog), "--data", str(data), "--select", "ratoi"], capsys)
    assert status == 2 and "error[KZF107]" in err and "did you mean 'ratio'" in err
    status, _, err = run_cli(
        ["eval", str(prog), "--data", str(data), "--where", "yeer > 1"], capsys
    )
    assert status == 2 and "--where:1:1: error[KZF010]" in err
    status, _, err = run_cli(["eval", str(prog)], capsys)
    assert status == 2 and "error[KZF107]" in err and "--data" in err
    status, _, err = run_cli(
        ["eval", str(prog), "--data", str(data), "--out", str(tmp_path / "x.doc")], capsys
    )
    assert status == 2 and "error[KZF108]" in err


def test_every_code_in_the_package_is_documented() -> None:
    doc = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    used: set[str] = set()
    for folder in ("dsl", "engine", "kzf"):
        for src in (ROOT / folder).rglob("*.py"):
            used |= set(re.findall(r'"(KZF\d{3})"', src.read_text(encoding="utf-8")))
    assert used, "no codes found"
    for code in sorted(used | set(CODES)):
        assert f"| {code} |" in doc, f"{code} is not in docs/errors.md"
