"""OLS against NIST's certified results for hard, ill-conditioned linear regressions.

Certified values are NIST's, from the Statistical Reference Datasets (StRD), Linear Least
Squares Regression:

- Longley (Longley, J. W. (1967), JASA 62, 819-841; "higher" difficulty),
  https://www.itl.nist.gov/div898/strd/lls/data/Longley.shtml. The data are those statsmodels
  ships (`statsmodels.datasets.longley`, the same 16 observations).
- Wampler1 (Wampler, R. H. (1970), JASA 65, 549-565; "higher" difficulty), y = 1 + x + x^2 +
  x^3 + x^4 + x^5 for x = 0..20: every certified coefficient is 1, every certified standard
  deviation 0, https://www.itl.nist.gov/div898/strd/lls/data/Wampler1.shtml.

The issue asks for 9 significant digits in coefficients and standard errors; the "log
relative error" (LRE) below counts them. `test_every_nist_set_through_the_model_statement`
runs all nine linear sets and NoInt1/NoInt2 (tests/models/nist_strd.py, typed from NIST's
pages) through `kzf eval`, as a user would.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import kzf_nist_strd as nist  # tests/models/nist_strd.py, registered by tests/conftest.py
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import kzf
from kzf.engine.stats import regression

# NIST StRD Longley, certified regression statistics (typed from the page cited above).
LONGLEY_B = {
    "const": -3482258.63459582,
    "GNPDEFL": 15.0618722713733,
    "GNP": -0.358191792925910e-01,
    "UNEMP": -2.02022980381683,
    "ARMED": -1.03322686717359,
    "POP": -0.511041056535807e-01,
    "YEAR": 1829.15146461355,
}
LONGLEY_SE = {
    "const": 890420.383607373,
    "GNPDEFL": 84.9149257747669,
    "GNP": 0.334910077722432e-01,
    "UNEMP": 0.488399681651699,
    "ARMED": 0.214274163161675,
    "POP": 0.226073200069370,
    "YEAR": 455.478499142212,
}
LONGLEY_RESIDUAL_SD = 304.854073561965
LONGLEY_R2 = 0.995479004577296
LONGLEY_SS_REGRESSION = 184172401.944494
LONGLEY_SS_RESIDUAL = 836424.055505915
LONGLEY_F = 330.285339234588
DIGITS = 9


def lre(value: float, certified: float) -> float:
    """Log relative error: the number of significant digits that agree."""
    if value == certified:
        return 15.0
    return -math.log10(abs(value - certified) / abs(certified))


def longley() -> pd.DataFrame:
    return sm.datasets.longley.load_pandas().data


def _force(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make fit_ols take one of its three routes: exact rationals (the default for a model
    of this size), Householder QR in float64, or the multiple-precision normal equations."""
    if path != "exact":
        monkeypatch.setattr(regression, "EXACT_CELLS", 0)
    if path == "multiprecision":
        monkeypatch.setattr(regression, "MP_CONDITION", 1.0)


