"""The `kzf` command as a user runs it: formats, --out, --where, --param, --help, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kzf.engine.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
EGDI = ROOT / "formulas" / "egdi.kzf"
EAEU = ROOT / "data" / "eaeu.csv"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(args)
    out, err = capsys.readouterr()
    return status, out, err


def test_eval_csv_matches_an_independent_computation(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["eval", str(EGDI), "--data", str(EAEU), "--format", "csv"], capsys)
    assert status == 0
    from io import StringIO

    got = pd.read_csv(StringIO(out))
    assert list(got.columns[:2]) == ["entity", "year"]
    raw = pd.read_csv(EAEU)
    want = 10 * raw["egdi_rank"] / raw["egdi_n"]
    merged = raw[["entity", "year"]].assign(want=want).merge(got, on=["entity", "year"])
    np.testing.assert_allclose(merged["egdi_relative_position"], merged["want"], equal_nan=True)
    place = raw.assign(p=raw.groupby("year")["egdi_rank"].rank(method="min"))
    merged = place.merge(got, on=["entity", "year"])
    np.testing.assert_allclose(merged["egdi_place"], merged["p"], equal_nan=True)


def test_json_and_select_and_where(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        [
            "eval",
            str(EGDI),
            "--data",
            str(EAEU),
            "--format",
            "json",
            "--select",
            "egdi_place",
            "--where",
            'year = 2020 and entity = "Kazakhstan"',
        ],
        capsys,
    )
    assert status == 0
    assert json.loads(out) == [{"entity": "Kazakhstan", "year": 2020, "egdi_place": 1.0}]


def test_table_format_is_aligned(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        [
            "eval",
            str(EGDI),
            "--format",
            "table",
            "--select",
            "egdi_place",
            "--where",
            "year = 2022",
        ],
        capsys,
    )
    assert status == 0
    lines = out.splitlines()
    assert lines[0].split() == ["entity", "year", "egdi_place"]
    assert len({len(line) for line in lines[2:]}) == 1  # right-aligned numbers: equal widths
    assert len(lines) == 2 + 5


def test_param_override(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    prog = tmp_path / "e.kzf"
    prog.write_text("dims year\nparam T1 = 60\nparam T2 = 5\nE = 100 * (T1 - T2) / T1\n")
    data = tmp_path / "d.csv"
    data.write_text("year\n2020\n")
    status, out, _ = run(
        ["eval", str(prog), "--data", str(data), "--param", "T1=45", "--format", "csv"], capsys
    )
    assert status == 0 and out.splitlines()[1] == f"2020,{100 * 40 / 45!r}"


def test_out_writes_every_format_and_is_atomic(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for ext in ("csv", "json", "parquet", "xlsx"):
        target = tmp_path / f"r.{ext}"
        status, _, err = run(["eval", str(EGDI), "--out", str(target)], capsys)
        assert status == 0, err
        assert target.stat().st_size > 0
    back = pd.read_parquet(tmp_path / "r.parquet")
    assert len(back) == 115 and list(back.columns[:2]) == ["entity", "year"]
    # A failed run leaves an existing output untouched.
    target = tmp_path / "r.csv"
    before = target.read_bytes()
    bad = tmp_path / "bad.csv"
    bad.write_text("entity,year,egdi_rank\nKZ,2010,x\n")
    status, _, _ = run(["eval", str(EGDI), "--data", str(bad), "--out", str(target)], capsys)
    assert status == 1 and target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_output_is_byte_identical_across_runs(capsys: pytest.CaptureFixture[str]) -> None:
    outs = [run(["eval", str(EGDI), "--format", "csv"], capsys)[1] for _ in range(2)]
    assert outs[0] == outs[1]


def test_help_and_version() -> None:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    help_text = subprocess.run(
        [sys.executable, "-m", "kzf", "--help"], capture_output=True, text=True, env=env, check=True
    ).stdout
    assert "kzf eval formulas/" in help_text and "exit status" in help_text
    version = subprocess.run(
        [sys.executable, "-m", "kzf", "--version"], capture_output=True, text=True, check=True
    )
    assert version.stdout.startswith("kzf ")


def test_no_traceback_for_a_broken_file_through_the_real_command(tmp_path: Path) -> None:
    f = tmp_path / "broken.kzf"
    f.write_text("x = (1 +\n")
    proc = subprocess.run(
        [sys.executable, "-m", "kzf", "eval", str(f)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "error[KZF002]" in proc.stderr


def test_check_reports_ok(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(["check", str(EGDI)], capsys)
    assert status == 0 and "no errors" in err
