"""The command line in Kazakh and Russian (issue 20, item 5): a gettext message catalogue
(dsl/locale/kk.po, ru.po) read for the language of --lang, KZF_LANG or the locale.

The expected texts are the translations as the catalogues give them, typed here; what is
checked is that kzf says them, with the values filled in, in the framing words of the
language, and English where it was asked for or where no translation exists yet.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "dsl" / "locale"
# The functions that make a diagnostic, and the position of the first note among their
# arguments (the message is the second): error(code, message, span, *notes), ...
MAKERS = {
    "error": 3,
    "warning": 3,
    "data_error": 3,
    "localised": 3,
    "localised_data_error": 3,
    "localised_warning": None,  # its notes are one argument: a list
    "localised_unknown": 5,  # its message is three templates: (none near, near, look-alike)
}
# Functions that say a text of the command line that is not a diagnostic, and the position
# of its template: messages.say(template, ...), expect.failed(expect, template, ...)
SAYERS = {"say": 0, "failed": 1, "phrased": 0}
# Source files whose messages are not in the catalogues yet (said in English inside the
# translated framing); the others' are all translated, and made from templates, not f-strings
NOT_YET: set[str] = set()
# the templates kzf localises that are put together in code, so that no literal of the
# source holds them whole (each with the suggestion endings it may take)
TEMPLATES = [
    "undefined name '{name}'",
    "undefined name '{name}'; did you mean '{suggestion}'?",
    "undefined name '{name}'; did you mean '{suggestion}'? ('{name}' has {scripts} letters that look alike)",
    "unknown function '{name}'",
    "unknown function '{name}'; did you mean '{suggestion}'?",
    "unknown function '{name}'; did you mean '{suggestion}'? ('{name}' has {scripts} letters that look alike)",
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
            "ln() of a value <= 0 gave a missing value",
            "log10() of a value <= 0 gave a missing value",
            "sqrt() of a negative value gave a missing value",
        )
        for more in ("", " and {more} more")
    ],
    "used by {names}",
    # a data error's message and its place, said apart (dsl/diagnostics.py Diagnostic.place)
    "duplicate row for ({key}){what}: rows {first} and {second}",
    "missing input column {input}",
    "missing input column {input} (did you mean '{suggestion}'?)",
    "no rows for input {input} in column '{column_name}'",
    "no rows for input {input} in column '{column_name}' (did you mean '{suggestion}'?)",
    "{path}, row {row}",
    "{path}, column '{column}'",
    "{path}, row {row}, column '{column}'",
    # notes chosen or returned by helpers, messages built as a Diagnostic (a rule's)
    "each combination of the dims may appear only once",
    "the program declares no dims, so the file may hold only one value per input",
    "the file seems to use decimal commas: pass --decimal ',' (decimal=',')",
    "the decimal separator was set to ',' but this cell uses '.'",
    "declare `dims ...` in the .kzf file to match the file's columns",
    "the file has year columns ({years}, ...) but no 'indicator' column, so it cannot be read as a years-as-columns table",
    "save it as .xlsx",
    "convert it to one of these",
    "unmerge the cells and put each column's name in row {number} (titles go in another sheet)",
    "or, when the header is lower down, give its row: --header-row N",
    "with --param {params}: the file's checks did not find this",
    "rule '{name}'{code} fails on {count} row(s){said}: {listed}",
    "rule '{name}'{code} fails on {count} row(s){said}: {listed} and {more} more",
    "set KZF_DUCKDB_MEMORY_LIMIT to a size this process can use (for example 2GB); beyond it DuckDB spills to disk, so a limit below the data's size is fine",
    "set KZF_SPARK_DRIVER_MEMORY (spark.driver.memory, for example 8g): in local mode every task runs in the driver; Spark spills what it sorts and caches to disk",
    "set KZF_SPARK_EXECUTOR_MEMORY (spark.executor.memory, for example 4g), or give the job more partitions with KZF_SPARK_PARTITIONS (spark.sql.shuffle.partitions); the driver holds only the checks' counts and what is shown",
    "up to renaming: {pairs}",
    "counterexample: {assignment}",
    "counterexample: {assignment}: {left} = {left_value}, {right} = {right_value}",
]


def with_rows(message: str) -> list[str]:
    """A message about rows as the catalogue holds it: with the rows it names, and with as
    many more (engine/run/relevance.py row_warning)."""
    return [f"{message} in rows {{rows}}", f"{message} in rows {{rows}} and {{more}} more"]


def said_in_source(files: list[Path] | None = None) -> tuple[set[str], list[str]]:
    """The texts of the diagnostics the package makes from literals (messages, templates and
    notes, messages about rows made with `rows_message`, and the tables of templates the
    code chooses from, named NAME_TEMPLATES, or NAME_ROWS_TEMPLATES for messages about rows),
    which
    the catalogues must translate; and where a message or a note is made from
    an f-string or a sum of strings instead, which no catalogue can translate (a template
    and its values, `localised(code, "... {name} ...", name=...)`, can)."""
    if files is None:
        files = sorted([*(ROOT / "dsl").rglob("*.py"), *(ROOT / "engine").rglob("*.py")])
    texts: set[str] = set()
    unsaid: list[str] = []

    def take(node: ast.expr, where: str) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            texts.add(node.value)
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Tuple | ast.List):
            for chosen in node.value.elts:  # one of several whole sentences: ("a", "b")[i]
                take(chosen, where)
        elif isinstance(node, ast.Tuple) and node.elts:  # a note: (template, values)
            take(node.elts[0], where)
        elif isinstance(node, ast.JoinedStr | ast.BinOp):
            unsaid.append(where)

    for path in files:
        shown = str(path.relative_to(ROOT))
        if shown in NOT_YET:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                # a table of templates, chosen from by the code (NAME_TEMPLATE(S) = ...)
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                named = [t.id for t in targets if isinstance(t, ast.Name)]
                if any(n.endswith(("_TEMPLATE", "_TEMPLATES")) for n in named):
                    about_rows = any(n.endswith("_ROWS_TEMPLATES") for n in named)
                    table = node.value  # of a dict, its values: the keys choose
                    held = table.values if isinstance(table, ast.Dict) else [table]
                    for value in held:
                        for part in ast.walk(value):
                            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                                texts.update(with_rows(part.value) if about_rows else [part.value])
                continue
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name in SAYERS and len(node.args) > SAYERS[name]:  # texts that are not diagnostics
                take(node.args[SAYERS[name]], f"{shown}:{node.lineno}")
                continue
            if name == "rows_message" and node.args:  # said with the rows it names
                message = node.args[0]
                if isinstance(message, ast.Constant) and isinstance(message.value, str):
                    texts.update(with_rows(message.value))
                elif isinstance(message, ast.JoinedStr | ast.BinOp):
                    unsaid.append(f"{shown}:{node.lineno}")
                continue
            if name not in MAKERS or len(node.args) < 2:
                continue
            where = f"{shown}:{node.lineno}"
            if name == "localised_unknown" and isinstance(node.args[1], ast.Tuple):
                for sentence in node.args[1].elts:
                    take(sentence, where)
            else:
                take(node.args[1], where)
            first_note = MAKERS[name]
            notes: list[ast.expr] = []
            if first_note is not None:
                notes = list(node.args[first_note:])
            else:
                given = node.args[3:4] + [k.value for k in node.keywords if k.arg == "notes"]
                for value in given:
                    if isinstance(value, ast.List | ast.Tuple):
                        notes += value.elts
            for note in notes:
                if not isinstance(note, ast.Starred):
                    take(note, where)
    return texts, unsaid


def test_every_message_is_made_from_a_literal_or_a_template() -> None:
    """No message or note of the translated files is an f-string or a sum: those reach the
    user in English whatever the language."""
    _, unsaid = said_in_source()
    assert not unsaid, unsaid


def _catalogue(lang: str) -> dict[str, str]:
    with open(LOCALE / f"{lang}.po", "rb") as f:
        return {str(m.id): str(m.string) for m in read_po(f) if m.id}


def _computed() -> list[str]:
    """Templates the package puts together from parts, as the package lists them."""
    from kzf.engine.checks.units import mismatch_templates
    from kzf.engine.core.builtins import argument_words

    return mismatch_templates() + argument_words()


def _help_texts() -> list[str]:
    from kzf.engine.cli.helptext import texts
    from kzf.engine.cli.main import _parser

    return texts(_parser())


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_each_catalogue_translates_every_template_with_the_same_fields(lang: str) -> None:
    """Every localised message and every text of the command line's help (descriptions,
    epilogs, headings, each option's help, argparse's own words), and nothing else."""
    found = _catalogue(lang)
    said, _ = said_in_source()
    expected = said | set(TEMPLATES) | set(_help_texts()) | set(_computed())
    assert not expected - set(found), sorted(expected - set(found))
    assert not set(found) - expected, sorted(set(found) - expected)
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


@pytest.mark.parametrize(
    ("lang", "said", "noted"),
    [
        (
            "ru",
            "предупреждение[KZF310]: знаменатель `b` может быть равен 0: у b нет объявленной "
            "области значений",
            "  = пояснение: объявите, какие значения допускают данные, например `input b > 0`",
        ),
        (
            "kk",
            "ескерту[KZF310]: `b` бөлімі 0 болуы мүмкін: b үшін мәндер облысы жарияланбаған",
            "  = түсініктеме: деректер рұқсат ететін мәндерді жариялаңыз, мысалы `input b > 0`",
        ),
    ],
)
def test_a_checks_warning_and_its_note_in_the_language(tmp_path, lang, said, noted) -> None:
    """KZF310, the warning `kzf check` gives most (a denominator not proved nonzero): its
    message and its note, a template with the name filled in."""
    (tmp_path / "f.kzf").write_text("dims entity, year\ninput a, b\ny = a / b\n", encoding="utf-8")
    done = _kzf(tmp_path, {"KZF_LANG": lang}, "check", "f.kzf")
    assert said in done.stderr
    assert noted in done.stderr


def test_a_message_the_catalogue_lacks_keeps_its_english_inside_the_framing() -> None:
    """A text made elsewhere (an exception's, a user's rule) reaches the user as it is."""
    from kzf.dsl import messages
    from kzf.dsl.diagnostics import warning

    found = warning("KZF170", "a text no catalogue holds", None, "nor this note")
    try:
        messages.set_language("ru")
        shown = found.render()
    finally:
        messages.set_language(None)
    assert (
        shown == "предупреждение[KZF170]: a text no catalogue holds\n  = пояснение: nor this note"
    )


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


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        (
            "ru",
            "неизвестное имя 'еgdi'; может быть, 'egdi'? (в 'еgdi' есть похожие буквы разных "
            "алфавитов: кириллица и латиница)",
        ),
        (
            "kk",
            "белгісіз атау 'еgdi'; мүмкін, 'egdi'? ('еgdi' ішінде әртүрлі әліпбидің ұқсас "
            "әріптері бар: кирилл және латын)",
        ),
    ],
)
def test_the_scripts_of_a_look_alike_name_are_named_in_the_language(lang, said) -> None:
    """`еgdi` with a Cyrillic е: the scripts it mixes are kzf's words, so they are said in
    the language too, in the order the name has them."""
    from kzf.dsl.diagnostics import localised, suggestion

    tail, values = suggestion("\u0435gdi", ["egdi", "gdp"])
    found = localised("KZF010", "undefined name '{name}'" + tail, None, **values)
    assert found.message.endswith("('еgdi' has Cyrillic and Latin letters that look alike)")
    assert found.text(lang) == said


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        (
            "ru",
            "примечание[KZF260]: fill_previous() заполнила пропуски (значений: 1) последним "
            "наблюдённым значением за более ранний год в строках (KZ, 2021)",
        ),
        (
            "kk",
            "хабарлама[KZF260]: fill_previous() жетіспейтін мәндерді (саны: 1) ертеректегі "
            "соңғы бақыланған жылдың мәнімен толтырды; жолдар: (KZ, 2021)",
        ),
    ],
)
def test_a_note_of_an_imputation_with_its_count_in_the_language(tmp_path, lang, said) -> None:
    """A note about rows whose sentence holds values (how many were imputed): its template
    and values reach the command line (rows_message), not an English sentence."""
    (tmp_path / "f.kzf").write_text("dims entity, year\ninput a\ny = fill_previous(a)\n")
    (tmp_path / "d.csv").write_text("entity,year,a\nKZ,2020,1\nKZ,2021,\nKZ,2022,3\n")
    done = _kzf(tmp_path, {"KZF_LANG": lang}, "eval", "f.kzf", "--data", "d.csv")
    assert done.returncode == 0, done.stderr
    assert said in done.stderr


def test_complete_says_its_hierarchy_in_the_language_with_many_rows() -> None:
    """complete()'s note names its hierarchy inside the sentence, on every engine (the
    message reaches row_warning as a template and values)."""
    from kzf.dsl.diagnostics import rows_message
    from kzf.engine.run.relevance import row_warning

    message = rows_message(
        "complete() computed missing totals of hierarchy '{hierarchy}' from their children",
        hierarchy="geo",
    )
    found = row_warning("KZF265", message, None, "(North, 2021)", 4, {}, 0)
    assert found.message == (
        "complete() computed missing totals of hierarchy 'geo' from their children in rows "
        "(North, 2021) and 4 more"
    )
    assert found.text("ru") == (
        "complete() вычислила недостающие итоги иерархии 'geo' по их дочерним элементам в "
        "строках (North, 2021) и ещё 4"
    )


@pytest.mark.parametrize(
    ("lang", "lines"),
    [
        (
            "ru",
            [
                "  верно    y[KZ, 2020] = 2: вычислено 2",
                "  ОШИБКА   y[KZ, 2021] = 5: вычислено 4",
                "  ОШИБКА   y[KZ, 2030] = 1: вычислено нет значения; в данных нет такой строки",
                "воспроизведено 1, известных опечаток 0, не воспроизведено 2, файлов с ошибками: 0",
            ],
        ),
        (
            "kk",
            [
                "  дұрыс    y[KZ, 2020] = 2: есептелгені 2",
                "  ҚАТЕ     y[KZ, 2021] = 5: есептелгені 4",
                "  ҚАТЕ     y[KZ, 2030] = 1: есептелгені мән жоқ; деректерде мұндай жол жоқ",
                "қайта есептелді 1, белгілі қателіктер 0, сәйкес келмеді 2, қатесі бар файлдар: 0",
            ],
        ),
        (
            "en",
            [
                "  ok       y[KZ, 2020] = 2: computed 2",
                "  FAILED   y[KZ, 2021] = 5: computed 4",
                "  FAILED   y[KZ, 2030] = 1: computed missing; no such row in the data",
                "1 reproduced, 0 known errata, 2 failed, 0 file(s) with errors",
            ],
        ),
    ],
)
def test_kzf_test_reports_in_the_language(tmp_path, lang, lines) -> None:
    """`kzf test`: each expectation's outcome and the summary in the language; the file's
    own text (names, keys, values) as written."""
    (tmp_path / "d.csv").write_text("entity,year,a\nKZ,2020,1\nKZ,2021,2\n", encoding="utf-8")
    (tmp_path / "f.kzf").write_text(
        'dims entity, year\ndata "d.csv"\ninput a\ny = 2 * a\n'
        "expect y[KZ, 2020] = 2\nexpect y[KZ, 2021] = 5\nexpect y[KZ, 2030] = 1\n",
        encoding="utf-8",
    )
    done = _kzf(tmp_path, {"KZF_LANG": lang}, "test", "f.kzf")
    assert done.returncode == 1, done.stderr
    for line in lines:
        assert line in done.stdout.splitlines(), (line, done.stdout)


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        (
            "ru",
            [
                "ошибка[KZF017]: правая часть '+': должно быть число, а это условие",
                "ошибка[KZF017]: нижняя граница clamp(): должно быть число, а это условие",
            ],
        ),
        (
            "kk",
            [
                "қате[KZF017]: '+' оң жағы: сан болуы керек, ал бұл — шарт",
                "қате[KZF017]: clamp() — төменгі шек: сан болуы керек, ал бұл — шарт",
            ],
        ),
        (
            "en",
            [
                "error[KZF017]: the right side of '+' must be a number, but this is a condition",
                "error[KZF017]: the lower bound of clamp() must be a number, but this is a condition",
            ],
        ),
    ],
)
def test_the_part_of_a_formula_a_type_error_names_is_said_in_the_language(
    tmp_path, lang, said
) -> None:
    """`{what}` of a type error is kzf's own phrase (the right side of '+', the lower bound
    of clamp(), a phrase within a phrase), so it is translated with the message."""
    (tmp_path / "g.kzf").write_text(
        "dims entity, year\ninput a\ny = a + (a > 1)\nz = clamp(a, a > 1, 2)\n", encoding="utf-8"
    )
    done = _kzf(tmp_path, {"KZF_LANG": lang}, "check", "g.kzf")
    assert done.returncode == 2, done.stderr
    for text in said:
        assert text in done.stderr, (text, done.stderr)


def test_why_pandas_reads_the_data_is_said_in_the_language(tmp_path) -> None:
    """KZF160: the note and its reason (the engine's own words about the file) in Russian."""
    (tmp_path / "h.kzf").write_text("dims entity, year\ninput a\ny = a * 2\n", encoding="utf-8")
    (tmp_path / "g.txt").write_text("entity,year,a\nKZ,2020,1\n", encoding="utf-8")
    done = _kzf(
        tmp_path, {"KZF_LANG": "ru"}, "eval", "h.kzf", "--data", "g.txt", "--engine", "duckdb"
    )
    assert done.returncode == 0, done.stderr
    assert (
        "примечание[KZF160]: g.txt прочитан pandas в этом процессе, а не duckdb: "
        "файлы .txt читает pandas"
    ) in done.stderr


def test_a_list_in_a_message_counts_the_rest_in_the_language(tmp_path) -> None:
    """`'c1', ..., 'c12' and 3 more` inside a note: the count is said in the language."""
    header = ",".join(["entity", "year", *[f"c{i}" for i in range(1, 14)]])
    (tmp_path / "d.csv").write_text(header + "\nKZ,2020" + ",1" * 13 + "\n", encoding="utf-8")
    (tmp_path / "m.kzf").write_text("dims entity, year\ninput zz\ny = zz * 2\n")
    shown = ", ".join(f"'{c}'" for c in ["entity", "year", *[f"c{i}" for i in range(1, 11)]])
    for lang, said in (
        ("ru", f"  = пояснение: в файле столбцы {shown} и ещё 3"),
        ("kk", f" {shown} және тағы 3"),
        ("en", f"  = note: the file has columns {shown} and 3 more"),
    ):
        done = _kzf(tmp_path, {"KZF_LANG": lang}, "eval", "m.kzf", "--data", "d.csv")
        assert done.returncode == 1
        assert said in done.stderr, (lang, done.stderr)
