"""Every `kzf` block of docs/language.md, docs/composite.md and docs/data.md compiles; those
with data run and meet their expects."""

from __future__ import annotations

import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import kzf
from kzf.engine.checks.expect import Status, judge

DOCS = Path(__file__).resolve().parents[2] / "docs"
BLOCKS = [
    (doc, i, block)
    for doc in ("language.md", "composite.md", "data.md", "validation.md")
    for i, block in enumerate(
        re.findall(r"```kzf\n(.*?)```", (DOCS / doc).read_text(encoding="utf-8"), re.S)
    )
]


def test_the_documents_have_examples() -> None:
    assert sum(doc == "language.md" for doc, _, _ in BLOCKS) >= 10
    assert sum(doc == "composite.md" for doc, _, _ in BLOCKS) >= 5


@pytest.mark.parametrize(
    ("doc", "index", "text"), BLOCKS, ids=[f"{d}#{i + 1}" for d, i, _ in BLOCKS]
)
def test_example_compiles_and_runs(doc: str, index: int, text: str) -> None:
    prog = kzf.compile(text, path=f"{doc}#example{index + 1}", base_dir=DOCS)
    if prog.data_path is None:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kzf.KzfWarning)
        frame = prog.evaluate(prog.data_path)
    assert len(frame) > 0
    for e in prog.checked.expects:
        assert judge(frame, prog.dims, e).status is not Status.FAILED, e


ROOT = DOCS.parent
PYTHON_BLOCKS = [
    (doc, i, block)
    for doc in ("docs/data.md", "docs/validation.md", "README.md")
    for i, block in enumerate(
        re.findall(r"```python\n(.*?)```", (ROOT / doc).read_text(encoding="utf-8"), re.S)
    )
    if block.startswith("import ")  # a whole example; fragments continue the text around them
]


def test_the_data_guide_has_a_whole_python_example() -> None:
    assert any(doc == "docs/data.md" for doc, _, _ in PYTHON_BLOCKS)


@pytest.mark.parametrize(
    ("doc", "index", "text"), PYTHON_BLOCKS, ids=[f"{d}#py{i + 1}" for d, i, _ in PYTHON_BLOCKS]
)
def test_python_example_runs(doc: str, index: int, text: str, tmp_path: Path) -> None:
    """Run in a fresh interpreter from the repository's root, as a reader would paste it."""
    script = tmp_path / "example.py"
    script.write_text(text, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"{doc} python example {index + 1}:\n{done.stderr[-2000:]}"


def test_the_validation_guide_s_example_file_is_its_first_example() -> None:
    """docs/validation.kzf is what `kzf validate docs/validation.kzf` in the guide runs."""
    first = next(text for doc, _, text in BLOCKS if doc == "validation.md")
    assert (DOCS / "validation.kzf").read_text(encoding="utf-8") == first
