"""Loading panel data: layouts, formats, encodings, cell parsing and the errors users see."""

from __future__ import annotations

import hashlib
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kzf.dsl.diagnostics import DataError
from kzf.engine.io.data import Panel, detect_layout, load_panel, panel_from_frame, time_dimension

FIXTURES = Path(__file__).parent / "fixtures"
DIMS = ("entity", "year")

WIDE = """entity,year,gdp,pop
Kazakhstan,2010,148.0,16.3
Kazakhstan,2011,192.6,16.6
Russia,2010,1524.9,143.0
Russia,2011,2045.9,
"""

LONG = """entity,indicator,year,value,unit,seed_line,n_countries
Russia,pop,2010,143.0,mln,12,193
Kazakhstan,gdp,2010,148.0,bn,1,193
Kazakhstan,gdp,2011,192.6,bn,2,193
Kazakhstan,pop,2010,16.3,mln,3,193
Kazakhstan,pop,2011,16.6,mln,4,193
Russia,gdp,2010,1524.9,bn,10,193
Russia,gdp,2011,2045.9,bn,11,193
Russia,other,2011,7,x,13,193
"""

YEARS = """entity,indicator,Indicator Name,2010,2011
Kazakhstan,gdp,GDP (bn USD),148.0,192.6
Russia,gdp,GDP (bn USD),1524.9,2045.9
Kazakhstan,pop,Population,16.3,16.6
Russia,pop,Population,143.0,..
Russia,unused,Something else,oops,oops
"""


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def expected_wide() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "entity": pd.Series(["Kazakhstan", "Kazakhstan", "Russia", "Russia"], dtype=str),
            "year": np.array([2010, 2011, 2010, 2011], dtype="int64"),
            "gdp": [148.0, 192.6, 1524.9, 2045.9],
            "pop": [16.3, 16.6, 143.0, np.nan],
        }
    )


def load_error(*args: object, **kwargs: object) -> DataError:
    with pytest.raises(DataError) as info:
        load_panel(*args, **kwargs)  # type: ignore[arg-type]
    return info.value


# --- layouts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "layout"), [(WIDE, "wide"), (LONG, "long"), (YEARS, "years")])
def test_every_layout_gives_the_same_panel(tmp_path: Path, text: str, layout: str) -> None:
    path = write(tmp_path, "data.csv", text)
    panel = load_panel(path, DIMS, ["gdp", "pop"])
    assert isinstance(panel, Panel)
    assert detect_layout(text.splitlines()[0].split(","), DIMS, ["gdp", "pop"]) == layout
    pd.testing.assert_frame_equal(panel.frame, expected_wide())
    assert panel.dims == DIMS
    assert panel.time_dim == "year"
    assert panel.source == str(path)
    assert isinstance(panel.frame.index, pd.RangeIndex)


def test_layout_rule() -> None:
    assert detect_layout(["entity", "Indicator", "2010"], DIMS, ["x"]) == "years"
    assert detect_layout(["entity", "year", "INDICATOR", "Value"], DIMS, ["x"]) == "long"
    # an input that is a column wins over indicator/value: that file is wide
    assert detect_layout(["entity", "year", "indicator", "value", "x"], DIMS, ["x"]) == "wide"
    assert detect_layout(["entity", "year", "2010"], DIMS, ["x"]) == "wide"


def test_time_dimension() -> None:
    assert time_dimension(("entity", "year")) == "year"
    assert time_dimension(("year", "entity")) == "year"
    assert time_dimension(("region", "period")) == "period"
    assert time_dimension(()) is None


def test_sorted_time_last_and_columns_in_dims_order(tmp_path: Path) -> None:
    text = "year,entity,x,ignored\n2011,B,1,a\n2010,B,2,b\n2011,A,3,c\n2010,A,4,d\n"
    panel = load_panel(write(tmp_path, "d.csv", text), ("year", "entity"), ["x"])
    assert list(panel.frame.columns) == ["year", "entity", "x"]
    assert panel.frame["entity"].tolist() == ["A", "A", "B", "B"]
    assert panel.frame["year"].tolist() == [2010, 2011, 2010, 2011]
    assert panel.frame["x"].tolist() == [4.0, 3.0, 2.0, 1.0]


