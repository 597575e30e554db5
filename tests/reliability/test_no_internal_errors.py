"""Files that made kzf fail with an internal error (exit 3), from issue 15's list: each now
gets a result or a coded message. The overflow example is docs/reliability.md's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from kzf.engine.cli.main import main

CHAIN = "a0 = 1\n" + "".join(f"a{i} = a{i - 1} * a{i - 1} + a{i - 1}\n" for i in range(1, 10))


@pytest.mark.parametrize(
    "text",
    [
        "input x\ne = x * 10^400\n",  # the domain check squared 1e400 in floats
        "input z > 1e300\nw = z * z\n",
        "input x\ny = x * 2^2^2^2^2\n",
    ],
    ids=["10^400", "z*z above 1e300", "2^2^2^2^2"],
)
def test_overflowing_bounds_are_checked_without_an_internal_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    f = tmp_path / "f.kzf"
    f.write_text(text, encoding="utf-8")
    status = main(["check", str(f)])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert "internal error" not in captured.err


def test_show_on_nine_chained_definitions_shows_each_by_the_names_it_uses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "f.kzf"
    f.write_text(CHAIN, encoding="utf-8")
    status = main(["show", str(f)])
    out = capsys.readouterr().out
    assert status == 0
    assert "a9 = a8⋅a8 + a8" in out
    status = main(["show", "--expand", str(f), "a9"])
    out = capsys.readouterr().out
    assert status == 0 and "too large to expand" in out  # 2^9 copies: said, not a crash


def test_a_csv_with_carriage_returns_only_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # classic Mac line ends, as old Excel versions wrote CSV
    (tmp_path / "f.kzf").write_text("input x\ny = 2 * x\n", encoding="utf-8")
    (tmp_path / "d.csv").write_bytes(b"entity,year,x\rA,2020,1\rB,2020,2\r")
    status = main(["eval", str(tmp_path / "f.kzf"), "--data", str(tmp_path / "d.csv")])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert out.splitlines() == ["entity,year,y", "A,2020,2.0", "B,2020,4.0"]


# Found by the grammar-aware fuzzer (tests/reliability/test_grammar_fuzz.py), each an exit 3.
@pytest.mark.parametrize(
    ("program", "code", "said"),
    [
        ("input a : persons / 0\ny = a\n", "KZF032", "a unit cannot be scaled by '0'"),
        ("x : 1/0 = 1\n", "KZF032", "a unit cannot be scaled by '0'"),
        ('x = ""\n', "KZF017", "'x' is a text; a definition must be a number or a condition"),
        ('param w = "abc"\nz = w\n', "KZF017", "'z' is a text"),
        ("dims entity, year\nz = entity\n", "KZF017", "'z' is a text"),
        ("input a : % = 0\ny = a\n", "KZF023", "the domain `= 0` is not a range"),
    ],
    ids=["unit-over-zero", "declared-unit-over-zero", "text-definition", "text-param",
         "text-dim", "domain-after-unit"],
)  # fmt: skip
def test_programs_the_fuzzer_found_get_a_coded_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], program: str, code: str, said: str
) -> None:
    (tmp_path / "f.kzf").write_text(program, encoding="utf-8")
    assert main(["check", str(tmp_path / "f.kzf")]) == 2
    err = capsys.readouterr().err
    assert f"error[{code}]" in err and said in err and "internal error" not in err


def test_show_on_a_console_that_is_not_utf8(tmp_path: Path) -> None:
    """sympy picks ASCII atoms from stdout's encoding at import, and has none for ∧; on a
    cp1251 console `kzf show` crashed (KeyError 'only unicode', or UnicodeEncodeError)."""
    import os
    import subprocess
    import sys

    (tmp_path / "f.kzf").write_text("input c, a\nt = c in 0 .. 1\ns = sqrt(a) * a\n", "utf-8")
    kzf = Path(sys.executable).with_name("kzf")
    env = {**os.environ, "PYTHONIOENCODING": "cp1251"}
    done = subprocess.run(
        [str(kzf), "show", str(tmp_path / "f.kzf")], env=env, capture_output=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode("cp1251").splitlines() == [
        "t = c \\u2265 0 \\u2227 c \\u2264 1",  # what cp1251 cannot show, as escapes
        "",
        "s = \\u221aa\\u22c5a",
    ]


def test_a_model_on_values_near_the_float64_limit_is_refused_for_that_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found by the fuzzer: ten raw numpy RuntimeWarnings, then "a predictor is constant"."""
    (tmp_path / "d.csv").write_text(
        "year,c,a\n2001,1.5e308,-1.7e308\n2002,-1.6e308,1.2e308\n2003,1e307,5e307\n"
        "2004,1.7e308,1e300\n2005,3,4\n",
        encoding="utf-8",
    )
    (tmp_path / "f.kzf").write_text(
        'dims year\ndata "d.csv"\ninput c, a\nmodel m = ols(c ~ a)\n', encoding="utf-8"
    )
    assert main(["eval", str(tmp_path / "f.kzf")]) == 1
    err = capsys.readouterr().err
    assert "error[KZF150]" in err and "as large as 1.7e+308 cannot be fitted" in err
    assert "RuntimeWarning" not in err and "constant" not in err
