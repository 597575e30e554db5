"""Every construct of the language against values computed here with plain pandas/numpy."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import kzf


@pytest.fixture
def panel() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    entities = ["Armenia", "Belarus", "Kazakhstan", "Kyrgyzstan", "Russia"]
    years = list(range(2010, 2016))
    rows = [(e, y) for e in entities for y in years]
    df = pd.DataFrame(rows, columns=["entity", "year"])
    for col in ("osi", "tii", "hci", "c", "r"):
        df[col] = rng.uniform(0.1, 1.0, len(df))
    df.loc[3, "osi"] = np.nan  # one missing value
    return df


def run(text: str, df: pd.DataFrame, **kw: object) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kzf.KzfWarning)
        return kzf.compile(text).evaluate(df, **kw)  # type: ignore[arg-type]


def by_key(frame: pd.DataFrame, col: str) -> pd.Series:
    return frame.set_index(["entity", "year"])[col].sort_index()


def expected_series(df: pd.DataFrame, values: pd.Series | np.ndarray) -> pd.Series:
    s = pd.Series(
        np.asarray(values, dtype=float), index=pd.MultiIndex.from_frame(df[["entity", "year"]])
    )
    return s.sort_index()


def assert_same(got: pd.Series, want: pd.Series) -> None:
    np.testing.assert_allclose(
        got.to_numpy(float), want.to_numpy(float), rtol=1e-12, equal_nan=True
    )


def test_min_max_normalisation_over_entity(panel: pd.DataFrame) -> None:
    out = run(
        "input osi\nosi_n = (osi - min(osi over entity)) / (max(osi over entity) - min(osi over entity))",
        panel,
    )
    g = panel.groupby("year")["osi"]
    want = (panel["osi"] - g.transform("min")) / (g.transform("max") - g.transform("min"))
    assert_same(by_key(out, "osi_n"), expected_series(panel, want))


def test_user_function_and_order_independence(panel: pd.DataFrame) -> None:
    text = """
