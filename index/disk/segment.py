"""`Segment`: one open segment (read-only), shared by every generation and reader of a
process that uses it.

Segments never change once written, so a process opens each one once: `open_segment`
keeps the open ones in a weak cache (by folder and file identity), and a reader of the
next generation reuses them, paying only for the segments and parts that are new. What a
segment knows of itself is read at open (its chunks' rows and articles, its articles'
dates, sources and hashes); BM25 postings are loaded on first use (`lexical`), so a sync
that only needs the article list does not read them.

A format-1 generation folder is opened as one legacy segment: store.sqlite (with its
sentence vectors), lexical/ (either earlier format) and no segment.json.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import weakref
from collections.abc import Callable, Collection, Hashable
from datetime import date
from pathlib import Path
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from index.disk.docstore import DocStore
from index.disk.layout import (
    CHUNK_ARTICLES_FILE,
    DOCS_FILE,
    LEXICAL_DIR,
    SEGMENT_FILE,
    SQLITE_FILE,
)
from index.disk.lexical import ROWS_FILE, LegacyLexicalFormat, LexicalSegment
from index.disk.segments import SegmentInfo, read_info

__all__ = ["UNDATED", "Segment", "open_segment", "shared"]

logger = logging.getLogger(__name__)

UNDATED = int(np.iinfo(np.int64).min)
_T = TypeVar("_T")
_cache: weakref.WeakValueDictionary[Hashable, object] = weakref.WeakValueDictionary()
_cache_lock = threading.Lock()


def shared(kind: str, folder: Path, file: str, make: Callable[[], _T]) -> _T:
    """The `kind` of object `make()` opens for the immutable `folder`, made once per
    process while anyone holds it (keyed by the folder and its key `file`'s inode, times
    and size, so a folder replaced by another is opened again).

    Raises:
        OSError: `file` is missing; whatever `make` raises.
    """
    st = (folder / file).stat()
    key = (kind, str(folder.resolve()), st.st_ino, st.st_mtime_ns, st.st_size)
    with _cache_lock:
        found = _cache.get(key)
        if found is None:
            found = make()
            _cache[key] = found
    return found  # type: ignore[return-value]


def open_segment(folder: Path, *, legacy: bool = False) -> Segment:
    """The open segment in `folder` (a format-1 generation folder if `legacy`).

    Raises:
        OSError, ValueError, sqlite3.DatabaseError: missing or corrupt files.
    """
    file = SQLITE_FILE if legacy else SEGMENT_FILE
    return shared("segment", folder, file, lambda: Segment(folder, legacy=legacy))


class Segment:
    """The articles, chunks and BM25 postings of one segment. Articles are numbered by
    position (0..articles-1, in the order they were written), chunks by row."""

    def __init__(self, folder: Path, *, legacy: bool = False) -> None:
        self.folder = folder
        self.name = folder.name
        self.legacy = legacy
        self._lock = threading.Lock()
        self._sentences: NDArray[np.int64] | None = None
        self._lexical: LexicalSegment | None = None
        self._grouped: LexicalSegment | None = None
        recorded = None if legacy else read_info(folder, SEGMENT_FILE, SegmentInfo)
        path = folder / (SQLITE_FILE if legacy else DOCS_FILE)
        try:
            self.docs = DocStore(path)
            facets = self.docs.article_facets()
        except sqlite3.DatabaseError as e:
            raise sqlite3.DatabaseError(f"{path.name}: {e}") from e
        self.article_ids = [aid for aid, *_ in facets]
        self.positions = {aid: i for i, aid in enumerate(self.article_ids)}
        self.published = np.array([d.toordinal() if d else UNDATED for _, d, *_ in facets],
                                  dtype=np.int64)
        self.sources = [source for _, _, source, _, _ in facets]
        self.urls = [url for *_, url, _ in facets]
        self.hashes = [chash for *_, chash in facets]
        if legacy:
            pairs = self.docs.chunk_articles()
            self.rows = np.array([row for row, _ in pairs], dtype=np.int64)
            self.row_article = np.array([self.positions[a] for _, a in pairs], dtype=np.int64)
        else:
            self.rows = np.load(folder / LEXICAL_DIR / ROWS_FILE, allow_pickle=False).astype(
                np.int64, copy=False)
            self.row_article = np.load(folder / CHUNK_ARTICLES_FILE,
                                       allow_pickle=False).astype(np.int64)
            if self.row_article.shape != self.rows.shape or (len(self.rows) and (
                    self.row_article.min() < 0 or self.row_article.max() >= len(facets))):
                raise ValueError(f"'{folder / CHUNK_ARTICLES_FILE}' does not fit the segment")
        self.info = recorded or self._info()
        if self.info.chunks != len(self.rows) or self.info.articles != len(self.article_ids):
            raise ValueError(f"segment '{folder}' holds {len(self.rows)} chunks of "
                             f"{len(self.article_ids)} articles, its record says otherwise")

    def __repr__(self) -> str:
        return f"Segment({self.name!r}, chunks={len(self.rows)})"

    def _info(self) -> SegmentInfo:
        first, last = (int(self.rows[0]), int(self.rows[-1])) if len(self.rows) else (0, -1)
        return SegmentInfo(self.name, first, last, len(self.rows), len(self.article_ids),
                           int(self.chunk_sentences().sum()))

    def chunk_sentences(self) -> NDArray[np.int64]:
        """Sentences of each chunk, rows ascending."""
        with self._lock:
            if self._sentences is None:
                self._sentences = self.docs.chunk_sentences()
            return self._sentences

    def live(self, deleted: Collection[str]) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
        """(per article, per chunk) whether it survives the tombstones `deleted` (ids)."""
        articles = np.ones(len(self.article_ids), dtype=bool)
        for article_id in deleted:
            position = self.positions.get(article_id)
            if position is not None:
                articles[position] = False
        return articles, articles[self.row_article]

    def rows_of(self, article_ids: Collection[str]) -> NDArray[np.int64]:
        """Rows of the chunks of these articles (ids not here are ignored), ascending."""
        wanted = np.zeros(len(self.article_ids), dtype=bool)
        for article_id in article_ids:
            if article_id in self.positions:
                wanted[self.positions[article_id]] = True
        return self.rows[wanted[self.row_article]]

    def lexical(self) -> LexicalSegment:
        """The BM25 postings of the chunks (loaded on first use)."""
        with self._lock:
            if self._lexical is None:
                self._lexical = self._load_lexical()
            return self._lexical

    def article_lexical(self) -> LexicalSegment:
        """BM25 postings with one document per article (made from the chunks' on first
        use); document i is article i."""
        lexical = self.lexical()
        with self._lock:
            if self._grouped is None:
                positions = np.searchsorted(self.rows, lexical.rows)
                self._grouped = lexical.grouped(self.row_article[positions],
                                                len(self.article_ids))
            return self._grouped

    def _load_lexical(self) -> LexicalSegment:
        try:
            lexical = LexicalSegment.load(self.folder / LEXICAL_DIR)
        except LegacyLexicalFormat:
            logger.warning("index '%s' has an older lexical format; it is rebuilt in memory "
                           "on every open until 'newsqa build' runs", self.folder)
            rows, tokens = self.docs.all_tokens()
            lexical = LexicalSegment.build(tokens, rows)
        if not np.array_equal(lexical.rows, self.rows):
            raise ValueError(f"the BM25 postings of '{self.folder}' are not of its chunks")
        return lexical

    def day(self, position: int) -> date | None:
        ordinal = int(self.published[position])
        return None if ordinal == UNDATED else date.fromordinal(ordinal)
