"""`prog.evaluate` takes the tables embedding tools hold, Polars and Arrow, and gives the same
kind back, rows in the caller's order.

Expected values are worked out by hand for each row as written:
two countries, two years, in an order not sorted by (entity, year);
a: 2020 -> 1, 2021 -> 3 (growth 3/1 - 1 = 2); b: 2020 -> 1, 2021 -> 2 (growth 1);
share of the year's total: 2020 total 2 (a 0.5, b 0.5), 2021 total 5 (b 0.4, a 0.6).
"""

from __future__ import annotations

import math
import warnings

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import kzf
from kzf.dsl.diagnostics import UsageError

PROGRAM = "dims entity, year\ninput x\ng = growth(x)\ns = x / sum(x over entity)\n"
ROWS = {"entity": ["b", "a", "b", "a"], "year": [2021, 2020, 2020, 2021], "x": [2.0, 1.0, 1.0, 3.0]}
G = [1.0, None, None, 2.0]
S = [0.4, 0.5, 0.5, 0.6]


def _evaluate(data: object) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kzf.KzfWarning)
        return kzf.compile(PROGRAM).evaluate(data)


def _close(got: list[float | None], want: list[float | None]) -> bool:
    return all(
        (g is None and w is None) or (g is not None and w is not None and math.isclose(g, w))
        for g, w in zip(got, want, strict=True)
    )


def test_a_polars_frame_gives_a_polars_frame_in_the_callers_order() -> None:
    out = _evaluate(pl.DataFrame(ROWS))
    assert isinstance(out, pl.DataFrame)
    assert out.columns == ["entity", "year", "g", "s"]
    assert out["entity"].to_list() == ROWS["entity"]
    assert out["year"].to_list() == ROWS["year"]
    assert _close(out["g"].to_list(), G)  # a missing value is Polars' null, not NaN
    assert _close(out["s"].to_list(), S)


def test_an_arrow_table_gives_an_arrow_table() -> None:
    out = _evaluate(pa.table(ROWS))
    assert isinstance(out, pa.Table)
    assert out.column("entity").to_pylist() == ROWS["entity"]
    assert _close(out.column("g").to_pylist(), G)
    assert _close(out.column("s").to_pylist(), S)


def test_a_record_batch_and_a_pycapsule_stream_give_arrow_tables() -> None:
    class Stream:  # any producer of the Arrow PyCapsule stream interface
        def __init__(self, table: pa.Table) -> None:
            self.table = table

        def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
            return self.table.__arrow_c_stream__(requested_schema)

    batch = pa.record_batch(ROWS)
    for data in (batch, Stream(pa.table(ROWS))):
        out = _evaluate(data)
        assert isinstance(out, pa.Table)
        assert _close(out.column("s").to_pylist(), S)


def test_pandas_callers_still_get_pandas_with_their_index() -> None:
    df = pd.DataFrame(ROWS, index=[7, 8, 9, 10])
    out = _evaluate(df)
    assert isinstance(out, pd.DataFrame)
    assert list(out.index) == [7, 8, 9, 10]
    assert list(out["s"]) == pytest.approx(S)


def test_text_dims_from_polars_arrive_as_text_not_objects() -> None:
    prog = kzf.compile(PROGRAM)
    panel = prog.panel(pl.DataFrame(ROWS).to_pandas())
    result = prog.run(pl.DataFrame(ROWS))
    assert isinstance(result.frame, pd.DataFrame)  # run() always gives pandas
    assert list(result.frame["s"]) == pytest.approx(S)
    assert len(panel.frame) == 4


def test_a_lazy_frame_is_refused_with_the_fix() -> None:
    with pytest.raises(UsageError, match="collect"):
        _evaluate(pl.DataFrame(ROWS).lazy())


def test_something_that_is_not_a_table_is_refused() -> None:
    with pytest.raises(UsageError, match="cannot read a dict"):
        _evaluate({"x": [1.0]})
