"""Positions, diagnostics and the typed exceptions every stage of kzf raises.

Every message a user sees goes through `Diagnostic.render`, so that all of them share one
shape: ``path:line:col: error[KZF010]: message`` followed by the source line and a caret.
The codes are stable (programs and CI scripts match on them); docs/errors.md lists them.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from kzf.dsl import messages


@dataclass(frozen=True)
class Span:
    """A region of a source file; lines and columns are 1-based, end_column is exclusive."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"  # a change made on purpose and reported (an imputed or treated value)


NOTES = frozenset(
    {"KZF160", "KZF260", "KZF261", "KZF262", "KZF263", "KZF264", "KZF267", "KZF268", "KZF269"}
)


# The catalogue of codes. Keep in step with docs/errors.md (a test checks that every code
# used in the package is documented there).
CODES: dict[str, str] = {
    # parsing
    "KZF001": "syntax error: a character that cannot start any token",
    "KZF002": "syntax error: an unexpected token or end of file",
    "KZF003": "the file cannot be read or is not valid UTF-8 text",
    "KZF004": "a resource limit was exceeded (nesting depth, file size, literal size)",
    "KZF005": "an invisible or text-direction character (bidi override, zero-width) in the file",
    # names and structure
    "KZF010": "undefined name",
    "KZF011": "duplicate definition",
    "KZF012": "definition cycle",
    "KZF013": "wrong number of arguments",
    "KZF014": "unknown function",
    "KZF015": "`over` or `where` used where it does not belong, or missing where it is needed",
    "KZF016": "unknown dimension",
    "KZF017": "type error: a text, condition or number used in the wrong place",
    "KZF018": "recursive user function",
    "KZF019": "invalid or unknown parameter value",
    "KZF020": "import not found",
    "KZF021": "import cycle",
    "KZF022": "import outside the folder of the importing file",
    "KZF023": "invalid statement value (title, dims, data, expect, a domain, assert, allow)",
    "KZF024": "invalid weighted argument or `vary` (a weight where none is taken, a bad range)",
    "KZF025": "not a composite index: the definition is not a weighted mean of named indicators",
    "KZF026": "a composite analysis that cannot run: no `vary`, too few entities, a bad --year",
    "KZF027": "a function along time on a panel whose time dimension is not chosen or not periods",
    # units and symbolic checks (docs/units.md)
    "KZF030": "incompatible units in +, -, a comparison, min/max, clamp or the branches of if",
    "KZF031": "a definition's declared unit differs from the unit it computes",
    "KZF032": "a unit that cannot be read",
    "KZF033": "`assert same(a, b)` does not hold (or `assert not same(a, b)` does)",
    # models, trends and forecasts (docs/models.md)
    "KZF050": "invalid model, trend or forecast: an unknown option, kind, level or term",
    # data
    "KZF101": "data file not found or unreadable",
    "KZF102": "missing input column",
    "KZF103": "duplicate panel key",
    "KZF104": "non-numeric value in an input column",
    "KZF105": "missing dimension column",
    "KZF106": "unsupported data format or layout",
    "KZF107": "invalid --where or --select",
    "KZF108": "output cannot be written",
    "KZF110": "a value of the data outside the domain its input declares (input t > 0)",
    "KZF150": "a model, trend or forecast cannot be evaluated on this data or engine",
    "KZF160": "note: the data was read by pandas in this process, not by the SQL engine",
    "KZF161": "the SQL engine ran out of memory",
    "KZF170": "a validation rule fails on some rows (error, warning or info, as the rule says)",
    # evaluation warnings
    "KZF201": "division by zero gave a missing value",
    "KZF202": "argument outside the domain of a function gave a missing value",
    "KZF203": "a ratio or difference of aggregates whose parts cover different rows",
    "KZF204": "a text compared with a dimension that has no such value in the data",
    # model diagnostics (docs/models.md)
    "KZF250": "multicollinearity: a predictor of a model has a VIF above 10",
    "KZF251": "a precise value repeats in consecutive years (a likely copy error)",
    "KZF252": "forecast years do not line up with the sample or with the trend's years",
    "KZF253": "an interval does not widen with the forecast horizon",
    "KZF254": "a trend cannot be fitted for some rows",
    "KZF255": "a model fits its rows exactly: standard errors 0, F, t and p not defined",
    # composite indices (docs/composite.md): notes, so that nothing changes silently
    "KZF260": "note: missing values were imputed",
    "KZF261": "note: outlying values were winsorised",
    "KZF262": "note: a log transform replaced values too skewed to winsorise",
    "KZF263": "note: values of the data file carry flags (Eurostat's e, p, b, ...)",
    "KZF264": "note: rows below a table were read as notes (Source: ..., Note: ...), not data",
    "KZF267": "note: a mean over the children present, their weights rescaled",
    "KZF268": "note: no mean where the children present carry too little of the weights",
    "KZF269": "note: units screened out for want of data (screen())",
    "KZF270": "a chart drawn imperfectly: characters its font lacks, labels too long to lay out",
    # static warnings
    "KZF301": "`-x^2` means -(x^2); spreadsheets read it as (-x)^2",
    "KZF302": "an unknown unit word that looks like a misspelling of a known one",
    "KZF303": "a name mixing scripts (a Cyrillic х among Latin letters): it looks like another",
    "KZF310": "a denominator that the declared domains do not prove nonzero",
    "KZF311": "the argument of ln or log10 is not proved positive",
    "KZF312": "a square root or fractional power of a value not proved nonnegative",
    "KZF320": "the weights of a weighted sum do not add up to 1",
    "KZF321": "an input that no definition uses",
    "KZF322": "a user function that is never called, or an import nothing is used from",
    "KZF323": "an aggregate over a dimension the data does not vary along",
    "KZF330": "`assert same` could not be decided within the limits of the checker",
    "KZF331": "an `allow` that matches no warning",
    # expectations
    "KZF401": "expectation not reproduced",
}


