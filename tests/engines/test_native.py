"""DuckDB reads the data and writes the results itself (engine/run/native.py).

With `--engine duckdb` and a Parquet or CSV file, no pandas reader runs: the checks a panel
gets are aggregate queries, the plan runs as SQL over the file, and `--out` is written by
`COPY ... TO`. What DuckDB cannot read the way kzf reads it is read by pandas with a KZF160
note, and gives the same results. Expected values are worked out by hand in each test.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
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


@pytest.fixture
def no_pandas_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any pandas or pyarrow reader of a file fails the test: the engine must read it."""
    import pyarrow.parquet as pq

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"the data was read in Python: {args[:1]}")

    monkeypatch.setattr(pd, "read_parquet", refuse)
    monkeypatch.setattr(pd, "read_csv", refuse)
    monkeypatch.setattr(pq, "read_table", refuse)
    monkeypatch.setattr("kzf.engine.io.data.load_panel", refuse)  # read where it is used


QUARTERS = pd.DataFrame(
    {
        "region": ["B", "B", "A", "A", "A", "A"],
        "quarter": ["2020-Q2", "2020-Q1", "2020-Q1", "2020-Q2", "2020-Q4", "2021-Q1"],
        "x": [3.0, 2.0, 1.0, 1.5, 3.0, 4.5],
    }
)
QUARTERLY = "dims region, quarter\ninput x\ng = growth(x)\nprev = lag(x)\n"


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_period_labels_are_read_by_duckdb_and_step_one_quarter(
    tmp_path: Path, suffix: str, no_pandas_reader: None
) -> None:
    path = tmp_path / f"q{suffix}"
    if suffix == ".csv":
        QUARTERS.to_csv(path, index=False)
    else:
        QUARTERS.to_parquet(path, index=False)
    result = kzf.compile(QUARTERLY).run(path, engine="duckdb")
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


def _both_refuse(prog: kzf.Program, path: Path) -> tuple[DataError, DataError]:
    with pytest.raises(DataError) as on_pandas:
        prog.run(path, engine="pandas")
    with pytest.raises(DataError) as on_duckdb:
        prog.run(path, engine="duckdb")
    return on_pandas.value, on_duckdb.value


def _codes(exc: DataError) -> list[str]:
    return [d.code for d in exc.diagnostics]


