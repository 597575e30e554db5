"""Every `kzf` block of docs/models.md compiles; those with data run and meet their expects."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

import kzf
from kzf.engine.api.model_tables import judge_cell
from kzf.engine.checks.expect import Status, judge

DOCS = Path(__file__).resolve().parents[2] / "docs"
BLOCKS = re.findall(r"```kzf\n(.*?)```", (DOCS / "models.md").read_text(encoding="utf-8"), re.S)


def test_the_page_has_examples() -> None:
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_example_compiles_and_runs(index: int) -> None:
    prog = kzf.compile(BLOCKS[index], path=f"models.md#example{index + 1}", base_dir=DOCS)
    if prog.data_path is None:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kzf.KzfWarning)
        result = prog.run(prog.data_path)
    for e in prog.checked.expects:
        if e.column is None:
            outcome = judge(result.frame, prog.dims, e)
        else:
            outcome = judge_cell(result.tables, prog.dims, prog.checked.time_dim, e)
        assert outcome.status is Status.REPRODUCED, outcome.describe()
