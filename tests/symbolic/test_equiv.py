"""Equivalence: `assert same(a, b)` at check time and `kzf check --equiv A:a B:b`.

Expected values are computed by hand: formula (5) as printed,
100·(T1·N − T2·N/T1·N), at T1 = 60, T2 = 5, N = 100 is 100·(6000 − 833.33…) = 516 666.67;
the intended 100·(T1·N − T2·N)/(T1·N) is 100·5500/6000 = 91.67.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import kzf
from kzf.engine.cli.main import main

F5 = """\
param T1 = 60
param T2 = 5
param N = 100
E = 100 * (T1 * N - T2 * N) / (T1 * N)
E_printed = 100 * (T1 * N - T2 * N / T1 * N)
E_short = 100 * (1 - T2 / T1)
"""


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(args)
    out, err = capsys.readouterr()
    return status, out, err


def test_formula_5_as_printed_is_not_the_intended_formula() -> None:
    with pytest.raises(kzf.ProgramError) as info:
        kzf.compile(F5 + "assert same(E, E_printed)\n", path="f5.kzf")
    (d,) = info.value.diagnostics
    assert d.code == "KZF033" and (d.span.line, d.span.column) == (7, 1)
    assert "`E` and `E_printed` are not the same formula" in d.message
    (note,) = d.notes
    # the params' values are tried first: the text's own example is the counterexample
    assert "T1 = 60" in note and "T2 = 5" in note and "N = 100" in note
    assert "E = 91.66666667" in note and "E_printed = 516666.6667" in note


def test_assert_not_same_holds_and_assert_same_of_equal_forms_passes() -> None:
    prog = kzf.compile(F5 + "assert not same(E, E_printed)\nassert same(E, E_short)\n")
    assert prog.diagnostics == []
    with pytest.raises(kzf.ProgramError) as info:
        kzf.compile(F5 + "assert not same(E, E_short)\n")
    assert info.value.code == "KZF033" and "are the same formula (proved)" in str(info.value)


def test_formulas_1_2_3_are_one_formula_up_to_renaming(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "f1.kzf").write_text("input ЭӘ, Ш > 0\nЭТ = ЭӘ / Ш\n", encoding="utf-8")
    (tmp_path / "f2.kzf").write_text(
        "input Нәтиже, шығындар > 0\nТиімділік = Нәтиже / шығындар\n", encoding="utf-8"
    )
    (tmp_path / "f3.kzf").write_text("input R, TC > 0\nЭТ = R / TC\n", encoding="utf-8")
    (tmp_path / "inverse.kzf").write_text("input R, TC > 0\nK = TC / R\n", encoding="utf-8")
    status, out, _ = run(
        ["check", "--equiv", f"{tmp_path}/f1.kzf:ЭТ", f"{tmp_path}/f3.kzf:ЭТ"], capsys
    )
    assert status == 0 and out.startswith("same:")
    assert "R ↔ ЭӘ" in out and "TC ↔ Ш" in out
    status, out, _ = run(
        ["check", "--equiv", f"{tmp_path}/f2.kzf:Тиімділік", f"{tmp_path}/f1.kzf:ЭТ"], capsys
    )
    assert status == 0 and out.startswith("same:")
    # Table 5's cost/result is the inverse, not the same formula (formulas.md §0.2)
    status, out, _ = run(
        ["check", "--equiv", f"{tmp_path}/f1.kzf:ЭТ", f"{tmp_path}/inverse.kzf:K"], capsys
    )
    assert status == 1 and out.startswith("differ:") and "counterexample:" in out


def test_equiv_prints_the_counterexample_for_formula_5(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "f5.kzf"
    f.write_text(F5, encoding="utf-8")
    status, out, _ = run(["check", "--equiv", f"{f}:E_printed", f"{f}:E"], capsys)
    assert status == 1
    assert out.startswith(f"differ: {f}:E_printed and {f}:E")
    assert (
        "counterexample: T1 = 60, N = 100, T2 = 5: E_printed = 516666.6667, E = 91.66666667" in out
    )


def test_same_functions_compared_by_position() -> None:
    text = (
        "f(a, b) = (a - b) / a\n"
        "g(x, y) = 1 - y / x\n"
        "h(x, y) = 1 - x / y\n"
        "assert same(f, g)\n"
        "assert not same(f, h)\n"
    )
    prog = kzf.compile(text)
    assert [d.code for d in prog.diagnostics] == []


def test_aggregates_are_opaque_but_structural() -> None:
    text = (
        "input osi, tii, hci\n"
        "minmax(x) = (x - min(x over entity)) / (max(x over entity) - min(x over entity))\n"
        'allow KZF310 minmax "test"\n'
        "egdi = (minmax(osi) + minmax(tii) + minmax(hci)) / 3\n"
        "egdi2 = minmax(osi) / 3 + minmax(tii) / 3 + minmax(hci) / 3\n"
        "egdi3 = (minmax(osi) + minmax(tii) + minmax(osi)) / 3\n"
        "assert same(egdi, egdi2)\n"
        "assert not same(egdi, egdi3)\n"
        "assert not same(sum(osi over entity), sum(osi over year))\n"
    )
    assert kzf.compile(text).diagnostics == []


def test_a_pathological_assertion_degrades_instead_of_hanging() -> None:
    big = " * ".join(f"(a{i} + b{i})" for i in range(24))
    inputs = "input " + ", ".join(f"a{i}, b{i}" for i in range(24)) + "\n"
    text = (
        inputs
        + f"x = {big}\ny = {big} + 0\nassert same(x, y)\nz = ({big})^3\n"
        + (f"w = ({big}) * ({big}) * ({big})\nassert same(z, w)\n")
    )
    started = time.perf_counter()
    prog = kzf.compile(text)
    assert time.perf_counter() - started < 5
    assert {d.code for d in prog.diagnostics} <= {"KZF330"}
