"""`Documents`: the articles and chunks of one generation, across its segments, with its
tombstones applied.

Articles get generation-wide numbers: the segments' articles one after the other, in
segment order, tombstoned ones included (they are never reached: no live chunk row maps
to them and no id lookup finds them). Chunk rows ascend from segment to segment, so the
segment of a row is found by bisection.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date

import numpy as np
from numpy.typing import NDArray

from corpus import Article, Chunk
from index.disk.bm25 import LexicalIndex, LexicalPart
from index.disk.docstore import ArticleRecord
from index.disk.segment import Segment
from index.disk.segments import Moved

__all__ = ["Documents"]


class Documents:
    """Read-only, thread-safe. `rows` are the live chunk rows, ascending; `row_article[i]`
    is the article number of `rows[i]`; `published[a]` is article a's day
    (`date.toordinal()`, `UNDATED` without a date)."""

    def __init__(self, segments: Sequence[Segment],
                 deleted: Mapping[str, frozenset[str]] | None = None,
                 moved: Mapping[str, Moved] | None = None) -> None:
        """`deleted`: tombstoned article ids per segment name; `moved`: per segment name,
        articles recorded under another source and url than their segment says."""
        deleted = deleted or {}
        self._moved = {aid: where for m in (moved or {}).values() for aid, where in m.items()}
        self.segments = list(segments)
        unknown = (set(deleted) | set(moved or {})) - {s.name for s in self.segments}
        if unknown:
            raise ValueError(f"tombstones for segments that are not in the generation: "
                             f"{sorted(unknown)[:3]}")
        self._offsets = np.cumsum([0, *(len(s.article_ids) for s in self.segments)])
        self._firsts = np.array([s.rows[0] if len(s.rows) else np.iinfo(np.int64).max
                                 for s in self.segments], dtype=np.int64)
        rows, row_article = [], []
        self._article_live, self._row_live = [], []
        for offset, segment in zip(self._offsets, self.segments, strict=False):
            articles, chunks = segment.live(deleted.get(segment.name, frozenset()))
            self._article_live.append(articles)
            self._row_live.append(chunks)
            rows.append(segment.rows[chunks])
            row_article.append(segment.row_article[chunks] + offset)
        self._maps: tuple[dict[str, int], dict[str, list[int]]] | None = None
        self._maps_lock = threading.Lock()
        self.rows = np.concatenate(rows) if rows else np.empty(0, np.int64)
        self.row_article = np.concatenate(row_article) if rows else np.empty(0, np.int64)
        if len(self.rows) and np.any(np.diff(self.rows) <= 0):
            raise ValueError("the segments' chunk rows overlap")
        self.published = (np.concatenate([s.published for s in self.segments])
                          if self.segments else np.empty(0, np.int64))

    @property
    def article_index(self) -> dict[str, int]:
        """Id -> article number of every live article (made on first use: a sync that
        only lists the articles never needs it)."""
        return self._article_maps()[0]

    @property
    def by_source(self) -> dict[str, list[int]]:
        """Source -> the numbers of its live articles."""
        return self._article_maps()[1]

    def _article_maps(self) -> tuple[dict[str, int], dict[str, list[int]]]:
        with self._maps_lock:
            if self._maps is None:
                self._maps = self._make_maps()
            return self._maps

    def _make_maps(self) -> tuple[dict[str, int], dict[str, list[int]]]:
        article_index: dict[str, int] = {}
        by_source: dict[str, list[int]] = {}
        for offset, segment, articles in zip(self._offsets, self.segments, self._article_live,
                                             strict=False):
            positions = np.flatnonzero(articles).tolist()
            ids, sources, moved_to = segment.article_ids, segment.sources, self._moved
            base = int(offset)
            for position in positions:  # the hot loop of opening a big index: kept lean
                aid = ids[position]
                article_index[aid] = base + position
                moved = moved_to.get(aid) if moved_to else None
                source = moved[0] if moved else sources[position]
                found = by_source.get(source)
                if found is None:
                    by_source[source] = [base + position]
                else:
                    found.append(base + position)
        return article_index, by_source

    @property
    def article_count(self) -> int:
        """Article numbers in use (tombstoned ones included)."""
        return int(self._offsets[-1])

    def lexical(self) -> LexicalIndex:
        """BM25 over the live chunks."""
        return LexicalIndex([
            LexicalPart(s.lexical(), None if live.all() else live)
            for s, live in zip(self.segments, self._row_live, strict=True)
        ])

    def article_lexical(self) -> LexicalIndex:
        """BM25 with one document per live article; its rows are article numbers."""
        return LexicalIndex([
            LexicalPart(s.article_lexical(), None if live.all() else live, int(offset))
            for s, live, offset in zip(self.segments, self._article_live, self._offsets,
                                       strict=False)
        ])

    def row_live(self, index: int) -> NDArray[np.bool_]:
        """Per chunk of segment number `index`, whether it is live."""
        return self._row_live[index]

    def chunks(self, rows: Sequence[int]) -> dict[int, Chunk]:
        """The chunks of those of `rows` that exist (tombstoned ones left out)."""
        found: dict[int, Chunk] = {}
        for segment, chosen in self._live_by_segment(rows):
            found.update(segment.docs.chunks(chosen))
        return found

    def sentence_tokens(self, rows: Sequence[int]) -> dict[int, tuple[frozenset[str], ...]]:
        """The BM25 terms of each sentence of those of `rows` whose segment keeps them
        (`DocStore.sentence_tokens`; tombstoned rows left out)."""
        found: dict[int, tuple[frozenset[str], ...]] = {}
        for segment, chosen in self._live_by_segment(rows):
            found.update(segment.docs.sentence_tokens(chosen))
        return found

    def _live_by_segment(self, rows: Sequence[int]) -> list[tuple[Segment, list[int]]]:
        """The live ones of `rows`, by the segment that holds them."""
        wanted = np.unique(np.asarray(list(rows), dtype=np.int64))
        out: list[tuple[Segment, list[int]]] = []
        if not len(wanted):
            return out
        which = np.searchsorted(self._firsts, wanted, side="right") - 1
        for index in np.unique(which[which >= 0]):
            segment = self.segments[index]
            mine = wanted[which == index]
            live = self._row_live[index][np.minimum(np.searchsorted(segment.rows, mine),
                                                    len(segment.rows) - 1)]
            chosen = [r for r, ok in zip(mine.tolist(), live.tolist(), strict=True) if ok]
            if chosen:
                out.append((segment, chosen))
        return out

    def _locate(self, article_id: str) -> tuple[Segment, int]:
        if self._maps is None:  # a few lookups need no map of every article
            for segment, live in zip(self.segments, self._article_live, strict=True):
                position = segment.positions.get(article_id)
                if position is not None and live[position]:
                    return segment, position
            raise KeyError(article_id)
        number = self.article_index[article_id]  # KeyError for an unknown id
        index = int(np.searchsorted(self._offsets, number, side="right")) - 1
        return self.segments[index], number - int(self._offsets[index])

    def _where(self, segment: Segment, position: int) -> tuple[str, str | None]:
        """(source, url) of article `position` of `segment`, as this generation has it."""
        moved = self._moved.get(segment.article_ids[position])
        return moved or (segment.sources[position], segment.urls[position])

    def article(self, article_id: str) -> Article:
        """Raises KeyError for an unknown id."""
        segment, _ = self._locate(article_id)
        article = segment.docs.article(article_id)
        moved = self._moved.get(article_id)
        return article if moved is None else replace(article, source=moved[0], url=moved[1])

    def segment_of(self, article_id: str) -> Segment:
        """Raises KeyError for an unknown id."""
        return self._locate(article_id)[0]

    def articles(self) -> list[ArticleRecord]:
        """Every live article, newest first (undated last, then by id)."""
        records = [
            record if record.id not in self._moved else replace(
                record, source=self._moved[record.id][0], url=self._moved[record.id][1])
            for segment, live in zip(self.segments, self._article_live, strict=True)
            for record, ok in zip(segment.docs.articles(), live, strict=True) if ok
        ]
        return sorted(records, key=lambda r: (r.published is None,
                                              -(r.published or date.min).toordinal(), r.id))

    def entries(self) -> dict[str, tuple[str, str, str | None]]:
        """id -> (content hash, source, url) of every live article."""
        out: dict[str, tuple[str, str, str | None]] = {}
        for segment, live in zip(self.segments, self._article_live, strict=True):
            ids, hashes, sources, urls = (segment.article_ids, segment.hashes, segment.sources,
                                          segment.urls)
            for p in np.flatnonzero(live).tolist():
                aid = ids[p]
                moved = self._moved.get(aid) if self._moved else None
                out[aid] = (hashes[p], *moved) if moved else (hashes[p], sources[p], urls[p])
        return out

    def titles(self, article_ids: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        by_segment: dict[int, list[str]] = {}
        for article_id in article_ids:
            segment, _ = self._locate(article_id)
            by_segment.setdefault(id(segment), []).append(article_id)
        for segment in self.segments:
            if id(segment) in by_segment:
                out.update(segment.docs.titles(by_segment[id(segment)]))
        return out

    def counts(self) -> tuple[int, int]:
        """(live articles, live chunks)."""
        return len(self.article_index), len(self.rows)

    def check(self) -> None:
        """Read one row of every segment's tables, so a corrupt file fails at open.

        Raises:
            sqlite3.DatabaseError, KeyError: a file that does not agree with itself.
        """
        for segment in self.segments:
            if len(segment.rows) and not segment.docs.chunks([int(segment.rows[0])]):
                raise sqlite3.DatabaseError(f"'{segment.folder}' lost its first chunk")

