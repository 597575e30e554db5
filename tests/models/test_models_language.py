"""Models, trends and forecasts in the language: syntax, checks, results and diagnostics.

Expected numbers come from independent computations (statsmodels' own OLS, numpy.polyfit),
never from kzf's output.
"""

from __future__ import annotations

import json
import math
import shutil
import warnings
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import kzf
from kzf.engine.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "data" / "kz_regression.csv"
HEAD = f'dims year\ndata "{SEED}"\ninput Y, X1, X2, X3, X4, X5, X6, X7\n'
SAMPLE = "where year in 2000..2020"


def compile_(body: str) -> kzf.Program:
    return kzf.compile(HEAD + body)


def run(body: str) -> kzf.Evaluation:
    prog = compile_(body)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kzf.KzfWarning)
        return prog.run(prog.data_path)


def seed() -> pd.DataFrame:
    frame = pd.read_csv(SEED)
    return frame[frame["year"] <= 2020].reset_index(drop=True)


def codes(result: kzf.Evaluation) -> list[str]:
    return [d.code for d in result.warnings]


# ---------------------------------------------------------------- checking


@pytest.mark.parametrize(
    ("body", "code", "fragment"),
    [
        ("model m = ols(Y ~ X33 + X1)", "KZF010", "undefined name 'X33'; did you mean 'X3'?"),
        ("model m = olss(Y ~ X1)", "KZF014", "unknown model 'olss'; did you mean 'ols'?"),
        ("model m = ols(Y ~ X1, stepwise(enter 0.2, remove 0.1))", "KZF050", "must be below"),
        ("model m = ols(Y ~ X1, stepwise(entre 0.05))", "KZF050", "did you mean 'enter'?"),
        ("model m = ols(Y ~ X1, stepwse)", "KZF050", "did you mean 'stepwise'?"),
        ("model m = ols(Y ~ X1, intercept maybe)", "KZF050", "intercept on"),
        ("model m = ols(Y ~ X1 + X1)", "KZF011", "listed twice"),
        ("model m = ols(Y ~ Y)", "KZF050", "dependent variable"),
        ("t = trend(X3, quadric)", "KZF050", "did you mean 'quadratic'?"),
        ("t = trend(X3, poly(9))", "KZF050", "whole number from 1 to 6"),
        ("t = trend(X3, linear, fast)", "KZF050", "can only be `compat`"),
        ("t = trend(X3)", "KZF013", "2 or 3 arguments"),
        ("model m = ols(Y ~ X1)\nforecast f = mm to 2026 with X1 = X1", "KZF010", "'mm'"),
        ("model m = ols(Y ~ X1)\nforecast f = m to 2026 with X2 = X1", "KZF050", "not a term"),
        ("model m = ols(Y ~ X1)\nforecast f = m to 2026 with X1 = X11", "KZF010", "'X11'"),
        ("model m = ols(Y ~ X1)\nforecast f = m to 2026 with X1 = X1, intervl 0.9", "KZF050", ""),
        ("model m = ols(Y ~ X1)\nforecast f = m to 2026 with X1 = X1, interval 2", "KZF050", ""),
        ("model m = ols(Y ~ X1)\nexpect m.coefs[1, X1].B = 1", "KZF010", "no table 'coefs'"),
        ("model m = ols(Y ~ X1)\nexpect m.coefficients[1].B = 1", "KZF023", "[model, term]"),
        ("model m = ols(Y ~ X1)\nexpect n.summary[1].R = 1", "KZF010", "unknown model"),
        ("model X1 = ols(Y ~ X2)", "KZF011", "defined more than once"),
    ],
)
def test_static_errors(body: str, code: str, fragment: str) -> None:
    with pytest.raises(kzf.ProgramError) as info:
        compile_(body)
    assert info.value.code == code, info.value.render()
    assert fragment in info.value.render()
    assert info.value.line is not None and info.value.line >= 4


def test_syntax_errors_are_positioned() -> None:
    with pytest.raises(kzf.ProgramError) as info:
        compile_("model m = ols(Y X1)")
    assert info.value.code == "KZF002"
    assert (info.value.line, info.value.column) == (4, 17)


def test_reserved_words_and_old_programs() -> None:
    """`model` and `forecast` start statements; `to`, `from` and `with` stay usable names."""
    prog = kzf.compile("input to, with\nfrom = to + with\n")
    assert prog.outputs == ("from",)
    assert not prog.has_models


# ---------------------------------------------------------------- models


