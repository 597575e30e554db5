"""Coverage: aggregates whose parts cover different rows are said, and present(x) and
missing(x) let a file say which rows it wants.

Three countries in 2020; B has a population but no GDP. By hand:
- sum(gdp) / sum(pop) = (10 + 30) / (1 + 2 + 3) = 6.666..., which divides two countries' GDP
  by three countries' population: KZF203 names (B, 2020);
- with `where present(...)` on both sides: (10 + 30) / (1 + 3) = 10, and no warning.
"""

from __future__ import annotations

import math
import warnings

import pandas as pd
import pytest

import kzf

NAN = math.nan
PANEL = pd.DataFrame(
    {
        "entity": ["A", "B", "C", "A", "B", "C"],
        "year": [2020, 2020, 2020, 2021, 2021, 2021],
        "gdp": [10.0, NAN, 30.0, 11.0, 22.0, 33.0],
        "pop": [1.0, 2.0, 3.0, 1.0, 2.0, 3.0],
    }
)


def test_a_ratio_of_sums_over_different_countries_warns_naming_the_rows(
    engines: list[str],
) -> None:
    prog = kzf.compile(
        "input gdp, pop > 0\nper_head = sum(gdp over entity) / sum(pop over entity)\n"
    )
    for engine in engines:
        result = prog.run(PANEL, engine=engine)
        (d,) = [w for w in result.warnings if w.code == "KZF203"]
        assert "'gdp' has no value in rows (B, 2020) where 'pop' has one" in d.message, engine
        assert (d.span.line, d.span.column) == (2, 12)
        got = result.frame["per_head"].tolist()
        assert math.isclose(got[0], 40 / 6) and math.isclose(got[3], 66 / 6), engine


def test_where_present_uses_only_the_rows_both_have_and_is_not_warned(
    engines: list[str],
) -> None:
    text = (
        "input gdp, pop > 0\n"
        "per_head = sum(gdp over entity where present(pop)) / sum(pop over entity where present(gdp))\n"
    )
    prog = kzf.compile(text)
    for engine in engines:
        result = prog.run(PANEL, engine=engine)
        assert [w for w in result.warnings if w.code == "KZF203"] == [], engine
        got = result.frame["per_head"].tolist()
        assert got[:3] == [10.0, 10.0, 10.0] and got[3:] == [11.0, 11.0, 11.0], engine


def test_present_and_missing_are_conditions_that_are_never_missing(engines: list[str]) -> None:
    text = (
        "input gdp\n"
        "has = present(gdp)\n"
        "lacks = missing(gdp)\n"
        "filled = if(missing(gdp), -1, gdp)\n"
        "counted = count(gdp over entity) + sum(if(present(gdp), 0, 1) over entity)\n"
    )
    for engine in engines:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", kzf.KzfWarning)
            out = kzf.compile(text).evaluate(PANEL, engine=engine)
        assert out["has"].tolist() == [True, False, True, True, True, True], engine
        assert out["lacks"].tolist() == [False, True, False, False, False, False], engine
        assert out["filled"].tolist() == [10.0, -1.0, 30.0, 11.0, 22.0, 33.0], engine
        assert out["counted"].tolist() == [3.0] * 6, engine  # 2 present + 1 missing, 3 + 0


def test_present_takes_a_number() -> None:
    with pytest.raises(kzf.ProgramError) as info:
        kzf.compile("input a\nx = present(entity)\n")
    assert info.value.diagnostics[0].code == "KZF017"
    with pytest.raises(kzf.ProgramError) as info:
        kzf.compile("input a\nx = present(a) + 1\n")
    assert info.value.diagnostics[0].code == "KZF017"  # a condition is not a number
