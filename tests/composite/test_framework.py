"""A composite index declared as a table (issue 19, item 6; dsl/framework.py).

`framework "f.csv" over entity` reads a table of indicators and aggregates (name, parent,
weight, direction, normalisation, aggregation: COINr's iMeta columns as they are) and stands
for the definitions it implies. The expected values come from two independent sources:
COINr 1.1.14 itself, run by `tests/composite/cases/asem_coinr.R` on its own ASEM example
(49 indicators, 51 countries; its output typed into `asem_coinr_aggregated.csv`), and the
same small index written out by hand as definitions.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import pandas as pd
import pytest

import kzf
from kzf.dsl.diagnostics import ProgramError
from kzf.engine.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
CASES = Path(__file__).parent / "cases"


def test_coinrs_asem_pipeline_is_reproduced_on_every_indicator_and_aggregate() -> None:
    """COINr: Denominate, Screen(dat_thresh 0.9, byNA), Treat (defaults), Normalise (n_minmax
    on 0-100), Aggregate (a_amean, dat_thresh 0.5). kzf: the example file, whose framework
    statement reads COINr's indicator table. 46 units kept (BGD, BRN, KHM, LAO, MMR
    screened out), 49 normalised indicators and 11 aggregates, to R's 15 printed digits."""
    prog = kzf.load(ROOT / "indicators" / "asem.kzf")
    got = prog.run(ROOT / "data" / "asem_indicators.csv").frame.set_index("uCode")
    coinr = pd.read_csv(CASES / "asem_coinr_aggregated.csv").set_index("uCode")
    assert len(coinr) == 46 and len(coinr.columns) == 60
    screened = sorted(set(got.index) - set(coinr.index))
    assert screened == ["BGD", "BRN", "KHM", "LAO", "MMR"]
    assert got.loc[screened, "Index"].isna().all()
    for column in coinr.columns:
        ours = got[f"n_{column}" if f"n_{column}" in got else column].reindex(coinr.index)
        for unit, want in coinr[column].items():
            have = float(ours[unit])
            if math.isnan(want):
                assert math.isnan(have), (column, unit, have)
            else:
                assert math.isclose(have, want, rel_tol=1e-13, abs_tol=1e-12), (column, unit)


def test_coinrs_own_indicator_table_reads_as_it_is(tmp_path: Path) -> None:
    """ASEM_iMeta unchanged (weights 1.0 where the shipped table names two params): the rows
    of type Group and Denominator are not part of the hierarchy, iName gives the labels."""
    table = (ROOT / "data" / "asem_framework.csv").read_text(encoding="utf-8")
    (tmp_path / "meta.csv").write_text(
        table.replace("w_conn", "1.0").replace("w_sust", "1.0"), encoding="utf-8"
    )
    (tmp_path / "i.kzf").write_text(
        "dims uCode\ninput Population > 0, GDP > 0, Area > 0, Energy > 0\n"
        'framework "meta.csv" over uCode normalise minmax100 aggregate amean_available(0.5) '
        "treat treat_coinr screen 0.9\n",
        encoding="utf-8",
    )
    prog = kzf.load(tmp_path / "i.kzf")
    got = prog.run(ROOT / "data" / "asem_indicators.csv").frame.set_index("uCode")
    coinr = pd.read_csv(CASES / "asem_coinr_aggregated.csv").set_index("uCode")
    assert math.isclose(got.loc["CHE", "Index"], coinr.loc["CHE", "Index"], rel_tol=1e-13)
    assert prog.checked.labels["n_LPI"]["en"] == "Logistics Performance Index"
    assert "GDP_group" not in prog.inputs and "EurAsia_group" not in prog.inputs


SMALL = """name,parent,weight,direction,normalise,label
index,,,,,The index
access,index,2,,,Access
price,index,1,,,Price
speed,access,1,,,Speed
coverage,access,3,1,minmax,Coverage
tariff,price,,-1,,Tariff
"""
BY_HAND = """dims entity, year
import "std:composite"
input speed, coverage, tariff
n_speed = minmax(speed, entity)
n_coverage = minmax(coverage, entity)
n_tariff = minmax(lower(tariff), entity)
access = amean(n_speed: 1, n_coverage: 3)
price = amean(n_tariff: 1)
index = amean(access: 2, price: 1)
"""
DATA = """entity,year,speed,coverage,tariff
A,2020,10,50,5
B,2020,20,70,
C,2020,40,60,3
A,2021,12,55,4
B,2021,18,80,4
C,2021,30,90,2
"""


def _written(tmp_path: Path, table: str, program: str, name: str = "f.kzf") -> Path:
    (tmp_path / "framework.csv").write_text(table, encoding="utf-8")
    (tmp_path / "d.csv").write_text(DATA, encoding="utf-8")
    (tmp_path / name).write_text(program, encoding="utf-8")
    return tmp_path / name


