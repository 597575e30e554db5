"""Imputation and outlier treatment against pandas and scipy, and the notes that report them.

The rules (docs/composite.md) follow the OECD/JRC Handbook (2008, section 3) and COINr: an
indicator is treated when |skewness| > 2 and kurtosis > 3.5, by winsorising up to five values,
or else by a log transform."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import kzf

RNG = np.random.default_rng(7)


def gappy_panel() -> pd.DataFrame:
    years = list(range(2010, 2020))
    rows = []
    for e in "ABCD":
        for y in years:
            value = float(RNG.uniform(1, 10))
            if RNG.uniform() < 0.35:
                value = np.nan
            rows.append({"entity": e, "year": y, "x": value})
    df = pd.DataFrame(rows)
    df.loc[(df.entity == "D") & (df.year == 2012), "x"] = np.nan  # a gap in the middle
    df = df[~((df.entity == "C") & (df.year == 2015))]  # a year absent from the data
    return df.reset_index(drop=True)


def run(program: str, df: pd.DataFrame) -> kzf.Evaluation:
    return kzf.compile("input x\n" + program).run(df)


def test_fills_along_time_match_pandas() -> None:
    df = gappy_panel()
    result = run("p = fill_previous(x)\nn = fill_next(x)\ni = interpolate(x)\n", df)
    out = result.frame
    grouped = df.groupby("entity")["x"]
    np.testing.assert_array_equal(out["p"], grouped.ffill())
    np.testing.assert_array_equal(out["n"], grouped.bfill())
    expected = df.groupby("entity", group_keys=False).apply(
        lambda g: (
            g.set_index("year")["x"]
            .interpolate(method="index", limit_area="inside")
            .set_axis(g.index)
        )
    )
    np.testing.assert_allclose(out["i"], expected, rtol=1e-14)
    notes = [w for w in result.warnings if w.code == "KZF260"]
    assert {n.severity.value for n in notes} == {"note"}
    filled = int((df["x"].isna() & grouped.ffill().notna()).sum())
    assert any(f"fill_previous() imputed {filled} missing value(s)" in n.message for n in notes)


def test_fill_mean_and_median_across_entities_with_where() -> None:
    df = gappy_panel()
    out = run(
        "m = fill_mean(x over entity)\nmd = fill_median(x over entity)\n"
        'big = fill_mean(x over entity where entity != "A")\n',
        df,
    ).frame
    by_year = df.groupby("year")["x"]
    np.testing.assert_allclose(out["m"], df["x"].fillna(by_year.transform("mean")))
    np.testing.assert_allclose(out["md"], df["x"].fillna(by_year.transform("median")))
    donors = df["x"].where(df["entity"] != "A")
    np.testing.assert_allclose(
        out["big"], df["x"].fillna(donors.groupby(df["year"]).transform("mean"))
    )


def test_skew_and_kurt_are_the_bias_adjusted_sample_statistics() -> None:
    df = gappy_panel().dropna()
    out = run("s = skew(x over entity)\nk = kurt(x over entity)\n", df).frame
    for year, group in df.groupby("year"):
        rows = out["year"] == year
        v = group["x"].to_numpy()
        s = stats.skew(v, bias=False) if len(v) >= 3 else np.nan
        k = stats.kurtosis(v, bias=False) if len(v) >= 4 else np.nan
        np.testing.assert_allclose(out.loc[rows, "s"], s, rtol=1e-12, equal_nan=True)
        np.testing.assert_allclose(out.loc[rows, "k"], k, rtol=1e-12, equal_nan=True)


def _flagged(v: np.ndarray) -> bool:
    return abs(stats.skew(v, bias=False)) > 2 and stats.kurtosis(v, bias=False) > 3.5


def _winsorise_by_hand(v: np.ndarray, limit: int) -> tuple[np.ndarray, int]:
    """The rule as the handbook states it: while flagged, the largest value (for a positive
    skew) takes the next largest value's place; at most `limit` values change."""
    original = v
    v = v.copy()
    while _flagged(v) and np.sum(v != original) < limit:
        top = v.max()
        v[v == top] = v[v < top].max()
    return v, int(np.sum(v != original))


def cross_section(values: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {"entity": [f"E{i:02d}" for i in range(len(values))], "year": 2020, "x": values}
    )


def test_winsorise_replaces_the_outliers_until_skew_and_kurtosis_are_acceptable() -> None:
    values = [float(v) for v in range(1, 20)] + [60.0, 200.0]
    assert _flagged(np.array(values))
    df = cross_section(values)
    result = run("w = winsorise(x over entity)\n", df)
    expected, changed = _winsorise_by_hand(np.array(values), 5)
    assert changed >= 1 and not _flagged(expected)
    np.testing.assert_array_equal(result.frame["w"], expected)
    (note,) = [w for w in result.warnings if w.code == "KZF261"]
    assert f"winsorised {changed} outlying value(s)" in note.message
    assert note.severity.value == "note"


def test_treat_log_transforms_when_winsorising_is_not_enough() -> None:
    values = [1.0] * 30 + [5.0, 8.0, 13.0, 21.0, 34.0, 55.0, 89.0, 144.0, 233.0, 2000.0]
    winsorised, changed = _winsorise_by_hand(np.array(values), 3)
    assert changed == 3 and _flagged(winsorised)  # three points are not enough here
    df = cross_section(values)
    result = run("t = treat(x, 3 over entity)\nw = winsorise(x, 3 over entity)\n", df)
    np.testing.assert_array_equal(result.frame["w"], winsorised)
    np.testing.assert_allclose(result.frame["t"], np.log(values))  # all values are positive
    codes = sorted(w.code for w in result.warnings)
    assert codes == ["KZF261", "KZF262"]
    note = next(w for w in result.warnings if w.code == "KZF261")
    assert "still above the limits" in note.message


def test_unskewed_data_is_left_alone_and_nothing_is_reported() -> None:
    df = cross_section([float(v) for v in range(1, 21)])
    result = run("t = treat(x over entity)\n", df)
    np.testing.assert_array_equal(result.frame["t"], df["x"])
    assert result.warnings == []


def test_sql_engines_refuse_the_pandas_only_transforms() -> None:
    pytest.importorskip("duckdb")
    prog = kzf.compile("input x\nf = fill_previous(x)\n")
    with pytest.raises(kzf.UsageError, match="fill_previous\\(\\) runs only on the pandas engine"):
        prog.run(gappy_panel(), engine="duckdb")
