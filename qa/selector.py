"""The sentence selector: which sentence of the top passages answers the question.

A small gradient-boosted tree model (`qa/models/selector-v1.json`, trained on SQuAD by
`train/fit_selector.py`, scored with numpy by `qa.trees`) gives each sentence of the first
`passages` hits a probability of holding the answer, from features of the sentence, its
neighbours, its passage and the question (`SELECTOR_FEATURES`): how close its vector is to
the question's and how much of the question's words it holds (and its neighbours do: the
answer is often named in the sentence before the one that matches the question), the
passage's fused rank and scores, and whether it holds the kind of thing the question asks
for (a person, a date, a number, a place) that the question itself does not already name.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from index import IndexReader, tokenize
from qa.aliases import expand_with_roles, role_aliases
from qa.cues import answer_type_check, follows_on_check
from qa.evidence import ChunkEvidence, QueryTerms, gather_evidence
from qa.models import ModelFileError, load_model
from qa.trees import TreeModel
from qa.types import Hit

__all__ = ["ABSTAIN_FEATURES", "SELECTOR_FEATURES", "Scored", "Selector", "abstain_features",
           "abstain_score", "load_selector", "score_sentences", "wh_type"]

MODEL_KIND = "selector"
MODEL_VERSION = 1

WH_TYPES = ("who", "when", "where", "howmany", "which", "what", "why", "how", "other")
SELECTOR_FEATURES = (
    "sim", "sim_gap", "sim_rank", "cov", "cov_gap", "cov_rank", "cov_roles", "phrase",
    "prev_sim", "next_sim", "prev_cov", "next_cov", "chunk_best_sim", "chunk_best_cov",
    "passage_rank", "passage_score_gap", "passage_dense_rank", "passage_lexical_rank",
    "index_in_chunk", "sentences_in_chunk", "lead", "words", "is_question", "sequence",
    "type_match", "novel_caps", "novel_numbers", "has_year", "has_month", "novel_share",
    "q_words", *(f"q_{t}" for t in WH_TYPES), "caps_missing", "prev_covers_clause",
    "other_modifier",
)

_WH = [
    ("howmany", re.compile(r"\bhow (many|much|old|long|far|big|large|high|often)\b|"
                           r"\bwhat (number|percentage|percent|share|age|amount)\b", re.I)),
    ("when", re.compile(r"\bwhen\b|\bwhat (day|date|time|year|month|decade|century)\b|"
                        r"\bwhich (day|date|year|month)\b|\bin what year\b", re.I)),
    ("who", re.compile(r"\b(who|whom|whose)\b", re.I)),
    ("where", re.compile(r"\bwhere\b|\bin what (city|country|place|region|state)\b", re.I)),
    ("which", re.compile(r"\bwhich\b", re.I)),
    ("why", re.compile(r"\bwhy\b", re.I)),
    ("how", re.compile(r"\bhow\b", re.I)),
    ("what", re.compile(r"\bwhat\b", re.I)),
]
_CAP = re.compile(r"\b[A-Z][\w'’-]*")
_NUMBER_WORDS_LIST = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                      "ten", "eleven", "twelve", "twenty", "thirty", "forty", "fifty",
                      "hundred", "thousand", "million", "billion", "dozen")
_NUMBER_WORDS = re.compile(rf"\b(?:{'|'.join(_NUMBER_WORDS_LIST)})\b", re.I)
_NUMBER = re.compile(rf"\d[\d,.]*|{_NUMBER_WORDS.pattern}", re.I)
# The same matches as _NUMBER in two passes: digits (a fast scan), then number words only
# when the sentence's terms hold one (a word _NUMBER finds is always among its terms).
_DIGITS = re.compile(r"\d[\d,.]*")
_NUMBER_STEMS = frozenset(t for w in _NUMBER_WORDS_LIST for t in tokenize(w))
_YEAR = re.compile(r"\b(1[5-9]|20)\d\d\b")
_MONTH = re.compile(r"\b(January|February|March|April|May|June|July|August|September|"
                    r"October|November|December|Jan\.|Feb\.|Aug\.|Sept\.|Oct\.|Nov\.|Dec\.)")


def wh_type(question: str) -> str:
    """The kind of answer the question asks for (one of `WH_TYPES`)."""
    for name, pattern in _WH:
        if pattern.search(question):
            return name
    return "other"


# What the abstention model sees of a question's best sentences (see `abstain_features`).
ABSTAIN_FEATURES = ("p_max", "p_second", "sim_max", "cov_max", "roles_max", "phrase_max",
                    "top_dense", "q_words")


@dataclass(frozen=True)
class Selector:
    """The trained sentence model (`predict`: each feature row's probability of holding the
    answer) and the abstention model: a logistic regression over `ABSTAIN_FEATURES` whose
    probability below `threshold` means the articles don't answer."""

    trees: TreeModel
    abstain_weights: tuple[float, ...]
    abstain_bias: float
    threshold: float
    pair_ratio: float = 0.5  # quote the next sentence too at this share of the best's probability
    passages: int = 8  # how many top passages have their sentences scored

    def predict(self, x: NDArray[np.float32]) -> NDArray[np.float64]:
        return self.trees.predict(x)