input osi, tii, hci
egdi = (minmax(osi) + minmax(tii) + minmax(hci)) / 3
minmax(x) = (x - min(x over entity)) / (max(x over entity) - min(x over entity))
"""
    out = run(text, panel)
    parts = []
    for col in ("osi", "tii", "hci"):
        g = panel.groupby("year")[col]
        parts.append((panel[col] - g.transform("min")) / (g.transform("max") - g.transform("min")))
    want = (parts[0] + parts[1] + parts[2]) / 3
    assert_same(by_key(out, "egdi"), expected_series(panel, want))


@pytest.mark.parametrize("func", ["sum", "mean", "min", "max", "count", "median", "std", "var"])
def test_aggregates_over_year_skip_missing(panel: pd.DataFrame, func: str) -> None:
    out = run(f"input osi\nv = {func}(osi over year)", panel)
    want = panel.groupby("entity")["osi"].transform(func)
    assert_same(by_key(out, "v"), expected_series(panel, want))


def test_first_and_last_along_year(panel: pd.DataFrame) -> None:
    df = panel.copy()
    df.loc[(df.entity == "Armenia") & (df.year == 2010), "osi"] = np.nan
    out = run("input osi\nf = first(osi over year)\nl = last(osi over year)", df)
    arm = df[df.entity == "Armenia"].sort_values("year")["osi"].dropna()
    got_f = by_key(out, "f").loc["Armenia"]
    got_l = by_key(out, "l").loc["Armenia"]
    assert (got_f == arm.iloc[0]).all()
    assert (got_l == arm.iloc[-1]).all()


def test_where_filters_rows_entering_the_aggregate(panel: pd.DataFrame) -> None:
    text = (
        "input c, r\n"
        "before = sum(c over year where year in 2010..2012) / sum(r over year where year in 2010..2012)"
    )
    out = run(text, panel)
    mask = panel.year.between(2010, 2012)
    sums = panel[mask].groupby("entity")[["c", "r"]].sum()
    want = panel["entity"].map(sums["c"] / sums["r"])
    assert_same(by_key(out, "before"), expected_series(panel, want))


def test_where_on_text_dimension_and_values(panel: pd.DataFrame) -> None:
    out = run('input c\nv = sum(c over entity where entity != "Russia" and c > 0.5)', panel)
    keep = (panel.entity != "Russia") & (panel.c > 0.5)
    sums = panel[keep].groupby("year")["c"].sum()
    want = panel["year"].map(sums)
    assert_same(by_key(out, "v"), expected_series(panel, want))


def test_sum_of_nothing_is_missing_and_count_is_zero(panel: pd.DataFrame) -> None:
    out = run(
        "input c\ns = sum(c over year where year > 3000)\nn = count(c over year where year > 3000)",
        panel,
    )
    assert out["s"].isna().all()
    assert (out["n"] == 0).all()


def test_lag_lead_diff_growth(panel: pd.DataFrame) -> None:
    text = "input c\nl = lag(c)\nl2 = lag(c, 2)\nnx = lead(c)\nd = diff(c)\ng = growth(c)"
    out = run(text, panel)
    s = panel.sort_values(["entity", "year"]).set_index(["entity", "year"])["c"]
    lag1 = s.groupby(level=0).shift(1)
    assert_same(by_key(out, "l"), lag1)
    assert_same(by_key(out, "l2"), s.groupby(level=0).shift(2))
    assert_same(by_key(out, "nx"), s.groupby(level=0).shift(-1))
    assert_same(by_key(out, "d"), s - lag1)
    assert_same(by_key(out, "g"), s / lag1 - 1)


def test_lag_looks_up_the_previous_year_not_the_previous_row(panel: pd.DataFrame) -> None:
    df = panel[~((panel.entity == "Belarus") & (panel.year == 2012))]
    out = run("input c\nl = lag(c)", df)
    got = by_key(out, "l")
    assert np.isnan(got.loc[("Belarus", 2013)])  # 2012 is absent: no silent two-year lag
    want = df[(df.entity == "Belarus") & (df.year == 2010)]["c"].iloc[0]
    assert got.loc[("Belarus", 2011)] == want


def test_rank_largest_first_ties_share_lowest() -> None:
    df = pd.DataFrame(
        {
            "entity": list("ABCDE"),
            "year": [2020] * 5,
            "x": [10.0, 7.0, 7.0, 3.0, np.nan],
        }
    )
    out = run("input x\nr = rank(x over entity)\nlow = rank(-x over entity)", df)
    assert out["r"].tolist()[:4] == [1.0, 2.0, 2.0, 4.0]
    assert np.isnan(out["r"].iloc[4])
    assert out["low"].tolist()[:4] == [4.0, 2.0, 2.0, 1.0]


def test_rank_within_each_year(panel: pd.DataFrame) -> None:
    out = run("input tii\nr = rank(tii over entity)", panel)
    want = panel.groupby("year")["tii"].rank(method="min", ascending=False)
    assert_same(by_key(out, "r"), expected_series(panel, want))


def test_power_precedence_as_in_mathematics() -> None:
    df = pd.DataFrame({"entity": ["A"], "year": [2000], "x": [2.0]})
    out = run("input x\na = -2^2\nb = 2^3^2\nc = -x^2\nd = (-x)^2\ne = 2^-1", df)
    assert out[["a", "b", "c", "d", "e"]].iloc[0].tolist() == [-4.0, 512.0, -4.0, 4.0, 0.5]


def test_division_by_zero_is_missing_with_a_warning_naming_rows() -> None:
    df = pd.DataFrame(
        {"entity": ["A", "B"], "year": [2000, 2000], "x": [1.0, 2.0], "y": [0.0, 4.0]}
    )
    result = kzf.compile("input x, y\nq = x / y").run(df)
    assert np.isnan(result.frame["q"].iloc[0]) and result.frame["q"].iloc[1] == 0.5
    (w,) = result.warnings
    assert w.code == "KZF201" and "(A, 2000)" in w.message and w.span is not None
    assert (w.span.line, w.span.column) == (2, 5)
    assert not np.isinf(result.frame["q"]).any()


def test_domain_errors_give_missing_values() -> None:
    df = pd.DataFrame({"entity": ["A", "B"], "year": [2000, 2000], "x": [-1.0, 4.0]})
    result = kzf.compile("input x\na = ln(x)\nb = sqrt(x)\nc = x^0.5\nd = log10(x)").run(df)
    f = result.frame
    assert f[["a", "b", "c", "d"]].iloc[0].isna().all()
    assert f["b"].iloc[1] == 2.0 and f["c"].iloc[1] == 2.0
    assert np.isclose(f["a"].iloc[1], np.log(4.0))
    assert {w.code for w in result.warnings} == {"KZF202"}


def test_missing_values_propagate_and_logic_is_kleene() -> None:
    df = pd.DataFrame(
        {
            "entity": ["A", "B", "C"],
            "year": [2000] * 3,
            "x": [np.nan, 1.0, 5.0],
            "y": [1.0, 1.0, 1.0],
        }
    )
    text = """
