"""A composite index declared as a table: `framework "asem.csv" over country`.

Indices with tens of indicators are kept by methodologists as a table, one row per indicator
or aggregate: its name, its parent, its weight in the parent, its direction, how it is
normalised (COINr's `iMeta`, the OECD/JRC Handbook's framework table). Written out as
definitions, a 49-indicator index is some 250 lines of .kzf; as a table it is the table.

The table is read when the file is loaded and stands for the statements it implies, which
join the file where the `framework` statement is (dsl/modules.py), so that everything after
it (the checker, the engines, `kzf audit`, `contrib`, `sensitivity`) sees ordinary
definitions, and what is audited is exactly what is computed. For each indicator row `x`:

    input x                                          (unless the file declares it)
    n_x = NORMALISE(TREAT(x / DENOMINATOR over d), ARGS, d)    (direction -1: oriented)

and for each aggregate row `p` with children `a`, `b`:

    p = AGGREGATE(ARGS, n_a: w_a, b: w_b)

and for each top row `p` (no parent) `p_coverage = coverage(...)`, the share of its raw
indicators present on a row (for `screen`). Every statement is positioned at its row, so a
message about it names the table's file and line. COINr's own `iMeta` columns (iCode,
iName, Parent, Weight, Direction, Type, Level, Denominator, Target, Unit) are read as they
are; rows of type Group, Denominator or Other are not part of the hierarchy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from kzf.dsl import ast
from kzf.dsl.diagnostics import Diagnostic, Span, error, localised, suggestion
from kzf.dsl.parser import parse_generated, parse_module

CODE = "KZF029"

# each column's name in the table (lower case), and the names COINr's iMeta gives it
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name", "icode", "code"),
    "parent": ("parent",),
    "weight": ("weight",),
    "direction": ("direction",),
    "normalise": ("normalise", "normalize", "normalisation", "normalization"),
    "aggregate": ("aggregate", "aggregation"),
    "treat": ("treat", "treatment"),
    "denominator": ("denominator",),
    "target": ("target",),
    "type": ("type",),
    "level": ("level",),
    "label": ("label", "iname"),
}
# documentation only: read and not used (units are declared with `input x : unit`)
IGNORED = ("unit", "description", "source", "notes", "comment")
# COINr's row types; the hierarchy is made of the first two
HIERARCHY_TYPES = ("indicator", "aggregate")
OTHER_TYPES = ("group", "denominator", "other")

AGGREGATIONS = {  # the built-in means a node can be, and how many leading arguments each takes
    "amean": 0,
    "gmean": 0,
    "hmean": 0,
    "aggregate": 1,
    "amean_available": 1,
    "gmean_available": 1,
    "hmean_available": 1,
    "aggregate_available": 2,
    "power_mean": 1,
}
TREATMENTS = ("winsorise", "treat", "treat_coinr", "boxcox")  # each `f(x over d)`
# normalisations for which orienting the indicator first, f(lower(x)), is the lower-is-better
# form (docs/composite.md); the others have a `_lower` form or take their bounds in order
NEGATABLE = ("minmax", "minmax100", "zscore", "rank_score", "normalise", "percentile_rank", "borda")
DEFAULTS = {"normalise": "minmax", "aggregate": "amean", "treat": "none", "screen": "none"}

_NAME = re.compile(r"[^\W\d]\w*")
_METHOD = re.compile(r"\s*([^\W\d]\w*)\s*(?:\((.*)\))?\s*")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_STRING = re.compile(r'"[^"\\]*"')


@dataclass(frozen=True)
class Cell:
    text: str
    span: Span


@dataclass(frozen=True)
class Row:
    span: Span  # the whole row
    cells: dict[str, Cell]  # by column (COLUMNS' keys, or label_xx)

    def get(self, column: str) -> str:
        cell = self.cells.get(column)
        return cell.text.strip() if cell is not None else ""

    def at(self, column: str) -> Span:
        cell = self.cells.get(column)
        return cell.span if cell is not None else self.span


@dataclass(frozen=True)
class Method:
    name: str
    args: tuple[str, ...]  # as kzf text: numbers, names, quoted texts


class FrameworkError(Exception):
    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics


@dataclass(frozen=True)
class Expansion:
    """What a framework table stands for: the statements, the text messages about them show
    for the table's file (each row's line holds the definition kzf made of it: the table's
    row 12 is line 12), and the table's errors (then there are no statements)."""

    statements: list[ast.Statement]
    shown_text: str
    diagnostics: list[Diagnostic]


