"""DuckDB and Spark read the data and write the results themselves (engine/run/native.py).

With `--engine duckdb` (or `spark`) and a Parquet or CSV file, no pandas reader runs: the
checks a panel gets are aggregate queries, the plan runs as SQL over the file, and `--out`
is written by the engine (`COPY ... TO`; `DataFrame.write`). What the engine cannot read the
way kzf reads it is read by pandas with a KZF160 note, and gives the same results. Expected
values are worked out by hand in each test; the tests marked `native_engine` run on both.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import kzf_engines_compare as compare  # tests/engines/compare.py, registered by tests/conftest.py
import pandas as pd
import pyarrow.parquet as pq
import pytest

import kzf
from kzf.dsl.diagnostics import DataError
from kzf.engine.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
NAN = math.nan


def _same(got: list[float], want: list[float], what: str) -> None:
    assert len(got) == len(want), (what, got, want)
    for g, w in zip(got, want, strict=True):
        assert (math.isnan(g) and math.isnan(w)) or math.isclose(g, w, rel_tol=1e-12), (
            what,
            got,
            want,
        )


@pytest.fixture(params=["duckdb", "spark"])
def native_engine(request: pytest.FixtureRequest, engines: list[str]) -> str:
    """An engine that reads files itself: DuckDB, and Spark where Java is (CI has it)."""
    if request.param not in engines:
        pytest.skip(f"{request.param} is not available here")
    return str(request.param)


def _refuse_pandas_readers(monkeypatch: pytest.MonkeyPatch) -> None:
    import pyarrow.parquet as pq

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"the data was read in Python: {args[:1]}")

    monkeypatch.setattr(pd, "read_parquet", refuse)
    monkeypatch.setattr(pd, "read_csv", refuse)
    monkeypatch.setattr(pq, "read_table", refuse)
    monkeypatch.setattr("kzf.engine.io.data.load_panel", refuse)  # read where it is used


@pytest.fixture
def no_pandas_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any pandas or pyarrow reader of a file fails the test: the engine must read it."""
    _refuse_pandas_readers(monkeypatch)


QUARTERS = pd.DataFrame(
    {
        "region": ["B", "B", "A", "A", "A", "A"],
        "quarter": ["2020-Q2", "2020-Q1", "2020-Q1", "2020-Q2", "2020-Q4", "2021-Q1"],
        "x": [3.0, 2.0, 1.0, 1.5, 3.0, 4.5],
    }
)
QUARTERLY = "dims region, quarter\ninput x\ng = growth(x)\nprev = lag(x)\n"


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_period_labels_are_read_by_the_engine_and_step_one_quarter(
    tmp_path: Path, suffix: str, no_pandas_reader: None, native_engine: str
) -> None:
    path = tmp_path / f"q{suffix}"
    if suffix == ".csv":
        QUARTERS.to_csv(path, index=False)
    else:
        QUARTERS.to_parquet(path, index=False)
    result = kzf.compile(QUARTERLY).run(path, engine=native_engine)
    assert [w.code for w in result.warnings] == [], result.warnings  # no KZF160: read natively
    frame = result.frame
    # sorted as a file run is: region, then quarter in time order
    assert frame["region"].tolist() == ["A", "A", "A", "A", "B", "B"]
    assert frame["quarter"].tolist() == ["2020-Q1", "2020-Q2", "2020-Q4", "2021-Q1"] + [
        "2020-Q1",
        "2020-Q2",
    ]
    # A: Q2 1.5/1 - 1; Q4 has no Q3; 2021-Q1 follows 2020-Q4: 4.5/3 - 1. B: Q2 3/2 - 1
    _same(frame["g"].tolist(), [NAN, 0.5, NAN, 0.5, NAN, 0.5], "growth")
    _same(frame["prev"].tolist(), [NAN, 1.0, NAN, 3.0, NAN, 2.0], "lag")


def test_a_long_layout_is_read_by_pandas_with_a_note_and_gives_the_same_results() -> None:
    prog = kzf.load(ROOT / "indicators/egdi_rank_changes.kzf")
    data = ROOT / prog.data_path if prog.data_path else None
    assert data is not None
    native = prog.run(data, engine="duckdb")
    reference = prog.run(data, engine="pandas")
    notes = [w for w in native.warnings if w.code == "KZF160"]
    assert len(notes) == 1 and "pandas" in notes[0].message, notes
    pd.testing.assert_frame_equal(native.frame, reference.frame, check_exact=False, rtol=1e-12)


