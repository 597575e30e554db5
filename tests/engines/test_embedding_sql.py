"""kzf inside the engines people already run (issue 16, item 4): a DuckDB relation evaluated
by DuckDB and given back as a relation, and a Spark DataFrame evaluated by Spark and given
back as a DataFrame, lazy and composable; `Program.to_sql(dialect)` as one SELECT to run in
one's own pipeline. Every expected value is worked out by hand below."""

from __future__ import annotations

import warnings
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import kzf
from kzf import UsageError

PROGRAM = """\
dims entity, year
input x, y
share = x / sum(x over entity)
growth = x / lag(x) - 1
per_y = x / y
"""
# entity a: x 1, 3 (2020, 2021); entity b: x 1, 2; y 2, 0, 4, 5 (b 2021's y is 5)
ROWS = "('b', 2021, 2.0, 5.0), ('a', 2020, 1.0, 2.0), ('b', 2020, 1.0, 4.0), ('a', 2021, 3.0, 0.0)"
# by hand: share is x over the sum across entities of its year: 2020 1/2, 1/2 (a, b);
# 2021 3/5, 2/5. growth: a 2021 3/1 - 1 = 2, b 2021 2/1 - 1 = 1.
# per_y: a 2020 1/2, a 2021 3/0 -> missing (with a warning), b 2020 1/4, b 2021 2/5.
EXPECTED = [
    ("a", 2020, 0.5, None, 0.5),
    ("a", 2021, 0.6, 2.0, None),
    ("b", 2020, 0.5, None, 0.25),
    ("b", 2021, 0.4, 1.0, 0.4),
]


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    c.execute("CREATE TABLE panel (entity VARCHAR, year INTEGER, x DOUBLE, y DOUBLE)")
    c.execute(f"INSERT INTO panel VALUES {ROWS}")
    return c


def rows_of(relation: duckdb.DuckDBPyRelation) -> list[tuple[object, ...]]:
    return [tuple(None if v != v else v for v in r) for r in relation.fetchall()]


