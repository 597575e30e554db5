"""Run a plan where the data is: the SQL engine reads the source and writes the results.

With `--engine duckdb` (or `spark`) on a Parquet or CSV file, a glob of them or a
hive-partitioned folder, nothing of the data passes through this process. The engine reads
the file (`read_parquet`, `read_csv`; `spark.read`), the checks a panel gets on pandas run as
aggregate queries (missing and repeated keys, infinite values, the inputs' declared domains,
the data lints of `checks/lint.PanelFacts`), the plan runs as the SQL of
`lower_sql` over a view of the file, the warnings come from aggregate queries over the
result (which sites fired, on how many rows, the keys of the first few), and the result is
written by the engine (`COPY ... TO`) or fetched when a person is to read it.

What differs from pandas, on purpose:

* the source has no row order, so sums fold in the engine's order: results agree with
  pandas to about 1e-12 relative, not to the last bit (the windows are partitioned by the
  dimensions an aggregate keeps, never ordered over the whole panel);
* a repeated key is named by its key and its number of rows, and a value outside its
  domain by its key, not by the file's row numbers, which a scan in parallel does not keep.

Period labels as the time dimension (2020-Q1, 2020-03, 2020-W05) are read as text and given
their ordinals by one CASE over the distinct labels, so lags step one period as on pandas.
What is not read here is read by pandas, as before, with a note (KZF160) saying why: a
layout other than one column per input (long, years as columns), text cells in an input
column (decimal commas, missing-value words), the reading options of `kzf eval`
(`--decimal`, `--missing`, ...), files with models.
"""

from __future__ import annotations

import glob
import os
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import sqlglot
from sqlglot import exp

from kzf.dsl.diagnostics import (
    DataError,
    DataLocation,
    Diagnostic,
    Severity,
    Span,
    localised,
    localised_data_error,
)
from kzf.dsl.messages import Phrase, phrased
from kzf.engine.checks.domains import domain_violation
from kzf.engine.checks.lint import data_checks, keys_text
from kzf.engine.compile.plan import Plan
from kzf.engine.compile.resolve import CheckedProgram
from kzf.engine.core import ir, periods
from kzf.engine.core.periods import ORDINAL_COLUMN
from kzf.engine.run.backends import NativeBackend
from kzf.engine.run.lower_sql import (
    PERIOD,
    Source,
    SqlProgram,
    lower,
    lower_with_conditions,
    source_names,
    streams_in_file_order,
)
from kzf.engine.run.relevance import outputs_reached, row_warning, walk_back

# A 64-bit hash of the key columns, per dialect (Spark's HASH is 32-bit Murmur3): what
# check_source counts the distinct keys by.
KEY_HASH = {"duckdb": "HASH", "spark": "XXHASH64"}
# Engines on which a window over no partition streams the rows through once (DuckDB), so
# keys can be told unique by comparing each row with the one before it; on Spark such a
# window gathers every row into one task, so keys are told unique by a distinct count
STREAMED_LAG = {"duckdb"}
# The number of a row in the one file it was read from (0, 1, ...), where the engine gives
# it (SqlSession.file_row): carried through the query like a dimension, so that a result
# can be put in panel order by that number when the file is in panel order already, which
# is cheaper than sorting by the dims (rank on 10^7 rows: 0.7 s against 1.6 s)
FILE_ROW = "\0file_row"
FILE_ROW_COLUMN = "kzf_file_row"
MAX_ROWS_NAMED = 5  # the rows a warning names, as on pandas (runtime.MAX_ROWS_SHOWN)
NATIVE_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}


# ---------------------------------------------------------------- what a source is


@dataclass(frozen=True)
class DataSource:
    """A table the engine reads itself: Parquet or CSV files (`location`: a path, a glob, or
    a folder of hive partitions), or a relation of the caller's (a DuckDB relation, a Spark
    DataFrame)."""

    kind: str  # "parquet", "csv" or "relation"
    location: str
    shown: str  # how messages name it
    hive: bool = False
    relation: Any = None
    folder: str | None = None  # a hive-partitioned folder itself (Spark reads the folder)


def file_source(path: str | os.PathLike[str]) -> DataSource | Phrase:
    """The source for a path the engine can read itself, or why it cannot (a reason for the
    KZF160 note)."""
    text = os.fspath(path)
    if os.path.isdir(text):
        parts = sorted(
            glob.glob(os.path.join(glob.escape(text), "**", "*.parquet"), recursive=True)
        )
        if not parts:
            return phrased("the folder {folder} has no .parquet files", folder=text)
        pattern = os.path.join(text, "**", "*.parquet")
        return DataSource("parquet", pattern, text, hive=True, folder=text)
    kind = NATIVE_FORMATS.get(Path(text).suffix.lower())
    if kind is None:
        if not Path(text).suffix:
            return phrased("a file without an extension files are read by pandas")
        return phrased("{suffix} files are read by pandas", suffix=Path(text).suffix)
    if glob.has_magic(text):
        if not glob.glob(text):
            return phrased("no file matches {pattern}", pattern=text)
    elif not os.path.isfile(text):
        return phrased("{path} is not a file", path=text)
    return DataSource(kind, text, text)


def column_kind(
    type_name: str, integers: set[str], numbers: set[str], text: str, decimal: str = "decimal"
) -> str:
    """An engine's column type as the native run sorts them: integer, number, text or other
    (each engine names its types: backend_duckdb.kind_of, backend_spark.kind_of)."""
    t = type_name.lower()
    if t in integers:
        return "integer"
    if t in numbers or t.startswith(decimal):
        return "number"
    return "text" if t == text else "other"