@lru_cache(maxsize=4)
def load_selector(path: Path | None = None) -> Selector:
    """The shipped selector (`qa/models/selector-v1.json`), checked when loaded.

    Raises:
        ModelFileError: missing, damaged, of another version, or for other features.
    """
    params = load_model(MODEL_KIND, MODEL_VERSION, path)
    try:
        trees = TreeModel.from_dict(params["trees"])
        abstain = params["abstain"]
        weights = tuple(float(w) for w in abstain["weights"])
        selector = Selector(trees, weights, float(abstain["bias"]), float(abstain["threshold"]),
                            float(params.get("pair_ratio", 0.5)), int(params.get("passages", 8)))
        if selector.passages < 1:
            raise ValueError(f"passages must be at least 1, not {selector.passages}")
        features = tuple(abstain["features"])
    except (KeyError, TypeError, ValueError) as e:
        raise ModelFileError(f"the selector model is invalid ({e}); retrain it with "
                             "train/fit_selector.py") from e
    if trees.features != SELECTOR_FEATURES or features != ABSTAIN_FEATURES or \
            len(weights) != len(features):
        raise ModelFileError("the selector model was trained on other features than this "
                             "newsqa computes; retrain it with train/fit_selector.py")
    return selector


@dataclass(frozen=True)
class Scored:
    """One candidate sentence: hit index, sentence index in the chunk, article offsets,
    its probability of holding the answer, its cosine and term coverage."""

    hit: int
    index: int
    start: int
    end: int
    score: float
    sim: float
    coverage: float


