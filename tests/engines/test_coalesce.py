"""coalesce(a, b, ...): the first argument that is not missing, on every engine.

The expected values are written out by hand from the definition (docs/language.md,
"Functions"): row by row, the first of the arguments that is not missing, and missing only
where every argument is. The function is one entry of engine/core/builtins.py; these tests
check each thing that entry promises: the values on pandas, DuckDB and Spark, the argument
and unit checks, the domain rule, and how `kzf show` writes it.
"""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path

import pandas as pd
import pytest

import kzf
from kzf.engine.cli.main import main
from kzf.engine.core.builtins import BUILTINS, FUNCTIONS

NAN = math.nan

# Four countries, one year. `national` is missing for B and D, `wdi` for C and D.
PANEL = pd.DataFrame(
    {
        "entity": ["A", "B", "C", "D"],
        "year": [2020, 2020, 2020, 2020],
        "national": [1.5, NAN, 3.0, NAN],
        "wdi": [10.0, 20.0, NAN, NAN],
    }
)

PROGRAM = """
input national : mln USD, wdi : mln USD
gdp = coalesce(national, wdi)
gdp_or_zero = coalesce(national, wdi, 0)
wdi_first = coalesce(wdi, national)
# a computed argument, and a condition inside one
scaled = coalesce(national * 2, wdi / 10)
chosen = coalesce(if(national > 2, national, wdi), -1)
# the first not-missing argument counts, whatever its value
total = sum(coalesce(national, wdi) over entity)
"""

# Row by row (A, B, C, D), from the definition:
EXPECTED = {
    "gdp": [1.5, 20.0, 3.0, NAN],  # national, else wdi
    "gdp_or_zero": [1.5, 20.0, 3.0, 0.0],  # D has neither: the written 0
    "wdi_first": [10.0, 20.0, 3.0, NAN],  # the order of the arguments decides
    "scaled": [3.0, 2.0, 6.0, NAN],  # 1.5*2; 20/10; 3*2; neither
    # A: 1.5 > 2 is false -> wdi = 10; B: the condition is missing -> if() is missing -> -1;
    # C: 3 > 2 -> 3; D: missing -> -1
    "chosen": [10.0, -1.0, 3.0, -1.0],
    "total": [24.5] * 4,  # 1.5 + 20 + 3 (D is missing and skipped)
}


def _frame(engine: str) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("error", kzf.KzfWarning)  # coalesce warns about nothing here
        return kzf.compile(PROGRAM).evaluate(PANEL, engine=engine)


def test_coalesce_gives_the_first_value_that_is_not_missing_on_every_engine(
    engines: list[str],
) -> None:
    for engine in engines:
        out = _frame(engine).set_index("entity").loc[["A", "B", "C", "D"]]
        for name, want in EXPECTED.items():
            got = out[name].tolist()
            assert len(got) == len(want), (engine, name)
            for entity, g, w in zip("ABCD", got, want, strict=True):
                if math.isnan(w):
                    assert math.isnan(g), (engine, name, entity, g)
                else:
                    assert g == w, (engine, name, entity, g, w)


def _errors(text: str) -> list[kzf.Diagnostic]:
    with pytest.raises(kzf.KzfError) as info:
        kzf.compile(text)
    return [d for d in info.value.diagnostics if d.is_error]


def test_coalesce_takes_two_or_more_numbers() -> None:
    (d,) = _errors("input a\nx = coalesce(a)\n")
    assert d.code == "KZF013" and "coalesce() takes 2 to 99 arguments, got 1" in d.message
    (d,) = _errors("input a\nx = coalesce(a, entity)\n")
    assert d.code == "KZF017" and "an argument of coalesce() must be a number" in d.message
    (d,) = _errors("input a\nx = coalesce(a > 1, 0)\n")
    assert d.code == "KZF017" and "condition" in d.message


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(args)
    out, err = capsys.readouterr()
    return status, out, err


def test_the_arguments_of_coalesce_share_one_unit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (d,) = _errors("input a : mln KZT, b : bn KZT\nx = coalesce(a, b)\n")
    assert d.code == "KZF030"
    assert "cannot coalesce bn KZT and mln KZT" in d.message
    f = tmp_path / "f.kzf"
    f.write_text("input a : mln KZT, b : mln KZT\nx = coalesce(a, b, 0)\n", encoding="utf-8")
    status, out, _ = run(["check", "--units", str(f)], capsys)
    assert status == 0
    assert re.search(r"^\s*x\s+mln KZT\s*$", out, re.M), out  # the unit of its arguments


def _domain_warnings(text: str) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        prog = kzf.compile(text)
    found = [str(w.message) for w in caught] + [str(d) for d in prog.diagnostics]
    return [m for m in found if "KZF310" in m]


def test_coalesce_lies_within_its_arguments_for_the_domain_check() -> None:
    # both arguments are positive, so their coalesce is: the division is proved safe
    assert _domain_warnings("input a > 0, b > 0\nr = 1 / coalesce(a, b)\n") == []
    # b may be 0, and where a is missing the coalesce is b
    (message,) = _domain_warnings("input a > 0, b\nr = 1 / coalesce(a, b)\n")
    assert "coalesce(a, b)" in message and "b has no declared domain" in message


def test_show_and_equivalence_treat_coalesce_as_a_function_of_its_arguments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        "input a, b\n"
        "x = coalesce(a, b) + coalesce(a, b)\n"
        "y = coalesce(b, a)\n"
        "assert same(x, 2 * coalesce(a, b))\n"
        # where both are present one gives a, the other b: not the same formula
        "assert not same(coalesce(a, b), y)\n"
    )
    kzf.compile(text)  # raises if either assertion fails
    f = tmp_path / "f.kzf"
    f.write_text(text, encoding="utf-8")
    status, out, _ = run(["show", str(f)], capsys)
    assert status == 0 and "y = coalesce(b, a)" in out, out
    status, out, _ = run(["show", "--latex", str(f)], capsys)
    assert status == 0 and r"\operatorname{coalesce}" in out, out


def test_coalesce_is_one_builtin_entry() -> None:
    assert BUILTINS["coalesce"].kind.value == "function"
    assert FUNCTIONS["coalesce"].name == "coalesce"
