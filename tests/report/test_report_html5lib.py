"""Every report kzf publishes, parsed as a browser parses it (html5lib implements the HTML
standard's tree construction, MathML and SVG foreign content included), holds no script
and no event handler but kzf's own one script.

Two sets of pages: the report of every formula file of the repository that declares its
data, and reports of files built to attack it, with the attack in every place a file can
put text (title, source, labels, comments, a param's text, an entity of the data, a text
literal of a formula).
"""

from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import Element

import html5lib
import pytest

import kzf
from kzf.engine.cli.main import main
from kzf.engine.present import report

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted(
    p
    for folder in ("formulas", "indicators")
    for p in (ROOT / folder).glob("*.kzf")
    if 'data "' in p.read_text(encoding="utf-8")
)
ATTACK = "<script>alert(1)</script></math><img/src=x/onerror=alert(1)><svg onload=alert(2)>"
# `meta` only with http-equiv (a refresh to another page); kzf's charset and viewport are fine
DANGEROUS_TAGS = {"iframe", "object", "embed", "base", "form", "frame", "img", "link", "meta"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data"}


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _active_content(page: str) -> tuple[list[str], list[str]]:
    """The scripts' texts, and every element or attribute that could run code."""
    root: Element = html5lib.parse(page, treebuilder="etree", namespaceHTMLElements=False)
    scripts: list[str] = []
    active: list[str] = []
    for element in root.iter():
        if not isinstance(element.tag, str):  # comments
            continue
        tag = _local(element.tag)
        if tag == "script":
            scripts.append(element.text or "")
        if tag in DANGEROUS_TAGS and not (tag == "meta" and "http-equiv" not in element.attrib):
            active.append(f"<{tag}>")
        for name, value in element.attrib.items():
            attribute = _local(name).lower()
            if attribute.startswith("on"):
                active.append(f"<{tag} {attribute}>")
            if attribute in URL_ATTRIBUTES and value.strip().lower().startswith(
                ("javascript:", "data:text/html", "vbscript:")
            ):
                active.append(f"<{tag} {attribute}={value[:30]}>")
    return scripts, active


def test_the_repository_has_reports_to_check() -> None:
    assert len(FILES) >= 10


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_every_report_of_the_repository_runs_only_kzfs_script(path: Path) -> None:
    prog = kzf.load(path)
    page = report.render(prog, prog.data_path)
    scripts, active = _active_content(page)
    assert active == []
    assert len(scripts) == 1 and "sort" in scripts[0]  # the tables' sorting, nothing else


def test_an_attack_in_every_text_a_file_holds_stays_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    quoted = ATTACK.replace('"', '\\"')
    source = f"""title "{quoted}"
source "{quoted}"
dims entity, year
data "d.csv"
param mode = "{quoted}"
input x, y
# {ATTACK}
a = if(entity = "{quoted}", x, y)
b = choose(mode, "{quoted}": x, "other": y)
label a kk "{quoted}" ru "{quoted}" en "{quoted}"
"""
    (tmp_path / "f.kzf").write_text(source, encoding="utf-8")
    entity = ATTACK.replace('"', '""')
    (tmp_path / "d.csv").write_text(
        f'entity,year,x,y\n"{entity}",2020,1,2\n"{entity}",2021,3,4\nB,2020,5,6\nB,2021,7,8\n',
        encoding="utf-8",
    )
    out = tmp_path / "r.html"
    assert main(["report", str(tmp_path / "f.kzf"), "-o", str(out)]) == 0, capsys.readouterr()
    page = out.read_text(encoding="utf-8")
    assert "alert(1)" in page  # the attack is on the page, as text
    scripts, active = _active_content(page)
    assert active == []
    assert len(scripts) == 1 and "alert" not in scripts[0]
