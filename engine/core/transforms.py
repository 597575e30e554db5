"""Imputation and outlier treatment, computed within groups of rows on numpy arrays.

Each function returns the new values and what it changed, so that the backend can report it
(KZF260-KZF262): a methodologist must see every imputed or treated value. The rules follow
the OECD/JRC Handbook on Constructing Composite Indicators (2008) and COINr:

* `fill_previous`, `fill_next`: the latest earlier (earliest later) observed value of the same
  entity, however many years away; `interpolate`: linear in time between the nearest observed
  years on both sides (ends stay missing: combine with the fills to extend them);
* `fill_mean`, `fill_median`: the mean (median) of the observed values of the group;
* `winsorise`: while a group's |skewness| > 2 and kurtosis > 3.5, the most extreme value on
  the side of the skew takes the next value's place, at most `limit` values per group;
* `treat`: `winsorise`, and where `limit` values are not enough, the original values
  log-transformed instead (order kept: ln(x - min + 1) for a positive skew, -ln(max - x + 1)
  for a negative one; ln(x) itself when every value is positive and the skew positive).

Skewness and kurtosis are the sample statistics of Excel's SKEW and KURT (bias-adjusted
Fisher-Pearson; kurtosis in excess of the normal's 3), which COINr also uses; a spread below
representation noise counts as none (`SPREAD_NOISE`), so they are undefined there.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from kzf.dsl.diagnostics import rows_message
from kzf.dsl.messages import Phrase

SKEW_LIMIT = 2.0
KURT_LIMIT = 3.5
# A standard deviation below this fraction of the largest |value| is representation noise
# (ten values all 0.3 in decimal, some computed as 0.1 + 0.2: 2.6e-17 against 0.3), not a
# spread: skewness and kurtosis are then undefined, as for equal values, and no value is an
# outlier. 1e-14 is some 45 units in the last place, well above the noise of a few
# operations and far below any spread a published table shows (15 significant digits).
SPREAD_NOISE = 1e-14


@dataclass(frozen=True)
class Change:
    """Rows a transform changed in one group, and a sentence saying how."""

    rows: np.ndarray  # row indices
    message: Phrase
    code: str = "KZF260"


# What each imputation says of the values it filled, one whole sentence per function (the
# rows are named after it: relevance.row_warning)
FILL_ROWS_TEMPLATES = {
    "fill_previous": "fill_previous() imputed {count} missing value(s) from the latest earlier "
    "year observed",
    "fill_next": "fill_next() imputed {count} missing value(s) from the earliest later year "
    "observed",
    "interpolate": "interpolate() imputed {count} missing value(s) by linear interpolation "
    "between the nearest observed years",
    "fill_mean": "fill_mean() imputed {count} missing value(s) by the mean {value} of {pool} "
    "observed value(s)",
    "fill_median": "fill_median() imputed {count} missing value(s) by the median {value} of "
    "{pool} observed value(s)",
}


# ---------------------------------------------------------------- moments


def skew_kurt(x: np.ndarray) -> tuple[float, float]:
    """Sample skewness and excess kurtosis of the non-missing values (NaN when undefined)."""
    v = x[~np.isnan(x)]
    n = len(v)
    if n < 3:
        return float("nan"), float("nan")
    d = v - v.mean()
    s = np.sqrt((d @ d) / (n - 1))
    if not s > SPREAD_NOISE * float(np.max(np.abs(v))):
        return float("nan"), float("nan")  # no spread, or only representation noise
    z = d / s
    skew = n / ((n - 1) * (n - 2)) * float(np.sum(z**3))
    if n < 4:
        return skew, float("nan")
    kurt = n * (n + 1) / ((n - 1) * (n - 2) * (n - 3)) * float(np.sum(z**4)) - 3 * (n - 1) ** 2 / (
        (n - 2) * (n - 3)
    )
    return skew, kurt


def grouped_moment(func: str, x: np.ndarray, gid: np.ndarray, ngroups: int) -> np.ndarray:
    """skew or kurt of each group, broadcast back to its rows."""
    per_group = np.full(ngroups, np.nan)
    for g, rows in _groups(gid, ngroups):
        per_group[g] = skew_kurt(x[rows])[0 if func == "skew" else 1]
    return np.asarray(per_group[gid])


def _groups(gid: np.ndarray, ngroups: int) -> Iterator[tuple[int, np.ndarray]]:
    """Each group's row indices, in row order."""
    order = np.argsort(gid, kind="stable")
    bounds = np.searchsorted(gid[order], np.arange(ngroups + 1))
    for g in range(ngroups):
        if bounds[g] < bounds[g + 1]:
            yield g, order[bounds[g] : bounds[g + 1]]


