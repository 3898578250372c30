""""As of" a date: prefer what was news then, shaped by the question's own date phrases.

A question asked as of a date D never sees articles published after D (a filter, see
`Assistant.ask`). Among the rest, a candidate gains `strength * 2 ** (-distance / half_life)`
on its fused score, where `distance` is how many days its article was published before the
period the question is about: by default the days before D; when the question names a
period ("this week", "last month", "in March", "in 2021", "yesterday"), the days outside
that period (an article from up to `after_days` after the period still counts as inside:
news about a week is often published the week after). Undated articles gain nothing. The
strength and half-life are chosen on dated dev questions (`train/fit_recency.py`).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from qa.dates import resolve_dates
from qa.models import ModelFileError, load_model

__all__ = ["Period", "RecencyParams", "load_recency", "question_period", "recency_prior"]

MODEL_KIND = "recency"
MODEL_VERSION = 1

_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")
_IN_YEAR = re.compile(r"\b(?:in|of|during|since|from)\s+((?:19|20)\d\d)\b", re.I)
_IN_MONTH = re.compile(
    r"\b(?:in|during|of|since)\s+(?:early\s+|late\s+|mid-?)?(" + "|".join(_MONTHS)
    + r")(?:\s*,?\s*((?:19|20)\d\d))?\b", re.I)


@dataclass(frozen=True, kw_only=True)
class RecencyParams:
    """strength: the prior's height in fused-score units; half_life_days: how fast it
    falls with distance; after_days: how long after a named period still counts as in it."""

    strength: float = 3.0
    half_life_days: float = 3.0
    after_days: int = 7

    def __post_init__(self) -> None:
        if not (self.strength >= 0 and self.half_life_days > 0 and self.after_days >= 0):
            raise ValueError(f"bad recency parameters {self!r}: strength >= 0, half_life_days "
                             "> 0 and after_days >= 0")


@lru_cache(maxsize=4)
def load_recency(path: Path | None = None) -> RecencyParams:
    """The shipped recency parameters (`qa/models/recency-v1.json`), checked when loaded."""
    params = load_model(MODEL_KIND, MODEL_VERSION, path)
    try:
        return RecencyParams(**params)
    except (TypeError, ValueError) as e:
        raise ModelFileError(f"the recency model's parameters are invalid ({e}); retrain it "
                             "with train/fit_recency.py") from e


@dataclass(frozen=True)
class Period:
    """The days a question is about, inclusive; `phrase` is what named it ("" for as_of).
    `as_of`: also prefer what was recent at this day (a candidate gains the larger of the
    two preferences): the question names a past period but is asked as of a later day."""

    start: date
    end: date
    phrase: str = ""
    as_of: date | None = None


def question_period(question: str, as_of: date | None) -> Period | None:
    """The period `question` is about, read from its date phrases and resolved against
    `as_of` (relative phrases need it; "in 2021" does not); by default the days up to
    `as_of`; None when there is neither a phrase nor an `as_of`.

    Asked as of a day, a question is about the news then, and its phrase shapes that:
    a past period ("last week", "in March", "since 2010") is preferred as much as the days
    up to `as_of` (news quizzes name past periods mostly as background: "its first title
    since 2010"); a period of a week or less around `as_of` ("this week", "on Friday")
    counts whole; a longer or a future one ("this year", "next month") says no more than
    `as_of` does, which is then the period. Chosen on the dated dev questions' choose
    split (train/fit_recency.py) against using the phrase's period alone or never.
    """
    found = _named_period(question, as_of)
    if as_of is None:
        return found
    if found is None:
        return Period(as_of, as_of, "")
    if found.end < as_of or (found.start <= as_of and (found.end - found.start).days <= 7):
        return Period(found.start, found.end, found.phrase, as_of)
    return Period(as_of, as_of, "")


def _named_period(question: str, as_of: date | None) -> Period | None:
    """The period the question's first date phrase names, or None."""
    year = _IN_YEAR.search(question)
    month = _IN_MONTH.search(question)
    if month:
        number = _MONTHS.index(month.group(1).lower()) + 1
        if month.group(2):
            y = int(month.group(2))
        elif year:
            y = int(year.group(1))
        elif as_of is not None:
            y = as_of.year if number <= as_of.month else as_of.year - 1
        else:
            y = None
        if y is not None:
            last = calendar.monthrange(y, number)[1]
            return Period(date(y, number, 1), date(y, number, last), month.group(0))
    if year:
        y = int(year.group(1))
        return Period(date(y, 1, 1), date(y, 12, 31), year.group(0))
    if as_of is None:
        return None
    for note in resolve_dates(question, as_of):
        return Period(*_span_of(note.label, note.resolved, as_of), note.phrase)
    return None


def _span_of(label: str, resolved: date, as_of: date) -> tuple[date, date]:
    if label.startswith("week of"):
        return resolved, min(resolved + timedelta(days=6), max(resolved, as_of))
    if re.fullmatch(r"\d{4}", label):
        return date(resolved.year, 1, 1), date(resolved.year, 12, 31)
    if not re.search(r"\d{1,2},", label):  # a month: "Nov. 2025"
        last = calendar.monthrange(resolved.year, resolved.month)[1]
        return resolved.replace(day=1), resolved.replace(day=last)
    return resolved, resolved


def recency_prior(
    published: NDArray[np.int64],
    period: Period | None,
    params: RecencyParams,
    *,
    undated: int,
) -> NDArray[np.float32]:
    """The prior of each candidate from its article's publication day (`date.toordinal`,
    `undated` where unknown); zeros without a period."""
    out = np.zeros(len(published), dtype=np.float32)
    if period is None or params.strength == 0:
        return out
    dated = published != undated
    start, end = period.start.toordinal(), period.end.toordinal() + params.after_days
    days = published[dated].astype(np.float64)
    distance = np.where(days < start, start - days, np.where(days > end, days - end, 0.0))
    if period.as_of is not None:  # the nearer of the period and the days up to as_of
        distance = np.minimum(distance, np.abs(period.as_of.toordinal() - days))
    out[dated] = params.strength * np.exp2(-distance / max(params.half_life_days, 1e-6))
    return out
