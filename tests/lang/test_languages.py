"""The languages methodologists read (issue 20, item 5): plurals, decimal marks and the order
of names in kk, ru and en, language tags for labels, and unit words in Russian and Kazakh.

Expected forms are the languages' own grammar, typed here: Russian 1 строка, 2 строки,
5 строк, 11 строк, 21 строка, 22 строки (CLDR's one, few, many); English 1 row, 2 rows;
Kazakh keeps the noun singular after a numeral (21 жол). Decimal marks: a comma in Kazakh and
Russian, a point in English. Order: the Kazakh alphabet (А Ә Б ... К Қ Л ... Р ... Ы І Ь Э Ю Я)
puts Қазақстан before Ресей; the code points put every Kazakh letter after Я.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import kzf
from kzf.dsl.diagnostics import ProgramError
from kzf.engine.checks.units import parse_unit
from kzf.engine.cli.main import main
from kzf.engine.core import locales
from kzf.engine.present import i18n

PROGRAM = 'dims entity, year\ninput x\nshare = x / 3\nlabel share kk "Үлес" ru "Доля" en "Share"\n'
DATA = "entity,year,x\nРесей,2020,232.3232\nҚазақстан,2020,1\nБеларусь,2020,2\nӨзбекстан,2020,4\n"


@pytest.mark.parametrize(
    ("rows", "ru", "en", "kk"),
    [
        (1, "1 строка", "1 row", "1 жол"),
        (2, "2 строки", "2 rows", "2 жол"),
        (5, "5 строк", "5 rows", "5 жол"),
        (11, "11 строк", "11 rows", "11 жол"),
        (21, "21 строка", "21 rows", "21 жол"),
        (22, "22 строки", "22 rows", "22 жол"),
        (1234, "1\u00a0234 строки", "1,234 rows", "1\u00a0234 жол"),
    ],
)
def test_counts_take_the_plural_their_language_gives_them(rows, ru, en, kk) -> None:
    assert i18n.text("panel", "ru", rows=rows, dims="x").startswith(ru + " ")
    assert i18n.text("panel", "en", rows=rows, dims="x").startswith(en + " ")
    assert i18n.text("panel", "kk", rows=rows, dims="x").startswith(kk + ":")


def _table(tmp_path: Path, capsys, lang: str | None) -> list[str]:
    (tmp_path / "f.kzf").write_text(PROGRAM, encoding="utf-8")
    (tmp_path / "d.csv").write_text(DATA, encoding="utf-8")
    argv = ["eval", str(tmp_path / "f.kzf"), "--data", str(tmp_path / "d.csv"), "--format", "table"]
    assert main([*argv, *(["--lang", lang] if lang else [])]) == 0
    return capsys.readouterr().out.splitlines()


def test_a_kazakh_table_writes_decimal_commas_and_sorts_by_the_kazakh_alphabet(
    tmp_path, capsys
) -> None:
    lines = _table(tmp_path, capsys, "kk")
    assert lines[0].split() == ["Нысан", "Жыл", "Үлес"]
    names = [line.split()[0] for line in lines[2:]]
    assert names == ["Беларусь", "Қазақстан", "Өзбекстан", "Ресей"]  # Қ after К, Ө after О
    assert lines[5].split()[-1] == "77,441067"  # 232.3232 / 3 with a decimal comma


def test_a_russian_table_writes_decimal_commas(tmp_path, capsys) -> None:
    lines = _table(tmp_path, capsys, "ru")
    assert lines[0].split() == ["Объект", "Год", "Доля"] or lines[0].split()[-1] == "Доля"
    assert "77,441067" in "\n".join(lines) and "77.441067" not in "\n".join(lines)


def test_an_english_table_and_one_without_a_language_write_points(tmp_path, capsys) -> None:
    for lang in ("en", None):
        text = "\n".join(_table(tmp_path, capsys, lang))
        assert "77.441067" in text and "77,441067" not in text


def test_the_reports_results_follow_the_languages_order(tmp_path) -> None:
    from kzf.engine.present import report

    (tmp_path / "f.kzf").write_text(PROGRAM, encoding="utf-8")
    (tmp_path / "d.csv").write_text(DATA, encoding="utf-8")
    prog = kzf.load(tmp_path / "f.kzf")
    page = report.build(prog, tmp_path / "d.csv", lang="kk").html()
    results = page[page.index('id="results"') :]
    at = {name: results.index(name) for name in ("Беларусь", "Қазақстан", "Өзбекстан", "Ресей")}
    assert at["Беларусь"] < at["Қазақстан"] < at["Өзбекстан"] < at["Ресей"]
    assert "4 жол" in page and "77,441" in page
    ru = report.build(prog, tmp_path / "d.csv", lang="ru").html()
    assert "4 строки" in ru


def test_the_kazakh_and_russian_alphabets_order_names() -> None:
    kazakh = list("аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя")
    assert sorted(reversed(kazakh), key=lambda c: locales.collation_key(c, "kk")) == kazakh
    russian = list("абвгдежзийклмнопрстуфхцчшщъыьэюя")
    assert sorted(reversed(russian), key=lambda c: locales.collation_key(c, "ru")) == russian
    # Russian sorts ё with е: ёлка between ежевика and ель, as a dictionary does
    words = ["ель", "ёлка", "ежевика"]
    assert sorted(words, key=lambda w: locales.collation_key(w, "ru")) == ["ежевика", "ёлка", "ель"]
    # case second: the same letters, lower case first
    assert sorted(["Алма", "алма"], key=lambda w: locales.collation_key(w, "kk")) == [
        "алма",
        "Алма",
    ]


def test_labels_take_bcp_47_tags_and_refuse_unknown_or_repeated_ones(tmp_path) -> None:
    prog = kzf.compile(
        'dims entity, year\ninput x\ny = x\nlabel y kk "Үлес" kk-latn "Üles" EN-gb "Share"\n'
    )
    assert prog.checked.labels["y"] == {"kk": "Үлес", "kk-Latn": "Üles", "en-GB": "Share"}
    for bad, said in [
        ('label y qq "x"', "'qq' is not a language CLDR knows"),
        ('label y kk-Xyzw "x"', "'Xyzw' is not a script"),
        ('label y kk "a" kk "b"', "already has a label in kk"),
        ('label y ru "a"\nlabel y ru "b"', "already has a label in ru"),
    ]:
        with pytest.raises(ProgramError) as refused:
            kzf.compile(f"dims entity, year\ninput x\ny = x\n{bad}\n")
        assert refused.value.diagnostics[0].code == "KZF023" and said in str(refused.value)


def test_kazakh_latin_labels_head_a_table_in_kk_latn(tmp_path, capsys) -> None:
    (tmp_path / "f.kzf").write_text(PROGRAM + 'label share kk-Latn "Úles"\n', encoding="utf-8")
    (tmp_path / "d.csv").write_text(DATA, encoding="utf-8")
    argv = ["eval", str(tmp_path / "f.kzf"), "--data", str(tmp_path / "d.csv"), "--format", "table"]
    assert main([*argv, "--lang", "kk-Latn"]) == 0
    assert capsys.readouterr().out.splitlines()[0].split()[-1] == "Úles"


@pytest.mark.parametrize(
    ("written", "scale", "dims"),
    [
        ("тыс. человек", 1000, {"person": 1}),
        ("мың адам", 1000, {"person": 1}),
        ("чел.", 1, {"person": 1}),
        ("на 100 жителей", 0.01, {"person": -1}),
        ("per 100 inhabitants", 0.01, {"person": -1}),
        ("100 тұрғынға", 0.01, {"person": -1}),
        ("млн долл.", 1_000_000, {"USD": 1}),
        ("мың теңге", 1000, {"KZT": 1}),
        ("млрд тенге", 1_000_000_000, {"KZT": 1}),
        ("тыс. руб.", 1000, {"RUB": 1}),
    ],
)
def test_russian_and_kazakh_unit_words(written: str, scale: float, dims: dict[str, int]) -> None:
    parsed = parse_unit(written)
    assert parsed.unknown_words == []
    assert float(parsed.unit.scale) == pytest.approx(scale)
    assert {d: float(e) for d, e in parsed.unit.dims} == dims


def test_unit_words_check_through_a_file(capsys, tmp_path) -> None:
    """A share of thousands of persons in millions is 1/1000; subscriptions per 100
    inhabitants times millions of persons is a count on a scale of 10 000: by hand."""
    (tmp_path / "u.kzf").write_text(
        "dims entity, year\ninput users : тыс. человек\ninput pop : млн человек > 0\n"
        "input subs : на 100 жителей\nshare = users / pop\ntotal = subs * pop\n",
        encoding="utf-8",
    )
    assert main(["check", str(tmp_path / "u.kzf"), "--units"]) == 0
    out = capsys.readouterr().out
    assert "  share  0.001\n" in out and "  total  10 000\n" in out