def test_a_repeated_key_is_refused_by_duckdb_as_by_pandas(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    pd.DataFrame(
        {"c": ["KZ", "KZ", "RU"], "year": [2010, 2010, 2010], "x": [1.0, 2.0, 3.0]}
    ).to_parquet(path)
    pandas_error, duckdb_error = _both_refuse(
        kzf.compile("dims c, year\ninput x\ny = 2 * x\n"), path
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
    path = tmp_path / "d.parquet"
    pd.DataFrame(
        {"c": ["KZ", "KZ", "RU"], "year": [2010, 2011, 2010], "x": [1.0, 2.0, 3.0]}
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


def test_a_missing_input_column_is_refused_by_duckdb_as_by_pandas(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    pd.DataFrame({"c": ["KZ"], "year": [2010], "x": [1.0]}).to_parquet(path)
    pandas_error, duckdb_error = _both_refuse(
        kzf.compile("dims c, year\ninput x, z\ny = x + z\n"), path
    )
    assert _codes(pandas_error) == _codes(duckdb_error)
    assert "'z'" in str(duckdb_error)


def test_an_infinite_value_and_an_empty_key_are_refused_by_duckdb_as_by_pandas(
    tmp_path: Path,
) -> None:
    prog = kzf.compile("dims c, year\ninput x\ny = 2 * x\n")
    inf = tmp_path / "inf.parquet"
    pd.DataFrame({"c": ["KZ", "RU"], "year": [2010, 2010], "x": [1.0, math.inf]}).to_parquet(inf)
    pandas_error, duckdb_error = _both_refuse(prog, inf)
    assert _codes(pandas_error) == _codes(duckdb_error) == ["KZF104"]
    empty = tmp_path / "empty.parquet"
    pd.DataFrame({"c": ["KZ", None], "year": [2010, 2010], "x": [1.0, 2.0]}).to_parquet(empty)
    pandas_error, duckdb_error = _both_refuse(prog, empty)
    assert _codes(pandas_error) == _codes(duckdb_error) == ["KZF105"]
    # the time dimension: an empty year is an empty key (KZF105), before any year that is
    # not whole (KZF104), as on pandas (found by the grammar fuzzer)
    no_year = tmp_path / "no_year.parquet"
    frame = {"c": ["KZ", "RU", "TR"], "year": [2010.5, None, 2010.0], "x": [1.0, 2.0, 3.0]}
    pd.DataFrame(frame).to_parquet(no_year)
    pandas_error, duckdb_error = _both_refuse(prog, no_year)
    assert _codes(pandas_error) == _codes(duckdb_error) == ["KZF105"]
    half_year = tmp_path / "half_year.parquet"
    frame = {"c": ["KZ", "RU"], "year": [2010.5, 2010.0], "x": [1.0, 2.0]}
    pd.DataFrame(frame).to_parquet(half_year)
    pandas_error, duckdb_error = _both_refuse(prog, half_year)
    assert _codes(pandas_error) == _codes(duckdb_error) == ["KZF104"]


def test_a_value_outside_its_declared_domain_is_named_by_duckdb_as_by_pandas(
    tmp_path: Path,
) -> None:
    path = tmp_path / "d.parquet"
    frame = pd.DataFrame(
        {"c": ["RU", "KZ", "KZ"], "year": [2010, 2011, 2010], "t": [2.0, -2.0, 4.0]}
    )
    frame.to_parquet(path)
    pandas_error, duckdb_error = _both_refuse(
        kzf.compile("dims c, year\ninput t > 0\ny = ln(t)\n"), path
    )
    assert _codes(pandas_error) == _codes(duckdb_error) == ["KZF110"]
    assert "(KZ, 2011)" in str(duckdb_error) and "-2" in str(duckdb_error)
    warned = kzf.compile("dims c, year\ninput t > 0 warning\ny = 2 * t\n")
    on_pandas, on_duckdb = warned.run(path), warned.run(path, engine="duckdb")
    assert (
        [w.code for w in on_duckdb.warnings] == [w.code for w in on_pandas.warnings] == ["KZF111"]
    )
    # the same words, less the file's row number, which a parallel scan does not keep
    assert "row 3 (KZ, 2011) = -2" in on_pandas.warnings[0].message
    without_row = on_pandas.warnings[0].message.replace("row 3 (KZ, 2011)", "(KZ, 2011)")
    assert on_duckdb.warnings[0].message == without_row


def test_a_division_by_zero_names_the_same_rows_on_duckdb_as_on_pandas(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("c,year,a,b\nKZ,2010,1,0\nKZ,2011,2,4\nRU,2010,3,0\n", encoding="utf-8")
    prog = kzf.compile("dims c, year\ninput a, b\nr = a / b\n")
    on_pandas, on_duckdb = prog.run(path), prog.run(path, engine="duckdb")
    assert [w.code for w in on_duckdb.warnings] == [w.code for w in on_pandas.warnings]
    assert [w.message for w in on_duckdb.warnings] == [w.message for w in on_pandas.warnings]
    assert "(KZ, 2010)" in on_duckdb.warnings[0].message
    _same(on_duckdb.frame["r"].tolist(), [NAN, 0.5, NAN], "a / b")


def test_kzf_eval_out_is_written_by_duckdb_atomically_and_follows_the_umask(
    tmp_path: Path, no_pandas_reader: None, capsys: pytest.CaptureFixture[str]
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
                "duckdb",
                "--out",
                str(out),
            ]
            assert main(argv) == 0, capsys.readouterr().err
            assert (out.stat().st_mode & 0o777) == 0o640  # 0o666 less the umask
    finally:
        os.umask(old)
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["result.csv", "result.parquet"], names  # no temporary file left behind


def test_the_files_duckdb_writes_hold_what_pandas_computes(tmp_path: Path) -> None:
    data = tmp_path / "q.parquet"
    QUARTERS.to_parquet(data, index=False)
    prog = kzf.compile(QUARTERLY)
    reference = prog.run(data).frame
    for suffix in (".parquet", ".csv"):
        out = tmp_path / f"result{suffix}"
        written = prog.write(data, out, engine="duckdb")
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
EGDI = """input osi, tii, hci
minmax(x) = (x - min(x over entity)) / (max(x over entity) - min(x over entity))
egdi = (minmax(osi) + minmax(tii) + minmax(hci)) / 3
"""
HAND_WRITTEN = """
WITH d AS (SELECT * FROM read_parquet('{data}')),
r AS (SELECT entity, year,
  min(osi) OVER w AS o0, max(osi) OVER w AS o1, min(tii) OVER w AS t0, max(tii) OVER w AS t1,
  min(hci) OVER w AS h0, max(hci) OVER w AS h1, osi, tii, hci
  FROM d WINDOW w AS (PARTITION BY year))
SELECT entity, year, ((osi - o0) / (o1 - o0) + (tii - t0) / (t1 - t0) + (hci - h0) / (h1 - h0)) / 3
  AS egdi FROM r
"""


def _capped_data(folder: Path) -> Path:
    import duckdb

    path = folder / "big.parquet"
    duckdb.connect().execute(
        f"""COPY (SELECT 'E' || lpad(CAST(i // 20 AS VARCHAR), 7, '0') AS entity,
              2005 + i % 20 AS year,
              hash(i, 1) / 18446744073709551615.0 AS osi,
              hash(i, 2) / 18446744073709551615.0 AS tii,
              hash(i, 3) / 18446744073709551615.0 AS hci
            FROM range({CAPPED_ROWS}) t(i)) TO '{path}' (FORMAT parquet)"""
    )
    return path


def _capped_egdi(folder: Path, limit: str) -> tuple[subprocess.CompletedProcess[str], Path, Path]:
    """`kzf eval` of the EGDI chain on the large file, under the address-space cap and with
    DuckDB's memory limit `limit`: the finished process, the data and the --out path."""
    data = _capped_data(folder)
    formula = folder / "egdi.kzf"
    formula.write_text(EGDI, encoding="utf-8")
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
    import duckdb

    done, data, out = _capped_egdi(tmp_path, "100MB")
    assert done.returncode == 0, done.stderr
    con = duckdb.connect()
    want = HAND_WRITTEN.format(data=data)
    # every row of the hand-written query has its row in kzf's file, equal to 1e-12 relative
    mismatch = con.execute(
        f"""SELECT count(*) AS n,
                   count(*) FILTER (WHERE k.egdi IS NULL) AS lost,
                   count(*) FILTER (WHERE abs(k.egdi - h.egdi) > 1e-12 * abs(h.egdi)) AS off
            FROM ({want}) h LEFT JOIN read_parquet('{out}') k USING (entity, year)"""
    ).fetchone()
    assert mismatch == (CAPPED_ROWS, 0, 0), mismatch
    rows = con.execute(f"SELECT count(*) FROM read_parquet('{out}')").fetchone()
    assert rows == (CAPPED_ROWS,)


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
