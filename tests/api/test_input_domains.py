"""The domains inputs declare are checked on the data, before anything is computed.

`input s in [0, 1], t > 0` lets the checker prove `s / t` safe; data with s = 1.5 and t = -2
used to give u = 1.5 and -0.25 with exit 0. The promise the proofs rest on is now kept:
a value outside its input's domain is error KZF110, naming the rows (as the file counts
them), their keys and values, on every engine. Missing values break no domain.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import kzf
from kzf.engine.cli.main import main

PROGRAM = "dims entity, year\ninput s in [0, 1], t > 0, n != 0\nu = s / t / n\n"
DATA = "entity,year,s,t,n\nA,2020,0.5,2,1\nB,2020,1.5,-2,1\nC,2020,,0,0\nD,2020,1,3,\n"


def test_values_outside_their_domains_are_named_with_their_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "f.kzf").write_text(PROGRAM, encoding="utf-8")
    (tmp_path / "d.csv").write_text(DATA, encoding="utf-8")
    status = main(["eval", str(tmp_path / "f.kzf"), "--data", str(tmp_path / "d.csv")])
    out, err = capsys.readouterr()
    assert status == 1 and out == ""
    assert "f.kzf:2:7: error[KZF110]" in err
    assert (
        "input 's' is declared in [0, 1], but 1 value(s) of the data are not: row 3 (B, 2020) = 1.5"
        in err
    )
    assert "input 't' is declared > 0, but 2 value(s)" in err
    assert "row 3 (B, 2020) = -2; row 4 (C, 2020) = 0" in err
    assert (
        "input 'n' is declared != 0, but 1 value(s) of the data are not: row 4 (C, 2020) = 0" in err
    )


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_every_engine_refuses_before_computing(engine: str) -> None:
    frame = pd.DataFrame(
        {"entity": ["A", "B"], "year": [2020, 2020], "s": [0.5, 1.5], "t": [2.0, 2.0],
         "n": [1.0, 1.0]}
    )  # fmt: skip
    with pytest.raises(kzf.DataError, match=r"row 2 \(B, 2020\) = 1.5") as raised:
        kzf.compile(PROGRAM).evaluate(frame, engine=engine)
    assert raised.value.code == "KZF110"


def test_data_inside_the_domains_and_missing_values_pass() -> None:
    frame = pd.DataFrame(
        {"entity": ["A", "B"], "year": [2020, 2020], "s": [0.0, None], "t": [0.5, 2.0],
         "n": [-1.0, None]}
    )  # fmt: skip
    out = kzf.compile(PROGRAM).evaluate(frame)
    assert out["u"].iloc[0] == 0.0 and pd.isna(out["u"].iloc[1])  # 0 / 0.5 / -1; missing


def test_a_domain_the_file_marks_warning_is_reported_and_computed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`input t > 0 warning`: B's t = -2 is named (KZF111) and u is still computed there,
    0.5 / -2 = -0.25 worked by hand; A's 1 / 4 = 0.25."""
    (tmp_path / "f.kzf").write_text(
        "dims entity\ninput t > 0 warning, s\nu = s / t\n", encoding="utf-8"
    )
    (tmp_path / "d.csv").write_text("entity,t,s\nA,4,1\nB,-2,0.5\n", encoding="utf-8")
    status = main(["eval", str(tmp_path / "f.kzf"), "--data", str(tmp_path / "d.csv")])
    out, err = capsys.readouterr()
    assert status == 0
    assert out.splitlines()[1:] == ["A,0.25", "B,-0.25"]
    assert (
        "d.csv: input 't' is declared > 0, but 1 value(s) of the data are not: row 3 (B) = -2"
    ) in err
    assert "f.kzf:2:7: warning[KZF111]" in err
    assert "the proofs made from this domain do not hold on these rows" in err


@pytest.mark.parametrize(("value", "assumed"), [("0", "(0, ∞)"), ("-5", "(0, ∞)")])
def test_a_param_given_outside_what_the_checks_assumed_is_checked_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str, assumed: str
) -> None:
    """`param T = 60` lets the checker take T > 0 and prove `s / T` and `ln(T)` safe. With
    --param T=0 or T=-5 the proofs no longer hold: the checks run again and say so."""
    (tmp_path / "f.kzf").write_text(
        "dims entity\ninput s\nparam T = 60\nu = s / T\nv = ln(T)\n", encoding="utf-8"
    )
    (tmp_path / "d.csv").write_text("entity,s\nA,1\n", encoding="utf-8")
    args = ["eval", str(tmp_path / "f.kzf"), "--data", str(tmp_path / "d.csv")]
    assert main(args) == 0
    assert "KZF311" not in capsys.readouterr().err  # 60: nothing to say
    assert main([*args, "--param", f"T={value}"]) == 0
    err = capsys.readouterr().err
    assert "f.kzf:5:8: warning[KZF311]: the argument of ln() must be > 0" in err
    assert f"with --param T = {value} (the checks assumed {assumed})" in err
    if value == "0":
        assert "f.kzf:4:9: warning[KZF310]: the denominator `T` may be 0" in err
