"""`kzf audit`: every statistic against a computation that does not use kzf.

The fixture cases/three_level.kzf is re-implemented here by hand (pandas on the CSV), and
the statistics are computed with other formulas than engine/composite/audit.py uses: Cronbach's alpha
from the mean inter-item covariance (and once with exact fractions), the first-component
share from an SVD of the standardised data, correlations from pandas.
"""

from __future__ import annotations

import dataclasses
import io
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kzf
from kzf.dsl.diagnostics import UsageError
from kzf.engine.cli.main import main
from kzf.engine.composite import audit

CASES = Path(__file__).parent / "cases"
FILE = str(CASES / "three_level.kzf")


def by_hand() -> pd.DataFrame:
    """The index of three_level.kzf written out with pandas."""
    d = pd.read_csv(CASES / "three_level.csv")
    d["n6"] = d["x6"] / d.groupby("year")["x6"].transform("max")
    d["s1"] = (2 * d.x1 + d.x2) / 3
    d["s2"] = 2 / (1 / d.x3 + 1 / d.x4)
    d["p1"] = d.s1**0.25 * d.s2**0.75
    d["p2"] = (3 * d.x5 + d.n6) / 4
    d["idx"] = 0.6 * d.p1 + 0.4 * d.p2
    return d


def ranks(values: pd.Series) -> pd.Series:
    return values.rank(method="min", ascending=False)


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    result = audit.audit(kzf.load(FILE), str(CASES / "three_level.csv"), "idx")
    assert result.year == 2021  # 2022 has the index for A and C only: fewer than 3
    assert result.entities == 6
    return result.table.set_index("name")


def test_cronbach_alpha_by_hand() -> None:
    # items (cases x 3): variances 5/3, 19/12, 11/12 (sum 25/6); totals 6, 8, 10, 14 have
    # variance 35/3; alpha = 3/2 * (1 - (25/6) / (35/3)) = 27/28.
    items = np.array([[1, 2, 3], [2, 3, 3], [3, 3, 4], [4, 5, 5]], dtype=float)
    assert audit.cronbach_alpha(items) == pytest.approx(float(Fraction(27, 28)), rel=1e-12)
    # uncorrelated items of equal variance give alpha = 0
    assert audit.cronbach_alpha(np.array([[1, 1], [1, -1], [-1, 1], [-1, -1]], float)) == 0


def alpha_from_covariances(items: np.ndarray) -> float:
    """alpha = k^2 * mean off-diagonal covariance / sum of the covariance matrix."""
    cov = np.cov(items, rowvar=False)
    k = cov.shape[0]
    mean_cov = (cov.sum() - np.trace(cov)) / (k * (k - 1))
    return float(k * k * mean_cov / cov.sum())


def pc1_by_svd(items: np.ndarray) -> float:
    z = (items - items.mean(axis=0)) / items.std(axis=0, ddof=1)
    s = np.linalg.svd(z, compute_uv=False)
    return float(s[0] ** 2 / (s**2).sum())


CHILDREN = {
    "idx": ["p1", "p2"],
    "p1": ["s1", "s2"],
    "s1": ["x1", "x2"],
    "s2": ["x3", "x4"],
    "p2": ["x5", "n6"],
}
PARENT = {c: p for p, cs in CHILDREN.items() for c in cs}


def test_alpha_and_first_component(table: pd.DataFrame) -> None:
    d = by_hand().query("year == 2021")
    for node, kids in CHILDREN.items():
        items = d[kids].to_numpy()
        assert table.loc[node, "alpha"] == pytest.approx(alpha_from_covariances(items), rel=1e-9)
        assert table.loc[node, "pc1_share"] == pytest.approx(pc1_by_svd(items), rel=1e-9)
        assert table.loc[node, "cases"] == 6


def test_correlations(table: pd.DataFrame) -> None:
    d = by_hand().query("year == 2021")
    for name, parent in PARENT.items():
        assert table.loc[name, "parent"] == parent
        assert table.loc[name, "r_parent"] == pytest.approx(d[name].corr(d[parent]), rel=1e-9)
        assert table.loc[name, "r_index"] == pytest.approx(d[name].corr(d["idx"]), rel=1e-9)
    assert list(table.index) == ["idx", "p1", "s1", "x1", "x2", "s2", "x3", "x4", "p2", "x5", "n6"]


