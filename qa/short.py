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
from qa.selector import WH_TYPES, wh_type, word_terms
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
    # Word shapes a noun phrase's edges rarely have (no tagger here: suffixes stand in).
    "last_ing", "last_ed", "last_ly", "last_ion", "last_plural", "first_ing", "first_ed",
    "after_determiner", "before_verb", "before_ing_ed", "ing_ed_inside", "comma_inside",
    "chars",
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

# A number keeps its inner commas and points ("3,000", "1.5%"), not one after it ("19,").
_WORD = re.compile(r"[$€£]?\d(?:[\d,.]*\d)?%?|[^\W_]+(?:[-'’.][^\W_]+)*\.?|[$€£%]")
_BREAK = re.compile(r"[;:()\[\]\"“”—–]|\s-\s")
_COMMA = re.compile(",")
_INITIALS = re.compile(r"(?:[A-Z]\.)+|[A-Z][a-z]?\.")
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
_YEAR = re.compile(r"(1[5-9]|20)\d\d")
_HEAD_YEAR = re.compile(r"\b(year|decade|century|date|day|month|when)\b", re.I)
_HEAD_PERSON = re.compile(r"\b(who|whom|person|man|woman|player|president|leader|author|"
                          r"name of the)\b", re.I)
_HEAD_PLACE = re.compile(r"\b(where|city|country|state|place|region|location|town)\b", re.I)
_HEAD_NUMBER = re.compile(r"\b(how (many|much|long|far|old|big)|number|percent|amount|cost)\b",
                          re.I)
_NO_SHORT = frozenset({"why", "how"})
_DETERMINERS = frozenset({"the", "a", "an", "its", "his", "her", "their", "this", "that",
                          "these", "those"})
_AFTER_SUBJECT = frozenset({"is", "was", "are", "were", "has", "had", "will", "said"})


@dataclass(frozen=True)
class ShortModel:
    """The span ranker, the probability below which there is no short answer, and its
    shortlist: the first `shortlist_trees` trees score every span, and only the
    `shortlist` best go on to the rest (0: every span through every tree)."""

    trees: TreeModel
    threshold: float
    shortlist_trees: int = 0
    shortlist: int = 0

    def best(self, x: NDArray[np.float32]) -> tuple[int, float]:
        """(row, probability) of the best-scored span among the rows `x` (at least one)."""
        first = self.shortlist_trees
        if not self.shortlist or not 0 < first < self.trees.size or len(x) <= self.shortlist:
            raw = self.trees.raw(x)
        else:
            head = self.trees.raw(x, count=first)
            kept = np.argpartition(-head, self.shortlist - 1)[: self.shortlist]
            kept.sort()  # ties go to the earlier span, as np.argmax over all rows does
            raw = np.full(len(x), -np.inf)
            raw[kept] = head[kept] + self.trees.raw(x[kept], start=first)
        best = int(np.argmax(raw))
        return best, float(1.0 / (1.0 + np.exp(-raw[best])))


@lru_cache(maxsize=4)
def load_short(path: Path | None = None) -> ShortModel:
    """The shipped short-answer model (`qa/models/short-v1.json`), checked when loaded."""
    params = load_model(MODEL_KIND, MODEL_VERSION, path)
    try:
        trees = TreeModel.from_dict(params["trees"])
        threshold = float(params["threshold"])
        shortlist = params.get("shortlist", {"trees": 0, "keep": 0})
        shortlist_trees, keep = int(shortlist["trees"]), int(shortlist["keep"])
        if shortlist_trees < 0 or keep < 0:
            raise ValueError(f"a negative shortlist {shortlist!r}")
    except (KeyError, TypeError, ValueError) as e:
        raise ModelFileError(f"the short-answer model is invalid ({e}); retrain it with "
                             "train/fit_short.py") from e
    if trees.features != SHORT_FEATURES:
        raise ModelFileError("the short-answer model was trained on other features than "
                             "this newsqa computes; retrain it with train/fit_short.py")
    return ShortModel(trees, threshold, shortlist_trees, keep)


def _words(text: str) -> list[tuple[int, int, str]]:
    out = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]
    for k, (start, end, word) in enumerate(out):
        if word[-1] == "." and len(word) > 2 and not _MONTH.match(word) and \
                not _INITIALS.fullmatch(word):
            out[k] = (start, end - 1, word[:-1])  # a sentence's full stop, not "U.S." or "Jan."
    return out


def candidate_spans(text: str) -> tuple[list[tuple[int, int, str]], list[tuple[int, int]]]:
    """The sentence's words (start, end, word) and the candidate spans as (first, last)
    word indices: runs of up to MAX_WORDS words not crossing a break."""
    words, pair = _span_array(text)
    return words, [(int(a), int(b)) for a, b in pair]


