"""The words of reports and tables in Kazakh, Russian and English, and numbers as each writes them.

The names of a file's definitions and inputs come from its `label` statements
(`label K kk "…" ru "…" en "…"`); everything else a report says (headings, column titles,
statuses) is in `STRINGS` below. A name without a label in the chosen language is shown as
written in the file, never in another language.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping

from kzf.engine.core import locales

LANGUAGES = ("kk", "ru", "en")
DEFAULT_LANGUAGE = "en"

# Thousands are grouped with a no-break space in Kazakh and Russian, with a comma in English;
# the decimal mark is a comma in Kazakh and Russian, a point in English: CLDR's symbols,
# read through Babel (engine/core/locales.py).
# (looked up when a number is written, not when kzf starts: Babel loads CLDR's data then)
MISSING = "–"

STRINGS: dict[str, dict[str, str]] = {
    "report": {
        "kk": "Әдістеме бойынша есеп",
        "ru": "Отчёт по методике",
        "en": "Methodology report",
    },
    "contents": {"kk": "Мазмұны", "ru": "Содержание", "en": "Contents"},
    "methodology": {"kk": "Әдістеме", "ru": "Методика", "en": "Methodology"},
    "source": {"kk": "Дереккөз", "ru": "Источник", "en": "Source"},
    "file": {"kk": "Файл", "ru": "Файл", "en": "File"},
    "data": {"kk": "Деректер", "ru": "Данные", "en": "Data"},
    "generated": {
        "kk": "kzf {version} жасаған",
        "ru": "Подготовлено kzf {version}",
        "en": "Made with kzf {version}",
    },
    "function": {"kk": "Функция", "ru": "Функция", "en": "Function"},
    "unit": {"kk": "Өлшем бірлігі", "ru": "Единица измерения", "en": "Unit"},
    "inputs": {"kk": "Кіріс деректер", "ru": "Исходные данные", "en": "Inputs"},
    "uses": {"kk": "Пайдаланады", "ru": "Использует", "en": "Uses"},
    "params": {"kk": "Параметрлер", "ru": "Параметры", "en": "Parameters"},
    "parameter": {"kk": "Параметр", "ru": "Параметр", "en": "Parameter"},
    "value": {"kk": "Мәні", "ru": "Значение", "en": "Value"},
    "dictionary": {"kk": "Деректер сөздігі", "ru": "Словарь данных", "en": "Data dictionary"},
    "indicator": {"kk": "Көрсеткіш", "ru": "Показатель", "en": "Indicator"},
    "description": {"kk": "Сипаттамасы", "ru": "Описание", "en": "Description"},
    "domain": {"kk": "Рұқсат етілген мәндер", "ru": "Допустимые значения", "en": "Allowed values"},
    "entities": {"kk": "Нысандар", "ru": "Объекты", "en": "Entities"},
    "years": {"kk": "Жылдар", "ru": "Годы", "en": "Years"},
    "missing": {"kk": "Бос ұяшықтар", "ru": "Пропущено ячеек", "en": "Missing cells"},
    "of": {"kk": "{total} ішінен {n}", "ru": "{n} из {total}", "en": "{n} of {total}"},
    "panel": {
        "kk": "{rows} {rows|жол|жол}: {dims} бойынша.",
        "ru": "{rows} {rows|строка|строки|строк} по измерениям {dims}.",
        "en": "{rows} {rows|row|rows} by {dims}.",
    },
    "results": {"kk": "Нәтижелер", "ru": "Результаты", "en": "Results"},
    "by_row": {
        "kk": "Жылдар бойынша мәндер",
        "ru": "Значения по годам",
        "en": "Values by year",
    },
    "by_entity": {
        "kk": "Әр нысанның бір мәні бар көрсеткіштер",
        "ru": "Показатели с одним значением на объект",
        "en": "One value per entity",
    },
    "whole_panel": {
        "kk": "Бүкіл кезең бойынша бір мән",
        "ru": "Одно значение на всю выборку",
        "en": "One value for the whole panel",
    },
    "rows_left_out": {
        "kk": "Барлық мәндері бос жолдар көрсетілмеген. Сұрыптау үшін баған тақырыбын басыңыз.",
        "ru": "Строки, где все значения пропущены, не показаны. "
        "Чтобы отсортировать, щёлкните заголовок столбца.",
        "en": "Rows where every value is missing are left out. Click a column header to sort.",
    },
    "no_rows": {"kk": "Мәндер жоқ.", "ru": "Значений нет.", "en": "No values."},
    "models": {"kk": "Модельдер", "ru": "Модели", "en": "Models"},
    "charts": {"kk": "Диаграммалар", "ru": "Графики", "en": "Charts"},
    "composite": {"kk": "Құрама индекс", "ru": "Композитный индекс", "en": "Composite index"},
    "composite_intro": {
        "kk": "{index} индексінің құрылымы мен тексерісі{when}: {entities} нысан, "
        "{leaves} көрсеткіш.",
        "ru": "Структура и проверка индекса {index}{when}: {entities} "
        "{entities|объект|объекта|объектов}, {leaves} "
        "{leaves|показатель|показателя|показателей}.",
        "en": "The framework and audit of {index}{when}: {entities} "
        "{entities|entity|entities}, {leaves} {leaves|indicator|indicators}.",
    },
    "in_year": {"kk": ", {year} жыл", "ru": ", {year} год", "en": " in {year}"},
    "chart_framework": {
        "kk": "Құрылымы: әр сектор индекстегі тиімді салмағы бойынша",
        "ru": "Структура: каждый сектор по своему эффективному весу в индексе",
        "en": "Framework: each wedge spans its effective weight in the index",
    },
    "chart_correlations": {
        "kk": "Корреляциялар (Пирсон r)",
        "ru": "Корреляции (r Пирсона)",
        "en": "Correlations (Pearson's r)",
    },
    "chart_correlations_nodes": {
        "kk": "Корреляциялар (Пирсон r), индекс пен оның түйіндері",
        "ru": "Корреляции (r Пирсона): индекс и его узлы",
        "en": "Correlations (Pearson's r): the index and its nodes",
    },
    "chart_distributions": {
        "kk": "Көрсеткіштердің таралуы",
        "ru": "Распределения показателей",
        "en": "Distributions of the indicators",
    },
    "chart_contributions": {
        "kk": "Индекске үлестер",
        "ru": "Вклады в индекс",
        "en": "Contributions to the index",
    },
    "chart_uncertainty": {
        "kk": "Орындардың белгісіздігі ({runs} есептеу, 5–95 %)",
        "ru": "Неопределённость мест ({runs} {runs|расчёт|расчёта|расчётов}, 5–95 %)",
        "en": "Rank uncertainty ({runs} {runs|run|runs}, 5th–95th percentile)",
    },
    "median_rank": {"kk": "Медиана орны", "ru": "Медианное место", "en": "Median rank"},
    "nominal_rank": {"kk": "Номиналды орны", "ru": "Номинальное место", "en": "Nominal rank"},
    "chart_series": {"kk": "жылдар бойынша", "ru": "по годам", "en": "over time"},
    "chart_ranks": {
        "kk": "жыл сайынғы орны (1 = ең үлкені)",
        "ru": "место по годам (1 = наибольшее)",
        "en": "rank per year (1 = largest)",
    },
    "chart_places": {"kk": "жыл сайынғы орны", "ru": "место по годам", "en": "place per year"},
    "chart_bars": {"kk": "{year} жыл", "ru": "{year} год", "en": "{year}"},
    "chart_bars_entity": {"kk": "нысандар бойынша", "ru": "по объектам", "en": "by entity"},
    "rank": {"kk": "Орны", "ru": "Место", "en": "Rank"},
    "checks": {"kk": "Тексерулер", "ru": "Проверки", "en": "Checks"},
    "expectations": {
        "kk": "Жарияланған мәндер",
        "ru": "Опубликованные значения",
        "en": "Published values",
    },
    "reproduced": {"kk": "қайталанды", "ru": "воспроизведено", "en": "reproduced"},
    "erratum": {"kk": "қате (erratum)", "ru": "опечатка", "en": "erratum"},
    "failed": {"kk": "сәйкес келмеді", "ru": "не совпало", "en": "failed"},
    "derived": {"kk": "туынды мән", "ru": "производное", "en": "derived"},
    "unreproducible": {
        "kk": "қайталау мүмкін емес",
        "ru": "невоспроизводимо",
        "en": "cannot be reproduced",
    },
    "status": {"kk": "Нәтиже", "ru": "Итог", "en": "Status"},
    "cell": {"kk": "Ұяшық", "ru": "Ячейка", "en": "Cell"},
    "published": {"kk": "Жарияланған", "ru": "Опубликовано", "en": "Published"},
    "computed": {"kk": "Есептелген", "ru": "Вычислено", "en": "Computed"},
    "rounding": {"kk": "Дөңгелектеу", "ru": "Округление", "en": "Rounding"},
    "round": {"kk": "дөңгелектеу, {d} таңба", "ru": "округление, {d} зн.", "en": "round, {d} dp"},
    "trunc": {"kk": "қию, {d} таңба", "ru": "отбрасывание, {d} зн.", "en": "truncate, {d} dp"},
    "note": {"kk": "Ескертпе", "ru": "Примечание", "en": "Note"},
    "warnings": {"kk": "Ескертулер", "ru": "Предупреждения", "en": "Warnings"},
    "validation": {"kk": "Тексеру ережелері", "ru": "Правила проверки", "en": "Validation rules"},
    "failing_rows": {
        "kk": "Ережеге сай келмейтін жолдар",
        "ru": "Строки, не прошедшие проверку",
        "en": "Rows that fail a rule",
    },
    "no_failures": {
        "kk": "Барлық жол ережелерге сай келеді.",
        "ru": "Все строки прошли проверку.",
        "en": "Every row meets the rules.",
    },
    "no_warnings": {
        "kk": "Тексеру мен есептеу ескертусіз өтті.",
        "ru": "Проверка и расчёт прошли без предупреждений.",
        "en": "Checking and evaluation gave no warnings.",
    },
    "allowed": {
        "kk": "Қабылданған ескертулер",
        "ru": "Принятые предупреждения",
        "en": "Accepted warnings",
    },
    "reason": {"kk": "Себебі", "ru": "Причина", "en": "Reason"},
    "asserts": {
        "kk": "Символдық тексерілген теңдіктер",
        "ru": "Символьно проверенные тождества",
        "en": "Identities checked symbolically",
    },
    "code": {"kk": "Код", "ru": "Код", "en": "Code"},
    "location": {"kk": "Орны", "ru": "Место", "en": "Where"},
    "message": {"kk": "Хабарлама", "ru": "Сообщение", "en": "Message"},
    "dimensionless": {"kk": "өлшемсіз", "ru": "безразмерная", "en": "dimensionless"},
    "condition": {"kk": "(шарт)", "ru": "(условие)", "en": "(condition)"},
    "entity": {"kk": "Нысан", "ru": "Объект", "en": "Entity"},
    "year": {"kk": "Жыл", "ru": "Год", "en": "Year"},
}


_PLURAL = re.compile(r"\{(\w+)\|([^{}]*)\}")


def text(key: str, lang: str, **fields: object) -> str:
    """A report string in `lang`, with `{fields}` filled in. `{rows|строка|строки|строк}`
    is the word for the number `rows` in the language's plural categories (CLDR's, in
    locales.plural_categories' order: ru one, few, many; en and kk one, other), and a number
    so counted is written with the language's grouping (1 234 строки)."""
    words = STRINGS[key]
    template = words.get(lang) or words[DEFAULT_LANGUAGE]
    counted = {m.group(1) for m in _PLURAL.finditer(template)}

    def word(m: re.Match[str]) -> str:
        count = float(str(fields[m.group(1)]))
        return locales.choose_plural(count, lang, m.group(2).split("|"))

    template = _PLURAL.sub(word, template)
    shown = {
        k: format_number(v, lang) if k in counted and isinstance(v, int) else v
        for k, v in fields.items()
    }
    return template.format(**shown) if fields else template


