"""Answer-type and sequence cues: whether a sentence holds what the question's wh-word asks
for (a date for "when", a number for "how many", a name for "who"), and whether it opens
with a sequence marker when the question asks what came next. Features of the selector."""

from __future__ import annotations

import re
from collections.abc import Callable

_WHEN = re.compile(
    r"^\s*(when|what (day|date|time|year|month)|how long ago|since when)\b", re.I
)
_HOW_MANY = re.compile(
    r"\b(how (many|much|old|long|far|big|large|high|often)|"
    r"what (number|percentage|share|age))\b",
    re.I,
)
_WHO = re.compile(r"^\s*(who|whom|whose)\b", re.I)
_WHERE = re.compile(
    r"^\s*(where|in what (city|country|place|region)|which (city|country|place))\b", re.I
)
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_DATE_LIKE = re.compile(
    rf"\b((mon|tues|wednes|thurs|fri|satur|sun)day|today|tomorrow|yesterday|tonight|"
    rf"({_MONTHS})\.?(\s+\d{{1,2}})?|(19|20)\d\d|\d{{1,2}}(:\d\d)?\s*(a\.m\.|p\.m\.)|"
    rf"(last|next|this)\s+(week|month|year)|ago|later|early|late|morning|afternoon|evening)\b",
    re.I,
)
_NUMBER = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
    r"forty|fifty|hundred|thousand|million|billion|dozen|half)\b",
    re.I,
)
_NAME = re.compile(r"\b[A-Z][a-z]+(?:[-\s][A-Z][a-z]+)+\b")
_CAPITAL = re.compile(r"\b[A-Z][\w-]+")
# "Where will Lee go after visiting the temple?": the answer is what comes next, which news
# writing signals with a sequence marker at the start of the sentence.
_ASKS_NEXT = re.compile(r"\b(after|afterwards|later|next|then|following)\b", re.I)
_SEQUENCE_START = re.compile(
    r"^\W*(later|then|afterwards|after that|next|subsequently|following (that|this|the \w+))\b",
    re.I,
)


def answer_type_bonus(question: str, sentence: str) -> float:
    """1.0 when the sentence holds what the question's wh-word asks for, else 0.0."""
    return answer_type_check(question)(sentence)


def answer_type_check(question: str) -> Callable[[str], float]:
    """`answer_type_bonus` for `question`, with the question read once (for its sentences)."""
    if _WHEN.search(question):
        return lambda sentence: 1.0 if _DATE_LIKE.search(sentence) else 0.0
    if _HOW_MANY.search(question):
        return lambda sentence: 1.0 if _NUMBER.search(sentence) else 0.0
    if _WHO.search(question):
        return lambda sentence: 1.0 if _NAME.search(sentence) else 0.0
    if _WHERE.search(question):
        asked = {w.lower() for w in _CAPITAL.findall(question)}
        return lambda sentence: 1.0 if any(
            w.lower() not in asked for w in _CAPITAL.findall(sentence)[1:]) else 0.0
    return lambda sentence: 0.0


def follows_on(question: str, sentence: str) -> float:
    """1.0 when the question asks what came next and the sentence opens with "Later," etc."""
    return follows_on_check(question)(sentence)


def follows_on_check(question: str) -> Callable[[str], float]:
    """`follows_on` for `question`, with the question read once."""
    if not _ASKS_NEXT.search(question):
        return lambda sentence: 0.0
    return lambda sentence: 1.0 if _SEQUENCE_START.search(sentence) else 0.0