def _span_array(text: str) -> tuple[list[tuple[int, int, str]], NDArray[np.int64]]:
    """`candidate_spans`, the spans as an (n, 2) array, first word then length order."""
    words = _words(text)
    n = len(words)
    if not n:
        return words, np.zeros((0, 2), np.int64)
    # A break lies between two words (it holds no word character): mark the gap each one
    # found in the text falls in; segment[k] counts the gaps with one before word k.
    starts = np.fromiter((w[0] for w in words), np.int64, n)
    ends = np.fromiter((w[1] for w in words), np.int64, n)
    at = np.fromiter((m.start() for m in _BREAK.finditer(text)), np.int64)
    after = np.searchsorted(starts, at, side="right")  # the word after each break
    inside = (after > 0) & (after < n)
    after = after[inside]
    gaps = np.zeros(n, np.int64)
    gaps[after[at[inside] >= ends[after - 1]]] = 1
    segment = np.cumsum(gaps)
    first = np.repeat(np.arange(n), MAX_WORDS)
    last = first + np.tile(np.arange(MAX_WORDS), n)
    inside = last < n
    first, last = first[inside], last[inside]
    same = segment[last] == segment[first]  # segments only grow: a run stops at a break
    return words, np.stack([first[same], last[same]], axis=1)


def span_features(question: str, text: str) -> tuple[list[tuple[int, int]],
                                                     list[tuple[int, int, str]],
                                                     NDArray[np.float32]]:
    """Candidate spans of `text` (character offsets), the words, and their feature rows.

    Every feature is a per-word flag or count combined over the span's words by prefix
    sums, so a sentence's few hundred spans cost array operations, not Python loops. Spans
    with a stopword at an edge are left out when others remain (`stopword_edge` is then 0)."""
    words, pair = _span_array(text)
    if not len(pair):
        return [], words, np.zeros((0, len(SHORT_FEATURES)), np.float32)
    kind = wh_type(question)
    q_terms = set(tokenize(question))
    q_lower = {w.lower() for w in re.findall(r"[^\W_]+", question)}
    noun = question_head(question)
    n = len(words)
    texts = [w for _, _, w in words]
    lower = [w.lower() for w in texts]
    stems = [word_terms(w) for w in texts]
    # Every per-word flag in one pass over the words, one array (a column per flag): what
    # the word alone says (`_shape`, cached: sentences repeat their words), then its context.
    shapes = np.array([_shape(w) for w in texts], dtype=np.int32).reshape(n, len(_SHAPES))
    context = np.array([(
        bool(st & q_terms) or lw in q_lower, bool(st & _UNITS), bool(st & noun),
        _after_punct(text, e), (b := _char_before(text, s)) == "" or b in ",;:(\"“",
        b in "\"“'‘" and b != "",
    ) for (s, e, _), lw, st in zip(words, lower, stems, strict=True)], dtype=np.int32)
    (caps, digit, year, month, currency, percent, number, edge_stop, prep, first_low, ing, ed,
     ly, ion, plural, determiner, after_subject) = shapes.T
    in_q, unit, head_word, after_punct, before_punct, quoted = context.T
    runs = np.asarray(_runs(caps.astype(bool).tolist()), np.int64)

    # Spans that start or end on a stopword ("of the council") are half of the candidates
    # and never a better answer than the span without it (SQuAD's choose part: the same EM):
    # left out unless nothing else is left.
    edged = (edge_stop[pair[:, 0]] > 0) | (edge_stop[pair[:, 1]] > 0)
    if not edged.all():
        pair = pair[~edged]
    i, j = pair[:, 0], pair[:, 1]
    length = (j - i + 1).astype(np.float64)

    def total(values: NDArray) -> NDArray:  # sum of a per-word array over each span
        cs = np.concatenate([[0], np.cumsum(values)])
        return cs[j + 1] - cs[i]

    def window(values: NDArray, lo: NDArray, hi: NDArray) -> NDArray:  # any in [lo, hi)
        cs = np.concatenate([[0], np.cumsum(values)])
        lo, hi = np.clip(lo, 0, n), np.clip(hi, 0, n)
        return (cs[np.maximum(hi, lo)] - cs[lo]) > 0

    matched = np.flatnonzero(in_q)
    if len(matched):
        nearest = np.abs(np.arange(n)[:, None] - matched[None, :]).min(axis=1)
        dist = np.minimum(nearest[i], nearest[j]).astype(np.float64)
    else:
        dist = np.full(len(i), 30.0)
    cs_q = np.concatenate([[0], np.cumsum(in_q)])
    longest = np.zeros(len(i), np.int64)
    run = np.zeros(len(i), np.int64)
    for d in range(MAX_WORDS):
        inside = i + d <= j
        run = np.where(inside, (run + 1) * caps[np.minimum(i + d, n - 1)], run)
        longest = np.maximum(longest, run)
    prev = np.maximum(i - 1, 0)
    nxt = np.minimum(j + 1, n - 1)
    char_start = np.fromiter((w[0] for w in words), np.int64, n)[i]  # the spans' offsets
    char_end = np.fromiter((w[1] for w in words), np.int64, n)[j]
    commas = np.fromiter((m.start() for m in _COMMA.finditer(text)), np.int64)
    has_prev, has_next = i > 0, j + 1 < n
    overlap = total(in_q) / length
    columns = [
        length, i / max(n, 1), overlap, overlap > 0, total(caps) / length,
        (caps[i] > 0) & has_prev, (runs[i] == runs[j]) & (runs[i] >= 0),
        total(digit) > 0, total(year) > 0, total(month) > 0, total(currency) > 0,
        total(percent) > 0, total(number) > 0, i == 0, after_punct[j] > 0,
        before_punct[i] > 0, has_prev & (prep[prev] > 0), has_prev & (in_q[prev] > 0),
        has_next & (in_q[nxt] > 0), dist, cs_q[i], cs_q[n] - cs_q[j + 1], longest,
        (edge_stop[i] > 0) | (edge_stop[j] > 0), quoted[i] > 0,
        np.concatenate([[0], np.cumsum(caps * (1 - in_q))])[i],
        np.full(len(i), float(n)), np.full(len(i), float(len(question.split()))),
        *(np.full(len(i), 1.0 if kind == t else 0.0) for t in WH_TYPES),
        *(np.full(len(i), 1.0 if p.search(question) else 0.0)
          for p in (_HEAD_YEAR, _HEAD_PERSON, _HEAD_PLACE, _HEAD_NUMBER)),
        total(unit) > 0, has_next & (unit[nxt] > 0), window(head_word, i - 3, i),
        window(head_word, j + 1, j + 4), total(head_word) > 0, first_low[j] > 0,
        first_low[i] > 0,
        ing[j] > 0, ed[j] > 0, ly[j] > 0, ion[j] > 0, plural[j] > 0, ing[i] > 0, ed[i] > 0,
        has_prev & (determiner[prev] > 0), has_next & (after_subject[nxt] > 0),
        has_next & ((ing[nxt] + ed[nxt]) > 0), total(ing + ed),
        np.searchsorted(commas, char_end) > np.searchsorted(commas, char_start),
        char_end - char_start,
    ]
    x = np.empty((len(i), len(columns)), np.float32)
    for k, column in enumerate(columns):
        x[:, k] = column
    return list(zip(char_start.tolist(), char_end.tolist(), strict=True)), words, x


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
    best, p = model.best(x)
    if p < model.threshold:
        return None
    start, end = offsets[best]
    return offset + start, offset + end, p