def test_long_duplicate_names_both_rows_and_indicator(tmp_path: Path) -> None:
    text = LONG + "Kazakhstan,gdp,2011,1.0,bn,99,193\n"
    err = load_error(write(tmp_path, "long.csv", text), DIMS, ["gdp"])
    assert err.code == "KZF103"
    assert "duplicate row for (Kazakhstan, 2011) and indicator 'gdp': rows 4 and 10" in str(err)


def test_long_bad_value_names_source_row_and_indicator(tmp_path: Path) -> None:
    text = LONG.replace("Kazakhstan,pop,2011,16.6", "Kazakhstan,pop,2011,16..6")
    err = load_error(write(tmp_path, "long.csv", text), DIMS, ["gdp", "pop"])
    assert err.code == "KZF104"
    assert "long.csv, row 6, column 'value': '16..6' is not a number (indicator 'pop')" in str(err)


def test_long_missing_indicator_suggests(tmp_path: Path) -> None:
    err = load_error(write(tmp_path, "long.csv", LONG), DIMS, ["gpd"])
    assert err.code == "KZF102"
    assert "'gpd'" in str(err) and "did you mean 'gdp'?" in str(err)


def test_years_layout_errors_name_the_year_column(tmp_path: Path) -> None:
    err = load_error(write(tmp_path, "wb.csv", YEARS), DIMS, ["gdp", "unused"])
    assert err.code == "KZF104"
    assert err.location is not None
    assert (err.location.row, err.location.column) == (6, "2010")
    assert "'oops' is not a number (indicator 'unused')" in str(err)


def test_years_layout_duplicate_indicator_row(tmp_path: Path) -> None:
    text = YEARS + "Kazakhstan,gdp,again,1,2\n"
    err = load_error(write(tmp_path, "wb.csv", text), DIMS, ["gdp"])
    assert err.code == "KZF103"
    assert "(Kazakhstan) and indicator 'gdp': rows 2 and 7" in str(err)


def test_years_layout_with_only_a_time_dim(tmp_path: Path) -> None:
    text = "indicator,2020,2021\nx,1,2\ny,3,4\n"
    panel = load_panel(write(tmp_path, "t.csv", text), ("year",), ["y"])
    assert panel.frame.to_dict("list") == {"year": [2020, 2021], "y": [3.0, 4.0]}


# --- formats and encodings -----------------------------------------------------------------


def test_semicolon_and_decimal_comma(tmp_path: Path) -> None:
    text = (
        "entity;year;gdp\nKZ;2010;2,776\nKZ;2011;2 094 454,3\n"
        "KZ;2012;\u00a012\u00a0345,5 \nKZ;2013;-1,5e3\n"
    )
    panel = load_panel(write(tmp_path, "d.csv", text), DIMS, ["gdp"], decimal=",")
    assert panel.frame["gdp"].tolist() == [2.776, 2094454.3, 12345.5, -1500.0]


def test_decimal_comma_rejects_a_point(tmp_path: Path) -> None:
    text = "entity;year;gdp\nKZ;2010;2,5\nKZ;2011;2.5\n"
    err = load_error(write(tmp_path, "d.csv", text), DIMS, ["gdp"], decimal=",")
    assert err.code == "KZF104"
    assert "row 3, column 'gdp': '2.5' is not a number" in str(err)
    assert "uses '.'" in str(err)


def test_decimal_point_accepts_strict_thousands_only(tmp_path: Path) -> None:
    ok = 'entity,year,gdp\nKZ,2010,"1,234.5"\nKZ,2011,"12,345,678"\nKZ,2012,1 234.5\n'
    panel = load_panel(write(tmp_path, "d.csv", ok), DIMS, ["gdp"])
    assert panel.frame["gdp"].tolist() == [1234.5, 12345678.0, 1234.5]
    bad = 'entity,year,gdp\nKZ,2010,"1,5"\n'
    err = load_error(write(tmp_path, "e.csv", bad), DIMS, ["gdp"])
    assert err.code == "KZF104"
    assert "'1,5' is not a number" in str(err)
    assert "--decimal ','" in str(err)
    bad = 'entity,year,gdp\nKZ,2010,"1,23,456"\n'
    assert load_error(write(tmp_path, "f.csv", bad), DIMS, ["gdp"]).code == "KZF104"