def test_a_csv_file_not_in_utf8_is_refused_as_on_pandas_not_garbled(
    tmp_path: Path, native_engine: str
) -> None:
    """Spark reads a cp1251 file as UTF-8 with U+FFFD for each byte it cannot decode, and says
    nothing; DuckDB refuses it. Either way the file goes to pandas's reader, which refuses a
    file that is not UTF-8 and names the encoding to pass (KZF101), as `--engine pandas`."""
    path = tmp_path / "cp1251.csv"
    path.write_bytes("c,year,x\nРоссия,2010,1.5\nKZ,2010,2\n".encode("cp1251"))
    prog = kzf.compile("dims c, year\ninput x\ny = x / sum(x over c)\n")
    on_pandas, on_engine = _both_refuse(prog, path, native_engine, natively=False)
    assert _codes(on_pandas) == _codes(on_engine) == ["KZF101"]
    assert "cp1251" in str(on_engine)


def _both_refuse(
    prog: kzf.Program, path: Path, engine: str = "duckdb", natively: bool = True
) -> tuple[DataError, DataError]:
    """The errors of pandas and of `engine`, which must find it without a pandas reader (a
    fallback to pandas, KZF160, would refuse the file for pandas's reasons) unless
    `natively` is False."""
    with pytest.raises(DataError) as on_pandas:
        prog.run(path, engine="pandas")
    with pytest.MonkeyPatch.context() as patch, pytest.raises(DataError) as on_engine:
        if natively:
            _refuse_pandas_readers(patch)
        prog.run(path, engine=engine)
    return on_pandas.value, on_engine.value


def _codes(exc: DataError) -> list[str]:
    return [d.code for d in exc.diagnostics]


def test_a_repeated_key_is_refused_by_the_engine_as_by_pandas(
    tmp_path: Path, native_engine: str
) -> None:
    path = tmp_path / "d.parquet"
    pd.DataFrame(
        {"c": ["KZ", "KZ", "RU"], "year": [2010, 2010, 2010], "x": [1.0, 2.0, 3.0]}
    ).to_parquet(path)
    pandas_error, duckdb_error = _both_refuse(
        kzf.compile("dims c, year\ninput x\ny = 2 * x\n"), path, native_engine
    )
    assert _codes(pandas_error) == _codes(duckdb_error) == ["KZF103"]
    assert "(KZ, 2010)" in str(duckdb_error) and "2 rows" in str(duckdb_error)