@dataclass(frozen=True)
class Diagnostic:
    """One finding about a program or its data, with the position it concerns when known."""

    code: str
    message: str
    span: Span | None = None
    severity: Severity = Severity.ERROR
    notes: tuple[str, ...] = ()
    # the English template the message was filled from, and its values (`localised`), so
    # that the command line can say it in Kazakh or Russian (dsl/messages.py)
    template: str = ""
    values: tuple[tuple[str, str | messages.Phrase], ...] = ()
    # the same for each note: its template and values, or ("", ()) for a note said as it is
    # (then translated when the catalogue has it word for word)
    note_templates: tuple[tuple[str, tuple[tuple[str, str | messages.Phrase], ...]], ...] = ()
    # where in a data file, as a template and values (DataLocation.template), said before the
    # message and translated apart from it: the same message has one entry in the catalogue
    # whatever the place
    place: tuple[str, tuple[tuple[str, str], ...]] = ("", ())

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def text(self, lang: str | None = None) -> str:
        """The message in `lang` (default: the language kzf speaks, dsl/messages.py), else in
        English: its template's translation filled with its values, or a message made
        without a template translated word for word; a data file's place said in it too."""
        lang = lang or messages.language()
        if lang not in messages.LANGUAGES:
            return self.message
        if not self.template:
            return messages.phrase(self.message, lang)
        values = dict(self.values)
        body = messages.translated(self.template, values, lang)
        if not self.place[0]:
            return body if body is not None else self.message
        place_values = dict(self.place[1])
        where = messages.translated(self.place[0], place_values, lang)
        where = where if where is not None else self.place[0].format(**place_values)
        return f"{where}: {body if body is not None else self.template.format(**values)}"

    def headline(self) -> str:
        where = f"{self.span}: " if self.span else ""
        word = messages.SEVERITY_WORDS.get(messages.language(), {}).get(
            self.severity.value, self.severity.value
        )
        return printable(f"{where}{word}[{self.code}]: {self.text()}")

    def render(self, source: str | None = None) -> str:
        """The headline, then the offending source line with a caret under the span."""
        lines = [self.headline()]
        if self.span is not None and source is not None:
            src_lines = source.splitlines()
            if 1 <= self.span.line <= len(src_lines):
                text = src_lines[self.span.line - 1].replace("\t", " ")
                start = max(self.span.column, 1)
                if self.span.end_line == self.span.line:
                    width = max(self.span.end_column - start, 1)
                else:
                    width = max(len(text) - start + 1, 1)
                gutter = f"{self.span.line:>4} | "
                lines.append(gutter + text)
                lines.append(" " * (len(gutter) + start - 1) + "^" * width)
        said = messages.NOTE_WORD.get(messages.language(), "note")
        lines.extend(f"  = {said}: {printable(n)}" for n in self.note_texts())
        return "\n".join(lines)

    def note_texts(self, lang: str | None = None) -> list[str]:
        """The notes in `lang` (default: the language kzf speaks), where the catalogue has
        them."""
        lang = lang or messages.language()
        if lang not in messages.LANGUAGES:
            return list(self.notes)
        texts = [messages.phrase(n, lang) for n in self.notes]
        for i, (template, values) in enumerate(self.note_templates[: len(texts)]):
            found = messages.translated(template, dict(values), lang) if template else None
            if found is not None:
                texts[i] = found
        return texts