def expand(stmt: ast.Framework, text: str, shown: str, declared: set[str]) -> Expansion:
    """The statements the table `text` (the file `shown`) stands for, positioned at its rows,
    or the table's errors, positioned at its cells. `declared` are the names the file
    already declares (its inputs are not declared again: their units and domains are the
    file's)."""
    try:
        rows = _rows(text, shown)
        generated = _statements(stmt, rows, declared)
    except FrameworkError as exc:
        return Expansion([], text, exc.diagnostics)
    lines = text.splitlines()
    # the definition a row stands for, on the row's line: what a message quotes and shows
    defined = {span.line: made for made, span, main in generated if main}
    shown_lines = [defined.get(k + 1, "") for k in range(max(len(lines), max(defined, default=0)))]
    placed = [
        (made, span if main else _whole_line(span, defined.get(span.line, "")), main)
        for made, span, main in generated
    ]
    statements, problems = parse_generated(placed)
    return Expansion(statements, "\n".join(shown_lines) + "\n", problems)


def _whole_line(span: Span, line: str) -> Span:
    return Span(span.path, span.line, 1, span.line, max(len(line), 1) + 1)


# ---------------------------------------------------------------- reading the table


def _cells(line: str, number: int, shown: str, delimiter: str) -> list[Cell]:
    """The cells of one line (RFC 4180 quotes), each with its columns in the line."""
    cells: list[Cell] = []
    i, n = 0, len(line)
    while True:
        start = i
        value: list[str] = []
        if i < n and line[i] == '"':
            i += 1
            while True:
                if i >= n:
                    span = Span(shown, number, start + 1, number, n + 1)
                    raise FrameworkError(
                        [
                            error(
                                CODE,
                                "a quoted cell is not closed on its line",
                                span,
                                "one row per line",
                            )
                        ]
                    )
                if line[i] == '"' and i + 1 < n and line[i + 1] == '"':
                    value.append('"')
                    i += 2
                elif line[i] == '"':
                    i += 1
                    break
                else:
                    value.append(line[i])
                    i += 1
            while i < n and line[i] != delimiter:
                value.append(line[i])
                i += 1
        else:
            while i < n and line[i] != delimiter:
                value.append(line[i])
                i += 1
        cells.append(
            Cell("".join(value), Span(shown, number, start + 1, number, max(i, start + 1) + 1))
        )
        if i >= n:
            return cells
        i += 1  # the delimiter


def _rows(text: str, shown: str) -> list[Row]:
    lines = text.lstrip("\ufeff").splitlines()
    numbered = [(k + 1, line) for k, line in enumerate(lines) if line.strip()]
    if not numbered:
        raise FrameworkError(
            [localised(CODE, "{path}: the framework table is empty", None, path=shown)]
        )
    header_line, header = numbered[0]
    # a European spreadsheet's CSV: ';' between cells, and then ',' is a decimal comma
    delimiter = ";" if header.count(";") > header.count(",") else ","
    columns: list[str | None] = []
    for cell in _cells(header, header_line, shown, delimiter):
        key = cell.text.strip().lower()
        found = next((c for c, names in COLUMNS.items() if key in names), None)
        if found is None and re.fullmatch(r"label_[a-z]{2}", key):
            found = key
        if found is None and key not in IGNORED:
            known = ", ".join([*COLUMNS, "label_kk", "label_ru", "label_en", *IGNORED])
            raise FrameworkError(
                [
                    localised(
                        CODE,
                        "unknown column '{column}' in the framework table",
                        cell.span,
                        ("the columns are {columns}", {"columns": known}),
                        column=cell.text.strip(),
                    )
                ]
            )
        if found is not None and found in columns:
            raise FrameworkError(
                [
                    localised(
                        CODE,
                        "column '{column}' is given twice",
                        cell.span,
                        column=cell.text.strip(),
                    )
                ]
            )
        columns.append(found)
    for needed in ("name", "parent"):
        if needed not in columns:
            span = Span(shown, header_line, 1, header_line, len(header) + 1)
            raise FrameworkError(
                [
                    localised(
                        CODE,
                        "the framework table has no column '{column}'",
                        span,
                        "its first line names the columns: name, parent, weight, direction, "
                        "normalise, aggregate",
                        column=needed,
                    )
                ]
            )
    rows: list[Row] = []
    for number, line in numbered[1:]:
        cells = _cells(line, number, shown, delimiter)
        if len(cells) > len(columns):
            extra = cells[len(columns)]
            raise FrameworkError(
                [
                    localised(
                        CODE,
                        "this row has {cells} cells, the header {header}",
                        extra.span,
                        cells=len(cells),
                        header=len(columns),
                    )
                ]
            )
        by_column = {c: cell for c, cell in zip(columns, cells, strict=False) if c is not None}
        if delimiter == ";":
            for key in ("weight", "direction", "target"):
                if key in by_column:
                    cell = by_column[key]
                    by_column[key] = Cell(cell.text.replace(",", "."), cell.span)
        rows.append(Row(Span(shown, number, 1, number, len(line) + 1), by_column))
    if not rows:
        raise FrameworkError(
            [
                localised(
                    CODE, "{path}: the framework table has a header and no rows", None, path=shown
                )
            ]
        )
    return rows


