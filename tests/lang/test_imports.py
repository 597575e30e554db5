"""Imports: definitions and functions of another file, resolved relative to the importer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import kzf


def test_import_brings_functions_and_definitions(tmp_path: Path) -> None:
    (tmp_path / "kzf.toml").write_text("")
    common = tmp_path / "common"
    common.mkdir()
    (common / "normalise.kzf").write_text(
        "minmax(x) = (x - min(x over entity)) / (max(x over entity) - min(x over entity))\n"
        "input osi\nosi_total = sum(osi over entity)\n"
    )
    main = tmp_path / "indicators" / "main.kzf"
    main.parent.mkdir()
    main.write_text(
        'import "../common/normalise.kzf"\ninput osi\nosi_n = minmax(osi)\nshare = osi / osi_total\n'
    )
    prog = kzf.load(main)
    assert prog.outputs == ("osi_n", "share")  # imported definitions are not outputs
    df = pd.DataFrame({"entity": ["A", "B", "C"], "year": [2020] * 3, "osi": [1.0, 3.0, 5.0]})
    out = prog.evaluate(df)
    np.testing.assert_allclose(out["osi_n"], [0.0, 0.5, 1.0])
    np.testing.assert_allclose(out["share"], [1 / 9, 3 / 9, 5 / 9])
    # imported definitions can be selected explicitly
    assert prog.evaluate(df, select=["osi_total"])["osi_total"].tolist() == [9.0] * 3


def test_diamond_import_is_read_once(tmp_path: Path) -> None:
    (tmp_path / "base.kzf").write_text("input x\ndouble = 2 * x\n")
    (tmp_path / "left.kzf").write_text('import "base.kzf"\nl = double + 1\n')
    (tmp_path / "right.kzf").write_text('import "base.kzf"\nr = double - 1\n')
    (tmp_path / "top.kzf").write_text('import "left.kzf"\nimport "right.kzf"\ns = l + r\n')
    df = pd.DataFrame({"entity": ["A"], "year": [2020], "x": [5.0]})
    assert kzf.load(tmp_path / "top.kzf").evaluate(df)["s"].tolist() == [20.0]


def test_library_egdi_loads_from_any_working_directory(monkeypatch: object, tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    import os

    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        prog = kzf.load(root / "formulas" / "egdi.kzf")
        assert prog.data_path is not None and Path(prog.data_path).is_file()
    finally:
        os.chdir(old)


def test_imported_definitions_read_their_own_inputs(tmp_path: Path) -> None:
    from kzf.engine.cli.main import main

    (tmp_path / "lib.kzf").write_text("input a\ndoubled = 2 * a\n")
    (tmp_path / "top.kzf").write_text(
        'import "lib.kzf"\ndata "d.csv"\ninput b\nc = b + 1\nexpect doubled[X, 2020] = 2\n'
    )
    (tmp_path / "d.csv").write_text("entity,year,a,b\nX,2020,1,5\n")
    prog = kzf.load(tmp_path / "top.kzf")
    assert prog.evaluate(tmp_path / "d.csv", select=["doubled"])["doubled"].tolist() == [2.0]
    assert prog.evaluate(tmp_path / "d.csv")["c"].tolist() == [6.0]  # `a` not needed here
    assert main(["test", str(tmp_path / "top.kzf")]) == 0


def test_a_time_dimension_other_than_year_is_text(tmp_path: Path) -> None:
    df = pd.DataFrame({"scope": ["x", "y", "z"], "v": [1.0, 2.0, 4.0]})
    out = kzf.compile('dims scope\ninput v\nt = sum(v over scope where scope != "x")').evaluate(df)
    assert out["t"].tolist() == [6.0] * 3