@pytest.mark.parametrize("path", ["exact", "qr", "multiprecision"])
def test_longley_coefficients_and_standard_errors(
    path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _force(path, monkeypatch)
    data = longley()
    terms = [t for t in LONGLEY_B if t != "const"]
    fit = regression.fit_ols(data["TOTEMP"].to_numpy(), data[terms].to_numpy(), terms)
    assert fit.solution.exact is (path == "exact")
    assert fit.solution.multiprecision is (path == "multiprecision")
    for name in LONGLEY_B:
        i = fit.names.index(name)
        assert lre(fit.params[i], LONGLEY_B[name]) >= DIGITS, name
        assert lre(fit.bse[i], LONGLEY_SE[name]) >= DIGITS, name
    assert lre(fit.se_estimate, LONGLEY_RESIDUAL_SD) >= DIGITS
    assert lre(fit.r2, LONGLEY_R2) >= DIGITS
    assert lre(fit.ess, LONGLEY_SS_REGRESSION) >= DIGITS
    assert lre(fit.ssr, LONGLEY_SS_RESIDUAL) >= DIGITS
    assert lre(fit.f, LONGLEY_F) >= DIGITS


def test_longley_through_the_language(tmp_path: Path) -> None:
    data = longley().assign(obs=range(1, 17))
    data.to_csv(tmp_path / "longley.csv", index=False)
    text = """
dims obs
data "longley.csv"
input TOTEMP, GNPDEFL, GNP, UNEMP, ARMED, POP, YEAR
model longley = ols(TOTEMP ~ GNPDEFL + GNP + UNEMP + ARMED + POP + YEAR)
"""
    prog = kzf.compile(text, base_dir=tmp_path)
    tables = prog.run(prog.data_path).tables
    coef = tables["longley.coefficients"].set_index("term")
    for name in LONGLEY_B:
        assert lre(coef.loc[name, "B"], LONGLEY_B[name]) >= DIGITS, name
        assert lre(coef.loc[name, "se"], LONGLEY_SE[name]) >= DIGITS, name
    summary = tables["longley.summary"].iloc[0]
    assert lre(summary["se_estimate"], LONGLEY_RESIDUAL_SD) >= DIGITS
    anova = tables["longley.anova"].set_index("source")
    assert lre(anova.loc["regression", "F"], LONGLEY_F) >= DIGITS


def test_the_normal_equations_would_not_do() -> None:
    """Solving X'X b = X'y directly in float64 loses the digits the issue asks for."""
    data = longley()
    terms = [t for t in LONGLEY_B if t != "const"]
    x = np.column_stack([np.ones(16), data[terms].to_numpy()])
    y = data["TOTEMP"].to_numpy()
    naive = np.linalg.solve(x.T @ x, x.T @ y)
    assert min(lre(b, LONGLEY_B[n]) for b, n in zip(naive, LONGLEY_B, strict=True)) < DIGITS


@pytest.mark.parametrize("path", ["exact", "qr", "multiprecision"])
def test_wampler1(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _force(path, monkeypatch)
    x = np.arange(21.0)
    y = 1 + x + x**2 + x**3 + x**4 + x**5
    terms = [f"x{k}" for k in range(1, 6)]
    fit = regression.fit_ols(y, np.column_stack([x**k for k in range(1, 6)]), terms)
    np.testing.assert_allclose(fit.params, np.ones(6), rtol=0, atol=1e-9)
    # certified standard deviations are 0: ours are below 1e-9 of each coefficient's size
    assert np.all(fit.bse < 1e-9)


@pytest.mark.parametrize("path", ["exact", "qr"])
def test_an_exactly_collinear_design_is_refused(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _force(path, monkeypatch)
    x = np.arange(10.0)
    with pytest.raises(regression.FitError, match="collinear"):
        regression.fit_ols(x * 3 + 1, np.column_stack([x, 2 * x]), ["a", "b"])


# ---------------------------------------------------------------- every set, as a user fits it

MIN_DIGITS = 12  # the issue asks for 9; kzf reaches 13.2 to 15 (docs/models.md), with margin


def _lre_or_absolute(value: float, certified: float) -> float:
    """NIST's measure: the log relative error, or the log absolute error where the certified
    value is 0 (Wampler1 and 2's standard deviations); 15 for a perfect match."""
    if certified == 0:
        return 15.0 if value == 0 else min(15.0, -math.log10(abs(value)))
    return min(15.0, lre(value, certified))


def _eval_table(argv: list[str], table: str, capsys: pytest.CaptureFixture[str]) -> pd.DataFrame:
    from kzf.engine.cli.main import main

    assert main([*argv, "--table", table, "--format", "csv"]) == 0, capsys.readouterr().err
    return pd.read_csv(io.StringIO(capsys.readouterr().out))


@pytest.mark.parametrize("reference", nist.SETS, ids=lambda s: s.name)
def test_every_nist_set_through_the_model_statement(
    reference: nist.LinearSet, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The set as a user fits it: its numbers in a CSV file, `model m = ols(y ~ …)` in a
    .kzf file (poly(x, d) for the polynomial sets, `intercept off` for NoInt1/2), and
    `kzf eval --table`: every certified estimate, standard deviation, the residual standard
    deviation and R² to MIN_DIGITS significant digits."""
    names = [f"x{j + 1}" for j in range(len(reference.x))]
    frame = pd.DataFrame({"obs": range(1, len(reference.y) + 1), "y": reference.y})
    for name, column in zip(names, reference.x, strict=True):
        frame[name] = column
    frame.to_csv(tmp_path / "data.csv", index=False)  # shortest round-trip text of each value
    rhs = f"poly(x1, {reference.degree})" if reference.degree > 1 else " + ".join(names)
    options = "" if reference.intercept else ", intercept off"
    (tmp_path / "set.kzf").write_text(
        f"dims obs\ninput y, {', '.join(names)}\nmodel m = ols(y ~ {rhs}{options})\n",
        encoding="utf-8",
    )
    argv = ["eval", str(tmp_path / "set.kzf"), "--data", str(tmp_path / "data.csv")]
    coefficients = _eval_table(argv, "m.coefficients", capsys)
    summary = _eval_table(argv, "m.summary", capsys).iloc[-1]
    assert len(coefficients) == len(reference.beta)  # every term entered, in order
    digits = {}
    for i, (b, sd) in enumerate(zip(reference.beta, reference.sd, strict=True)):
        digits[f"B{i}"] = _lre_or_absolute(float(coefficients["B"][i]), b)
        se = coefficients["se"][i]
        digits[f"SD{i}"] = _lre_or_absolute(0.0 if pd.isna(se) else float(se), sd)
    digits["residual SD"] = _lre_or_absolute(float(summary["se_estimate"]), reference.residual_sd)
    digits["R2"] = _lre_or_absolute(float(summary["R2"]), reference.r2)
    short = {k: round(v, 1) for k, v in digits.items() if v < MIN_DIGITS}
    assert not short, f"{reference.name}: fewer than {MIN_DIGITS} digits: {short}"
    if reference.degree > 1:  # the VIFs of exact powers are large but finite (not inf, 2^53)
        vif = coefficients["VIF"].dropna()
        assert len(vif) == reference.degree and bool(np.isfinite(vif).all()), vif.tolist()


def test_filip_from_float64_powers_the_file_forms_itself_is_not_certified(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why poly() forms the powers: Filip's x^2 … x^10 written as definitions of the file
    are float64 columns, each rounded, and SPSS's tolerance refuses them (KZF256); through
    poly(x, 10), above, every coefficient is certified."""
    data = pd.DataFrame({"obs": range(1, 83), "y": nist.FILIP.y, "x": nist.FILIP.x[0]})
    data.to_csv(tmp_path / "filip.csv", index=False)
    powers = "\n".join(f"x{k} = x^{k}" for k in range(2, 11))
    terms = " + ".join(["x"] + [f"x{k}" for k in range(2, 11)])
    (tmp_path / "f.kzf").write_text(
        f"dims obs\ninput y, x\n{powers}\nmodel m = ols(y ~ {terms})\n", encoding="utf-8"
    )
    from kzf.engine.cli.main import main

    argv = ["eval", str(tmp_path / "f.kzf"), "--data", str(tmp_path / "filip.csv")]
    assert main([*argv, "--table", "m.coefficients", "--format", "csv"]) == 0
    captured = capsys.readouterr()
    assert "KZF256" in captured.err  # the collinear float64 powers are refused, as SPSS does
    assert len(pd.read_csv(io.StringIO(captured.out))) < 11
