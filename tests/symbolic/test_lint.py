"""Methodology lint: weights that do not add up to 1, unused inputs, functions and imports,
and aggregates over a dimension the data does not vary along."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

import kzf


def codes(text: str) -> list[str]:
    return [d.code for d in kzf.compile(text, path="l.kzf").diagnostics]


DESI = "input c, h, u, i, d\n"


def test_weights_that_sum_to_0_95_are_reported() -> None:
    # 0.25 + 0.25 + 0.15 + 0.15 + 0.15 = 0.95 (DESI with the 0.20 of `i` mistyped as 0.15)
    prog = kzf.compile(
        DESI + "desi = 0.25*c + 0.25*h + 0.15*u + 0.15*i + 0.15*d\n", path="desi.kzf"
    )
    (w,) = prog.diagnostics
    assert w.code == "KZF320" and (w.span.line, w.span.column) == (2, 8)
    assert "add up to 0.95, not 1" in w.message


def test_weights_that_sum_to_1_are_silent() -> None:
    assert codes(DESI + "desi = 0.25*c + 0.25*h + 0.15*u + 0.20*i + 0.15*d\n") == []
    assert codes(DESI + "m = (c + h + u) / 3\n" + "unused = i + d\n") == []
    assert codes("input e, r, u, i\nnri = 0.25 * (e + r + u + i)\n") == []


def test_other_slips_of_a_weighted_mean() -> None:
    assert codes("input a, b, c\nm = (a + b + c) / 2\n") == ["KZF320"]  # 1.5
    assert codes("input a, b, c\nm = 100 * (0.3*a + 0.3*b + 0.3*c)\n") == ["KZF320"]  # 0.9
    assert codes("param wa = 0.5\nparam wb = 0.4\ninput a, b\nm = wa*a + wb*b\n") == [
        "KZF320"
    ]  # params count with their defaults: 0.9


def test_sums_conversions_and_regressions_are_not_weights() -> None:
    assert codes("input a, b\ns = a + b\n") == []
    assert codes("input a, b\ns = a / 1000 + b / 1000\n") == []
    assert codes("input x3, x4\ny = -152734.690 + 109869.120*x3 + 189882.725*x4\n") == []
    assert codes("input a, b\ns = 0.5*a - 0.5*b\n") == []


def test_unused_input_and_function() -> None:
    prog = kzf.compile("input a, wage\nf(x) = x + 1\ny = a * 2\n", path="u.kzf")
    found = {(d.code, d.span.line, d.span.column) for d in prog.diagnostics}
    assert found == {("KZF321", 1, 10), ("KZF322", 2, 1)}
    assert codes('input a, wage\ny = a * 2\nallow KZF321 "the wage column is not used"\n') == []


def test_unused_import(tmp_path: Path) -> None:
    (tmp_path / "lib.kzf").write_text("input x\nhelper = x * 2\n", encoding="utf-8")
    (tmp_path / "uses.kzf").write_text('import "lib.kzf"\ny = helper + 1\n', encoding="utf-8")
    (tmp_path / "idle.kzf").write_text('import "lib.kzf"\ninput z\ny = z + 1\n', encoding="utf-8")
    assert kzf.load(tmp_path / "uses.kzf").diagnostics == []
    (d,) = kzf.load(tmp_path / "idle.kzf").diagnostics
    assert d.code == "KZF322" and "nothing from 'lib.kzf' is used" in d.message


def test_aggregate_over_a_dimension_the_data_does_not_vary_along() -> None:
    prog = kzf.compile("input x\nplace = rank(x over entity)\ntotal = sum(x over year)\n")
    one_country = pd.DataFrame(
        {"entity": ["Kazakhstan"] * 3, "year": [2018, 2019, 2020], "x": [1.0, 2.0, 3.0]}
    )
    result = prog.run(one_country)
    (w,) = result.warnings
    assert w.code == "KZF323" and "single entity (Kazakhstan)" in w.message
    assert w.span is not None and w.span.line == 2
    two = pd.concat([one_country, one_country.assign(entity="Russia")])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert prog.run(two).warnings == []
