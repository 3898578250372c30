"""The short answer: the phrase inside the quote that answers the question.

Every run of up to `MAX_WORDS` consecutive words of the quoted sentence that does not cross
a sentence-internal break (";", ":", a dash, brackets, quotes) is a candidate; a small
gradient-boosted tree model (`qa/models/short-v1.json`, trained on SQuAD's answer spans by
`train/fit_short.py`) scores each from what it is (a name, a number, a date, a place,
its length), where it sits (next to the question's words or among them) and what the
question asks for. The best candidate is the short answer when its probability reaches the
model's threshold and the question asks for a thing (not why or how); otherwise there is
none. Offsets are into the article text, so `article.text[start:end] == short.text`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from index import tokenize
from qa.models import ModelFileError, load_model
from qa.selector import WH_TYPES, wh_type
from qa.trees import TreeModel

__all__ = ["MAX_WORDS", "SHORT_FEATURES", "ShortModel", "candidate_spans", "find_short",
           "load_short", "span_features"]

MODEL_KIND = "short"
MODEL_VERSION = 1
MAX_WORDS = 8

SHORT_FEATURES = (
    "words", "start_share", "q_overlap", "q_overlap_any", "caps_share", "first_cap",
    "all_caps_run", "has_digit", "is_year", "has_month", "has_currency", "has_percent",
    "number_word", "starts_article", "ends_before_punct", "starts_after_punct",
    "prev_is_prep", "prev_in_question", "next_in_question", "dist_to_match", "matches_left",
    "matches_right", "max_run_cap", "stopword_edge", "inside_quotes", "word_rank_caps",
    "sentence_words", "q_words", *(f"q_{t}" for t in WH_TYPES), "q_head_year", "q_head_person",
    "q_head_place", "q_head_number", "unit_inside", "unit_after", "head_near_before",
    "head_near_after", "head_inside", "last_lower", "first_lower",
)
_UNITS = frozenset(tokenize(
    "percent million billion thousand hundred years year months days hours minutes km "
    "miles meters feet people members times dollars pounds euros tons degrees points"))
_HEAD = re.compile(r"\b(?:what|which|whose|how many|how much)\s+((?:[\w'-]+\s+){0,2}?)"
                   r"([a-z][\w-]*)\b", re.I)
_NOT_HEAD = frozenset({"is", "was", "are", "were", "did", "does", "do", "the", "a", "an", "has",
                       "had", "have", "can", "could", "would", "will", "of", "in", "to"})


def question_head(question: str) -> frozenset[str]:
    """The stems of the noun the question asks about ("Which NFL team" -> team)."""
    m = _HEAD.search(question)
    if not m:
        return frozenset()
    words = [w for w in (m.group(1) + " " + m.group(2)).split() if w.lower() not in _NOT_HEAD]
    return frozenset(tokenize(" ".join(words[-1:]))) if words else frozenset()

_WORD = re.compile(r"[$€£]?\d[\d,.]*%?|[^\W_]+(?:[-'’.][^\W_]+)*\.?|[$€£%]")
_BREAK = re.compile(r"[;:()\[\]\"“”—–]|\s-\s")
_MONTH = re.compile(r"^(January|February|March|April|May|June|July|August|September|October"
                    r"|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?$")
_NUMBER_WORDS = frozenset({
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "twenty", "thirty", "forty", "fifty", "hundred", "thousand",
    "million", "billion", "trillion", "dozen", "half"
})
_PREPS = frozenset({
    "in", "on", "at", "by", "of", "for", "from", "to", "with", "as", "than", "since",
    "during", "after", "before", "into", "about", "against", "between"
})
_EDGE_STOP = frozenset({
    "the", "a", "an", "of", "and", "or", "to", "in", "on", "at", "by", "for", "with",
    "is", "was", "were", "are", "be", "that", "which", "who", "as"
})
_HEAD_YEAR = re.compile(r"\b(year|decade|century|date|day|month|when)\b", re.I)
_HEAD_PERSON = re.compile(r"\b(who|whom|person|man|woman|player|president|leader|author|"
                          r"name of the)\b", re.I)
_HEAD_PLACE = re.compile(r"\b(where|city|country|state|place|region|location|town)\b", re.I)
_HEAD_NUMBER = re.compile(r"\b(how (many|much|long|far|old|big)|number|percent|amount|cost)\b",
                          re.I)
_NO_SHORT = frozenset({"why", "how"})


@dataclass(frozen=True)
class ShortModel:
    trees: TreeModel
    threshold: float


@lru_cache(maxsize=4)
def load_short(path: Path | None = None) -> ShortModel:
    """The shipped short-answer model (`qa/models/short-v1.json`), checked when loaded."""
    params = load_model(MODEL_KIND, MODEL_VERSION, path)
    try:
        trees = TreeModel.from_dict(params["trees"])
        threshold = float(params["threshold"])
    except (KeyError, TypeError, ValueError) as e:
        raise ModelFileError(f"the short-answer model is invalid ({e}); retrain it with "
                             "train/fit_short.py") from e
    if trees.features != SHORT_FEATURES:
        raise ModelFileError("the short-answer model was trained on other features than "
                             "this newsqa computes; retrain it with train/fit_short.py")
    return ShortModel(trees, threshold)


def _words(text: str) -> list[tuple[int, int, str]]:
    out = []
    for m in _WORD.finditer(text):
        word = m.group(0)
        end = m.end()
        if word.endswith(".") and len(word) > 2 and not _MONTH.match(word) and \
                not re.fullmatch(r"(?:[A-Z]\.)+|[A-Z][a-z]?\.", word):
            word, end = word[:-1], end - 1  # a sentence's full stop, not "U.S." or "Jan."
        out.append((m.start(), end, word))
    return out


def candidate_spans(text: str) -> tuple[list[tuple[int, int, str]], list[tuple[int, int]]]:
    """The sentence's words (start, end, word) and the candidate spans as (first, last)
    word indices: runs of up to MAX_WORDS words not crossing a break."""
    words = _words(text)
    segment = []
    seg = 0
    for k, (start, _, _) in enumerate(words):
        if k and _BREAK.search(text, words[k - 1][1], start):
            seg += 1
        segment.append(seg)
    spans = []
    for i in range(len(words)):
        for j in range(i, min(len(words), i + MAX_WORDS)):
            if segment[j] != segment[i]:
                break
            spans.append((i, j))
    return words, spans


def span_features(question: str, text: str) -> tuple[list[tuple[int, int]],
                                                     list[tuple[int, int, str]],
                                                     NDArray[np.float32]]:
    """Candidate spans of `text` (character offsets), the words, and their feature rows."""
    words, spans = candidate_spans(text)
    if not spans:
        return [], words, np.zeros((0, len(SHORT_FEATURES)), np.float32)
    kind = wh_type(question)
    q_terms = set(tokenize(question))
    q_lower = {w.lower() for w in re.findall(r"[^\W_]+", question)}
    stems = [set(tokenize(w)) for _, _, w in words]
    in_q = [bool(s & q_terms) or w.lower() in q_lower for s, (_, _, w) in zip(stems, words,
                                                                           strict=True)]
    caps = [w[:1].isupper() for _, _, w in words]
    matched = [k for k, flag in enumerate(in_q) if flag]
    n = len(words)
    cap_runs = _runs(caps)
    head = [1.0 if p.search(question) else 0.0 for p in (_HEAD_YEAR, _HEAD_PERSON, _HEAD_PLACE,
                                                          _HEAD_NUMBER)]
    noun = question_head(question)
    has_head = [bool(st & noun) for st in stems]
    has_unit = [bool(st & _UNITS) for st in stems]
    wh = [1.0 if kind == t else 0.0 for t in WH_TYPES]
    rows = []
    for i, j in spans:
        span_words = [w for _, _, w in words[i: j + 1]]
        length = j - i + 1
        overlap = sum(in_q[i: j + 1]) / length
        cap_share = sum(caps[i: j + 1]) / length
        start_c, end_c = words[i][0], words[j][1]
        before = text[:start_c].rstrip()
        after = text[end_c:].lstrip()
        dist = min((min(abs(k - i), abs(k - j)) for k in matched), default=30)
        lower = [w.lower() for w in span_words]
        rows.append([
            float(length), i / max(n, 1), overlap, 1.0 if overlap > 0 else 0.0, cap_share,
            1.0 if caps[i] and i > 0 else 0.0, 1.0 if cap_runs[i] == cap_runs[j] >= 0 else 0.0,
            1.0 if any(c.isdigit() for w in span_words for c in w) else 0.0,
            1.0 if any(re.fullmatch(r"(1[5-9]|20)\d\d", w) for w in span_words) else 0.0,
            1.0 if any(_MONTH.match(w) for w in span_words) else 0.0,
            1.0 if any(w[:1] in "$€£" for w in span_words) else 0.0,
            1.0 if any(w.endswith("%") or w.lower() == "percent" for w in span_words) else 0.0,
            1.0 if any(w in _NUMBER_WORDS for w in lower) else 0.0,
            1.0 if i == 0 else 0.0,
            1.0 if not after or after[0] in ",.;:!?)\"”" else 0.0,
            1.0 if not before or before[-1] in ",;:(\"“" else 0.0,
            1.0 if i > 0 and words[i - 1][2].lower() in _PREPS else 0.0,
            1.0 if i > 0 and in_q[i - 1] else 0.0,
            1.0 if j + 1 < n and in_q[j + 1] else 0.0,
            float(dist), float(sum(1 for k in matched if k < i)),
            float(sum(1 for k in matched if k > j)), float(_longest_true(caps[i: j + 1])),
            1.0 if lower[0] in _EDGE_STOP or lower[-1] in _EDGE_STOP else 0.0,
            1.0 if before.endswith(("\"", "“", "'", "‘")) else 0.0,
            float(sum(1 for k in range(i) if caps[k] and not in_q[k])),
            float(n), float(len(question.split())), *wh, *head,
            1.0 if any(has_unit[i: j + 1]) else 0.0,
            1.0 if j + 1 < n and has_unit[j + 1] else 0.0,
            1.0 if any(has_head[max(0, i - 3): i]) else 0.0,
            1.0 if any(has_head[j + 1: j + 4]) else 0.0,
            1.0 if any(has_head[i: j + 1]) else 0.0,
            1.0 if span_words[-1][:1].islower() else 0.0,
            1.0 if span_words[0][:1].islower() else 0.0,
        ])
    offsets = [(words[i][0], words[j][1]) for i, j in spans]
    return offsets, words, np.asarray(rows, dtype=np.float32)


def find_short(
    model: ShortModel, question: str, text: str, offset: int
) -> tuple[int, int, float] | None:
    """(start, end, probability) of the short answer inside `text` (a quoted sentence that
    starts at `offset` in its article), article offsets; None when no phrase stands out."""
    if wh_type(question) in _NO_SHORT and not _HEAD_NUMBER.search(question):
        return None
    offsets, _, x = span_features(question, text)
    if not offsets:
        return None
    p = model.trees.predict(x)
    best = int(np.argmax(p))
    if p[best] < model.threshold:
        return None
    start, end = offsets[best]
    return offset + start, offset + end, float(p[best])


def _runs(flags: list[bool]) -> list[int]:
    """Run number of each True flag (consecutive Trues share one), -1 for False."""
    out, run, prev = [], -1, False
    for flag in flags:
        if flag and not prev:
            run += 1
        out.append(run if flag else -1)
        prev = flag
    return out


def _longest_true(flags: list[bool]) -> int:
    best = cur = 0
    for flag in flags:
        cur = cur + 1 if flag else 0
        best = max(best, cur)
    return best
