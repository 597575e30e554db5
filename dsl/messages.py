"""The command line's messages in Kazakh and Russian: a gettext message catalogue.

Diagnostics are made in English (the API, the JSON and SARIF documents and the tests read
them so). A diagnostic made with `localised(code, template, span, **values)` (or
`localised_warning`, `localised_data_error`) also keeps its template and values, and when kzf
speaks Kazakh or Russian its text is the template's translation filled with the same values;
a message made from a plain literal (`error(code, "...")`) is translated word for word, and
so are notes; a data file's place (`file.csv, row 3, column 'x'`) is translated apart from
the message. The translations are gettext catalogues, `dsl/locale/kk.po` and
`dsl/locale/ru.po` (msgid the English template, msgstr the translation), read with Babel.
`tests/lang/test_messages.py` reads the package's source: every message and note is a
literal or a template (no f-string, which no catalogue could translate), and both catalogues
translate each of them, with the same `{fields}`, and hold nothing else.

The language: `set_language` (the command line's `--lang`, on the commands that have it),
else KZF_LANG, else the locale (LC_ALL, LC_MESSAGES, LANG: `ru_RU.UTF-8` is Russian), else
English.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

LANGUAGES = ("kk", "ru")  # with a catalogue; English is the templates themselves
_chosen: list[str] = []

# the framing every diagnostic has, translated whatever made it
SEVERITY_WORDS = {
    "kk": {"error": "қате", "warning": "ескерту", "note": "хабарлама"},
    "ru": {"error": "ошибка", "warning": "предупреждение", "note": "примечание"},
}
NOTE_WORD = {"kk": "түсініктеме", "ru": "пояснение", "en": "note"}


def set_language(lang: str | None) -> None:
    """The language of this process's messages (None: from KZF_LANG or the locale)."""
    _chosen.clear()
    if lang:
        _chosen.append(lang)


def language() -> str:
    """kk, ru or en."""
    candidates = [*_chosen, os.environ.get("KZF_LANG", "")]
    candidates += [os.environ.get(v, "") for v in ("LC_ALL", "LC_MESSAGES", "LANG")]
    for value in candidates:
        if not value:
            continue
        lang = value.split("-")[0].split("_")[0].split(".")[0].lower()
        return lang if lang in LANGUAGES else "en"
    return "en"


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The translations of `lang`'s catalogue: {English template: translation}."""
    from babel.messages.pofile import read_po

    source = resources.files("kzf.dsl").joinpath("locale", f"{lang}.po")
    with source.open("rb") as f:
        parsed = read_po(f, locale=lang)
    return {str(m.id): str(m.string) for m in parsed if m.id and m.string}


# The names of scripts a look-alike name mixes (`{scripts}`: "Latin and Cyrillic",
# diagnostics.suggestion), said in the language; a script not listed keeps its English name
SCRIPT_NAMES = {
    "kk": ({"Latin": "латын", "Cyrillic": "кирилл", "Greek": "грек"}, " және "),
    "ru": ({"Latin": "латиница", "Cyrillic": "кириллица", "Greek": "греческий алфавит"}, " и "),
}


@dataclass(frozen=True)
class Phrase:
    """A part of a message in kzf's own words, with values of its own (`the left side of
    '{op}'`), given to a message's template as a value (`{what} must be a number`): said in
    the message's language with it. `str()` is the English."""

    template: str
    values: tuple[tuple[str, str | Phrase], ...] = ()  # a value may be a phrase in turn

    def __str__(self) -> str:
        return self.template.format(**dict(self.values))

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


def phrased(template: str, /, **values: object) -> Phrase:
    """A Phrase from its template and values (the catalogue test reads these calls)."""
    return Phrase(template, tuple(kept(values).items()))


def kept(values: Mapping[str, object]) -> dict[str, str | Phrase]:
    """A message's values as it keeps them: text, or a Phrase to be said in its language."""
    return {k: v if isinstance(v, Phrase) else str(v) for k, v in values.items()}


def listed(quoted: list[str], limit: int, empty: str | Phrase = "") -> str | Phrase:
    """`'a', 'b', 'c' and 3 more`: the first `limit` of some names (already quoted as the
    message shows them), the rest counted, in the message's language; `empty` for none."""
    if not quoted:
        return empty
    shown = ", ".join(quoted[:limit])
    if len(quoted) > limit:
        return phrased("{names} and {more} more", names=shown, more=len(quoted) - limit)
    return shown


def translated(template: str, values: Mapping[str, object], lang: str | None = None) -> str | None:
    """`template` in `lang` (default: this process's language) with `values`, or None when
    kzf speaks English or the catalogue lacks it. The values are as given, but for phrases
    (Phrase: said in the language too) and the names of scripts (`{scripts}`), which are
    kzf's own words."""
    lang = lang or language()
    if lang not in LANGUAGES:
        return None
    text = catalogue(lang).get(template)
    if not text:
        return None
    said = {k: _said(v, lang) for k, v in values.items()}
    if "scripts" in said:
        names, joined = SCRIPT_NAMES[lang]
        scripts = [names.get(s, s) for s in said["scripts"].split(" and ")]
        said["scripts"] = joined.join(scripts)
    return text.format(**said)


def _said(value: object, lang: str) -> str:
    """A value of a message as the message in `lang` says it."""
    if isinstance(value, Phrase):
        found = translated(value.template, dict(value.values), lang)
        return found if found is not None else str(value)
    return str(value)


def say(template: str, /, lang: str | None = None, **values: object) -> str:
    """A text of the command line that is not a diagnostic (`kzf test`'s lines, `kzf
    check`'s summary): `template` in `lang` (default: this process's language) filled with
    `values`, else in English. The catalogue test reads the templates of these calls."""
    shown = kept(values)
    found = translated(template, shown, lang)
    return found if found is not None else template.format(**shown)


def phrase(text: str, lang: str | None = None) -> str:
    """`text` as the catalogue of `lang` (default: this process's language) words it, as it
    is (no fields filled: a help text may hold braces), or `text` itself."""
    lang = lang or language()
    if lang not in LANGUAGES:
        return text
    return catalogue(lang).get(text, text)


__all__ = ["LANGUAGES", "catalogue", "language", "phrase", "set_language", "translated"]