def check_language(lang: str | None) -> str:
    if lang is None:
        return DEFAULT_LANGUAGE
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGUAGES)}")
    return lang


def label(labels: Mapping[str, Mapping[str, str]], name: str, lang: str | None) -> str:
    """The name of a definition, input or dimension in `lang`, or the name as written."""
    if lang is None:
        return name
    own = labels.get(name, {})
    # the tag asked for, else its language's own (kk-Latn asked, kk-Cyrl or kk given: not
    # another script's, which a reader of kk-Latn may not read; kk asked: kk-Cyrl)
    for tag in (lang, f"{lang}-Cyrl" if "-" not in lang else ""):
        if tag and own.get(tag):
            return own[tag]
    if name in ("entity", "year") and lang in LANGUAGES:
        return text(name, lang)
    return name


def labels_for(
    labels: Mapping[str, Mapping[str, str]], names: Iterable[str], lang: str | None
) -> dict[str, str]:
    """{name: its label in lang} for the names that have one (dimensions included)."""
    out: dict[str, str] = {}
    for name in names:
        shown = label(labels, name, lang)
        if shown != name:
            out[name] = shown
    return out


# ---------------------------------------------------------------- numbers


def decimals_for(value: float) -> int:
    """How many decimals a value is shown with: fewer for large numbers, more for small."""
    size = abs(value)
    if size >= 1000:
        return 2
    if size >= 0.01 or size == 0:
        return 3
    # small values keep three significant digits: 0.000123
    return min(12, 2 - math.floor(math.log10(size)))


