"""`kzf report`, `kzf plot` and `kzf eval --lang` without a browser: content, escaping,
self-containment, numbers as each language writes them, fonts that cover Kazakh."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import kzf
from kzf.engine.cli.main import main
from kzf.engine.present import i18n, report
from kzf.engine.present.i18n import format_exact, format_number
from kzf.engine.present.mathml import to_mathml

ROOT = Path(__file__).resolve().parents[2]
EGDI = ROOT / "formulas" / "egdi.kzf"
EAEU = ROOT / "data" / "eaeu.csv"
ICT = ROOT / "formulas" / "ict_efficiency.kzf"
GDP = ROOT / "formulas" / "gdp_regression.kzf"
KAZAKH = "ҚӘҒҢӨҰҮҺІқәғңөұүһі"


@pytest.mark.parametrize(
    ("value", "lang", "want"),
    [
        (1234567.891, "en", "1,234,567.89"),
        (1234567.891, "ru", "1\u00a0234\u00a0567,89"),
        (1234567.891, "kk", "1\u00a0234\u00a0567,89"),
        (2.776242, "en", "2.776"),
        (2.776242, "kk", "2,776"),
        (2.5, "en", "2.5"),
        (-0.739, "ru", "−0,739"),
        (17.0, "en", "17"),
        (0.000123456, "en", "0.000123"),
        (0.0, "en", "0"),
        (float("nan"), "kk", "–"),
        (None, "en", "–"),
    ],
)
def test_numbers_as_each_language_writes_them(value: float, lang: str, want: str) -> None:
    assert format_number(value, lang) == want


def test_published_values_keep_their_decimals() -> None:
    assert format_exact(12404.052, "en") == "12,404.052"
    assert format_exact(1.7, "ru") == "1,7"
    assert format_exact(17.0, "kk") == "17"
    assert format_number(2017.0, "ru", 0, group=False) == "2017"


def test_every_report_string_exists_in_the_three_languages() -> None:
    for key, words in i18n.STRINGS.items():
        assert set(words) == set(i18n.LANGUAGES), key
        assert all(w.strip() for w in words.values()), key


def test_labels_fall_back_to_the_name_not_to_another_language() -> None:
    labels = {"K": {"kk": "Тиімділік", "en": "Efficiency"}}
    assert i18n.label(labels, "K", "kk") == "Тиімділік"
    assert i18n.label(labels, "K", "ru") == "K"
    assert i18n.label(labels, "year", "ru") == "Год"
    assert i18n.labels_for(labels, ["K", "x"], "en") == {"K": "Efficiency"}


def test_matplotlib_font_covers_kazakh() -> None:
    import matplotlib
    from fontTools.ttLib import TTFont

    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf"):
        cmap = TTFont(str(fonts / name)).getBestCmap()
        assert all(ord(c) in cmap for c in KAZAKH), name


def test_mathml_keeps_names_whole_and_is_well_formed() -> None:
    markup = to_mathml(r"\mathrm{egdi\_place} = \frac{\mathrm{egdi\_rank}}{\text{ЭӘ}}")
    root = ET.fromstring(markup)
    names = [e.text for e in root.iter("{http://www.w3.org/1998/Math/MathML}mi")]
    assert names == ["egdi_place", "egdi_rank", "ЭӘ"]


@pytest.fixture(scope="module")
def egdi_kk() -> str:
    return report.render(kzf.load(EGDI), str(EAEU), lang="kk")


def test_report_is_self_contained(egdi_kk: str) -> None:
    page = egdi_kk
    assert page.startswith("<!DOCTYPE html>")
    # no reference to anything outside the file: no src/href/url() but in-page or data:
    for attr in re.findall(r'\b(?:src|href)="([^"]*)"', page):
        assert attr.startswith(("#", "data:")), attr
    for url in re.findall(r"url\(([^)]*)\)", page):
        assert url.startswith(("#", "data:")), url
    assert "<link" not in page and "@import" not in page
    assert "http://" not in page.replace("http://www.w3.org/", "")
    assert "https://" not in page
    assert "@font-face" in page and "data:font/woff;base64," in page


def test_report_holds_methodology_data_results_charts_checks(egdi_kk: str) -> None:
    page = egdi_kk
    prog = kzf.load(EGDI)
    assert page.count("<math") >= len(prog.outputs)
    assert page.count('<svg class="chart"') + page.count('class="chart"') >= 3
    for section in ("methodology", "dictionary", "results", "charts", "checks"):
        assert f'id="{section}"' in page
        assert i18n.text(section, "kk") in page
    for name in ("egdi_rank", "egdi_n", "egdi_score"):
        assert prog.checked.labels[name]["kk"] in page
    assert '<html lang="kk">' in page
    assert 'class="badge reproduced"' in page
    assert "KZF201" in page  # the evaluation warning is listed under checks
    # ... in the report's language, with its note (dsl/locale/kk.po)
    assert "нөлге бөлу жоқ мән берді; жолдар: (Kazakhstan, 2020)" in page
    assert "(мыналарда қолданылады: egdi_score_eaeu)" in page


def test_report_escapes_everything_from_the_file(tmp_path: Path) -> None:
    src = tmp_path / "evil.kzf"
    data = tmp_path / "d.csv"
    data.write_text('entity,year,x\n"<img src=x onerror=alert(1)>",2020,1\nB,2020,2\n')
    src.write_text(
        'title "<script>alert(1)</script>"\n'
        'source "a & b <i>"\n'
        "input x : mln\n"
        "# a <!-- comment --> that </p> breaks\n"
        "y = x * 2\n"
        'label y en "</title><script>x()</script>"\n'
    )
    page = report.render(kzf.load(src), str(data), lang="en")
    assert "<script>alert" not in page and "<script>x()" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("<script>") == 1  # the sorting script only


def test_report_of_a_file_with_models_shows_their_tables() -> None:
    page = report.render(kzf.load(GDP), lang="ru")
    assert "<caption>gdp.coefficients</caption>" in page
    assert i18n.text("models", "ru") in page


def test_report_is_deterministic() -> None:
    prog = kzf.load(ICT)
    assert report.render(prog, lang="en") == report.render(prog, lang="en")


def test_cli_report_and_plot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.html"
    assert main(["report", str(ICT), "-o", str(out), "--lang", "ru"]) == 0
    page = out.read_text(encoding="utf-8")
    assert "Экономическая эффективность (коэффициент эластичности)" in page
    assert main(["report", str(ICT), "-o", str(tmp_path / "r.pdf")]) == 2
    assert main(["report", str(ICT), "-o", str(out), "--select", "nope"]) == 2

    png = tmp_path / "k.png"
    assert main(["plot", str(ICT), "K", "-o", str(png), "--lang", "kk"]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = tmp_path / "places.svg"
    args = ["plot", str(EGDI), "egdi_place", "--data", str(EAEU), "-o", str(svg)]
    assert main([*args, "--kind", "ranks"]) == 0
    ET.parse(svg)  # well-formed
    assert main(["plot", str(ICT), "K_pre", "-o", str(png)]) == 2  # one value: nothing to draw
    assert "nothing to draw" in capsys.readouterr().err


def test_eval_table_uses_the_labels_of_the_chosen_language(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["eval", str(EGDI), "--data", str(EAEU), "--format", "table", "--where", "year = 2020"]
    assert main([*args, "--lang", "kk"]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert header.split()[:2] == ["Нысан", "Жыл"]
    assert "ЕАЭО елдері арасындағы орны" in header
    assert main([*args, "--lang", "ru"]) == 0
    assert "Место среди стран ЕАЭС" in capsys.readouterr().out
    assert main(args) == 0
    assert "egdi_place" in capsys.readouterr().out.splitlines()[0]