_SHAPES = ("caps", "digit", "year", "month", "currency", "percent", "number", "edge_stop",
           "prep", "first_low", "ing", "ed", "ly", "ion", "plural", "determiner",
           "after_subject")


@lru_cache(maxsize=65536)
def _shape(w: str) -> tuple[bool, ...]:
    """The flags of `_SHAPES` for one word."""
    lw = w.lower()
    return (w[:1].isupper(), any(c.isdigit() for c in w), _YEAR.fullmatch(w) is not None,
            _MONTH.match(w) is not None, w[:1] in "$€£", w.endswith("%") or lw == "percent",
            lw in _NUMBER_WORDS, lw in _EDGE_STOP, lw in _PREPS, w[:1].islower(),
            lw.endswith("ing"), lw.endswith("ed"), lw.endswith("ly"),
            lw.endswith(("tion", "sion")), lw.endswith("s") and not lw.endswith("ss"),
            lw in _DETERMINERS, lw in _AFTER_SUBJECT)


def _after_punct(text: str, end: int) -> bool:
    """Whether nothing but whitespace, or a closing mark, follows `end`."""
    m = _NEXT_CHAR.search(text, end)
    return m is None or m.group() in ",.;:!?)\"”"


def _char_before(text: str, start: int) -> str:
    """The last non-whitespace character before `start` ("" if none)."""
    i = start - 1
    while i >= 0 and text[i].isspace():
        i -= 1
    return text[i] if i >= 0 else ""


_NEXT_CHAR = re.compile(r"\S")


def _runs(flags: list[bool]) -> list[int]:
    """Run number of each True flag (consecutive Trues share one), -1 for False."""
    out, run, prev = [], -1, False
    for flag in flags:
        if flag and not prev:
            run += 1
        out.append(run if flag else -1)
        prev = flag
    return out