class SqlSession(Protocol):
    """One engine's connection, as the native run uses it: a few verbs over SQL text that
    `lower_sql` and this module build (sqlglot trees; user text only as escaped literals)."""

    dialect: str
    memory_limit: str  # as the engine states it, for the KZF161 message
    memory_advice: str  # KZF161's help: which setting to change, and how

    def open(self, source: DataSource, name: str) -> None:
        """Make the source queryable as the view `name`."""
        ...

    def schema(self, name: str) -> list[tuple[str, str]]:
        """The columns of `name` and their kinds: integer, number, text or other."""
        ...

    def fetch(self, sql: str) -> Any:
        """The rows of a query, as an Arrow table (small results only)."""
        ...

    def keep(self, name: str, sql: str, materialise: bool) -> None:
        """Name a query `name`: a view, or a table the engine computes once (and may spill
        to disk) when several queries read it."""
        ...

    def file_row(self, name: str) -> bool:
        """Whether the view `name` (as `open` made it) has the column FILE_ROW_COLUMN, the
        number of each row in the one file it was read from, in the file's order."""
        ...

    def write(self, sql: str, path: str, kind: str) -> int:
        """Write the rows of a query to `path` as `kind` (parquet, csv) from the engine;
        returns the number of rows written."""
        ...

    def failure(self, exc: BaseException) -> tuple[str, str] | None:
        """What an engine exception means for the user: ("memory", text) when the engine ran
        out of memory, ("read", text) when it could not read the source (pandas then reads
        it, with a note), None for anything else (a bug, reported as one)."""
        ...

    def close(self) -> None: ...


# ---------------------------------------------------------------- small SQL builders


def _ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def _col(name: str) -> exp.Column:
    return exp.Column(this=_ident(name))


def _select(items: Sequence[exp.Expr], table: str) -> exp.Select:
    return exp.Select().select(*items, copy=False).from_(_ident(table), copy=False)


def _count_if(cond: exp.Expr) -> exp.Expr:
    return exp.Sum(this=exp.Case().when(cond, exp.Literal.number(1)).else_(exp.Literal.number(0)))


# ---------------------------------------------------------------- binding the source


@dataclass
class Bound:
    """How the panel's names sit in the source: the SQL columns `d0…`, `c0…` of the view
    kzf reads, made from the source's own columns."""

    view: str
    source: Source
    dims: tuple[str, ...]
    time_dim: str | None
    inputs: tuple[str, ...]
    shown: str
    sql: str  # the view's SELECT
    numeric_time: bool = True  # the time dimension holds numbers (else labels)
    # text dims read as the source spells them, trusting that no value has a space to trim:
    # check_source counts the values that do, and then the view is bound again with TRIM
    untrimmed: tuple[str, ...] = ()


def bind(
    session: SqlSession,
    raw: str,
    plan: Plan,
    dims: tuple[str, ...],
    inputs: Sequence[str],
    sources: Mapping[str, str],
    shown: str,
    trim: bool = False,
) -> Bound | Phrase:
    """The typed view over the raw source (text dims, integer time, float64 inputs with NaN
    as missing), or why pandas must read this source instead.

    Dims are trimmed of surrounding spaces, as pandas reads them. A text dim is first bound
    as it is (`trim` false): trimming every key costs a third of the checks' scan and of
    the computation on 10^7 rows, and clean files, the usual case, need none; check_source
    counts the values a trim would change and asks for the view with TRIM when there are."""
    schema = dict(session.schema(raw))
    wanted = [*dims, *inputs]
    column_of = {n: unicodedata.normalize("NFC", sources.get(n, n)) for n in wanted}
    absent = [n for n in wanted if column_of[n] not in schema]
    if absent:
        names = ", ".join(f"'{column_of[n]}'" for n in absent[:3])
        return phrased(
            "it has no column {names} (another layout, or a column to find)", names=names
        )
    time = plan.time_dim if plan.time_dim in dims else None
    dim_names, col_names = source_names(dims, tuple(inputs))
    items: list[exp.Expr] = []
    untrimmed: list[str] = []
    time_is_integer, ordinals = True, None
    for d in dims:
        kind = schema[column_of[d]]
        raw_col = _col(column_of[d])
        value: exp.Expr = exp.func("TRIM", exp.cast(raw_col, "VARCHAR"))
        if d != time and kind == "text" and not trim:
            value = raw_col
            untrimmed.append(dim_names[d])
        elif d != time and kind == "integer":  # digits: nothing to trim
            value = exp.cast(raw_col, "VARCHAR")
        elif d == time and kind == "integer":
            value = exp.cast(raw_col, "BIGINT")
        elif d == time and kind == "number":
            value = raw_col  # checked whole in check_source
        elif d == time:
            found = _period_labels(session, raw, value, plan, d)
            if isinstance(found, Phrase):
                return found
            ordinals = found
            time_is_integer = ordinals is not None
        items.append(exp.alias_(value, dim_names[d]))
    if ordinals is not None and time is not None:
        items.append(exp.alias_(_ordinal_of(items[dims.index(time)].this.copy(), ordinals), PERIOD))
        dim_names = {**dim_names, ORDINAL_COLUMN: PERIOD}
    if session.file_row(raw):
        items.append(_col(FILE_ROW_COLUMN))
        dim_names = {**dim_names, FILE_ROW: FILE_ROW_COLUMN}
    for c in inputs:
        kind = schema[column_of[c]]
        if kind == "text":
            return phrased(
                "its column '{column}' is text, not numbers (cells such as '1,5' or '..' are "
                "read by pandas)",
                column=column_of[c],
            )
        if kind not in ("integer", "number"):
            return phrased(
                "its column '{column}' is other, not numbers (cells such as '1,5' or '..' are "
                "read by pandas)",
                column=column_of[c],
            )
        double = exp.cast(_col(column_of[c]), "DOUBLE")
        nan = exp.func("ISNAN", double.copy())
        items.append(
            exp.alias_(
                exp.Case().when(nan, exp.cast(exp.null(), "DOUBLE")).else_(double), col_names[c]
            )
        )
    view = f"{raw}_panel"
    sql = _select(items, raw).sql(dialect=session.dialect)
    source = Source(view, dim_names, col_names, time_is_integer, row_ordered=False)
    numeric = time is None or schema[column_of[time]] in ("integer", "number")
    return Bound(view, source, dims, time, tuple(inputs), shown, sql, numeric, tuple(untrimmed))


MAX_PERIODS = 10_000  # distinct labels of a text time dimension turned into a CASE


