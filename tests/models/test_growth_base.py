"""growth() from a zero or negative base says so, naming the rows (issue 18), on pandas and
DuckDB alike, through `kzf eval`. Expected values by hand: -10 to 5 is 5 / -10 - 1 = -1.5,
5 to 10 is 10 / 5 - 1 = 1, 4 to 0 is -1, 0 to 3 has no rate."""

from __future__ import annotations

from pathlib import Path

import pytest

from kzf.engine.cli.main import main

DATA = "entity,year,profit\nA,2019,-10\nA,2020,5\nA,2021,10\nB,2019,4\nB,2020,0\nB,2021,3\n"


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_growth_from_a_negative_base_is_warned_and_from_zero_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], engine: str
) -> None:
    (tmp_path / "g.kzf").write_text(
        "dims entity, year\ninput profit\ng = growth(profit)\n", encoding="utf-8"
    )
    (tmp_path / "d.csv").write_text(DATA, encoding="utf-8")
    argv = ["eval", str(tmp_path / "g.kzf"), "--data", str(tmp_path / "d.csv")]
    assert main([*argv, "--format", "csv", "--engine", engine]) == 0
    out = capsys.readouterr()
    assert out.out.splitlines()[1:] == [
        "A,2019,",
        "A,2020,-1.5",
        "A,2021,1.0",
        "B,2019,",
        "B,2020,-1.0",
        "B,2021,",
    ]
    assert "warning[KZF205]: growth() from a negative base" in out.err
    assert "in rows (A, 2020)" in out.err  # only the rate from -10; 5 to 10 is a plain rise
    assert "warning[KZF201]: growth() from a zero base gave a missing value in rows (B, 2021)" in (
        out.err
    )


def test_a_positive_series_has_no_growth_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "g.kzf").write_text(
        "dims entity, year\ninput profit > 0\ng = growth(profit)\n", encoding="utf-8"
    )
    (tmp_path / "d.csv").write_text("entity,year,profit\nA,2019,1\nA,2020,2\n", encoding="utf-8")
    argv = ["eval", str(tmp_path / "g.kzf"), "--data", str(tmp_path / "d.csv")]
    assert main([*argv, "--format", "csv"]) == 0
    assert "KZF20" not in capsys.readouterr().err
