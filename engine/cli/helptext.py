"""The command line's help in Kazakh and Russian: `kzf eval --help` with `--lang ru` (or
KZF_LANG, or a Russian locale) says it in Russian.

The parser is written in English, as argparse parsers are; `KzfParser` translates its texts
(descriptions, epilogs, the headings of its sections, every option's help and argparse's own
words: "usage:", "options", "show this help message and exit", "error", and the phrases of
its usage errors) through the message
catalogues of dsl/messages.py when it formats its help, so a command that prints no help
loads no catalogue. The catalogues hold one entry for each text, the English as its msgid;
`tests/lang/test_messages.py` checks that every text of the parser has one in both.

argparse keeps these texts in attributes of its parsers and actions that it does not
document as public (`_actions`, `_action_groups`, a subparsers action's `_choices_actions`);
they have been stable since Python 3.2, and `texts` is what the test walks, so a change in
them fails that test rather than silently leaving help in English.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import NoReturn

from kzf.dsl import messages

ARGPARSE_WORDS = ("usage: ", "error")  # argparse's own words kzf's help shows
# the phrases of argparse's usage errors, translated where they stand in its message (the
# names and values it puts between them are the user's, and stay as they are)
ARGPARSE_PHRASES = (
    "the following arguments are required: ",
    "unrecognized arguments: ",
    "invalid choice: ",
    "choose from ",
    "expected one argument",
    "argument ",
)


def _texts_of(parser: argparse.ArgumentParser, change: Callable[[str], str]) -> Iterator[str]:
    """Each text of `parser` and of its subcommands' parsers (each parser once), replaced by
    `change(text)` as it goes; yields the texts as they were."""
    seen: set[int] = set()
    pending = [parser]
    while pending:
        p = pending.pop(0)
        if id(p) in seen:
            continue
        seen.add(id(p))
        for owner, attribute in [(p, "description"), (p, "epilog")]:
            yield from _swap(owner, attribute, change)
        for group in p._action_groups:
            yield from _swap(group, "title", change)
        for action in p._actions:
            yield from _swap(action, "help", change)
            if isinstance(action, argparse._SubParsersAction):
                for choice in action._choices_actions:
                    yield from _swap(choice, "help", change)
                pending.extend(action.choices.values())


def _swap(owner: object, attribute: str, change: Callable[[str], str]) -> Iterator[str]:
    text = getattr(owner, attribute, None)
    if isinstance(text, str) and text and text != argparse.SUPPRESS:
        yield text
        setattr(owner, attribute, change(text))


def texts(parser: argparse.ArgumentParser) -> list[str]:
    """Every text of the parser the catalogues must translate, in order, each once."""
    found = [*ARGPARSE_WORDS, *ARGPARSE_PHRASES, *_texts_of(parser, lambda t: t)]
    return list(dict.fromkeys(found))


class KzfParser(argparse.ArgumentParser):
    """An ArgumentParser whose help, usage and errors are in kzf's language (its
    subcommands' parsers are of this class too: argparse makes them of the parent's)."""

    def _in_language(self) -> None:
        if messages.language() not in messages.LANGUAGES:
            return
        for _ in _texts_of(self, messages.phrase):
            pass

    def format_help(self) -> str:
        self._in_language()
        return _prefixed(super().format_help())

    def format_usage(self) -> str:
        self._in_language()
        return _prefixed(super().format_usage())

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        for phrase in ARGPARSE_PHRASES:
            message = message.replace(phrase, messages.phrase(phrase))
        self.exit(2, f"{self.prog}: {messages.phrase('error')}: {message}\n")


def _prefixed(text: str) -> str:
    english = ARGPARSE_WORDS[0]
    if text.startswith(english):
        return messages.phrase(english) + text[len(english) :]
    return text


def language_in(argv: Sequence[str]) -> str | None:
    """The value of `--lang` in a command line not yet parsed (the help it may ask for is
    printed while parsing), or None."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


__all__ = ["ARGPARSE_PHRASES", "ARGPARSE_WORDS", "KzfParser", "language_in", "texts"]
