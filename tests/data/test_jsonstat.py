"""JSON-stat 2.0 datasets (https://json-stat.org/full/), read as the APIs answer them.

`fixtures/oecd_unemployment.json` is a subset, typed by hand, of the json-stat.org sample
`oecd.json` (unemployment rate; dims concept, area, year): Australia, Austria and Belgium in
2012-2014, with the sample's values and its `e` (estimate) statuses on 2013 and 2014. Its
`concept` dimension has one category and gives only a label (no index), `area` gives its
index as an object of positions, `year` as an array: the three forms the spec allows.

`EUROSTAT` follows Eurostat's statistics API for `isoc_ci_ifp_iu` (Internet use): no roles,
the time dimension called `time`, a sparse `value` object, `status` by position and the
flags' meanings in `extension.status.label`. Its figures are those of the TSV in
test_eurostat.py. Expected results are the typed values divided by 100.
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import pytest

from kzf.dsl.diagnostics import DataError
from kzf.engine.cli.main import main
from kzf.engine.io.readers import read_table

FIXTURES = Path(__file__).parent / "fixtures"

OECD_PROGRAM = 'dims area, year\ninput unr = "UNR" : % in [0, 100]\nshare = unr / 100\n'
OECD_WANT = {  # by hand: the sample's unemployment rates / 100
    ("AT", 2012): 4.351345785 / 100, ("AT", 2013): 4.695491708 / 100,
    ("AT", 2014): 4.745323313 / 100,
    ("AU", 2012): 5.224336088 / 100, ("AU", 2013): 5.50415003 / 100,
    ("AU", 2014): 5.462866231 / 100,
    ("BE", 2012): 7.381153404 / 100, ("BE", 2013): 7.689552898 / 100,
    ("BE", 2014): 7.735442636 / 100,
}  # fmt: skip

EUROSTAT = {
    "version": "2.0",
    "class": "dataset",
    "label": "Individuals - internet use",
    "source": "ESTAT",
    "updated": "2024-03-28T23:00:00+0100",
    "id": ["freq", "unit", "indic_is", "geo", "time"],
    "size": [1, 1, 1, 3, 3],
    "dimension": {
        "freq": {"label": "Time frequency", "category": {"index": {"A": 0}, "label": {"A": "Annual"}}},
        "unit": {"label": "Unit of measure", "category": {"index": {"PC_IND": 0}, "label": {"PC_IND": "Percentage of individuals"}}},
        "indic_is": {"label": "Information society indicator", "category": {"index": {"I_IUSE": 0}, "label": {"I_IUSE": "Internet use"}}},
        "geo": {"label": "Geopolitical entity", "category": {"index": {"AT": 0, "KZ": 1, "TR": 2}, "label": {"AT": "Austria", "KZ": "Kazakhstan", "TR": "Türkiye"}}},
        "time": {"label": "Time", "category": {"index": {"2019": 0, "2020": 1, "2021": 2}, "label": {"2019": "2019", "2020": "2020", "2021": "2021"}}},
    },
    # positions 3 (KZ 2019) and 7 (TR 2020, confidential) have no value: a sparse cube
    "value": {"0": 87.5, "1": 87.5, "2": 92.5, "4": 85.9, "5": 90.9, "6": 75.3, "8": 81.4},
    "status": {"4": "e", "5": "p", "7": "c", "8": "b"},
    "extension": {
        "datasetId": "ISOC_CI_IFP_IU",
        "agencyId": "ESTAT",
        "status": {"label": {"b": "break in time series", "c": "confidential", "e": "estimated", "p": "provisional"}},
    },
}  # fmt: skip
EUROSTAT_PROGRAM = (
    'dims geo, time\ninput users = "A.PC_IND.I_IUSE" : % in [0, 100]\nshare = users / 100\n'
)
EUROSTAT_WANT = {  # by hand: the percentage / 100; cells the sparse value leaves out are no rows
    ("AT", 2019): 0.875, ("AT", 2020): 0.875, ("AT", 2021): 0.925,
    ("KZ", 2020): 0.859, ("KZ", 2021): 0.909,
    ("TR", 2019): 0.753, ("TR", 2021): 0.814,
}  # fmt: skip


def _eval(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    program: str,
    data: Path | dict[str, object] | str,
    *options: str,
) -> tuple[int, str, str]:
    (tmp_path / "f.kzf").write_text(program, encoding="utf-8")
    if isinstance(data, Path):
        path = data
    else:
        path = tmp_path / "d.json"
        text = data if isinstance(data, str) else json.dumps(data)
        path.write_text(text, encoding="utf-8")
    command = ["eval", str(tmp_path / "f.kzf"), "--data", str(path), "--format", "csv"]
    status = main([*command, *options])
    out, err = capsys.readouterr()
    return status, out, err


def _results(out: str) -> tuple[list[str], dict[tuple[str, int], float]]:
    rows = [line.split(",") for line in out.splitlines()]
    got = {(g, int(y)): (float(v) if v else math.nan) for g, y, v in rows[1:]}
    return rows[0], got


def _same(got: dict[tuple[str, int], float], want: dict[tuple[str, int], float]) -> None:
    assert got.keys() == want.keys()
    for key, w in want.items():
        g = got[key]
        assert (math.isnan(g) and math.isnan(w)) or math.isclose(g, w, rel_tol=1e-12), key


def _error(tmp_path: Path, capsys: pytest.CaptureFixture[str], data: object) -> str:
    text = data if isinstance(data, str) else json.dumps(data)
    status, _, err = _eval(tmp_path, capsys, EUROSTAT_PROGRAM, text)
    assert status == 1, err
    assert "error[KZF106]" in err and "Traceback" not in err
    return err


def test_the_oecd_sample_gives_its_values(tmp_path: Path, capsys) -> None:
    status, out, err = _eval(tmp_path, capsys, OECD_PROGRAM, FIXTURES / "oecd_unemployment.json")
    assert status == 0, err
    header, got = _results(out)
    assert header == ["area", "year", "share"]
    _same(got, OECD_WANT)
    # six estimates, and the sample does not say what `e` means
    assert "note[KZF263]" in err and "6 e (the file does not say what it means)" in err


def test_the_long_table_has_a_column_per_dimension_and_rows_by_position() -> None:
    table = read_table(FIXTURES / "oecd_unemployment.json")
    assert table.names == ("concept", "area", "year", "value")
    assert table.series_keys == ("concept", "area")  # role time: year is not part of the key
    assert table.rows.tolist() == list(range(1, 10))  # position in `value` + 1
    first = [str(table.data[i].iloc[0]) for i in range(4)]
    assert first == ["UNR", "AU", "2012", "5.224336088"]  # row-major: year changes fastest
    assert [str(v) for v in table.data[1]] == ["AU"] * 3 + ["AT"] * 3 + ["BE"] * 3


def test_a_sparse_eurostat_answer_gives_its_values_and_counts_its_flags(
    tmp_path: Path, capsys
) -> None:
    status, out, err = _eval(tmp_path, capsys, EUROSTAT_PROGRAM, EUROSTAT)
    assert status == 0, err
    header, got = _results(out)
    assert header == ["geo", "time", "share"]
    _same(got, EUROSTAT_WANT)
    assert "note[KZF263]" in err
    said = "1 b (break in time series), 1 e (estimated), 1 p (provisional)"
    assert f"values carry status flags, read as values: {said}" in err
    assert "confidential" not in err  # the flag of a missing value flags no figure


def test_statuses_a_user_drops_make_their_values_missing(tmp_path: Path, capsys) -> None:
    for cube in (EUROSTAT, {**EUROSTAT, "status": ["", "", "", "", "e", "p", "", "c", "b"]}):
        status, out, err = _eval(tmp_path, capsys, EUROSTAT_PROGRAM, cube, "--drop-flags", "p")
        assert status == 0, err
        _, got = _results(out)
        _same(got, {**EUROSTAT_WANT, ("KZ", 2021): math.nan})  # 90.9 p is not used
        assert "read as missing (--drop-flags): 1 p (provisional)" in err


def test_a_dense_value_with_nulls_gives_missing_values(tmp_path: Path, capsys) -> None:
    dense = copy.deepcopy(EUROSTAT)
    dense["value"] = [87.5, 87.5, 92.5, None, 85.9, 90.9, 75.3, None, 81.4]
    dense["status"] = ["", "", "", "", "e", "p", "", "c", "b"]  # status as an array
    status, out, err = _eval(tmp_path, capsys, EUROSTAT_PROGRAM, dense)
    assert status == 0, err
    _, got = _results(out)
    _same(got, {**EUROSTAT_WANT, ("KZ", 2019): math.nan, ("TR", 2020): math.nan})
    assert "1 b (break in time series), 1 e (estimated), 1 p (provisional)" in err


def test_eurostat_time_is_bound_to_a_program_year(tmp_path: Path, capsys) -> None:
    program = EUROSTAT_PROGRAM.replace("dims geo, time", 'dims geo, year = "time"')
    status, out, err = _eval(tmp_path, capsys, program, EUROSTAT)
    assert status == 0, err
    header, got = _results(out)
    assert header == ["geo", "year", "share"]
    _same(got, EUROSTAT_WANT)


def test_a_bound_dimension_of_the_series_key(tmp_path: Path, capsys) -> None:
    program = EUROSTAT_PROGRAM.replace("dims geo, time", 'dims country = "geo", time')
    status, out, err = _eval(tmp_path, capsys, program, EUROSTAT)
    assert status == 0, err
    header, got = _results(out)
    assert header == ["country", "time", "share"]
    _same(got, EUROSTAT_WANT)


def test_the_indicators_of_the_file_are_listed_when_one_is_not_there(
    tmp_path: Path, capsys
) -> None:
    program = EUROSTAT_PROGRAM.replace("A.PC_IND.I_IUSE", "A.PC_IND.I_ILT12")
    status, _, err = _eval(tmp_path, capsys, program, EUROSTAT)
    assert status == 1 and "error[KZF102]" in err and "'A.PC_IND.I_IUSE'" in err


def test_a_bad_value_is_named_by_its_position(tmp_path: Path, capsys) -> None:
    bad = copy.deepcopy(EUROSTAT)
    bad["value"] = {**EUROSTAT["value"], "4": "85,9"}  # type: ignore[dict-item]
    status, _, err = _eval(tmp_path, capsys, EUROSTAT_PROGRAM, bad)
    assert status == 1 and "error[KZF104]" in err
    assert "d.json, row 5, column 'value': '85,9' is not a number" in err  # position 4 + 1


def test_a_collection_of_one_dataset_is_read(tmp_path: Path, capsys) -> None:
    collection = {"version": "2.0", "class": "collection", "link": {"item": [EUROSTAT]}}
    status, out, err = _eval(tmp_path, capsys, EUROSTAT_PROGRAM, collection)
    assert status == 0, err
    _same(_results(out)[1], EUROSTAT_WANT)


def test_a_json_stat_1_bundle_of_one_dataset_is_read(tmp_path: Path, capsys) -> None:
    legacy = {k: v for k, v in EUROSTAT.items() if k not in ("id", "size", "class", "version")}
    legacy["dimension"] = {**EUROSTAT["dimension"], "id": EUROSTAT["id"], "size": EUROSTAT["size"]}  # type: ignore[dict-item]
    status, out, err = _eval(tmp_path, capsys, EUROSTAT_PROGRAM, {"isoc_ci_ifp_iu": legacy})
    assert status == 0, err
    _same(_results(out)[1], EUROSTAT_WANT)


def test_two_datasets_are_refused_naming_them(tmp_path: Path, capsys) -> None:
    other = {**EUROSTAT, "label": "Households - internet access"}
    collection = {"version": "2.0", "class": "collection", "link": {"item": [EUROSTAT, other]}}
    err = _error(tmp_path, capsys, collection)
    assert "holds 2 datasets ('Individuals - internet use', 'Households - internet access')" in err
    err = _error(tmp_path, capsys, {"a": EUROSTAT, "b": other})  # a 1.x bundle
    assert "bundle holds 2 datasets ('a', 'b')" in err


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (
            {"value": [87.5, 87.5]},
            '"value" has 2 values but the sizes of the dimensions make 9 cells',
        ),
        ({"class": "cube"}, "unknown JSON-stat class 'cube'"),
        ({"class": "dimension"}, "a JSON-stat dimension, not a dataset"),
        ({"id": None}, '"id" must be a list of dimension names'),
        ({"size": [1, 1, 1, 3]}, '5 dimensions in "id" but 4 numbers in "size"'),
        ({"size": [1, 1, 1, 3, 4]}, "dimension 'time' has 3 categories but its \"size\" is 4"),
        ({"value": {"9": 1.0}}, "the key '9', which is not a position of the cube (0 to 8)"),
        ({"value": {"x": 1.0}}, "the key 'x', which is not a position"),
        ({"value": {"0": [1.0]}}, "value at position 0 is a JSON array, not a number"),
        ({"status": ["e", "p"]}, '"status" has 2 entries but the cube has 9 cells'),
        ({"dimension": {}}, "JSON-stat dimension 'freq' has no \"category\" object"),
    ],
)
def test_a_malformed_dataset_is_refused_saying_what_is_wrong(
    tmp_path: Path, capsys, change: dict[str, object], said: str
) -> None:
    err = _error(tmp_path, capsys, {**EUROSTAT, **change})
    assert said in err


def test_a_bad_category_index_is_refused(tmp_path: Path, capsys) -> None:
    bad = copy.deepcopy(EUROSTAT)
    bad["dimension"]["geo"]["category"]["index"] = {"AT": 0, "KZ": 2, "TR": 2}  # type: ignore[index]
    assert "must give the positions 0 to 2, each once" in _error(tmp_path, capsys, bad)
    del bad["dimension"]["geo"]["category"]["index"]  # type: ignore[index]
    assert "dimension 'geo' has no category \"index\"" in _error(tmp_path, capsys, bad)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('{"class": "dataset", "value": [1,', "not valid JSON: Expecting value at line 1"),
        ("[1, 2, 3]", "the file holds a JSON array, not an object"),
        ('{"data": [1, 2]}', "not a JSON-stat dataset"),
        ('{"class": "dataset", "id": ["a"], "size": [1]}', 'dataset has no "dimension" object'),
        (
            '{"class": "collection", "link": {"item": [{"class": "dataset", "href": "https://x/a.json"}]}}',
            "only links to its dataset (https://x/a.json)",
        ),
    ],
)
def test_what_is_not_a_json_stat_dataset_is_refused(
    tmp_path: Path, capsys, text: str, said: str
) -> None:
    assert said in _error(tmp_path, capsys, text)


def test_a_header_row_does_not_apply_to_json_stat() -> None:
    with pytest.raises(DataError) as info:
        read_table(FIXTURES / "oecd_unemployment.json", header_row=2)
    assert info.value.diagnostics[0].code == "KZF106"
    assert "a header row applies to CSV and Excel files" in str(info.value)
