"""Effective weights in `kzf audit` (issue 19, item 3; COINr's get_eff_weights): a name's
weight within its parent, and the product of those down the tree, by hand:
idx = amean(p1: 1, p2: 3); p1 = amean(a: 1, b: 1); p2 = amean(b: 1, c: 4), so b sits under
both pillars: a 1/4 · 1/2 = 1/8, b 1/4 · 1/2 + 3/4 · 1/5 = 11/40, c 3/4 · 4/5 = 3/5."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from kzf.engine.cli.main import main


def test_effective_weights_multiply_down_the_tree(tmp_path: Path, capsys) -> None:
    (tmp_path / "f.kzf").write_text(
        "dims entity\ninput a, b, c\np1 = amean(a: 1, b: 1)\np2 = amean(b: 1, c: 4)\n"
        "idx = amean(p1: 1, p2: 3)\n",
        encoding="utf-8",
    )
    rows = "\n".join(
        f"{e},{a},{b},{c}"
        for e, a, b, c in [("A", 1, 2, 3), ("B", 2, 1, 5), ("C", 3, 4, 1), ("D", 5, 3, 2)]
    )
    (tmp_path / "d.csv").write_text("entity,a,b,c\n" + rows + "\n", encoding="utf-8")
    argv = ["audit", str(tmp_path / "f.kzf"), "--data", str(tmp_path / "d.csv")]
    assert main([*argv, "--index", "idx", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    table = {r["name"]: r for r in csv.DictReader(io.StringIO(out[out.index("name,") :]))}
    want = {"idx": 1.0, "p1": 0.25, "p2": 0.75, "a": 1 / 8, "b": 11 / 40, "c": 3 / 5}
    for name, w in want.items():
        assert float(table[name]["effective_weight"]) == pytest.approx(w, rel=1e-15), name
    assert float(table["c"]["weight"]) == pytest.approx(0.8, rel=1e-15)  # within p2
    assert sum(float(table[n]["effective_weight"]) for n in "abc") == pytest.approx(1.0)
