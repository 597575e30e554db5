"""SPSS's TOLERANCE criterion under `enter` and `backward` (issue 18): a term that is almost a
linear combination of the others (tolerance below 0.0001) is left out with KZF256, instead of
fitting coefficients of ±10^6 that are noise. The expected coefficients are those of the OLS
of y on the admitted terms, by numpy's least squares."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest

from kzf.engine.cli.main import main

N = 12
X1 = [float(i) + (i % 4) / 3 for i in range(N)]
X2 = [2 * a + 1e-9 * (i % 3) for i, a in enumerate(X1)]  # 2·x1 to nine decimals
X3 = [float((7 * i) % 11) for i in range(N)]
Y = [3 + a + 0.5 * c + ((-1) ** i) * 0.25 for i, (a, c) in enumerate(zip(X1, X3, strict=True))]


def _run(tmp_path: Path, capsys, method: str, table: str) -> tuple[list[dict[str, str]], str]:
    lines = ["obs,x1,x2,x3,y"] + [
        f"{i},{a!r},{b!r},{c!r},{y!r}"
        for i, (a, b, c, y) in enumerate(zip(X1, X2, X3, Y, strict=True))
    ]
    (tmp_path / "d.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "m.kzf").write_text(
        f"dims obs\ninput x1, x2, x3, y\nmodel m = ols(y ~ x1 + x2 + x3{method})\n",
        encoding="utf-8",
    )
    argv = ["eval", str(tmp_path / "m.kzf"), "--data", str(tmp_path / "d.csv")]
    assert main([*argv, "--table", f"m.{table}", "--format", "csv"]) == 0
    out = capsys.readouterr()
    return list(csv.DictReader(io.StringIO(out.out))), out.err


@pytest.mark.parametrize("method", ["", ", backward(remove 0.10)"])
def test_a_term_below_the_tolerance_is_left_out_with_kzf256(
    tmp_path: Path, capsys, method: str
) -> None:
    rows, err = _run(tmp_path, capsys, method, "coefficients")
    first = [r for r in rows if r["model"] == "1"]
    assert [r["term"] for r in first] == ["const", "x1", "x3"]
    x = np.column_stack([np.ones(N), X1, X3])
    beta, *_ = np.linalg.lstsq(x, np.asarray(Y), rcond=None)
    for row, want in zip(first, beta, strict=True):
        assert float(row["B"]) == pytest.approx(want, rel=1e-9)
    assert "warning[KZF256]: model m: left out x2 (tolerance" in err
    assert "KZF250" not in err  # no VIF of 10^17 left to warn of


def test_the_excluded_table_shows_the_refused_term_without_noise(tmp_path: Path, capsys) -> None:
    rows, _ = _run(tmp_path, capsys, "", "excluded")
    assert [(r["model"], r["variable"]) for r in rows] == [("1", "x2")]
    assert float(rows[0]["tolerance"]) < 1e-4
    assert rows[0]["beta_in"] == rows[0]["t"] == rows[0]["sig"] == ""  # not numbers to read
