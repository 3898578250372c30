"""The answering layer's domain nouns: `Hit`, `DateNote`, `ShortAnswer`, `ArticleCopy`,
`Citation`, `Answer`, and for timelines `Event` and `Timeline`.

One `Answer` flows to every surface (CLI, `--json`, Python, the Gradio UI).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Literal

from corpus import Chunk


@dataclass(frozen=True)
class Hit:
    """A retrieved passage: the chunk, its fused score, and the scores it was fused from.

    `dense_score`/`lexical_score` are None when the chunk was not in that list;
    ranks are 1-based.
    """

    chunk: Chunk
    score: float
    dense_score: float | None = None
    lexical_score: float | None = None
    dense_rank: int | None = None
    lexical_rank: int | None = None
    row: int = -1  # the chunk's internal row in the index snapshot it came from


@dataclass(frozen=True)
class DateNote:
    """A relative date phrase inside a quote, resolved against the article's date.

    `start`/`end` are offsets into the quote; `resolved` is the calendar date (or the first
    day of a month for "last November"); `label` is how it is shown, e.g. "Jan. 13, 2026".
    """

    phrase: str
    start: int
    end: int
    resolved: date
    label: str


@dataclass(frozen=True)
class ShortAnswer:
    """The phrase inside the quote that answers the question (a name, a date, a number, a
    place): `getattr(article, field)[start:end] == text`; `score` is the model's
    probability that it is the answer."""

    text: str
    start: int
    end: int
    score: float
    field: str = "text"


@dataclass(frozen=True)
class ArticleCopy:
    """Another copy of a cited article's story (the same syndicated text under another id,
    headline or outlet), which the index folded into the cited one."""

    id: str
    title: str
    source: str
    published: date | None
    url: str | None = None


@dataclass(frozen=True)
class Citation:
    """One numbered source.

    `quote == getattr(article, field)[start:end]` always holds; `field` is "text" for
    quotes from the article body and "byline" or "title" for answers about the article's
    metadata (e.g. "Who wrote the article?"). `also_in` lists the other syndicated copies
    of the article's story: the index cites one copy (the earliest, then the one with a
    byline) and folds the others into it.
    """

    n: int
    article_id: str
    title: str
    published: date | None
    byline: str | None
    source: str
    paragraph: int  # 1-based paragraph number of `start`, as shown to readers
    start: int
    end: int
    quote: str
    passage: Chunk
    score: float
    dates: tuple[DateNote, ...] = field(default_factory=tuple)
    field: str = "text"
    url: str | None = None  # the article's web address, when it has one
    also_in: tuple[ArticleCopy, ...] = ()


@dataclass(frozen=True)
class Answer:
    """What `Assistant.ask` returns.

    `text` is the quoted sentence(s) with `[n]` markers (plus resolved dates in
    parentheses), or, when `abstained`, a plain statement that the indexed articles don't
    answer the question. `citations` are numbered from 1 in marker order: when not
    abstained the first ones support the quote, later ones are the other supporting
    passages; when abstained they are the closest "related" passages. `hits` are the
    ranked passages behind the answer. `query` is the retrieval query actually used
    (rewritten from `history` for follow-ups).
    """

    question: str
    text: str
    abstained: bool
    citations: tuple[Citation, ...]
    hits: tuple[Hit, ...]
    query: str = ""
    confidence: float = 0.0
    message: str | None = None  # a note for the user (e.g. question too long, truncated)
    short: ShortAnswer | None = None  # the phrase in the quote that answers, when one stands out

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)


DateSource = Literal["sentence", "published"]
Precision = Literal["day", "week", "month", "year"]


@dataclass(frozen=True)
class Event:
    """One thing that happened in a story, as a sentence of one of its articles says it.

    `date` is the day the sentence speaks of: a date it states (`date_source` "sentence",
    a relative one resolved against the article's date; `phrase` is where it says it) or
    else the article's publication date ("published"). `precision` says how exact that
    is ("month" for "last month": `date` is then the month's first day; `label` shows it as
    "Feb. 2026"). `scheduled` is True when the date is after the article's own: something
    still to come when it was reported. `quote == article.text[start:end]`; `citation` is
    the source, numbered like the timeline's source cards (one per article).
    """

    date: date
    date_source: DateSource
    quote: str
    start: int
    end: int
    citation: Citation
    label: str
    precision: Precision = "day"
    scheduled: bool = False
    phrase: str | None = None


@dataclass(frozen=True)
class Timeline:
    """What `Assistant.timeline` returns: the story's `events`, oldest first, from its
    `articles` (ids, in the order of their source cards); `message` says what was left out
    or why there are no events."""

    query: str
    events: tuple[Event, ...]
    articles: tuple[str, ...] = ()
    message: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """`{"query": ..., "events": [{"date": "YYYY-MM-DD", "date_source": ..., "quote":
        ..., "citation": {...}, ...}], "articles": [...], "message": ...}`."""
        events = []
        for event in self.events:
            item = _jsonable(asdict(event))
            order = ["date", "date_source", "quote", "start", "end", "label", "precision",
                     "scheduled", "phrase", "citation"]
            events.append({key: item[key] for key in order})
        return {"query": self.query, "events": events, "articles": list(self.articles),
                "message": self.message}

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class IndexStatus:
    """What the index being served holds: `articles`, `chunks` (passages) and how many
    of the chunks have vectors (`embedded`; fewer while a build is still embedding, when
    dense search covers those and BM25 every chunk)."""

    articles: int
    chunks: int
    embedded: int
    generation: int

    @property
    def complete(self) -> bool:
        return self.embedded >= self.chunks

    def summary(self) -> str:
        """e.g. "3,784 articles, 62,560 passages; 12,400 of 62,560 chunks embedded"."""
        text = f"{self.articles:,} articles, {self.chunks:,} passages"
        if not self.complete:
            text += f"; {self.embedded:,} of {self.chunks:,} chunks embedded"
        return text
