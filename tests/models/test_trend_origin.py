"""trend() with a missing first year counts x from the first year of its range, as a chart
trend line does (issue 18). Expected values by hand: the data are y = 10·√x with x = year -
1999, so the power trend is exactly that curve: 10·√11 in 2010."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from kzf.engine.cli.main import main


def _data(tmp_path: Path) -> Path:
    # 2000 has no value; 2001..2020 are 10·√(year - 1999)
    cells = [
        "" if year == 2000 else repr(10 * math.sqrt(year - 1999)) for year in range(2000, 2021)
    ]
    lines = ["entity,year,y"] + [f"A,{2000 + i},{c}" for i, c in enumerate(cells)]
    path = tmp_path / "d.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _power_fit_at(x_values: list[float], ys: list[float], x: float) -> float:
    """The chart's power trend a·x^b (least squares of ln y on ln x) by numpy's polyfit."""
    b, ln_a = np.polyfit(np.log(x_values), np.log(ys), 1)
    return float(math.exp(ln_a) * x**b)


# from 2001 on, with x = 1 in 2001, the points are 10·√(x + 1), x = 1..20: not a power law,
# so the fit is the least-squares one, and 2010 is x = 10
FROM_2001 = _power_fit_at(
    [float(x) for x in range(1, 21)], [10 * math.sqrt(x + 1) for x in range(1, 21)], 10.0
)


@pytest.mark.parametrize(
    ("where", "want"),
    [
        ("", 10 * math.sqrt(11)),  # x = 1 in 2000, the range's first year, though empty
        (" where year >= 2001", FROM_2001),  # the file starts the range at 2001
    ],
)
def test_a_missing_first_year_keeps_x_1_at_the_first_year_of_the_range(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str, want: float
) -> None:
    program = tmp_path / "t.kzf"
    program.write_text(
        f"dims entity, year\ninput y\nt = trend(y, power{where})\n", encoding="utf-8"
    )
    argv = ["eval", str(program), "--data", str(_data(tmp_path)), "--format", "csv"]
    assert main([*argv, "--where", "year = 2010"]) == 0
    line = capsys.readouterr().out.splitlines()[1]
    entity, year, value = line.split(",")
    assert (entity, year) == ("A", "2010")
    assert float(value) == pytest.approx(want, rel=1e-12)
    assert abs(FROM_2001 - 10 * math.sqrt(11)) > 0.3  # the two choices differ visibly