def test_tab_separator_is_sniffed(tmp_path: Path) -> None:
    text = "entity\tyear\tgdp\nKZ\t2010\t1.5\n"
    panel = load_panel(write(tmp_path, "d.txt", text), DIMS, ["gdp"])
    assert panel.frame["gdp"].tolist() == [1.5]


def test_explicit_separator(tmp_path: Path) -> None:
    text = "entity|year|gdp\nKZ|2010|1.5\n"
    panel = load_panel(write(tmp_path, "d.csv", text), DIMS, ["gdp"], sep="|")
    assert panel.frame["gdp"].tolist() == [1.5]


def test_bom_and_crlf(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", WIDE.replace("\n", "\r\n"), encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    panel = load_panel(path, DIMS, ["gdp", "pop"])
    pd.testing.assert_frame_equal(panel.frame, expected_wide())


def test_bom_with_explicit_utf8_and_spaces_in_header(tmp_path: Path) -> None:
    text = "\ufeff entity , year ,gdp \nKZ,2010,1\n"
    panel = load_panel(write(tmp_path, "d.csv", text), DIMS, ["gdp"], encoding="utf-8")
    assert panel.frame["gdp"].tolist() == [1.0]


def test_cp1251_rejected_with_hint_then_accepted(tmp_path: Path) -> None:
    text = "регион;year;ЭЭ\nАлматы;2010;1,5\nАстана;2010;2,5\n"  # Ә is not in cp1251
    path = write(tmp_path, "kz.csv", text, encoding="cp1251")
    err = load_error(path, ("регион", "year"), ["ЭЭ"], decimal=",")
    assert err.code == "KZF101"
    assert "kz.csv" in str(err) and "not UTF-8" in str(err) and "--encoding cp1251" in str(err)
    panel = load_panel(path, ("регион", "year"), ["ЭЭ"], decimal=",", encoding="cp1251")
    assert panel.frame["регион"].tolist() == ["Алматы", "Астана"]
    assert panel.frame["ЭЭ"].tolist() == [1.5, 2.5]


def test_unicode_column_names(tmp_path: Path) -> None:
    text = "entity,year,ЭӘ,ақпарат\nҚазақстан,2010,1,2\n"
    panel = load_panel(write(tmp_path, "d.csv", text), DIMS, ["ЭӘ", "ақпарат"])
    assert list(panel.frame.columns) == ["entity", "year", "ЭӘ", "ақпарат"]
    assert panel.frame["entity"].tolist() == ["Қазақстан"]


def test_xlsx_roundtrip_and_sheet(tmp_path: Path) -> None:
    path = tmp_path / "d.xlsx"
    wide = expected_wide()
    other = pd.DataFrame({"entity": ["KZ"], "indicator": ["gdp"], 2010: [1], 2011: [2.5]})
    with pd.ExcelWriter(path) as writer:
        wide.to_excel(writer, sheet_name="wide", index=False)
        other.to_excel(writer, sheet_name="years", index=False)
    pd.testing.assert_frame_equal(load_panel(path, DIMS, ["gdp", "pop"]).frame, wide)
    years = load_panel(path, DIMS, ["gdp"], sheet="years").frame
    assert years.to_dict("list") == {
        "entity": ["KZ", "KZ"],
        "year": [2010, 2011],
        "gdp": [1.0, 2.5],
    }
    assert load_panel(path, DIMS, ["gdp"], sheet=1).frame.equals(years)
    err = load_error(path, DIMS, ["gdp"], sheet="nope")
    assert err.code == "KZF101" and "'wide', 'years'" not in str(err) and "wide, years" in str(err)


def test_xlsx_bad_cell_names_sheet_row(tmp_path: Path) -> None:
    path = tmp_path / "d.xlsx"
    pd.DataFrame({"entity": ["KZ", "RU"], "year": [2010, 2010], "gdp": [1.5, "n.a."]}).to_excel(
        path, index=False
    )
    err = load_error(path, DIMS, ["gdp"])
    assert err.code == "KZF104"
    assert "d.xlsx, row 3, column 'gdp': 'n.a.' is not a number" in str(err)


def test_parquet_roundtrip(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    df = expected_wide().astype({"year": "int32"})
    df["extra"] = "x"
    df.to_parquet(path, index=False)
    pd.testing.assert_frame_equal(load_panel(path, DIMS, ["gdp", "pop"]).frame, expected_wide())
    df.set_index(["entity", "year"]).to_parquet(path)  # dims stored as the index
    pd.testing.assert_frame_equal(load_panel(path, DIMS, ["gdp", "pop"]).frame, expected_wide())


# --- errors --------------------------------------------------------------------------------


def test_missing_input_column_did_you_mean(tmp_path: Path) -> None:
    err = load_error(write(tmp_path, "d.csv", WIDE), DIMS, ["gdp", "ppo", "zzz"])
    assert err.code == "KZF102"
    text = str(err)
    assert "d.csv" in text and "missing input column 'ppo' (did you mean 'pop'?)" in text
    assert "missing input column 'zzz'" in text  # every missing input is reported
    assert "'zzz' (did you mean" not in text


def test_missing_dim_column(tmp_path: Path) -> None:
    err = load_error(write(tmp_path, "d.csv", WIDE), ("country", "year"), ["gdp"])
    assert err.code == "KZF105"
    text = str(err)
    assert "'country'" in text and "(country, year)" in text and "'entity'" in text
    assert "dims" in text and ".kzf" in text


def test_duplicate_key(tmp_path: Path) -> None:
    rows = ["Kazakhstan,2009,1", "Kazakhstan,2010,2", "Russia,2010,3", "Russia,2011,4"]
    rows += ["Russia,2012,5", "Kazakhstan,2010,6"]
    err = load_error(write(tmp_path, "d.csv", "entity,year,x\n" + "\n".join(rows)), DIMS, ["x"])
    assert err.code == "KZF103"
    assert "d.csv" in str(err)
    assert "duplicate row for (Kazakhstan, 2010): rows 3 and 7" in str(err)


def test_duplicate_key_after_normalising_years(tmp_path: Path) -> None:
    text = "entity,year,x\nKZ,2010,1\nKZ, 2010.0 ,2\n"
    err = load_error(write(tmp_path, "d.csv", text), DIMS, ["x"])
    assert err.code == "KZF103" and "rows 2 and 3" in str(err)


def test_non_numeric_cell(tmp_path: Path) -> None:
    text = 'entity,year,gdp,pop\nKZ,2010,1,2\nKZ,2011," 12,5x ",3\n'
    err = load_error(write(tmp_path, "d.csv", text), DIMS, ["gdp", "pop"])
    assert err.code == "KZF104"
    assert "d.csv, row 3, column 'gdp': ' 12,5x ' is not a number" in str(err)
    assert err.location is not None
    assert (err.location.row, err.location.column) == (3, "gdp")


def test_blank_lines_do_not_shift_row_numbers(tmp_path: Path) -> None:
    text = "\nentity,year,gdp\nKZ,2010,1\n\n,,\nKZ,2011,bad\n\n"
    err = load_error(write(tmp_path, "d.csv", text), DIMS, ["gdp"])
    assert "row 6, column 'gdp'" in str(err)


def test_infinite_values_rejected(tmp_path: Path) -> None:
    for cell in ["inf", "-Infinity", "1e400"]:
        path = write(tmp_path, "d.csv", f"entity,year,gdp\nKZ,2010,{cell}\n")
        err = load_error(path, DIMS, ["gdp"])
        assert err.code == "KZF104" and "infinite values are not allowed" in str(err)


def test_na_spellings_are_missing(tmp_path: Path) -> None:
    spellings = ["", "NA", "N/A", "..", "-", "—", "nan", "NaN", "null", " na ", "#N/A"]
    rows = "".join(f"KZ,{2000 + i},{s}\n" for i, s in enumerate(spellings))
    panel = load_panel(write(tmp_path, "d.csv", "entity,year,x\nKZ,1999,5\n" + rows), DIMS, ["x"])
    assert panel.frame["x"].iloc[0] == 5.0
    assert panel.frame["x"].iloc[1:].isna().all()
    assert len(panel.frame) == len(spellings) + 1


def test_na_spelling_is_a_valid_entity(tmp_path: Path) -> None:
    panel = load_panel(write(tmp_path, "d.csv", "entity,year,x\nNA,2010,1\n"), DIMS, ["x"])
    assert panel.frame["entity"].tolist() == ["NA"]


def test_numbers_with_spaces_and_ints_become_float(tmp_path: Path) -> None:
    text = "entity,year,x\nKZ,2010, 7 \nKZ,2011,\t-3.25\t\n"
    panel = load_panel(write(tmp_path, "d.csv", text), DIMS, ["x"])
    assert panel.frame["x"].dtype == np.float64
    assert panel.frame["x"].tolist() == [7.0, -3.25]


def test_years_given_as_strings(tmp_path: Path) -> None:
    text = 'entity,year,x\nKZ," 2010 ",1\nKZ,2011.0,2\nKZ,"2012",3\n'
    panel = load_panel(write(tmp_path, "d.csv", text), DIMS, ["x"])
    assert panel.frame["year"].dtype == np.int64
    assert panel.frame["year"].tolist() == [2010, 2011, 2012]


def test_non_integer_year(tmp_path: Path) -> None:
    err = load_error(
        write(tmp_path, "d.csv", "entity,year,x\nKZ,2010,1\nKZ,2010.5,2\n"), DIMS, ["x"]
    )
    assert err.code == "KZF104"
    assert "row 3, column 'year': '2010.5' is not an integer" in str(err)


def test_empty_dim_cell(tmp_path: Path) -> None:
    for text, column in [
        ("entity,year,x\n ,2010,1\n", "entity"),
        ("entity,year,x\nKZ,,1\n", "year"),
    ]:
        err = load_error(write(tmp_path, "d.csv", text), DIMS, ["x"])
        assert err.code == "KZF105"
        assert f"row 2, column '{column}': empty value in dimension column" in str(err)


def test_header_only_gives_an_empty_panel(tmp_path: Path) -> None:
    for text in ["entity,year,gdp,pop\n", LONG.splitlines()[0], YEARS.splitlines()[0]]:
        panel = load_panel(write(tmp_path, "d.csv", text), DIMS, ["gdp", "pop"])
        assert list(panel.frame.columns) == ["entity", "year", "gdp", "pop"]
        assert len(panel.frame) == 0
        assert panel.frame["year"].dtype == np.int64
        assert panel.frame["gdp"].dtype == np.float64


def test_header_only_still_checks_columns(tmp_path: Path) -> None:
    err = load_error(write(tmp_path, "d.csv", "entity,year,gdp\n"), DIMS, ["pop"])
    assert err.code == "KZF102"


@pytest.mark.parametrize("content", [b"", b"\n\n  \n", b"\xef\xbb\xbf"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(content)
    err = load_error(path, DIMS, ["x"])
    assert err.code == "KZF106" and "empty" in str(err) and "d.csv" in str(err)


def test_unknown_extension_and_missing_file(tmp_path: Path) -> None:
    path = write(tmp_path, "d.sav", "$FL2")
    err = load_error(path, DIMS, ["x"])
    assert err.code == "KZF106" and "'.sav'" in str(err)
    err = load_error(tmp_path / "nope.csv", DIMS, ["x"])
    assert err.code == "KZF101" and "nope.csv" in str(err)
    err = load_error(tmp_path, DIMS, ["x"])
    assert err.code == "KZF101"


def test_ragged_rows_and_duplicate_header(tmp_path: Path) -> None:
    err = load_error(write(tmp_path, "d.csv", "entity,year,x\nKZ,2010,1,2\n"), DIMS, ["x"])
    assert err.code == "KZF106"
    err = load_error(write(tmp_path, "e.csv", "entity,year,x,x \nKZ,2010,1,2\n"), DIMS, ["x"])
    assert err.code == "KZF106" and "'x' appears more than once" in str(err)


def test_bad_decimal_option(tmp_path: Path) -> None:
    assert load_error(write(tmp_path, "d.csv", WIDE), DIMS, ["gdp"], decimal=";").code == "KZF106"


def test_input_file_is_not_modified(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", LONG)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    load_panel(path, DIMS, ["gdp"])
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


# --- in-memory frames ----------------------------------------------------------------------


def test_panel_from_frame_layouts_and_row_numbers() -> None:
    long = pd.DataFrame(
        {
            "entity": ["KZ", "KZ", "RU"],
            "year": [2010, 2011, 2010],
            "Indicator": ["x", "x", "x"],
            "Value": [1, 2, 3],
        }
    )
    panel = panel_from_frame(long, DIMS, ["x"])
    assert panel.source == "<dataframe>"
    assert panel.frame.to_dict("list") == {
        "entity": ["KZ", "KZ", "RU"],
        "year": [2010, 2011, 2010],
        "x": [1.0, 2.0, 3.0],
    }
    bad = pd.DataFrame({"entity": ["KZ", "RU"], "year": [2010.0, 2010.0], "x": [1.0, "?"]})
    with pytest.raises(DataError) as info:
        panel_from_frame(bad, DIMS, ["x"], source="my frame")
    assert info.value.code == "KZF104"
    assert "my frame, row 2, column 'x': '?' is not a number" in str(info.value)


def test_panel_from_frame_index_and_infinity() -> None:
    df = pd.DataFrame({"entity": ["KZ"], "year": [2010], "x": [1]}).set_index(["entity", "year"])
    assert panel_from_frame(df, DIMS, ["x"]).frame["x"].tolist() == [1.0]
    with pytest.raises(DataError) as info:
        panel_from_frame(df.assign(x=math.inf), DIMS, ["x"])
    assert info.value.code == "KZF104"


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=20))
def test_csv_floats_roundtrip_exactly(
    tmp_path_factory: pytest.TempPathFactory, xs: list[float]
) -> None:
    path = tmp_path_factory.mktemp("h") / "d.csv"
    rows = "".join(f"KZ,{2000 + i},{x!r}\n" for i, x in enumerate(xs))
    path.write_text("entity,year,x\n" + rows, encoding="utf-8")
    assert load_panel(path, DIMS, ["x"]).frame["x"].tolist() == xs


# --- the shared data files -----------------------------------------------------------------


def copy_fixture(tmp_path: Path, name: str) -> Path:
    return Path(shutil.copy(FIXTURES / name, tmp_path / name))


def test_fixture_eaeu_wide(tmp_path: Path) -> None:
    path = copy_fixture(tmp_path, "eaeu.csv")
    panel = load_panel(path, DIMS, ["egdi_rank", "internet_users_pct", "ict_goods_trade_share_pct"])
    frame = panel.frame
    assert len(frame) == 115
    assert sorted(frame["entity"].unique()) == [
        "Armenia",
        "Belarus",
        "Kazakhstan",
        "Kyrgyzstan",
        "Russia",
    ]
    assert (frame["year"].min(), frame["year"].max()) == (2000, 2022)
    kz = frame.set_index(["entity", "year"]).loc["Kazakhstan"]
    assert kz.loc[2010, "egdi_rank"] == 46.0
    assert kz.loc[2020, "internet_users_pct"] == 85.94
    assert kz.loc[2010, "ict_goods_trade_share_pct"] == 0.05
    assert math.isnan(kz.loc[2000, "egdi_rank"])


def test_fixture_eaeu_all_columns(tmp_path: Path) -> None:
    path = copy_fixture(tmp_path, "eaeu.csv")
    header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
    panel = load_panel(path, DIMS, header[2:])
    assert panel.frame.shape == (115, len(header))
    assert int(panel.frame.iloc[:, 2:].notna().sum().sum()) == 1179 - 2 * 115


def test_fixture_table20_long(tmp_path: Path) -> None:
    panel = load_panel(copy_fixture(tmp_path, "table20_eaeu_egdi_ranks.csv"), DIMS, ["egdi_rank"])
    frame = panel.frame.set_index(["entity", "year"])["egdi_rank"]
    assert len(frame) == 36
    assert frame.loc[("Kazakhstan", 2010)] == 46.0
    assert frame.loc[("EAEU", 2020)] == 36.0
    assert frame.loc[("Armenia", 2014)] == 61.0


def test_fixture_table05_year_only(tmp_path: Path) -> None:
    path = copy_fixture(tmp_path, "table05_kz_ict_trade.csv")
    panel = load_panel(path, ("year",), ["usd_kzt_rate", "ict_goods_import_mln_kzt"])
    assert panel.time_dim == "year"
    assert list(panel.frame.columns) == ["year", "usd_kzt_rate", "ict_goods_import_mln_kzt"]
    assert panel.frame["year"].tolist() == list(range(2010, 2022))
    assert panel.frame["usd_kzt_rate"].iloc[0] == 147.35
    assert panel.frame["ict_goods_import_mln_kzt"].iloc[-1] == 811885.37
    err = load_error(path, ("year",), ["period"])  # text column asked for as a number
    assert err.code == "KZF104" and "row 2, column 'period': 'pre_program'" in str(err)