def test_keys_whose_hashes_collide_are_searched_exactly_and_not_called_repeated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The keys are counted by their hashes; a collision (here forced: every key "hashes" to
    its country, so KZ's two years collide) must only lead to the exact search, which finds
    that no key repeats, and the run goes on with the right results."""
    from kzf.engine.run import native

    monkeypatch.setitem(native.KEY_HASH, "duckdb", "LEFT")  # LEFT(country, year) = country
    path = tmp_path / "d.parquet"  # not in panel order: the keys are counted, not compared
    pd.DataFrame(
        {"c": ["RU", "KZ", "KZ"], "year": [2010, 2010, 2011], "x": [3.0, 1.0, 2.0]}
    ).to_parquet(path)
    prog = kzf.compile("dims c, year\ninput x\ny = x / sum(x over c)\n")
    found = prog.run(path, engine="duckdb").frame
    assert found["y"].tolist() == [1 / 4, 1.0, 3 / 4]  # 2010: 1 / (1 + 3), 3 / 4; 2011: 2 / 2
    monkeypatch.undo()
    repeated = tmp_path / "r.parquet"
    pd.DataFrame({"c": ["KZ", "KZ"], "year": [2010, 2010], "x": [1.0, 2.0]}).to_parquet(repeated)
    with pytest.raises(DataError) as refused:
        prog.run(repeated, engine="duckdb")
    assert _codes(refused.value) == ["KZF103"]


class _Statements:
    """The statements a DuckDB session runs (its `fetch`, `keep` and `write`), recorded."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from kzf.engine.run import backend_duckdb

        self.sql: list[str] = []
        for verb in ("fetch", "keep", "write"):
            real = getattr(backend_duckdb.DuckDBSession, verb)

            def recorded(session: object, *args: object, _real: Any = real, **kw: object) -> Any:
                self.sql.append(" ".join(map(str, args)))  # the statement and its names
                return _real(session, *args, **kw)

            monkeypatch.setattr(backend_duckdb.DuckDBSession, verb, recorded)

    def counting_keys(self) -> bool:
        return any("COUNT(DISTINCT" in q for q in self.sql)


GROWTH = "dims c, year\ninput x\ng = growth(x)\n"


def test_a_file_in_panel_order_is_checked_by_neighbours_and_kept_in_its_own_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_pandas_reader: None
) -> None:
    """A file already in panel order (the usual case: kzf and most tools write panels so) is
    told free of repeated keys by comparing each row with the one before it, with no count
    of distinct keys, and its result is put in order by the file's own row numbers rather
    than sorted by the dims again (a share of each country's total reads across rows, so
    its rows are reordered and must be put back)."""
    path = tmp_path / "d.parquet"
    pd.DataFrame(
        {"c": ["KZ", "KZ", "RU", "RU"], "year": [2010, 2011, 2010, 2011], "x": [1.0, 3.0, 4.0, 4.0]}
    ).to_parquet(path)
    statements = _Statements(monkeypatch)
    share = "dims c, year\ninput x\ng = x / sum(x over year)\n"
    found = kzf.compile(share).run(path, engine="duckdb").frame
    assert list(zip(found["c"], found["year"], strict=True)) == [
        ("KZ", 2010),
        ("KZ", 2011),
        ("RU", 2010),
        ("RU", 2011),
    ]
    _same(found["g"].tolist(), [0.25, 0.75, 0.5, 0.5], "share")  # 1/4, 3/4, 4/8, 4/8
    assert not statements.counting_keys(), statements.sql
    assert any(
        "ORDER BY" in q and "kzf_file_row" in q.split("ORDER BY")[-1] for q in statements.sql
    )


NEIGHBOURS = "dims c, year\ninput x\ng = growth(x)\nback = lag(x)\nahead = lead(x)\n"


def _neighbours_by_hand(frame: pd.DataFrame) -> dict[str, list[float]]:
    """lag, lead and growth by one year, each looked up by its key (country, year - 1 or
    year + 1): missing where that year is not in the file."""
    value = {(c, y): x for c, y, x in zip(frame["c"], frame["year"], frame["x"], strict=True)}
    keys = list(zip(frame["c"], frame["year"], strict=True))
    back = [value.get((c, y - 1), NAN) for c, y in keys]
    ahead = [value.get((c, y + 1), NAN) for c, y in keys]
    growth = [x / b - 1 for x, b in zip(frame["x"], back, strict=True)]
    return {"g": growth, "back": back, "ahead": ahead}


@pytest.mark.parametrize("threads", [1, 2])
def test_neighbours_in_time_of_a_file_in_panel_order_stream_without_a_sort(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threads: int
) -> None:
    """lag, lead and growth by one period on a file in panel order are the row before or
    after in the file, when it is the same country's year before or after: no window over a
    partition and no sort, for the plan or for the output. The file has gaps (years left
    out at random), many row groups read on several threads, and countries of one row; each
    value is checked against a lookup by key."""
    import numpy as np

    rng = np.random.default_rng(7)
    countries = [f"C{i:04d}" for i in range(1500)]
    years = list(range(1990, 2020))
    frame = pd.DataFrame(
        {"c": np.repeat(countries, len(years)), "year": np.tile(years, len(countries))}
    )
    frame = frame[rng.uniform(size=len(frame)) > 0.2]  # gaps
    # one country's first year is the year after the last of the country before it: the
    # row before is not its year before
    joined = pd.DataFrame({"c": ["B0"] * 6 + ["B1"] * 5, "year": [*range(2000, 2011)]})
    frame = pd.concat([joined, frame], ignore_index=True)
    frame["x"] = rng.uniform(1.0, 2.0, len(frame))
    path = tmp_path / "d.parquet"
    frame.to_parquet(path, row_group_size=1000)
    from kzf.engine.run.backend_duckdb import DuckDBBackend

    statements = _Statements(monkeypatch)
    found = kzf.compile(NEIGHBOURS).run(path, engine=DuckDBBackend(threads=threads)).frame
    assert found["c"].tolist() == frame["c"].tolist()
    assert found["year"].tolist() == frame["year"].tolist()
    for name, want in _neighbours_by_hand(frame).items():
        _same(found[name].tolist(), want, name)
    computed = [q for q in statements.sql if "LAG(" in q or "LEAD(" in q]
    assert computed and not any("PARTITION BY" in q or "ORDER BY" in q for q in computed)