def format_exact(value: float, lang: str = DEFAULT_LANGUAGE) -> str:
    """A number with all the decimals it was written with (a published value: 12404.052)."""
    text = repr(float(value))
    if "e" in text or "inf" in text or "nan" in text:
        return format_number(value, lang)
    decimals = len(text.partition(".")[2].rstrip("0"))
    return format_number(value, lang, decimals)


def format_number(
    value: object, lang: str = DEFAULT_LANGUAGE, decimals: int | None = None, group: bool = True
) -> str:
    """A number as `lang` writes it: grouped thousands, trailing zeros trimmed, `–` if missing.

    >>> format_number(1234567.891, "ru")
    '1\\xa0234\\xa0567,89'
    >>> format_number(2.5, "en")
    '2.5'
    """
    if value is None:
        return MISSING
    try:
        f = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(f):
        return MISSING
    if math.isinf(f):
        return "∞" if f > 0 else "−∞"
    d = decimals_for(f) if decimals is None else decimals
    body = f"{abs(f):,.{d}f}"
    if "." in body:
        body = body.rstrip("0").rstrip(".")
    if body in ("0", ""):
        return "0"
    whole, _, frac = body.partition(".")
    known = lang in LANGUAGES
    whole = whole.replace(",", (locales.group_symbol(lang) if known else ",") if group else "")
    body = whole + ((locales.decimal_symbol(lang) if known else ".") + frac if frac else "")
    return ("−" if f < 0 else "") + body
