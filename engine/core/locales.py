"""Languages as CLDR describes them: number symbols, plural categories, language tags and the
order of names, for Kazakh, Russian and English (and any other language a label names).

- Number symbols and plural rules come from CLDR through Babel (its locale data is CLDR's):
  Kazakh and Russian write 1 234,5 (a no-break space between thousands, a decimal comma),
  English 1,234.5; Russian says 1 строка, 2 строки, 5 строк, 21 строка (one, few, many),
  English 1 row, 2 rows, Kazakh 1 жол, 21 жол (a noun after a numeral stays singular).
- Labels carry BCP 47 tags (`kk`, `kk-Latn`, `ru`, `en-GB`): a language CLDR knows, then an
  ISO 15924 script and an ISO 3166 region, written in their canonical case.
- Names sort as each language's alphabet orders them: in Kazakh Қазақстан comes before Ресей
  (Қ follows К), where the code points put every Kazakh letter after Я; in Russian ё sorts
  with е, as dictionaries (and CLDR's collation) do. Neither Babel nor any pure-Python package
  implements CLDR's collation tailorings (PyICU does, but has no wheels here and needs ICU
  compiled); the Cyrillic alphabets are short and fixed, so they are written out below, in
  the order of the Kazakh and Russian alphabets, and tested against them. Letters first
  (case, then accents, decide only between names otherwise equal), Latin before Cyrillic.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import cache

# the alphabets' orders: Kazakh's 42 letters (each of its own letters after the letter it is
# made from, і after ы), Russian's 33 (ё with е: _SECONDARY); other languages that write in
# Cyrillic get the Kazakh order, which holds the Russian one
_KAZAKH = "аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя"
_RUSSIAN = "абвгдежзийклмнопрстуфхцчшщъыьэюя"
_SECONDARY = {"ru": {"ё": "е"}}  # a letter sorted as another, after it when all else is equal

_TAG = re.compile(
    r"(?P<lang>[A-Za-z]{2,3})(?:-(?P<script>[A-Za-z]{4}))?(?:-(?P<region>[A-Za-z]{2}|\d{3}))?"
)


class TagError(ValueError):
    """A language tag that is not BCP 47, or names a language, script or region no one has."""


@cache
def _locale(lang: str) -> object:
    from babel import Locale

    return Locale.parse(lang.split("-", 1)[0])


def base(tag: str) -> str:
    """The language of a tag: `kk` of `kk-Latn`."""
    return tag.split("-", 1)[0].lower()


def canonical_tag(tag: str) -> str:
    """`tag` in BCP 47's canonical case (`kk-Latn`, `en-GB`), or TagError saying why not."""
    from babel import Locale, UnknownLocaleError

    found = _TAG.fullmatch(tag)
    if found is None:
        raise TagError(
            f"'{tag}' is not a language tag: write a language (kk, ru, en), then a script "
            "(kk-Latn) or a region (en-GB)"
        )
    lang, script, region = found.group("lang").lower(), found.group("script"), found.group("region")
    try:
        Locale.parse(lang)
    except (UnknownLocaleError, ValueError):
        raise TagError(f"'{lang}' is not a language CLDR knows (kk, ru, en, ...)") from None
    english = Locale("en")
    parts = [lang]
    if script is not None:
        script = script.title()
        if script not in english.scripts:
            raise TagError(f"'{script}' is not a script (ISO 15924: Cyrl, Latn, Arab, ...)")
        parts.append(script)
    if region is not None:
        region = region.upper()
        if region not in english.territories:
            raise TagError(f"'{region}' is not a region (ISO 3166: KZ, RU, GB, ...)")
        parts.append(region)
    return "-".join(parts)


@cache
def decimal_symbol(lang: str) -> str:
    from babel import numbers

    return str(numbers.get_decimal_symbol(base(lang)))


@cache
def group_symbol(lang: str) -> str:
    from babel import numbers

    return str(numbers.get_group_symbol(base(lang)))


def plural_category(count: float, lang: str) -> str:
    """CLDR's plural category of `count` in `lang`: one, few, many, other (zero, two)."""
    return str(_locale(lang).plural_form(count))  # type: ignore[attr-defined]


def plural_categories(lang: str) -> Sequence[str]:
    """The categories `lang` distinguishes, in CLDR's order (zero one two few many other)."""
    known = _locale(lang).plural_form.tags  # type: ignore[attr-defined]
    order = ("zero", "one", "two", "few", "many", "other")
    return [c for c in order if c in known or c == "other"]


def choose_plural(count: float, lang: str, forms: Sequence[str]) -> str:
    """The form of a word for `count`, `forms` given in the order of plural_categories (ru:
    строка, строки, строк, and `other` last when the language has it beyond those)."""
    categories = plural_categories(lang)
    category = plural_category(count, lang)
    if category in categories and categories.index(category) < len(forms):
        return forms[categories.index(category)]
    return forms[-1]


def _alphabet(lang: str) -> str:
    return _RUSSIAN if base(lang) == "ru" else _KAZAKH


def collation_key(text: str, lang: str) -> tuple[tuple[int, ...], tuple[int, ...], str, str]:
    """A key sorting names as `lang` does: letters by the language's alphabet (Latin before
    Cyrillic), then the letters sorted as others (Russian ё after е), then lower case before
    upper, then the text itself (so that the order never depends on the input's)."""
    order = _alphabet(lang)
    folded = unicodedata.normalize("NFC", text).lower()
    as_other = _SECONDARY.get(base(lang), {})
    secondary = tuple(1 if ch in as_other else 0 for ch in folded)
    primary: list[int] = []
    for ch in "".join(as_other.get(c, c) for c in folded):
        if ch in order:
            primary.append(1000 + order.index(ch))
        elif "a" <= ch <= "z":
            primary.append(100 + ord(ch) - ord("a"))  # Latin before Cyrillic, as CLDR's root
        else:
            stripped = unicodedata.normalize("NFD", ch)[0]
            if "a" <= stripped <= "z":
                primary.append(100 + ord(stripped) - ord("a"))
            elif stripped in order:
                primary.append(1000 + order.index(stripped))
            elif ch.isdigit():
                primary.append(50 + int(ch) if ch.isascii() else 60)
            elif ch.isspace() or not ch.isalnum():
                primary.append(1)  # spaces and punctuation first, as CLDR's root
            else:
                primary.append(10_000 + ord(ch))
    case = "".join("1" if c.isupper() else "0" for c in unicodedata.normalize("NFC", text))
    return tuple(primary), secondary, case, text


__all__ = [
    "TagError",
    "base",
    "canonical_tag",
    "choose_plural",
    "collation_key",
    "decimal_symbol",
    "group_symbol",
    "plural_categories",
    "plural_category",
]
