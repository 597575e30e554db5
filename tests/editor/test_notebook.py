"""kzf in a notebook (issue 20, item 4): a notebook is executed by a real Jupyter kernel
(nbclient and ipykernel), and what its cells display is checked: a Program as its
definitions in MathML with its inputs and units, an Evaluation as its results and warnings,
a report inline in a frame of its own."""

from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]


def _html(cell: nbformat.NotebookNode) -> str:
    [shown] = [o for o in cell.outputs if o.output_type == "execute_result"]
    return str(shown.data["text/html"])


def test_a_notebook_shows_a_program_its_results_and_its_report(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text(
        "entity,year,spend,output\nKZ,2020,10,25\nKZ,2021,0,30\nRU,2020,20,30\n", encoding="utf-8"
    )
    (tmp_path / "f.kzf").write_text(
        'title "Efficiency"\ndims entity, year\ndata "d.csv"\n'
        "input spend : mln KZT >= 0\ninput output : mln KZT\nratio = output / spend\n",
        encoding="utf-8",
    )
    cells = [
        "import kzf\nprog = kzf.load('f.kzf')\nprog",
        "result = prog.run('d.csv')\nresult",
        "from kzf.engine.present import report\nreport.build(prog)",
        "print(repr(prog)); print(repr(result))",
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    program, result, page, printed = notebook.cells

    shown = _html(program)
    assert "<h3>Efficiency</h3>" in shown
    assert "<math" in shown and "<mfrac>" in shown  # ratio = output / spend, as a fraction
    assert "<code>spend</code>" in shown and "mln KZT" in shown and "&gt;= 0" in shown

    shown = _html(result)
    rows = re.findall(r"<tr>(.*?)</tr>", shown)
    assert len(rows) == 4  # the header and three rows
    assert "<td>KZ</td><td>2020</td>" in rows[1] and ">2.5<" in rows[1]  # 25 / 10
    assert "KZF201" in shown  # the division by zero of KZ 2021, as a warning

    frame = _html(page)
    assert frame.startswith("<iframe srcdoc=") and 'sandbox="allow-scripts"' in frame
    inner = html.unescape(frame.split('srcdoc="', 1)[1].split('" style=', 1)[0])
    assert inner.startswith("<!DOCTYPE html>") and "Efficiency" in inner

    text = "".join(o.get("text", "") for o in printed.outputs)
    assert "<kzf.Program f.kzf: 1 definitions, 2 inputs, dims entity, year>" in text
    assert "<kzf.Evaluation: 3 rows x 3 columns, 1 warning(s)>" in text