# ---------------------------------------------------------------- the hierarchy


class _Problems:
    """The table's errors, collected so that one reading reports them all."""

    def __init__(self) -> None:
        self.found: list[Diagnostic] = []

    def add(self, found: Diagnostic) -> None:
        self.found.append(found)

    def raise_any(self) -> None:
        if self.found:
            raise FrameworkError(self.found)


@dataclass
class _Hierarchy:
    """The rows that make the hierarchy, by name, and each aggregate's children."""

    members: list[Row]
    by_name: dict[str, Row]
    children: dict[str, list[Row]]

    def root_of(self, row: Row) -> str:
        while row.get("parent"):  # no cycle: checked when read
            row = self.by_name[row.get("parent")]
        return row.get("name")

    def leaves(self, name: str) -> list[str]:
        found: list[str] = []
        for child in self.children[name]:
            below = child.get("name")
            found += self.leaves(below) if below in self.children else [below]
        return found


def _hierarchy(rows: list[Row], problems: _Problems) -> _Hierarchy:
    members: list[Row] = []
    by_name: dict[str, Row] = {}
    for row in rows:
        name, kind = row.get("name"), row.get("type").lower()
        if kind and kind not in HIERARCHY_TYPES + OTHER_TYPES:
            problems.add(
                localised(
                    CODE,
                    "unknown type '{type}'",
                    row.at("type"),
                    "Indicator, Aggregate, Group, Denominator or Other",
                    type=row.get("type"),
                )
            )
        elif kind in OTHER_TYPES:
            continue
        elif not _NAME.fullmatch(name):
            if not name:
                problems.add(localised(CODE, "this row has no name", row.at("name")))
            else:
                problems.add(
                    localised(
                        CODE,
                        "this row '{name}' is not a name kzf can use (letters, digits and _, not "
                        "starting with a digit)",
                        row.at("name"),
                        name=name,
                    )
                )
        elif name in by_name:
            first = by_name[name].span.line
            problems.add(
                localised(
                    CODE,
                    "'{name}' is given twice (first on line {first})",
                    row.at("name"),
                    name=name,
                    first=first,
                )
            )
        else:
            by_name[name] = row
            members.append(row)
    children: dict[str, list[Row]] = {}
    for row in members:
        parent = row.get("parent")
        if parent and parent not in by_name:
            closest = _closest(parent, list(by_name))
            if closest:
                problems.add(
                    localised(
                        CODE,
                        "parent '{parent}' is not a name of the framework table",
                        row.at("parent"),
                        ("did you mean '{suggestion}'?", {"suggestion": closest}),
                        parent=parent,
                    )
                )
            else:
                problems.add(
                    localised(
                        CODE,
                        "parent '{parent}' is not a name of the framework table",
                        row.at("parent"),
                        parent=parent,
                    )
                )
        elif parent:
            children.setdefault(parent, []).append(row)
    for row in members:  # a cycle: following the parents comes back to the row
        seen, name = [row.get("name")], row.get("parent")
        while name and name in by_name and name not in seen:
            seen.append(name)
            name = by_name[name].get("parent")
        if name and name == row.get("name"):
            cycle = " -> ".join([*seen, name])
            problems.add(
                localised(
                    CODE,
                    "the framework's parents go round in a cycle: {cycle}",
                    row.at("parent"),
                    cycle=cycle,
                )
            )
            break
    problems.raise_any()
    for row in members:
        name, kind = row.get("name"), row.get("type").lower()
        if kind == "aggregate" and name not in children:
            problems.add(
                localised(
                    CODE,
                    "aggregate '{name}' has no children (no row names it as parent)",
                    row.at("name"),
                    name=name,
                )
            )
        if kind == "indicator" and name in children:
            lines = ", ".join(str(c.span.line) for c in children[name][:3])
            problems.add(
                localised(
                    CODE,
                    "indicator '{name}' is the parent of other rows (lines {lines})",
                    row.at("name"),
                    name=name,
                    lines=lines,
                )
            )
        only = ("aggregate",) if name not in children else _INDICATOR_ONLY
        for column in only:
            if row.get(column) and not (column == "direction" and _direction(row.get(column)) == 1):
                if name in children:
                    problems.add(
                        localised(
                            CODE,
                            "'{name}' is an aggregate: its {column} cell must be empty",
                            row.at(column),
                            name=name,
                            column=column,
                        )
                    )
                else:
                    problems.add(
                        localised(
                            CODE,
                            "'{name}' is an indicator: its {column} cell must be empty",
                            row.at(column),
                            name=name,
                            column=column,
                        )
                    )
    problems.raise_any()
    return _Hierarchy(members, by_name, children)