class KzfError(Exception):
    """Base class of every error kzf raises for a user's mistake (never for its own bugs)."""

    exit_status = 1

    def __init__(self, diagnostics: list[Diagnostic], sources: dict[str, str] | None = None):
        self.diagnostics = diagnostics
        self.sources = sources or {}
        super().__init__(self.render())

    @property
    def first(self) -> Diagnostic:
        return self.diagnostics[0]

    @property
    def code(self) -> str:
        return self.first.code

    @property
    def path(self) -> str | None:
        return self.first.span.path if self.first.span else None

    @property
    def line(self) -> int | None:
        return self.first.span.line if self.first.span else None

    @property
    def column(self) -> int | None:
        return self.first.span.column if self.first.span else None

    def render(self) -> str:
        parts = []
        for d in self.diagnostics:
            src = self.sources.get(d.span.path) if d.span else None
            parts.append(d.render(src))
        return "\n".join(parts)


class ProgramError(KzfError):
    """The program is not valid: syntax, names, cycles, arity, imports. Exit status 2."""

    exit_status = 2


class UsageError(KzfError):
    """The command line or API call is wrong (a bad --param, --select or --where). Exit status 2."""

    exit_status = 2


class DataError(KzfError):
    """The data cannot be used: a missing file or column, a duplicate key, a bad cell.

    Exit status 1."""

    exit_status = 1

    def __init__(
        self,
        diagnostics: list[Diagnostic],
        sources: dict[str, str] | None = None,
        location: DataLocation | None = None,
    ):
        self.location = location
        super().__init__(diagnostics, sources)


class EvaluationError(KzfError):
    """Evaluation failed on this data. Exit status 1."""

    exit_status = 1


def rows_message(template: str, /, **values: object) -> messages.Phrase:
    """What a warning or note about some rows of a computation says before the rows are
    named (`relevance.row_warning` adds ` in rows (KZ, 2020) and 3 more`), from its template
    and values, so that the command line says it in Kazakh or Russian: a Phrase whose
    catalogue entries are the template with ` in rows {rows}` and with ` in rows {rows} and
    {more} more` (the catalogue test reads these calls). A plain string is a message
    without values."""
    return messages.phrased(template, **values)


# A note: said as it is (and translated word for word when the catalogue has it), or a
# template and the values that fill it, translated as a message is
Note = str | tuple[str, Mapping[str, object]]
Kept = tuple[tuple[str, str | messages.Phrase], ...]


def _kept_notes(notes: Iterable[Note]) -> tuple[tuple[str, ...], tuple[tuple[str, Kept], ...]]:
    """Each note's English text, and its template and values ("" and () for a plain one)."""
    texts: list[str] = []
    kept: list[tuple[str, Kept]] = []
    for note in notes:
        if isinstance(note, str):
            texts.append(note)
            kept.append(("", ()))
        else:
            template, filled = note
            values = tuple(messages.kept(filled).items())
            texts.append(template.format(**dict(values)))
            kept.append((template, values))
    return tuple(texts), tuple(kept)