def test_a_table_gives_what_the_definitions_written_by_hand_give(tmp_path: Path) -> None:
    path = _written(tmp_path, SMALL, 'dims entity, year\nframework "framework.csv" over entity\n')
    (tmp_path / "hand.kzf").write_text(BY_HAND, encoding="utf-8")
    table = kzf.load(path).run(tmp_path / "d.csv").frame
    hand = kzf.load(tmp_path / "hand.kzf").run(tmp_path / "d.csv").frame
    for column in ("n_speed", "n_coverage", "n_tariff", "access", "price", "index"):
        assert table[column].tolist() == pytest.approx(hand[column].tolist(), nan_ok=True)
    # by hand, 2020: speed 0, 1/3, 1; coverage 0, 1, 1/2; tariff (lower is better) 0, -, 1
    first = table[table["year"] == 2020].set_index("entity")
    assert first.loc["A", "access"] == 0.0
    assert first.loc["C", "access"] == pytest.approx((1 + 3 * 0.5) / 4)
    assert first.loc["C", "index"] == pytest.approx((2 * 2.5 / 4 + 1) / 3)
    assert math.isnan(first.loc["B", "index"])  # amean: a missing child, a missing parent
    assert table["index_coverage"].tolist()[:2] == [1.0, 1.0]  # A, 2020 and 2021
    assert table.set_index(["entity", "year"]).loc[("B", 2020), "index_coverage"] == 2 / 3


def test_the_rows_of_a_table_may_come_in_any_order(tmp_path: Path, capsys) -> None:
    """Children before their parents, the index last: the same index, by `kzf eval`."""
    header, *rows = SMALL.strip().split("\n")
    shuffled = "\n".join([header, *reversed(rows)]) + "\n"
    results = []
    for table in (SMALL, shuffled):
        path = _written(
            tmp_path, table, 'dims entity, year\nframework "framework.csv" over entity\n'
        )
        argv = ["eval", str(path), "--data", str(tmp_path / "d.csv"), "--format", "csv"]
        assert main([*argv, "--select", "index,access,price"]) == 0
        results.append(capsys.readouterr().out)
    assert results[0] == results[1]
    assert results[0].splitlines()[0] == "entity,year,index,access,price"


def test_the_audit_reads_the_hierarchy_of_the_table(tmp_path: Path, capsys) -> None:
    path = _written(tmp_path, SMALL, 'dims entity, year\nframework "framework.csv" over entity\n')
    assert main(["audit", str(path), "--index", "index", "--data", str(tmp_path / "d.csv")]) == 0
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    assert rows["access"]["parent"] == "index" and float(rows["access"]["weight"]) == 2 / 3
    assert rows["n_coverage"]["parent"] == "access" and float(rows["n_coverage"]["weight"]) == 0.75


def test_a_european_spreadsheets_table_with_semicolons_and_decimal_commas(tmp_path: Path) -> None:
    table = "Name;Parent;Weight\nindex;;\na;index;0,25\nb;index;0,75\n"
    path = _written(
        tmp_path,
        table,
        'dims entity, year\ninput a, b\nframework "framework.csv" over entity normalise none\n',
    )
    (tmp_path / "d.csv").write_text("entity,year,a,b\nA,2020,1,3\n", encoding="utf-8")
    got = kzf.load(path).run(tmp_path / "d.csv").frame
    assert got["index"].tolist() == [0.25 * 1 + 0.75 * 3]


@pytest.mark.parametrize(
    ("table", "line", "column", "message"),
    [
        (
            "name,parent\nindex,\na,indx\n",
            3,
            3,
            "parent 'indx' is not a name of the framework table did you mean 'index'?",
        ),
        ("name,parent\nindex,\na,index\na,index\n", 4, 1, "'a' is given twice (first on line 3)"),
        (
            "name,parent\nindex,b\nb,index\nc,b\n",
            2,
            7,
            "the framework's parents go round in a cycle: index -> b -> index",
        ),
        ("name,parent,colour\nindex,,\n", 1, 13, "unknown column 'colour' in the framework table"),
        ("name,parent,weight\nindex,,\na,index,-2\n", 3, 9, "weight -2 is negative"),
        (
            "name,parent,weight\nindex,,\na,index,heavy!\n",
            3,
            9,
            "weight 'heavy!' is neither a number nor the name of a param",
        ),
        (
            "name,parent,direction\nindex,,\na,index,up\n",
            3,
            9,
            "direction 'up' is neither 1 (higher is better) nor -1",
        ),
        (
            "name,parent,normalise\nindex,,\na,index,minmaks\n",
            3,
            9,
            "unknown normalisation 'minmaks'",
        ),
        (
            "name,parent,normalise\nindex,,\na,index,goalposts(0)\n",
            3,
            9,
            "normalisation 'goalposts' takes 2 values (worst, best), given 1",
        ),
        (
            "name,parent,normalise,direction\nindex,,,\na,index,goalposts(0; 1),\n",
            3,
            9,
            "is not a method such as minmax",
        ),
        (
            'name,parent,normalise,direction\nindex,,,\na,index,"goalposts(0, 1)",-1\n',
            3,
            27,
            "'goalposts' has no lower-is-better form",
        ),
        (
            "name,parent,aggregate\nindex,,median\na,index,\n",
            2,
            8,
            "aggregation 'median' is not one of",
        ),
        (
            "name,parent,aggregate\nindex,,\na,index,amean\n",
            3,
            9,
            "'a' is an indicator: its aggregate cell must be empty",
        ),
        ("name,parent\nindex,\n2nd,index\n", 3, 1, "'2nd' is not a name kzf can use"),
        (
            "name,parent,type\nindex,,Aggregate\na,index,Indicator\nb,,Aggregate\n",
            4,
            1,
            "aggregate 'b' has no children",
        ),
        ("name,weight\nindex,\n", 1, 1, "the framework table has no column 'parent'"),
        ('name,parent,label\nindex,,"open\n', 2, 8, "a quoted cell is not closed on its line"),
    ],
)
def test_a_table_that_is_not_a_hierarchy_is_refused_at_its_cell(
    tmp_path: Path, table: str, line: int, column: int, message: str
) -> None:
    path = _written(
        tmp_path, table, 'dims entity, year\ninput a\nframework "framework.csv" over entity\n'
    )
    with pytest.raises(ProgramError) as refused:
        kzf.load(path)
    found = [d for d in refused.value.diagnostics if d.code == "KZF029"]
    assert found, refused.value.diagnostics
    first = found[0]
    assert message in " ".join([first.message, *first.notes]), first
    assert first.span is not None and first.span.path.endswith("framework.csv")
    assert (first.span.line, first.span.column) == (line, column)


