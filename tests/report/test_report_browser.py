"""The HTML report as a reader sees it: rendered by headless Chromium, in all three languages.

For the ICT efficiency file (Table 5) and the EGDI file, `kzf report` writes the page, Chromium
opens it from disk, and the test checks, through the DevTools protocol and a screenshot, that
the formulas (native MathML), the tables and the charts are there and visibly drawn, that
sorting a column works, that the page asked for nothing but its own file and logged no
console error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

import kzf
from kzf.engine.cli.main import main
from kzf.engine.present import i18n

ROOT = Path(__file__).resolve().parents[2]
CASES = {
    "ict_efficiency": (
        ROOT / "formulas/ict_efficiency.kzf",
        ROOT / "data/table03_05_kz_ict_efficiency.csv",
        "K",
    ),
    "egdi": (ROOT / "formulas/egdi.kzf", ROOT / "data/eaeu.csv", "egdi_place"),
}

INSPECT = """
(() => {
  const visible = el => {
    const r = el.getBoundingClientRect(), s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'
      && parseFloat(s.opacity) > 0;
  };
  const box = el => {
    const r = el.getBoundingClientRect();
    return {x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height};
  };
  const maths = [...document.querySelectorAll('math')];
  const tables = [...document.querySelectorAll('table')];
  const charts = [...document.querySelectorAll('svg.chart')];
  const fractions = [...document.querySelectorAll('mfrac')].map(f => {
    const [top, bottom] = f.children;
    return top.getBoundingClientRect().bottom <= bottom.getBoundingClientRect().top + 1;
  });
  return {
    lang: document.documentElement.lang,
    text: document.body.innerText,
    headings: [...document.querySelectorAll('h2')].map(h => h.textContent),
    math: maths.length,
    mathVisible: maths.filter(visible).length,
    mathDisplay: maths.length ? getComputedStyle(maths[0]).display : null,
    fractions,
    mathBoxes: maths.slice(0, 4).map(box),
    tables: tables.length,
    tablesVisible: tables.filter(visible).length,
    tableRows: tables.map(t => t.tBodies.length ? t.tBodies[0].rows.length : 0),
    tableBoxes: tables.slice(0, 3).map(box),
    charts: charts.length,
    chartsVisible: charts.filter(visible).length,
    chartShapes: charts.map(c => c.querySelectorAll('path, use').length),
    chartBoxes: charts.slice(0, 3).map(box),
    resources: performance.getEntriesByType('resource').map(e => e.name),
  };
})()
"""

SORT = """
(() => {
  const table = document.getElementById('results-table');
  const heads = table.tHead.rows[0].cells;
  let col = -1;
  for (let i = heads.length - 1; i >= 0; i--) if (heads[i].classList.contains('num')) { col = i; break; }
  const values = () => [...table.tBodies[0].rows].map(r => r.cells[col].getAttribute('data-sort'))
    .filter(v => v !== '' && v !== null).map(Number);
  heads[col].click();
  const up = values();
  heads[col].click();
  const down = values();
  return {col, up, down, state: heads[col].getAttribute('aria-sort')};
})()
"""


def _ink(image: Image.Image, box: dict[str, float]) -> int:
    """Pixels in `box` clearly darker than the white page: drawn text, lines, bars."""
    x0, y0 = int(box["x"]), int(box["y"])
    x1, y1 = int(box["x"] + box["w"]), int(box["y"] + box["h"])
    region = image.crop((x0, y0, min(x1, image.width), min(y1, image.height))).convert("L")
    return int((np.asarray(region) < 160).sum())


def _problems(page: Any) -> list[str]:
    found = []
    for event in page.events:
        method, params = event["method"], event.get("params", {})
        if method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            if not url.startswith(("file://", "data:")):
                found.append(f"network request: {url}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            found.append(f"console {params['type']}: {params.get('args')}")
        elif method == "Runtime.exceptionThrown":
            found.append(f"exception: {params.get('exceptionDetails')}")
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            found.append(f"log error: {params['entry'].get('text')} {params['entry'].get('url')}")
    return found


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
@pytest.mark.parametrize("case", sorted(CASES))
def test_report_renders_offline_in_chromium(
    case: str, lang: str, page: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kzf_file, data, headline = CASES[case]
    out = tmp_path / f"{case}.{lang}.html"
    status = main(["report", str(kzf_file), "--data", str(data), "-o", str(out), "--lang", lang])
    assert status == 0, capsys.readouterr().err
    assert out.stat().st_size < 3_000_000

    page.open(out.as_uri())
    seen: dict[str, Any] = page.evaluate(INSPECT)
    shot = page.screenshot(tmp_path / f"{case}.{lang}.png")

    # the page is in the chosen language, with the file's own labels
    prog = kzf.load(kzf_file)
    assert seen["lang"] == lang
    for key in ("methodology", "dictionary", "results", "charts", "checks"):
        assert i18n.text(key, lang) in seen["headings"]
    assert prog.checked.labels[headline][lang] in seen["text"]

    # formulas: one MathML block per definition and function, laid out as mathematics
    assert seen["math"] >= len(prog.outputs)
    assert seen["mathVisible"] == seen["math"]
    assert "math" in seen["mathDisplay"]  # "block math": Chromium's own MathML layout
    assert seen["fractions"] and all(seen["fractions"]), "a fraction is not stacked"

    # tables with rows, and charts with drawn shapes
    assert seen["tables"] >= 3 and seen["tablesVisible"] == seen["tables"]
    assert min(seen["tableRows"]) >= 1
    assert seen["charts"] >= 1 and seen["chartsVisible"] == seen["charts"]
    assert min(seen["chartShapes"]) > 20

    # ...and the screenshot shows them: ink inside each of their boxes
    image = Image.open(shot)
    assert image.width >= 1200 and image.height > 2000
    for box in seen["mathBoxes"] + seen["tableBoxes"] + seen["chartBoxes"]:
        assert box["w"] > 10 and box["h"] > 10
        assert _ink(image, box) > 40, f"nothing visible drawn at {box}"

    # the columns sort, numerically, both ways
    sorted_ = page.evaluate(SORT)
    assert sorted_["col"] >= 0 and sorted_["state"] == "descending"
    assert sorted_["up"] == sorted(sorted_["up"]) and len(sorted_["up"]) > 1
    assert sorted_["down"] == sorted(sorted_["down"], reverse=True)

    # nothing but the file itself was loaded, and nothing went wrong
    page.drain(0.3)
    assert [r for r in seen["resources"] if not r.startswith(("file://", "data:"))] == []
    assert _problems(page) == []


COMPOSITE = """
(() => {
  const figures = [...document.querySelectorAll('#composite figure.chart-box')];
  return {
    text: document.getElementById('composite') ? document.getElementById('composite').innerText : '',
    kinds: figures.map(f => f.dataset.kind),
    boxes: figures.map(f => {
      const r = f.querySelector('svg.chart').getBoundingClientRect();
      return {x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height};
    }),
    shapes: figures.map(f => f.querySelectorAll('path, use').length),
    toc: [...document.querySelectorAll('nav a')].map(a => a.getAttribute('href')),
  };
})()
"""


@pytest.mark.parametrize("lang", ["en", "kk"])
def test_a_composite_index_report_shows_its_charts_in_chromium(
    lang: str, page: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The 49-indicator ASEM index (a framework table, screening, aggregation over the
    indicators present, two varied weights): its report has a composite section with the
    framework sunburst, the correlation heat map, the indicators' distributions, the
    stacked contributions and the rank uncertainty bands, each drawn."""
    out = tmp_path / f"asem.{lang}.html"
    argv = ["report", str(ROOT / "indicators/asem.kzf"), "-o", str(out), "--lang", lang]
    assert main([*argv, "--sensitivity-runs", "40"]) == 0, capsys.readouterr().err
    assert out.stat().st_size < 3_000_000

    page.open(out.as_uri())
    seen: dict[str, Any] = page.evaluate(COMPOSITE)
    shot = page.screenshot(tmp_path / f"asem.{lang}.png")
    assert "#composite" in seen["toc"]
    kinds = ["framework", "correlations", "distributions", "contributions", "uncertainty"]
    assert seen["kinds"] == kinds
    # 46 of the 51 countries have 90 % of the indicators (COINr screens out the other 5)
    assert ("46 entities, 49 indicators" if lang == "en" else "46 нысан, 49 көрсеткіш") in seen[
        "text"
    ]
    image = Image.open(shot)
    for kind, box, shapes in zip(kinds, seen["boxes"], seen["shapes"], strict=True):
        assert box["w"] > 200 and box["h"] > 200, (kind, box)
        assert shapes > 20, kind
        assert _ink(image, box) > 2000, f"the {kind} chart is not visibly drawn at {box}"
    page.drain(0.3)
    assert _problems(page) == []
