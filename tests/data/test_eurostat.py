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


def _run(tmp_path: Path, capsys: pytest.CaptureFixture[str], program: str = PROGRAM, *options: str):
    (tmp_path / "f.kzf").write_text(program, encoding="utf-8")
    (tmp_path / "isoc.tsv").write_text(TSV, encoding="utf-8")
    data = str(tmp_path / "isoc.tsv")
    status = main(["eval", str(tmp_path / "f.kzf"), "--data", data, *options])
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


def test_values_with_the_flags_a_user_drops_are_missing_and_said(tmp_path: Path, capsys) -> None:
    """`--drop-flags p,b`: provisional and break-in-series values are not used; the estimate
    (e) still is. The note says which flags were read as values and which as missing."""
    status, out, err = _run(tmp_path, capsys, PROGRAM, "--drop-flags", "p,b")
    assert status == 0, err
    got = {(g, int(y)): v for g, y, v in (line.split(",") for line in out.splitlines()[1:])}
    assert got[("KZ", 2021)] == "" and got[("TR", 2021)] == ""  # 90.9 p and 81.4 b
    assert float(got[("KZ", 2020)]) == pytest.approx(0.859)  # 85.9 e is kept
    assert "read as values: 1 e (estimated)" in err
    assert "read as missing (--drop-flags): 1 b (break in time series), 1 p (provisional)" in err


def test_dropping_flags_from_a_file_without_flags_is_refused(tmp_path: Path, capsys) -> None:
    (tmp_path / "f.kzf").write_text("dims geo, year\ninput x\ny = x\n", encoding="utf-8")
    (tmp_path / "d.csv").write_text("geo,year,x\nAT,2020,1\n", encoding="utf-8")
    data = str(tmp_path / "d.csv")
    status = main(["eval", str(tmp_path / "f.kzf"), "--data", data, "--drop-flags", "u"])
    err = capsys.readouterr().err
    assert status == 1 and "the file carries no flags" in err


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


def test_a_quarterly_table_is_read_with_its_quarters_as_periods(tmp_path: Path, capsys) -> None:
    """namq_10_gdp as Eurostat heads it: quarters as columns (`2023-Q3`), so `lag` steps one
    quarter, and 2024-Q1 follows 2023-Q4 (values typed from the format: GDP growth, %)."""
    tsv = (
        "freq,unit,s_adj,na_item,geo\\TIME_PERIOD\t2023-Q3 \t2023-Q4 \t2024-Q1 \n"
        "Q,CLV_PCH_PRE,SCA,B1GQ,AT\t-0.3 \t0.2 p\t0.1 p\n"
        "Q,CLV_PCH_PRE,SCA,B1GQ,DE\t0.1 \t-0.4 \t0.2 p\n"
    )
    (tmp_path / "f.kzf").write_text(
        'dims geo, quarter\ninput g = "Q.CLV_PCH_PRE.SCA.B1GQ"\nprev = lag(g)\n', encoding="utf-8"
    )
    (tmp_path / "namq.tsv").write_text(tsv, encoding="utf-8")
    status = main(["eval", str(tmp_path / "f.kzf"), "--data", str(tmp_path / "namq.tsv")])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert out.splitlines() == [
        "geo,quarter,prev",
        "AT,2023-Q3,", "AT,2023-Q4,-0.3", "AT,2024-Q1,0.2",
        "DE,2023-Q3,", "DE,2023-Q4,0.1", "DE,2024-Q1,-0.4",
    ]  # fmt: skip
    assert "3 p (provisional)" in err


SDMX_CSV_2 = (  # SDMX-CSV 2.0: STRUCTURE, STRUCTURE_ID and ACTION lead each row
    "STRUCTURE,STRUCTURE_ID,ACTION,FREQ,UNIT,GEO,TIME_PERIOD,OBS_VALUE,OBS_STATUS\n"
    "dataflow,ESTAT:NAMA_10_GDP(1.0),I,Q,CP_MEUR,AT,2021-Q1,100.5,A\n"
    "dataflow,ESTAT:NAMA_10_GDP(1.0),I,Q,CP_MEUR,AT,2021-Q2,110.55,P\n"
)
OECD_CSV = (  # the OECD Data Explorer's SDMX-CSV 2.0 "with labels": a label column per code
    "STRUCTURE,STRUCTURE_ID,STRUCTURE_NAME,ACTION,REF_AREA,Reference area,FREQ,"
    "Frequency of observation,TIME_PERIOD,Time period,OBS_VALUE,Observation value\n"
    'DATAFLOW,OECD.SDD.NAD:DSD_NAMAIN1@DF_QNA(1.1),"Quarterly GDP",I,AUT,Austria,Q,Quarterly,'
    "2021-Q1,2021-Q1,100.5,\n"
    'DATAFLOW,OECD.SDD.NAD:DSD_NAMAIN1@DF_QNA(1.1),"Quarterly GDP",I,AUT,Austria,Q,Quarterly,'
    "2021-Q2,2021-Q2,110.55,\n"
)


@pytest.mark.parametrize(
    ("csv", "geo"), [(SDMX_CSV_2, "GEO"), (OECD_CSV, "REF_AREA")], ids=["sdmx-csv-2.0", "oecd"]
)
def test_sdmx_csv_2_and_the_oecd_export_are_read_as_downloaded(
    tmp_path: Path, capsys, csv: str, geo: str
) -> None:
    program = SDMX_PROGRAM.replace('"GEO"', f'"{geo}"')
    (tmp_path / "f.kzf").write_text(program, encoding="utf-8")
    (tmp_path / "d.csv").write_text(csv, encoding="utf-8")
    status = main(["eval", str(tmp_path / "f.kzf"), "--data", str(tmp_path / "d.csv")])
    out, err = capsys.readouterr()
    assert status == 0, err
    rows = [line.split(",") for line in out.splitlines()]
    assert rows[0] == ["geo", "TIME_PERIOD", "qoq"] and rows[1][1:] == ["2021-Q1", ""]
    assert math.isclose(float(rows[2][2]), 110.55 / 100.5 - 1, rel_tol=1e-12)  # by hand: 0.1