def test_a_bad_table_is_an_error_of_kzf_check_naming_file_line_and_column(
    tmp_path: Path, capsys
) -> None:
    path = _written(
        tmp_path,
        "name,parent\nindex,\na,indx\n",
        'dims entity, year\ninput a\nframework "framework.csv" over entity\n',
    )
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "framework.csv:3:3: error[KZF029]: parent 'indx'" in err
    assert "   3 | a,indx" in err  # the table's own row is shown
    assert "Traceback" not in err


def test_a_message_about_a_generated_definition_shows_what_kzf_made_of_the_row(
    tmp_path: Path, capsys
) -> None:
    """The checker's warnings name the table's line and show the definition kzf made of the
    row (a denominator that may be 0), not a whole CSV row under a caret."""
    table = "name,parent,denominator\nindex,,\na,index,pop\n"
    path = _written(tmp_path, table, 'dims entity, year\nframework "framework.csv" over entity\n')
    assert main(["check", str(path)]) == 0
    err = capsys.readouterr().err
    assert "framework.csv:3:" in err and "warning[KZF310]" in err
    assert "   3 | n_a = minmax(a / pop, entity)" in err


def test_options_screen_and_a_param_weight_are_what_sensitivity_varies(
    tmp_path: Path, capsys
) -> None:
    table = "name,parent,weight\nindex,,\np,index,w_p\nq,index,\na,p,\nb,q,\nc,q,\n"
    program = (
        "dims entity, year\nparam w_p = 1\nvary w_p in [0.5, 2]\n"
        'framework "framework.csv" over entity normalise none aggregate amean_available(0.5) screen 0.6\n'
    )
    path = _written(tmp_path, table, program)
    data = "entity,year,a,b,c\nA,2020,1,2,3\nB,2020,2,,\nC,2020,3,1,1\nD,2020,4,4,\n"
    (tmp_path / "d.csv").write_text(data, encoding="utf-8")
    got = kzf.load(path).run(tmp_path / "d.csv").frame.set_index("entity")
    # B has 1 of 3 indicators (below 0.6): screened out; D has 2 of 3: kept, q over b alone
    assert math.isnan(got.loc["B", "index"]) and math.isnan(got.loc["B", "index_kept"])
    assert got.loc["D", "q"] == 4.0 and got.loc["D", "index"] == (4 + 4) / 2
    assert got.loc["A", "index"] == (1 + 2.5) / 2
    argv = ["sensitivity", str(path), "--data", str(tmp_path / "d.csv"), "--index", "index"]
    assert main([*argv, "--runs", "20", "--sobol", "0"]) == 0
    assert "varied: w_p in [0.5, 2]" in capsys.readouterr().err


def test_a_framework_in_a_program_given_as_text_is_refused() -> None:
    with pytest.raises(ProgramError) as refused:
        kzf.compile('dims entity, year\nframework "f.csv" over entity\n')
    assert refused.value.diagnostics[0].code == "KZF020"
    assert "pass base_dir" in refused.value.diagnostics[0].message


def test_a_table_outside_the_project_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "project").mkdir()
    (tmp_path / "outside.csv").write_text(SMALL, encoding="utf-8")
    path = tmp_path / "project" / "f.kzf"
    path.write_text('dims entity, year\nframework "../outside.csv" over entity\n', encoding="utf-8")
    with pytest.raises(ProgramError) as refused:
        kzf.load(path)
    assert refused.value.diagnostics[0].code == "KZF022"
