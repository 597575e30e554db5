"""boxcox(x over d) (issue 19, item 2): the Box-Cox transform (x^λ - 1)/λ with λ fitted by
maximum likelihood per group, through `kzf eval`. The expected λ maximises the Box-Cox
log-likelihood -n/2 ln σ²(λ) + (λ - 1) Σ ln x, found here by a golden-section search written
in the test (not scipy's boxcox)."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np
import pytest

from kzf.engine.cli.main import main

VALUES = [1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0, 34.0, 55.0, 89.0]


def _transform(x: np.ndarray, lam: float) -> np.ndarray:
    return np.log(x) if lam == 0 else (x**lam - 1) / lam


def _loglik(lam: float, x: np.ndarray) -> float:
    y = _transform(x, lam)
    return -len(x) / 2 * math.log(np.var(y)) + (lam - 1) * float(np.log(x).sum())


def _mle(x: np.ndarray, lo: float = -3.0, hi: float = 3.0) -> float:
    golden = (math.sqrt(5) - 1) / 2
    a, b = lo, hi
    for _ in range(200):
        c, d = b - golden * (b - a), a + golden * (b - a)
        if _loglik(c, x) > _loglik(d, x):
            b = d
        else:
            a = c
    return (a + b) / 2


def test_boxcox_with_a_fitted_lambda(tmp_path: Path, capsys) -> None:
    (tmp_path / "b.kzf").write_text(
        "dims entity, year\ninput x\nb = boxcox(x over entity)\n", encoding="utf-8"
    )
    lines = ["entity,year,x"] + [f"E{i},2020,{v!r}" for i, v in enumerate(VALUES)]
    lines += ["F0,2021,1", "F1,2021,-2", "F2,2021,3"]  # a value <= 0: that year stays missing
    (tmp_path / "d.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    argv = ["eval", str(tmp_path / "b.kzf"), "--data", str(tmp_path / "d.csv")]
    assert main([*argv, "--format", "csv"]) == 0
    out = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(out.out)))
    x = np.asarray(VALUES)
    lam = _mle(x)
    want = _transform(x, lam)
    got = [float(r["b"]) for r in rows if r["year"] == "2020"]
    assert got == pytest.approx(list(want), rel=1e-6, abs=1e-9)
    assert [r["b"] for r in rows if r["year"] == "2021"] == ["", "", ""]
    assert f"λ = {lam:.4g}" in out.err
    assert "boxcox() left the group missing: it has a value <= 0" in out.err
