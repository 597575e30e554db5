"""kzf against hand-written pandas (the floor) on the same computations, side by side.

Run with:  pytest benchmarks --benchmark-enable --benchmark-group-by=param:rows
Compare the `kzf` and `pandas` rows of each group: the ratio is the cost of the DSL.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import kzf

EGDI = """
input osi, tii, hci
minmax(x) = (x - min(x over entity)) / (max(x over entity) - min(x over entity))
egdi = (minmax(osi) + minmax(tii) + minmax(hci)) / 3
place = rank(egdi over entity)
growth_pct = 100 * growth(egdi)
"""


def make_panel(rows: int) -> pd.DataFrame:
    years = 20
    entities = max(rows // years, 2)
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "entity": np.repeat([f"E{i:06d}" for i in range(entities)], years),
            "year": np.tile(np.arange(2000, 2000 + years), entities),
        }
    )
    for c in ("osi", "tii", "hci"):
        df[c] = rng.uniform(0, 1, len(df))
    return df


def pandas_egdi(df: pd.DataFrame) -> pd.DataFrame:
    out = df[["entity", "year"]].copy()
    parts = []
    for c in ("osi", "tii", "hci"):
        g = df.groupby("year")[c]
        lo, hi = g.transform("min"), g.transform("max")
        parts.append((df[c] - lo) / (hi - lo))
    out["egdi"] = (parts[0] + parts[1] + parts[2]) / 3
    out["place"] = out.groupby("year")["egdi"].rank(method="min", ascending=False)
    prev = out.groupby("entity")["egdi"].shift(1)
    out["growth_pct"] = 100 * (out["egdi"] / prev - 1)
    return out


@pytest.mark.parametrize("rows", [10_000, 1_000_000])
def test_egdi_kzf(benchmark, rows: int) -> None:  # type: ignore[no-untyped-def]
    df = make_panel(rows)
    prog = kzf.compile(EGDI)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = benchmark(prog.evaluate, df)
    want = pandas_egdi(df.sort_values(["entity", "year"]).reset_index(drop=True))
    np.testing.assert_allclose(result["egdi"], want["egdi"], rtol=1e-12)


@pytest.mark.parametrize("rows", [10_000, 1_000_000])
def test_egdi_pandas(benchmark, rows: int) -> None:  # type: ignore[no-untyped-def]
    df = make_panel(rows)
    benchmark(pandas_egdi, df)


def test_compile_egdi(benchmark) -> None:  # type: ignore[no-untyped-def]
    benchmark(kzf.compile, EGDI)
