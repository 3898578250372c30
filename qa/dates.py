"""Resolve relative date phrases in a quoted sentence against the article's publication date.

`resolve_dates("... will visit on Tuesday ...", date(2026, 1, 9))` finds "on Tuesday" and
resolves it to Jan. 13, 2026; `annotate` inserts the AP-style label after the phrase, so the
quote itself stays verbatim: "on Tuesday (Jan. 13, 2026)".

What is resolved, and how:
- weekdays, optionally with on/early/late, last/next/this/this past/this coming, a time of day
  ("Wednesday morning") and a possessive: "last X" is the most recent X strictly before the
  publication date, "next X" the first one strictly after; a bare (or "this") weekday is read from
  the tense of its clause, news style: future ("will", "is expected to", "plans to", "next") -> the
  nearest X on or after the publication date, past ("said", "announced", "was", "-ed") -> the
  nearest X on or before it (so "announced Friday" in a Friday article is that very day);
  no tense marker -> past. Skipped: names and things ("Black Friday", "Mr. Monday", "Sunday
  hunting", "the Sunday Times"), a weekday followed by its date ("Tuesday, Jan. 6"), and "the
  last Friday (of the month)".
- today, tonight, this morning/afternoon/evening -> the publication date; yesterday, last night ->
  the day before; tomorrow -> the day after. Label "Jan. 9, 2026".
- last/this/next week -> the Monday of that (ISO) week, label "week of Jan. 12, 2026";
  last/this/next month -> its first day, label "Dec. 2025"; last/this/next year -> Jan. 1,
  label "2025". "the last week"/"the past year" (a span, not a calendar unit) is skipped.
- months: "last November" (the most recent November before the publication month), "next
  March", "this May", "(late) October (of) last year" -> label "Nov. 2025". A bare month
  ("in August") is skipped: without a year or qualifier it is too often generic.
- month and day without a year ("Jan. 19", "19 January") resolve within half a year of the
  publication: on or before it in a past-tense clause, on or after it in a future one, else the
  nearest. They are only annotated when that date falls in another year than the publication
  ("Jan. 3 (Jan. 3, 2026)" in a Dec. 2025 article): in the same year the reader already has the
  year from the source's date, and "Jan. 19 (Jan. 19, 2026)" would only repeat it. More than
  three months away, the clause's tense must point that way too (a history feature's "Jan. 21"
  in September is not next year's). Dates with a year are already absolute and skipped.
Capitalised names only ("may" is never a month; "May" only with a day or a qualifier).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Literal

from qa.types import DateNote

__all__ = ["LABEL_PATTERN", "annotate", "format_day", "format_month", "resolve_dates",
           "stated_dates"]

logger = logging.getLogger(__name__)

Tense = Literal["future", "past"]
_Match = tuple[int, int, date, str]

_AP_MONTHS = ("Jan.", "Feb.", "March", "April", "May", "June", "July", "Aug.", "Sept.", "Oct.",
              "Nov.", "Dec.")
_FULL_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December")
_MONTH_NUMBER = {name: i + 1 for i, name in enumerate(_FULL_MONTHS)}
_MONTH_NUMBER.update({abbr + ".": n for n, abbr in (
    (1, "Jan"), (2, "Feb"), (3, "Mar"), (4, "Apr"), (6, "Jun"), (7, "Jul"), (8, "Aug"),
    (9, "Sep"), (9, "Sept"), (10, "Oct"), (11, "Nov"), (12, "Dec"))})
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

_MONTH = (r"(?P<month>(?:" + "|".join(_FULL_MONTHS) + r")\b"
          r"|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.)")
_POSS = r"(?:['’]s\b)?"
_REL = r"(?P<rel>[Tt]his\s+past|[Tt]his\s+coming|[Ll]ast|[Nn]ext|[Tt]his)"

#: Matches a label inserted by `annotate`, with its leading space: " (Jan. 13, 2026)".
LABEL_PATTERN = re.compile(
    r"\s\((?:week of )?(?:(?:" + "|".join(re.escape(m) for m in _AP_MONTHS)
    + r")\s(?:\d{1,2},\s)?)?\d{4}\)")

_MONTH_YEAR = re.compile(r"\b(?:(?:early|late|mid)(?:\s+|-))?" + _MONTH
                         + r"(?:\s+of)?\s+(?P<yrel>last|this|next)\s+year\b" + _POSS)
_MONTH_REL = re.compile(r"\b" + _REL + r"\s+" + _MONTH + _POSS)
_MONTH_DAY = re.compile(r"\b" + _MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?\b"
                        r"(?:\s*[-–]\s*\d{1,2}\b)?(?!,?\s*\d{4})")
_FULL_DATE = re.compile(r"\b" + _MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+"
                        r"(?P<year>\d{4})\b")
_FULL_DATE_DMY = re.compile(r"\b(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH
                            + r",?\s+(?P<year>\d{4})\b")
_DAY_MONTH = re.compile(r"\b(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH
                        + r"(?!,?\s*\d{4})")
_WEEKDAY = re.compile(
    r"\b(?:(?:[Oo]n|[Ee]arly|[Ll]ate)\s+)?(?:" + _REL + r"\s+)?(?P<wd>" + "|".join(_WEEKDAYS)
    + r")\b(?:\s+(?:morning|afternoon|evening|night))?" + _POSS
    # Not when a date follows ("Tuesday, Jan. 6") or the day names a thing ("Sunday hunting").
    + r"(?!,?\s*\(?(?:" + "|".join(_FULL_MONTHS) + r"|[A-Z][a-z]{2,3}\.)\s+\d)"
    + r"(?!\s+(?:hunting|school|schools|service|services|edition|editions|paper|papers|shopping"
    r"|trading|sales|brunch|mass|best|Times|Telegraph|Night|Mirror|Express|Post|Herald|Mail"
    r"|Football)\b)")
_DAY_WORD = re.compile(
    r"\b(?:(?P<word>[Tt]oday|[Tt]onight|[Yy]esterday|[Tt]omorrow)"
    r"(?:\s+(?:morning|afternoon|evening|night))?"
    r"|(?P<this>[Tt]his\s+(?:morning|afternoon|evening))|(?P<lastnight>[Ll]ast\s+night))\b"
    + _POSS)
_UNIT = re.compile(r"\b" + _REL + r"\s+(?P<unit>week|month|year)\b" + _POSS)

# Every phrase `_FINDERS` match holds one of these (a month's first three letters, as its
# abbreviations do too; "day" of a weekday, today and yesterday; "night" of tonight and
# last night; a unit): a text with none has nothing to resolve, found by substring tests.
_PHRASE_PARTS = (*(m[:3] for m in _FULL_MONTHS), "day", "night", "omorrow", "morning",
                 "afternoon", "evening", "week", "month", "year")

# "Black Friday", "USA Today", "Mr. Monday": names, not dates. "the last Friday (of the month)",
# "the next week": not relative to the publication date.
_NOT_A_DAY = re.compile(r"\b(?:Black|Good|Cyber|Super|Ash|Easter|Palm|Bloody|Holy|Maundy|Fat"
                        r"|USA|Mr\.|Mrs\.|Ms\.|Dr\.)\s+$")
_THE = re.compile(r"\bthe\s+$", re.IGNORECASE)
_FUTURE = re.compile(
    r"\b(?:will|won['’]t|shall|would|going\s+to|upcoming|next"
    r"|(?:is|are|am|was|were|be)\s+(?:expected|scheduled|set|due|slated|planned|poised|going"
    r"|about)\s+(?:to|for)"
    r"|(?:is|are)\s+to|(?:plans?|planning|intends?|aims?)\s+to)\b|\w+['’]ll\b")
# A participle after "be"/"been"/"being" ("will be signed Tuesday") carries no tense itself.
_PAST = re.compile(
    r"\b(?:was|were|did|had|ago|earlier|last|(?<!\bbe )(?<!\bbeen )(?<!\bbeing )"
    r"(?:said|told|announced|met|held|made|took|gave|went|came|began|left|saw|won|lost|spoke|"
    r"wrote|sent|got|[a-z]{2,}ed))\b")
_NOT_PAST = frozenset({"need", "indeed", "hundred", "speed", "proceed", "succeed", "exceed",
                       "seed", "feed", "breed", "shed", "embed", "bed", "red", "wed", "weed",
                       "greed", "creed", "deed", "bleed"})
_MARKERS: tuple[tuple[Tense, re.Pattern[str]], ...] = (("future", _FUTURE), ("past", _PAST))
_CLAUSE_BREAK = re.compile(r"[,;:()\[\]\"“”—–]|\s-\s")
_HALF_YEAR_DAYS = 184
_QUARTER_DAYS = 92
# A sentence ends at . ! ? before a capital, but not after "Mr.", "U.S." or "a.m.".
_SENTENCE_BREAK = re.compile(r"(?<![A-Z][a-z]\.)(?<!\b[A-Z]\.)(?<![a-z]\.[a-z]\.)"
                             r"(?<=[.!?])[\"”’]?\s+(?=[\"“]?[A-Z])")


def format_day(day: date) -> str:
    """AP style: "Jan. 13, 2026", "March 3, 2026"."""
    return f"{_AP_MONTHS[day.month - 1]} {day.day}, {day.year}"


def format_month(day: date) -> str:
    """Month and year: "Nov. 2025", "March 2026"."""
    return f"{_AP_MONTHS[day.month - 1]} {day.year}"


def resolve_dates(text: str, published: date) -> list[DateNote]:
    """Find relative date phrases in `text` and resolve them against `published`.

    Returns non-overlapping notes in text order; `start`/`end` are offsets into `text`
    and `text[start:end] == phrase`. When two phrases overlap the longer wins
    ("October of last year" over "last year").
    """
    if not any([part in text for part in _PHRASE_PARTS]):  # most sentences name no date
        return []
    found: list[_Match] = []
    for finder in _FINDERS:
        found.extend(finder(text, published))
    return _notes(text, found)


def stated_dates(text: str, published: date | None) -> list[DateNote]:
    """Every date `text` states, for a timeline: what `resolve_dates` finds, plus what it
    leaves unlabelled because a reader needs no label for it: dates with a year ("March 6,
    2026", "6 March 2026") and month-days in the publication's own year ("on March 6").
    Without `published` only dates with a year can be placed."""
    found: list[_Match] = []
    for pattern in (_FULL_DATE, _FULL_DATE_DMY):
        for m in pattern.finditer(text):
            try:
                day = date(int(m["year"]), _MONTH_NUMBER[m["month"]], int(m["day"]))
            except ValueError:
                continue
            found.append((m.start(), m.end(), day, format_day(day)))
    if published is not None:
        for finder in _FINDERS:
            found.extend(finder(text, published))
        found.extend(_find_month_day(text, published, same_year=True))
    return _notes(text, found)


def _notes(text: str, found: list[_Match]) -> list[DateNote]:
    """Non-overlapping notes in text order, the longer of two overlapping phrases kept."""
    found.sort(key=lambda m: (m[0], -(m[1] - m[0])))
    notes: list[DateNote] = []
    last_end = -1
    for start, end, resolved, label in found:
        if start >= last_end:
            notes.append(DateNote(text[start:end], start, end, resolved, label))
            last_end = end
    return notes


def annotate(text: str, notes: list[DateNote]) -> str:
    """Insert " (label)" right after each note's phrase; the text itself is left verbatim.

    `annotate("announced Friday.", notes)` -> "announced Friday (Jan. 9, 2026)."
    """
    out: list[str] = []
    pos = 0
    for note in sorted(notes, key=lambda n: n.end):
        if note.start < pos or note.end > len(text):
            raise ValueError(f"date note {note.phrase!r} at {note.start}-{note.end} overlaps "
                             "another note or lies outside the text; pass notes from "
                             "resolve_dates on this same text")
        out.append(text[pos:note.end])
        out.append(f" ({note.label})")
        pos = note.end
    out.append(text[pos:])
    return "".join(out)


def _find_month_year(text: str, published: date) -> list[_Match]:
    out = []
    for m in _MONTH_YEAR.finditer(text):
        year = published.year + {"last": -1, "this": 0, "next": 1}[m["yrel"]]
        day = date(year, _MONTH_NUMBER[m["month"]], 1)
        out.append((m.start(), m.end(), day, format_month(day)))
    return out


def _find_month_rel(text: str, published: date) -> list[_Match]:
    out = []
    for m in _MONTH_REL.finditer(text):
        if _preceded_by(text, m.start(), _THE):
            continue
        month = _MONTH_NUMBER[m["month"]]
        rel = _normalise_rel(m["rel"])
        year = published.year
        if rel == "last" and month >= published.month:
            year -= 1
        elif rel == "next" and month <= published.month:
            year += 1
        day = date(year, month, 1)
        out.append((m.start(), m.end(), day, format_month(day)))
    return out


def _find_month_day(text: str, published: date, *, same_year: bool = False) -> list[_Match]:
    out = []
    for pattern in (_MONTH_DAY, _DAY_MONTH):
        for m in pattern.finditer(text):
            tense = _tense(text, m.start(), m.end())
            day = _month_day(published, _MONTH_NUMBER[m["month"]], int(m["day"]), tense)
            if day is None:
                continue
            # Same year as the article: the reader already knows it, so no label (see top).
            if day.year == published.year:
                if same_year:
                    out.append((m.start(), m.end(), day, format_day(day)))
                continue
            # Far from the year's turn, only a tense pointing that way justifies another year
            # (history features mention "Jan. 21" in September without meaning next year).
            toward = "past" if day < published else "future"
            if abs((day - published).days) <= _QUARTER_DAYS or tense == toward:
                out.append((m.start(), m.end(), day, format_day(day)))
    return out


def _find_weekdays(text: str, published: date) -> list[_Match]:
    out = []
    for m in _WEEKDAY.finditer(text):
        if _preceded_by(text, m.start(), _NOT_A_DAY) or (
                m["rel"] and _preceded_by(text, m.start(), _THE)):
            continue
        target = _WEEKDAYS.index(m["wd"])
        ahead = (target - published.weekday()) % 7  # 0..6 days forward
        back = (published.weekday() - target) % 7  # 0..6 days back
        rel = _normalise_rel(m["rel"]) if m["rel"] else None
        if rel == "last":
            delta = -(back or 7)
        elif rel == "next":
            delta = ahead or 7
        else:
            delta = ahead if _tense(text, m.start(), m.end()) == "future" else -back
        day = published + timedelta(days=delta)
        out.append((m.start(), m.end(), day, format_day(day)))
    return out


def _find_day_words(text: str, published: date) -> list[_Match]:
    out = []
    for m in _DAY_WORD.finditer(text):
        if _preceded_by(text, m.start(), _NOT_A_DAY):
            continue
        word = (m["word"] or "").lower()
        offset = {"yesterday": -1, "tomorrow": 1}.get(word, -1 if m["lastnight"] else 0)
        day = published + timedelta(days=offset)
        out.append((m.start(), m.end(), day, format_day(day)))
    return out


def _find_units(text: str, published: date) -> list[_Match]:
    out = []
    for m in _UNIT.finditer(text):
        if _preceded_by(text, m.start(), _THE):
            continue  # "over the last year": a span of time, not a calendar unit
        step = {"last": -1, "this": 0, "next": 1}[_normalise_rel(m["rel"])]
        if m["unit"] == "week":
            day = published - timedelta(days=published.weekday()) + timedelta(weeks=step)
            label = f"week of {format_day(day)}"
        elif m["unit"] == "month":
            months = published.year * 12 + published.month - 1 + step
            day = date(months // 12, months % 12 + 1, 1)
            label = format_month(day)
        else:
            day = date(published.year + step, 1, 1)
            label = str(day.year)
        out.append((m.start(), m.end(), day, label))
    return out


_FINDERS: tuple[Callable[[str, date], list[_Match]], ...] = (
    _find_month_year, _find_month_rel, _find_month_day, _find_weekdays, _find_day_words,
    _find_units)


def _normalise_rel(rel: str) -> str:
    """"this past" -> "last", "this coming" -> "next", else lowercased."""
    rel = " ".join(rel.lower().split())
    return {"this past": "last", "this coming": "next"}.get(rel, rel)


def _preceded_by(text: str, start: int, pattern: re.Pattern[str]) -> bool:
    return pattern.search(text[max(0, start - 20):start]) is not None


def _month_day(published: date, month: int, day: int, tense: Tense | None) -> date | None:
    """The date with this month and day within half a year of `published`: on or before it
    in a past-tense clause, on or after it in a future one, else the nearest."""
    candidates = []
    for year in (published.year - 1, published.year, published.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if abs((candidate - published).days) <= _HALF_YEAR_DAYS:
            candidates.append(candidate)
    if tense == "past" and any(c <= published for c in candidates):
        return max(c for c in candidates if c <= published)
    if tense == "future" and any(c >= published for c in candidates):
        return min(c for c in candidates if c >= published)
    return min(candidates, key=lambda d: abs((d - published).days), default=None)


def _tense(text: str, start: int, end: int) -> Tense | None:
    """The tense governing the phrase at `start:end`: the nearest marker in its clause,
    else the nearest in its sentence, else None."""
    sentence = _span_around(text, start, end, _SENTENCE_BREAK)
    clause = _span_around(text, start, end, _CLAUSE_BREAK, within=sentence)
    for lo, hi in (clause, sentence):
        best: tuple[int, Tense] | None = None
        for tense, pattern in _MARKERS:
            for m in pattern.finditer(text, lo, hi):
                if m.start() < end and m.end() > start:
                    continue  # the phrase's own words ("next", "last") do not count
                if tense == "past" and m.group().lower() in _NOT_PAST:
                    continue
                gap = max(start - m.end(), m.start() - end, 0)
                if best is None or gap < best[0]:
                    best = (gap, tense)
        if best is not None:
            return best[1]
    return None


def _span_around(text: str, start: int, end: int, breaks: re.Pattern[str],
                 within: tuple[int, int] | None = None) -> tuple[int, int]:
    lo, hi = within or (0, len(text))
    for m in breaks.finditer(text, lo, hi):
        if m.end() <= start:
            lo = m.end()
        elif m.start() >= end:
            hi = m.start()
            break
    return lo, hi
