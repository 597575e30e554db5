"""Units: the formula (4) trap (bn KZT next to mln USD), scales, percent, declared units.

Every expected unit and factor below is worked out by hand from the unit rule of
docs/units.md, not taken from kzf's output.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import kzf
from kzf.engine.checks.units import format_unit, parse_unit
from kzf.engine.cli.main import main

# Table 3 of the dissertation, as the author's units: ICTC and R&D in bn KZT, ICTPS and VIP in
# mln KZT, trade in mln USD, the official rate in KZT per USD.
INPUTS = """\
dims year
input ICTC : bn KZT > 0, RD : bn KZT >= 0, ICTPS : mln KZT >= 0, VIP : mln KZT > 0
input ExpICTG : mln USD >= 0, ImpICTG : mln USD >= 0, rate : KZT/USD > 0
"""
# Formula (4) as reverse-engineered (formulas.md §0.1): every term in mln KZT.
RIGHT = INPUTS + (
    "K = (ICTC * 1000 + RD * 1000 + ImpICTG * rate) / (ICTPS + VIP + ExpICTG * rate)\n"
)
# The trap: ICTC in bn KZT added to imports in mln USD, with neither converted.
WRONG = INPUTS + "K = (ICTC + RD * 1000 + ImpICTG) / (ICTPS + VIP + ExpICTG * rate)\n"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(args)
    out, err = capsys.readouterr()
    return status, out, err


def write(tmp_path: Path, text: str, name: str = "f.kzf") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_formula_4_as_the_author_computed_it_checks_cleanly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(["check", "--strict", "--units", str(write(tmp_path, RIGHT))], capsys)
    assert status == 0, err
    # mln KZT / mln KZT: a plain ratio; both ×1000 are read as bn → mln conversions
    assert "  K  1\n" in out
    assert out.count("×1000: bn KZT → mln KZT") == 2


def test_formula_4_trap_bn_kzt_next_to_mln_usd_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = write(tmp_path, WRONG)
    status, _, err = run(["check", str(f)], capsys)
    assert status == 2
    # line 4 is the definition; `K = (ICTC + RD * 1000 + ImpICTG) / ...`
    # The three terms are bn KZT, mln KZT and mln USD. Both sides and their units are named.
    assert "error[KZF030]" in err
    assert "`ICTC` is in bn KZT" in err and "mln KZT" in err
    assert "multiply `ICTC` by 1000" in err  # 1 bn = 1000 mln: the factor is shown
    assert "`ImpICTG` is in mln USD" in err
    assert "a rate in KZT/USD" in err  # the exchange-rate hint for the currency mismatch
    assert f"{f}:4:" in err
    # and eval refuses it as well, with the same exit status
    status, _, err = run(["eval", str(f), "--data", "nothing.csv"], capsys)
    assert status == 2 and "KZF030" in err


def test_each_unconverted_term_is_reported_at_its_own_span() -> None:
    with pytest.raises(kzf.ProgramError) as info:
        kzf.compile(INPUTS + "C = ICTC + ImpICTG * rate + RD * 1000\n", path="c.kzf")
    errors = [d for d in info.value.diagnostics if d.code == "KZF030"]
    assert len(errors) == 1
    d = errors[0]
    assert (d.span.line, d.span.column) == (4, 5)  # `ICTC`, the odd one out of three terms
    assert "multiply `ICTC` by 1000 to convert bn KZT to mln KZT" in d.message


def test_scale_conversions_by_literal_factors() -> None:
    prog = kzf.compile(
        INPUTS
        + "a = ICTC * 1000\n"  # bn → mln
        + "b = VIP / 1000\n"  # mln → bn
        + "c = ICTC + VIP / 1000\n"  # bn + bn
        + "d = 100 * ICTC / (VIP / 1000)\n"  # bn/bn × 100: percent
        + "e = 2 * ICTC\n"  # 2 is not a conversion: still bn KZT
        + "f = (ICTC + RD) / 2\n"  # a mean: bn KZT
        + "g = ImpICTG * rate\n"  # mln USD × KZT/USD = mln KZT
        + "h = 1000 * ICTC / VIP\n"  # bn/mln is a ratio in thousands; × 1000 gives the ratio
        + "i = ICTC / VIP\n"  # bn / mln: a ratio in thousands
    )
    from kzf.engine.checks.units import infer_units

    r = infer_units(prog.checked)
    assert r.describe("a") == "mln KZT"
    assert r.describe("b") == "bn KZT"
    assert r.describe("c") == "bn KZT"
    assert r.describe("d") == "%"
    assert r.describe("e") == "bn KZT"
    assert r.describe("f") == "bn KZT"
    assert r.describe("g") == "mln KZT"
    assert r.describe("h") == "1"
    assert r.describe("i") == "thousand"


def test_percent_is_not_a_plain_ratio() -> None:
    with pytest.raises(kzf.ProgramError) as info:
        kzf.compile("input a : %, b : persons, c : persons\nx = a + b / c\n", path="p.kzf")
    (d,) = [d for d in info.value.diagnostics if d.code == "KZF030"]
    assert "multiply `b / c` by 100" in d.message  # ratio → percent


def test_unknown_units_never_cause_errors() -> None:
    # inputs without units: nothing can be said, so nothing is reported
    kzf.compile("input a, b : bn KZT\nx = a + b\ny = a / lag(a) - 1\n")


def test_comparisons_if_branches_and_min_max_need_one_unit() -> None:
    head = "input a : mln KZT, b : mln USD\n"
    for body in ("x = if(a > 0, a, b)", "x = max(a, b)", "x = a > b", "x = clamp(a, 0, b)"):
        with pytest.raises(kzf.ProgramError) as info:
            kzf.compile(head + body + "\n")
        assert info.value.code == "KZF030", body


def test_literals_and_unitless_params_take_the_unit_they_meet() -> None:
    kzf.compile("input a : mln KZT\nparam floor = 5\nx = if(a > 0, a, 0) + floor\ny = a > 100\n")


def test_declared_unit_of_a_definition() -> None:
    kzf.compile(INPUTS + "C : mln KZT = ICTC * 1000 + ImpICTG * rate\n")
    with pytest.raises(kzf.ProgramError) as info:
        kzf.compile(INPUTS + "C : mln KZT = ICTC + RD\n", path="d.kzf")
    assert info.value.code == "KZF031"
    assert "declared in mln KZT but computes bn KZT; multiply by 1000" in str(info.value)
    with pytest.raises(kzf.ProgramError) as info:
        kzf.compile(INPUTS + "K : ratio = ImpICTG / VIP\n")
    assert info.value.code == "KZF031"


def test_declared_units_flow_into_the_definitions_that_use_them() -> None:
    # `share` has an unknown unit (x has none); declaring it % makes `y` a percent sum
    kzf.compile("input x, total\nshare : % = x\ny = share + 100 * x / total\n")


def test_a_misspelt_unit_word_is_a_warning() -> None:
    prog = kzf.compile("input a : mnl KZT\nx = a\n")
    (d,) = [d for d in prog.diagnostics if d.code == "KZF302"]
    assert "unknown unit word 'mnl'" in d.message and "did you mean 'mn" in d.message


def test_allow_excuses_a_unit_error_only_for_a_named_definition() -> None:
    text = INPUTS + 'bad = ICTC + VIP\nallow KZF030 bad "kept as printed"\n'
    kzf.compile(text)
    with pytest.raises(kzf.ProgramError) as info:
        kzf.compile(INPUTS + 'bad = ICTC + VIP\nallow KZF030 "kept as printed"\n')
    assert info.value.code == "KZF023"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("bn KZT", "bn KZT"),
        ("KZT/USD", "KZT/USD"),
        ("KZT per capita", "KZT/person"),
        ("thousand persons", "thousand person"),
        ("mln KZT/(thousand persons)", "thousand KZT/person"),  # 10^6 / 10^3
        ("%", "%"),
        ("percent", "%"),
        ("index", "1"),
        ("rank", "1"),
        ("countries", "1"),
        ("minutes", "min"),
        ("тг", "KZT"),
        ("млрд тенге", "bn KZT"),
        ("years", "year"),
    ],
)
def test_unit_text(text: str, shown: str) -> None:
    assert format_unit(parse_unit(text).unit) == shown
