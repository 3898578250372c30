"""Compose an `Answer` from ranked passages: the best sentence quoted verbatim, cited, dated.

Nothing is generated: the answer text is a sentence (or two adjacent ones) copied from an
article, plus `[n]` markers and resolved-date labels; when the evidence is weak the answer says
that the indexed articles don't answer the question and lists the closest passages as related.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from corpus import Article
from index import IndexReader, tokenize
from qa.dates import annotate, resolve_dates
from qa.rank import (
    RankConfig,
    ScoredSentence,
    lexical_coverage,
    score_sentences,
    term_weights,
)
from qa.types import Answer, Citation, Hit

NO_ANSWER = "The indexed articles don't answer this question."
NO_ARTICLES = "No indexed article matches this question."

_AUTHOR_Q = re.compile(
    r"\b(who\s+(wrote|authored|reported|penned)|who\s+is\s+the\s+(author|writer|reporter)|"
    r"(author|byline|writer|reporter)\s+of|written\s+by)\b",
    re.I,
)


@dataclass(frozen=True, kw_only=True)
class AnswerConfig:
    """Answer composition settings.

    Attributes:
        rank: sentence-scoring weights.
        min_confidence: abstain when no sentence of the top passages reaches this confidence
            (mean of its dense similarity and its lexical coverage of the question). Calibrated on
            dev questions and on questions asked of an index that cannot answer them.
        agree_similarity: another article's best sentence at least this similar (cosine) to
            the quote counts as agreeing and gets its own marker on the quote.
        pair_gain: add the adjacent sentence when it raises the question-term coverage of the
            quote by at least this much.
        related: how many passages an abstention lists as related.
    """

    rank: RankConfig = field(default_factory=RankConfig)
    min_confidence: float = 0.34
    agree_similarity: float = 0.9
    pair_gain: float = 0.25
    related: int = 3


def compose_answer(
    reader: IndexReader,
    question: str,
    query: str,
    query_vector: NDArray[np.float32] | None,
    hits: list[Hit],
    *,
    top_k: int,
    config: AnswerConfig | None = None,
) -> Answer:
    """Turn ranked hits into an `Answer` (see `qa.types.Answer` for the shape)."""
    config = config or AnswerConfig()
    if not hits:
        return Answer(
            question=question, text=NO_ARTICLES, abstained=True, citations=(), hits=(), query=query
        )
    articles = _ArticleCache(reader)
    if _AUTHOR_Q.search(question):
        byline = _byline_answer(question, query, hits, articles)
        if byline is not None:
            return byline
    vectors = reader.sentence_vectors([h.row for h in hits[: config.rank.passages]])
    scored = score_sentences(reader, question, query, query_vector, hits, vectors, config.rank)
    best = scored[0]
    # Relevance of the evidence as a whole, not of the chosen sentence only: a question whose
    # answer sits next to the sentence that matches it ("after visiting the temple") is
    # still answered.
    confidence = max((s.dense + s.lexical) / 2 for s in scored)
    if confidence < config.min_confidence:
        return _abstain(question, query, hits, scored, articles, confidence, config)
    start, end = _extend_with_neighbour(best, hits, scored, query, reader, config)
    quote_hit = hits[best.hit]
    citations = [_cite(1, quote_hit, start, end, articles, best.score)]
    cited = {best.hit}
    for other in _agreeing(best, hits, scored, vectors, config):
        h = hits[other.hit]
        citations.append(
            _cite(len(citations) + 1, h, other.start, other.end, articles, other.score)
        )
        cited.add(other.hit)
    markers = "".join(f"[{c.n}]" for c in citations)
    for i, hit in enumerate(hits[:top_k]):
        if i in cited or len(citations) >= top_k:
            continue
        s = _best_in_hit(scored, i)
        if s is not None:
            citations.append(_cite(len(citations) + 1, hit, s.start, s.end, articles, s.score))
    first = citations[0]
    text = f"{annotate(first.quote, list(first.dates))} {markers}"
    return Answer(
        question=question,
        text=text,
        abstained=False,
        citations=tuple(citations),
        hits=tuple(hits[:top_k]),
        query=query,
        confidence=round(confidence, 4),
    )


class _ArticleCache:
    def __init__(self, reader: IndexReader) -> None:
        self._reader = reader
        self._articles: dict[str, Article] = {}

    def get(self, article_id: str) -> Article:
        if article_id not in self._articles:
            self._articles[article_id] = self._reader.article(article_id)
        return self._articles[article_id]


def _cite(
    n: int,
    hit: Hit,
    start: int,
    end: int,
    articles: _ArticleCache,
    score: float,
    *,
    field_name: str = "text",
) -> Citation:
    article = articles.get(hit.chunk.article_id)
    source_text = getattr(article, field_name) or ""
    quote = source_text[start:end]
    dates = (
        resolve_dates(quote, article.published)
        if article.published and field_name == "text"
        else []
    )
    paragraph = article.paragraph_at(start) + 1 if field_name == "text" else 0
    return Citation(
        n=n,
        article_id=article.id,
        title=article.title,
        published=article.published,
        byline=article.byline,
        source=article.source,
        paragraph=paragraph,
        start=start,
        end=end,
        quote=quote,
        passage=hit.chunk,
        score=round(float(score), 4),
        dates=tuple(dates),
        field=field_name,
    )


def _best_in_hit(scored: list[ScoredSentence], hit: int) -> ScoredSentence | None:
    return next((s for s in scored if s.hit == hit), None)


def _extend_with_neighbour(
    best: ScoredSentence,
    hits: list[Hit],
    scored: list[ScoredSentence],
    query: str,
    reader: IndexReader,
    config: AnswerConfig,
) -> tuple[int, int]:
    """The quote's span: the best sentence, or it and an adjacent one when that one adds the
    question terms the best sentence lacks (e.g. a follow-up sentence starting "It ...")."""
    chunk = hits[best.hit].chunk
    tokens = tokenize(query)
    idf = term_weights(query, tokens, reader)

    def coverage(start: int, end: int) -> float:
        return lexical_coverage(
            tokens, set(tokenize(chunk.text[start - chunk.start : end - chunk.start])), idf
        )

    alone = coverage(best.start, best.end)
    options = []
    for j in (best.index - 1, best.index + 1):
        if 0 <= j < len(chunk.sentences):
            s, e = chunk.sentences[j]
            lo, hi = min(s, best.start), max(e, best.end)
            # Never join across a paragraph break: the quote must read as one passage.
            if "\n" in chunk.text[lo - chunk.start : hi - chunk.start]:
                continue
            gain = coverage(lo, hi) - alone
            neighbour = next((x for x in scored if x.hit == best.hit and x.index == j), None)
            if gain >= config.pair_gain and neighbour and neighbour.score >= 0.7 * best.score:
                options.append((gain, lo, hi))
    if options:
        _, lo, hi = max(options)
        return lo, hi
    return best.start, best.end


def _agreeing(
    best: ScoredSentence,
    hits: list[Hit],
    scored: list[ScoredSentence],
    vectors: dict[int, NDArray[np.float32]],
    config: AnswerConfig,
) -> list[ScoredSentence]:
    """Best sentences of other articles that say the same as the quote."""
    best_vec = _sentence_vector(vectors, hits[best.hit], best.index)
    if best_vec is None:
        return []
    seen = {hits[best.hit].chunk.article_id}
    agreeing = []
    for s in scored:
        article_id = hits[s.hit].chunk.article_id
        if article_id in seen:
            continue
        seen.add(article_id)
        vec = _sentence_vector(vectors, hits[s.hit], s.index)
        if vec is not None and float(vec @ best_vec) >= config.agree_similarity:
            agreeing.append(s)
    return agreeing


def _sentence_vector(
    vectors: dict[int, NDArray[np.float32]], hit: Hit, index: int
) -> NDArray[np.float32] | None:
    matrix = vectors.get(hit.row)
    if matrix is None or index >= len(matrix):
        return None
    return matrix[index].astype(np.float32)


def _abstain(
    question: str,
    query: str,
    hits: list[Hit],
    scored: list[ScoredSentence],
    articles: _ArticleCache,
    confidence: float,
    config: AnswerConfig,
) -> Answer:
    citations = []
    for i, hit in enumerate(hits[: config.related]):
        s = _best_in_hit(scored, i)
        start, end = (s.start, s.end) if s else (hit.chunk.start, hit.chunk.end)
        citations.append(
            _cite(len(citations) + 1, hit, start, end, articles, s.score if s else hit.score)
        )
    return Answer(
        question=question,
        text=NO_ANSWER,
        abstained=True,
        citations=tuple(citations),
        hits=tuple(hits[: config.related]),
        query=query,
        confidence=round(confidence, 4),
    )


def _byline_answer(
    question: str, query: str, hits: list[Hit], articles: _ArticleCache
) -> Answer | None:
    """Questions about who wrote an article are answered from its byline."""
    hit = hits[0]
    article = articles.get(hit.chunk.article_id)
    if not article.byline:
        return None
    citation = _cite(1, hit, 0, len(article.byline), articles, hit.score, field_name="byline")
    return Answer(
        question=question,
        text=f"{article.byline} [1]",
        abstained=False,
        citations=(citation,),
        hits=(hit,),
        query=query,
        confidence=1.0,
    )