def _period_labels(
    session: SqlSession, raw: str, label: exp.Expr, plan: Plan, dim: str
) -> dict[str, int] | None | Phrase:
    """A text time dimension: the ordinal of each of its period labels (2020-Q1, 2020-01),
    read from its distinct values; None for other labels (sorted as text, as pandas does,
    when nothing steps along them); or why pandas must read the source: labels that are
    partly periods (pandas names the row, KZF104), or labels a shift would step along by
    position (KZF027, from pandas), or too many labels for one CASE."""
    query = (
        exp.Select()
        .select(exp.alias_(label.copy(), "label"), copy=False)
        .distinct()
        .from_(_ident(raw))
        .limit(MAX_PERIODS + 1)
    )
    table = session.fetch(query.sql(dialect=session.dialect))
    labels = [str(v) for v in table.column(0).to_pylist() if v is not None]
    if len(labels) > MAX_PERIODS:
        return phrased(
            "its time dimension '{dim}' has more than {limit} distinct labels",
            dim=dim,
            limit=MAX_PERIODS,
        )
    try:
        parsed = periods.parse_periods(labels, dim)
    except periods.PeriodError:
        return phrased("its time dimension '{dim}' holds labels that are not all periods", dim=dim)
    if parsed is None:
        if any(isinstance(s.node, ir.Shift) for s in plan.steps):
            return phrased(
                "its time dimension '{dim}' holds labels a shift cannot step along", dim=dim
            )
        return None
    return dict(zip(labels, parsed[0], strict=True))


def _ordinal_of(label: exp.Expr, ordinals: Mapping[str, int]) -> exp.Expr:
    """The ordinal of a period label, as one CASE over the labels the source holds."""
    case = exp.Case()
    for text, ordinal in ordinals.items():
        case = case.when(
            exp.EQ(this=label.copy(), expression=exp.Literal.string(text)),
            exp.Literal.number(ordinal),
        )
    return exp.cast(case, "BIGINT")


# ---------------------------------------------------------------- checks as queries


@dataclass(frozen=True)
class SourceCounts:
    """What `check_source` counted: the rows, and for the dims asked about their smallest and
    largest value (equal: the dimension holds a single value, which a lint reports)."""

    rows: int
    extremes: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # dim: (min, max)
    padded: bool = False  # a dim bound untrimmed has values to trim: nothing else was checked
    also: dict[str, Any] = field(default_factory=dict)  # the aggregates `over` asked for


def check_source(
    session: SqlSession,
    bound: Bound,
    distinct_of: Sequence[str] = (),
    order: tuple[bool, bool] | None = None,
    over: tuple[str, Sequence[exp.Expr]] | None = None,
) -> SourceCounts:
    """The checks a panel read by pandas gets, as aggregate queries: rows at all (KZF107), an
    empty key (KZF105), a whole-number time (KZF104), infinite values (KZF104), and unique
    keys (KZF103), with the smallest and largest value of the dims `distinct_of`.

    One scan does it all. Where the engine streams a window over no partition (DuckDB), the
    keys are told unique by comparing each row's key with the key of the row before it in
    that stream: if every key is greater than the one before, the keys strictly increase
    along some order of all the rows, so no two are equal, whatever order the engine chose.
    A file written in panel order passes so, in 0.2 s on 10^7 rows against 1.0 s for
    counting distinct keys. Otherwise (a file in another order, or Spark) the keys are told
    unique by counting the distinct hashes of the keys: equal keys have equal hashes, so a
    repeated key always shows (fewer hashes than rows) and is then sought exactly
    (`_first_repeated_key`); two keys whose hashes collide only cost that search, which
    then finds no repeat.

    `order` is what `keys_order` found, when it was asked first. `over` scans another table
    that has the view's columns (the result carrying its inputs, `prepare`), with more
    aggregates over it, whose values come back in `also`: one scan for both."""
    d, c = bound.source.dims, bound.source.columns
    keys = _panel_order(bound)
    counts: list[tuple[str, exp.Expr]] = []  # (name, condition counted)
    for name, col in d.items():
        if name in (ORDINAL_COLUMN, FILE_ROW):
            continue
        empty: exp.Expr = exp.Is(this=exp.column(col), expression=exp.Null())
        if name != bound.time_dim or not bound.numeric_time:
            empty = exp.or_(empty, exp.EQ(this=exp.column(col), expression=exp.Literal.string("")))
        else:  # a year that is not whole; told apart from an empty one, as pandas does
            value = exp.column(col)
            fraction = exp.NEQ(this=value, expression=exp.func("ROUND", value.copy()))
            counts.append((f"frac_{col}", fraction))
        counts.append((f"bad_{col}", empty))
    for col in c.values():
        # |x| = infinity: Spark has no ISINF, and both engines read 'Infinity' as a double
        infinity = exp.cast(exp.Literal.string("Infinity"), "DOUBLE")
        counts.append(
            (f"inf_{col}", exp.EQ(this=exp.Abs(this=exp.column(col)), expression=infinity))
        )
    for col in bound.untrimmed:
        # what TRIM would change (a space first or last), without trimming every value: a
        # test of the ends is a sixth of a TRIM's cost in this scan
        padded = exp.or_(
            exp.Like(this=exp.column(col), expression=exp.Literal.string(" %")),
            exp.Like(this=exp.column(col), expression=exp.Literal.string("% ")),
        )
        counts.append((f"pad_{col}", padded))
    streamed = bool(keys) and session.dialect in STREAMED_LAG
    items: list[exp.Expr] = [exp.alias_(exp.Count(this=exp.Star()), "n")]
    items += [exp.alias_(_count_if(cond), name) for name, cond in counts]
    if keys and not streamed:
        items.append(exp.alias_(_distinct_keys(session, keys), "kzf_keys"))
    for dim in distinct_of:
        dim_col = exp.column(d[dim])
        items.append(exp.alias_(exp.Min(this=dim_col), f"lo_{d[dim]}"))
        items.append(exp.alias_(exp.Max(this=dim_col.copy()), f"hi_{d[dim]}"))
    scanned, more = over if over is not None else (bound.view, ())
    row = _fetch_row(session, _select([*items, *more], scanned))
    shown = bound.shown
    n = int(row["n"] or 0)
    if any(row[f"pad_{col}"] for col in bound.untrimmed):
        return SourceCounts(n, padded=True)
    if n == 0:
        raise DataError(
            [
                localised(
                    "KZF107",
                    "{file}: the file has a header but no data rows; nothing to evaluate",
                    file=shown,
                )
            ]
        )
    for name, col in d.items():
        if row.get(f"bad_{col}"):
            raise localised_data_error(
                "KZF105",
                "{n} rows have an empty value in dimension column '{name}'",
                DataLocation(shown, None, name),
                "every row needs a value for each of the dims",
                n=row[f"bad_{col}"],
                name=name,
            )
    for name, col in d.items():
        if row.get(f"frac_{col}"):
            raise localised_data_error(
                "KZF104",
                "{n} rows have a value that is not a whole number ('{name}' is the time dimension)",
                DataLocation(shown, None, name),
                "every row needs a value for each of the dims",
                n=row[f"frac_{col}"],
                name=name,
            )
    for name, col in c.items():
        if row[f"inf_{col}"]:
            raise localised_data_error(
                "KZF104",
                "{n} rows of '{name}' hold infinite values, which are not allowed",
                DataLocation(shown, None, name),
                "leave the cell empty for a missing value",
                n=row[f"inf_{col}"],
                name=name,
            )
    if order is None:
        order = keys_order(session, bound)
    increase = order[0]
    if streamed and not increase:  # count them instead
        counted = _fetch_row(
            session, _select([exp.alias_(_distinct_keys(session, keys), "kzf_keys")], bound.view)
        )
        row["kzf_keys"] = counted["kzf_keys"]
    if keys and "kzf_keys" in row and int(row["kzf_keys"]) != n:
        _first_repeated_key(session, bound, keys)
    extremes = {dim: (row[f"lo_{d[dim]}"], row[f"hi_{d[dim]}"]) for dim in distinct_of}
    also = {str(e.alias_or_name): row[str(e.alias_or_name)] for e in more}
    return SourceCounts(n, extremes, also=also)


