"""The standard library's normalisations and the weighted means, against independent numpy,
pandas and scipy computations (OECD/JRC Handbook, 2008, sections 5 and 6)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import kzf
from kzf.dsl.diagnostics import ProgramError

RNG = np.random.default_rng(20261129)


def panel(n_entities: int = 7, years: tuple[int, ...] = (2019, 2020, 2021)) -> pd.DataFrame:
    rows = [
        {
            "entity": f"E{i}",
            "year": y,
            "a": float(RNG.uniform(1, 100)),
            "b": float(RNG.uniform(0.5, 9)),
            "c": float(RNG.uniform(2, 50)),
        }
        for i in range(n_entities)
        for y in years
    ]
    return pd.DataFrame(rows)


def run(program: str, df: pd.DataFrame) -> pd.DataFrame:
    return kzf.compile('import "std:composite"\ninput a, b, c\n' + program).evaluate(df)


def by_year(df: pd.DataFrame, column: str, f) -> pd.Series:
    return df.groupby("year")[column].transform(f)


def test_minmax_zscore_and_rank_score_within_each_year() -> None:
    df = panel()
    out = run(
        "m = minmax(a, entity)\nm100 = minmax100(a, entity)\nz = zscore(a, entity)\n"
        "r = rank_score(a, entity)\nlow = minmax(lower(a), entity)\n",
        df,
    )
    lo, hi = by_year(df, "a", "min"), by_year(df, "a", "max")
    np.testing.assert_allclose(out["m"], (df["a"] - lo) / (hi - lo), rtol=1e-15)
    np.testing.assert_allclose(out["m100"], 100 * (df["a"] - lo) / (hi - lo), rtol=1e-14)
    np.testing.assert_allclose(out["low"], (hi - df["a"]) / (hi - lo), rtol=1e-14, atol=1e-15)
    expected_z = df.groupby("year")["a"].transform(lambda s: stats.zscore(s, ddof=1))
    np.testing.assert_allclose(out["z"], expected_z, rtol=1e-12)
    expected_rank = df.groupby("year")["a"].rank(method="min", ascending=True)
    np.testing.assert_array_equal(out["r"], expected_rank)


def test_rank_score_ties_share_the_lower_score() -> None:
    df = pd.DataFrame({"entity": list("ABCD"), "year": 2020, "a": [5.0, 3.0, 3.0, 1.0]})
    df["b"] = df["c"] = 1.0
    out = run("r = rank_score(a, entity)\n", df)
    assert out["r"].tolist() == [4.0, 2.0, 2.0, 1.0]  # hand: 4 values; ties take the lower


def test_distances_and_goalposts() -> None:
    df = panel()
    out = run(
        "best = distance_to_best(a, entity)\nbest_low = distance_to_best_lower(b, entity)\n"
        "target = distance_to_target(a, 80)\ntarget_low = distance_to_target_lower(b, 2)\n"
        "g = goalposts(a, 10, 90)\ng_low = goalposts(b, 9, 1)\ng100 = goalposts100(c, 0, 40)\n",
        df,
    )
    np.testing.assert_allclose(out["best"], df["a"] / by_year(df, "a", "max"))
    np.testing.assert_allclose(out["best_low"], by_year(df, "b", "min") / df["b"])
    np.testing.assert_allclose(out["target"], df["a"] / 80)
    np.testing.assert_allclose(out["target_low"], 2 / df["b"])
    np.testing.assert_allclose(out["g"], np.clip((df["a"] - 10) / 80, 0, 1))
    np.testing.assert_allclose(out["g_low"], np.clip((9 - df["b"]) / 8, 0, 1))
    np.testing.assert_allclose(out["g100"], 100 * np.clip(df["c"] / 40, 0, 1))


def test_minmax_fixed_keeps_the_reference_years_bounds() -> None:
    df = panel()
    out = run("f = minmax_fixed(a, entity, year, 2019)\n", df)
    ref = df[df["year"] == 2019]["a"]
    np.testing.assert_allclose(out["f"], (df["a"] - ref.min()) / (ref.max() - ref.min()))
    assert out.loc[df["year"] == 2019, "f"].between(0, 1).all()


def test_normalise_chooses_by_a_text_param() -> None:
    df = panel()
    prog = kzf.compile(
        'import "std:composite"\ninput a, b, c\nparam norm = "minmax"\n'
        'vary norm in {"minmax", "zscore", "rank"}\nn = normalise(a, norm, entity)\n'
    )
    minmax = prog.evaluate(df)["n"]
    zscore = prog.evaluate(df, params={"norm": "zscore"})["n"]
    rank = prog.evaluate(df, params={"norm": "rank"})["n"]
    lo, hi = by_year(df, "a", "min"), by_year(df, "a", "max")
    np.testing.assert_allclose(minmax, (df["a"] - lo) / (hi - lo))
    np.testing.assert_allclose(
        zscore, (df["a"] - by_year(df, "a", "mean")) / by_year(df, "a", "std")
    )
    np.testing.assert_array_equal(rank, df.groupby("year")["a"].rank(method="min"))
    with pytest.raises(kzf.UsageError, match="one of minmax, zscore, rank"):
        prog.evaluate(df, params={"norm": "best"})  # not in the file's vary set


def test_weighted_means_against_scipy() -> None:
    df = panel()
    out = run(
        "ar = amean(a: 0.5, b: 0.3, c: 0.2)\ngeo = gmean(a: 0.5, b: 0.3, c: 0.2)\n"
        "har = hmean(a: 0.5, b: 0.3, c: 0.2)\nequal = amean(a, b, c)\n"
        'chosen = aggregate("geometric", a: 2, b: 1)\n',
        df,
    )
    values = df[["a", "b", "c"]].to_numpy()
    w = np.array([0.5, 0.3, 0.2])
    np.testing.assert_allclose(out["ar"], np.average(values, axis=1, weights=w), rtol=1e-14)
    np.testing.assert_allclose(out["geo"], stats.gmean(values, axis=1, weights=w), rtol=1e-13)
    np.testing.assert_allclose(out["har"], stats.hmean(values, axis=1, weights=w), rtol=1e-13)
    np.testing.assert_allclose(out["equal"], values.mean(axis=1), rtol=1e-14)
    np.testing.assert_allclose(
        out["chosen"], stats.gmean(values[:, :2], axis=1, weights=[2, 1]), rtol=1e-13
    )


def test_weights_need_not_add_up_to_one_and_a_missing_child_gives_a_missing_mean() -> None:
    df = pd.DataFrame(
        {"entity": ["A", "B"], "year": 2020, "a": [1.0, 2.0], "b": [3.0, np.nan], "c": [1.0, 1.0]}
    )
    out = run("m = amean(a: 2, b: 6)\n", df)
    assert out["m"].iloc[0] == pytest.approx((2 * 1 + 6 * 3) / 8)  # hand: 20 / 8 = 2.5
    assert np.isnan(out["m"].iloc[1])


def test_aggregate_method_param_and_its_checks() -> None:
    text = (
        'input a, b\nparam agg = "arithmetic"\nvary agg in {"arithmetic", "harmonic"}\n'
        "m = aggregate(agg, a: 1, b: 3)\n"
    )
    prog = kzf.compile(text)
    df = pd.DataFrame({"entity": ["A"], "year": [2020], "a": [2.0], "b": [4.0]})
    assert prog.evaluate(df)["m"].iloc[0] == pytest.approx((2 + 3 * 4) / 4)
    harmonic = prog.evaluate(df, params={"agg": "harmonic"})["m"].iloc[0]
    assert harmonic == pytest.approx(4 / (1 / 2 + 3 / 4))  # 3.2
    with pytest.raises(ProgramError, match="not one of"):
        kzf.compile(text.replace('"harmonic"}', '"median"}'))


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("input a\nx = abs(a: 2)\n", "amean, gmean, hmean or aggregate only"),
        ("input a, b\nx = amean(a: -1, b)\n", "must not be negative"),
        ('input a\nx = aggregate("median", a)\n', "unknown aggregation method"),
        ('input a\nx = choose("z", "a": a)\n', "not one of the alternatives"),
        ('input a\nx = choose("a", a)\n', '"label": value'),
        ("param w = 1\nvary w in [2, 1]\n", "low < high"),
        ("vary nothing in [0, 1]\n", "not a param"),
        ('param m = "x"\nvary m in {1, 2}\n', "must be texts"),
        ('input a\nx = minmax(a, a)\nimport "std:composite"\n', "must be a dimension"),
    ],
)
def test_composite_language_errors(source: str, message: str) -> None:
    with pytest.raises(ProgramError, match=message) as caught:
        kzf.compile(source)
    assert all(d.span is not None for d in caught.value.diagnostics if d.is_error)


def test_impute_chooses_the_method_and_reports_only_the_chosen_one() -> None:
    df = pd.DataFrame(
        {
            "entity": ["A", "A", "A", "B", "B", "B"],
            "year": [2019, 2020, 2021] * 2,
            "a": [1.0, np.nan, 5.0, 2.0, 4.0, 6.0],
        }
    )
    df["b"] = df["c"] = 1.0
    prog = kzf.compile(
        'import "std:composite"\ninput a, b, c\nparam how = "linear"\n'
        'vary how in {"linear", "previous", "mean"}\nf = impute(a, how, entity)\n'
    )
    cases = {"linear": 3.0, "previous": 1.0, "mean": 4.0}  # by hand: (1+5)/2, 1, B's 2020 value
    for how, expected in cases.items():
        result = prog.run(df, params={"how": how})
        assert result.frame["f"].iloc[1] == expected
        (note,) = [w for w in result.warnings if w.code == "KZF260"]
        name = {"linear": "interpolate", "previous": "fill_previous", "mean": "fill_mean"}[how]
        assert note.message.startswith(f"{name}() imputed 1 missing value(s)")


def test_text_params_and_weighted_means_give_the_same_results_on_duckdb() -> None:
    pytest.importorskip("duckdb")
    prog = kzf.compile(
        'import "std:composite"\ninput a, b, c\nparam agg = "geometric"\n'
        'vary agg in {"arithmetic", "geometric", "harmonic"}\nparam norm = "zscore"\n'
        'vary norm in {"minmax", "zscore", "rank", "best"}\n'
        "na = normalise(a, norm, entity)\nm = aggregate(agg, a: 1, b: 2, c: 0.5)\n"
    )
    df = panel()
    for params in ({}, {"agg": "arithmetic", "norm": "rank"}, {"agg": "harmonic", "norm": "best"}):
        on_pandas = prog.run(df, params=params).frame
        on_duckdb = prog.run(df, params=params, engine="duckdb").frame
        pd.testing.assert_frame_equal(on_duckdb, on_pandas, check_exact=False, rtol=1e-15)