_INDICATOR_ONLY = ("normalise", "treat", "denominator", "target", "direction")


class _Writer:
    """The statements of one table: `input`s, each indicator's normalised value, each
    aggregate, each top's coverage (and with `screen`, which units it keeps), the labels."""

    def __init__(self, stmt: ast.Framework, tree: _Hierarchy, declared: set[str]) -> None:
        self.over = stmt.over
        self.defaults = {**DEFAULTS, **dict(stmt.defaults)}
        self.tree = tree
        self.declared = declared
        self.screened = self.defaults["screen"] != "none"
        self.out: list[tuple[str, Span, bool]] = []
        self.inputs: list[str] = []
        self.leaf_name: dict[str, str] = {}  # indicator: the name its parent aggregates
        self.denominated: dict[str, str] = {}  # indicator: divided by its denominator
        self.problems = _Problems()

    def statements(self) -> list[tuple[str, Span, bool]]:
        for key, value in self.defaults.items():  # `screen 0.9` a number, the others methods
            if value != "none" and (key == "screen") != bool(_NUMBER.fullmatch(value)):
                span = self.tree.members[0].span if self.tree.members else Span("", 1, 1, 1, 1)
                if key == "screen":
                    self.problems.add(
                        localised(
                            CODE,
                            "framework option {key} takes the least share of indicators a unit "
                            "needs, not {value}",
                            span,
                            key=key,
                            value=value,
                        )
                    )
                else:
                    self.problems.add(
                        localised(
                            CODE,
                            "framework option {key} takes a method, not {value}",
                            span,
                            key=key,
                            value=value,
                        )
                    )
        self.problems.raise_any()
        for row in self.tree.members:
            if row.get("name") not in self.tree.children:
                self.indicator(row)
        for row in self.tree.members:
            if row.get("name") in self.tree.children:
                self.aggregate(row)
        for row in self.tree.members:
            if not row.get("parent") and row.get("name") in self.tree.children:
                self.top(row)
        for row in self.tree.members:
            self.labels(row)
        self.problems.raise_any()
        return self.out

    def declare(self, name: str, span: Span) -> None:
        if name not in self.declared and name not in self.inputs:
            self.inputs.append(name)
            self.out.append((f"input {name}", span, False))

    def indicator(self, row: Row) -> None:
        """n_x = NORMALISE(TREAT(x / DENOMINATOR * kept over d), ARGS, d), oriented."""
        name = row.get("name")
        self.declare(name, row.span)
        expr = name
        denominator = row.get("denominator")
        if denominator:
            if not _NAME.fullmatch(denominator):
                self.problems.add(
                    localised(
                        CODE,
                        "denominator '{name}' is not a name",
                        row.at("denominator"),
                        name=denominator,
                    )
                )
                return
            self.declare(denominator, row.span)
            expr = f"{name} / {denominator}"
        self.denominated[name] = expr
        if self.screened:  # times 1 for a unit kept, missing for one screened out
            expr = f"{expr} * {self.tree.root_of(row)}_kept"
        written = row.get("treat") or self.defaults["treat"]
        treat = _method(written, row.at("treat"), self.problems)
        if treat is None:
            return
        if treat.name != "none":
            if treat.name not in TREATMENTS or treat.args:
                self.problems.add(
                    localised(
                        CODE,
                        "unknown treatment '{treatment}'",
                        row.at("treat"),
                        ("use one of {treatments} or none", {"treatments": ", ".join(TREATMENTS)}),
                        treatment=written,
                    )
                )
                return
            expr = f"{treat.name}({expr} over {self.over})"
        direction = _direction(row.get("direction"))
        if direction is None:
            self.problems.add(
                localised(
                    CODE,
                    "direction '{direction}' is neither 1 (higher is better) nor -1",
                    row.at("direction"),
                    direction=row.get("direction"),
                )
            )
            return
        normalised = self.normalised(row, expr, direction)
        if normalised == name:
            self.leaf_name[name] = name
        elif normalised is not None:
            self.leaf_name[name] = f"n_{name}"
            self.out.append((f"n_{name} = {normalised}", row.span, True))

    def normalised(self, row: Row, expr: str, direction: int) -> str | None:
        written = row.get("normalise") or self.defaults["normalise"]
        norm = _method(written, row.at("normalise"), self.problems)
        if norm is None:
            return None
        if norm.name == "none":
            return f"lower({expr})" if direction == -1 else expr
        library = _library()
        if norm.name not in library:
            hint = _closest(norm.name, list(library))
            if hint:
                self.problems.add(
                    localised(
                        CODE,
                        "unknown normalisation '{name}'",
                        row.at("normalise"),
                        ("did you mean '{suggestion}'?", {"suggestion": hint}),
                        name=norm.name,
                    )
                )
            else:
                self.problems.add(
                    localised(
                        CODE,
                        "unknown normalisation '{name}'",
                        row.at("normalise"),
                        "a function of std:composite such as minmax, minmax100, zscore, "
                        "percentile_rank, goalposts(worst, best), target_range(target)",
                        name=norm.name,
                    )
                )
            return None
        function = norm.name
        if direction == -1:
            if f"{function}_lower" in library:
                function = f"{function}_lower"
            elif function in NEGATABLE:
                expr = f"lower({expr})"
            else:
                self.problems.add(
                    localised(
                        CODE,
                        "'{function}' has no lower-is-better form",
                        row.at("direction"),
                        "give its bounds in the indicator's own order (goalposts(worst, best) with "
                        "worst > best) and direction 1",
                        function=function,
                    )
                )
                return None
        params = library[function]
        wanted = [p for p in params[1:] if p != "d"]
        args = list(norm.args)
        target = row.get("target")
        if not args and wanted == ["target"] and target:  # COINr's Target column
            if not _NUMBER.fullmatch(target):
                self.problems.add(
                    localised(
                        CODE, "target '{target}' is not a number", row.at("target"), target=target
                    )
                )
                return None
            args = [target]
        if len(args) != len(wanted):
            at = row.at("normalise")
            if not wanted:
                wrong = localised(
                    CODE,
                    "normalisation '{name}' takes 0 values (none), given {given}",
                    at,
                    name=norm.name,
                    given=len(args),
                )
            elif len(wanted) == 1:
                wrong = localised(
                    CODE,
                    "normalisation '{name}' takes 1 value ({params}), given {given}",
                    at,
                    name=norm.name,
                    params=wanted[0],
                    given=len(args),
                )
            else:
                wrong = localised(
                    CODE,
                    "normalisation '{name}' takes {count} values ({params}), given {given}",
                    at,
                    name=norm.name,
                    count=len(wanted),
                    params=", ".join(wanted),
                    given=len(args),
                )
            self.problems.add(wrong)
            return None
        given = iter(args)
        call = [expr, *(self.over if p == "d" else next(given) for p in params[1:])]
        return f"{function}({', '.join(call)})"

    def aggregate(self, row: Row) -> None:
        """p = AGGREGATE(ARGS, child: weight, ...), the children in the table's order."""
        written = row.get("aggregate") or self.defaults["aggregate"]
        method = _method(written, row.at("aggregate"), self.problems)
        if method is None:
            return
        if method.name not in AGGREGATIONS or len(method.args) != AGGREGATIONS[method.name]:
            known = ", ".join(
                f"{m}({', '.join(['…'] * k)})" if k else m for m, k in AGGREGATIONS.items()
            )
            self.problems.add(
                localised(
                    CODE,
                    "aggregation '{aggregation}' is not one of {known}",
                    row.at("aggregate"),
                    aggregation=written,
                    known=known,
                )
            )
            return
        parts = list(method.args)
        for child in self.tree.children[row.get("name")]:
            weight = _weight(child, self.problems)
            if weight is None:
                return
            parts.append(f"{self.leaf_name.get(child.get('name'), child.get('name'))}: {weight}")
        self.out.append((f"{row.get('name')} = {method.name}({', '.join(parts)})", row.span, True))

    def top(self, row: Row) -> None:
        """p_coverage: the share of p's indicators present (as divided by their denominators);
        with `screen`, p_kept: 1 where that share is enough, else missing (note KZF269)."""
        name = row.get("name")
        leaves = [self.denominated.get(leaf, leaf) for leaf in self.tree.leaves(name)]
        self.out.append((f"{name}_coverage = coverage({', '.join(leaves)})", row.span, False))
        if self.screened:
            kept = f"{name}_kept = screen(1, {name}_coverage, {self.defaults['screen']})"
            self.out.append((kept, row.span, False))

    def labels(self, row: Row) -> None:
        name = row.get("name")
        for column, cell in row.cells.items():
            text = cell.text.strip()
            if not text or not (column == "label" or column.startswith("label_")):
                continue
            lang = "en" if column == "label" else column.removeprefix("label_")
            quoted = text.replace("\\", "\\\\").replace('"', '\\"')
            named = {name, self.leaf_name.get(name, name)}
            for labelled in sorted(named):
                self.out.append((f'label {labelled} {lang} "{quoted}"', row.span, False))