def keys_order(session: SqlSession, bound: Bound) -> tuple[bool, bool]:
    """Whether the keys increase along the engine's stream of the rows, and whether the file
    is in panel order (`_keys_increase`), where the engine streams a window over no
    partition; else neither is known (False, False)."""
    keys = _panel_order(bound)
    if keys and session.dialect in STREAMED_LAG:
        return _keys_increase(session, bound, keys)
    return False, False


def _distinct_keys(session: SqlSession, keys: list[str]) -> exp.Expr:
    """The number of distinct hashes of the keys (check_source)."""
    hashed = exp.Anonymous(
        this=KEY_HASH[session.dialect], expressions=[exp.column(k) for k in keys]
    )
    return exp.Count(this=exp.Distinct(expressions=[hashed]))


def _keys_increase(session: SqlSession, bound: Bound, keys: list[str]) -> tuple[bool, bool]:
    """Whether each row's key is greater than the key of the row before it in the engine's
    stream of the rows (a window over no partition), in the order of `keys`; the first row,
    which has none before it, compares as NULL and is not counted. A query of its own: in
    the scan of the cells, the window costs that scan its column statistics (0.6 s on 10^7
    rows, against 0.3 s and 0.1 s apart).

    Second, whether the file is in panel order: where the source numbers its rows in the
    file (FILE_ROW), whether each row's number is also one more than the number before it
    in the stream. Then the stream is the file's rows in the file's order (n numbers that
    each follow the one before, of the n numbers 0 … n-1), and the keys increase along it,
    whatever order the engine chose to stream them in."""
    later: exp.Expr | None = None
    for k in reversed(keys):
        this, before = exp.column(k), exp.column(f"kzf_prev_{k}")
        greater: exp.Expr = exp.GT(this=this, expression=before)
        if later is not None:
            same = exp.EQ(this=this.copy(), expression=before.copy())
            greater = exp.or_(greater, exp.and_(same, exp.paren(later)))
        later = greater
    assert later is not None
    counted = [*keys]
    items = [exp.alias_(_count_if(exp.not_(exp.paren(later))), "kzf_not_after")]
    numbered = FILE_ROW in bound.source.dims
    if numbered:
        row, before = FILE_ROW_COLUMN, exp.column(f"kzf_prev_{FILE_ROW_COLUMN}")
        counted.append(row)
        following = exp.EQ(
            this=exp.column(row), expression=exp.Add(this=before, expression=exp.Literal.number(1))
        )
        items.append(exp.alias_(_count_if(exp.not_(following)), "kzf_not_next"))
    previous = [
        exp.alias_(exp.Window(this=exp.func("LAG", exp.column(k))), f"kzf_prev_{k}")
        for k in counted
    ]
    scan = exp.Select().select(*[exp.column(k) for k in counted], *previous, copy=False)
    scan = scan.from_(_ident(bound.view), copy=False)
    query = exp.Select().select(*items, copy=False).from_(scan.subquery("kzf_scan"))
    found = _fetch_row(session, query)
    increase = not int(found["kzf_not_after"] or 0)
    return increase, increase and numbered and not int(found["kzf_not_next"] or 0)


def _first_repeated_key(session: SqlSession, bound: Bound, keys: list[str]) -> None:
    """KZF103 for the first repeated key, in panel order, and how many rows it has: sought
    only once `check_source` has found that some key repeats."""
    columns = [exp.column(col) for col in keys]
    query = (
        exp.Select()
        .select(*columns, exp.alias_(exp.Count(this=exp.Star()), "k"), copy=False)
        .from_(_ident(bound.view), copy=False)
        .group_by(*[k.copy() for k in columns], copy=False)
        .having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1)))
        .order_by(*[k.copy() for k in columns], copy=False)
        .limit(1)
    )
    table = session.fetch(query.sql(dialect=session.dialect))
    if table.num_rows == 0:
        return
    first = table.to_pylist()[0]
    key = ", ".join(str(first[bound.source.dims[d]]) for d in bound.dims)
    raise localised_data_error(
        "KZF103",
        "duplicate row for ({key}): {n} rows",
        DataLocation(bound.shown),
        "each combination of the dims may appear only once",
        key=key,
        n=first["k"],
    )


def _panel_order(bound: Bound) -> list[str]:
    """The SQL columns the panel is sorted by: the non-time dims, then time (as pandas)."""
    d = bound.source.dims
    order = [d[n] for n in bound.dims if n != bound.time_dim]
    if bound.time_dim and ORDINAL_COLUMN in d:  # period labels: in time order
        return [*order, d[ORDINAL_COLUMN]]
    return order + ([d[bound.time_dim]] if bound.time_dim else [])