def test_explicit_terms_and_no_intercept_match_statsmodels() -> None:
    result = run(f"model m = ols(Y ~ X3 + X4, intercept off {SAMPLE})")
    data = seed()
    ref = sm.OLS(data["Y"], data[["X3", "X4"]]).fit()
    coef = result.tables["m.coefficients"].set_index("term")
    assert "const" not in coef.index
    np.testing.assert_allclose(coef["B"], ref.params, rtol=1e-10)
    np.testing.assert_allclose(coef["se"], ref.bse, rtol=1e-10)
    np.testing.assert_allclose(coef["sig"], ref.pvalues, rtol=1e-8)
    summary = result.tables["m.summary"].iloc[0]
    assert summary["R2"] == pytest.approx(ref.rsquared, rel=1e-12)  # uncentred, as SPSS
    anova = result.tables["m.anova"].set_index("source")
    assert anova.loc["total", "df"] == 21  # through the origin: n, not n - 1
    assert anova.loc["regression", "F"] == pytest.approx(ref.fvalue, rel=1e-10)


def test_intercept_model_matches_statsmodels_and_vif() -> None:
    from statsmodels.stats.outliers_influence import variance_inflation_factor

    result = run(f"model m = ols(Y ~ X3 + X4 + X5 + X6 {SAMPLE})")
    data = seed()
    x = sm.add_constant(data[["X3", "X4", "X5", "X6"]])
    ref = sm.OLS(data["Y"], x).fit()
    coef = result.tables["m.coefficients"].set_index("term")
    np.testing.assert_allclose(coef["B"], ref.params, rtol=1e-10)
    np.testing.assert_allclose(coef["se"], ref.bse, rtol=1e-10)
    lower, upper = ref.conf_int().T.to_numpy()
    np.testing.assert_allclose(coef["B_lower_95"], lower, rtol=1e-10)
    np.testing.assert_allclose(coef["B_upper_95"], upper, rtol=1e-10)
    vif = [variance_inflation_factor(x.to_numpy(), i) for i in range(1, 5)]
    np.testing.assert_allclose(coef["VIF"].iloc[1:], vif, rtol=1e-9)
    from statsmodels.stats.stattools import durbin_watson

    summary = result.tables["m.summary"].iloc[0]
    assert summary["durbin_watson"] == pytest.approx(durbin_watson(ref.resid), rel=1e-10)


def _independent_forward(data: pd.DataFrame, pin: float) -> list[str]:
    chosen: list[str] = []
    candidates = [f"X{i}" for i in range(1, 8)]
    while True:
        best = None
        for c in candidates:
            if c in chosen:
                continue
            p = sm.OLS(data["Y"], sm.add_constant(data[[*chosen, c]])).fit().pvalues[c]
            if p <= pin and (best is None or p < best[1]):
                best = (c, p)
        if best is None:
            return chosen
        chosen.append(best[0])


def _independent_backward(data: pd.DataFrame, pout: float) -> list[str]:
    kept = [f"X{i}" for i in range(1, 8)]
    while kept:
        p = sm.OLS(data["Y"], sm.add_constant(data[kept])).fit().pvalues.drop("const")
        if p.max() < pout:
            return kept
        kept.remove(p.idxmax())
    return kept


def test_forward_and_backward_selection() -> None:
    xs = " + ".join(f"X{i}" for i in range(1, 8))
    result = run(
        f"model f = ols(Y ~ {xs}, forward(enter 0.05) {SAMPLE})\n"
        f"model b = ols(Y ~ {xs}, backward(remove 0.10) {SAMPLE})\n"
        f"model s = ols(Y ~ {xs}, stepwise {SAMPLE})"
    )
    data = seed()
    forward = result.tables["f.summary"]["predictors"].iloc[-1].split()
    assert forward == _independent_forward(data, 0.05) == ["X4", "X3", "X6", "X5"]
    backward = result.tables["b.summary"]["predictors"].iloc[-1].split()
    assert sorted(backward) == sorted(_independent_backward(data, 0.10))
    assert result.tables["b.summary"]["model"].iloc[0] == 1
    assert len(result.tables["b.summary"]["predictors"].iloc[0].split()) == 7
    removed = result.tables["b.selection"]["removed"].iloc[1:]
    assert all(removed)
    stepwise = result.tables["s.summary"]["predictors"].iloc[-1].split()
    assert stepwise == forward  # SPSS defaults