input x, y
s = x + y
gt = x > 2
f_and = x > 2 and y > 3
t_or = x > 2 or y < 3
pick = if(x > 2, 10, 20)
neg = not (x > 2)
"""
    f = run(text, df)
    assert np.isnan(f["s"].iloc[0])
    assert f["gt"].isna().iloc[0] and f["gt"].iloc[2] == True  # noqa: E712
    assert f["f_and"].iloc[0] == False  # noqa: E712 - false and missing is false
    assert f["t_or"].iloc[0] == True  # noqa: E712 - true or missing is true
    assert np.isnan(f["pick"].iloc[0]) and f["pick"].iloc[1] == 20 and f["pick"].iloc[2] == 10
    assert f["neg"].isna().iloc[0] and f["neg"].iloc[1] == True  # noqa: E712


def test_functions_round_half_away_trunc_clamp_abs_exp() -> None:
    df = pd.DataFrame(
        {"entity": list("ABCD"), "year": [2000] * 4, "x": [2.5, -2.5, 8.4608, 1502.9 * 147.35]}
    )
    text = "input x\nr0 = round(x)\nr2 = round(x, 2)\nt1 = trunc(x, 1)\ncl = clamp(x, 0, 5)\na = abs(x)\ne = exp(0)"
    f = run(text, df)
    assert f["r0"].tolist()[:2] == [3.0, -3.0]
    assert f["r2"].iloc[3] == 221452.32  # 221452.31499999997 in binary; the table prints .32
    assert f["t1"].tolist()[:3] == [2.5, -2.5, 8.4]
    assert f["cl"].tolist() == [2.5, 0.0, 5.0, 5.0]
    assert f["a"].iloc[1] == 2.5 and (f["e"] == 1.0).all()


def test_elementwise_min_max() -> None:
    df = pd.DataFrame(
        {"entity": ["A", "B"], "year": [2000, 2000], "x": [1.0, 5.0], "y": [3.0, 2.0]}
    )
    f = run("input x, y\nlo = min(x, y)\nhi = max(x, y, 4)", df)
    assert f["lo"].tolist() == [1.0, 2.0] and f["hi"].tolist() == [4.0, 5.0]


def test_unicode_kazakh_names() -> None:
    df = pd.DataFrame({"entity": ["KZ"], "year": [2020], "ЭӘ": [218.0], "Ш": [100.0]})
    f = run("input ЭӘ, Ш\nЭТ = ЭӘ / Ш", df)
    assert f["ЭТ"].iloc[0] == 2.18


def test_params_and_overrides() -> None:
    df = pd.DataFrame({"entity": ["A"], "year": [2000]})
    prog = kzf.compile("param T1 = 60\nparam T2 = 5\nE = 100 * (T1 - T2) / T1")
    assert prog.params == {"T1": 60.0, "T2": 5.0}
    assert prog.evaluate(df)["E"].iloc[0] == pytest.approx(100 * 55 / 60)
    assert prog.evaluate(df, params={"T1": 45})["E"].iloc[0] == pytest.approx(100 * 40 / 45)


def test_custom_dims_region_sector_year() -> None:
    df = pd.DataFrame(
        {
            "region": ["N", "N", "S", "S"] * 2,
            "sector": ["ict", "agri"] * 4,
            "year": [2020] * 4 + [2021] * 4,
            "va": [1.0, 3.0, 2.0, 2.0, 2.0, 4.0, 1.0, 1.0],
        }
    )
    f = kzf.compile(
        "dims region, sector, year\ninput va\nshare = va / sum(va over sector)\ng = growth(va)"
    ).evaluate(df)
    want_share = df["va"] / df.groupby(["region", "year"])["va"].transform("sum")
    got = f.set_index(["region", "sector", "year"])["share"]
    want = pd.Series(
        want_share.to_numpy(), index=pd.MultiIndex.from_frame(df[["region", "sector", "year"]])
    )
    assert_same(got.sort_index(), want.sort_index())
    g = f.set_index(["region", "sector", "year"])["g"]
    assert g.loc[("N", "agri", 2021)] == pytest.approx(4.0 / 3.0 - 1)


def test_output_columns_dims_first_then_definitions_in_file_order(panel: pd.DataFrame) -> None:
    f = run("input c, r\nz = c + r\na = c * 2\nm = z - a", panel)
    assert list(f.columns) == ["entity", "year", "z", "a", "m"]
    f2 = run("input c, r\nz = c + r\na = c * 2", panel, select=["a"])
    assert list(f2.columns) == ["entity", "year", "a"]


def test_where_filter_of_output_rows(panel: pd.DataFrame) -> None:
    f = run("input c\nd = c * 2", panel, where='year >= 2014 and entity = "Russia"')
    assert len(f) == 2 and set(f["year"]) == {2014, 2015}


def test_shared_subexpression_is_one_plan_step() -> None:
    prog = kzf.compile(
        "input osi\nminmax(x) = (x - min(x over entity)) / (max(x over entity) - min(x over entity))\n"
        "a = minmax(osi)\nb = minmax(osi) * 2"
    )
    plan = prog.plan()
    from kzf.engine.core import ir

    aggregates = [s for s in plan.steps if isinstance(s.node, ir.Aggregate)]
    assert len(aggregates) == 2  # one min, one max, although written six times


def test_guarded_division_does_not_warn_but_unguarded_does() -> None:
    df = pd.DataFrame(
        {"entity": ["A", "B", "C"], "year": [2000] * 3, "x": [1.0, 1.0, 1.0], "y": [0.0, 2.0, 0.0]}
    )
    text = (
        "input x, y\n"
        "mm(v) = if(max(v over entity) - min(v over entity) = 0, 0, "
        "(v - min(v over entity)) / (max(v over entity) - min(v over entity)))\n"
        "n = mm(x)\n"
        "q = if(y = 0, 0, x / y)\n"
    )
    result = kzf.compile(text).run(df)
    assert result.frame["n"].tolist() == [0.0, 0.0, 0.0]
    assert result.frame["q"].tolist() == [0.0, 0.5, 0.0]
    assert result.warnings == []
    result = kzf.compile("input x, y\nr = y / x\nbad = x / y").run(df)
    assert [w.code for w in result.warnings] == ["KZF201"]
    assert "(A, 2000), (C, 2000)" in result.warnings[0].message


def test_warnings_only_for_rows_kept_by_where() -> None:
    df = pd.DataFrame({"entity": ["A", "B"], "year": [2000] * 2, "x": [1.0, 1.0], "y": [0.0, 2.0]})
    prog = kzf.compile("input x, y\nbad = x / y")
    assert prog.run(df, where='entity = "B"').warnings == []
    assert len(prog.run(df, where='entity = "A"').warnings) == 1
