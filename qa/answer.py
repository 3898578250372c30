"""Compose an `Answer` from ranked passages: the best sentence quoted verbatim, cited, dated.

Nothing is generated: the answer text is a sentence (or two adjacent ones) copied from an
article, plus `[n]` markers and resolved-date labels. The sentence is chosen by the learned
selector (`qa.selector`), the phrase that answers inside it by the short-answer model
(`qa.short`); when the evidence is weak (`qa.selector.abstain_score`) the answer says that
the indexed articles don't answer the question and lists the closest passages as related.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from corpus import Article
from index import IndexReader
from qa.dates import annotate, resolve_dates
from qa.evidence import ChunkEvidence, QueryTerms
from qa.selector import Scored, Selector, abstain_score, load_selector, score_sentences
from qa.short import ShortModel, find_short, load_short
from qa.types import Answer, ArticleCopy, Citation, Hit, ShortAnswer

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
        passages: how many top passages have their sentences scored; None: the
            selector's (chosen on dev questions with it).
        pair_ratio: quote the adjacent sentence too (next to it in the article) when the
            selector gives it at least this share of the best sentence's probability: the
            answer is then likely to span or straddle the two; None: the selector's (chosen
            on dev questions).
        agree_similarity: another article's best sentence at least this similar (cosine) to
            the quote counts as agreeing and gets its own marker on the quote.
        related: how many passages an abstention lists as related.
        selector / short: the models; None loads the shipped ones (`qa/models`).
    """

    passages: int | None = None
    pair_ratio: float | None = None
    agree_similarity: float = 0.9
    related: int = 3
    selector: Selector | None = None
    short: ShortModel | None = None


def scored_passages(config: AnswerConfig) -> int:
    """How many top passages `compose_answer` scores the sentences of."""
    if config.passages is not None:
        return config.passages
    return (config.selector or load_selector()).passages


def compose_answer(
    reader: IndexReader,
    question: str,
    query: str,
    query_vector: NDArray[np.float32] | None,
    hits: list[Hit],
    *,
    top_k: int,
    config: AnswerConfig | None = None,
    evidence: dict[int, ChunkEvidence] | None = None,
    terms: QueryTerms | None = None,
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
    selector = config.selector or load_selector()
    top = hits[: scored_passages(config)]
    scored, x = score_sentences(reader, question, query, query_vector, top, selector=selector,
                                evidence=evidence, terms=terms)
    confidence = abstain_score(selector, scored, x, top)
    if confidence < selector.threshold:
        return _abstain(question, query, hits, scored, articles, confidence, config)
    best = scored[0]
    ratio = config.pair_ratio if config.pair_ratio is not None else selector.pair_ratio
    start, end, joined = _with_neighbour(best, scored, ratio, hits, articles)
    quote_hit = hits[best.hit]
    citations = [_cite(1, quote_hit, start, end, articles, best.score)]
    cited = {best.hit}
    for other in _agreeing(best, top, scored, reader, config):
        citations.append(_cite(len(citations) + 1, hits[other.hit], other.start, other.end,
                               articles, other.score))
        cited.add(other.hit)
    markers = "".join(f"[{c.n}]" for c in citations)
    for i, hit in enumerate(hits[:top_k]):
        if i in cited or len(citations) >= top_k:
            continue
        s = next((s for s in scored if s.hit == i), None)
        if s is not None:
            citations.append(_cite(len(citations) + 1, hit, s.start, s.end, articles, s.score))
    first = citations[0]
    # The short answer comes from the quote: its best sentence, or the joined one.
    short = _short(config, question, articles.get(quote_hit.chunk.article_id),
                   [best] if joined is None else [best, joined])
    return Answer(
        question=question,
        text=f"{annotate(first.quote, list(first.dates))} {markers}",
        abstained=False,
        citations=tuple(citations),
        hits=tuple(hits[:top_k]),
        query=query,
        confidence=round(confidence, 4),
        short=short,
    )


def _short(
    config: AnswerConfig, question: str, article: Article, sentences: list[Scored]
) -> ShortAnswer | None:
    """The likelier of the sentences' short answers (found in each on its own)."""
    model = config.short or load_short()
    found = [f for s in sentences
             if (f := find_short(model, question, article.text[s.start: s.end], s.start))]
    if not found:
        return None
    start, end, score = max(found, key=lambda f: f[2])
    return ShortAnswer(text=article.text[start:end], start=start, end=end,
                       score=round(score, 4))


class _ArticleCache:
    def __init__(self, reader: IndexReader) -> None:
        self._reader = reader
        self._articles: dict[str, Article] = {}

    def get(self, article_id: str) -> Article:
        if article_id not in self._articles:
            self._articles[article_id] = self._reader.article(article_id)
        return self._articles[article_id]

    def copies(self, article_id: str) -> tuple[ArticleCopy, ...]:
        return tuple(ArticleCopy(r.id, r.title, r.source, r.published, r.url)
                     for r in self._reader.copies_of(article_id))


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
        url=article.url,
        also_in=articles.copies(article.id),
    )


def _with_neighbour(best: Scored, scored: list[Scored], pair_ratio: float, hits: list[Hit],
                    articles: _ArticleCache) -> tuple[int, int, Scored | None]:
    """The quote's span: the best sentence, joined with the sentence next to it in its
    article when the selector rates that one nearly as likely to hold the answer. Also
    across a paragraph break (news paragraphs are often one sentence each), as
    train/fit_selector.py chose the ratio, and across passages (the sentence after a
    passage's last one starts the next passage), which it does not model: rare (README)."""
    article_id = hits[best.hit].chunk.article_id
    text = None
    options = []
    for s in scored:
        if s.score < pair_ratio * best.score:
            continue
        if s.hit == best.hit:
            if abs(s.index - best.index) != 1:
                continue
        elif hits[s.hit].chunk.article_id != article_id or s.start == best.start:
            continue
        else:
            text = text if text is not None else articles.get(article_id).text
            if not _next_to(text, best.start, best.end, s.start, s.end):
                continue
        options.append((s.score, min(s.start, best.start), max(s.end, best.end), s))
    if options:
        _, lo, hi, joined = max(options, key=lambda o: o[:3])
        return lo, hi, joined
    return best.start, best.end, None


def _next_to(text: str, start: int, end: int, other_start: int, other_end: int) -> bool:
    """Whether the sentence at [other_start, other_end) of `text` comes right before or
    right after the one at [start, end): only white space between them."""
    if other_start >= end:
        return not text[end:other_start].strip()
    return other_end <= start and not text[other_end:start].strip()


def _agreeing(
    best: Scored, hits: list[Hit], scored: list[Scored], reader: IndexReader,
    config: AnswerConfig,
) -> list[Scored]:
    """Best sentences of other stories that say the same as the quote: counted by story,
    so a syndicated copy of the quoted article never agrees with it."""
    vectors = reader.sentence_vectors([h.row for h in hits])
    best_vec = _sentence_vector(vectors, hits[best.hit], best.index)
    if best_vec is None:
        return []
    seen = {reader.story_of(hits[best.hit].chunk.article_id)}
    agreeing = []
    for s in scored:
        story = reader.story_of(hits[s.hit].chunk.article_id)
        if story in seen:
            continue
        seen.add(story)
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
    scored: list[Scored],
    articles: _ArticleCache,
    confidence: float,
    config: AnswerConfig,
) -> Answer:
    citations = []
    for i, hit in enumerate(hits[: config.related]):
        s = next((s for s in scored if s.hit == i), None)
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
        short=ShortAnswer(text=article.byline, start=0, end=len(article.byline), score=1.0,
                          field="byline"),
    )
