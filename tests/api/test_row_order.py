"""`prog.evaluate(df)` keeps the caller's rows: their order and their index.

The obvious way to use the API, `df["y"] = prog.evaluate(df)["y"]`, aligns on the index. If
the results came back sorted by the dimensions with a fresh RangeIndex, every frame not
already sorted that way would silently get its values on the wrong rows. The expected values
below are worked out by hand for each row of the caller's frame, as the caller wrote it.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

import kzf

PROGRAM = "input x\ny = 10 * x\ng = growth(x)\n"

# Two countries, two years, written in an order that is not sorted by (entity, year):
# A: 2020 -> 1, 2021 -> 3 (growth 2.0); B: 2020 -> 2, 2021 -> 4 (growth 1.0).
SHUFFLED = pd.DataFrame(
    {
        "entity": ["B", "A", "B", "A"],
        "year": [2021, 2020, 2020, 2021],
        "x": [4.0, 1.0, 2.0, 3.0],
    },
    index=[10, 11, 12, 13],
)
Y = [40.0, 10.0, 20.0, 30.0]  # 10 * x, row by row as written
G = [1.0, math.nan, math.nan, 2.0]  # B 2021 = 4/2 - 1; the 2020 rows have no year before


def _evaluate(df: pd.DataFrame, **kw: object) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kzf.KzfWarning)
        return kzf.compile(PROGRAM).evaluate(df, **kw)  # type: ignore[arg-type]


def _same(got: pd.Series, want: list[float]) -> None:
    np.testing.assert_array_equal(got.to_numpy(dtype=float), np.array(want), strict=True)


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_results_come_back_in_the_callers_order_with_the_callers_index(engine: str) -> None:
    out = _evaluate(SHUFFLED, engine=engine)
    assert list(out.index) == [10, 11, 12, 13]
    assert list(out["entity"]) == ["B", "A", "B", "A"]
    assert list(out["year"]) == [2021, 2020, 2020, 2021]
    _same(out["y"], Y)
    _same(out["g"], G)


def test_the_obvious_assignment_puts_each_value_on_its_own_row() -> None:
    df = SHUFFLED.copy()
    out = _evaluate(df)
    df["y"] = out["y"]
    df["g"] = out["g"]
    _same(df["y"], Y)
    _same(df["g"], G)


def test_a_multiindex_frame_keeps_its_multiindex() -> None:
    df = SHUFFLED.set_index(["entity", "year"])
    out = _evaluate(df)
    assert list(out.index) == [("B", 2021), ("A", 2020), ("B", 2020), ("A", 2021)]
    assert out.index.names == ["entity", "year"]
    df["y"] = out["y"]
    _same(df["y"], Y)


def test_a_frame_with_duplicate_index_labels_keeps_them_in_place() -> None:
    df = SHUFFLED.set_axis([7, 7, 8, 8], axis=0)
    out = _evaluate(df)
    assert list(out.index) == [7, 7, 8, 8]
    df["y"] = out["y"].to_numpy()  # duplicate labels: assign by position, which now matches
    _same(df["y"], Y)


def test_where_keeps_the_callers_labels_of_the_rows_it_keeps() -> None:
    out = _evaluate(SHUFFLED, where="year = 2021")
    assert list(out.index) == [10, 13]  # B 2021 and A 2021, in the caller's order
    _same(out["y"], [40.0, 30.0])


def test_a_sorted_frame_comes_back_as_it_was() -> None:
    df = SHUFFLED.sort_values(["entity", "year"])  # index 11, 13, 12, 10
    out = _evaluate(df)
    assert list(out.index) == [11, 13, 12, 10]
    _same(out["y"], [10.0, 30.0, 20.0, 40.0])


def test_forecast_years_follow_the_callers_rows() -> None:
    # y = 1 + 2 * year exactly, so the forecast for 2023 is 4047 (with a zero-width interval
    # it would be the same; only the placing of the rows is checked here).
    text = "input y\nt = year\nmodel m = ols(y ~ t)\nforecast y_hat = m to 2023 with t = t\n"
    df = pd.DataFrame(
        {
            "entity": ["A"] * 4,
            "year": [2021, 2019, 2022, 2020],
            "y": [4043.0, 4039.0, 4045.0, 4041.1],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = kzf.compile(text).evaluate(df)
    assert list(out["year"]) == [2021, 2019, 2022, 2020, 2023]  # the added year comes last
    assert list(out.index) == [0, 1, 2, 3, 4]  # a RangeIndex numbered on
    _same(out["t"], [2021.0, 2019.0, 2022.0, 2020.0, 2023.0])


def test_a_long_frame_cannot_be_traced_row_by_row_and_stays_sorted() -> None:
    long = pd.DataFrame(
        {
            "entity": ["B", "A", "B", "A"],
            "year": [2020, 2020, 2021, 2021],
            "indicator": ["x", "x", "x", "x"],
            "value": [2.0, 1.0, 4.0, 3.0],
        }
    )
    out = _evaluate(long)
    assert list(zip(out["entity"], out["year"], strict=True)) == [
        ("A", 2020), ("A", 2021), ("B", 2020), ("B", 2021)
    ]  # fmt: skip
    _same(out["y"], [10.0, 30.0, 20.0, 40.0])


def test_a_row_wise_program_reads_each_row_alone_and_keeps_the_callers_labels() -> None:
    """An element-wise program's values come from their own rows only, so its rows are not
    sorted or checked for repeated keys (they cannot change a value); the dims come back
    exactly as the caller wrote them, stray spaces included."""
    df = pd.DataFrame(
        {"entity": ["B ", "A", "A"], "year": [2021, 2020, 2020], "x": [4.0, 1.0, 2.0]},
        index=["r1", "r2", "r3"],
    )
    out = _evaluate(df, select=["y"])
    assert list(out.index) == ["r1", "r2", "r3"]
    assert list(out["entity"]) == ["B ", "A", "A"]
    _same(out["y"], [40.0, 10.0, 20.0])  # 10 * x, row by row


def test_a_repeated_key_still_stops_a_program_that_reads_across_rows() -> None:
    df = pd.DataFrame({"entity": ["A", "A"], "year": [2020, 2020], "x": [1.0, 2.0]})
    with pytest.raises(kzf.DataError, match=r"duplicate row for \(A, 2020\): rows 1 and 2"):
        _evaluate(df, select=["g"])
