"""Story timelines: what happened, in order, quoted from the articles that tell a story.

`build_timeline` retrieves passages for the query as `ask` does (one copy of each syndicated
story), keeps the articles of the story, and lists their sentences that state what happened:

- **the story's articles**: those whose best passage holds at least `MIN_COVERAGE` of the
  query's terms (idf-weighted) and at least `SHARE_OF_BEST` of what the best article's
  holds; an article that merely shares a word with the query stays out.
- **events**: each article's lede (its first sentence, which in news states what happened)
  and every other sentence that states a date (`qa.dates.stated_dates`: "on Friday" resolved
  against the article's date, "March 6", "last month"); sentences that open with a quotation
  mark are comment, not events. A sentence is dated by the date it states (the first one at
  day precision, not counting an attribution's "said Friday" when it states another), the
  lede without one by the article's publication date. Undated articles have nothing to
  place a relative date against: their sentences count only when they state a full date.
- a sentence told word for word by two articles is listed once (from the earlier article).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from corpus import Article, Chunk
from index import IndexReader, tokenize
from qa.dates import format_day, resolve_dates, stated_dates
from qa.evidence import QueryTerms
from qa.retrieve import RetrievalConfig, retrieve_ranked
from qa.types import ArticleCopy, Citation, DateNote, Event, Precision, Timeline

__all__ = ["MAX_EVENTS", "NO_STORY", "build_timeline"]

logger = logging.getLogger(__name__)

MAX_EVENTS = 100
STORY_PASSAGES = 40
MIN_COVERAGE = 0.5
SHARE_OF_BEST = 0.75
NO_STORY = "No indexed story matches this query."

_QUOTE_OPENERS = ("\"", "“", "‘", "'", "«")
_ATTRIBUTION = re.compile(
    r"\b(?:said|says|announced|told(?:\s+\w+)?|reported|confirmed|added|stated|wrote)\s+$",
    re.IGNORECASE)
_WORDS = re.compile(r"\w+")


@dataclass(frozen=True)
class _Found:
    """An event before its citation is numbered."""

    article: Article
    chunk: Chunk
    start: int
    end: int
    day: date
    note: DateNote | None
    relevance: float


def build_timeline(
    reader: IndexReader,
    query: str,
    vector: NDArray[np.float32] | None,
    *,
    retrieval: RetrievalConfig,
    since: date | None = None,
    until: date | None = None,
    not_after: date | None = None,
    limit: int = 20,
) -> Timeline:
    """The timeline of the story `query` names (see the module docstring): at most `limit`
    events dated `since`..`until` (inclusive), oldest first, from articles published up to
    `not_after`."""
    rows = reader.rows_matching(not_after=not_after)
    hits = retrieve_ranked(reader, query, vector, top_k=STORY_PASSAGES, config=retrieval,
                           rows=rows).hits
    terms = QueryTerms.build(reader, query)
    best: dict[str, float] = {}
    for hit in hits:
        coverage = terms.coverage(frozenset(tokenize(hit.chunk.text)))
        best[hit.chunk.article_id] = max(best.get(hit.chunk.article_id, 0.0), coverage)
    top = max(best.values(), default=0.0)
    story = [aid for aid, c in best.items() if c >= MIN_COVERAGE and c >= SHARE_OF_BEST * top]
    if not story:
        return Timeline(query, (), message=NO_STORY)
    articles = sorted((reader.article(aid) for aid in story),
                      key=lambda a: (a.published is None, a.published or date.max, a.id))
    found, undated, seen = [], 0, set()
    for article in articles:
        for chunk, start, end in _sentences(reader, article.id):
            text = article.text[start:end]
            key = " ".join(_WORDS.findall(text.lower()))
            if key in seen:
                continue
            event = _event(article, chunk, start, end, lede=start == _lede_start(article),
                           relevance=terms.coverage(frozenset(tokenize(text))))
            if event is None:
                undated += article.published is None and start == _lede_start(article)
                continue
            seen.add(key)
            if (since is None or event.day >= since) and (until is None or event.day <= until):
                found.append(event)
    total = len(found)
    if total > limit:
        found = sorted(found, key=lambda e: (e.note is None, -e.relevance))[:limit]
    found.sort(key=lambda e: (e.day, e.article.published or date.max, e.article.id, e.start))
    events = _numbered(reader, found)
    notes = []
    if total > limit:
        notes.append(f"{limit} of {total} events shown (the most relevant).")
    if undated:
        plural = undated > 1
        notes.append(f"{undated} undated article{'s' if plural else ''} left out: no date "
                     f"to place {'them' if plural else 'it'} at.")
    if not events and not notes:
        notes.append("The story's articles state no dated events in this period.")
    return Timeline(query, tuple(events),
                    tuple(dict.fromkeys(e.citation.article_id for e in events)),
                    " ".join(notes) or None)


def _sentences(reader: IndexReader, article_id: str) -> list[tuple[Chunk, int, int]]:
    """Every sentence of the article once, in text order, with a chunk that holds it."""
    rows = reader.rows_matching(sources=[article_id])
    out: dict[tuple[int, int], Chunk] = {}
    for chunk in reader.chunks([] if rows is None else rows.tolist()):
        if chunk.article_id != article_id:
            continue  # an article whose source path is this id
        for span in chunk.sentences:
            out.setdefault(span, chunk)
    return [(chunk, s, e) for (s, e), chunk in sorted(out.items())]


def _lede_start(article: Article) -> int:
    return len(article.text) - len(article.text.lstrip())


def _event(article: Article, chunk: Chunk, start: int, end: int, *, lede: bool,
           relevance: float) -> _Found | None:
    text = article.text[start:end]
    if text.lstrip().startswith(_QUOTE_OPENERS):
        return None
    note = _event_note(text, stated_dates(text, article.published))
    if note is not None:
        return _Found(article, chunk, start, end, note.resolved, note, relevance)
    if lede and article.published is not None:
        return _Found(article, chunk, start, end, article.published, None, relevance)
    return None


def _event_note(text: str, notes: list[DateNote]) -> DateNote | None:
    """The date a sentence places its event at: the first day-precise one, not counting
    the day of an attribution ("announced Friday") when another date is stated."""
    if not notes:
        return None
    main = [n for n in notes if not _ATTRIBUTION.search(text[max(0, n.start - 30):n.start])]
    main = main or notes
    days = [n for n in main if precision_of(n) == "day"]
    return (days or main)[0]


def precision_of(note: DateNote) -> Precision:
    """How exact a resolved date is, from its label ("week of ...", "2025", "Nov. 2025")."""
    if note.label.startswith("week of"):
        return "week"
    if note.label.isdigit():
        return "year"
    return "day" if "," in note.label else "month"


def _numbered(reader: IndexReader, found: list[_Found]) -> list[Event]:
    """Events with citations numbered by article, in order of first appearance."""
    numbers: dict[str, int] = {}
    events = []
    for item in found:
        article = item.article
        n = numbers.setdefault(article.id, len(numbers) + 1)
        quote = article.text[item.start:item.end]
        citation = Citation(
            n=n, article_id=article.id, title=article.title, published=article.published,
            byline=article.byline, source=article.source,
            paragraph=article.paragraph_at(item.start) + 1, start=item.start, end=item.end,
            quote=quote, passage=item.chunk, score=round(item.relevance, 4),
            dates=tuple(resolve_dates(quote, article.published)) if article.published else (),
            url=article.url,
            also_in=tuple(ArticleCopy(r.id, r.title, r.source, r.published, r.url)
                          for r in reader.copies_of(article.id)),
        )
        note = item.note
        label = note.label if note else format_day(item.day)
        precision = precision_of(note) if note else "day"
        scheduled = article.published is not None and item.day > article.published
        events.append(Event(
            date=item.day, date_source="sentence" if note else "published", quote=quote,
            start=item.start, end=item.end, citation=citation, label=label,
            precision=precision, scheduled=scheduled, phrase=note.phrase if note else None))
    return events