def close_rows(got: list[tuple[object, ...]], want: list[tuple[object, ...]]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g[:2] == w[:2]
        for a, b in zip(g[2:], w[2:], strict=True):
            assert (a is None and b is None) or a == pytest.approx(b, rel=1e-15)


def user_objects(c: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    return c.sql(
        "SELECT table_name FROM duckdb_tables() UNION ALL "
        "SELECT view_name FROM duckdb_views() WHERE NOT internal"
    ).fetchall()


def test_a_relation_gives_a_relation_of_the_same_connection(con) -> None:
    prog = kzf.compile(PROGRAM)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = prog.evaluate(con.sql("SELECT * FROM panel"))
    assert type(out).__name__ == "DuckDBPyRelation"
    assert out.columns == ["entity", "year", "share", "growth", "per_y"]
    close_rows(rows_of(out), EXPECTED)  # rows ordered by the dimensions
    # composable with the caller's own SQL, on their connection
    assert con.sql("SELECT entity FROM out WHERE growth > 1.5").fetchall() == [("a",)]
    # the same warning as on pandas, with the same text
    with warnings.catch_warnings(record=True) as on_pandas:
        warnings.simplefilter("always")
        prog.evaluate(con.sql("SELECT * FROM panel").df())
    assert [str(w.message) for w in caught] == [str(w.message) for w in on_pandas]
    assert "division by zero" in str(caught[0].message) and "(a, 2021)" in str(caught[0].message)


def test_the_relation_is_lazy_a_query_read_when_it_is_used(con) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a 2021's y is 0
        out = kzf.compile(PROGRAM).evaluate(con.sql("SELECT * FROM panel"))
    con.execute("UPDATE panel SET x = 10 WHERE entity = 'b' AND year = 2021")
    # b's 2021 share is now 10 / (3 + 10), computed when read: nothing was fetched before
    got = {(e, y): s for e, y, s in out.select("entity, year, share").fetchall()}
    assert got[("b", 2021)] == pytest.approx(10 / 13, rel=1e-15)


def test_nothing_is_created_in_the_callers_database(tmp_path: Path) -> None:
    c = duckdb.connect(str(tmp_path / "user.db"))
    c.execute("CREATE TABLE panel (entity VARCHAR, year INTEGER, x DOUBLE, y DOUBLE)")
    c.execute(f"INSERT INTO panel VALUES {ROWS}")
    before = user_objects(c)
    prog = kzf.compile(PROGRAM)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = prog.evaluate(c.sql("SELECT * FROM panel"))
    out.fetchall()
    prog.run(c.sql("SELECT * FROM panel"))
    assert user_objects(c) == before == [("panel",)]


def test_run_on_a_relation_fetches_only_the_result(con) -> None:
    result = kzf.compile(PROGRAM).run(con.sql("SELECT * FROM panel"))
    assert isinstance(result.frame, pd.DataFrame)
    frame = result.frame
    got = [
        tuple(None if pd.isna(v) else v for v in r)
        for r in frame.itertuples(index=False, name=None)
    ]
    close_rows(got, EXPECTED)
    assert [d.code for d in result.warnings] == ["KZF201"]


def test_a_repeated_key_in_a_relation_is_kzf103(con) -> None:
    con.execute("INSERT INTO panel VALUES ('a', 2020, 9.0, 9.0)")
    with pytest.raises(kzf.DataError) as raised:
        kzf.compile(PROGRAM).evaluate(con.sql("SELECT * FROM panel"))
    assert raised.value.diagnostics[0].code == "KZF103"
    assert "a, 2020" in raised.value.diagnostics[0].message


def test_what_duckdb_cannot_evaluate_is_kzf162_not_a_silent_fetch(con) -> None:
    rel = con.sql("SELECT entity, year, CAST(x AS VARCHAR) AS x, y FROM panel")
    with pytest.raises(UsageError) as raised:
        kzf.compile(PROGRAM).evaluate(rel)
    assert raised.value.diagnostics[0].code == "KZF162"
    assert "'x' is text" in raised.value.diagnostics[0].message
    with pytest.raises(UsageError) as other:
        kzf.compile(PROGRAM).evaluate(con.sql("SELECT * FROM panel"), engine="spark")
    assert other.value.diagnostics[0].code == "KZF109"


def test_to_sql_runs_in_duckdb_by_hand_and_gives_the_results(con) -> None:
    prog = kzf.compile(PROGRAM)
    sql = prog.to_sql("duckdb", table="panel")
    close_rows(rows_of(con.sql(sql)), EXPECTED)
    # params and --where apply; a qualified table name is kept as a name, not as SQL
    prog2 = kzf.compile("dims entity, year\ninput x\nparam k = 2\nkx = k * x\n")
    con.execute("CREATE SCHEMA s")
    con.execute("CREATE TABLE s.t AS SELECT entity, year, x FROM panel")
    got = con.sql(prog2.to_sql(table="s.t", params={"k": 10}, where="year = 2021")).fetchall()
    assert got == [("a", 2021, 30.0), ("b", 2021, 20.0)]


def test_to_sql_refuses_what_sql_cannot_state() -> None:
    with pytest.raises(UsageError) as raised:
        kzf.compile(PROGRAM).to_sql("postgres")
    assert raised.value.diagnostics[0].code == "KZF109"
    trend = kzf.compile("dims entity, year\ninput x\nt = trend(x, linear)\n")
    with pytest.raises(UsageError) as refused:
        trend.to_sql()
    assert refused.value.diagnostics[0].code == "KZF150"


def test_to_sql_in_spark_dialect_runs_on_spark(engines: list[str]) -> None:
    if "spark" not in engines:
        pytest.skip("no Java runtime here; CI installs one and runs this")
    from kzf.engine.run.backend_spark import session

    spark = session()
    spark_panel(spark).createOrReplaceTempView("kzf_test_panel")
    rows = spark.sql(kzf.compile(PROGRAM).to_sql("spark", table="kzf_test_panel")).collect()
    close_rows([tuple(None if v is None or v != v else v for v in r) for r in rows], EXPECTED)


# ------------------------------------------------------------ a Spark DataFrame

SPARK_ROWS = [
    ("b", 2021, 2.0, 5.0),
    ("a", 2020, 1.0, 2.0),
    ("b", 2020, 1.0, 4.0),
    ("a", 2021, 3.0, 0.0),
]


def spark_panel(spark):  # ROWS as a Spark DataFrame (from Python rows: pandas plays no part)
    return spark.createDataFrame(SPARK_ROWS, "entity string, year int, x double, y double")


@pytest.fixture
def spark(engines: list[str], monkeypatch: pytest.MonkeyPatch):
    """Spark's session, where Java is (CI has it); a DataFrame must never reach pandas."""
    if "spark" not in engines:
        pytest.skip("no Java runtime here; CI installs one and runs this")
    from pyspark.sql import DataFrame

    from kzf.engine.run.backend_spark import session

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the DataFrame was brought into this process")

    monkeypatch.setattr(DataFrame, "toPandas", refuse)
    monkeypatch.setattr("kzf.engine.io.data.load_panel", refuse)
    return session()


def spark_rows(frame) -> list[tuple[object, ...]]:
    return [tuple(None if v is None or v != v else v for v in r) for r in frame.collect()]


def test_a_spark_dataframe_gives_a_dataframe_of_the_same_session(spark) -> None:
    prog = kzf.compile(PROGRAM)
    tables_before = spark.catalog.listTables()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = prog.evaluate(spark_panel(spark))
    assert type(out).__name__ == "DataFrame" and out.sparkSession is spark
    assert out.columns == ["entity", "year", "share", "growth", "per_y"]
    close_rows(spark_rows(out), EXPECTED)  # rows ordered by the dimensions
    # composable with the caller's own queries, after kzf's view is gone
    assert spark_rows(out.filter("growth > 1.5").select("entity")) == [("a",)]
    assert spark.catalog.listTables() == tables_before  # nothing left in their session
    assert len(caught) == 1, [str(w.message) for w in caught]
    assert "division by zero" in str(caught[0].message) and "(a, 2021)" in str(caught[0].message)


def test_run_on_a_spark_dataframe_fetches_only_the_result(spark) -> None:
    result = kzf.compile(PROGRAM).run(spark_panel(spark))
    got = [
        tuple(None if pd.isna(v) else v for v in r)
        for r in result.frame.itertuples(index=False, name=None)
    ]
    close_rows(got, EXPECTED)
    assert [d.code for d in result.warnings] == ["KZF201"]


def test_what_spark_cannot_evaluate_is_kzf162_and_a_repeated_key_kzf103(spark) -> None:
    text_x = spark_panel(spark).selectExpr("entity", "year", "CAST(x AS STRING) AS x", "y")
    with pytest.raises(UsageError) as raised:
        kzf.compile(PROGRAM).evaluate(text_x)
    assert raised.value.diagnostics[0].code == "KZF162"
    assert "'x' is text" in raised.value.diagnostics[0].message
    assert "toPandas" in raised.value.diagnostics[0].notes[0]
    with pytest.raises(UsageError) as other:
        kzf.compile(PROGRAM).evaluate(spark_panel(spark), engine="duckdb")
    assert other.value.diagnostics[0].code == "KZF109"
    repeated = spark_panel(spark).union(
        spark.createDataFrame(
            [("a", 2020, 9.0, 9.0)], "entity string, year int, x double, y double"
        )
    )
    with pytest.raises(kzf.DataError) as twice:
        kzf.compile(PROGRAM).evaluate(repeated)
    assert twice.value.diagnostics[0].code == "KZF103"
    assert "a, 2020" in twice.value.diagnostics[0].message