def _statements(
    stmt: ast.Framework, rows: list[Row], declared: set[str]
) -> list[tuple[str, Span, bool]]:
    """Each statement the table stands for, with its row, and whether it is the row's
    definition (one a row: an indicator's normalised value, or an aggregate)."""
    tree = _hierarchy(rows, _Problems())
    return _Writer(stmt, tree, declared).statements()


def _direction(text: str) -> int | None:
    value = text.strip().lower()
    if value in ("", "1", "+1", "1.0", "+1.0", "+", "higher"):
        return 1
    if value in ("-1", "-1.0", "-", "lower"):
        return -1
    return None


def _weight(row: Row, problems: _Problems) -> str | None:
    text = row.get("weight")
    if not text:
        return "1"
    if _NAME.fullmatch(text):  # a param of the file, which `vary` can vary
        return text
    if not _NUMBER.fullmatch(text):
        problems.add(
            localised(
                CODE,
                "weight '{weight}' is neither a number nor the name of a param",
                row.at("weight"),
                weight=text,
            )
        )
        return None
    if float(text) < 0:
        problems.add(localised(CODE, "weight {weight} is negative", row.at("weight"), weight=text))
        return None
    value = float(text)
    return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)


def _method(text: str, span: Span, problems: _Problems) -> Method | None:
    """`minmax`, `target_range(80)`, `amean_available(0.5)`: a name and its values."""
    found = _METHOD.fullmatch(text)
    args: list[str] = []
    if found is not None and found.group(2) is not None and found.group(2).strip():
        args = [a.strip() for a in found.group(2).split(",")]
    if found is None or not all(
        _NUMBER.fullmatch(a) or _NAME.fullmatch(a) or _STRING.fullmatch(a) for a in args
    ):
        problems.add(
            localised(
                CODE,
                "'{method}' is not a method such as minmax or target_range(80)",
                span,
                method=text,
            )
        )
        return None
    return Method(found.group(1), tuple(args))


@cache
def _library() -> dict[str, tuple[str, ...]]:
    """The normalisations of std:composite: each function taking `x` first, by its params."""
    text = resources.files("kzf.dsl").joinpath("std", "composite.kzf").read_text(encoding="utf-8")
    module = parse_module(text, "std:composite")
    return {
        s.name: tuple(p.id for p in s.params)
        for s in module.statements
        if isinstance(s, ast.FunctionDef)
        and s.params
        and s.params[0].id == "x"
        and s.name not in ("higher", "lower", "impute")
    }


def _closest(word: str, choices: list[str]) -> str | None:
    """The name kzf's did-you-mean would suggest (dsl/diagnostics.py), as a note's word."""
    return suggestion(word, choices)[1].get("suggestion")


__all__ = ["COLUMNS", "Expansion", "expand"]
