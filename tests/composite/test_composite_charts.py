"""The charts of a composite index (issue 19, item 7; engine/present/composite.py), checked
on what they draw: the wedges of the framework sunburst, the stacked contributions and the
rank bands, against hand computations on a small index (tests/composite/test_framework.py's
table: index = (2 access + price) / 3, access = (speed + 3 coverage) / 4, price = tariff)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import kzf
from kzf.engine.cli.main import main
from kzf.engine.present.composite import composite_charts, default_index

TABLE = """name,parent,weight,direction
index,,,
access,index,w_access,
price,index,1,
speed,access,1,
coverage,access,3,
tariff,price,,-1
"""
PROGRAM = """dims entity, year
param w_access = 2
vary w_access in [1, 3]
framework "framework.csv" over entity
"""
DATA = """entity,year,speed,coverage,tariff
A,2020,10,50,5
B,2020,20,70,4
C,2020,40,60,3
D,2020,30,40,2
"""


@pytest.fixture
def program(tmp_path: Path) -> kzf.Program:
    (tmp_path / "framework.csv").write_text(TABLE, encoding="utf-8")
    (tmp_path / "d.csv").write_text(DATA, encoding="utf-8")
    (tmp_path / "f.kzf").write_text(PROGRAM, encoding="utf-8")
    return kzf.load(tmp_path / "f.kzf")


def _bars(fig: object) -> list[tuple[float, float]]:
    """(width, bottom) of each wedge drawn, in drawing order."""
    ax = fig.axes[0]  # type: ignore[attr-defined]
    return [(p.get_width(), p.get_y()) for p in ax.patches]


def test_the_largest_weighted_mean_that_is_no_ones_child_is_the_index(program) -> None:
    assert default_index(program) == "index"


def test_each_wedge_of_the_framework_spans_its_effective_weight(program, tmp_path) -> None:
    made = composite_charts(program, tmp_path / "d.csv", "index", kinds=["framework"])
    wedges = _bars(made.figures[0][1])
    # depth first as written: index, access, n_speed, n_coverage, price, n_tariff
    full = 2 * math.pi
    want = [full, full * 2 / 3, full * 2 / 3 / 4, full * 2 / 3 * 3 / 4, full / 3, full / 3]
    assert [w for w, _ in wedges] == pytest.approx(want)
    assert [b for _, b in wedges] == [0, 1, 2, 2, 1, 2]  # the ring of each level


def test_the_stacked_contributions_add_up_to_each_entitys_index(program, tmp_path) -> None:
    made = composite_charts(program, tmp_path / "d.csv", "index", kinds=["contributions"])
    ax = made.figures[0][1].axes[0]
    bars = ax.patches
    # min-max by hand: speed (10, 20, 40, 30) -> 0, 1/3, 1, 2/3; coverage (50, 70, 60, 40)
    # -> 1/3, 1, 2/3, 0; tariff lower is better (5, 4, 3, 2) -> 0, 1/3, 2/3, 1
    speed = np.array([0, 1 / 3, 1, 2 / 3])
    coverage = np.array([1 / 3, 1, 2 / 3, 0])
    tariff = np.array([0, 1 / 3, 2 / 3, 1])
    access = (speed + 3 * coverage) / 4
    index = (2 * access + tariff) / 3
    order = np.argsort(-index, kind="stable")  # the highest index first: C, B, D, A
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [["A", "B", "C", "D"][i] for i in order]
    n = 4
    access_part = [b.get_width() for b in bars[:n]]
    price_part = [b.get_width() for b in bars[n:]]
    assert access_part == pytest.approx(list((2 * access / 3)[order]))
    assert price_part == pytest.approx(list((tariff / 3)[order]))
    assert [a + p for a, p in zip(access_part, price_part, strict=True)] == pytest.approx(
        list(index[order])
    )


def test_the_rank_bands_start_from_the_nominal_ranks(program, tmp_path) -> None:
    made = composite_charts(program, tmp_path / "d.csv", "index", kinds=["uncertainty"], runs=30)
    ax = made.figures[0][1].axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    # by hand (above): index A 1/6, B 2/3, C 13/18, D 4/9: C, B, D, A from the highest
    assert labels == ["C", "B", "D", "A"]
    nominal = ax.collections[-1].get_offsets()[:, 0]
    assert list(nominal) == [1.0, 2.0, 3.0, 4.0]


def test_kzf_plot_draws_each_composite_chart(program, tmp_path, capsys) -> None:
    for kind in ("framework", "correlations", "distributions", "contributions", "uncertainty"):
        out = tmp_path / f"{kind}.svg"
        argv = ["plot", str(tmp_path / "f.kzf"), "index", "--kind", kind, "-o", str(out)]
        assert main([*argv, "--runs", "20", "--data", str(tmp_path / "d.csv")]) == 0, (
            capsys.readouterr().err
        )
        assert out.read_text(encoding="utf-8").startswith("<?xml")


def test_a_report_of_a_file_that_varies_nothing_has_the_other_four_charts(tmp_path) -> None:
    from kzf.engine.present import report

    (tmp_path / "framework.csv").write_text(TABLE.replace("w_access", "2"), encoding="utf-8")
    (tmp_path / "d.csv").write_text(DATA, encoding="utf-8")
    (tmp_path / "f.kzf").write_text('dims entity, year\nframework "framework.csv" over entity\n')
    built = report.build(kzf.load(tmp_path / "f.kzf"), tmp_path / "d.csv")
    assert built.composite is not None and built.composite_note is None
    assert [k for k, _ in built.composite.figures] == [
        "framework",
        "correlations",
        "distributions",
        "contributions",
    ]


def test_rank_uncertainty_of_a_file_that_varies_nothing_says_so(tmp_path, capsys) -> None:
    (tmp_path / "framework.csv").write_text(TABLE.replace("w_access", "2"), encoding="utf-8")
    (tmp_path / "d.csv").write_text(DATA, encoding="utf-8")
    (tmp_path / "f.kzf").write_text('dims entity, year\nframework "framework.csv" over entity\n')
    argv = ["plot", str(tmp_path / "f.kzf"), "index", "--kind", "uncertainty"]
    assert main([*argv, "-o", str(tmp_path / "u.svg"), "--data", str(tmp_path / "d.csv")]) == 2
    assert "KZF026" in capsys.readouterr().err and not (tmp_path / "u.svg").exists()