def _fetch_row(session: SqlSession, query: exp.Select) -> dict[str, Any]:
    rows: list[dict[str, Any]] = session.fetch(query.sql(dialect=session.dialect)).to_pylist()
    return rows[0]


@dataclass(frozen=True)
class RowsFound:
    """Rows of the source where a condition holds: how many, and the keys of the first."""

    count: int
    keys: list[tuple[str, ...]]
    values: list[float] = field(default_factory=list)

    def named(self) -> str:
        return keys_text(self.keys, self.count)


def rows_where(
    session: SqlSession, bound: Bound, table: str, cond: exp.Expr, value: str | None = None
) -> RowsFound:
    """How many rows of `table` satisfy `cond`, and the keys (and `value`) of the first few in
    panel order: one aggregate and one small sorted query, whatever the size of the data."""
    count = _fetch_row(session, _select([exp.alias_(_count_if(cond), "n")], table))["n"] or 0
    if not count:
        return RowsFound(0, [])
    order = _panel_order(bound)
    picked: list[exp.Expr] = [exp.column(bound.source.dims[d]) for d in bound.dims]
    if value is not None:
        picked.append(exp.alias_(exp.column(value), "kzf_value"))
    query = (
        _select(picked, table)
        .where(cond.copy(), copy=False)
        .order_by(*[exp.column(o) for o in order], copy=False)
        .limit(MAX_ROWS_NAMED)
    )
    rows = session.fetch(query.sql(dialect=session.dialect)).to_pylist()
    keys = [tuple(str(r[bound.source.dims[d]]) for d in bound.dims) for r in rows]
    values = [float(r["kzf_value"]) for r in rows] if value is not None else []
    return RowsFound(int(count), keys, values)


class SqlFacts:
    """`checks.lint.PanelFacts` of a source an engine reads: each answer one small query."""

    def __init__(self, session: SqlSession, bound: Bound, counted: SourceCounts) -> None:
        self.session, self.bound, self.rows = session, bound, counted.rows
        self.counted = counted

    def is_empty(self) -> bool:
        return self.rows == 0

    def has_column(self, name: str) -> bool:
        return name in self.bound.source.dims or name in self.bound.source.columns

    def _dim(self, dim: str) -> exp.Expr:
        return exp.column(self.bound.source.dims[dim])

    def single_value(self, dim: str) -> str | None:
        if dim in self.counted.extremes:  # found with the checks, in their scan
            low, high = self.counted.extremes[dim]
            return str(low) if low == high else None
        col = self._dim(dim)
        row = _fetch_row(
            self.session,
            _select(
                [
                    exp.alias_(exp.Count(this=exp.Distinct(expressions=[col])), "k"),
                    exp.alias_(exp.Min(this=col.copy()), "v"),
                ],
                self.bound.view,
            ),
        )
        return str(row["v"]) if row["k"] == 1 else None

    def values(self, dim: str) -> set[str]:
        col = self._dim(dim)
        query = exp.Select().select(col, copy=False).distinct().from_(_ident(self.bound.view))
        table = self.session.fetch(query.sql(dialect=self.session.dialect))
        return {str(v) for v in table.column(0).to_pylist()}

    def lacking(self, lacks: str, has: str, limit: int) -> tuple[list[tuple[str, ...]], int]:
        c = self.bound.source.columns
        cond = exp.and_(
            exp.Is(this=exp.column(c[lacks]), expression=exp.Null()),
            exp.Not(this=exp.Is(this=exp.column(c[has]), expression=exp.Null())),
        )
        found = rows_where(self.session, self.bound, self.bound.view, cond)
        return found.keys[:limit], found.count


def input_domains(
    session: SqlSession, bound: Bound, checked: CheckedProgram, plan: Plan
) -> list[Diagnostic]:
    """KZF110/KZF111 for values outside an input's declared domain (`input t > 0`), as
    `api.program.check_input_domains` gives them on pandas: one count and the first rows
    per input, from the engine."""
    problems: list[Diagnostic] = []
    for name in dict.fromkeys(plan.columns):
        info = checked.inputs.get(name)
        domain = info.domain if info is not None else None
        if domain is None or name not in bound.source.columns:
            continue
        col = bound.source.columns[name]
        value = exp.column(col)
        inside: list[exp.Expr] = []
        if domain.low is not None:
            above = exp.GT if domain.low_open else exp.GTE
            inside.append(above(this=value.copy(), expression=_number(domain.low)))
        if domain.high is not None:
            below = exp.LT if domain.high_open else exp.LTE
            inside.append(below(this=value.copy(), expression=_number(domain.high)))
        if domain.nonzero:
            inside.append(exp.NEQ(this=value.copy(), expression=_number(0.0)))
        if not inside:
            continue
        outside = exp.and_(
            exp.Not(this=exp.Is(this=value.copy(), expression=exp.Null())),
            exp.Not(this=exp.paren(exp.and_(*inside))),
        )
        found = rows_where(session, bound, bound.view, outside, col)
        if found.count:
            shown = [
                f"({', '.join(k)}) = {v:g}" for k, v in zip(found.keys, found.values, strict=True)
            ]
            problems.append(domain_violation(name, domain, shown, found.count, bound.shown, info))
    errors = [p for p in problems if p.severity is Severity.ERROR]
    if errors:
        raise DataError(errors)
    return problems


# ---------------------------------------------------------------- the run


@dataclass
class NativeOutcome:
    """What a native run gives back: the result (fetched, or written to `out`), its number
    of rows, and the warnings of computing it."""

    table: Any  # an Arrow table of dims and outputs, in panel order; None when written;
    # or what `deliver` made of the result's query (a lazy relation of the engine's)
    rows: int | None  # None: not counted (a lazy result)
    warnings: list[Diagnostic]


