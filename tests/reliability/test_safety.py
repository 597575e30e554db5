"""User text is never executed, and results do not depend on threads or processes."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

import kzf

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIRS = ("dsl", "engine", "kzf")
FORBIDDEN = {"eval", "exec", "compile", "__import__", "execfile"}


def test_no_eval_exec_or_compile_anywhere_in_the_package() -> None:
    offenders = []
    for folder in PACKAGE_DIRS:
        for src in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(src.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                    if node.func.id in FORBIDDEN:
                        offenders.append(f"{src.relative_to(ROOT)}:{node.lineno}: {node.func.id}()")
                if (
                    isinstance(node, ast.Attribute)
                    and node.attr in ("eval", "query")
                    and isinstance(node.value, ast.Name)
                    and node.value.id in ("pd", "pandas", "numexpr", "ne")
                ):
                    offenders.append(
                        f"{src.relative_to(ROOT)}:{node.lineno}: {node.value.id}.{node.attr}"
                    )
    assert offenders == []


@pytest.mark.skipif(
    shutil.which("ruff") is None and not (Path(sys.executable).parent / "ruff").exists(),
    reason="ruff is part of the test extra",
)
def test_lint_rule_forbids_eval_and_exec() -> None:
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    proc = subprocess.run(
        [ruff, "check", "--select", "S102,S307", *PACKAGE_DIRS],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout


def test_identifiers_never_become_python() -> None:
    # Names that would mean something to Python stay plain kzf names.
    df = pd.DataFrame({"entity": ["A"], "year": [2000], "__import__": [2.0], "os": [3.0]})
    out = kzf.compile("input __import__, os\nsystem = __import__ * os").evaluate(df)
    assert out["system"].tolist() == [6.0]
    with pytest.raises(kzf.ProgramError) as info:
        kzf.compile('x = exec("print(1)")')
    assert info.value.code == "KZF014"


PROGRAM = """
input x, y
z = (x - mean(x over entity)) / std(x over entity)
r = rank(z over entity)
g = growth(y)
"""


def _evaluate_in_a_process(seed: int) -> str:
    df = _frame()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return kzf.compile(PROGRAM).evaluate(df).to_csv(index=False)


def _frame() -> pd.DataFrame:
    import numpy as np

    rng = np.random.default_rng(3)
    rows = [(f"E{i}", y) for i in range(30) for y in range(2000, 2015)]
    df = pd.DataFrame(rows, columns=["entity", "year"])
    df["x"] = rng.normal(size=len(df))
    df["y"] = rng.uniform(1, 2, size=len(df))
    return df


def test_many_processes_give_byte_identical_results() -> None:
    expected = _evaluate_in_a_process(0)
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(_evaluate_in_a_process, range(6)))
    assert all(r == expected for r in results)
