"""The command line in Kazakh and Russian (issue 20, item 5): a gettext message catalogue
(dsl/locale/kk.po, ru.po) read for the language of --lang, KZF_LANG or the locale.

The expected texts are the translations as the catalogues give them, typed here; what is
checked is that kzf says them, with the values filled in, in the framing words of the
language, and English where it was asked for or where no translation exists yet.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "dsl" / "locale"
# the templates kzf localises (each with the suggestion endings it may take), which both
# catalogues must translate
TEMPLATES = [
    "undefined name '{name}'",
    "undefined name '{name}'; did you mean '{suggestion}'?",
    "undefined name '{name}'; did you mean '{suggestion}'? ('{name}' has {scripts} letters that look alike)",
    "unknown function '{name}'",
    "unknown function '{name}'; did you mean '{suggestion}'?",
    "unknown function '{name}'; did you mean '{suggestion}'? ('{name}' has {scripts} letters that look alike)",
    "'{name}' is not a function",
    "file not found: {path}",
    "{path}, row {row}: duplicate row for ({key}){what}: rows {first} and {second}",
    "checked {count} file(s): no errors",
    "{path}: data file not found: '{source}'",
    "{path}: '{source}' is a directory, not a data file",
    "{path}, row {row}, column '{column}': empty value in dimension column '{dim}'",
    "{path}: missing input column {input}",
    "{path}: missing input column {input} (did you mean '{suggestion}'?)",
    "{path}: no rows for input {input} in column '{column_name}'",
    "{path}: no rows for input {input} in column '{column_name}' (did you mean '{suggestion}'?)",
    # the warnings about rows of a computation, on every engine (engine/run/relevance.py)
    *[
        f"{message} in rows {{rows}}{more}"
        for message in (
            "division by zero gave a missing value",
            "growth() from a zero base gave a missing value",
            "growth() from a negative base: the rate's sign is not the direction of the "
            "change (-10 to 5 gives -150 %)",
            "a result too large for float64 gave a missing value",
            "a negative number to a fractional power gave a missing value",
            "an infinite result gave a missing value",
        )
        for more in ("", " and {more} more")
    ],
    "used by {names}",
]


def _catalogue(lang: str) -> dict[str, str]:
    with open(LOCALE / f"{lang}.po", "rb") as f:
        return {str(m.id): str(m.string) for m in read_po(f) if m.id}


def _help_texts() -> list[str]:
    from kzf.engine.cli.helptext import texts
    from kzf.engine.cli.main import _parser

    return texts(_parser())


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_each_catalogue_translates_every_template_with_the_same_fields(lang: str) -> None:
    """Every localised message and every text of the command line's help (descriptions,
    epilogs, headings, each option's help, argparse's own words), and nothing else."""
    found = _catalogue(lang)
    assert set(found) == set(TEMPLATES) | set(_help_texts())
    for template, text in found.items():
        assert text and text != template, template
        fields = lambda s: sorted(set(re.findall(r"\{(\w+)\}", s)))  # noqa: E731
        assert fields(text) == fields(template), (lang, template)


def _kzf(tmp_path: Path, env_lang: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("KZF_LANG", "LC_ALL", "LC_MESSAGES", "LANG")
    }
    env.update(env_lang)
    return subprocess.run(
        [sys.executable, "-m", "kzf", *argv], capture_output=True, text=True, env=env, cwd=tmp_path
    )


BROKEN = "dims entity, year\ninput a\ny = a + bb\nz = lg(a)\nw = a(1)\n"


@pytest.mark.parametrize(
    ("env", "said"),
    [
        (
            {"KZF_LANG": "ru"},
            [
                "f.kzf:3:9: ошибка[KZF010]: неизвестное имя 'bb'",
                "f.kzf:4:5: ошибка[KZF014]: неизвестная функция 'lg'; может быть, 'lag'?",
                "f.kzf:5:5: ошибка[KZF014]: 'a' — не функция",
            ],
        ),
        (
            {"LANG": "kk_KZ.UTF-8"},  # the locale, when nothing else says
            [
                "f.kzf:3:9: қате[KZF010]: белгісіз атау 'bb'",
                "f.kzf:4:5: қате[KZF014]: белгісіз функция 'lg'; мүмкін, 'lag'?",
                "f.kzf:5:5: қате[KZF014]: 'a' функция емес",
            ],
        ),
        (
            {"LANG": "C.UTF-8"},
            [
                "f.kzf:3:9: error[KZF010]: undefined name 'bb'",
                "f.kzf:4:5: error[KZF014]: unknown function 'lg'; did you mean 'lag'?",
                "f.kzf:5:5: error[KZF014]: 'a' is not a function",
            ],
        ),
    ],
)
def test_errors_are_said_in_the_language_of_the_locale_or_kzf_lang(tmp_path, env, said) -> None:
    (tmp_path / "f.kzf").write_text(BROKEN, encoding="utf-8")
    done = _kzf(tmp_path, env, "check", "f.kzf")
    assert done.returncode == 2
    headlines = [line for line in done.stderr.splitlines() if "[KZF" in line]
    assert headlines == said


def test_a_data_error_and_the_summary_in_russian_and_kazakh(tmp_path) -> None:
    (tmp_path / "f.kzf").write_text("dims entity, year\ninput a\ny = 2 * a\n", encoding="utf-8")
    (tmp_path / "d.csv").write_text("entity,year,a\nKZ,2020,1\nKZ,2020,2\n", encoding="utf-8")
    ru = _kzf(tmp_path, {"KZF_LANG": "ru"}, "eval", "f.kzf", "--data", "d.csv")
    assert ru.returncode == 1
    assert (
        "ошибка[KZF103]: d.csv, строка 3: повторяющаяся строка (KZ, 2020): строки 2 и 3"
        in ru.stderr
    )
    kk = _kzf(tmp_path, {"KZF_LANG": "kk"}, "check", "f.kzf")
    assert kk.stderr.strip() == "тексерілген файлдар: 1; қате жоқ"
    missing = _kzf(tmp_path, {"KZF_LANG": "ru"}, "check", "nope.kzf")
    assert "ошибка[KZF020]: файл не найден: nope.kzf" in missing.stderr


def test_the_data_files_commonest_errors_in_russian_and_kazakh(tmp_path) -> None:
    (tmp_path / "f.kzf").write_text(
        "dims entity, year\ninput spend\ny = 2 * spend\n", encoding="utf-8"
    )
    (tmp_path / "d.csv").write_text("entity,year,spnd\nKZ,2020,1\n,2021,2\n", encoding="utf-8")
    ru = _kzf(tmp_path, {"KZF_LANG": "ru"}, "eval", "f.kzf", "--data", "d.csv")
    assert (
        "ошибка[KZF102]: d.csv: нет столбца входных данных 'spend' (может быть, 'spnd'?)"
        in ru.stderr
    )
    (tmp_path / "d.csv").write_text("entity,year,spend\nKZ,2020,1\n,2021,2\n", encoding="utf-8")
    kk = _kzf(tmp_path, {"KZF_LANG": "kk"}, "eval", "f.kzf", "--data", "d.csv")
    assert (
        "қате[KZF105]: d.csv, 3-жол, 'entity' бағаны: 'entity' өлшем бағанында бос мән" in kk.stderr
    )
    gone = _kzf(tmp_path, {"KZF_LANG": "ru"}, "eval", "f.kzf", "--data", "nope.csv")
    assert "ошибка[KZF101]: nope.csv: файл данных не найден: 'nope.csv'" in gone.stderr
    en = _kzf(tmp_path, {"KZF_LANG": "en"}, "eval", "f.kzf", "--data", "nope.csv")
    assert "error[KZF101]: nope.csv: data file not found: 'nope.csv'" in en.stderr


def test_the_commands_lang_chooses_the_messages_language_too(tmp_path) -> None:
    (tmp_path / "f.kzf").write_text(BROKEN, encoding="utf-8")
    (tmp_path / "d.csv").write_text("entity,year,a\nKZ,2020,1\n", encoding="utf-8")
    done = _kzf(tmp_path, {"KZF_LANG": "en"}, "eval", "f.kzf", "--data", "d.csv", "--lang", "ru")
    assert "ошибка[KZF010]: неизвестное имя 'bb'" in done.stderr


def test_an_untranslated_message_keeps_its_english_inside_the_languages_framing(tmp_path) -> None:
    (tmp_path / "f.kzf").write_text("dims entity, year\ninput a, b\ny = a / b\n", encoding="utf-8")
    done = _kzf(tmp_path, {"KZF_LANG": "ru"}, "check", "f.kzf")
    assert "предупреждение[KZF310]: the denominator `b` may be 0" in done.stderr
    assert "  = пояснение: declare what the data allows" in done.stderr


def test_json_and_sarif_stay_in_english_for_the_machines(tmp_path) -> None:
    (tmp_path / "f.kzf").write_text(BROKEN, encoding="utf-8")
    done = _kzf(tmp_path, {"KZF_LANG": "ru"}, "check", "f.kzf", "--diagnostics-format", "json")
    assert "undefined name 'bb'" in done.stdout and "неизвестное" not in done.stdout


@pytest.mark.parametrize(
    ("env", "argv", "said"),
    [
        (
            {"KZF_LANG": "ru"},
            ["eval", "--help"],
            [
                "использование: kzf eval [-h]",
                "Вычисляет FILE на панели и выводит или записывает результаты.",
                "позиционные аргументы:",
                "параметры:",
                "-h, --help            показать эту справку и выйти",
                "--select A,B          только эти определения, в этом порядке",
                "примеры:",
                "код выхода: 0 успех;",
            ],
        ),
        (
            {"KZF_LANG": "en"},
            ["eval", "--help", "--lang", "kk"],  # the command's --lang, before it is parsed
            [
                "қолданылуы: kzf eval [-h]",
                "позициялық аргументтер:",
                "опциялар:",
                "-h, --help            осы анықтаманы көрсетіп, шығу",
                "--where COND          COND орындалатын жолдарды қалдыру",
                "мысалдар:",
            ],
        ),
        (
            {"LANG": "ru_RU.UTF-8"},
            ["--help"],
            [
                "использование: kzf [-h] [--version] [--debug] COMMAND ...",
                "eval       вычислить файл формул на данных",
                "check      проверить файлы формул без данных",
            ],
        ),
        (
            {"LANG": "C.UTF-8"},
            ["eval", "--help"],
            [
                "usage: kzf eval [-h]",
                "positional arguments:",
                "-h, --help            show this help message and exit",
                "examples:",
            ],
        ),
    ],
)
def test_the_help_is_said_in_the_language_of_the_locale_kzf_lang_or_lang(
    tmp_path: Path, env: dict[str, str], argv: list[str], said: list[str]
) -> None:
    done = _kzf(tmp_path, env, *argv)
    assert done.returncode == 0, done.stderr
    for text in said:
        assert text in done.stdout, (text, done.stdout)


def test_a_usage_error_is_said_in_the_language_with_the_users_words_as_typed(
    tmp_path: Path,
) -> None:
    ru = _kzf(tmp_path, {"KZF_LANG": "ru"}, "eval", "--format", "xx", "f.kzf")
    assert ru.returncode == 2
    assert ru.stderr.startswith("использование: kzf eval")
    assert ru.stderr.splitlines()[-1] == (
        "kzf eval: ошибка: аргумент --format: недопустимое значение: 'xx' "
        "(выберите из: 'table', 'csv', 'json')"
    )
    kk = _kzf(tmp_path, {"KZF_LANG": "kk"}, "eval")
    assert kk.returncode == 2
    assert kk.stderr.splitlines()[-1] == "kzf eval: қате: мына аргументтер міндетті: FILE"


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_the_quick_starts_warning_in_kazakh_and_russian_on_every_engine(
    tmp_path: Path, engine: str
) -> None:
    """The warning `kzf eval formulas/egdi.kzf` gives (Kazakhstan's 2020 EGDI rank is
    missing, so one min-max has no spread there), and its note, in the language asked."""
    argv = ["eval", str(ROOT / "formulas" / "egdi.kzf"), "--data", str(ROOT / "data" / "eaeu.csv")]
    argv += ["--engine", engine, "--out", str(tmp_path / "out.csv")]
    kk = _kzf(tmp_path, {"KZF_LANG": "kk"}, *argv)
    assert kk.returncode == 0, kk.stderr
    assert "ескерту[KZF201]: нөлге бөлу жоқ мән берді; жолдар: (Kazakhstan, 2020)" in kk.stderr
    assert "= түсініктеме: мыналарда қолданылады: egdi_score_eaeu" in kk.stderr
    ru = _kzf(tmp_path, {"KZF_LANG": "ru"}, *argv)
    assert (
        "предупреждение[KZF201]: деление на ноль дало пропуск в строках (Kazakhstan, 2020)"
        in ru.stderr
    )
    assert "= пояснение: используется в: egdi_score_eaeu" in ru.stderr


def test_more_rows_than_named_are_counted_in_the_language(tmp_path: Path) -> None:
    (tmp_path / "f.kzf").write_text("dims entity, year\ninput a, b\ny = a / b\n", encoding="utf-8")
    rows = "".join(f"E{i},2020,1,0\n" for i in range(7))  # seven divisions by zero
    (tmp_path / "d.csv").write_text("entity,year,a,b\n" + rows, encoding="utf-8")
    ru = _kzf(tmp_path, {"KZF_LANG": "ru"}, "eval", "f.kzf", "--data", "d.csv", "--out", "o.csv")
    assert ru.returncode == 0, ru.stderr
    named = ", ".join(f"(E{i}, 2020)" for i in range(5))  # the first five, then a count
    assert f"деление на ноль дало пропуск в строках {named} и ещё 2" in ru.stderr
    en = _kzf(tmp_path, {"KZF_LANG": "en"}, "eval", "f.kzf", "--data", "d.csv", "--out", "o.csv")
    assert f"division by zero gave a missing value in rows {named} and 2 more" in en.stderr
    assert "= note: used by y" in en.stderr
