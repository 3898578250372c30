"""Second-stage ranking: score every sentence of the top passages against the question.

No cross-encoder can run here, so a sentence's score mixes what we have: the cosine of its
precomputed (late-pooled) MiniLM vector with the query vector, idf-weighted coverage of the
question's terms, the rank of the passage it sits in, and a small bonus when the sentence holds
the kind of thing the question asks for (a date for "when", a number for "how many").
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from index import IndexReader, tokenize
from qa.aliases import expand_with_roles, role_aliases
from qa.types import Hit

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


@dataclass(frozen=True, kw_only=True)
class RankConfig:
    """Weights of the sentence score (see the module docstring); tuned on dev data with
    `bench/tune_rank.py`. `passages` is how many top passages have their sentences scored."""

    passages: int = 8
    dense_weight: float = 1.0
    lexical_weight: float = 0.3
    phrase_weight: float = 0.3
    passage_weight: float = 0.1
    type_bonus: float = 0.1
    sequence_bonus: float = 0.1
    lead_bonus: float = 0.05
    question_penalty: float = 1.0


@dataclass(frozen=True)
class SentenceFeatures:
    """What the score of one sentence is made of; all in [0, 1] but `dense` (a cosine)."""

    dense: float
    lexical: float
    phrase: float
    passage: float
    answer_type: float
    sequence: float
    lead: float
    question: float  # 1.0 for a sentence that asks rather than tells ("...?")

    def score(self, config: RankConfig) -> float:
        return (
            config.dense_weight * self.dense
            + config.lexical_weight * self.lexical
            + config.phrase_weight * self.phrase
            + config.passage_weight * self.passage
            + config.type_bonus * self.answer_type
            + config.sequence_bonus * self.sequence
            + config.lead_bonus * self.lead
            - config.question_penalty * self.question
        )


@dataclass(frozen=True)
class ScoredSentence:
    """One sentence of a retrieved passage with its scores; offsets into the article text."""

    hit: int  # index into the hits list
    index: int  # sentence index inside the chunk
    start: int
    end: int
    dense: float
    lexical: float
    score: float
    features: SentenceFeatures | None = None


def answer_type_bonus(question: str, sentence: str) -> float:
    """1.0 when the sentence holds what the question's wh-word asks for, else 0.0."""
    if _WHEN.search(question):
        return 1.0 if _DATE_LIKE.search(sentence) else 0.0
    if _HOW_MANY.search(question):
        return 1.0 if _NUMBER.search(sentence) else 0.0
    if _WHO.search(question):
        return 1.0 if _NAME.search(sentence) else 0.0
    if _WHERE.search(question):
        asked = {w.lower() for w in _CAPITAL.findall(question)}
        return 1.0 if any(w.lower() not in asked for w in _CAPITAL.findall(sentence)[1:]) else 0.0
    return 0.0


def follows_on(question: str, sentence: str) -> float:
    """1.0 when the question asks what came next and the sentence opens with "Later," etc."""
    return 1.0 if _ASKS_NEXT.search(question) and _SEQUENCE_START.search(sentence) else 0.0


def phrase_coverage(query_tokens: list[str], sentence_tokens: list[str]) -> float:
    """Share of the question's adjacent term pairs ("prime minist") found adjacent in the
    sentence: rewards sentences that use the question's phrases, not just its words."""
    pairs = set(itertools.pairwise(query_tokens))
    if not pairs:
        return 0.0
    return len(pairs & set(itertools.pairwise(sentence_tokens))) / len(pairs)


# "Where will Lee go after visiting the temple?": the clause after "after" sets the scene; the
# answer is about the main clause, so terms of the subordinate clause count for less.
_SUBORDINATE = re.compile(r"\b(after|before|while|since|until|during|once)\b([^,?]*)", re.I)
SUBORDINATE_WEIGHT = 0.35


def term_weights(query: str, query_tokens: list[str], reader: IndexReader) -> dict[str, float]:
    """idf of each query term, scaled down for terms only in a subordinate time clause."""
    weights = dict(zip(query_tokens, reader.token_idf(query_tokens), strict=True))
    match = _SUBORDINATE.search(query)
    if match:
        main = set(tokenize(query[: match.start()] + " " + query[match.end():]))
        for token in set(tokenize(match.group(0))) - main:
            if token in weights:
                weights[token] *= SUBORDINATE_WEIGHT
    return weights


def lexical_coverage(
    query_tokens: list[str], sentence_tokens: set[str], idf: dict[str, float]
) -> float:
    """idf-weighted share of the distinct query terms that the sentence contains, in [0, 1]."""
    terms = set(query_tokens)
    total = sum(idf.get(t, 0.0) for t in terms)
    if total <= 0:
        return 0.0
    return sum(idf.get(t, 0.0) for t in terms & sentence_tokens) / total


def score_sentences(
    reader: IndexReader,
    question: str,
    query: str,
    query_vector: NDArray[np.float32] | None,
    hits: list[Hit],
    vectors: dict[int, NDArray[np.float32]],
    config: RankConfig,
) -> list[ScoredSentence]:
    """Score every sentence of the first `config.passages` hits; best first.

    `vectors` maps a hit's row to its sentence vectors (see `IndexReader.sentence_vectors`).
    """
    scored = [
        ScoredSentence(i, j, start, end, f.dense, f.lexical, f.score(config), f)
        for i, j, start, end, f in sentence_features(
            reader, question, query, query_vector, hits[: config.passages], vectors)
    ]
    scored.sort(key=lambda s: (-s.score, s.hit, s.index))
    return scored


def sentence_features(
    reader: IndexReader,
    question: str,
    query: str,
    query_vector: NDArray[np.float32] | None,
    hits: list[Hit],
    vectors: dict[int, NDArray[np.float32]],
) -> list[tuple[int, int, int, int, SentenceFeatures]]:
    """(hit index, sentence index, start, end, features) for every sentence of `hits`."""
    if not hits:
        return []
    query_tokens = tokenize(query)
    idf = term_weights(query, query_tokens, reader)
    top = hits[0].score or 1.0
    out = []
    for i, hit in enumerate(hits):
        chunk = hit.chunk
        aliases = role_aliases(reader.article(chunk.article_id).text)
        sims = _sentence_sims(vectors.get(hit.row), query_vector, len(chunk.sentences))
        passage = hit.score / top if top > 0 else 0.0
        for j, (start, end) in enumerate(chunk.sentences):
            text = chunk.text[start - chunk.start: end - chunk.start]
            tokens = tokenize(text)
            features = SentenceFeatures(
                dense=float(sims[j]),
                lexical=lexical_coverage(
                    query_tokens, set(tokens) | expand_with_roles(text, aliases), idf),
                phrase=phrase_coverage(query_tokens, tokens),
                passage=passage,
                answer_type=answer_type_bonus(question, text),
                sequence=follows_on(question, text),
                lead=1.0 if chunk.n == 0 and j == 0 else 0.0,
                question=1.0 if text.rstrip(" \"'”’)").endswith("?") else 0.0,
            )
            out.append((i, j, start, end, features))
    return out


def _sentence_sims(
    vectors: NDArray[np.float32] | None, query_vector: NDArray[np.float32] | None, count: int
) -> NDArray[np.float32]:
    if vectors is None or query_vector is None or len(vectors) != count:
        return np.zeros(count, dtype=np.float32)
    return vectors.astype(np.float32) @ query_vector.astype(np.float32)
