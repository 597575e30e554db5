"""Time periods: which dimension is time, and its values as periods of one frequency.

`lag`, `lead`, `diff` and `growth` step one period back or forward. With whole years that
is the year minus one; with quarters, months, half-years, weeks or days it must be the
previous quarter (month, ...) too, not the previous row: in a panel with 2020-01, 2020-02
and 2020-04, the month before 2020-04 is 2020-03, which is missing, so growth there is
missing, not April over February. So every period label is turned into an *ordinal*, a whole
number that goes up by one from each period to the next (2020-Q1 → 8080, 2020-Q2 → 8081),
and the engines step by ordinal exactly as they step by year.

The labels are those SDMX's TIME_PERIOD writes (and the spellings statistics offices use):

    years       2020
    half-years  2020-S1, 2020S1, 2020-H1, 2020H2
    quarters    2020-Q1, 2020Q1, 2020 Q1
    months      2020-01, 2020M01, 2020-M1, 2020M1
    weeks       2020-W01, 2020W1 (ISO 8601 weeks)
    days        2020-01-31 (also with a time of 00:00:00, as spreadsheets store dates)

One dimension holds one frequency: months next to quarters are an error, never a guess.

Which dimension is time: the one the file marks (`dims GeoAreaName, Sex, TimePeriod : time`),
else `year`, else the one dimension whose name says time (TIME_PERIOD, TimePeriod, period,
date, quarter, month, ...). When none or several do, there is no time dimension the file has
chosen, and a function along time is an error that asks for the mark (the last dimension is
only the order rows are sorted in), so that a UN SDG panel `dims GeoAreaName, TimePeriod,
Sex` never lags from BOTHSEX to FEMALE.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

# The hidden panel column holding each row's period ordinal, when the time dimension holds
# period labels; the engines step along it (engine/run/lower_pandas.py, lower_sql.py).
ORDINAL_COLUMN = "\0period"

# Names that say "time", compared without case, spaces, '_', '-' and '.'.
TIME_NAMES = frozenset(
    {
        "year", "time", "timeperiod", "period", "date", "quarter", "month", "week", "day",
        "refperiod", "referenceperiod", "refdate", "obstime", "yr",
        "год", "период", "дата", "квартал", "месяц",  # ru
        "жыл", "кезең", "тоқсан", "ай", "күн",  # kk
    }
)  # fmt: skip


def is_time_name(name: str) -> bool:
    """Whether a dimension's name says it is time (TIME_PERIOD, TimePeriod, Период, ...)."""
    return re.sub(r"[\s_.\-]", "", name).casefold() in TIME_NAMES


@dataclass(frozen=True)
class TimeChoice:
    """The time dimension and how it was chosen: `chosen` is False when no mark, no `year`
    and no single time-like name decided, and `dim` is then only the sort order."""

    dim: str | None
    chosen: bool


def time_dimension(dims: Sequence[str], declared: str | None = None) -> TimeChoice:
    """The time dimension of a panel with `dims` (see the module docstring)."""
    if declared is not None:
        return TimeChoice(declared, True)
    if not dims:
        return TimeChoice(None, False)
    if "year" in dims:
        return TimeChoice("year", True)
    named = [d for d in dims if is_time_name(d)]
    if len(named) == 1:
        return TimeChoice(named[0], True)
    return TimeChoice(dims[-1], False)


# ---------------------------------------------------------------- period labels

FREQUENCIES = ("half-yearly", "quarterly", "monthly", "weekly", "daily")

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("half-yearly", re.compile(r"(\d{4})\s*-?\s*[SH]([12])", re.IGNORECASE)),
    ("quarterly", re.compile(r"(\d{4})\s*-?\s*Q([1-4])", re.IGNORECASE)),
    ("monthly", re.compile(r"(\d{4})(?:-?M(\d{1,2})|-(\d{2}))", re.IGNORECASE)),
    ("weekly", re.compile(r"(\d{4})\s*-?\s*W(\d{1,2})", re.IGNORECASE)),
    ("daily", re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00(?::00(?:\.0+)?)?)?")),
)


class PeriodError(ValueError):
    """A label that is not a period, or not of the frequency of the others."""

    def __init__(self, position: int, message: str) -> None:
        super().__init__(message)
        self.position = position
        self.message = message


def _ordinal(frequency: str, m: re.Match[str]) -> int | None:
    year = int(m.group(1))
    if frequency == "half-yearly":
        return year * 2 + int(m.group(2)) - 1
    if frequency == "quarterly":
        return year * 4 + int(m.group(2)) - 1
    if frequency == "monthly":
        month = int(m.group(2) or m.group(3))
        return year * 12 + month - 1 if 1 <= month <= 12 else None
    try:
        if frequency == "weekly":
            return dt.date.fromisocalendar(year, int(m.group(2)), 1).toordinal() // 7
        return dt.date(year, int(m.group(2)), int(m.group(3))).toordinal()
    except ValueError:  # week 54, February 30
        return None


def period_of(label: str) -> tuple[str, int] | None:
    """(frequency, ordinal) of a period label, or None when it is not one."""
    text = label.strip()
    for frequency, pattern in _PATTERNS:
        m = pattern.fullmatch(text)
        if m is not None:
            ordinal = _ordinal(frequency, m)
            return None if ordinal is None else (frequency, ordinal)
    return None


def parse_periods(labels: Sequence[str], name: str) -> tuple[list[int], str] | None:
    """The ordinals of `labels` and their one frequency; None when no label is a period
    (the dimension holds other labels). PeriodError names the first label that is not a
    period when others are, or that is of another frequency than the first."""
    parsed = [period_of(label) for label in labels]
    first = next((i for i, p in enumerate(parsed) if p is not None), None)
    if first is None:
        return None
    head = parsed[first]
    assert head is not None
    frequency = head[0]
    for i, p in enumerate(parsed):
        if p is None:
            raise PeriodError(
                i,
                f"{labels[i]!r} is not a period like {labels[first]!r} ('{name}' is the time "
                f"dimension, {frequency})",
            )
        if p[0] != frequency:
            raise PeriodError(
                i,
                f"{labels[i]!r} is {p[0]} but {labels[first]!r} is {frequency}: one time "
                f"dimension ('{name}') holds periods of one frequency",
            )
    return [p[1] for p in parsed if p is not None], frequency