def test_a_neighbour_of_a_value_read_across_rows_is_still_found_by_its_key(
    tmp_path: Path,
) -> None:
    """Once a window over a partition has reordered the rows (each year's total), the row
    before in the stream is no longer the year before: such a plan finds the neighbour by
    its key, and the result is put in panel order."""
    rows = [("KZ", 2010, 1.0), ("KZ", 2011, 3.0), ("RU", 2010, 3.0), ("RU", 2011, 1.0)]
    path = tmp_path / "d.parquet"
    pd.DataFrame(rows, columns=["c", "year", "x"]).to_parquet(path)
    source = "dims c, year\ninput x\nshare = x / sum(x over c)\ng = growth(share)\n"
    found = kzf.compile(source).run(path, engine="duckdb").frame
    assert found["c"].tolist() == ["KZ", "KZ", "RU", "RU"]
    _same(found["share"].tolist(), [0.25, 0.75, 0.75, 0.25], "share")  # of 4 in each year
    _same(found["g"].tolist(), [NAN, 2.0, NAN, -2 / 3], "growth")  # 0.75/0.25 - 1, ...


@pytest.mark.parametrize(
    "rows",
    [
        # by year, then country: every key is unique, but not in panel order
        [("KZ", 2010, 1.0), ("RU", 2010, 4.0), ("KZ", 2011, 2.0), ("RU", 2011, 5.0)],
        # shuffled
        [("RU", 2011, 5.0), ("KZ", 2010, 1.0), ("RU", 2010, 4.0), ("KZ", 2011, 2.0)],
    ],
)
def test_a_file_in_another_order_has_its_keys_counted_and_its_result_sorted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: list[tuple[str, int, float]]
) -> None:
    path = tmp_path / "d.parquet"
    pd.DataFrame(rows, columns=["c", "year", "x"]).to_parquet(path)
    statements = _Statements(monkeypatch)
    found = kzf.compile(GROWTH).run(path, engine="duckdb").frame
    assert list(zip(found["c"], found["year"], strict=True)) == [
        ("KZ", 2010),
        ("KZ", 2011),
        ("RU", 2010),
        ("RU", 2011),
    ]
    _same(found["g"].tolist(), [NAN, 1.0, NAN, 0.25], "growth")
    assert statements.counting_keys(), statements.sql


@pytest.mark.parametrize("row_wise", [False, True])
def test_a_file_of_many_row_groups_in_panel_order_gives_its_rows_in_panel_order(
    tmp_path: Path, row_wise: bool
) -> None:
    """DuckDB reads the row groups of a file on several threads; the result is in panel
    order: by the file's row numbers once the check proved the file in panel order, and for
    a row-wise program (nothing but projections) as DuckDB keeps the rows of one table."""
    import numpy as np

    countries = [f"C{i:03d}" for i in range(300)]
    years = list(range(1990, 2020))
    frame = pd.DataFrame(
        {
            "c": np.repeat(countries, len(years)),
            "year": np.tile(years, len(countries)),
            "x": np.arange(1.0, 1.0 + len(countries) * len(years)),
        }
    )
    path = tmp_path / "d.parquet"
    frame.to_parquet(path, row_group_size=97)
    source = "dims c, year\ninput x\ng = 1 / x\n" if row_wise else GROWTH
    found = kzf.compile(source).run(path, engine="duckdb").frame
    assert found["c"].tolist() == frame["c"].tolist()
    assert found["year"].tolist() == frame["year"].tolist()
    x = frame["x"].to_numpy()
    want = np.where(frame["year"].to_numpy() == 1990, np.nan, x / np.roll(x, 1) - 1)
    _same(found["g"].tolist(), (1 / x if row_wise else want).tolist(), "g")