def error(code: str, message: str, span: Span | None = None, *notes: str) -> Diagnostic:
    """An error said as it is; translated when the catalogue has the message word for word
    (a message with values is made with `localised`)."""
    return Diagnostic(code, message, span, Severity.ERROR, tuple(notes))


def localised(
    code: str, template: str, span: Span | None = None, /, *notes: Note, **values: object
) -> Diagnostic:
    """An error whose message is `template` filled with `values`, kept both ways so that the
    command line can say it in Kazakh or Russian (dsl/messages.py). The arguments before the
    values are positional only, so that a value may be called anything (`code`, `notes`)."""
    shown = messages.kept(values)
    texts, kept = _kept_notes(notes)
    return Diagnostic(
        code,
        template.format(**shown),
        span,
        Severity.ERROR,
        texts,
        template,
        tuple(shown.items()),
        kept,
    )


def localised_warning(
    code: str,
    template: str,
    span: Span | None = None,
    notes: Sequence[Note] = (),
    /,
    **values: object,
) -> Diagnostic:
    """A warning (or a note, for the codes in NOTES) whose message and notes are made from
    templates filled with values, each kept both ways, as `localised` does for an error."""
    shown = messages.kept(values)
    texts, kept = _kept_notes(notes)
    severity = Severity.NOTE if code in NOTES else Severity.WARNING
    return Diagnostic(
        code,
        template.format(**shown),
        span,
        severity,
        texts,
        template,
        tuple(shown.items()),
        kept,
    )


def warning(code: str, message: str, span: Span | None = None, *notes: str) -> Diagnostic:
    """A warning, or a note for the codes in NOTES (a change made on purpose and reported),
    said as it is; translated when the catalogue has the message word for word."""
    severity = Severity.NOTE if code in NOTES else Severity.WARNING
    return Diagnostic(code, message, span, severity, tuple(notes))


@dataclass(frozen=True)
class DataLocation:
    """Where in a data file a problem sits; rows are 1-based and count the header as row 1."""

    path: str
    row: int | None = None
    column: str | None = None

    def describe(self) -> str:
        template, values = self.template()
        return template.format(**values)

    def template(self) -> tuple[str, dict[str, str]]:
        """`{path}, row {row}, column '{column}'` as a template and its values."""
        parts, values = ["{path}"], {"path": self.path}
        if self.row is not None:
            parts.append("row {row}")
            values["row"] = str(self.row)
        if self.column is not None:
            parts.append("column '{column}'")
            values["column"] = self.column
        return ", ".join(parts), values


def data_error(code: str, message: str, where: DataLocation, *notes: str) -> DataError:
    """A DataError whose message starts with the file, row and column it concerns; the
    message said as it is (translated when the catalogue has it word for word)."""
    escaped = message.replace("{", "{{").replace("}", "}}")
    return localised_data_error(code, escaped, where, *notes)


def localised_data_error(
    code: str, template: str, where: DataLocation, /, *notes: Note, **values: object
) -> DataError:
    """`data_error` with a message made from a template (dsl/messages.py); the place's words
    (row, column) are translated apart from the message (Diagnostic.place)."""
    place, at = where.template()
    shown = messages.kept(values)
    texts, kept = _kept_notes(notes)
    diag = Diagnostic(
        code,
        f"{where.describe()}: {template.format(**shown)}",
        None,
        Severity.ERROR,
        texts,
        template,
        tuple(shown.items()),
        kept,
        (place, tuple(at.items())),
    )
    return DataError([diag], location=where)