def test_a_model_on_too_few_rows_is_an_evaluation_error() -> None:
    prog = compile_("model m = ols(Y ~ X1 + X2 + X3 where year <= 2002)")
    with pytest.raises(kzf.EvaluationError) as info:
        prog.run(prog.data_path)
    assert info.value.code == "KZF150"
    assert "too few" in info.value.render()


# ---------------------------------------------------------------- trends


def _x(years: np.ndarray) -> np.ndarray:
    return years - 2000 + 1  # the spreadsheet's index, x = 1 in the first year of the fit


@pytest.mark.parametrize(
    ("kind", "reference"),
    [
        ("linear", lambda x, y, x0: np.polyval(np.polyfit(x, y, 1), x0)),
        ("quadratic", lambda x, y, x0: np.polyval(np.polyfit(x, y, 2), x0)),
        ("poly(3)", lambda x, y, x0: np.polyval(np.polyfit(x, y, 3), x0)),
        ("exponential", lambda x, y, x0: np.exp(np.polyval(np.polyfit(x, np.log(y), 1), x0))),
        (
            "power",
            lambda x, y, x0: np.exp(np.polyval(np.polyfit(np.log(x), np.log(y), 1), np.log(x0))),
        ),
        ("logarithmic", lambda x, y, x0: np.polyval(np.polyfit(np.log(x), y, 1), np.log(x0))),
    ],
)
def test_trend_kinds_match_an_independent_fit(kind: str, reference: object) -> None:
    result = run(
        f"t = trend(X6, {kind} {SAMPLE})\nmodel m = ols(Y ~ X6)\nforecast f = m to 2026 with X6 = t"
    )
    frame = result.frame.set_index("year")
    data = seed()
    x0 = _x(np.arange(2000, 2027).astype(float))
    want = reference(_x(data["year"].to_numpy(float)), data["X6"].to_numpy(), x0)  # type: ignore[operator]
    np.testing.assert_allclose(frame.loc[2000:2026, "t"], want, rtol=1e-9)


def test_trend_values_extend_to_the_horizon_and_inputs_do_not() -> None:
    result = run(
        f"t = trend(X3, quadratic {SAMPLE})\ndouble = 2 * X3\nmodel m = ols(Y ~ X3 {SAMPLE})\n"
        "forecast f = m to 2026 with X3 = t"
    )
    frame = result.frame.set_index("year")
    assert list(frame.index) == list(range(2000, 2027))
    assert frame.loc[2026, "t"] == pytest.approx(
        np.polyval(np.polyfit(_x(seed()["year"].to_numpy(float)), seed()["X3"], 2), 27)
    )
    assert math.isnan(frame.loc[2022, "double"]) and frame.loc[2021, "double"] == 35.2


def test_compat_trend_uses_the_chart_labels_and_is_one_year_late() -> None:
    # the equations on the seed's charts (regression.md §3.1, "equation actually used")
    result = run(
        f"t3 = trend(X3, quadratic, compat {SAMPLE})\nt5 = trend(X5, exponential, compat {SAMPLE})\n"
        f"t6 = trend(X6, power, compat {SAMPLE})\nmodel m = ols(Y ~ X3 + X5 + X6 {SAMPLE})\n"
        "forecast f = m from 2022 to 2026 with X3 = t3, X5 = t5, X6 = t6, compat"
    )
    frame = result.frame.set_index("year")
    x = 26  # the value written against 2026 is the curve at x = 26, which is 2025
    assert frame.loc[2026, "t3"] == pytest.approx(0.0012 * x**2 + 0.4256 * x + 7.405, rel=1e-14)
    assert frame.loc[2026, "t5"] == pytest.approx(14864 * math.exp(0.0233 * x), rel=1e-14)
    assert frame.loc[2026, "t6"] == pytest.approx(0.0271 * x**2.0864, rel=1e-14)
    trends = result.tables["f.trends"].set_index("variable")
    assert trends.loc["X3", "equation"] == "y = 0.0012·x^2 + 0.4256·x + 7.405"
    assert trends.loc["X5", "equation"] == "y = 14864·e^(0.0233·x)"
    assert trends.loc["X6", "equation"] == "y = 0.0271·x^2.0864"


def test_trends_fit_each_entity_separately(tmp_path: Path) -> None:
    rows = [("A", y, 2.0 * (y - 2000) + 1) for y in range(2010, 2021)]
    rows += [("B", y, 5.0 - 0.5 * (y - 2010)) for y in range(2012, 2021)]
    pd.DataFrame(rows, columns=["entity", "year", "v"]).to_csv(tmp_path / "p.csv", index=False)
    prog = kzf.compile("input v\nt = trend(v, linear)\n", base_dir=tmp_path)
    frame = prog.evaluate(tmp_path / "p.csv").set_index(["entity", "year"])
    assert frame.loc[("A", 2020), "t"] == pytest.approx(41.0)
    assert frame.loc[("B", 2020), "t"] == pytest.approx(0.0)


