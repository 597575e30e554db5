"""A model that fits its rows exactly is reported, not a crash (it was exit 3: a division by
1 - R² and by a zero residual variance).

y = 2·x1 + 1 on six rows (y = 3, 5, ..., 13), and y = 2·x1 through the origin on five
(2, 4, ..., 10), worked out by hand: B is (1, 2), resp. 2; every residual is 0, so R² = 1 and
the standard errors are 0; F, t and their p-values divide by the residual variance and are
not defined (NA); the total sum of squares is 70 about the mean 8, and 220 about zero.
Stepwise enters x1, which leaves nothing to explain, and stops there.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kzf.engine.cli.main import main


def _tables(tmp_path: Path, capsys, model: str, rows: str) -> tuple[dict, str]:
    (tmp_path / "d.csv").write_text(rows, encoding="utf-8")
    (tmp_path / "f.kzf").write_text(
        f'dims year\ndata "d.csv"\ninput y, x1, x2\nmodel m = {model}\n', encoding="utf-8"
    )
    status = main(["eval", str(tmp_path / "f.kzf"), "--format", "json"])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert "internal error" not in err
    return json.loads(out)["tables"], err


ROWS = "year,y,x1,x2\n" + "".join(
    f"{2000 + i},{2 * i + 1},{i},{x2}\n"
    for i, x2 in zip(range(1, 7), [5, 3, 8, 1, 4, 9], strict=True)
)


def test_an_exact_fit_gives_its_coefficients_and_says_what_is_undefined(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tables, err = _tables(tmp_path, capsys, "ols(y ~ x1)", ROWS)
    coefficients = {r["term"]: r for r in tables["m.coefficients"]}
    assert coefficients["const"]["B"] == pytest.approx(1, abs=1e-12)
    assert coefficients["x1"]["B"] == pytest.approx(2, abs=1e-12)
    assert coefficients["x1"]["se"] == 0 and coefficients["x1"]["t"] is None
    assert coefficients["x1"]["sig"] is None
    summary = tables["m.summary"][0]
    assert summary["R2"] == 1 and summary["se_estimate"] == 0 and summary["F_change"] is None
    anova = {r["source"]: r for r in tables["m.anova"]}
    assert anova["residual"]["sum_of_squares"] == 0 and anova["regression"]["F"] is None
    assert anova["total"]["sum_of_squares"] == pytest.approx(70)  # 3,5,...,13 about 8
    assert "warning[KZF255]: model m: the model fits its rows exactly" in err


def test_an_exact_fit_through_the_origin(tmp_path: Path, capsys) -> None:
    rows = "year,y,x1,x2\n" + "".join(f"{2000 + i},{2 * i},{i},0\n" for i in range(1, 6))
    tables, err = _tables(tmp_path, capsys, "ols(y ~ x1, intercept off)", rows)
    anova = {r["source"]: r for r in tables["m.anova"]}
    assert anova["total"]["sum_of_squares"] == pytest.approx(220)  # 4+16+36+64+100
    assert anova["residual"]["sum_of_squares"] == 0
    assert "KZF255" in err


def test_stepwise_stops_once_nothing_is_left_to_explain(tmp_path: Path, capsys) -> None:
    tables, err = _tables(tmp_path, capsys, "ols(y ~ x1 + x2, stepwise)", ROWS)
    assert [r["entered"] for r in tables["m.selection"]] == ["x1"]
    assert "KZF255" in err
