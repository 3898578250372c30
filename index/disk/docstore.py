"""Article and chunk metadata, BM25 tokens and sentence vectors in one SQLite file.

Tables: `articles` (one row per indexed article, paragraphs as JSON), `chunks` (row =
the chunk's int id, shared with FAISS and BM25), `chunk_tokens` (BM25 terms, space
separated, so an incremental build re-tokenises only new chunks) and `sentence_vectors`
(float16, one blob of shape (sentences, dim) per chunk, aligned with `Chunk.sentences`).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from corpus import Article, Chunk

__all__ = ["ArticleRecord", "DocStore", "DocWriter"]

SCHEMA_VERSION = "1"
_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE articles (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, published TEXT, byline TEXT,
    source TEXT NOT NULL, url TEXT, content_hash TEXT NOT NULL, paragraphs TEXT NOT NULL
);
CREATE TABLE chunks (
    row INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL UNIQUE, article_id TEXT NOT NULL,
    n INTEGER NOT NULL, start_char INTEGER NOT NULL, end_char INTEGER NOT NULL,
    p_first INTEGER NOT NULL, p_last INTEGER NOT NULL, text TEXT NOT NULL,
    sentences TEXT NOT NULL
);
CREATE INDEX chunks_by_article ON chunks (article_id, n);
CREATE TABLE chunk_tokens (row INTEGER PRIMARY KEY, tokens TEXT NOT NULL);
CREATE TABLE sentence_vectors (row INTEGER PRIMARY KEY, count INTEGER NOT NULL, vectors BLOB);
"""
_ARTICLE_COLUMNS = "id, title, published, byline, source, url, content_hash"
_CHUNK_COLUMNS = (
    "row, chunk_id, article_id, n, start_char, end_char, p_first, p_last, text, sentences"
)
# `x IN _IN_LIST` with one parameter, a JSON array: any number of values in one query
# (bound parameters are limited to 999 in older SQLite builds).
_IN_LIST = "(SELECT value FROM json_each(?))"


@dataclass(frozen=True)
class ArticleRecord:
    """An indexed article's metadata, for listings (`chunks` = how many chunks)."""

    id: str
    title: str
    published: date | None
    byline: str | None
    source: str
    url: str | None
    content_hash: str
    chunks: int


class DocWriter:
    """Writes the SQLite file of a generation being built (new or copied from the last)."""

    def __init__(self, path: Path, *, create: bool, sentences: int = 0) -> None:
        """`sentences`: how many sentence vectors a copied file holds (its manifest's
        count; counting them means reading every vector, 60 ms per 60k chunks)."""
        self.path = path
        self._sentences = 0 if create else sentences
        self._conn = sqlite3.connect(path, isolation_level=None)
        # The file lives in a private build folder that is discarded on a crash, so no
        # journal is needed; durability comes from the fsync before publishing.
        self._conn.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;")
        if create:
            self._conn.executescript(_SCHEMA)
            self._conn.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
        self._conn.execute("BEGIN")

    def close(self) -> None:
        """Commit and close; compact the file first when over a quarter of it is free
        pages (left by removed articles), since every later sync copies it whole."""
        self._conn.execute("COMMIT")
        (pages,) = self._conn.execute("PRAGMA page_count").fetchone()
        (free,) = self._conn.execute("PRAGMA freelist_count").fetchone()
        if free * 4 > pages and free > 16:
            self._conn.execute("VACUUM")
        self._conn.close()

    def rows_of(self, article_ids: Iterable[str]) -> NDArray[np.int64]:
        query = f"SELECT row FROM chunks WHERE article_id IN {_IN_LIST} ORDER BY row"
        found = self._conn.execute(query, (_as_list(article_ids),))
        return np.asarray([r for (r,) in found], dtype=np.int64)

    def delete_articles(self, article_ids: Sequence[str]) -> NDArray[np.int64]:
        """Delete articles with their chunks; returns the chunk rows deleted."""
        rows = self.rows_of(article_ids)
        listed = (_as_list(rows.tolist()),)
        (gone,) = self._conn.execute(
            f"SELECT COALESCE(SUM(count), 0) FROM sentence_vectors WHERE row IN {_IN_LIST}",
            listed,
        ).fetchone()
        self._sentences -= int(gone)
        for table in ("chunks", "chunk_tokens", "sentence_vectors"):
            self._conn.execute(f"DELETE FROM {table} WHERE row IN {_IN_LIST}", listed)
        self._conn.execute(f"DELETE FROM articles WHERE id IN {_IN_LIST}",
                           (_as_list(article_ids),))
        return rows

    def add_article(self, article: Article) -> None:
        self._conn.execute(
            "INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                article.id,
                article.title,
                article.published.isoformat() if article.published else None,
                article.byline,
                article.source,
                article.url,
                article.content_hash,
                json.dumps(list(article.paragraphs), ensure_ascii=False),
            ),
        )

    def relocate_article(self, article_id: str, source: str, url: str | None) -> None:
        """Record a new source/url for an unchanged article."""
        self._conn.execute(
            "UPDATE articles SET source = ?, url = ? WHERE id = ?", (source, url, article_id)
        )

    def add_chunks(self, rows: Sequence[int], chunks: Sequence[Chunk], tokens: Sequence[list[str]]):
        self._conn.executemany(
            f"INSERT INTO chunks ({_CHUNK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (row, c.id, c.article_id, c.n, c.start, c.end, c.paragraphs[0],
                 c.paragraphs[1], c.text, json.dumps([list(s) for s in c.sentences]))
                for row, c in zip(rows, chunks, strict=True)
            ),
        )
        self._conn.executemany(
            "INSERT INTO chunk_tokens VALUES (?, ?)",
            ((row, " ".join(t)) for row, t in zip(rows, tokens, strict=True)),
        )

    def add_sentence_vectors(
        self, rows: Sequence[int], vectors: Sequence[NDArray[np.float32]]
    ) -> None:
        self._sentences += sum(len(v) for v in vectors)
        self._conn.executemany(
            "INSERT INTO sentence_vectors VALUES (?, ?, ?)",
            (
                (int(row), len(v), np.ascontiguousarray(v, dtype=np.float16).tobytes())
                for row, v in zip(rows, vectors, strict=True)
            ),
        )

    def all_tokens(self) -> tuple[NDArray[np.int64], list[list[str]]]:
        """Every chunk's BM25 terms, rows ascending."""
        return _tokens(self._conn.execute("SELECT row, tokens FROM chunk_tokens ORDER BY row"))

    def counts(self) -> tuple[int, int, int]:
        """(articles, chunks, sentences)."""
        (articles,) = self._conn.execute("SELECT COUNT(*) FROM articles").fetchone()
        (chunks,) = self._conn.execute("SELECT COUNT(*) FROM chunks").fetchone()
        return int(articles), int(chunks), self._sentences


