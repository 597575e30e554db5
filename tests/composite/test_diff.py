"""`kzf diff`: scores, changes and ranks against pandas, and what is said about coverage."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

import kzf
from kzf.dsl.diagnostics import UsageError
from kzf.engine.cli.main import main
from kzf.engine.composite.diff import diff

CASES = Path(__file__).parent / "cases"
A, B = str(CASES / "diff_a.kzf"), str(CASES / "diff_b.kzf")


def test_same_data_by_hand() -> None:
    result = diff(kzf.load(A), kzf.load(B), str(CASES / "diff_a.csv"))
    assert (result.name_a, result.name_b) == ("score", "score")  # the one common index
    assert result.notes == []
    d = pd.read_csv(CASES / "diff_a.csv")
    d["score_a"] = (d.x + d.y) / 2
    d["score_b"] = (3 * d.x + d.y) / 4
    for s in ("a", "b"):
        d[f"rank_{s}"] = d.groupby("year")[f"score_{s}"].rank(method="min", ascending=False)
    d = d.sort_values(["entity", "year"]).reset_index(drop=True)
    got = result.frame
    assert got[["entity", "year"]].equals(d[["entity", "year"]])
    for col in ("score_a", "score_b", "rank_a", "rank_b"):
        assert got[col].tolist() == pytest.approx(d[col].tolist(), rel=1e-12)
    assert got.change.tolist() == pytest.approx((d.score_b - d.score_a).tolist(), rel=1e-12)
    assert got.rank_change.tolist() == (d.rank_b - d.rank_a).tolist()
    # 2020: A (5), C (4.5), B (4), D (3) becomes B (4), C (3.25), then A and D tied (3)
    row = got.set_index(["entity", "year"]).loc[("A", 2020)]
    assert (row.rank_a, row.rank_b, row.rank_change) == (1, 3, 2)


def test_each_on_its_own_data_reports_coverage() -> None:
    result = diff(kzf.load(A), kzf.load(B))
    notes = "\n".join(result.notes)
    assert "entities with a score in A only: D" in notes
    assert "entities with a score in B only: E" in notes
    assert "years with a score in B only: 2022" in notes
    frame = result.frame.set_index(["entity", "year"])
    assert pd.isna(frame.loc[("D", 2020), "score_b"]) and pd.isna(frame.loc[("E", 2020), "rank_a"])
    assert frame.loc[("A", 2022), "rank_b"] == 1  # alone in 2022 under B


def test_index_pairs_and_ambiguity(tmp_path: Path) -> None:
    result = diff(kzf.load(A), kzf.load(B), str(CASES / "diff_a.csv"), "score:alt")
    assert result.name_b == "alt"
    assert result.frame.score_b.iloc[0] == pytest.approx((1 * 9) ** 0.5, rel=1e-12)
    (tmp_path / "c.kzf").write_text(
        (CASES / "diff_b.kzf")
        .read_text()
        .replace('data "diff_b.csv"', f'data "{CASES / "diff_b.csv"}"')
    )
    with pytest.raises(UsageError) as info:
        diff(kzf.load(B), kzf.load(tmp_path / "c.kzf"))
    message = info.value.render()
    assert (
        info.value.code == "KZF025" and "--index" in message and "candidates: alt, score" in message
    )


def test_cli_diff(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["diff", A, B, "--format", "csv"])
    out, err = capsys.readouterr()
    assert status == 0
    assert "note: entities with a score in A only: D" in err
    frame = pd.read_csv(io.StringIO(out))
    assert list(frame.columns) == [
        "entity",
        "year",
        "score_a",
        "score_b",
        "change",
        "rank_a",
        "rank_b",
        "rank_change",
    ]
    status = main(["diff", A, B, "--format", "table"])
    out, _ = capsys.readouterr()
    assert status == 0 and "note: years with a score in B only: 2022" in out


def test_cli_diff_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["diff", A, B, "--index", "scroe"])
    _, err = capsys.readouterr()
    assert status == 2 and "[KZF025]" in err and "did you mean 'score'" in err
    (tmp_path / "e.kzf").write_text("dims entity\ninput x\nscore = amean(x)\n")
    status = main(["diff", A, str(tmp_path / "e.kzf")])
    _, err = capsys.readouterr()
    assert status == 2 and "[KZF026]" in err and "different dimensions" in err
    status = main(["diff", A, B, "--param", "nope=1"])
    _, err = capsys.readouterr()
    assert status == 2 and "[KZF019]" in err


def test_the_summary_of_a_diff_by_hand(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A ranks E1..E4 by x = 4, 3, 2, 1; B by y = 1, 3, 2, 4: rank changes +3, 0, 0, -3, so the
    mean |change| is 1.5, the largest 3 (E1 first), half moved, and Spearman's rho is
    1 - 6·18 / (4·15) = -0.8."""
    (tmp_path / "d.csv").write_text(
        "entity,year,x,y\nE1,2020,4,1\nE2,2020,3,3\nE3,2020,2,2\nE4,2020,1,4\n", encoding="utf-8"
    )
    for name, col in (("a", "x"), ("b", "y")):
        (tmp_path / f"{name}.kzf").write_text(
            f'dims entity, year\ndata "d.csv"\ninput x, y\nscore = amean({col})\n', encoding="utf-8"
        )
    result = diff(kzf.load(tmp_path / "a.kzf"), kzf.load(tmp_path / "b.kzf"))
    assert result.summary is not None
    row = result.summary.iloc[0]
    assert row["year"] == 2020 and row["entities"] == 4
    assert row["mean_abs_rank_change"] == 1.5 and row["max_abs_rank_change"] == 3
    assert row["moved_most"] == "E1" and row["share_moved"] == 0.5
    assert row["spearman_rho"] == pytest.approx(-0.8, rel=1e-12)
    assert main(["diff", str(tmp_path / "a.kzf"), str(tmp_path / "b.kzf"), "--format", "csv"]) == 0
    err = capsys.readouterr().err
    assert "summary 2020: 4 entities in both; mean |rank change| 1.5, largest 3, most: E1" in err
    assert "50% moved; Spearman's rho -0.8" in err