# ---------------------------------------------------------------- imputation along time


def fill_along_time(
    func: str, x: np.ndarray, time: np.ndarray, gid: np.ndarray, ngroups: int
) -> tuple[np.ndarray, list[Change]]:
    """fill_previous, fill_next or interpolate within each entity (rows of a group are in
    time order, as the panel is sorted by its dimensions)."""
    out = x.copy()
    filled_rows: list[np.ndarray] = []
    for _, rows in _groups(gid, ngroups):
        v, t = x[rows], time[rows]
        seen = ~np.isnan(v)
        if seen.all() or not seen.any():
            continue
        known = np.flatnonzero(seen)
        missing = np.flatnonzero(~seen)
        if func == "fill_previous":
            src = np.searchsorted(known, missing) - 1
            ok = src >= 0
            filled = v[known[src[ok]]]
        elif func == "fill_next":
            src = np.searchsorted(known, missing)
            ok = src < len(known)
            filled = v[known[src[ok]]]
        else:
            ok = (missing > known[0]) & (missing < known[-1])
            filled = np.interp(t[missing[ok]], t[known], v[known])
        if not ok.any():
            continue
        target = rows[missing[ok]]
        out[target] = filled
        filled_rows.append(target)
    if not filled_rows:
        return out, []
    rows_done = np.concatenate(filled_rows)
    said = rows_message(FILL_ROWS_TEMPLATES[func], count=len(rows_done))
    return out, [Change(rows_done, said)]


# ---------------------------------------------------------------- imputation across a group


def fill_group(
    func: str, x: np.ndarray, donors: np.ndarray, gid: np.ndarray, ngroups: int
) -> tuple[np.ndarray, list[Change]]:
    """fill_mean or fill_median: a missing value takes the statistic of its group's observed
    values (`donors`: only those where the `where` condition holds)."""
    out = x.copy()
    changes = []
    stat = np.mean if func == "fill_mean" else np.median
    for _, rows in _groups(gid, ngroups):
        v = x[rows]
        gaps = rows[np.isnan(v)]
        pool = x[rows][donors[rows] & ~np.isnan(v)]
        if len(gaps) == 0 or len(pool) == 0:
            continue
        value = float(stat(pool))
        out[gaps] = value
        template = FILL_ROWS_TEMPLATES[func]
        said = rows_message(template, count=len(gaps), value=_num(value), pool=len(pool))
        changes.append(Change(gaps, said))
    return out, changes


# ---------------------------------------------------------------- outliers


def _flagged(v: np.ndarray) -> tuple[bool, float, float]:
    s, k = skew_kurt(v)
    return bool(abs(s) > SKEW_LIMIT and k > KURT_LIMIT), s, k


def winsorise_values(v: np.ndarray, limit: int) -> tuple[np.ndarray, int, bool]:
    """Winsorise one group: the number of values changed (each counted once, however often
    it moved), and whether that was enough."""
    out = v.copy()
    changed = 0
    flagged, s, _ = _flagged(out)
    while flagged and changed < limit:
        present = np.flatnonzero(~np.isnan(out))
        values = out[present]
        if s > 0:
            extreme = values.max()
            rest = values[values < extreme]
        else:
            extreme = values.min()
            rest = values[values > extreme]
        if len(rest) == 0:
            break
        nearest = rest.max() if s > 0 else rest.min()
        hits = present[values == extreme]
        out[hits] = nearest
        changed = int(np.sum((out != v) & ~np.isnan(v)))
        flagged, s, _ = _flagged(out)
    return out, changed, not flagged


