"""Eurostat's TSV, read as downloaded.

The layout follows Eurostat's bulk-download TSV: tab-separated; the first header cell names
the series key and the time dimension (`freq,unit,indic_is,geo\\TIME_PERIOD`); year headers
and values carry trailing spaces; `:` is missing (also with a flag, `: c`); a flag letter
follows a value (`85.9 e`). The key columns the program does not declare as dims name the
indicator, joined as SDMX writes a series key: `A.PC_IND.I_IUSE`.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from kzf.engine.cli.main import main

TSV = (
    "freq,unit,indic_is,geo\\TIME_PERIOD\t2019 \t2020 \t2021 \n"
    "A,PC_IND,I_IUSE,AT\t87.5 \t87.5 \t92.5 \n"
    "A,PC_IND,I_IUSE,KZ\t: \t85.9 e\t90.9 p\n"
    "A,PC_IND,I_IUSE,TR\t75.3 \t: c\t81.4 b\n"
    "A,PC_HH,H_IACC,AT\t90.4 \t90.4 \t94.9 \n"
)
PROGRAM = 'dims geo, year\ninput users = "A.PC_IND.I_IUSE" : % in [0, 100]\nshare = users / 100\n'


def _run(tmp_path: Path, capsys: pytest.CaptureFixture[str], program: str = PROGRAM):
    (tmp_path / "f.kzf").write_text(program, encoding="utf-8")
    (tmp_path / "isoc.tsv").write_text(TSV, encoding="utf-8")
    status = main(["eval", str(tmp_path / "f.kzf"), "--data", str(tmp_path / "isoc.tsv")])
    return status, *capsys.readouterr()


def test_a_eurostat_tsv_gives_the_values_without_their_flags(tmp_path: Path, capsys) -> None:
    status, out, err = _run(tmp_path, capsys)
    assert status == 0, err
    rows = [line.split(",") for line in out.splitlines()]
    assert rows[0] == ["geo", "year", "share"]
    got = {(g, int(y)): (float(v) if v else math.nan) for g, y, v in rows[1:]}
    want = {  # by hand: the percentage / 100; ':' and ': c' are missing
        ("AT", 2019): 0.875, ("AT", 2020): 0.875, ("AT", 2021): 0.925,
        ("KZ", 2019): math.nan, ("KZ", 2020): 0.859, ("KZ", 2021): 0.909,
        ("TR", 2019): 0.753, ("TR", 2020): math.nan, ("TR", 2021): 0.814,
    }  # fmt: skip
    assert got.keys() == want.keys()
    for key, w in want.items():
        g = got[key]
        assert (math.isnan(g) and math.isnan(w)) or math.isclose(g, w, rel_tol=1e-12), key


def test_flags_are_reported_not_silently_dropped(tmp_path: Path, capsys) -> None:
    status, _, err = _run(tmp_path, capsys)
    assert status == 0
    assert "note[KZF263]" in err
    for said in ("1 b (break in time series)", "1 e (estimated)", "1 p (provisional)"):
        assert said in err


def test_the_indicators_of_the_file_are_listed_when_one_is_not_there(
    tmp_path: Path, capsys
) -> None:
    program = PROGRAM.replace("A.PC_IND.I_IUSE", "A.PC_IND.I_ILT12")
    status, _, err = _run(tmp_path, capsys, program)
    assert status == 1 and "error[KZF102]" in err
    assert "'A.PC_IND.I_IUSE'" in err and "'A.PC_HH.H_IACC'" in err


SDMX_CSV = (
    "DATAFLOW,FREQ,UNIT,GEO,TIME_PERIOD,OBS_VALUE,OBS_FLAG\n"
    "ESTAT:NAMA_10_GDP(1.0),Q,CP_MEUR,AT,2021-Q1,100.5,\n"
    "ESTAT:NAMA_10_GDP(1.0),Q,CP_MEUR,AT,2021-Q2,110.55,p\n"
)
SDMX_PROGRAM = 'dims geo = "GEO", TIME_PERIOD\ninput gdp = "OBS_VALUE" > 0\nqoq = growth(gdp)\n'


def test_sdmx_csv_is_a_wide_table_bound_to_obs_value(tmp_path: Path, capsys) -> None:
    (tmp_path / "f.kzf").write_text(SDMX_PROGRAM, encoding="utf-8")
    (tmp_path / "d.csv").write_text(SDMX_CSV, encoding="utf-8")
    status = main(["eval", str(tmp_path / "f.kzf"), "--data", str(tmp_path / "d.csv")])
    out, err = capsys.readouterr()
    assert status == 0, err
    rows = [line.split(",") for line in out.splitlines()]
    assert rows[0] == ["geo", "TIME_PERIOD", "qoq"] and rows[1] == ["AT", "2021-Q1", ""]
    assert math.isclose(float(rows[2][2]), 110.55 / 100.5 - 1, rel_tol=1e-12)  # 0.1


def test_two_series_for_one_key_are_refused_naming_the_rows(tmp_path: Path, capsys) -> None:
    (tmp_path / "f.kzf").write_text(SDMX_PROGRAM, encoding="utf-8")
    two_units = SDMX_CSV.replace("CP_MEUR,AT,2021-Q2", "PC,AT,2021-Q1")
    (tmp_path / "d.csv").write_text(two_units, encoding="utf-8")
    status = main(["eval", str(tmp_path / "f.kzf"), "--data", str(tmp_path / "d.csv")])
    err = capsys.readouterr().err
    assert status == 1 and "error[KZF103]" in err and "rows 2 and 3" in err