def result_query(
    plan: Plan,
    bound: Bound,
    program: SqlProgram,
    table: str,
    row_filter: str | None,
    booleans: set[str],
    as_text: bool = False,
) -> exp.Select:
    """The result as the user sees it: the dims under their names, then each output under
    its name (booleans as booleans, or as True/False text for a csv file), kept by
    --where, in panel order: by the source's row numbers when its file is in panel order
    (the source `in_file_order`), as it is read when nothing but projections and neighbours
    in the stream lie between (`streams_in_file_order`), else by the dims."""
    main = program.main
    items: list[exp.Expr] = []
    for d in bound.dims:
        key: exp.Expr = exp.column(bound.source.dims[d], table=table)
        if d == bound.time_dim and bound.numeric_time:  # whole numbers, checked
            key = exp.cast(key, "BIGINT")
        items.append(exp.alias_(key, _ident(d)))
    for name in plan.outputs:
        if name == row_filter:
            continue
        if name in main.scalars:
            value: exp.Expr = exp.cast(_number(main.scalars[name]), "DOUBLE")
        else:
            value = exp.column(main.outputs[name], table=table)
        if name in booleans:
            one = exp.EQ(this=value, expression=exp.Literal.number(1))
            zero = exp.EQ(this=value.copy(), expression=exp.Literal.number(0))
            if as_text:  # as pandas writes a nullable boolean in a csv file
                yes: exp.Expr = exp.Literal.string("True")
                no: exp.Expr = exp.Literal.string("False")
            else:
                yes, no = exp.true(), exp.false()
            value = exp.Case().when(one, yes).when(zero, no)
        items.append(exp.alias_(value, _ident(name)))
    query = _select(items, table)
    if row_filter is not None:
        query = query.where(_filter_condition(program, row_filter, table), copy=False)
    # qualified: an output may be called d1 like a column of the result (ORDER BY reads
    # an output's name first)
    file_ordered = bound.source.in_file_order
    if file_ordered and (plan.row_wise or streams_in_file_order(plan, bound.source)):
        # the file is in panel order, and a query of projections over one table keeps the
        # order of its rows (DuckDB's order preservation: no join or grouping here, and no
        # window but over no partition, which streams the rows in the order it reads them)
        return query
    by = [FILE_ROW_COLUMN] if file_ordered else _panel_order(bound)
    order = [exp.Ordered(this=exp.column(o, table=table)) for o in by]
    return query.order_by(*order, copy=False) if order else query


def _filter_condition(program: SqlProgram, row_filter: str, table: str | None = None) -> exp.Expr:
    main = program.main
    if row_filter in main.scalars:
        return exp.true() if main.scalars[row_filter] == 1.0 else exp.false()
    value = exp.column(main.outputs[row_filter], table=table)
    return exp.EQ(this=value, expression=exp.Literal.number(1))


def _number(value: float) -> exp.Expr:
    if value != value:
        return exp.null()
    return exp.Literal.number(repr(float(value)))


@dataclass(frozen=True)
class Prepared:
    """The plan lowered for a bound source and its result kept as a view (`prepare`)."""

    bound: Bound  # as lowered: `in_file_order` when the file is in panel order
    program: SqlProgram
    table: str  # the result's view; it carries the inputs when the plan has warning sites

    def fired_sites(self) -> list[exp.Expr]:
        """The aggregates that tell which warning sites fired on some row of the result: one
        OR over each mask column (a site is a bit of a mask)."""
        return [exp.alias_(exp.func("BIT_OR", exp.column(m)), m) for m in self.program.main.masks]


def prepare(
    session: SqlSession,
    plan: Plan,
    bound: Bound,
    params: Mapping[str, float | str],
    file_ordered: bool,
) -> Prepared:
    """Lower the plan for `bound` and keep its result as a view. A plan with warning sites
    has the source's inputs carried into that view, so that the checks of the cells and
    the question of which sites fired are one scan (`check_source`'s `over`): on 10^7 rows
    of the EGDI chain on DuckDB, 0.7 s against 0.6 s and 0.6 s apart."""
    if file_ordered:  # the source's rows stream in panel order (keys_order)
        bound = replace(bound, source=replace(bound.source, in_file_order=True))
    program = lower(plan, params, bound.source, session.dialect)
    if program.sites:
        program = lower(plan, params, bound.source, session.dialect, carry_inputs=True)
    table = f"{bound.view}_result"
    session.keep(table, program.main.sql, materialise=False)
    return Prepared(bound, program, table)


def run(
    session: SqlSession,
    plan: Plan,
    prepared: Prepared,
    fired: Mapping[str, Any],
    params: Mapping[str, float | str],
    row_filter: str | None,
    booleans: set[str],
    write: Callable[[Callable[[str], None]], None] | None = None,
    out_kind: str | None = None,
    deliver: Callable[[str], Any] | None = None,
) -> NativeOutcome:
    """Run the lowered plan over the bound view. With `write` (output.write_atomically's
    way of writing a file: it is called with a function that writes a temporary path), the
    engine writes the result itself; with `deliver`, the result's query is handed to it (a
    session's `lazy`: the caller composes it further); else the result is fetched as Arrow.

    The result is a view the output reads as it streams. Which warning sites fired on any
    row (`fired`) was asked in one aggregate over that view (`Prepared.fired_sites`, beside
    the checks of the cells in `check_source`). Only when one did, or the plan has warnings
    folded at compile time, is the result computed once into a table that the warnings'
    queries, which look for the rows, and the output both read.
    A run without warnings so computes its plan twice, streaming (an aggregate and the
    output), instead of writing every row into a table and reading it back: on 10^7 rows
    of the EGDI chain on DuckDB, 1.8 s against 2.7 s for the two, and a peak of 790 MB
    against 1160 MB for the whole process (docs/performance.md)."""
    bound, program, table = prepared.bound, prepared.program, prepared.table
    warnings: list[Diagnostic] = []
    if program.folded or any(fired.values()):
        sql = lower_with_conditions(plan, params, bound.source, session.dialect)
        table = f"{bound.view}_kept"  # a name of its own: an engine may not replace a view
        session.keep(table, sql, materialise=True)  # by a table
        warnings = site_warnings(session, plan, bound, program, table, row_filter, fired)
    as_text = out_kind == "csv"
    query = result_query(plan, bound, program, table, row_filter, booleans, as_text)
    sql = query.sql(dialect=session.dialect)
    if write is not None:
        assert out_kind is not None
        written: list[int] = []
        write(lambda tmp: written.append(session.write(sql, tmp, out_kind)))
        return NativeOutcome(None, written[0] if written else 0, warnings)
    if deliver is not None:
        return NativeOutcome(deliver(sql), None, warnings)
    result = session.fetch(sql)
    return NativeOutcome(result, result.num_rows, warnings)


