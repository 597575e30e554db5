"""`kzf show`: every library formula renders, in Unicode and in LaTeX; `--expand` gives one
closed formula in the inputs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import kzf
from kzf.engine.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = sorted((ROOT / "formulas").glob("*.kzf")) + sorted((ROOT / "indicators").glob("*.kzf"))

# The commands the LaTeX may use: all known to LaTeX's amsmath, MathJax and KaTeX.
KNOWN = {
    r"\frac", r"\left", r"\right", r"\mathrm", r"\text", r"\operatorname", r"\sum", r"\min",
    r"\max", r"\log", r"\sqrt", r"\cdot", r"\geq", r"\leq", r"\neq", r"\wedge", r"\vee",
    r"\neg", r"\begin", r"\end", r"\infty", r"\exp", r"\lfloor", r"\rfloor",
}  # fmt: skip


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(args)
    out, err = capsys.readouterr()
    return status, out, err


def assert_plausible_latex(line: str) -> None:
    depth = 0
    for i, ch in enumerate(line):
        if ch in "{}" and i > 0 and line[i - 1] == "\\":
            continue
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0, line
    assert depth == 0, line
    assert line.count(r"\left") == line.count(r"\right"), line
    assert line.count(r"\begin{") == line.count(r"\end{"), line
    commands = set(re.findall(r"\\[A-Za-z]+", line))
    assert commands <= KNOWN, commands - KNOWN
    # an underscore is either escaped inside a name or starts a subscript group
    assert not re.search(r"(?<!\\)_(?!\{)", line), line


def test_the_library_is_not_empty() -> None:
    assert any(p.name == "egdi.kzf" for p in LIBRARY)


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_show_latex_renders_every_library_formula(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(["show", "--latex", str(path)], capsys)
    assert status == 0, err
    prog = kzf.load(path)
    blocks = [b for b in out.split("\n\n") if b.strip()]
    root_defs = [n for n, d in prog.checked.definitions.items() if d.span.path == prog.path]
    root_funcs = [n for n, f in prog.checked.functions.items() if f.span.path == prog.path]
    assert len(blocks) == len(root_defs) + len(root_funcs)
    for block in blocks:
        assert "\n" not in block.strip()
        lhs, _, rhs = block.partition(" = ")
        assert rhs, block
        assert_plausible_latex(block.strip())
    status, out, err = run(["show", str(path)], capsys)
    assert status == 0, err
    for name in root_defs:
        assert re.search(rf"(^|\n)\s*{re.escape(name)} = ", out), name


EGDI = """\
input osi in [0, 1], tii in [0, 1], hci in [0, 1]
minmax(x) = (x - min(x over entity)) / (max(x over entity) - min(x over entity))
allow KZF310 minmax "equal values: missing"
osi_n = minmax(osi)
tii_n = minmax(tii)
hci_n = minmax(hci)
egdi = (osi_n + tii_n + hci_n) / 3
"""


def test_show_as_written_and_expanded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "egdi.kzf"
    f.write_text(EGDI, encoding="utf-8")
    status, out, _ = run(["show", str(f), "egdi"], capsys)
    assert status == 0
    assert "osi_n + tii_n + hci_n" in out and "osi - " not in out  # as written
    status, out, _ = run(["show", str(f), "egdi", "--expand"], capsys)
    assert status == 0
    # one closed formula of the three inputs: no intermediate definitions remain
    assert "osi_n" not in out and "tii_n" not in out and "hci_n" not in out
    assert all(x in out for x in ("max[entity](osi)", "min[entity](tii)", "hci"))
    status, out, _ = run(["show", str(f), "egdi", "--expand", "--latex"], capsys)
    assert out.startswith(r"\mathrm{egdi} = ")
    assert r"\max_{\mathrm{entity}}\left(\mathrm{osi}\right)" in out
    assert_plausible_latex(out.strip())


def test_show_notation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "n.kzf"
    f.write_text(
        "input x > 0, y\nparam T1 = 60\ng = 100 * (x / lag(x) - 1)\ns = sum(y over entity where year >= 2017)\n"
        "p = rank(-y over entity)\nr = round(x / T1, 3)\nq = if(y > 0, sqrt(x), 0)\n",
        encoding="utf-8",
    )
    status, out, _ = run(["show", "--latex", str(f)], capsys)
    assert status == 0
    assert r"{\mathrm{x}}_{t-1}" in out or r"{x}_{t-1}" in out
    assert r"\sum_{\mathrm{entity}\,:\,\mathrm{year} \geq 2017}" in out
    assert r"\operatorname{rank}_{\mathrm{entity}}" in out
    assert r"T_{1}" in out
    assert r"\begin{cases}" in out
    status, out, _ = run(["show", str(f), "g"], capsys)
    assert "x[t-1]" in out


def test_show_unknown_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "n.kzf"
    f.write_text("input x\ngrowth_pct = 100 * growth(x)\n", encoding="utf-8")
    status, _, err = run(["show", str(f), "growth_pc"], capsys)
    assert status == 2 and "did you mean 'growth_pct'" in err


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_library_passes_check_strict(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every warning left in a library file is accepted there with `allow` and its reason."""
    status, out, err = run(["check", "--strict", "--units", str(path)], capsys)
    assert status == 0, err
    assert out.startswith(str(path))  # the unit of every definition follows