@pytest.mark.parametrize("name", ["file_row_number", "kzf_file_row"])
def test_a_file_with_a_column_named_like_the_row_number_reads_that_column(
    tmp_path: Path, name: str
) -> None:
    path = tmp_path / "d.parquet"
    pd.DataFrame({"c": ["KZ", "KZ"], "year": [2010, 2011], name: [7.0, 9.0]}).to_parquet(path)
    found = kzf.compile(f"dims c, year\ninput {name}\ny = 2 * {name}\n").run(path, engine="duckdb")
    assert found.frame["y"].tolist() == [14.0, 18.0]


def test_keys_with_spaces_around_them_are_trimmed_by_the_engine_as_by_pandas(
    tmp_path: Path, native_engine: str, no_pandas_reader: None
) -> None:
    """A text dim is read as it is while no value has a space first or last (the check counts
    them); one that has is read again trimmed, so ' KZ' and 'KZ' are one country, as pandas
    reads them, and a key that repeats only once trimmed is refused."""
    path = tmp_path / "d.parquet"
    pd.DataFrame(
        {"c": [" KZ", "RU ", "KZ"], "year": [2010, 2010, 2011], "x": [1.0, 3.0, 2.0]}
    ).to_parquet(path)
    prog = kzf.compile("dims c, year\ninput x\ny = x / sum(x over c)\n")
    found = prog.run(path, engine=native_engine).frame
    assert found["c"].tolist() == ["KZ", "KZ", "RU"]  # panel order, trimmed
    assert found["y"].tolist() == [1 / 4, 1.0, 3 / 4]  # 2010: 1 / (1 + 3); 2011: 2 / 2
    repeated = tmp_path / "r.parquet"
    pd.DataFrame({"c": ["KZ ", "KZ"], "year": [2010, 2010], "x": [1.0, 2.0]}).to_parquet(repeated)
    with pytest.raises(DataError) as refused:
        prog.run(repeated, engine=native_engine)
    assert _codes(refused.value) == ["KZF103"] and "(KZ, 2010)" in str(refused.value)


def test_a_missing_input_column_is_refused_by_the_engine_as_by_pandas(
    tmp_path: Path, native_engine: str
) -> None:
    path = tmp_path / "d.parquet"
    pd.DataFrame({"c": ["KZ"], "year": [2010], "x": [1.0]}).to_parquet(path)
    pandas_error, duckdb_error = _both_refuse(
        # a column not found may be another layout (long, years as columns): pandas reads it
        kzf.compile("dims c, year\ninput x, z\ny = x + z\n"),
        path,
        native_engine,
        natively=False,
    )
    assert _codes(pandas_error) == _codes(duckdb_error)
    assert "'z'" in str(duckdb_error)


def test_an_infinite_value_and_an_empty_key_are_refused_by_the_engine_as_by_pandas(
    tmp_path: Path,
    native_engine: str,
) -> None:
    prog = kzf.compile("dims c, year\ninput x\ny = 2 * x\n")
    inf = tmp_path / "inf.parquet"
    pd.DataFrame({"c": ["KZ", "RU"], "year": [2010, 2010], "x": [1.0, math.inf]}).to_parquet(inf)
    pandas_error, duckdb_error = _both_refuse(prog, inf, native_engine)
    assert _codes(pandas_error) == _codes(duckdb_error) == ["KZF104"]
    empty = tmp_path / "empty.parquet"
    pd.DataFrame({"c": ["KZ", None], "year": [2010, 2010], "x": [1.0, 2.0]}).to_parquet(empty)
    pandas_error, duckdb_error = _both_refuse(prog, empty, native_engine)
    assert _codes(pandas_error) == _codes(duckdb_error) == ["KZF105"]
    # the time dimension: an empty year is an empty key (KZF105), before any year that is
    # not whole (KZF104), as on pandas (found by the grammar fuzzer)
    no_year = tmp_path / "no_year.parquet"
    frame = {"c": ["KZ", "RU", "TR"], "year": [2010.5, None, 2010.0], "x": [1.0, 2.0, 3.0]}
    pd.DataFrame(frame).to_parquet(no_year)
    pandas_error, duckdb_error = _both_refuse(prog, no_year, native_engine)
    assert _codes(pandas_error) == _codes(duckdb_error) == ["KZF105"]
    half_year = tmp_path / "half_year.parquet"
    frame = {"c": ["KZ", "RU"], "year": [2010.5, 2010.0], "x": [1.0, 2.0]}
    pd.DataFrame(frame).to_parquet(half_year)
    pandas_error, duckdb_error = _both_refuse(prog, half_year, native_engine)
    assert _codes(pandas_error) == _codes(duckdb_error) == ["KZF104"]