def site_warnings(
    session: SqlSession,
    plan: Plan,
    bound: Bound,
    program: SqlProgram,
    table: str,
    row_filter: str | None,
    fired_bits: Mapping[str, Any],
) -> list[Diagnostic]:
    """The warnings pandas gives, from aggregates over the kept result: for each warning
    site that fired (`Prepared.fired_sites`), the rows that reach a result."""
    relevance = SqlRelevance(session, plan, program, table, row_filter)
    reached = outputs_reached(plan)
    found: list[tuple[int, int, Diagnostic]] = []
    for i, w in enumerate(program.folded):
        rows = rows_where(session, bound, table, relevance.of(w.step))
        if rows.count:
            found.append((w.step, i, _warning(w.code, w.message, w.span, rows, reached, w.step)))
    for i, s in enumerate(program.sites):
        bits = int(fired_bits.get(f"b{s.mask}") or 0)
        if not (bits >> s.bit) & 1:
            continue
        flag = exp.EQ(
            this=exp.BitwiseAnd(
                this=exp.paren(
                    exp.BitwiseRightShift(
                        this=exp.column(f"b{s.mask}"), expression=exp.Literal.number(s.bit)
                    )
                ),
                expression=exp.Literal.number(1),
            ),
            expression=exp.Literal.number(1),
        )
        cond = exp.and_(flag, relevance.of(s.step))
        rows = rows_where(session, bound, table, cond)
        if rows.count:
            found.append(
                (
                    s.step,
                    len(program.folded) + i,
                    _warning(s.code, s.message, s.span, rows, reached, s.step),
                )
            )
    found.sort(key=lambda f: (f[0], f[1]))
    return [f[2] for f in found]


def _warning(
    code: str,
    message: str | Phrase,
    span: Span | None,
    rows: RowsFound,
    reached: Mapping[int, list[str]],
    step: int,
) -> Diagnostic:
    shown = keys_text(rows.keys, len(rows.keys))
    return row_warning(code, message, span, shown, rows.count - len(rows.keys), reached, step)


class SqlRelevance:
    """`relevance.relevant_rows` as SQL conditions over the kept result: a row of a step
    matters when an output's value on that row depends on it. An `if` passes its rows to a
    branch only where its condition (a column `k<step>` of the result) picks that branch;
    a step that reads across rows makes every row of its argument matter, when any row of
    it matters (one aggregate query, asked only then)."""

    def __init__(
        self,
        session: SqlSession,
        plan: Plan,
        program: SqlProgram,
        table: str,
        row_filter: str | None,
    ) -> None:
        self.session, self.plan, self.table = session, plan, table
        kept: exp.Expr = exp.true()
        if row_filter is not None:
            kept = _filter_condition(program, row_filter) or exp.true()
        conditions: dict[int, exp.Expr] = {sid: exp.column(f"k{sid}") for sid in _if_steps(plan)}
        for sid, value in program.folded_conditions.items():
            conditions[sid] = _number(value) if value == value else exp.null()

        def branches(sid: int, mine: exp.Expr) -> list[exp.Expr] | None:
            cond = conditions.get(sid)
            if cond is None:
                return None
            return [
                mine,
                _and(mine, exp.EQ(this=cond.copy(), expression=exp.Literal.number(1))),
                _and(mine, exp.EQ(this=cond.copy(), expression=exp.Literal.number(0))),
            ]

        matters = walk_back(plan, lambda: kept, branches, self._anywhere, _or)
        self.matters = matters

    def _anywhere(self, mine: exp.Expr) -> exp.Expr:
        if _is_true(mine) or _is_false(mine):
            return mine
        row = _fetch_row(self.session, _select([exp.alias_(_count_if(mine), "n")], self.table))
        return exp.true() if row["n"] else exp.false()

    def of(self, step: int) -> exp.Expr:
        return self.matters.get(step, exp.false()).copy()


def _if_steps(plan: Plan) -> list[int]:
    return [s.id for s in plan.steps if isinstance(s.node, ir.Op) and s.node.op == "if"]


def _is_true(e: exp.Expr) -> bool:
    return isinstance(e, exp.Boolean) and bool(e.this)


def _is_false(e: exp.Expr) -> bool:
    return isinstance(e, exp.Boolean) and not e.this


def _and(a: exp.Expr, b: exp.Expr) -> exp.Expr:
    if _is_true(a):
        return b
    if _is_false(a) or _is_false(b):
        return exp.false()
    return exp.and_(a.copy(), b.copy())


def _or(a: exp.Expr, b: exp.Expr) -> exp.Expr:
    if _is_true(a) or _is_true(b):
        return exp.true()
    if _is_false(a):
        return b
    if _is_false(b):
        return a
    return exp.or_(a.copy(), b.copy())


# ---------------------------------------------------------------- the whole evaluation


@dataclass
class NativeEvaluation:
    """A native evaluation's outcome: the result and every diagnostic, in the order pandas
    gives them (the inputs' domains, the data lints, then the warnings of computing)."""

    outcome: NativeOutcome
    diagnostics: list[Diagnostic]