def test_a_trend_that_cannot_be_fitted_warns(tmp_path: Path) -> None:
    pd.DataFrame({"year": range(2000, 2005), "v": [1.0, -2, 3, 4, 5]}).to_csv(
        tmp_path / "p.csv", index=False
    )
    prog = kzf.compile("dims year\ninput v\nt = trend(v, exponential)\n", base_dir=tmp_path)
    result = prog.run(tmp_path / "p.csv")
    assert [d.code for d in result.warnings] == ["KZF254"]
    assert result.frame["t"].isna().all()


# ---------------------------------------------------------------- forecasts


def test_the_confidence_interval_of_the_mean_is_spss_mcin_by_hand() -> None:
    """mean_lower/upper: ŷ ± t(df) · s · √(x₀′(X′X)⁻¹x₀) (SPSS's MCIN), computed here with
    numpy's least squares and scipy's t, not statsmodels; narrower than the prediction
    interval (ICIN) by the new observation's own error."""
    from scipy import stats

    result = run(
        f"model m = ols(Y ~ X3 + X4 {SAMPLE})\n"
        f"t3 = trend(X3, quadratic {SAMPLE})\nt4 = trend(X4, linear {SAMPLE})\n"
        "forecast f = m to 2026 with X3 = t3, X4 = t4, interval 0.9"
    )
    data = seed()
    x = np.column_stack([np.ones(len(data)), data["X3"], data["X4"]])
    y = data["Y"].to_numpy(dtype=np.float64)
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    df = len(y) - 3
    s = math.sqrt(float(np.sum((y - x @ beta) ** 2)) / df)
    xtx_inv = np.linalg.inv(x.T @ x)
    t = stats.t.ppf(0.95, df)
    fc = result.tables["f.forecast"].set_index("year")
    x0 = np.column_stack([np.ones(len(fc)), fc["X3"], fc["X4"]])
    half = t * s * np.sqrt(np.einsum("ij,jk,ik->i", x0, xtx_inv, x0))
    np.testing.assert_allclose(fc["mean_lower_90"], x0 @ beta - half, rtol=1e-9)
    np.testing.assert_allclose(fc["mean_upper_90"], x0 @ beta + half, rtol=1e-9)
    assert (fc["mean_lower_90"] > fc["lower_90"]).all()
    assert (fc["mean_upper_90"] < fc["upper_90"]).all()


def test_default_forecast_prediction_interval_matches_statsmodels() -> None:
    result = run(
        f"model m = ols(Y ~ X3 + X4 {SAMPLE})\n"
        f"t3 = trend(X3, quadratic {SAMPLE})\nt4 = trend(X4, linear {SAMPLE})\n"
        "forecast f = m to 2026 with X3 = t3, X4 = t4, interval 0.9"
    )
    data = seed()
    ref = sm.OLS(data["Y"], sm.add_constant(data[["X3", "X4"]])).fit()
    fc = result.tables["f.forecast"].set_index("year")
    assert list(fc.index) == [2021, 2022, 2023, 2024, 2025, 2026]  # from the year after the sample
    x0 = sm.add_constant(fc[["X3", "X4"]], has_constant="add")
    want = ref.get_prediction(x0).summary_frame(alpha=0.10)
    np.testing.assert_allclose(fc["Y"], want["mean"], rtol=1e-10)
    np.testing.assert_allclose(fc["lower_90"], want["obs_ci_lower"], rtol=1e-10)
    np.testing.assert_allclose(fc["upper_90"], want["obs_ci_upper"], rtol=1e-10)
    assert fc.loc[2021, "actual"] == 4597990.1 and math.isnan(fc.loc[2022, "actual"])
    width = fc["upper_90"] - fc["lower_90"]
    assert width.is_monotonic_increasing
    # the predictors' intervals: the trends' own OLS prediction intervals
    pred = result.tables["f.predictors"]
    x4 = pred[pred["variable"] == "X4"].set_index("year")
    years = _x(data["year"].to_numpy(float))
    trend = sm.OLS(data["X4"], sm.add_constant(years)).fit()
    at = sm.add_constant(_x(np.arange(2021, 2027).astype(float)), has_constant="add")
    want4 = trend.get_prediction(at).summary_frame(alpha=0.10)
    np.testing.assert_allclose(x4["lower_90"], want4["obs_ci_lower"], rtol=1e-10)
    np.testing.assert_allclose(x4["upper_90"], want4["obs_ci_upper"], rtol=1e-10)
    assert not {"KZF252", "KZF253"} & set(codes(result))