@dataclass
class DiagnosticBag:
    """Collects diagnostics of one pass so that all of them are reported together."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(self, d: Diagnostic) -> None:
        if d not in self.items:
            self.items.append(d)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.is_error]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if not d.is_error]


# Cyrillic and Greek letters that look like Latin ones (Unicode TR39 confusables, the ones
# Russian, Kazakh and Greek keyboards type): "Kаzakhstan" with a Cyrillic а is not
# "Kazakhstan", and a Cyrillic х is not the x of a formula.
LOOKALIKES = str.maketrans(
    "аеорсухіјѕԁԛԝһАВЕКМНОРСТХІЈЅУαονικτΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "aeopcyxijsdqwhABEKMHOPCTXIJSYaovikrABEZHIKMNOPTYX",
)


def latin_lookalike(text: str) -> str:
    """`text` with every Cyrillic or Greek letter that looks Latin written in Latin."""
    return text.translate(LOOKALIKES)


def scripts_of(name: str) -> list[str]:
    """The scripts of the letters of `name` (LATIN, CYRILLIC, GREEK, ...), in order of
    appearance; digits and `_` belong to none."""
    found: list[str] = []
    for c in name:
        if not c.isalpha():
            continue
        script = unicodedata.name(c, "UNKNOWN").split(" ", 1)[0]
        if script not in found:
            found.append(script)
    return found


def printable(text: str) -> str:
    """`text` with control, format and line-breaking characters written as escapes (`\\n`,
    `\\x1b`, `\\u202e`): a file name or cell holding a newline, a terminal escape sequence
    or a bidi override cannot forge lines of kzf's output or recolour the terminal."""
    if text.isprintable():
        return text
    return "".join(
        c if c.isprintable() or c == " " else c.encode("unicode_escape").decode("ascii")
        for c in text
    )


def suggestion(name: str, candidates: Iterable[str]) -> tuple[str, dict[str, str]]:
    """The end of an "unknown name" message as a template and its values: `; did you mean
    '{suggestion}'?` for the closest candidate (or one differing only in case, or only in
    letters that look alike: a Cyrillic х for a Latin x), else nothing."""
    options = list(dict.fromkeys(candidates))
    plain = latin_lookalike(name)
    alike = [o for o in options if o != name and latin_lookalike(o) == plain]
    if alike:
        scripts = " and ".join(s.title() for s in scripts_of(name))
        template = "; did you mean '{suggestion}'? ('{name}' has {scripts} letters that look alike)"
        return template, {"suggestion": alike[0], "name": name, "scripts": scripts}
    matches = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    if not matches:
        lowered = {c.lower(): c for c in options}
        if name.lower() in lowered:
            matches = [lowered[name.lower()]]
    if not matches:
        return "", {}
    return "; did you mean '{suggestion}'?", {"suggestion": matches[0]}


def nearest(name: str, candidates: Iterable[str]) -> tuple[int, dict[str, str]]:
    """Which of the three sentences of an "unknown name" message says what is near `name`
    (0: nothing near, 1: `; did you mean '{suggestion}'?`, 2: that and the letters that look
    alike), and the values they say: `name`, and `suggestion` and `scripts` for the sentences
    that say them. Each message is one whole template per sentence, so that a translator
    sees sentences, not an ending glued on."""
    hint, values = suggestion(name, candidates)
    which = 0 if not hint else 2 if "scripts" in values else 1
    return which, {**values, "name": name}


def localised_unknown(
    code: str,
    templates: tuple[str, str, str],
    name: str,
    candidates: Iterable[str],
    span: Span | None = None,
    /,
    *notes: Note,
    **values: object,
) -> Diagnostic:
    """An error about an unknown `name`: the first of `templates` when no candidate is near
    it, the second (with `{suggestion}`) when one is, the third (with `{suggestion}` and
    `{scripts}`) when one differs from it only in letters that look alike (`nearest`)."""
    which, near = nearest(name, candidates)
    return localised(code, templates[which], span, *notes, **{**values, **near})


def source_text(sources: dict[str, str], span: Span) -> str:
    """The source text a span covers (its first line when it runs over several), as messages
    and reports quote it; "?" when the span lies outside the source."""
    lines = sources.get(span.path, "").splitlines()
    if not 1 <= span.line <= len(lines):
        return "?"
    line = lines[span.line - 1]
    end = span.end_column - 1 if span.end_line == span.line else len(line)
    return line[span.column - 1 : end].strip() or "?"
