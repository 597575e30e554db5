"""bod(a, b over entity) (issue 19, item 4): benefit of the doubt (COINr's a_bod; Cherchye et
al. 2007), each entity's best weighted score under weights w >= 0 with which no entity of its
year scores above 1. By hand for A (1, 0.2), B (0.2, 1), C (0.5, 0.5): A and B reach 1 with
weights on their strong indicator; for C the binding constraints are A's and B's, w1 + 0.2 w2
<= 1 and 0.2 w1 + w2 <= 1, so w1 = w2 = 1/1.2 and C = 0.5 (w1 + w2) = 5/6."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from kzf.engine.cli.main import main


def test_benefit_of_the_doubt_by_hand(tmp_path: Path, capsys) -> None:
    (tmp_path / "b.kzf").write_text(
        "dims entity, year\ninput a, b\nscore = bod(a, b over entity)\n", encoding="utf-8"
    )
    (tmp_path / "d.csv").write_text(
        "entity,year,a,b\nA,2020,1,0.2\nB,2020,0.2,1\nC,2020,0.5,0.5\nD,2020,,1\n",
        encoding="utf-8",
    )
    argv = ["eval", str(tmp_path / "b.kzf"), "--data", str(tmp_path / "d.csv")]
    assert main([*argv, "--format", "csv"]) == 0
    rows = {r["entity"]: r["score"] for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    assert float(rows["A"]) == pytest.approx(1.0, rel=1e-9)
    assert float(rows["B"]) == pytest.approx(1.0, rel=1e-9)
    assert float(rows["C"]) == pytest.approx(5 / 6, rel=1e-9)
    assert rows["D"] == ""  # a missing value: no score, and not a constraint on the others


def test_bod_takes_no_weights(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.kzf"
    bad.write_text("dims entity\ninput a, b\ns = bod(a: 1, b: 2 over entity)\n", encoding="utf-8")
    assert main(["check", str(bad)]) == 2
    assert "bod() takes no weights" in capsys.readouterr().err
