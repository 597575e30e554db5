"""treat_coinr(): treat() with COINr's log rule (issue 19, item 2). COINr's Treat() winsorises
up to `winmax` points and, where that is not enough, log-transforms the original values with
log_CT: ln(x - min + 0.01·(max - min)) (COINr 1.1, R/treat_functions.R), where kzf's treat()
takes ln(x) for positive values. Expected values by those formulas, through `kzf eval`."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import pytest

from kzf.engine.cli.main import main

# fifteen 1s, 30 and 1000: one point winsorised (1000 -> 30) still leaves skewness 2.6 and
# kurtosis 5.4 above the limits (2 and 3.5), so both fall back to a log transform
VALUES = [1.0] * 15 + [30.0, 1000.0]


def test_treat_coinr_takes_coinrs_log_rule(tmp_path: Path, capsys) -> None:
    (tmp_path / "t.kzf").write_text(
        "dims entity, year\ninput x > 0\nours = treat(x, 1 over entity)\n"
        "coinr = treat_coinr(x, 1 over entity)\n",
        encoding="utf-8",
    )
    lines = ["entity,year,x"] + [f"E{i:02d},2020,{v!r}" for i, v in enumerate(VALUES)]
    (tmp_path / "d.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    argv = ["eval", str(tmp_path / "t.kzf"), "--data", str(tmp_path / "d.csv")]
    assert main([*argv, "--format", "csv"]) == 0
    out = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(out.out)))
    low, high = min(VALUES), max(VALUES)
    for row, x in zip(rows, VALUES, strict=True):
        assert float(row["coinr"]) == pytest.approx(
            math.log(x - low + 0.01 * (high - low)), rel=1e-14
        )
        assert float(row["ours"]) == pytest.approx(math.log(x), rel=1e-14)  # kzf's treat: ln x
    assert "ln(x - min + 0.01·(max - min))" in out.err and "note[KZF262]" in out.err
