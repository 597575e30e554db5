"""`kzf sensitivity`: Monte Carlo ranks and Sobol' indices against cases solved by hand.

cases/flip.kzf ranks A, B, C, D by a + w1 b + w2 c (over a common denominator). B passes A
exactly when w1 > 0.5 and D passes C exactly when w2 > 0.8, and nothing else can change, so
with w1, w2 ~ U[0, 1] independent:
  P(B first) = 0.5,  P(D third) = 0.2;
  the output Y = mean |rank shift| over the 4 entities = (F1 + F2) / 2, with F1 ~ Bernoulli(0.5)
  and F2 ~ Bernoulli(0.2) independent, is additive, so S_i = ST_i = Var(F_i) / (Var F1 + Var F2)
  = 0.25 / 0.41 = 0.6098 for w1 and 0.16 / 0.41 = 0.3902 for w2.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kzf
from kzf.engine.cli.main import main
from kzf.engine.composite import sensitivity as sens

CASES = Path(__file__).parent / "cases"
FILE = str(CASES / "flip.kzf")
DATA = str(CASES / "flip.csv")
S_W1, S_W2 = 0.25 / 0.41, 0.16 / 0.41


@pytest.fixture(scope="module")
def result() -> sens.Sensitivity:
    return sens.analyse(kzf.load(FILE), DATA, "idx", runs=1000, sobol=256, seed=1)


def test_monte_carlo_rank_distribution(result: sens.Sensitivity) -> None:
    t = result.ranks.set_index("entity")
    assert t.nominal_rank.tolist() == [1, 2, 3, 4]
    assert (t.runs == 1000).all()
    # |shift| of A and B is 1 exactly when w1 > 0.5: its mean estimates 0.5 (SE 0.016);
    # of C and D, 1 when w2 > 0.8: 0.2 (SE 0.013). 4 standard errors of tolerance.
    assert t.loc["B", "mean_abs_shift"] == pytest.approx(0.5, abs=4 * 0.0158)
    assert t.loc["A", "mean_abs_shift"] == t.loc["B", "mean_abs_shift"]
    assert t.loc["D", "mean_abs_shift"] == pytest.approx(0.2, abs=4 * 0.0127)
    # D is 4th with probability 0.8 and 3rd with 0.2: 5th percentile 3, median and 95th 4
    assert (t.loc["D", "p05_rank"], t.loc["D", "median_rank"], t.loc["D", "p95_rank"]) == (3, 4, 4)
    assert (t.loc["B", "p05_rank"], t.loc["B", "p95_rank"]) == (1, 2)


def test_sobol_of_the_pipeline(result: sens.Sensitivity) -> None:
    assert result.sobol is not None
    s = result.sobol.set_index("param")
    for name, expected in (("w1", S_W1), ("w2", S_W2)):
        # SALib's 95% intervals at N = 256 are about +-0.15; allow twice that, since the
        # check must hold for this seed, not on average
        for kind in ("S1", "ST"):
            conf = s.loc[name, f"{kind}_conf"]
            assert 0 < conf < 0.25
            assert abs(s.loc[name, kind] - expected) < 2 * conf


def test_discrete_choices(tmp_path: Path) -> None:
    # the same index with alternatives: w1 > 0.5 for 1 of 2 values, w2 > 0.8 for 1 of 5, so
    # every probability and Sobol' index is as above; only 10 distinct evaluations are made
    text = (CASES / "flip.kzf").read_text().replace("vary w1 in [0, 1]", "vary w1 in {0.25, 0.75}")
    text = text.replace("vary w2 in [0, 1]", "vary w2 in {0.1, 0.3, 0.5, 0.7, 0.9}")
    (tmp_path / "f.kzf").write_text(text.replace('data "flip.csv"', f'data "{DATA}"'))
    prog = kzf.load(tmp_path / "f.kzf")
    r = sens.analyse(prog, DATA, "idx", runs=2000, sobol=1024, seed=3, per_entity=True)
    assert r.evaluations <= 11  # the nominal run and the 2 x 5 combinations
    t = r.ranks.set_index("entity")
    assert t.loc["B", "mean_abs_shift"] == pytest.approx(0.5, abs=4 * 0.0112)
    assert t.loc["C", "mean_abs_shift"] == pytest.approx(0.2, abs=4 * 0.0090)
    assert r.sobol is not None
    s = r.sobol.query("output == 'mean_abs_shift'").set_index("param")
    for name, expected in (("w1", S_W1), ("w2", S_W2)):
        for kind in ("S1", "ST"):
            assert abs(s.loc[name, kind] - expected) < 2 * s.loc[name, f"{kind}_conf"]
    # per entity: B's shift depends on w1 alone (S = 1 for w1, 0 for w2), C's on w2 alone
    for entity, driver, other in (("B", "w1", "w2"), ("C", "w2", "w1")):
        e = r.sobol.query(f"output == 'abs_shift[{entity}]'").set_index("param")
        assert e.loc[driver, "ST"] == pytest.approx(1.0, abs=2 * e.loc[driver, "ST_conf"])
        assert e.loc[driver, "S1"] == pytest.approx(1.0, abs=2 * e.loc[driver, "S1_conf"])
        assert e.loc[other, "ST"] == 0 and e.loc[other, "S1"] == pytest.approx(0, abs=1e-12)


def test_sobol_of_a_linear_function() -> None:
    # Y = 3 u + v with u, v ~ U[0, 1]: Var = 9/12 + 1/12, so S_u = ST_u = 0.9, S_v = ST_v = 0.1
    factors = [sens.Factor("u", 0.0, 1.0, ()), sens.Factor("v", 0.0, 1.0, ())]

    def model(p: dict[str, float | str]) -> np.ndarray:
        return np.array([3 * float(p["u"]) + float(p["v"])])

    s = sens.sobol_indices(factors, model, 4096, seed=7).set_index("param")
    for name, expected in (("u", 0.9), ("v", 0.1)):
        for kind in ("S1", "ST"):
            assert abs(s.loc[name, kind] - expected) < max(2 * s.loc[name, f"{kind}_conf"], 0.01)


def test_choice_mapping() -> None:
    f = sens.Factor("agg", None, None, ("arithmetic", "geometric", "harmonic"))
    assert f.bounds == [0.0, 1.0]
    assert [f.value(u) for u in (0.0, 0.333, 0.334, 0.999, 1.0)] == [
        "arithmetic",
        "arithmetic",
        "geometric",
        "harmonic",
        "harmonic",
    ]


def test_seed_makes_it_reproducible() -> None:
    prog = kzf.load(FILE)
    one = sens.analyse(prog, DATA, "idx", runs=200, sobol=0, seed=5)
    two = sens.analyse(prog, DATA, "idx", runs=200, sobol=0, seed=5)
    other = sens.analyse(prog, DATA, "idx", runs=200, sobol=0, seed=6)
    pd.testing.assert_frame_equal(one.ranks, two.ranks)
    assert not one.ranks.equals(other.ranks)
    assert one.sobol is None


def test_text_choice_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "d.csv").write_text("entity,x,y\nA,1,9\nB,4,4\nC,2,6\nD,3,3\n")
    (tmp_path / "f.kzf").write_text(
        'dims entity\ndata "d.csv"\ninput x > 0\ninput y > 0\nparam agg = "arithmetic"\n'
        'vary agg in {"arithmetic", "geometric"}\nidx = aggregate(agg, x, y)\n'
    )
    # arithmetic: A 5, B 4, C 4, D 3; geometric: A 3, B 4, C 3.46, D 3
    status = main(
        [
            "sensitivity",
            str(tmp_path / "f.kzf"),
            "--index",
            "idx",
            "--runs",
            "400",
            "--sobol",
            "64",
            "--format",
            "json",
        ]
    )
    out, err = capsys.readouterr()
    assert status == 0, err
    payload = json.loads(out)
    ranks = {r["entity"]: r for r in payload["ranks"]}
    assert ranks["A"]["nominal_rank"] == 1 and ranks["A"]["p95_rank"] == 3
    assert ranks["B"]["p05_rank"] == 1 and ranks["B"]["nominal_rank"] == 2
    assert [r["param"] for r in payload["sobol"]] == ["agg"]
    assert payload["sobol"][0]["S1"] == pytest.approx(1.0, abs=0.05)  # the only param
    assert "400 Monte Carlo runs" in err


def test_cli_csv_sections(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(
        ["sensitivity", FILE, "--index", "idx", "--runs", "50", "--sobol", "8", "--format", "csv"]
    )
    out, _ = capsys.readouterr()
    assert status == 0
    ranks_text, sobol_text = out.split("# sobol\n")
    assert ranks_text.startswith("# ranks\n")
    assert pd.read_csv(io.StringIO(ranks_text.split("\n", 1)[1])).shape == (
        4,
        8,
    )  # year + 7 columns
    assert pd.read_csv(io.StringIO(sobol_text)).param.tolist() == ["w1", "w2"]


def test_cli_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(DATA, tmp_path / "d.csv")  # a file's own data lies in its project (KZF022)
    (tmp_path / "f.kzf").write_text('dims entity, year\ndata "d.csv"\ninput a\nidx = amean(a)\n')
    status = main(["sensitivity", str(tmp_path / "f.kzf"), "--index", "idx"])
    _, err = capsys.readouterr()
    assert status == 2 and "[KZF026]" in err and "no `vary` statement" in err
    status = main(["sensitivity", FILE, "--index", "ixd"])
    _, err = capsys.readouterr()
    assert status == 2 and "[KZF025]" in err and "did you mean 'idx'" in err
    status = main(["sensitivity", FILE, "--index", "idx", "--runs", "0"])
    _, err = capsys.readouterr()
    assert status == 2 and "[KZF026]" in err


@pytest.mark.parametrize(
    ("flag", "said"),
    [
        (["--seed", "-1"], "--seed must be 0 or more, not -1"),
        (["--sobol", "100000000"], "--sobol 100,000,000 needs"),
        (["--sobol", "-3"], "--sobol must be 0 (no Sobol' indices) or more, not -3"),
        (["--runs", "100000000"], "--runs must be between 1 and 1,000,000"),
    ],
)
def test_an_analysis_too_large_or_impossible_is_refused_before_it_starts(
    flag: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from kzf.engine.cli.main import main

    index_file = Path(__file__).resolve().parents[2] / "indicators" / "eaeu_digital_index.kzf"
    status = main(["sensitivity", str(index_file), "--index", "index", *flag])
    err = capsys.readouterr().err
    assert status == 2 and "error[KZF026]" in err and said in err
    assert "internal error" not in err


def test_an_index_whose_interval_covers_zero_is_said_so() -> None:
    # Y = 3 u with v doing nothing: S_v = ST_v = 0 exactly, so v's estimates are sampling noise
    # around 0 and their 95% intervals cover it; u's (0.9 ... 1) are far from 0
    factors = [sens.Factor("u", 0.0, 1.0, ()), sens.Factor("v", 0.0, 1.0, ())]

    def model(p: dict[str, float | str]) -> np.ndarray:
        return np.array([3 * float(p["u"]) + 1e-9 * float(p["v"]) ** 2])

    s = sens.sobol_indices(factors, model, 256, seed=7).set_index("param")
    assert s.loc["u", "note"] == ""
    assert "interval covers 0" in s.loc["v", "note"]
    advice = sens.interval_advice(s.reset_index(), 256)
    assert advice is not None and "1 of 2" in advice and "--sobol 1024" in advice


def test_kzf_sensitivity_says_which_indices_cannot_be_told_from_zero(capsys) -> None:
    argv = ["sensitivity", FILE, "--index", "idx", "--runs", "50", "--sobol", "8"]
    assert main([*argv, "--format", "csv"]) == 0
    out = capsys.readouterr().out
    sobol = pd.read_csv(io.StringIO(out.split("# sobol\n")[1]))
    covers = (sobol.S1.abs() <= sobol.S1_conf) | (sobol.ST.abs() <= sobol.ST_conf)
    assert sobol.note.fillna("").str.contains("interval covers 0").tolist() == covers.tolist()
    assert main([*argv, "--format", "table"]) == 0
    header = capsys.readouterr().out.split("\n\n")[0]
    assert covers.any()  # 8 runs are too few for these two weights
    assert "cannot be told from 0" in header and "--sobol 32 would halve" in header


def test_a_varied_weight_is_told_its_share_range(tmp_path: Path, capsys) -> None:
    """idx = amean(a: w, b: 0.5) with `vary w in [0.3, 0.7]`: the mean divides by w + 0.5, so
    w's share of the weights runs from 0.3/0.8 = 0.375 to 0.7/1.2 = 0.583, not 0.3 to 0.7."""
    (tmp_path / "d.csv").write_text("entity,a,b\nE1,1,3\nE2,2,1\nE3,3,2\n", encoding="utf-8")
    (tmp_path / "f.kzf").write_text(
        'dims entity\ndata "d.csv"\ninput a, b\nparam w = 0.5\nvary w in [0.3, 0.7]\n'
        "idx = amean(a: w, b: 0.5)\n",
        encoding="utf-8",
    )
    argv = ["sensitivity", str(tmp_path / "f.kzf"), "--index", "idx", "--runs", "10"]
    assert main([*argv, "--sobol", "0", "--format", "table"]) == 0
    out = capsys.readouterr().out
    assert (
        "w in [0.3, 0.7] weighs a in idx: its share of idx's weights runs over [0.375, 0.583]"
        in out
    )
