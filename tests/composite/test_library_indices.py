"""The library's composite indices recomputed by hand with pandas, from their data files:
the UN EGDI method (formulas/egdi_un.kzf) and the example EAEU index
(indicators/eaeu_digital_index.kzf), including its imputations and the notes reporting them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import kzf

ROOT = Path(__file__).resolve().parents[2]


def per_year(df: pd.DataFrame, column: str | pd.Series, how: str) -> pd.Series:
    series = df[column] if isinstance(column, str) else column
    return series.groupby(df["year"]).transform(how)


def minmax(df: pd.DataFrame, s: pd.Series) -> pd.Series:
    return (s - per_year(df, s, "min")) / (per_year(df, s, "max") - per_year(df, s, "min"))


def zscore(df: pd.DataFrame, column: str) -> pd.Series:
    return (df[column] - per_year(df, column, "mean")) / per_year(df, column, "std")


def test_egdi_by_the_un_method() -> None:
    df = pd.read_csv(ROOT / "data/synthetic_egdi_components.csv")
    prog = kzf.load(ROOT / "formulas/egdi_un.kzf")
    out = prog.evaluate(df.copy()).sort_values(["entity", "year"]).reset_index(drop=True)
    df = df.sort_values(["entity", "year"]).reset_index(drop=True)
    tii = (
        sum(
            zscore(df, c)
            for c in (
                "internet_users_pct",
                "mobile_subscriptions_per100",
                "wireless_broadband_per100",
                "fixed_broadband_per100",
            )
        )
        / 4
    )
    hci = (
        zscore(df, "adult_literacy_pct") / 3
        + 2 / 9 * zscore(df, "gross_enrolment_pct")
        + 2 / 9 * zscore(df, "expected_schooling_years")
        + 2 / 9 * zscore(df, "mean_schooling_years")
    )
    osi = minmax(df, zscore(df, "osi_raw"))
    expected = (osi + minmax(df, tii) + minmax(df, hci)) / 3
    np.testing.assert_allclose(out["osi"], minmax(df, df["osi_raw"]), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(out["tii"], minmax(df, tii), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(out["hci"], minmax(df, hci), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(out["egdi"], expected, rtol=1e-12, atol=1e-15)
    ranks = expected.groupby(df["year"]).rank(ascending=False, method="min")
    np.testing.assert_array_equal(out["egdi_rank"], ranks)


def test_the_example_eaeu_index_with_its_imputations() -> None:
    df = pd.read_csv(ROOT / "data/eaeu_digital_2017_2018.csv")
    df = df.sort_values(["entity", "year"]).reset_index(drop=True)
    prog = kzf.load(ROOT / "indicators/eaeu_digital_index.kzf")
    result = prog.run(prog.data_path)
    out = result.frame
    assert list(out["entity"]) == list(df["entity"]) and list(out["year"]) == list(df["year"])

    filled = df.copy()
    by_entity = df.groupby("entity")
    for column in (
        "households_internet_pct",
        "households_computer_pct",
        "ict_development_score",
        "cybersecurity_score",
    ):
        filled[column] = by_entity[column].ffill()
    for column in ("mobile_data_cost_usd_per_gb", "egdi_score"):
        filled[column] = by_entity[column].bfill()

    def n(column: str, lower: bool = False) -> pd.Series:
        s = -filled[column] if lower else filled[column]
        return minmax(filled, s)

    access = (
        n("internet_users_pct") + n("households_internet_pct") + n("households_computer_pct")
    ) / 3
    affordability = (n("mobile_data_cost_usd_per_gb", lower=True) + n("ict_development_score")) / 2
    e_government = (n("egdi_score") + n("cybersecurity_score")) / 2
    digital_trade = n("ict_goods_trade_share_pct")
    connectivity = (2 * access + affordability) / 3
    state_economy = (e_government + digital_trade) / 2
    index = (0.5 * connectivity + 0.5 * state_economy) / (0.5 + 0.5)
    np.testing.assert_allclose(out["access"], access, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(out["connectivity"], connectivity, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(out["index"], index, rtol=1e-12, atol=1e-15)
    # Russia first and Kyrgyzstan last in both years (read off the hand computation)
    ranks = index.groupby(df["year"]).rank(ascending=False, method="min")
    np.testing.assert_array_equal(out["index_rank"], ranks)

    # every imputed cell is reported: rows where the raw value is missing but the filled is not
    imputed = int(
        (
            df.drop(columns=["entity", "year"]).isna()
            & filled.drop(columns=["entity", "year"]).notna()
        )
        .sum()
        .sum()
    )
    notes = [w for w in result.warnings if w.code == "KZF260"]
    assert sum(int(w.message.split(" imputed ")[1].split()[0]) for w in notes) == imputed

    geometric = prog.run(prog.data_path, params={"aggregation": "geometric"}).frame
    np.testing.assert_allclose(
        geometric["index"], np.sqrt(connectivity * state_economy), rtol=1e-12, atol=1e-15
    )