def test_default_scenarios_are_sign_aware() -> None:
    result = run(
        f"model m = ols(Y ~ X4 + X5 {SAMPLE})\n"
        f"t4 = trend(X4, linear {SAMPLE})\nt5 = trend(X5, exponential {SAMPLE})\n"
        "forecast f = m to 2026 with X4 = t4, X5 = t5"
    )
    coef = result.tables["m.coefficients"].set_index("term")["B"]
    assert coef["X4"] > 0 > coef["X5"]
    scen = result.tables["f.scenarios"]
    pred = result.tables["f.predictors"]
    p26 = pred[pred["year"] == 2026].set_index("variable")
    pess = scen[(scen["year"] == 2026) & (scen["scenario"] == "pessimistic")].iloc[0]
    assert pess["X4"] == p26.loc["X4", "lower_95"]  # positive coefficient: its lower bound
    assert pess["X5"] == p26.loc["X5", "upper_95"]  # negative coefficient: its upper bound
    want = coef["const"] + coef["X4"] * pess["X4"] + coef["X5"] * pess["X5"]
    assert pess["Y"] == pytest.approx(want, rel=1e-12)
    assert "lower" in pess["method"]
    opt = scen[(scen["year"] == 2026) & (scen["scenario"] == "optimistic")].iloc[0]
    real = scen[(scen["year"] == 2026) & (scen["scenario"] == "realistic")].iloc[0]
    assert pess["Y"] < real["Y"] < opt["Y"]


def test_a_predictor_without_future_values_is_reported() -> None:
    result = run(f"model m = ols(Y ~ X3 {SAMPLE})\nt = X3 * 1\nforecast f = m to 2023 with X3 = t")
    fc = result.tables["f.forecast"].set_index("year")
    assert not math.isnan(fc.loc[2021, "Y"]) and math.isnan(fc.loc[2022, "Y"])
    assert "KZF252" in codes(result)


# ---------------------------------------------------------------- diagnostics on the seed


def test_the_diagnostics_fire_on_the_seeds_data() -> None:
    prog = kzf.load(ROOT / "formulas" / "gdp_regression.kzf")
    result = prog.run(prog.data_path)
    found = {d.code: d for d in result.warnings}
    assert "X4 20.55" in found["KZF250"].message  # VIFs of 14-21: multicollinearity remains
    assert "1336605.6 in both 2009 and 2010" in found["KZF251"].message
    alignment = [d.message for d in result.warnings if d.code == "KZF252"]
    assert any("2021 is left out" in m for m in alignment)
    assert any("one year late" in m for m in alignment)
    assert "does not widen" in found["KZF253"].message
    # each warning points at its statement
    assert all(
        d.span is not None and d.span.path.endswith("gdp_regression.kzf") for d in found.values()
    )


def test_no_repeat_warning_for_short_values() -> None:
    """X4 repeats 4.8 and 8.1: values of 2-3 digits repeat legitimately."""
    result = run(f"model m = ols(X4 ~ X3 {SAMPLE})")
    assert "KZF251" not in codes(result)


# ---------------------------------------------------------------- output and API


def _head_in(folder: Path) -> str:
    """HEAD with its data copied next to the file: a file's own data lies in its project."""
    shutil.copy(SEED, folder / SEED.name)
    return HEAD.replace(str(SEED), SEED.name)


