"""The generalised (power) mean (issue 19, item 4; COINr's a_genmean), (Σ wᵢxᵢ^p / Σ wᵢ)^(1/p),
and its limits, through `kzf eval` on pandas and DuckDB, and in `kzf contrib` and `kzf
audit`. Expected values by hand for a = 1, b = 4 with weights 1 and 3."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from kzf.engine.cli.main import main

PROGRAM = """dims entity, year
input a > 0, b > 0
param p = 2
quadratic = power_mean(2, a: 1, b: 3)
geometric = power_mean(0, a: 1, b: 3)
harmonic = power_mean(-1, a: 1, b: 3)
arithmetic = power_mean(1, a: 1, b: 3)
chosen = power_mean(p, a: 1, b: 3)
"""
EXPECTED = {
    "quadratic": ((1 + 3 * 16) / 4) ** 0.5,  # 3.5
    "geometric": (1 * 4**3) ** 0.25,  # the limit p -> 0: 64^(1/4)
    "harmonic": 1 / ((1 + 3 / 4) / 4),  # 16/7
    "arithmetic": (1 + 3 * 4) / 4,
}


def _run(tmp_path: Path, capsys, *extra: str) -> dict[str, str]:
    (tmp_path / "m.kzf").write_text(PROGRAM, encoding="utf-8")
    (tmp_path / "d.csv").write_text("entity,year,a,b\nA,2020,1,4\n", encoding="utf-8")
    argv = ["eval", str(tmp_path / "m.kzf"), "--data", str(tmp_path / "d.csv")]
    assert main([*argv, "--format", "csv", *extra]) == 0
    return next(csv.DictReader(io.StringIO(capsys.readouterr().out)))


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_the_power_mean_and_its_limits(tmp_path: Path, capsys, engine: str) -> None:
    row = _run(tmp_path, capsys, "--engine", engine)
    for name, want in EXPECTED.items():
        assert float(row[name]) == pytest.approx(want, rel=1e-14), name
    assert float(row["chosen"]) == pytest.approx(EXPECTED["quadratic"], rel=1e-14)


def test_a_param_exponent_of_zero_is_the_geometric_mean(tmp_path: Path, capsys) -> None:
    row = _run(tmp_path, capsys, "--param", "p=0")
    assert float(row["chosen"]) == pytest.approx(EXPECTED["geometric"], rel=1e-14)


def test_contributions_and_audit_of_a_power_mean(tmp_path: Path, capsys) -> None:
    (tmp_path / "f.kzf").write_text(
        "dims entity\ninput a > 0, b > 0\np1 = power_mean(2, a: 1, b: 3)\nidx = amean(p1: 1, b: 1)\n",
        encoding="utf-8",
    )
    (tmp_path / "d.csv").write_text("entity,a,b\nA,1,4\nB,2,2\nC,3,1\n", encoding="utf-8")
    files = [str(tmp_path / "f.kzf"), "--data", str(tmp_path / "d.csv")]
    assert main(["contrib", *files, "--index", "idx", "--entity", "A", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    parts = {r["indicator"]: float(r["contribution"]) for r in csv.DictReader(io.StringIO(out))}
    # A: p1 = 3.5, idx = (3.5 + 4) / 2 = 3.75; within p1 the shares of V^2 are
    # (1/4 · 1) / 12.25 for a and (3/4 · 16) / 12.25 for b; b also enters idx directly
    assert parts["a"] == pytest.approx(1.75 * 0.25 / 12.25, rel=1e-14)
    assert parts["b"] == pytest.approx(1.75 * 12 / 12.25 + 2.0, rel=1e-14)
    assert sum(parts.values()) == pytest.approx(3.75, rel=1e-14)
    assert main(["audit", *files, "--index", "idx", "--format", "csv"]) == 0  # re-aggregates
    assert "p1,node,idx,power," in capsys.readouterr().out
