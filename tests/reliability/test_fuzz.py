"""Fuzzing: broken programs and data never crash kzf, never hang, never show a traceback.

Each example runs the real command (`kzf.engine.cli.main.main`) in-process, and a sample runs
in a subprocess to catch anything that would kill the interpreter. The budget is fixed
(derandomized hypothesis, bounded examples) so CI time is predictable; docs/reliability.md
records what was tried.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kzf.engine.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
SEEDS = sorted((ROOT / "formulas").glob("*.kzf")) + sorted((ROOT / "docs").glob("*.kzf"))
SEED_TEXTS = [p.read_bytes() for p in SEEDS] + [
    b"input osi, tii, hci\nminmax(x) = (x - min(x over entity)) / (max(x over entity) - min(x over entity))\n"
    b"egdi = (minmax(osi) + minmax(tii) + minmax(hci)) / 3\nr = rank(egdi over entity)\ng = growth(egdi)\n"
]
FRAGMENTS = [
    b"(", b")", b"[", b"]", b'"', b"#", b"\\", b"\n", b"\r\n", b"\x00", b"\xff\xfe", b"\xd0",
    b"over", b"where", b"in", b"..", b"^", b"-", b"**", b"=", b"==", b",", b":", b"%",
    b"1e999", b"9" * 500, b"((((((((((", b"-" * 300, b"\xe2\x80\x90", b"\xe2\x88\x92",
    b"\xd0\x90", b"\xc3\x97", b"import \"x.kzf\"", b"import \"../../etc/passwd\"", b"param",
    b"input", b"expect", b"dims", b"data", b"title", b"lag(", b"sum(", b"rank(", b"if(",
]  # fmt: skip

FUZZ = settings(
    max_examples=250,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def mutated_program(draw: st.DrawFn) -> bytes:
    text = bytearray(draw(st.sampled_from(SEED_TEXTS)))
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["insert", "delete", "truncate", "replace", "duplicate"]))
        at = draw(st.integers(0, len(text)))
        if kind == "insert":
            piece = draw(st.one_of(st.sampled_from(FRAGMENTS), st.binary(max_size=8)))
            text[at:at] = piece
        elif kind == "delete":
            del text[at : at + draw(st.integers(1, 20))]
        elif kind == "truncate":
            del text[at:]
        elif kind == "replace" and at < len(text):
            text[at] = draw(st.integers(0, 255))
        elif kind == "duplicate":
            text[at:at] = text[max(0, at - 40) : at]
    return bytes(text)


def run_cli(args: list[str]) -> tuple[int, str]:
    """Run the real command in-process; its exit status and what it printed on stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(args)
    return status, err.getvalue()


def assert_clean(status: int, err: str) -> None:
    assert status in (0, 1, 2), err
    assert "Traceback" not in err and "internal error" not in err, err
    if status != 0:
        assert "error[KZF" in err, err


@FUZZ
@given(source=mutated_program())
def test_broken_programs_get_positioned_errors(
    tmp_path_factory: pytest.TempPathFactory, source: bytes
) -> None:
    f = tmp_path_factory.mktemp("fuzz") / "fuzz.kzf"
    f.write_bytes(source)
    status, err = run_cli(["check", str(f)])
    assert_clean(status, err)
    if status == 2 and "error[KZF1" not in err:
        # a program error carries a position, except file-level limits
        assert f"{f}:" in err or "KZF004" in err or "KZF020" in err, err


@st.composite
def mutated_csv(draw: st.DrawFn) -> bytes:
    rows = ["entity,year,egdi_rank,egdi_n,egdi_score"]
    for e in ("Kazakhstan", "Russia", "Belarus"):
        for y in (2016, 2018, 2020):
            rows.append(f"{e},{y},{draw(st.integers(1, 193))},193,{draw(st.floats(0, 1)):.3f}")
    text = bytearray("\n".join(rows).encode())
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(["bom", "crlf", "cp1251", "cell", "drop", "truncate", "dup"]))
        if kind == "bom":
            text[0:0] = b"\xef\xbb\xbf"
        elif kind == "crlf":
            text = bytearray(bytes(text).replace(b"\n", b"\r\n"))
        elif kind == "cp1251":
            text += "\nКазақстан,2022,1,193,0.5".encode("cp1251", errors="replace")
        elif kind == "cell":
            at = draw(st.integers(0, len(text)))
            text[at:at] = draw(
                st.sampled_from(
                    [b"x", b"inf", b",", b";", b'"', b"1,5", b" ", b"NA", b"\x00", b"-"]
                )
            )
        elif kind == "drop":
            lines = bytes(text).split(b"\n")
            del lines[draw(st.integers(0, len(lines) - 1))]
            text = bytearray(b"\n".join(lines))
        elif kind == "truncate":
            del text[draw(st.integers(0, len(text))) :]
        elif kind == "dup":
            lines = bytes(text).split(b"\n")
            text += b"\n" + lines[-1]
    return bytes(text)


@FUZZ
@given(data=mutated_csv())
def test_broken_data_gets_clear_errors_and_is_never_modified(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    csv = tmp_path_factory.mktemp("data") / "d.csv"
    csv.write_bytes(data)
    before = hashlib.sha256(data).hexdigest()
    egdi = str(ROOT / "formulas" / "egdi.kzf")
    status, err = run_cli(["eval", egdi, "--data", str(csv), "--format", "csv"])
    assert_clean(status, err)
    if status == 1:
        assert "d.csv" in err
    assert hashlib.sha256(csv.read_bytes()).hexdigest() == before


@settings(max_examples=12, deadline=None, derandomize=True)
@given(source=mutated_program())
def test_the_interpreter_survives_in_a_subprocess(
    tmp_path_factory: pytest.TempPathFactory, source: bytes
) -> None:
    assume(len(source) > 0)
    f = tmp_path_factory.mktemp("proc") / "p.kzf"
    f.write_bytes(source)
    proc = subprocess.run(
        [sys.executable, "-m", "kzf", "check", str(f)], capture_output=True, text=True, timeout=60
    )
    assert_clean(proc.returncode, proc.stderr)


@pytest.mark.parametrize(
    "source",
    [
        "x = " + "(" * 5000 + "1" + ")" * 5000,
        "input a\nx = " + " + ".join(["a"] * 20000),
        "x = " + "-" * 20000 + "1",
        "x = 1e99999",
        "x = " + "9" * 5000,
        "input a\nf0(x) = x + 1\n"
        + "\n".join(f"f{i}(x) = f{i - 1}(f{i - 1}(x))" for i in range(1, 40))
        + "\ny = f39(a)",
        "input a\n" + "\n".join(f"d{i} = d{i - 1} + 1" for i in range(5000, 0, -1)) + "\nd0 = a",
        "\ufeffinput a\nx = a",  # a BOM at the start is not an error
    ],
)
def test_resource_limits(tmp_path: Path, source: str) -> None:
    f = tmp_path / "limits.kzf"
    f.write_text(source, encoding="utf-8")
    status, err = run_cli(["check", str(f)])
    assert_clean(status, err)


def test_file_size_limit(tmp_path: Path) -> None:
    f = tmp_path / "big.kzf"
    f.write_text("# " + "x" * 3_000_000 + "\n")
    status, err = run_cli(["check", str(f)])
    assert status == 2 and "error[KZF004]" in err and "larger than" in err