def test_a_value_outside_its_declared_domain_is_named_by_the_engine_as_by_pandas(
    tmp_path: Path,
    native_engine: str,
) -> None:
    path = tmp_path / "d.parquet"
    frame = pd.DataFrame(
        {"c": ["RU", "KZ", "KZ"], "year": [2010, 2011, 2010], "t": [2.0, -2.0, 4.0]}
    )
    frame.to_parquet(path)
    pandas_error, duckdb_error = _both_refuse(
        kzf.compile("dims c, year\ninput t > 0\ny = ln(t)\n"), path, native_engine
    )
    assert _codes(pandas_error) == _codes(duckdb_error) == ["KZF110"]
    assert "(KZ, 2011)" in str(duckdb_error) and "-2" in str(duckdb_error)
    warned = kzf.compile("dims c, year\ninput t > 0 warning\ny = 2 * t\n")
    on_pandas, on_duckdb = warned.run(path), warned.run(path, engine=native_engine)
    assert (
        [w.code for w in on_duckdb.warnings] == [w.code for w in on_pandas.warnings] == ["KZF111"]
    )
    # the same words, less the file's row number, which a parallel scan does not keep
    assert "row 3 (KZ, 2011) = -2" in on_pandas.warnings[0].message
    without_row = on_pandas.warnings[0].message.replace("row 3 (KZ, 2011)", "(KZ, 2011)")
    assert on_duckdb.warnings[0].message == without_row


