"""The two domain nouns of the corpus layer: `Article` and `Chunk`."""

from __future__ import annotations

import bisect
import hashlib
import json
from dataclasses import dataclass, field
from datetime import date

PARAGRAPH_SEPARATOR = "\n\n"


@dataclass(frozen=True)
class Article:
    """One news article as loaded from a file.

    `text` is the paragraphs joined by a blank line; every character offset in the
    product (chunks, sentences, citations) points into it.
    """

    id: str
    title: str
    paragraphs: tuple[str, ...]
    source: str
    published: date | None = None
    byline: str | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        # Accept any sequence for convenience but store an immutable tuple.
        object.__setattr__(self, "paragraphs", tuple(self.paragraphs))

    @property
    def text(self) -> str:
        return PARAGRAPH_SEPARATOR.join(self.paragraphs)

    @property
    def paragraph_spans(self) -> list[tuple[int, int]]:
        """(start, end) of every paragraph in `text`."""
        spans: list[tuple[int, int]] = []
        pos = 0
        for paragraph in self.paragraphs:
            spans.append((pos, pos + len(paragraph)))
            pos += len(paragraph) + len(PARAGRAPH_SEPARATOR)
        return spans

    def paragraph_at(self, offset: int) -> int:
        """Index of the paragraph containing char `offset` (0-based); an offset on a
        separator counts for the paragraph before it."""
        starts = [start for start, _ in self.paragraph_spans]
        return max(bisect.bisect_right(starts, offset) - 1, 0)

    @property
    def content_hash(self) -> str:
        """sha256 over everything a reader sees; the id and source are not part of it,
        so the same story syndicated under two ids has one hash."""
        payload = json.dumps(
            [self.title, self.published.isoformat() if self.published else None,
             self.byline, list(self.paragraphs)],
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Chunk:
    """A run of whole sentences of one article, the unit that is embedded and retrieved.

    `start`/`end` are char offsets into `Article.text`, so
    `article.text[chunk.start:chunk.end] == chunk.text`. `sentences` holds the absolute
    (start, end) spans of the sentences inside the chunk, in order. `paragraphs` is the
    inclusive range (first, last) of paragraph indexes the chunk covers.
    """

    id: str
    article_id: str
    n: int
    text: str
    start: int
    end: int
    paragraphs: tuple[int, int]
    sentences: tuple[tuple[int, int], ...] = field(default_factory=tuple)

    @staticmethod
    def make_id(article_id: str, n: int) -> str:
        return f"{article_id}:{n}"