def test_json_output_has_tables_only_for_programs_with_models(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    HEAD = _head_in(tmp_path)  # noqa: N806 - the module's HEAD, moved next to the file
    plain = tmp_path / "plain.kzf"
    plain.write_text(HEAD + "z = Y / X1\n", encoding="utf-8")
    assert main(["eval", str(plain), "--format", "json"]) == 0
    assert isinstance(json.loads(capsys.readouterr().out), list)
    modelled = tmp_path / "modelled.kzf"
    modelled.write_text(HEAD + f"z = Y / X1\nmodel m = ols(Y ~ X3 {SAMPLE})\n", encoding="utf-8")
    assert main(["eval", str(modelled), "--format", "json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert set(body) == {"rows", "tables"}
    assert len(body["rows"]) == 22
    assert list(body["tables"]) == [
        "m.selection", "m.summary", "m.anova", "m.coefficients", "m.excluded", "m.residuals"
    ]  # fmt: skip
    assert body["tables"]["m.anova"][1]["df"] == 19


def test_table_text_csv_and_out(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    HEAD = _head_in(tmp_path)  # noqa: N806 - the module's HEAD, moved next to the file
    src = tmp_path / "m.kzf"
    src.write_text(HEAD + f"model m = ols(Y ~ X3 + X4 {SAMPLE})\n", encoding="utf-8")
    assert main(["eval", str(src), "--format", "table"]) == 0
    out = capsys.readouterr().out
    assert "m.coefficients\n" in out and "m.residuals\n" in out
    assert main(["eval", str(src), "--table", "m.coefficients", "--format", "csv"]) == 0
    table = pd.read_csv(StringIO(capsys.readouterr().out))
    assert list(table["term"]) == ["const", "X3", "X4"]
    assert main(["eval", str(src), "--table", "m.coefs", "--format", "csv"]) == 2
    assert "did you mean 'm.coefficients'" in capsys.readouterr().err
    assert main(["eval", str(src), "--out", str(tmp_path / "r.xlsx")]) == 0
    sheets = pd.read_excel(tmp_path / "r.xlsx", sheet_name=None)
    assert {"rows", "m.coefficients", "m.summary"} <= set(sheets)
    assert main(["eval", str(src), "--out", str(tmp_path / "r.json")]) == 0
    assert set(json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))) == {"rows", "tables"}


def test_api_evaluation_carries_tables() -> None:
    prog = compile_(f"model m = ols(Y ~ X3 {SAMPLE})")
    assert prog.has_models
    result = prog.run(prog.data_path)
    assert set(result.tables) >= {"m.summary", "m.coefficients"}
    plain = compile_("z = Y / X1")
    assert not plain.has_models and plain.run(plain.data_path).tables == {}


def test_trend_needs_the_pandas_engine() -> None:
    pytest.importorskip("duckdb")
    prog = compile_("t = trend(X3, linear)")
    with pytest.raises(kzf.UsageError) as info:
        prog.run(prog.data_path, engine="duckdb")
    assert info.value.code == "KZF150"


def test_plain_programs_do_not_load_statsmodels() -> None:
    import subprocess
    import sys

    code = (
        "import sys, kzf; p = kzf.compile('input a\\nb = a * 2'); "
        "print('statsmodels' in sys.modules, 'scipy.stats' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def _independent_stepwise(data: pd.DataFrame, pin: float, pout: float) -> list[tuple[str, str]]:
    """SPSS's stepwise, written out with statsmodels: (action, variable) per step."""
    candidates = [c for c in data.columns if c != "y"]
    current: list[str] = []
    steps: list[tuple[str, str]] = []
    for _ in range(20):
        if current:
            p = sm.OLS(data["y"], sm.add_constant(data[current])).fit().pvalues.drop("const")
            if p.max() >= pout:
                current.remove(p.idxmax())
                steps.append(("removed", p.idxmax()))
                continue
        entry = {
            c: sm.OLS(data["y"], sm.add_constant(data[[*current, c]])).fit().pvalues[c]
            for c in candidates
            if c not in current
        }
        if not entry or min(entry.values()) > pin:
            return steps
        best = min(entry, key=entry.__getitem__)
        current.append(best)
        steps.append(("entered", best))
    return steps


def test_stepwise_removes_a_variable_that_loses_its_significance(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    x1, x2 = rng.normal(size=30), rng.normal(size=30)
    x3 = x1 + x2 + rng.normal(scale=0.3, size=30)
    y = x1 + x2 + rng.normal(scale=0.3, size=30)
    data = pd.DataFrame({"y": y, "x1": x1, "x2": x2, "x3": x3})
    data.assign(year=range(1990, 2020)).to_csv(tmp_path / "s.csv", index=False)
    prog = kzf.compile(
        'dims year\ndata "s.csv"\ninput y, x1, x2, x3\nmodel s = ols(y ~ x1 + x2 + x3, stepwise)\n',
        base_dir=tmp_path,
    )
    table = prog.run(prog.data_path).tables["s.selection"]
    got = [
        ("entered", e) if e else ("removed", r)
        for e, r in zip(table["entered"], table["removed"], strict=True)
    ]
    assert got == _independent_stepwise(data, 0.05, 0.10)
    assert ("removed", "x3") in got
