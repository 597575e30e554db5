"""The differential test: every library file, and random programs, give the same results on
every engine (pandas, DuckDB, Spark): the same rows, values equal to 15 significant digits,
the same missing values, and the same warnings naming the same rows."""

from __future__ import annotations

from pathlib import Path

import kzf_engines_compare as compare  # tests/engines/compare.py, registered by tests/conftest.py
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kzf
from kzf.dsl.diagnostics import UsageError

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = sorted(
    p.relative_to(ROOT).as_posix()
    for folder in ("formulas", "indicators", "docs")
    for p in (ROOT / folder).glob("*.kzf")
)


def run_everywhere(
    prog: kzf.Program,
    data,
    engines: list[str],
    what: str,
    natively: tuple[str, ...] = ("duckdb",),
    **kw,
) -> int:
    """Each engine against pandas; returns how many runs of the `natively` engines read the
    data themselves.

    Those engines run twice: on the panel kzf read (in-process, rows in panel order: equal
    to 15 significant digits) and, on a file, reading it themselves (engine/run/native.py:
    no row order, so sums may fold in another order: equal to 1e-12 relative). A frame is
    written to a Parquet file for the native run. The others run on the panel only."""
    references = {id(data): prog.run(data, engine="pandas", **kw)}
    native = 0
    for engine in engines[1:]:
        runs: list[tuple[str, object, dict, float]] = [(engine, data, {"native": False}, 1e-15)]
        if engine in natively:
            runs.append((f"{engine} native", _as_file(data), {}, compare.NATIVE_RTOL))
        for label, source, options, rtol in runs:
            if id(source) not in references:  # a file, read in panel order
                references[id(source)] = prog.run(source, engine="pandas", **kw)
            reference = references[id(source)]
            want = compare.warning_texts(reference.warnings)
            try:
                result = prog.run(source, engine=engine, **options, **kw)
            except UsageError as exc:  # a documented gap: trend() runs on pandas only
                assert "pandas engine" in str(exc), exc
                continue
            read_by_pandas = [w for w in result.warnings if w.code == "KZF160"]
            if label.endswith(" native") and not read_by_pandas:
                native += 1
            got = [w for w in result.warnings if w.code != "KZF160"]
            compare.assert_same_frames(
                result.frame, reference.frame, prog.dims, f"{what} [{label}]", rtol
            )
            assert compare.warning_texts(got) == want, f"{what} [{label}]: warnings differ"
    return native


def _as_file(data):
    """A path as it is; a frame written to a Parquet file of its own (removed at exit)."""
    import atexit
    import shutil
    import tempfile

    import pandas as pd

    if not isinstance(data, pd.DataFrame):
        return data
    folder = tempfile.mkdtemp(prefix="kzf-differential-")
    atexit.register(shutil.rmtree, folder, True)
    path = Path(folder) / "data.parquet"
    data.to_parquet(path, index=False)
    return path


@pytest.mark.timeout(900)
def test_every_library_file_gives_the_same_results_on_every_engine(engines: list[str]) -> None:
    """Every engine that reads files itself does so here (Spark too: the random programs
    below leave its native runs out, at seconds a run)."""
    ran = native = 0
    natively = tuple(e for e in ("duckdb", "spark") if e in engines)
    for name in LIBRARY:
        prog = kzf.load(ROOT / name)
        if prog.data_path is None:
            continue
        native += run_everywhere(prog, prog.data_path, engines, name, natively)
        ran += 1
    assert ran >= 3, LIBRARY
    # the wide files the engines read themselves; long and years-as-columns layouts go to
    # pandas
    assert native >= 15 * len(natively), f"only {native} runs of {ran} files ran natively"


@pytest.mark.timeout(600)
def test_where_and_select_are_the_same_on_every_engine(engines: list[str]) -> None:
    prog = kzf.load(ROOT / "formulas" / "egdi.kzf")
    run_everywhere(
        prog,
        prog.data_path,
        engines,
        "egdi --where",
        select=["egdi_place", "egdi_score_eaeu"],
        where='year >= 2018 and entity != "Armenia"',
    )


EDGE_CASES = r"""
input a, b
param p = 2
ratio = a / b
logs = ln(a) + log10(b) + sqrt(a - b)
power = a ^ 0.5 + (-a) ^ p + b ^ 0 + 0 ^ -1
big = exp(a * 1000) + 1e300 * a * 1e10
guarded = if(b = 0, 0, a / b)
kleene = (a > 1 and b > 1) or not (a < b)
text = if(entity = "it's \\ \"quoted\"", a, b)
rounded = round(a * 1.005, 2) + trunc(-b / 3, 3) + round(a * 1e20, -15)
stats = std(a over entity) + var(b over year) + median(a over entity where b > 0)
firsts = first(a over year) - last(b over year where a > 0) + count(a over entity)
places = rank(-a over entity) + rank(b * 0 over year)
shifts = lag(a, 2) + lead(b) - diff(a) + growth(b)
mix = max(a, b, 1) - min(a, b) + clamp(a, 0, b) + abs(-a)
constant = 1 / 0 + p
"""


@pytest.mark.timeout(600)
def test_edge_cases_are_the_same_on_every_engine(engines: list[str]) -> None:
    import numpy as np
    import pandas as pd

    rows = [(e, y) for e in ("A", "B", "C", 'it\'s \\ "quoted"') for y in (2000, 2001, 2003, 2004)]
    values = [np.nan, 0.0, -1.0, 2.5, 1e-300, -0.0, 3.0, 0.1, 1e300, 7.0, -2.0, 0.7]
    frame = pd.DataFrame(
        {
            "entity": [r[0] for r in rows],
            "year": [r[1] for r in rows],
            "a": [values[i % len(values)] for i in range(len(rows))],
            "b": [values[(3 * i + 1) % len(values)] for i in range(len(rows))],
        }
    )
    prog = kzf.compile(EDGE_CASES)
    run_everywhere(prog, frame, engines, "edge cases")


# ---------------------------------------------------------------- generated programs


def _strategies():
    import kzf_property_programs as module  # tests/property, registered by tests/conftest.py

    return module.programs, module.panels


@pytest.mark.timeout(900)
@pytest.mark.parametrize("engine,examples", [("duckdb", 60), ("spark", 10)])
def test_random_programs_are_the_same_on_every_engine(
    engines: list[str], engine: str, examples: int
) -> None:
    """Spark costs about a second a query, so it sees fewer programs than DuckDB."""
    if engine not in engines:
        pytest.skip(f"{engine} is not available here")
    programs, panels = _strategies()

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        frame = data.draw(panels(), label="data")
        program = data.draw(programs(), label="program")
        prog = kzf.compile(program.text)
        run_everywhere(prog, frame, ["pandas", engine], f"program\n{program.text}\ndata\n{frame}")

    check()
