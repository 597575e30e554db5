"""The embedding API: load/compile, program metadata, typed errors, threads."""

from __future__ import annotations

import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kzf

ROOT = Path(__file__).resolve().parents[2]


def test_program_metadata() -> None:
    prog = kzf.load(ROOT / "formulas" / "egdi.kzf")
    assert prog.inputs == ("egdi_rank", "egdi_n", "egdi_score")
    assert prog.outputs[0] == "egdi_score_eaeu"
    assert prog.dims == ("entity", "year")
    assert prog.title and "EGDI" in prog.title
    assert prog.diagnostics == []


def test_compile_error_is_typed_and_positioned() -> None:
    with pytest.raises(kzf.ProgramError) as info:
        kzf.compile("input a\n\nb = a +\n  c\n", path="mine.kzf")
    err = info.value
    assert (err.code, err.path, err.line, err.column) == ("KZF010", "mine.kzf", 4, 3)
    assert "undefined name 'c'" in str(err)
    assert err.exit_status == 2


def test_data_error_is_typed() -> None:
    prog = kzf.compile("input a\nb = a * 2")
    with pytest.raises(kzf.DataError) as info:
        prog.evaluate(pd.DataFrame({"entity": ["A"], "year": [2000], "x": [1.0]}))
    assert info.value.code == "KZF102" and info.value.exit_status == 1


def test_warnings_are_python_warnings_in_evaluate() -> None:
    prog = kzf.compile("input a\nb = 1 / a")
    df = pd.DataFrame({"entity": ["A"], "year": [2000], "a": [0.0]})
    with pytest.warns(kzf.KzfWarning, match="KZF201"):
        prog.evaluate(df)


def test_three_layouts_give_the_same_result(tmp_path: Path) -> None:
    prog = kzf.compile("input osi, tii\ns = osi + tii")
    wide = tmp_path / "wide.csv"
    wide.write_text("entity,year,osi,tii\nKZ,2010,1,2\nKZ,2011,3,4\nRU,2010,5,6\nRU,2011,7,8\n")
    long = tmp_path / "long.csv"
    long.write_text(
        "entity,year,indicator,value,unit\n"
        + "".join(
            f"{e},{y},{i},{v},x\n"
            for (e, y, i, v) in [
                ("KZ", 2010, "osi", 1),
                ("KZ", 2010, "tii", 2),
                ("KZ", 2011, "osi", 3),
                ("KZ", 2011, "tii", 4),
                ("RU", 2010, "osi", 5),
                ("RU", 2010, "tii", 6),
                ("RU", 2011, "osi", 7),
                ("RU", 2011, "tii", 8),
            ]
        )
    )
    years = tmp_path / "years.csv"
    years.write_text("entity,indicator,2010,2011\nKZ,osi,1,3\nKZ,tii,2,4\nRU,osi,5,7\nRU,tii,6,8\n")
    results = [prog.evaluate(p) for p in (wide, long, years)]
    for r in results:
        assert r["s"].tolist() == [3.0, 7.0, 11.0, 15.0]
        assert r["year"].tolist() == [2010, 2011, 2010, 2011]


def test_one_program_many_threads_same_results() -> None:
    rng = np.random.default_rng(1)
    n_entities, years = 50, list(range(2000, 2020))
    df = pd.DataFrame(
        [(f"E{i}", y) for i in range(n_entities) for y in years], columns=["entity", "year"]
    )
    df["x"] = rng.normal(size=len(df))
    df["y"] = rng.uniform(0.5, 2, size=len(df))
    prog = kzf.compile(
        "input x, y\nz = (x - mean(x over entity)) / std(x over entity)\n"
        "r = rank(z over entity)\ng = growth(y)\nq = x / y"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = prog.evaluate(df)
        with ThreadPoolExecutor(max_workers=8) as pool:
            frames = list(pool.map(lambda _: prog.evaluate(df), range(40)))
    for f in frames:
        pd.testing.assert_frame_equal(f, expected)


def test_evaluate_does_not_modify_the_callers_frame() -> None:
    df = pd.DataFrame({"entity": ["B", "A"], "year": [2001, 2000], "a": [1, 2]})
    before = df.copy()
    kzf.compile("input a\nb = a * 2").evaluate(df)
    pd.testing.assert_frame_equal(df, before)


def test_no_function_writes_into_the_callers_arrays() -> None:
    """The caller's float64 columns reach the engine as read-only views (no copy), so a
    function that wrote in place would raise here rather than corrupt the caller's frame."""
    df = pd.DataFrame(
        {
            "entity": ["A", "A", "A", "B", "B", "B"],
            "year": [2000, 2001, 2002, 2000, 2001, 2002],
            "a": [1.0, np.nan, 3.0, 4.0, 5.0, 60.0],
            "b": [0.0, 2.0, 1.0, 1.0, 0.0, 2.0],
        }
    )
    before = df.copy()
    source = """input a, b
filled = fill_previous(a)
inter = interpolate(a)
mean_a = fill_mean(a over entity)
w = winsorise(b over entity)
g = growth(a)
r = rank(a over entity)
share = a / sum(a over entity)
c = clamp(round(a / b, 1), 0, 10)
"""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kzf.compile(source).evaluate(df)
        kzf.compile("input a, b\nc = a / b\nd = coalesce(a, b)\n").evaluate(df)
    pd.testing.assert_frame_equal(df, before)
