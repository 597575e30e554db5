"""`kzf audit --correlations` (issue 19, item 5): every pair of the hierarchy's names, within
and across levels, with Pearson's r, its p-value and COINr's flags (get_corr_flags: two
children of one node above 0.9 collinear, below -0.4 negative). Expected r and p from
scipy.stats.pearsonr on the same columns, not from kzf."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from kzf.engine.cli.main import main

A = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
B = [1.1, 2.0, 2.9, 4.2, 5.0, 6.1]  # almost a: collinear siblings
C = [6.0, 1.0, 5.0, 2.0, 4.0, 3.0]
D = [1.0, 5.5, 2.0, 5.0, 3.0, 4.0]  # against c: negative siblings


def test_the_correlation_matrix_with_p_values_and_flags(tmp_path: Path, capsys) -> None:
    rows = "\n".join(
        f"E{i},{a},{b},{c},{d}" for i, (a, b, c, d) in enumerate(zip(A, B, C, D, strict=True))
    )
    (tmp_path / "d.csv").write_text("entity,a,b,c,d\n" + rows + "\n", encoding="utf-8")
    (tmp_path / "f.kzf").write_text(
        "dims entity\ninput a, b, c, d\np1 = amean(a, b)\np2 = amean(c, d)\nidx = amean(p1, p2)\n",
        encoding="utf-8",
    )
    argv = ["audit", str(tmp_path / "f.kzf"), "--data", str(tmp_path / "d.csv")]
    assert main([*argv, "--index", "idx", "--correlations", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    table = pd.read_csv(io.StringIO(out.split("# correlations\n")[1])).fillna({"flag": ""})
    pairs = {(r.a, r.b): r for r in table.itertuples()}
    names = ["idx", "p1", "a", "b", "p2", "c", "d"]
    assert len(table) == len(names) * (len(names) - 1) // 2  # every pair once
    columns = {"a": A, "b": B, "c": C, "d": D}
    for (x, y), row in pairs.items():
        if x in columns and y in columns:
            want = stats.pearsonr(columns[x], columns[y])
            assert row.r == pytest.approx(want.statistic, rel=1e-12), (x, y)
            assert row.p == pytest.approx(want.pvalue, rel=1e-9), (x, y)
    assert pairs[("a", "b")].relation == "siblings" and pairs[("a", "b")].flag == "collinear"
    assert pairs[("c", "d")].relation == "siblings"
    r_cd = float(np.corrcoef(C, D)[0, 1])  # -0.99, below -0.4
    assert pairs[("c", "d")].flag == "negative" and pairs[("c", "d")].r == pytest.approx(r_cd)
    assert r_cd < -0.4
    assert pairs[("p1", "a")].relation == "parent" and pairs[("a", "c")].relation == "across"
