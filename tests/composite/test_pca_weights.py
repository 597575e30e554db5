"""Weights from principal components in `kzf audit` (issue 19, item 3): for each node, the
squares of its children's first-principal-component loadings (the eigenvector of their
correlation matrix for the largest eigenvalue, scaled to unit length), which add up to 1
(OECD/JRC Handbook, section 6.1, with one component). The expected vector comes from power
iteration on the correlation matrix, not from an eigen-solver."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest

from kzf.engine.cli.main import main

A = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
B = [2.0, 1.0, 4.0, 3.0, 6.0, 5.0]
C = [3.0, 1.0, 2.0, 6.0, 4.0, 5.0]


def _power_iteration(matrix: np.ndarray) -> np.ndarray:
    v = np.ones(len(matrix))
    for _ in range(500):
        v = matrix @ v
        v /= np.linalg.norm(v)
    return v


def test_pc1_weights_are_the_squared_loadings(tmp_path: Path, capsys) -> None:
    rows = "\n".join(f"E{i},{a},{b},{c}" for i, (a, b, c) in enumerate(zip(A, B, C, strict=True)))
    (tmp_path / "d.csv").write_text("entity,a,b,c\n" + rows + "\n", encoding="utf-8")
    (tmp_path / "f.kzf").write_text(
        "dims entity\ninput a, b, c\nidx = amean(a, b, c)\n", encoding="utf-8"
    )
    argv = ["audit", str(tmp_path / "f.kzf"), "--data", str(tmp_path / "d.csv")]
    assert main([*argv, "--index", "idx", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    table = {r["name"]: r for r in csv.DictReader(io.StringIO(out[out.index("name,") :]))}
    want = _power_iteration(np.corrcoef(np.array([A, B, C]))) ** 2
    got = [float(table[n]["pc1_weight"]) for n in "abc"]
    assert got == pytest.approx(list(want), rel=1e-10)
    assert sum(got) == pytest.approx(1.0, rel=1e-12)
    assert table["idx"]["pc1_weight"] == ""  # the index has no parent to weigh it in
