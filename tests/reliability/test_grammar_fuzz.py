"""Grammar-aware fuzzing: programs generated from kzf.lark, through the real command and
through two engines.

The programs come from `strategies.py`, which walks the grammar's own rules (not a second,
hand-written grammar). Every generated statement is a sentence of the grammar; near-valid
programs have one token deleted, duplicated or swapped. For each program:

- kzf's parser accepts every statement the grammar generates;
- `kzf check` exits 0, 1 or 2 (never 3, an internal error) and prints no traceback;
- when check accepts it, `kzf eval --data` and `kzf show` do the same;
- when it compiles and uses only what every engine runs, pandas and DuckDB give the same
  frame (the same missing values, other values to rtol 1e-9) and the same warning codes, or
  the same error code.

Spark is left out: about a second a query is more than this budget allows; the engine suite
(tests/engines/test_differential.py) compares it on its own programs. The budget is fixed and
derandomized, so a CI run always tries the same programs; docs/reliability.md ("Grammar-aware
fuzzing") records the counts of a run.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import TYPE_CHECKING

import kzf_engines_compare as compare  # registered by tests/conftest.py
import kzf_reliability_strategies as strategies
import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, assume, event, given, reject, settings

import kzf
from kzf.dsl.diagnostics import KzfError
from kzf.engine.cli.main import main

if TYPE_CHECKING:  # type checkers find it next to this file
    from strategies import Program

ROOT = Path(__file__).resolve().parents[2]


FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    # no explain phase: a failure is shrunk to its smallest program, which is explanation
    # enough, and explaining costs seconds per failing test
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Most generated programs do not compile or call a pandas-only function; they are rejected
# (assume), so the differential needs filter_too_much suppressed.
DIFFERENTIAL = settings(
    FUZZ,
    max_examples=200,
    suppress_health_check=[*FUZZ.suppress_health_check, HealthCheck.filter_too_much],
)

# Three entities, four years with a gap (2020 is missing for Russia); missing values, zeros,
# negatives, a subnormal and values near float64's limit.
PANEL = """\
entity,year,a,b,c
Kazakhstan,2018,1.5,0,-2
Kazakhstan,2019,2.5,3,
Kazakhstan,2020,,1e-300,4
Kazakhstan,2021,4,-1,1e300
Russia,2018,0,2,3
Russia,2019,-3.25,,5e-324
Russia,2021,7,8,9
Қазақстан,2018,1e308,1,0.1
Қазақстан,2019,-1e308,2,0.2
Қазақстан,2020,5,,0.3
Қазақстан,2021,6,4,
"""

# The functions documented to run on the pandas engine only (docs/language.md, KZF109 and
# KZF150 in docs/errors.md): a program calling one is not compared across engines.
PANDAS_ONLY = frozenset(
    {"trend", "skew", "kurt", "fill_previous", "fill_next", "interpolate"}
    | {"fill_mean", "fill_median", "winsorise", "treat"}
)
RTOL = 1e-9


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("grammar_fuzz")
    (folder / "panel.csv").write_text(PANEL, encoding="utf-8")
    return folder


def write_program(folder: Path, program: str) -> Path:
    path = folder / "program.kzf"
    path.write_bytes(program.encode("utf-8"))
    return path


def run_cli(args: list[str]) -> tuple[int, str]:
    """The real command, in-process: its exit status and what it printed on stderr. Its
    stdout is UTF-8, as on a terminal or a pipe in CI: `kzf show` draws with the symbols
    sympy chose when first imported, from the encoding of the stdout of that moment, for the
    rest of the process (a stdout without an encoding would make every later `show` in the
    test session ASCII, and one with `and` an internal error)."""
    out, err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8"), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(args)
    return status, err.getvalue()


def assert_no_internal_error(command: str, program: str, status: int, err: str) -> None:
    context = f"kzf {command} on\n{program}\nexit {status}, stderr:\n{err}"
    assert status in (0, 1, 2), context
    assert "Traceback" not in err and "internal error" not in err, context
    if status != 0:
        assert "error[KZF" in err, context


def codes(err: str) -> str:
    """The first error code printed, for the statistics."""
    start = err.find("error[KZF")
    return err[start + 6 : start + 12] if start >= 0 else "no code"


# ---------------------------------------------------------------- the generator itself


@FUZZ
@given(program=strategies.programs())
def test_every_generated_statement_is_a_sentence_the_parser_accepts(
    program: Program,
) -> None:
    """The strategies derive statements from the grammar's rules, so Lark's LALR parser, built
    as kzf builds it, accepts each one (the grammar and its parser agree)."""
    lark = strategies.load_grammar()
    for stmt in program.statements:
        lark.parse(stmt.text, start="statement")


# ---------------------------------------------------------------- the command


@FUZZ
@given(program=strategies.programs())
def test_generated_programs_never_fail_internally_in_check_eval_or_show(
    workdir: Path, program: Program
) -> None:
    path = write_program(workdir, program.text)
    status, err = run_cli(["check", str(path)])
    assert_no_internal_error("check", program.text, status, err)
    event(f"check: exit {status}" + (f" {codes(err)}" if status else ""))
    if status != 0:
        return
    status, err = run_cli(["eval", str(path), "--data", str(workdir / "panel.csv")])
    assert_no_internal_error("eval", program.text, status, err)
    event(f"eval: exit {status}" + (f" {codes(err)}" if status else ""))
    status, err = run_cli(["show", str(path)])
    assert_no_internal_error("show", program.text, status, err)
    event(f"show: exit {status}")


@FUZZ
@given(mutation=strategies.near_valid_programs())
def test_near_valid_programs_get_coded_errors_not_internal_ones(
    workdir: Path, mutation: tuple[str, Program]
) -> None:
    kind, program = mutation
    path = write_program(workdir, program.text)
    status, err = run_cli(["check", str(path)])
    assert_no_internal_error("check", program.text, status, err)
    event(f"{kind}: check exit {status}" + (f" {codes(err)}" if status else ""))
    if status == 2 and "KZF004" not in err and "KZF020" not in err:
        assert f"{path}:" in err, err  # a program error points at a line and column


# ---------------------------------------------------------------- pandas and DuckDB


def outcome(program: kzf.Program, data: str, engine: str) -> kzf.Evaluation | KzfError:
    try:
        return program.run(data, engine=engine)
    except KzfError as exc:
        return exc


def assert_same_frames(
    got: kzf.Evaluation, want: kzf.Evaluation, dims: tuple[str, ...], what: str
) -> None:
    """The same columns and rows, missing values in the same places, other values to rtol
    1e-9 (`compare.as_float`, the engine suite's helper, reads conditions as 1/0/NaN)."""
    g_frame, w_frame = got.frame, want.frame
    assert list(g_frame.columns) == list(w_frame.columns), what
    assert len(g_frame) == len(w_frame), what
    for d in dims:
        assert g_frame[d].astype(str).tolist() == w_frame[d].astype(str).tolist(), what
    for column in (c for c in w_frame.columns if c not in dims):
        g, w = compare.as_float(g_frame[column]), compare.as_float(w_frame[column])
        assert (np.isnan(g) == np.isnan(w)).all(), (
            f"{what}: missing values of {column} differ\npandas {w}\nduckdb {g}"
        )
        same = np.isnan(w) | (g == w) | np.isclose(g, w, rtol=RTOL, atol=0.0)
        assert same.all(), f"{what}: {column} differs\npandas {w[~same]}\nduckdb {g[~same]}"


def pandas_only(program: Program) -> bool:
    return bool(program.calls & PANDAS_ONLY)


@DIFFERENTIAL
@given(program=strategies.programs())
def test_pandas_and_duckdb_agree_on_generated_programs(workdir: Path, program: Program) -> None:
    """Programs that compile and call nothing pandas-only; the others are rejected and do
    not count towards the budget."""
    assume(not pandas_only(program))
    try:
        compiled = kzf.compile(program.text)
    except KzfError:
        reject()
    data = str(workdir / "panel.csv")
    want, got = outcome(compiled, data, "pandas"), outcome(compiled, data, "duckdb")
    what = f"program\n{program.text}"
    if isinstance(want, KzfError) or isinstance(got, KzfError):
        event("differential: an error")
        assert isinstance(want, KzfError) and isinstance(got, KzfError), (
            f"{what}\npandas: {want!r}\nduckdb: {got!r}"
        )
        assert want.code == got.code, f"{what}\npandas: {want}\nduckdb: {got}"
        return
    event("differential: compared")
    assert_same_frames(got, want, compiled.dims, what)
    assert [w.code for w in got.warnings] == [w.code for w in want.warnings], (
        f"{what}: warnings differ\npandas: {compare.warning_texts(want.warnings)}\n"
        f"duckdb: {compare.warning_texts(got.warnings)}"
    )