def evaluate(
    session: SqlSession,
    checked: CheckedProgram,
    plan: Plan,
    source: DataSource,
    inputs: Sequence[str],
    columns: Mapping[str, str],
    params: Mapping[str, float | str],
    row_filter: str | None,
    write: Callable[[Callable[[str], None]], None] | None = None,
    out_kind: str | None = None,
    deliver: Callable[[str], Any] | None = None,
) -> NativeEvaluation | Phrase:
    """Evaluate `plan` on `source` inside the engine, or say why pandas must read it.
    `columns` binds kzf names to the source's columns (`input pop = "SP.POP.TOTL"`)."""
    raw = "kzf_source"
    session.open(source, raw)
    nodes = [s.node for s in plan.steps]
    over = {n.over for n in nodes if isinstance(n, ir.Aggregate | ir.Rank)}  # lint.check_panel
    trim = False
    while True:  # once, or twice when a text dim has values to trim
        bound = bind(session, raw, plan, checked.dims, inputs, columns, source.shown, trim)
        if isinstance(bound, Phrase):
            return bound
        session.keep(bound.view, bound.sql, materialise=False)
        order = keys_order(session, bound)
        prepared = prepare(session, plan, bound, params, file_ordered=order[1])
        sites = prepared.fired_sites()
        scan = (prepared.table, sites) if sites else None
        counted = check_source(session, bound, [d for d in bound.dims if d in over], order, scan)
        if not counted.padded:
            break
        trim = True
    found = input_domains(session, bound, checked, plan)
    found += data_checks(nodes, SqlFacts(session, bound, counted), checked)
    booleans = _boolean_outputs(checked, plan)
    outcome = run(
        session,
        plan,
        prepared,
        counted.also,
        params,
        row_filter,
        booleans,
        write,
        out_kind,
        deliver,
    )
    return NativeEvaluation(outcome, [*found, *outcome.warnings])


def _boolean_outputs(checked: CheckedProgram, plan: Plan) -> set[str]:
    """The outputs that are conditions: the result gives them as booleans."""
    return {
        n
        for n in plan.outputs
        if n in checked.definitions and checked.definitions[n].node.type is ir.Type.BOOL
    }


# ---------------------------------------------------------------- one statement


class StatementSession:
    """The part of a `SqlSession` that keeps nothing in the engine: `open` and `keep` only
    remember their queries, and `statement` puts them in front of a query as its CTEs.

    For a database that is the caller's (a DuckDB relation's connection, `Program.to_sql`'s
    reader), where a view or table kzf created would be an object of theirs: every statement
    is self-contained, and the result's query, handed back lazily, reads nothing but the
    caller's own table. What a file run keeps once (`materialise`) is computed again by each
    statement that reads it."""

    def __init__(self, dialect: str, table: str) -> None:
        self.dialect = dialect
        self.table = table  # how statements name the caller's table
        self.kept: dict[str, exp.Expr] = {}

    def open(self, source: DataSource, name: str) -> None:
        self.kept[name] = exp.select(exp.Star()).from_(
            exp.to_table(self.table, dialect=self.dialect)
        )

    def keep(self, name: str, sql: str, materialise: bool) -> None:
        self.kept[name] = sqlglot.parse_one(sql, dialect=self.dialect)

    def file_row(self, name: str) -> bool:
        return False  # a caller's table: no file behind it

    def statement(self, sql: str) -> str:
        """`sql` with the kept queries it reads before it, in the order kept (each may read
        the ones before), then the query's own CTEs. A kept query nothing reads is left out:
        a run may keep its result twice (as a view, then as a table), and two such queries
        would bring CTEs of the same names into one statement."""
        query = sqlglot.parse_one(sql, dialect=self.dialect)
        assert isinstance(query, exp.Query)
        read = {t.name for t in query.find_all(exp.Table)}
        for name, body in reversed(self.kept.items()):
            if name in read:
                read |= {t.name for t in body.find_all(exp.Table)}
        own = [(cte.alias, cte.this) for cte in query.ctes]
        for cte in list(query.ctes):
            cte.pop()
        kept = [(name, body) for name, body in self.kept.items() if name in read]
        for name, body in [*kept, *own]:
            query = query.with_(_ident(name), as_=body.copy(), copy=False)
        return query.sql(dialect=self.dialect)


class DeclaredSchema(StatementSession):
    """A session with no data behind it, for `Program.to_sql`: the columns are the ones the
    program declares, dims as text, the time dimension as whole numbers (period labels need
    the data: their ordinals are read from it), inputs as numbers."""

    def __init__(self, dialect: str, table: str, kinds: Mapping[str, str]) -> None:
        super().__init__(dialect, table)
        self.kinds = dict(kinds)
        self.memory_limit = self.memory_advice = "unknown"

    def schema(self, name: str) -> list[tuple[str, str]]:
        return list(self.kinds.items())

    def fetch(self, sql: str) -> Any:
        raise AssertionError("to_sql reads no data")  # bind reads only text time labels

    def write(self, sql: str, path: str, kind: str) -> int:
        raise AssertionError("to_sql writes no data")

    def failure(self, exc: BaseException) -> tuple[str, str] | None:
        return None

    def close(self) -> None:
        pass


def statement_of(
    checked: CheckedProgram,
    plan: Plan,
    inputs: Sequence[str],
    columns: Mapping[str, str],
    params: Mapping[str, float | str],
    row_filter: str | None,
    dialect: str,
    table: str,
) -> str:
    """The plan as one SQL statement over `table`, in `dialect`: the typed panel view, the
    plan's query and the result as `run` gives it (dims, then the outputs, in panel order),
    as CTEs of one SELECT. It computes; it checks nothing (`check_source`, the domains and
    the warnings are queries of their own)."""
    time = plan.time_dim if plan.time_dim in checked.dims else None
    kinds = {columns.get(d, d): "integer" if d == time else "text" for d in checked.dims}
    kinds |= {columns.get(c, c): "number" for c in inputs}
    session = DeclaredSchema(dialect, table, kinds)
    raw = "kzf_source"
    session.open(DataSource("relation", table, table), raw)
    bound = bind(session, raw, plan, checked.dims, inputs, columns, table)
    assert not isinstance(bound, Phrase)  # every column is there, of the kind it needs
    session.keep(bound.view, bound.sql, materialise=False)
    program = lower(plan, params, bound.source, dialect)
    result = f"{raw}_result"
    session.keep(result, program.main.sql, materialise=False)
    booleans = _boolean_outputs(checked, plan)
    query = result_query(plan, bound, program, result, row_filter, booleans)
    return session.statement(query.sql(dialect=dialect))


__all__ = [
    "Bound",
    "NativeBackend",
    "NativeEvaluation",
    "evaluate",
    "DataSource",
    "NativeOutcome",
    "SqlFacts",
    "SqlSession",
    "StatementSession",
    "statement_of",
    "bind",
    "check_source",
    "column_kind",
    "file_source",
    "rows_where",
    "run",
]
