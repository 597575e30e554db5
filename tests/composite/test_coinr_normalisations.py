"""COINr's normalisations under kzf's names (issue 19, item 2), checked against COINr's own
formulas (COINr 1.1.14, R/normalise.R: n_dist2targ is 1 - (targ - x)/(targ - min(x)),
n_fracmax x / max(x), n_prank (rank(x, ties = "min") - 1) / (n - 1), n_borda
rank(x, ties = "min") - 1, n_scaled (x - l) / (u - l) * 100), worked by hand below for
x = 2, 5, 5, 10 and one missing value, through `kzf eval`."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from kzf.engine.cli.main import main

PROGRAM = """import "std:composite"
dims entity, year
input x
target = target_range(x, 8, entity)
target_capped = target_range_capped(x, 8, entity)
of_max = fraction_of_max(x, entity)
percentile = percentile_rank(x, entity)
borda_score = borda(x, entity)
scaled_0_20 = scaled(x, 0, 20)
"""
# min 2, max 10; ranks from the lowest with ties at the lower: 1, 2, 2, 4 over 4 values
EXPECTED = {
    "target": [0.0, 0.5, 0.5, 4 / 3],  # 1 - (8 - x) / (8 - 2)
    "target_capped": [0.0, 0.5, 0.5, 1.0],
    "of_max": [0.2, 0.5, 0.5, 1.0],  # x / 10
    "percentile": [0.0, 1 / 3, 1 / 3, 1.0],  # (rank - 1) / (4 - 1)
    "borda_score": [0.0, 1.0, 1.0, 3.0],  # rank - 1
    "scaled_0_20": [10.0, 25.0, 25.0, 50.0],  # x / 20 * 100
}


def test_coinr_normalisations_as_coinr_computes_them(tmp_path: Path, capsys) -> None:
    (tmp_path / "n.kzf").write_text(PROGRAM, encoding="utf-8")
    (tmp_path / "d.csv").write_text(
        "entity,year,x\nA,2020,2\nB,2020,5\nC,2020,5\nD,2020,10\nE,2020,\n", encoding="utf-8"
    )
    argv = ["eval", str(tmp_path / "n.kzf"), "--data", str(tmp_path / "d.csv")]
    assert main([*argv, "--format", "csv"]) == 0, capsys.readouterr().err
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    for name, want in EXPECTED.items():
        got = [float(r[name]) for r in rows[:4]]
        assert got == pytest.approx(want, rel=1e-15), name
        assert rows[4][name] == "", name  # E's missing value stays missing, unranked


def test_distance_to_target_is_not_coinrs(tmp_path: Path, capsys) -> None:
    """kzf's distance_to_target is x / target (the Handbook's); COINr's n_dist2targ measures
    from the minimum: for x = 5 of 2..10 and target 8, 0.625 against 0.5."""
    (tmp_path / "n.kzf").write_text(
        'import "std:composite"\ndims entity, year\ninput x\n'
        "ratio = distance_to_target(x, 8)\nrange = target_range(x, 8, entity)\n",
        encoding="utf-8",
    )
    (tmp_path / "d.csv").write_text(
        "entity,year,x\nA,2020,2\nB,2020,5\nD,2020,10\n", encoding="utf-8"
    )
    argv = ["eval", str(tmp_path / "n.kzf"), "--data", str(tmp_path / "d.csv")]
    assert main([*argv, "--format", "csv", "--where", 'entity = "B"']) == 0
    row = next(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert (float(row["ratio"]), float(row["range"])) == (0.625, 0.5)
