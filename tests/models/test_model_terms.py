"""Powers and logarithms in a model formula (issue 18): `x^2`, `poly(x, d)` and `ln(x)`, formed
by kzf (powers exactly, from the data's x), in the tables, the tolerance test and forecasts.
Expected values come from numpy's least squares on columns built here."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np
import pytest

from kzf.engine.cli.main import main

YEARS = list(range(2000, 2011))
X = [1 + 0.5 * i + (i % 3) * 0.1 for i in range(len(YEARS))]
Y = [2 + 0.3 * x + 0.2 * x * x + (i % 2) * 0.05 for i, x in enumerate(X)]


def _files(tmp_path: Path, program: str) -> list[str]:
    rows = ["year,x,y"] + [f"{t},{x!r},{y!r}" for t, x, y in zip(YEARS, X, Y, strict=True)]
    rows += [f"{t},," for t in (2011, 2012, 2013)]
    (tmp_path / "d.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "m.kzf").write_text(program, encoding="utf-8")
    return ["eval", str(tmp_path / "m.kzf"), "--data", str(tmp_path / "d.csv")]


def _table(argv: list[str], name: str, capsys) -> list[dict[str, str]]:
    assert main([*argv, "--table", name, "--format", "csv"]) == 0, capsys.readouterr().err
    return list(csv.DictReader(io.StringIO(capsys.readouterr().out)))


def _lstsq(columns: list[list[float]]) -> np.ndarray:
    design = np.column_stack([np.ones(len(Y)), *columns])
    beta, *_ = np.linalg.lstsq(design, np.asarray(Y), rcond=None)
    return beta


POLY = """dims year
input x, y
model m = ols(y ~ poly(x, 2) where year <= 2010)
xt = trend(x, linear where year <= 2010)
forecast f = m to 2013 with x = xt
"""


def test_poly_fits_the_raw_powers_and_names_them(tmp_path: Path, capsys) -> None:
    rows = _table(_files(tmp_path, POLY), "m.coefficients", capsys)
    assert [r["term"] for r in rows] == ["const", "x", "x^2"]
    want = _lstsq([X, [x * x for x in X]])
    for row, b in zip(rows, want, strict=True):
        assert float(row["B"]) == pytest.approx(b, rel=1e-10)


def test_a_forecast_forms_the_powers_from_the_variables_future_values(
    tmp_path: Path, capsys
) -> None:
    rows = _table(_files(tmp_path, POLY), "f.forecast", capsys)
    assert [r["year"] for r in rows] == ["2011", "2012", "2013"]
    for r in rows:  # the mean's interval (MCIN) lies inside the prediction interval (ICIN)
        assert float(r["lower_95"]) < float(r["mean_lower_95"]) < float(r["y"])
        assert float(r["y"]) < float(r["mean_upper_95"]) < float(r["upper_95"])
    slope, intercept = np.polyfit(np.arange(1, 12), X, 1)  # the trend: x = 1 in 2000
    b = _lstsq([X, [x * x for x in X]])
    for row, year in zip(rows, (2011, 2012, 2013), strict=True):
        xt = intercept + slope * (year - 1999)
        assert float(row["x"]) == pytest.approx(xt, rel=1e-12)
        assert float(row["x^2"]) == pytest.approx(xt * xt, rel=1e-12)
        assert float(row["y"]) == pytest.approx(b[0] + b[1] * xt + b[2] * xt * xt, rel=1e-10)
    scenarios = _table(_files(tmp_path, POLY), "f.scenarios", capsys)
    low = [float(r["y"]) for r in scenarios if r["scenario"] == "pessimistic"]
    high = [float(r["y"]) for r in scenarios if r["scenario"] == "optimistic"]
    mid = [float(r["y"]) for r in scenarios if r["scenario"] == "realistic"]
    assert all(lo < m < hi for lo, m, hi in zip(low, mid, high, strict=True))
    for r in scenarios:  # x^2 moves with x in every scenario
        assert float(r["x^2"]) == pytest.approx(float(r["x"]) ** 2, rel=1e-12)


def test_a_log_term(tmp_path: Path, capsys) -> None:
    program = "dims year\ninput x, y\nmodel m = ols(y ~ ln(x) where year <= 2010)\n"
    rows = _table(_files(tmp_path, program), "m.coefficients", capsys)
    assert [r["term"] for r in rows] == ["const", "ln(x)"]
    want = _lstsq([[math.log(x) for x in X]])
    for row, b in zip(rows, want, strict=True):
        assert float(row["B"]) == pytest.approx(b, rel=1e-10)


@pytest.mark.parametrize(
    ("term", "message", "column"),
    [
        ("x^1", "the power of a term is 2 to 10", 19),
        ("x^11", "the power of a term is 2 to 10", 19),
        ("poly(x, 0)", "poly(x, d) takes a degree d from 1 to 10", 19),
        ("sqrt(x)", "unknown term function 'sqrt'", 19),
        ("x + poly(x, 2)", "the term 'x' is listed twice", 23),
    ],
)
def test_a_term_kzf_cannot_form_is_refused_at_its_position(
    tmp_path: Path, capsys, term: str, message: str, column: int
) -> None:
    path = tmp_path / "bad.kzf"
    path.write_text(f"dims year\ninput x, y\nmodel m = ols(y ~ {term})\n", encoding="utf-8")
    assert main(["check", str(path)]) == 2  # a program error (docs/errors.md)
    err = capsys.readouterr().err
    assert f"bad.kzf:3:{column}: error[" in err and message in err, err