def sentence_features(
    reader: IndexReader,
    question: str,
    hits: list[Hit],
    evidence: dict[int, ChunkEvidence],
    terms: QueryTerms,
) -> tuple[list[tuple[int, int, int, int]], NDArray[np.float32]]:
    """(hit, sentence, start, end) of every sentence of `hits`, and their feature rows."""
    if not hits:
        return [], np.zeros((0, len(SELECTOR_FEATURES)), np.float32)
    kind = wh_type(question)
    q_words = len(question.split())
    asked_caps = {w.lower() for w in _CAP.findall(question)}
    # The question's names and proper adjectives ("Japanese", "Meloni"), as BM25 terms.
    named = [frozenset(tokenize(w)) for w in _CAP.findall(question)[1:]]
    named = [n for n in named if n]
    modifiers = _modifiers(question)
    asked_numbers = set(_NUMBER.findall(question.lower()))
    pairs = set(itertools.pairwise(terms.tokens))
    top_score = hits[0].score
    wh = tuple(1.0 if kind == t else 0.0 for t in WH_TYPES)
    type_match = answer_type_check(question)
    sequence = follows_on_check(question)
    where: list[tuple[int, int, int, int]] = []
    rows: list[list[float]] = []
    for i, hit in enumerate(hits):
        chunk, ev = hit.chunk, evidence[hit.row]
        aliases = role_aliases(reader.article(chunk.article_id).text)
        sims = [0.0 if v != v else v for v in ev.sims.tolist()]  # NaN (no vector): 0
        cover = np.array([terms.smoothed_coverage(t) for t in ev.terms],
                         dtype=np.float32).tolist()
        count = len(chunk.sentences)
        passage = [float(max(sims)), float(max(cover)), float(i + 1),
                   float(top_score - hit.score),
                   math.log(hit.dense_rank) if hit.dense_rank else 7.0,
                   math.log(hit.lexical_rank) if hit.lexical_rank else 7.0]
        for j, (start, end) in enumerate(chunk.sentences):
            text = chunk.text[start - chunk.start: end - chunk.start]
            terms_j = ev.terms[j]  # == frozenset(tokenize(text))
            caps = _CAP.findall(text)[1:]
            novel_caps = sum(1 for w in caps if w.lower() not in asked_caps)
            lower = text.lower()
            numbers = _DIGITS.findall(lower)
            if terms_j & _NUMBER_STEMS:
                numbers += _NUMBER_WORDS.findall(lower)
            roles = expand_with_roles(text, aliases) if aliases else set()
            where.append((i, j, start, end))
            rows.append([
                sims[j], 0.0, 0.0, cover[j], 0.0, 0.0,
                terms.smoothed_coverage(terms_j | roles) if roles else cover[j],
                _phrase_coverage(pairs, text, terms_j),
                sims[j - 1] if j > 0 else 0.0, sims[j + 1] if j + 1 < count else 0.0,
                cover[j - 1] if j > 0 else 0.0, cover[j + 1] if j + 1 < count else 0.0,
                *passage, float(j), float(count), 1.0 if chunk.n == 0 and j == 0 else 0.0,
                float(len(text.split())), 1.0 if text.rstrip(" \"'”’)").endswith("?") else 0.0,
                sequence(text), type_match(text),
                float(novel_caps), float(sum(1 for n in numbers if n not in asked_numbers)),
                1.0 if numbers and _YEAR.search(text) else 0.0,
                1.0 if _MONTH.search(text) else 0.0,
                _novel_share(terms_j, terms), float(q_words), *wh,
                sum(1 for n in named if not n & terms_j) / len(named) if named else 0.0,
                _share(terms.clause, ev.terms[j - 1]) if j > 0 else 0.0,
                _other_modifier(modifiers, text, lower, terms_j),
            ])
    x = np.asarray(rows, dtype=np.float32)
    relative_columns(x)
    return where, x


def relative_columns(x: NDArray[np.float32]) -> None:
    """Fill in, in place, the columns that compare each sentence with the others of the
    question: the gap to the best cosine and coverage, and their ranks."""
    for value, gap, rank in ((0, 1, 2), (3, 4, 5)):
        x[:, gap] = x[:, value].max() - x[:, value]
        x[:, rank] = np.argsort(np.argsort(-x[:, value], kind="stable"), kind="stable")


def score_sentences(
    reader: IndexReader,
    question: str,
    query: str,
    query_vector: NDArray[np.float32] | None,
    hits: list[Hit],
    *,
    selector: Selector,
    evidence: dict[int, ChunkEvidence] | None = None,
    terms: QueryTerms | None = None,
) -> tuple[list[Scored], NDArray[np.float32]]:
    """Every sentence of `hits`, most likely to answer first, and their feature rows (in
    the order of the hits' sentences, not of the ranking)."""
    if not hits:
        return [], np.zeros((0, len(SELECTOR_FEATURES)), np.float32)
    terms = terms or QueryTerms.build(reader, query)
    evidence = dict(evidence or {})
    missing = [h.row for h in hits if h.row not in evidence]
    if missing:
        evidence.update(gather_evidence(reader, missing, query_vector, terms))
    where, x = sentence_features(reader, question, hits, evidence, terms)
    p = selector.predict(x)
    scored = [Scored(i, j, s, e, float(pi), float(x[k, 0]), float(x[k, 3]))
              for k, ((i, j, s, e), pi) in enumerate(zip(where, p, strict=True))]
    scored.sort(key=lambda s: (-s.score, s.hit, s.index))
    return scored, x


