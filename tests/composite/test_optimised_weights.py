"""Optimised weights in `kzf audit --optimise-weights NODE` (issue 19, item 3; COINr's
get_opt_weights, "balance"): weights under which the children's squared correlations with the
index are equal shares. For idx = w·a + (1 - w)·b the correlations are equal where
(w var_a + (1 - w) cov) / sd_a = (w cov + (1 - w) var_b) / sd_b, that is
w = (sd_b - cov/sd_a) / (sd_a + sd_b - cov/sd_a - cov/sd_b): the closed form below."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest

from kzf.engine.cli.main import main

A = [1.0, 2.0, 4.0, 3.0, 6.0, 5.0, 8.0]
B = [10.0, 30.0, 20.0, 60.0, 40.0, 70.0, 50.0]  # ten times the spread of a


def test_balanced_weights_match_the_closed_form(tmp_path: Path, capsys) -> None:
    rows = "\n".join(f"E{i},{a},{b}" for i, (a, b) in enumerate(zip(A, B, strict=True)))
    (tmp_path / "d.csv").write_text("entity,a,b\n" + rows + "\n", encoding="utf-8")
    (tmp_path / "f.kzf").write_text(
        "dims entity\ninput a, b\nidx = amean(a: 1, b: 1)\n", encoding="utf-8"
    )
    argv = ["audit", str(tmp_path / "f.kzf"), "--data", str(tmp_path / "d.csv"), "--index", "idx"]
    assert main([*argv, "--optimise-weights", "idx", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    section = out.split("# weights\n")[1].strip()
    table = {r["child"]: r for r in csv.DictReader(io.StringIO(section))}
    sd_a, sd_b = np.std(A, ddof=1), np.std(B, ddof=1)
    cov = np.cov(A, B, ddof=1)[0, 1]
    w = (sd_b - cov / sd_a) / (sd_a + sd_b - cov / sd_a - cov / sd_b)
    total = 2.0  # the file's weights, 1 + 1, are kept in scale
    assert float(table["a"]["optimised_weight"]) == pytest.approx(total * w, rel=1e-6)
    assert float(table["b"]["optimised_weight"]) == pytest.approx(total * (1 - w), rel=1e-6)
    assert float(table["a"]["share_optimised"]) == pytest.approx(0.5, abs=1e-6)
    assert float(table["a"]["share"]) > 0.5 + 1e-3 or float(table["a"]["share"]) < 0.5 - 1e-3


def test_a_name_that_is_not_a_node_is_refused(tmp_path: Path, capsys) -> None:
    (tmp_path / "d.csv").write_text("entity,a,b\nE1,1,2\nE2,2,1\nE3,3,3\n", encoding="utf-8")
    (tmp_path / "f.kzf").write_text(
        "dims entity\ninput a, b\nidx = amean(a, b)\n", encoding="utf-8"
    )
    argv = ["audit", str(tmp_path / "f.kzf"), "--data", str(tmp_path / "d.csv"), "--index", "idx"]
    assert main([*argv, "--optimise-weights", "a"]) == 2
    assert "'a' is not a node of the index (idx)" in capsys.readouterr().err
