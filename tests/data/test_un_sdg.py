"""A UN SDG API CSV download, read as downloaded.

The layout is that of the SDG Global Database's CSV export (`/v1/sdg/Series/DataCSV`):
`Goal,Target,Indicator,SeriesCode,...,GeoAreaName,TimePeriod,Value,...` with the series'
dimensions in brackets (`[Sex]`, `[Age]`, `[Units]`). Two columns name each row's indicator:
`Indicator` (17.8.1) and `SeriesCode` (IT_USE_ii99, one series of it); a binding to either
is read from the column that holds it. The time dimension is TimePeriod by its name, even
though Sex is listed after it, so `growth` runs along the years of each sex, never from
BOTHSEX to FEMALE. Expected values by hand: 90.9 / 85.9 - 1 and 90.4 / 85.5 - 1.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from kzf.engine.cli.main import main

HEADER = (
    "Goal,Target,Indicator,SeriesCode,SeriesDescription,GeoAreaCode,GeoAreaName,TimePeriod,"
    "Value,Time_Detail,TimeCoverage,UpperBound,LowerBound,BasePeriod,Source,GeoInfoUrl,"
    "FootNote,[Age],[Location],[Nature],[Reporting Type],[Sex],[Units]\n"
)
ROW = (
    '17,17.8,17.8.1,IT_USE_ii99,"Proportion of individuals using the Internet, by sex (%)",'
    '398,Kazakhstan,{year},{value},{year},,,,,"ITU World Telecommunication/ICT Indicators '
    'database",,,ALLAGE,ALLAREA,C,G,{sex},PERCENT\n'
)
CSV = HEADER + "".join(
    ROW.format(year=y, value=v, sex=s)
    for s, y, v in [("BOTHSEX", 2020, 85.9), ("BOTHSEX", 2021, 90.9),
                    ("FEMALE", 2020, 85.5), ("FEMALE", 2021, 90.4)]
)  # fmt: skip
WANT = {
    ("BOTHSEX", 2020): math.nan, ("BOTHSEX", 2021): 90.9 / 85.9 - 1,  # 0.0582072...
    ("FEMALE", 2020): math.nan, ("FEMALE", 2021): 90.4 / 85.5 - 1,  # 0.0573099...
}  # fmt: skip


@pytest.mark.parametrize("code", ["IT_USE_ii99", "17.8.1"], ids=["series-code", "indicator"])
def test_an_sdg_download_grows_along_time_within_each_sex(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], code: str
) -> None:
    program = (
        f'dims GeoAreaName, TimePeriod, sex = "[Sex]"\ninput net = "{code}" : % in [0, 100]\n'
        "g = growth(net)\n"
    )
    (tmp_path / "f.kzf").write_text(program, encoding="utf-8")
    (tmp_path / "sdg.csv").write_text(CSV, encoding="utf-8")
    status = main(["eval", str(tmp_path / "f.kzf"), "--data", str(tmp_path / "sdg.csv")])
    out, err = capsys.readouterr()
    assert status == 0, err
    rows = [line.split(",") for line in out.splitlines()]
    assert rows[0] == ["GeoAreaName", "TimePeriod", "sex", "g"]
    got = {(sex, int(year)): float(g) if g else math.nan for _, year, sex, g in rows[1:]}
    assert got.keys() == WANT.keys()
    for key, want in WANT.items():
        assert (math.isnan(got[key]) and math.isnan(want)) or math.isclose(
            got[key], want, rel_tol=1e-12
        ), key