class DocStore:
    """Read-only access to a generation's SQLite file, safe to share between threads."""

    def __init__(self, path: Path) -> None:
        # immutable=1: a published generation never changes, so SQLite may skip locking.
        uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
        self._conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        self._lock = threading.Lock()
        (schema,) = self._one("SELECT value FROM meta WHERE key = 'schema'")
        if schema != SCHEMA_VERSION:
            raise sqlite3.DatabaseError(f"unknown store schema {schema!r}")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _one(self, query: str, params: Sequence[object] = ()) -> tuple:
        with self._lock:
            row = self._conn.execute(query, params).fetchone()
        if row is None:
            raise KeyError(params[0] if params else query)
        return row

    def _all(self, query: str, params: Sequence[object] = ()) -> list[tuple]:
        with self._lock:
            return self._conn.execute(query, params).fetchall()

    def chunks(self, rows: Sequence[int]) -> dict[int, Chunk]:
        query = f"SELECT {_CHUNK_COLUMNS} FROM chunks WHERE row IN {_IN_LIST}"
        return {
            row: Chunk(
                id=cid, article_id=aid, n=n, text=text, start=start, end=end,
                paragraphs=(p0, p1), sentences=tuple((s, e) for s, e in json.loads(sents)),
            )
            for row, cid, aid, n, start, end, p0, p1, text, sents
            in self._all(query, (_as_list(int(r) for r in rows),))
        }

    def sentence_vectors(self, rows: Sequence[int], dim: int) -> dict[int, NDArray[np.float32]]:
        query = f"SELECT row, count, vectors FROM sentence_vectors WHERE row IN {_IN_LIST}"
        return {
            row: np.frombuffer(blob or b"", dtype=np.float16).reshape(count, dim).astype(
                np.float32)
            for row, count, blob in self._all(query, (_as_list(int(r) for r in rows),))
        }

    def article(self, article_id: str) -> Article:
        """Raises KeyError for an unknown id."""
        title, published, byline, source, url, paragraphs = self._one(
            "SELECT title, published, byline, source, url, paragraphs FROM articles WHERE id = ?",
            (article_id,),
        )
        return Article(
            id=article_id, title=title, paragraphs=tuple(json.loads(paragraphs)), source=source,
            published=_date(published), byline=byline,
            url=url,
        )

    def articles(self) -> list[ArticleRecord]:
        query = (
            f"SELECT {_ARTICLE_COLUMNS}, COALESCE(n, 0) FROM articles a LEFT JOIN "
            "(SELECT article_id, COUNT(*) AS n FROM chunks GROUP BY article_id) c "
            "ON c.article_id = a.id ORDER BY published DESC, id"
        )
        return [
            ArticleRecord(
                id=aid, title=title, published=_date(pub),
                byline=byline, source=source, url=url, content_hash=chash, chunks=n,
            )
            for aid, title, pub, byline, source, url, chash, n in self._all(query)
        ]

    def all_tokens(self) -> tuple[NDArray[np.int64], list[list[str]]]:
        """Every chunk's BM25 terms, rows ascending."""
        with self._lock:
            return _tokens(self._conn.execute(
                "SELECT row, tokens FROM chunk_tokens ORDER BY row"))

    def chunk_articles(self) -> list[tuple[int, str]]:
        """(row, article_id) of every chunk, rows ascending."""
        return self._all("SELECT row, article_id FROM chunks ORDER BY row")

    def locations(self) -> dict[str, tuple[str, str | None]]:
        """id -> (source, url) of every article."""
        return {aid: (source, url) for aid, source, url in self._all(
            "SELECT id, source, url FROM articles")}

    def article_facets(self) -> list[tuple[str, date | None, str]]:
        """(id, published, source) of every article, for filtering."""
        return [
            (aid, _date(pub), source)
            for aid, pub, source in self._all("SELECT id, published, source FROM articles")
        ]


def _tokens(cursor: Iterable[tuple[int, str]]) -> tuple[NDArray[np.int64], list[list[str]]]:
    rows: list[int] = []
    tokens: list[list[str]] = []
    for row, text in cursor:
        rows.append(row)
        tokens.append(text.split())
    return np.asarray(rows, dtype=np.int64), tokens


def _as_list(values: Iterable[object]) -> str:
    """`values` as the one parameter of `_IN_LIST`: a JSON array."""
    return json.dumps(list(values), ensure_ascii=False)


def _date(text: str | None) -> date | None:
    """A `published` column (written by `date.isoformat`) as a date."""
    return date.fromisoformat(text) if text else None