def test_a_clean_file_is_read_once_for_its_checks_and_warnings_and_kept_in_no_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plan that may warn (a division) on a file where nothing fires: the checks of the
    cells and the question of which warnings fired are one aggregate over the result, and
    no table of the result is made (it streams to the output); a zero denominator in the
    same file then makes the table and names its row."""
    source = "dims c, year\ninput a, b\nr = a / b\nshare = a / sum(a over c)\n"
    path = tmp_path / "d.parquet"
    frame = pd.DataFrame(
        {"c": ["KZ", "KZ", "RU"], "year": [2010, 2011, 2010], "a": [1.0, 3.0, 2.0]}
    )
    frame.assign(b=[2.0, 4.0, 8.0]).to_parquet(path)
    statements = _Statements(monkeypatch)
    found = kzf.compile(source).run(path, engine="duckdb")
    _same(found.frame["r"].tolist(), [0.5, 0.75, 0.25], "r")  # 1/2, 3/4, 2/8
    _same(found.frame["share"].tolist(), [1 / 3, 1.0, 2 / 3], "share")  # of 3, of 3, of 3
    assert not found.warnings
    asked = [q for q in statements.sql if "BIT_OR" in q]
    assert len(asked) == 1 and "COUNT(*)" in asked[0] and "inf_" in asked[0], statements.sql
    kept = "kzf_source_panel_kept "  # keep(name, query, materialise=True): the table
    assert not any(q.startswith(kept) for q in statements.sql), statements.sql
    frame.assign(b=[2.0, 0.0, 8.0]).to_parquet(path)
    statements.sql.clear()
    warned = kzf.compile(source).run(path, engine="duckdb")
    assert [w.code for w in warned.warnings] == ["KZF201"]
    assert "(KZ, 2011)" in warned.warnings[0].message
    assert any(q.startswith(kept) for q in statements.sql), statements.sql


def test_a_division_by_zero_names_the_same_rows_on_the_engine_as_on_pandas(
    tmp_path: Path, native_engine: str
) -> None:
    path = tmp_path / "d.csv"
    path.write_text("c,year,a,b\nKZ,2010,1,0\nKZ,2011,2,4\nRU,2010,3,0\n", encoding="utf-8")
    prog = kzf.compile("dims c, year\ninput a, b\nr = a / b\n")
    on_pandas, on_duckdb = prog.run(path), prog.run(path, engine=native_engine)
    assert [w.code for w in on_duckdb.warnings] == [w.code for w in on_pandas.warnings]
    assert [w.message for w in on_duckdb.warnings] == [w.message for w in on_pandas.warnings]
    assert "(KZ, 2010)" in on_duckdb.warnings[0].message
    _same(on_duckdb.frame["r"].tolist(), [NAN, 0.5, NAN], "a / b")


def test_kzf_eval_out_is_written_by_the_engine_atomically_and_follows_the_umask(
    tmp_path: Path, no_pandas_reader: None, capsys: pytest.CaptureFixture[str], native_engine: str
) -> None:
    data = tmp_path / "q.parquet"
    QUARTERS.to_parquet(data, index=False)
    formula = tmp_path / "q.kzf"
    formula.write_text(QUARTERLY, encoding="utf-8")
    old = os.umask(0o027)
    try:
        for suffix in (".parquet", ".csv"):
            out = tmp_path / "out" / f"result{suffix}"
            out.parent.mkdir(exist_ok=True)
            argv = [
                "eval",
                str(formula),
                "--data",
                str(data),
                "--engine",
                native_engine,
                "--out",
                str(out),
            ]
            assert main(argv) == 0, capsys.readouterr().err
            assert (out.stat().st_mode & 0o777) == 0o640  # 0o666 less the umask
    finally:
        os.umask(old)
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["result.csv", "result.parquet"], names  # no temporary file left behind


def test_the_files_the_engine_writes_hold_what_pandas_computes(
    tmp_path: Path, native_engine: str
) -> None:
    data = tmp_path / "q.parquet"
    QUARTERS.to_parquet(data, index=False)
    prog = kzf.compile(QUARTERLY)
    reference = prog.run(data).frame
    for suffix in (".parquet", ".csv"):
        out = tmp_path / f"result{suffix}"
        written = prog.write(data, out, engine=native_engine)
        assert written.rows == len(QUARTERS)
        got = pd.read_parquet(out) if suffix == ".parquet" else pd.read_csv(out)
        assert (
            got.columns.tolist() == reference.columns.tolist() == ["region", "quarter", "g", "prev"]
        )
        assert got["quarter"].tolist() == reference["quarter"].tolist()
        for name in ("g", "prev"):
            _same(got[name].tolist(), reference[name].tolist(), f"{name} in {suffix}")


# ------------------------------------------------------------ under a memory cap

# The EGDI chain of benchmarks/ on 10^7 rows (245 MB of Parquet, about 400 MB of float64 and
# key columns in memory): DuckDB's memory limit is 100 MB and the whole process may map at
# most 1.5 GB, which is less than pandas needs to hold the panel, its sorted copy and the
# results (measured: 1.9-2.1 GB resident without a cap; under this cap the pandas path does not
# finish).
CAPPED_ROWS = 10_000_000
ADDRESS_SPACE = 1_500_000_000


def _capped_egdi(folder: Path, limit: str) -> tuple[subprocess.CompletedProcess[str], Path, Path]:
    """`kzf eval` of the EGDI chain on the large file, under the address-space cap and with
    DuckDB's memory limit `limit`: the finished process, the data and the --out path."""
    data = folder / "big.parquet"
    compare.write_egdi_panel(data, CAPPED_ROWS)
    formula = folder / "egdi.kzf"
    formula.write_text(compare.EGDI, encoding="utf-8")
    out = folder / "egdi.parquet"
    prlimit = shutil.which("prlimit")
    assert prlimit is not None, "prlimit (util-linux) is needed to cap the address space"
    env = {**os.environ, "KZF_DUCKDB_MEMORY_LIMIT": limit}
    command = [prlimit, f"--as={ADDRESS_SPACE}", sys.executable, "-m", "kzf", "eval"]
    command += [str(formula), "--data", str(data), "--engine", "duckdb", "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    return done, data, out


@pytest.mark.timeout(900)
def test_a_file_far_larger_than_duckdbs_memory_limit_runs_and_matches_hand_written_sql(
    tmp_path: Path,
) -> None:
    done, data, out = _capped_egdi(tmp_path, "100MB")
    assert done.returncode == 0, done.stderr
    # every row of the hand-written query has its row in kzf's file, equal to 1e-12 relative
    assert compare.egdi_mismatches(data, out) == (CAPPED_ROWS, 0, 0)
    assert pq.read_metadata(out).num_rows == CAPPED_ROWS


@pytest.mark.timeout(600)
def test_running_out_of_memory_says_so_and_names_the_setting(tmp_path: Path) -> None:
    done, _, out = _capped_egdi(tmp_path, "8MB")
    assert done.returncode == 1, (done.returncode, done.stderr)
    assert "KZF161" in done.stderr and "KZF_DUCKDB_MEMORY_LIMIT" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()


def test_two_inputs_reading_one_column_are_refused_before_any_engine_reads_it() -> None:
    # Found by the grammar fuzzer: pandas gave the column to `b` and reported `a` missing,
    # DuckDB read it twice. The file cannot mean both; it is refused at its position.
    with pytest.raises(kzf.ProgramError) as refused:
        kzf.compile('input b = "a", a\ny = a + b\n')
    assert [d.code for d in refused.value.diagnostics] == ["KZF023"]
    assert "both read the data column 'a'" in str(refused.value)
    assert refused.value.diagnostics[0].span is not None
    assert refused.value.diagnostics[0].span.column == 16


def test_spark_running_out_of_memory_is_kzf161_naming_the_setting(
    tmp_path: Path, engines: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Spark spills what it sorts and caches, so the test makes the engine fail as a JVM
    out of heap does (the words of java.lang.OutOfMemoryError, as Py4J hands them over):
    the user reads KZF161 with Spark's memory and the setting to change, no traceback."""
    if "spark" not in engines:
        pytest.skip("no Java runtime here; CI installs one and runs this")
    from kzf.engine.run import backend_spark

    def out_of_heap(self: object, sql: str) -> None:
        raise RuntimeError(
            "An error occurred while calling o123.collectToPython.\n"
            ": java.lang.OutOfMemoryError: Java heap space"
        )

    monkeypatch.setattr(backend_spark.SparkFileSession, "fetch", out_of_heap)
    path = tmp_path / "d.parquet"
    pd.DataFrame({"c": ["KZ"], "year": [2010], "x": [1.0]}).to_parquet(path)
    with pytest.raises(DataError) as raised:
        kzf.compile("dims c, year\ninput x\ny = 2 * x\n").run(path, engine="spark")
    found = raised.value.diagnostics[0]
    assert found.code == "KZF161"
    assert "spark ran out of memory" in found.message and "spark.driver.memory" in found.message
    assert "KZF_SPARK_DRIVER_MEMORY" in found.notes[0]


def test_spark_out_of_memory_on_a_panel_of_this_process_is_kzf161_too(
    engines: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The in-process path (a frame shipped to Spark as Arrow) fails as the JVM does when
    the driver cannot hold the panel (measured: 2e7 rows with a 512 MB driver): KZF161."""
    if "spark" not in engines:
        pytest.skip("no Java runtime here; CI installs one and runs this")
    from contextlib import contextmanager

    from kzf.engine.run import backend_spark

    @contextmanager
    def out_of_heap(self: object, name: str, table: object):  # type: ignore[no-untyped-def]
        raise RuntimeError(
            "An error occurred while calling z:org.apache.spark.sql.api.python.PythonSQLUtils."
            "readArrowStreamFromFile.\n: java.lang.OutOfMemoryError: Java heap space"
        )
        yield

    monkeypatch.setattr(backend_spark.SparkBackend, "registered", out_of_heap)
    frame = pd.DataFrame({"c": ["KZ", "RU"], "year": [2010, 2010], "x": [1.0, 3.0]})
    with pytest.raises(DataError) as raised:
        kzf.compile("dims c, year\ninput x\ny = x / sum(x over c)\n").run(frame, engine="spark")
    found = raised.value.diagnostics[0]
    assert found.code == "KZF161" and "the panel" in found.message
    assert "KZF_SPARK_DRIVER_MEMORY" in found.notes[0]