def boxcox_group(x: np.ndarray, gid: np.ndarray, ngroups: int) -> tuple[np.ndarray, list[Change]]:
    """The Box-Cox transform of each group, (x^λ - 1) / λ (ln x at λ = 0), with λ fitted by
    maximum likelihood on the group's values (scipy.stats.boxcox), which must be above 0.
    Each group is reported with its λ (KZF262); a group with a value <= 0 or fewer than two
    distinct values is left missing, and says why."""
    from scipy import stats

    out = np.full(len(x), np.nan)
    changes = []
    for _, rows in _groups(gid, ngroups):
        v = x[rows]
        present = ~np.isnan(v)
        values = v[present]
        if len(values) == 0:
            continue
        if (values <= 0).any() or len(np.unique(values)) < 2:
            said = (
                rows_message("boxcox() left the group missing: it has a value <= 0")
                if (values <= 0).any()
                else rows_message(
                    "boxcox() left the group missing: it has fewer than two distinct values"
                )
            )
            changes.append(Change(rows, said, "KZF262"))
            continue
        transformed, lam = stats.boxcox(values)
        got = np.full(len(v), np.nan)
        got[present] = transformed
        out[rows] = got
        changes.append(
            Change(
                rows[present],
                rows_message(
                    "boxcox() transformed the values with λ = {lam} (maximum likelihood)",
                    lam=_num(float(lam)),
                ),
                "KZF262",
            )
        )
    return out, changes


def _log_transform(v: np.ndarray, skew: float, coinr: bool = False) -> tuple[np.ndarray, str]:
    present = v[~np.isnan(v)]
    if coinr:  # COINr's log_CT, whatever the skew's sign: 1 % of the range keeps ln finite
        shift = 0.01 * (present.max() - present.min())
        return np.log(v - present.min() + shift), "ln(x - min + 0.01·(max - min))"
    if skew > 0 and present.min() > 0:
        return np.log(v), "ln(x)"
    if skew > 0:
        return np.log(v - present.min() + 1.0), "ln(x - min + 1)"
    return -np.log(present.max() - v + 1.0), "-ln(max - x + 1)"


def treat_group(
    func: str, x: np.ndarray, gid: np.ndarray, ngroups: int, limit: int
) -> tuple[np.ndarray, list[Change]]:
    """winsorise or treat each group whose skewness and kurtosis both exceed the limits."""
    out = x.copy()
    changes = []
    for _, rows in _groups(gid, ngroups):
        v = x[rows]
        flagged, s, k = _flagged(v)
        if not flagged:
            continue
        before = {"skew": _num(s), "kurt": _num(k)}
        new, changed, enough = winsorise_values(v, limit)
        if func in ("treat", "treat_coinr") and not enough:
            logged, form = _log_transform(v, s, coinr=func == "treat_coinr")
            out[rows] = logged
            s2, k2 = skew_kurt(logged)
            changes.append(
                Change(
                    rows[~np.isnan(v)],
                    rows_message(
                        "treat() log-transformed the values as {form} (skewness {skew}, "
                        "kurtosis {kurt}; winsorising {limit} value(s) was not enough; after: "
                        "skewness {skew_after}, kurtosis {kurt_after})",
                        form=form,
                        limit=limit,
                        skew_after=_num(s2),
                        kurt_after=_num(k2),
                        **before,
                    ),
                    "KZF262",
                )
            )
            continue
        if changed == 0:
            continue
        moved = rows[(new != v) & ~np.isnan(v)]
        out[rows] = new
        s2, k2 = skew_kurt(new)
        after = {"skew_after": _num(s2), "kurt_after": _num(k2), **before}
        said = (
            rows_message(
                "{func}() winsorised {changed} outlying value(s) (skewness {skew}, kurtosis "
                "{kurt}; after: skewness {skew_after}, kurtosis {kurt_after})",
                func=func,
                changed=changed,
                **after,
            )
            if enough
            else rows_message(
                "{func}() winsorised {changed} outlying value(s) (skewness {skew}, kurtosis "
                "{kurt}; after: skewness {skew_after}, kurtosis {kurt_after}; still above the "
                "limits after {limit})",
                func=func,
                changed=changed,
                limit=limit,
                **after,
            )
        )
        changes.append(Change(moved, said, "KZF261"))
    return out, changes


def _num(v: float) -> str:
    return f"{v:.4g}"
