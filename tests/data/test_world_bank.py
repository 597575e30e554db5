"""Bindings and World Bank downloads, read as downloaded.

`dims country = "Country Code"` and `input pop = "SP.POP.TOTL"` bind kzf names to what the
data calls a column or an indicator, without renaming the data. The files below follow the
World Bank's formats: the WDI bulk CSV (four metadata lines above the header, years as
columns, a trailing comma on every line) and a DataBank export (years as `2020 [YR2020]`,
notes below the table). Values are WDI's for Kazakhstan (population 18,755,666 in 2020;
Internet users 85.9 % of it); the expected results are computed by hand:
85.9 / 100 * 18,755,666 / 10^6 = 16.111117094 million users.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import pandas as pd
import pytest

import kzf
from kzf.engine.cli.main import main

PROGRAM = """\
dims country = "Country Code", year
input pop = "SP.POP.TOTL" : persons > 0, net = "IT.NET.USER.ZS" : % in [0, 100]
users_mln = net / 100 * pop / 1e6
"""

WDI = """\
"Data Source","World Development Indicators",

"Last Updated Date","2024-06-28",

"Country Name","Country Code","Indicator Name","Indicator Code","2019","2020",
"Kazakhstan","KAZ","Population, total","SP.POP.TOTL","18513673","18755666",
"Kazakhstan","KAZ","Individuals using the Internet (% of population)","IT.NET.USER.ZS","81.9","85.9",
"Kazakhstan","KAZ","GDP (current US$)","NY.GDP.MKTP.CD","181665984719.843","171082379823.43",
"""

DATABANK = """\
Country Name,Country Code,Series Name,Series Code,2019 [YR2019],2020 [YR2020]
Kazakhstan,KAZ,"Population, total",SP.POP.TOTL,18513673,18755666
Kazakhstan,KAZ,Individuals using the Internet (% of population),IT.NET.USER.ZS,81.9,85.9



Data from database: World Development Indicators
Last Updated: 06/28/2024
"""

EXPECTED = [  # (country, year, users_mln), by hand
    ("KAZ", 2019, 81.9 / 100 * 18513673 / 1e6),  # 15.162698187
    ("KAZ", 2020, 85.9 / 100 * 18755666 / 1e6),  # 16.111117094
]


def _run(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> list[list[str]]:
    (tmp_path / "f.kzf").write_text(PROGRAM, encoding="utf-8")
    (tmp_path / "d.csv").write_text(text, encoding="utf-8")
    status = main(["eval", str(tmp_path / "f.kzf"), "--data", str(tmp_path / "d.csv")])
    out, err = capsys.readouterr()
    assert status == 0, err
    return [line.split(",") for line in out.splitlines()]


@pytest.mark.parametrize("download", [WDI, DATABANK], ids=["wdi-bulk-csv", "databank"])
def test_a_world_bank_download_is_read_as_downloaded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], download: str
) -> None:
    rows = _run(tmp_path, download, capsys)
    assert rows[0] == ["country", "year", "users_mln"]
    assert len(rows) == 1 + len(EXPECTED)
    for got, (country, year, users) in zip(rows[1:], EXPECTED, strict=True):
        assert got[:2] == [country, str(year)]
        assert math.isclose(float(got[2]), users, rel_tol=1e-12)
    assert math.isclose(EXPECTED[1][2], 16.111117094, rel_tol=1e-10)  # the figure above


def test_a_wide_frame_is_bound_by_column_names_that_are_not_kzf_names() -> None:
    frame = pd.DataFrame(
        {
            "Country Code": ["KAZ", "KAZ"],
            "year": [2019, 2020],
            "SP.POP.TOTL": [18513673.0, 18755666.0],
            "IT.NET.USER.ZS": [81.9, 85.9],
            "pop": [1.0, 2.0],  # a column that has the kzf name is not what the binding says
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kzf.KzfWarning)
        out = kzf.compile(PROGRAM).evaluate(frame)
    assert list(out.columns) == ["country", "year", "users_mln"]
    for got, (_, _, users) in zip(out["users_mln"], EXPECTED, strict=True):
        assert math.isclose(got, users, rel_tol=1e-12)


def test_a_bound_column_that_is_absent_is_named_as_the_file_would_call_it() -> None:
    frame = pd.DataFrame({"Country Code": ["KAZ"], "year": [2020], "SP.POP.TOTL": [1.0]})
    with pytest.raises(kzf.DataError) as info:
        kzf.compile(PROGRAM).evaluate(frame)
    assert "missing input column 'IT.NET.USER.ZS' (bound to net)" in str(info.value)
    with pytest.raises(kzf.DataError) as info:
        kzf.compile(PROGRAM).evaluate(frame.rename(columns={"Country Code": "iso3"}))
    assert "missing dimension column 'Country Code' (bound to country)" in str(info.value)


def test_a_binding_is_a_quoted_name() -> None:
    with pytest.raises(kzf.ProgramError) as info:
        kzf.compile('input pop = ""\n')
    assert info.value.diagnostics[0].code == "KZF002"
    prog = kzf.compile('input share = "Доля, %" : %\ny = share / 100\n')
    assert prog.sources == {"share": "Доля, %"}


def test_databank_missing_values_are_dots(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # DataBank writes ".." where a value is missing; the World Bank's own marker
    rows = _run(tmp_path, DATABANK.replace(",81.9,", ",..,"), capsys)
    assert rows[1] == ["KAZ", "2019", ""]  # no Internet share for 2019: no users
    assert math.isclose(float(rows[2][2]), EXPECTED[1][2], rel_tol=1e-12)


@pytest.mark.parametrize("marker", [":", "н/д", "…", "N/A"])
def test_the_missing_markers_of_statistics_offices(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], marker: str
) -> None:
    rows = _run(tmp_path, DATABANK.replace(",81.9,", f",{marker},"), capsys)
    assert rows[1] == ["KAZ", "2019", ""]