def abstain_features(scored: list[Scored], x: NDArray[np.float32], hits: list[Hit]) -> list[float]:
    """`ABSTAIN_FEATURES` of one question."""
    if not scored:
        return [0.0] * len(ABSTAIN_FEATURES)
    names = SELECTOR_FEATURES
    top_dense = hits[0].dense_score if hits and hits[0].dense_score is not None else 0.0
    return [
        scored[0].score, scored[1].score if len(scored) > 1 else 0.0,
        float(x[:, names.index("sim")].max()), float(x[:, names.index("cov")].max()),
        float(x[:, names.index("cov_roles")].max()), float(x[:, names.index("phrase")].max()),
        float(top_dense), float(x[0, names.index("q_words")]),
    ]


def abstain_score(
    selector: Selector, scored: list[Scored], x: NDArray[np.float32], hits: list[Hit]
) -> float:
    """Probability that the question is answered by these sentences (abstain below the
    selector's threshold)."""
    if not scored:
        return 0.0
    z = selector.abstain_bias + float(np.dot(selector.abstain_weights,
                                             abstain_features(scored, x, hits)))
    return 1.0 / (1.0 + math.exp(-z))


def phrase_coverage(query_tokens: list[str], tokens: list[str]) -> float:
    """Share of the query's consecutive term pairs that the sentence's terms also hold."""
    return _pairs_share(set(itertools.pairwise(query_tokens)), tokens)


def _phrase_coverage(pairs: set[tuple[str, str]], text: str, terms: frozenset[str]) -> float:
    """`phrase_coverage`, tokenizing the sentence only when its terms hold both words of
    a pair (otherwise no pair can occur in it)."""
    if not any(a in terms and b in terms for a, b in pairs):
        return 0.0
    return _pairs_share(pairs, tokenize(text))


def _pairs_share(pairs: set[tuple[str, str]], tokens: list[str]) -> float:
    """Share of `pairs` that occur as consecutive `tokens`."""
    if not pairs:
        return 0.0
    return len(pairs & set(itertools.pairwise(tokens))) / len(pairs)


_MODIFIED = re.compile(r"\b([A-Z][\w'’-]*)\s+([\w'’-]+)")


def _modifiers(question: str) -> list[tuple[str, frozenset[str], re.Pattern[str]]]:
    """(name, the next word's terms, a pattern finding the name) for each capitalised word
    of the question but the first: "the Japanese prime minister" -> ("japanese", {"prime"},
    ...)."""
    out = []
    for m in _MODIFIED.finditer(question):
        if m.start() == 0:
            continue
        following = word_terms(m.group(2))
        if following:
            name = m.group(1).lower()
            out.append((name, following, re.compile(rf"\b{re.escape(name)}\b")))
    return out


def _other_modifier(modifiers: list[tuple[str, frozenset[str], re.Pattern[str]]],
                    text: str, lower: str, terms: frozenset[str]) -> float:
    """1.0 when the sentence puts another name before a word the question qualifies
    ("Italian Prime Minister" for "the Japanese prime minister") and never the question's.
    `lower` is the text lower-cased, `terms` its BM25 terms (a word's terms are among its
    sentence's, so a sentence without the qualified word's terms is passed over)."""
    if not modifiers:
        return 0.0
    pairs: list[tuple[str, frozenset[str]]] | None = None
    for name, following, pattern in modifiers:
        if not following & terms or pattern.search(lower):
            continue
        if pairs is None:  # the sentence's (name, next word's terms), read once
            pairs = [(m.group(1).lower(), word_terms(m.group(2)))
                     for m in _MODIFIED.finditer(text)]
        if any(other != name and after & following for other, after in pairs):
            return 1.0
    return 0.0


@lru_cache(maxsize=65536)
def word_terms(word: str) -> frozenset[str]:
    """The BM25 terms of one word (cached: sentences repeat their words)."""
    return frozenset(tokenize(word))


def _share(wanted: frozenset[str], have: frozenset[str]) -> float:
    return len(wanted & have) / len(wanted) if wanted else 0.0


def _novel_share(tokens: set[str], terms: QueryTerms) -> float:
    """Share of the sentence's terms the question does not use: an answer is new words."""
    if not tokens:
        return 0.0
    return len(tokens - set(terms.weights)) / len(tokens)
