"""Every `kzf` block of docs/language.md compiles; those with data run and meet their expects."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

import kzf
from kzf.engine.expect import Status, judge

DOCS = Path(__file__).resolve().parents[2] / "docs"
BLOCKS = re.findall(r"```kzf\n(.*?)```", (DOCS / "language.md").read_text(encoding="utf-8"), re.S)


def test_the_document_has_examples() -> None:
    assert len(BLOCKS) >= 10


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_example_compiles_and_runs(index: int) -> None:
    prog = kzf.compile(BLOCKS[index], path=f"language.md#example{index + 1}", base_dir=DOCS)
    if prog.data_path is None:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kzf.KzfWarning)
        frame = prog.evaluate(prog.data_path)
    assert len(frame) > 0
    for e in prog.checked.expects:
        assert judge(frame, prog.dims, e).status is not Status.FAILED, e
