"""Stepwise selection on Hald's cement data (Woods, Steinour and Starke 1932; the 13 rows as
printed in Draper and Smith, Applied Regression Analysis, Appendix B), the textbook case of
a term entered and later removed. With enter 0.10 and remove 0.15 the path is X4, X1, X2 in,
then X4 out (Draper and Smith, section 15.2; with SPSS's defaults, 0.05 and 0.10, X2's
p of 0.052 keeps it out and the path stops at X4, X1). The F of the removal step is the
F-to-remove of X4 in the model {X4, X1, X2}: its t squared there, on that model's 9 residual
degrees of freedom, computed below with numpy's least squares and scipy, not kzf (issue 18)."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from kzf.engine.cli.main import main

X1 = [7, 1, 11, 11, 7, 11, 3, 1, 2, 21, 1, 11, 10]
X2 = [26, 29, 56, 31, 52, 55, 71, 31, 54, 47, 40, 66, 68]
X3 = [6, 15, 8, 8, 6, 9, 17, 22, 18, 4, 23, 9, 8]
X4 = [60, 52, 20, 47, 33, 22, 6, 44, 22, 26, 34, 12, 12]
Y = [78.5, 74.3, 104.3, 87.6, 95.9, 109.2, 102.7, 72.5, 93.1, 115.9, 83.8, 113.3, 109.4]


def _t_of_last(columns: list[list[int]]) -> tuple[float, int]:
    """The t of the last column in the OLS of Y on a constant and the columns, and the
    residual degrees of freedom."""
    x = np.column_stack([np.ones(len(Y)), *[np.asarray(c, dtype=float) for c in columns]])
    y = np.asarray(Y)
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    df = len(y) - x.shape[1]
    s2 = float(np.sum((y - x @ beta) ** 2)) / df
    se = math.sqrt(s2 * np.linalg.inv(x.T @ x)[-1, -1])
    return float(beta[-1] / se), df


def test_the_removal_step_prints_the_f_to_remove(tmp_path: Path, capsys) -> None:
    lines = ["obs,x1,x2,x3,x4,y"] + [
        f"{i + 1},{a},{b},{c},{d},{e}"
        for i, (a, b, c, d, e) in enumerate(zip(X1, X2, X3, X4, Y, strict=True))
    ]
    (tmp_path / "hald.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "hald.kzf").write_text(
        "dims obs\ninput x1, x2, x3, x4, y\n"
        "model h = ols(y ~ x1 + x2 + x3 + x4, stepwise(enter 0.10, remove 0.15))\n",
        encoding="utf-8",
    )
    argv = ["eval", str(tmp_path / "hald.kzf"), "--data", str(tmp_path / "hald.csv")]
    assert main([*argv, "--table", "h.summary", "--format", "csv"]) == 0, capsys.readouterr().err
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["predictors"] for r in rows] == ["x4", "x4 x1", "x4 x1 x2", "x1 x2"]
    removal = rows[3]
    t, df = _t_of_last([X1, X2, X4])  # X4 in the model it is removed from
    assert df == 9
    assert float(removal["R2_change"]) < 0
    assert float(removal["F_change"]) == pytest.approx(t * t, rel=1e-10)
    assert float(removal["F_change"]) == pytest.approx(1.863, abs=5e-4)  # Draper and Smith
    assert (removal["df1"], removal["df2"]) == ("1", "9")
    assert float(removal["sig_F_change"]) == pytest.approx(stats.f.sf(t * t, 1, 9), rel=1e-10)
    entry = rows[2]  # an entry is tested on the new model's residual: X2's t there, squared
    t2, df2 = _t_of_last([X4, X1, X2])
    assert (entry["df2"], df2) == ("9", 9)
    assert float(entry["F_change"]) == pytest.approx(t2 * t2, rel=1e-10)