def test_leave_one_out(table: pd.DataFrame) -> None:
    d = by_hand().query("year == 2021").reset_index(drop=True)
    full = ranks(d.idx)
    p1_without_x1 = d.x2**0.25 * d.s2**0.75  # s1 is x2 alone
    p1_without_x3 = d.s1**0.25 * d.x4**0.75  # a harmonic mean of x4 alone is x4
    without = {
        "x1": 0.6 * p1_without_x1 + 0.4 * d.p2,
        "x3": 0.6 * p1_without_x3 + 0.4 * d.p2,
        "n6": 0.6 * d.p1 + 0.4 * d.x5,  # the weights 3 of x5 renormalised to 1
    }
    for leaf, index in without.items():
        shift = (ranks(index) - full).abs()
        assert table.loc[leaf, "loo_mean_abs_shift"] == pytest.approx(shift.mean(), abs=1e-12)
        assert table.loc[leaf, "loo_max_abs_shift"] == shift.max()
        assert shift.max() > 0  # the fixture makes each of these move someone
        assert shift[d.entity == table.loc[leaf, "loo_most_shifted"]].iloc[0] == shift.max()


def test_a_node_left_with_no_child_leaves_its_parent(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("entity,z,y\nA,1,3\nB,2,2\nC,3,1\n")
    (tmp_path / "f.kzf").write_text(
        'dims entity\ndata "d.csv"\ninput z\ninput y\nq = amean(z)\nidx = amean(q: 3, y: 1)\n'
    )
    result = audit.audit(kzf.load(tmp_path / "f.kzf"), tmp_path / "d.csv", "idx").table
    row = result.set_index("name").loc["z"]
    # without z, q disappears and idx = y: ranks C, B, A become A, B, C
    assert row.loo_mean_abs_shift == pytest.approx(4 / 3) and row.loo_max_abs_shift == 2


def test_chosen_year(tmp_path: Path) -> None:
    prog = kzf.load(FILE)
    result = audit.audit(prog, str(CASES / "three_level.csv"), "idx", year=2022)
    assert result.year == 2022 and result.entities == 2


def test_reaggregation_must_reproduce_the_engine() -> None:
    ev = audit.evaluate(kzf.load(FILE), str(CASES / "three_level.csv"), "idx")
    tampered = ev.frame.copy()
    tampered.loc[3, "s2"] *= 1 + 1e-6
    with pytest.raises(UsageError) as info:
        audit._check_reproduced(dataclasses.replace(ev, frame=tampered))
    assert info.value.code == "KZF025" and "'s2'" in str(info.value.render())
    tampered = ev.frame.copy()
    tampered.loc[0, "s2"] *= 1 + 1e-11  # within 1e-9 relative: accepted
    audit._check_reproduced(dataclasses.replace(ev, frame=tampered))


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_audit(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(["audit", FILE, "--index", "idx", "--format", "csv"], capsys)
    assert status == 0 and "in 2021: 6 entities" in err
    frame = pd.read_csv(io.StringIO(out))
    assert frame.name.tolist()[:3] == ["idx", "p1", "s1"]
    status, out, _ = run(["audit", FILE, "--index", "idx", "--format", "table"], capsys)
    assert status == 0 and out.startswith("audit of 'idx' in 2021")


@pytest.mark.parametrize(
    ("argv", "code", "fragment"),
    [
        (["--index", "idz"], "KZF025", "did you mean 'idx'"),
        (["--index", "n6"], "KZF025", "is not a weighted mean"),
        (["--index", "idx", "--year", "1999"], "KZF026", "no rows for that year"),
        (["--index", "idx", "--param", "nope=1"], "KZF019", "unknown parameter"),
    ],
)
def test_cli_audit_errors(
    argv: list[str], code: str, fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(["audit", FILE, *argv], capsys)
    assert status == 2 and out == ""
    assert f"[{code}]" in err and fragment in err and "Traceback" not in err


def test_leaving_out_a_whole_pillar(tmp_path: Path, capsys) -> None:
    """Leave-one-out of a node (issue 19): without p2, idx = amean(p1: 1, p2: 1) is p1 = a.
    a = 3, 2, 1 and b = 0, 5, 10 give idx 1.5, 3.5, 5.5 (ranks 3, 2, 1), and a alone ranks
    them 1, 2, 3: shifts 2, 0, 2, a mean of 4/3 and a largest of 2."""
    import csv

    (tmp_path / "d.csv").write_text("entity,a,b\nE1,3,0\nE2,2,5\nE3,1,10\n", encoding="utf-8")
    (tmp_path / "f.kzf").write_text(
        "dims entity\ninput a, b\np1 = amean(a)\np2 = amean(b)\nidx = amean(p1: 1, p2: 1)\n",
        encoding="utf-8",
    )
    argv = ["audit", str(tmp_path / "f.kzf"), "--data", str(tmp_path / "d.csv")]
    assert main([*argv, "--index", "idx", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    table = {r["name"]: r for r in csv.DictReader(io.StringIO(out[out.index("name,") :]))}
    p2 = table["p2"]
    assert float(p2["loo_mean_abs_shift"]) == pytest.approx(4 / 3, rel=1e-15)
    assert float(p2["loo_max_abs_shift"]) == 2.0
    assert p2["loo_most_shifted"] in ("E1", "E3")
