"""`kzf contrib`: contributions sum to the index and equal hand-derived values.

The rules (engine/composite/audit.py): arithmetic (w_i/W) x_i; geometric (w_i/W) ln x_i / ln V of V;
harmonic (w_i/W) V / x_i of V; the geometric fallback to the weights when a log share is
undefined. The expected values below are written from those formulas, not from kzf.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import pandas as pd
import pytest

import kzf
from kzf.engine.cli.main import main
from kzf.engine.composite import audit

CASES = Path(__file__).parent / "cases"
FILE = str(CASES / "three_level.kzf")
DATA = str(CASES / "three_level.csv")


@pytest.fixture(scope="module")
def contrib() -> pd.DataFrame:
    table, _ = audit.contributions_for(kzf.load(FILE), DATA, "idx")
    return table


def test_contributions_sum_to_the_index(contrib: pd.DataFrame) -> None:
    sums = contrib.groupby(["entity", "year"]).agg(
        total=("contribution", "sum"), idx=("idx", "first")
    )
    present = sums.dropna()
    assert len(present) == 8  # B 2022 lacks x2: its index and contributions are missing
    assert ((present.total - present.idx).abs() <= 1e-12 * present.idx.abs()).all()
    assert contrib.query("entity == 'B' and year == 2022").contribution.isna().all()
    shares = contrib.dropna().groupby(["entity", "year"]).share.sum()
    assert (shares - 1).abs().max() < 1e-12


def test_hand_values_for_one_row(contrib: pd.DataFrame) -> None:
    # A in 2021: x1..x6 = 4, 2, 1, 3, 5, 10; n6 = 10 / max(x6) = 1
    s1 = (2 * 4 + 2) / 3  # 10/3
    s2 = 2 / (1 / 1 + 1 / 3)  # 1.5
    p1 = s1**0.25 * s2**0.75
    p2 = (3 * 5 + 1) / 4
    idx = 0.6 * p1 + 0.4 * p2
    c_p1 = 0.6 * p1  # arithmetic index: (w/W) * value
    ln_p1 = 0.25 * math.log(s1) + 0.75 * math.log(s2)
    c_s1 = 0.25 * math.log(s1) / ln_p1 * c_p1  # geometric: log share of p1
    c_s2 = 0.75 * math.log(s2) / ln_p1 * c_p1
    expected = {
        "x1": (2 / 3) * 4 / s1 * c_s1,  # arithmetic shares within s1
        "x2": (1 / 3) * 2 / s1 * c_s1,
        "x3": 0.5 * s2 / 1 * c_s2,  # harmonic: (w/W) V / x
        "x4": 0.5 * s2 / 3 * c_s2,
        "x5": 0.4 * 0.75 * 5,
        "n6": 0.4 * 0.25 * 1,
    }
    row = contrib.query("entity == 'A' and year == 2021").set_index("indicator")
    assert row.idx.iloc[0] == pytest.approx(idx, rel=1e-12)
    for leaf, value in expected.items():
        assert row.loc[leaf, "contribution"] == pytest.approx(value, rel=1e-12)
        assert row.loc[leaf, "rule"] == "exact"
    assert list(row.index) == ["x1", "x2", "x3", "x4", "x5", "n6"]


def test_geometric_fallbacks_and_harmonic(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("entity,u,v\nA,2,0.5\nB,0,3\nC,4,1\nD,1,3\n")
    (tmp_path / "f.kzf").write_text(
        'dims entity\ndata "d.csv"\ninput u >= 0\ninput v > 0\ng = gmean(u, v)\nh = hmean(u: 1, v: 1)\n'
    )
    prog = kzf.load(tmp_path / "f.kzf")
    g, _ = audit.contributions_for(prog, tmp_path / "d.csv", "g")
    g = g.set_index(["entity", "indicator"])
    # A: V = sqrt(2 * 0.5) = 1, ln V = 0: split by the weights, half of V each
    assert g.loc[("A", "u"), "contribution"] == pytest.approx(0.5, rel=1e-12)
    assert g.loc[("A", "v"), "contribution"] == pytest.approx(0.5, rel=1e-12)
    assert g.loc[("A", "u"), "rule"] == "weights at g"
    # B: a zero child makes V = 0; nothing to split, every child contributes 0
    assert g.loc[("B", "u"), "contribution"] == 0 and g.loc[("B", "v"), "contribution"] == 0
    assert g.loc[("B", "v"), "rule"] == "exact"  # 0 = 0 under any rule: not flagged
    # C: V = sqrt(4) = 2, ln V = ln 2; u's log share 0.5 ln 4 / ln 2 = 1, v's 0
    assert g.loc[("C", "u"), "contribution"] == pytest.approx(2.0, rel=1e-12)
    assert g.loc[("C", "v"), "contribution"] == pytest.approx(0.0, abs=1e-15)
    assert g.loc[("C", "u"), "rule"] == "exact"
    h, _ = audit.contributions_for(prog, tmp_path / "d.csv", "h", entity="D")
    h = h.set_index("indicator")
    # D: V = 2 / (1/1 + 1/3) = 1.5; shares 0.5 * 1.5 / 1 = 0.75 and 0.5 * 1.5 / 3 = 0.25
    assert h.loc["u", "contribution"] == pytest.approx(0.75 * 1.5, rel=1e-12)
    assert h.loc["v", "contribution"] == pytest.approx(0.25 * 1.5, rel=1e-12)


def test_node_shares_arithmetic_zero() -> None:
    import numpy as np

    shares, fallback = audit.node_shares(
        "arithmetic",
        [np.array([1.0, 2.0]), np.array([-1.0, 6.0])],
        [1.0, 1.0],
        np.array([0.0, 4.0]),
    )
    assert fallback.tolist() == [False, False]  # V = 0 contributes 0 under any rule
    assert shares[:, 1].tolist() == [0.25, 0.75]


def test_cli_contrib(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(
        ["contrib", FILE, "--index", "idx", "--entity", "C", "--year", "2021", "--format", "csv"]
    )
    out, err = capsys.readouterr()
    assert status == 0
    frame = pd.read_csv(io.StringIO(out))
    assert len(frame) == 6 and set(frame.entity) == {"C"} and set(frame.year) == {2021}
    assert frame.contribution.sum() == pytest.approx(frame.idx.iloc[0], rel=1e-12)
    status = main(["contrib", FILE, "--index", "idx", "--entity", "Q"])
    out, err = capsys.readouterr()
    assert status == 2 and "[KZF026]" in err and "no entity named 'Q'" in err


def test_contributions_rolled_up_by_node_through_the_command(tmp_path: Path, capsys) -> None:
    """`kzf contrib --by-node`: idx = amean(p1: 1, p2: 3), p1 = amean(a, b), p2 = amean(c):
    for a = 2, b = 4, c = 8, idx = (3 + 24) / 4 = 6.75; p1 contributes 3/4 = 0.75 (a 0.25, b
    0.5) and p2 24/4 = 6; the nodes of one level add up to the index."""
    (tmp_path / "d.csv").write_text("entity,a,b,c\nA,2,4,8\n", encoding="utf-8")
    (tmp_path / "f.kzf").write_text(
        "dims entity\ninput a, b, c\np1 = amean(a, b)\np2 = amean(c)\nidx = amean(p1: 1, p2: 3)\n",
        encoding="utf-8",
    )
    argv = ["contrib", str(tmp_path / "f.kzf"), "--data", str(tmp_path / "d.csv")]
    assert main([*argv, "--index", "idx", "--by-node", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    table = pd.read_csv(io.StringIO(out[out.index("entity,") :])).set_index("node")
    assert table.loc["p1", "contribution"] == pytest.approx(0.75, rel=1e-15)
    assert table.loc["p2", "contribution"] == pytest.approx(6.0, rel=1e-15)
    assert table.loc["p1", "share"] == pytest.approx(0.75 / 6.75, rel=1e-15)
    assert (table["level"] == 1).all() and (table["parent"] == "idx").all()
    assert table["contribution"].sum() == pytest.approx(6.75, rel=1e-15)
