"""Hand-picked programs: kzf, the reference evaluator (reference.py) and the value
docs/language.md states must all agree.

The strict xfails pin discrepancies of kzf with docs/language.md found by the property test
(test_random_programs.py); each states the documented value. Fixing the engine turns the
xfail into a failure (XPASS): then remove the mark and the matching exclusion there.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from kzf.engine.api.program import compile as kzf_compile

NAN = math.nan


import kzf_property_reference as reference  # noqa: E402 - registered by tests/conftest.py


def panel(rows: list[tuple], columns: str = "x") -> pd.DataFrame:
    """rows of (entity, year, value...) for the inputs named in `columns`."""
    names = ["entity", "year", *columns.replace(",", " ").split()]
    return pd.DataFrame(rows, columns=names)


def as_float(column: pd.Series) -> np.ndarray:
    return column.astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)


def kzf_values(text: str, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    got = kzf_compile(text).run(frame).frame.sort_values(["entity", "year"])
    return {c: as_float(got[c]) for c in got.columns if c not in ("entity", "year")}


def reference_values(text: str, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    want = reference.evaluate(text, frame).sort_values(["entity", "year"])
    return {c: np.asarray(want[c], dtype=np.float64) for c in want.columns[2:]}


def same(a: ArrayLike, b: ArrayLike) -> bool:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(
        np.all(np.isclose(a, b, rtol=1e-9, atol=1e-12) | (np.isnan(a) & np.isnan(b)))
    )


def check(text: str, frame: pd.DataFrame, expected: dict[str, list[float] | list[int]]) -> None:
    """The reference gives the documented values, and kzf gives what the reference gives.
    `expected` lists values in (entity, year) order."""
    ref = reference_values(text, frame)
    for name, values in expected.items():
        assert same(ref[name], values), f"reference {name}: {ref[name]} != {values}"
    got = kzf_values(text, frame)
    assert set(got) == set(ref)
    for name in ref:
        assert same(got[name], ref[name]), f"kzf {name}: {got[name]} != {ref[name]}"


ONE_ROW = panel([("E1", 2000, 1.0)])


def test_power_binds_tighter_than_minus_and_groups_to_the_right() -> None:
    text = (
        "param a = 2\n"
        "minus_four = -a^2\n"
        "five_hundred_twelve = a^(a + 1)^a\n"
        "positive_four = (-a)^2\n"
        "literal = -2^2 + 2^3^2\n"
    )
    check(
        text,
        ONE_ROW,
        {
            "minus_four": [-4],
            "five_hundred_twelve": [512],
            "positive_four": [4],
            "literal": [508],
        },
    )


def test_rank_ties_share_the_lowest_rank_and_missing_values_get_none() -> None:
    frame = panel(
        [("A", 2000, 9.0), ("B", 2000, 7.0), ("C", 2000, 7.0), ("D", 2000, 1.0), ("E", 2000, NAN)]
    )
    text = "input x\nr = rank(x over entity)\nr_small = rank(-x over entity)\n"
    check(text, frame, {"r": [1, 2, 2, 4, NAN], "r_small": [4, 2, 2, 1, NAN]})


def test_rank_with_where_ranks_only_the_kept_rows() -> None:
    frame = panel([("A", 2000, 9.0), ("B", 2000, 7.0), ("C", 2000, 8.0)])
    check(
        'input x\nr = rank(x over entity where entity != "A")\n',
        frame,
        {"r": [NAN, 2, 1]},
    )


def test_aggregates_skip_missing_values() -> None:
    frame = panel(
        [
            ("E1", 2000, 4.0),
            ("E1", 2001, NAN),
            ("E1", 2002, 1.0),
            ("E1", 2003, 3.0),
            ("E1", 2004, 2.0),
            ("E2", 2000, NAN),
            ("E2", 2001, NAN),
            ("E2", 2002, 5.0),
        ]
    )
    text = (
        "input x\n"
        "s = sum(x over year)\n"
        "m = mean(x over year)\n"
        "n = count(x over year)\n"
        "md = median(x over year)\n"
        "v = var(x over year)\n"
        "sd = std(x over year)\n"
        "f = first(x over year)\n"
        "l = last(x over year)\n"
        "lo = min(x over year)\n"
        "hi = max(x over year)\n"
    )
    check(
        text,
        frame,
        {
            "s": [10] * 5 + [5] * 3,
            "m": [2.5] * 5 + [5] * 3,
            "n": [4] * 5 + [1] * 3,
            "md": [2.5] * 5 + [5] * 3,
            "v": [5 / 3] * 5 + [NAN] * 3,  # ddof = 1; one value has no variance
            "sd": [math.sqrt(5 / 3)] * 5 + [NAN] * 3,
            "f": [4] * 5 + [5] * 3,
            "l": [2] * 5 + [5] * 3,
            "lo": [1] * 5 + [5] * 3,
            "hi": [4] * 5 + [5] * 3,
        },
    )


def test_aggregates_of_no_values() -> None:
    frame = panel([("E1", 2000, NAN), ("E1", 2001, 1.0), ("E2", 2000, NAN)])
    text = (
        "input x\n"
        "s = sum(x over year where year > 2001)\n"
        "n = count(x over year where year > 2001)\n"
        "m = mean(x over entity)\n"
        "n_e = count(x over entity)\n"
    )
    check(
        text,
        frame,
        {"s": [NAN] * 3, "n": [0] * 3, "m": [NAN, 1, NAN], "n_e": [0, 1, 0]},
    )


def test_where_filters_rows_and_the_result_is_broadcast() -> None:
    rows = []
    for entity, base in (("E1", 1.0), ("E2", 10.0)):
        for year, c, r in ((2015, 1, 1), (2016, 2, 2), (2017, 3, 0), (2018, 4, 4)):
            rows.append((entity, year, c * base, float(r)))
    frame = panel(rows, "c r")
    text = (
        "input c, r\n"
        "before = sum(c over year where year in 2010..2016) / sum(r over year where year in 2010..2016)\n"
        "after = sum(c over year where year >= 2017 and r > 0) / sum(r over year where year >= 2017 and r > 0)\n"
        "share = c / sum(c over entity)\n"
    )
    check(
        text,
        frame,
        {
            "before": [1.0] * 4 + [10.0] * 4,
            "after": [1.0] * 4 + [10.0] * 4,
            "share": [1 / 11] * 4 + [10 / 11] * 4,
        },
    )


def test_minmax_normalisation_from_the_docs() -> None:
    frame = panel(
        [("A", 2000, 0.2, 0.5, 0.9), ("B", 2000, 0.6, 0.1, 0.3), ("C", 2000, 1.0, 0.3, 0.6)],
        "osi tii hci",
    )
    text = (
        "input osi, tii, hci\n"
        "minmax(x) = (x - min(x over entity)) / (max(x over entity) - min(x over entity))\n"
        "egdi = (minmax(osi) + minmax(tii) + minmax(hci)) / 3\n"
    )
    check(text, frame, {"egdi": [(0 + 1 + 1) / 3, (0.5 + 0 + 0) / 3, (1 + 0.5 + 0.5) / 3]})


def test_lag_and_lead_look_up_the_year_not_the_row() -> None:
    frame = panel([("E1", 2000, 1.0), ("E1", 2002, 3.0), ("E1", 2003, 4.0), ("E2", 2001, 10.0)])
    text = (
        "input x\n"
        "l1 = lag(x)\n"
        "l2 = lag(x, 2)\n"
        "l0 = lag(x, 0)\n"
        "f1 = lead(x)\n"
        "f2 = lead(x, 2)\n"
        "d = diff(x)\n"
        "g = growth(x)\n"
    )
    check(
        text,
        frame,
        {
            "l1": [NAN, NAN, 3, NAN],
            "l2": [NAN, 1, NAN, NAN],
            "l0": [1, 3, 4, 10],
            "f1": [NAN, 4, NAN, NAN],
            "f2": [3, NAN, NAN, NAN],
            "d": [NAN, NAN, 1, NAN],
            "g": [NAN, NAN, 1 / 3, NAN],
        },
    )


def test_missing_values_and_kleene_logic() -> None:
    frame = panel([("E1", 2000, 1.0, NAN), ("E2", 2000, -1.0, NAN), ("E3", 2000, 1.0, 1.0)], "x y")
    text = (
        "input x, y\n"
        "false_and_missing = x < 0 and y > 0\n"
        "true_or_missing = x > 0 or y > 0\n"
        "not_missing = not y > 0\n"
        "compare_missing = y = y\n"
        "if_missing = if(y > 0, 1, 2)\n"
        "arith = x + y\n"
        "power_nan = y^0\n"
        "power_one = 1^y\n"
        "elementwise = max(x, y)\n"
    )
    check(
        text,
        frame,
        {
            "false_and_missing": [0, NAN, 0],
            "true_or_missing": [1, NAN, 1],
            "not_missing": [NAN, NAN, 0],
            "compare_missing": [NAN, NAN, 1],
            "if_missing": [NAN, NAN, 1],
            "arith": [NAN, NAN, 2],
            "power_nan": [NAN, NAN, 1],
            "power_one": [NAN, NAN, 1],
            "elementwise": [NAN, NAN, 1],
        },
    )


def test_domain_errors_give_missing_values() -> None:
    frame = panel([("E1", 2000, 0.0), ("E2", 2000, -8.0), ("E3", 2000, 4.0)])
    text = (
        "input x\n"
        "inverse = 1 / x\n"
        "log = ln(x)\n"
        "log_ten = log10(x)\n"
        "root = sqrt(x)\n"
        "half = x^0.5\n"
        "cube = x^3\n"
        "negative_power = x^-1\n"
    )
    check(
        text,
        frame,
        {
            "inverse": [NAN, -1 / 8, 0.25],
            "log": [NAN, NAN, math.log(4)],
            "log_ten": [NAN, NAN, math.log10(4)],
            "root": [0, NAN, 2],
            "half": [0, NAN, 2],
            "cube": [0, -512, 64],
            "negative_power": [NAN, -0.125, 0.25],
        },
    )


def test_round_halves_away_from_zero_on_15_significant_digits() -> None:
    frame = panel(
        [("E1", 2000, 2.5), ("E2", 2000, -2.5), ("E3", 2000, 8.4608), ("E4", 2000, 2.675)]
    )
    text = (
        "input x\n"
        "r0 = round(x)\n"
        "r2 = round(x, 2)\n"
        "t1 = trunc(x, 1)\n"
        "published = round(1502.9 * 147.35, 2)\n"
        "negative_digits = round(x * 100, -2)\n"
    )
    check(
        text,
        frame,
        {
            "r0": [3, -3, 8, 3],
            "r2": [2.5, -2.5, 8.46, 2.68],
            "t1": [2.5, -2.5, 8.4, 2.6],
            "published": [221452.32] * 4,
            "negative_digits": [300, -300, 800, 300],
        },
    )


def test_clamp_if_and_user_functions() -> None:
    frame = panel([("E1", 2000, -3.0), ("E2", 2000, 0.5), ("E3", 2000, 7.0)])
    text = (
        "input x\n"
        "param top = 1\n"
        "unit(v) = clamp(v, 0, top)\n"
        "twice(v, w) = unit(v) + unit(w)\n"
        "bounded = unit(x)\n"
        "pair = twice(x, x / 7)\n"
        "sign = if(x > 0, 1, if(x < 0, -1, 0))\n"
        "inside = x in -3..0.5\n"
    )
    check(
        text,
        frame,
        {
            "bounded": [0, 0.5, 1],
            "pair": [0, 0.5 + 0.5 / 7, 2],
            "sign": [-1, 1, 1],
            "inside": [1, 1, 0],
        },
    )


def test_definitions_are_order_independent() -> None:
    frame = panel([("E1", 2000, 2.0), ("E1", 2001, 3.0)])
    check(
        "input x\nlater = earlier * 2\nearlier = x + sum(x over year)\n",
        frame,
        {"later": [14, 16], "earlier": [7, 8]},
    )


def test_row_order_of_the_data_does_not_matter() -> None:
    rows = [("E2", 2001, 4.0), ("E1", 2001, 2.0), ("E2", 2000, 3.0), ("E1", 2000, 1.0)]
    check(
        "input x\nl = lag(x)\nc = cumulative(x)\ncumulative(v) = sum(v over entity)\n",
        panel(rows),
        {"l": [NAN, 1, NAN, 3], "c": [4, 6, 4, 6]},
    )


# ---------------------------------------------------------------- known discrepancies


def test_between_is_two_comparisons_joined_by_and() -> None:
    # docs/language.md: `x in lo..hi` means `x >= lo and x <= hi` (Kleene logic), so a value
    # above the upper bound is outside the range whatever the missing lower bound is.
    frame = panel([("E1", 2000, 5.0, NAN), ("E2", 2000, -1.0, NAN)], "x lo")
    text = "input x, lo\ninside = x in lo..3\n"
    assert same(reference_values(text, frame)["inside"], [0, NAN])
    assert same(kzf_values(text, frame)["inside"], [0, NAN])


def test_an_aggregate_that_overflows_is_missing() -> None:
    frame = panel([("E1", 2000, 1e200), ("E2", 2000, -1e200)])
    text = "input x\nv = var(x over entity)\nc = clamp(var(x over entity), 0, 1)\n"
    assert same(reference_values(text, frame)["v"], [NAN, NAN])
    got = kzf_values(text, frame)
    assert same(got["v"], [NAN, NAN])  # kzf: [inf, inf]
    assert same(got["c"], [NAN, NAN])  # kzf: [1, 1]


def test_rounding_a_very_large_value_keeps_it() -> None:
    frame = panel([("E1", 2000, 1e307)])
    text = "input x\nr = round(x, 2)\nt = trunc(x, 2)\n"
    assert same(reference_values(text, frame)["r"], [1e307])
    got = kzf_values(text, frame)
    assert same(got["r"], [1e307])  # kzf: NaN
    assert same(got["t"], [1e307])  # kzf: NaN
