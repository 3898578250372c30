"""Article and chunk metadata and BM25 tokens of one segment, in one SQLite file.

Tables: `articles` (one row per article, paragraphs as JSON), `chunks` (row = the
chunk's int id, shared with the vectors and BM25), `chunk_tokens` (BM25 terms, space
separated, kept so BM25 can be rebuilt without re-tokenising) and `sentence_tokens` (each
sentence's distinct BM25 terms, space separated, one line per sentence: what a question's
sentence features read, so a question need not tokenize the chunks it ranks; files written
before it was added lack it, and their sentences are tokenized when read). Schema 1, the
SQLite file of a format-1 generation, also has `sentence_vectors` (float16, one blob of shape
(sentences, dim) per chunk); schema 2 files leave sentence vectors to the vector parts
(`index.disk.sentences`), which arrive after the text in a progressive build.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from corpus import Article, Chunk
from index.disk.lexical import tokenize

__all__ = ["ArticleRecord", "DocStore", "DocWriter"]

SCHEMA_VERSION = "2"
LEGACY_SCHEMA = "1"
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
CREATE INDEX articles_facets ON articles (id, published, source, url, content_hash);
CREATE TABLE chunk_tokens (row INTEGER PRIMARY KEY, tokens TEXT NOT NULL);
CREATE TABLE sentence_tokens (row INTEGER PRIMARY KEY, tokens TEXT NOT NULL);
"""
_LEGACY_TABLE = "sentence_vectors"
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
    """Writes the SQLite file of a new segment."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._sentences = 0
        self._conn = sqlite3.connect(path.resolve().as_uri(), uri=True, isolation_level=None)
        # The file is new and unnamed by any generation until its segment is complete, and
        # a crashed build's segments are deleted, so no journal is needed; durability comes
        # from the fsync before the segment is finished.
        self._conn.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;")
        self._conn.executescript(_SCHEMA)
        self._conn.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
        self._conn.execute("BEGIN")

    def close(self) -> None:
        self._conn.execute("COMMIT")
        self._conn.close()

    def abort(self) -> None:
        self._conn.close()

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

    def add_chunks(self, rows: Sequence[int], chunks: Sequence[Chunk], tokens: Sequence[list[str]]):
        self._sentences += sum(len(c.sentences) for c in chunks)
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
        self._conn.executemany(
            "INSERT INTO sentence_tokens VALUES (?, ?)",
            ((row, "\n".join(" ".join(sorted(terms)) for terms in sentence_terms(c)))
             for row, c in zip(rows, chunks, strict=True) if c.sentences),
        )

    def copy_from(self, source: Path, skip_articles: Iterable[str],
                  relocated: Mapping[str, tuple[str, str | None]] | None = None) -> None:
        """Copy every article of the segment file `source` (either schema) with its chunks
        and tokens, except `skip_articles`; `relocated` gives articles a new (source, url).
        A merge: SQLite copies the rows itself."""
        skipped = _as_list(sorted(set(skip_articles)))
        self._conn.execute("COMMIT")  # ATTACH is refused inside a transaction
        self._conn.execute("ATTACH DATABASE ? AS src", (f"{source.resolve().as_uri()}?mode=ro",))
        try:
            self._conn.execute("BEGIN")
            self._conn.execute(
                f"INSERT INTO articles SELECT * FROM src.articles WHERE id NOT IN {_IN_LIST}",
                (skipped,))
            self._conn.execute(
                f"INSERT INTO chunks SELECT * FROM src.chunks WHERE article_id NOT IN {_IN_LIST}",
                (skipped,))
            self._conn.execute(
                "INSERT INTO chunk_tokens SELECT t.row, t.tokens FROM src.chunk_tokens t "
                f"JOIN src.chunks c ON c.row = t.row WHERE c.article_id NOT IN {_IN_LIST}",
                (skipped,))
            if _has_table(self._conn, "sentence_tokens", "src"):  # older files lack it
                self._conn.execute(
                    "INSERT INTO sentence_tokens SELECT t.row, t.tokens FROM "
                    "src.sentence_tokens t JOIN src.chunks c ON c.row = t.row "
                    f"WHERE c.article_id NOT IN {_IN_LIST}", (skipped,))
            (added,) = self._conn.execute(
                "SELECT COALESCE(SUM(json_array_length(sentences)), 0) FROM src.chunks "
                f"WHERE article_id NOT IN {_IN_LIST}", (skipped,)).fetchone()
            self._sentences += int(added)
            for article_id, (src, url) in (relocated or {}).items():
                self.relocate_article(article_id, src, url)
            self._conn.execute("COMMIT")
        finally:
            self._conn.execute("DETACH DATABASE src")
        self._conn.execute("BEGIN")

    def relocate_article(self, article_id: str, source: str, url: str | None) -> None:
        """Record a new source/url for an unchanged article."""
        self._conn.execute(
            "UPDATE articles SET source = ?, url = ? WHERE id = ?", (source, url, article_id)
        )

    def counts(self) -> tuple[int, int, int]:
        """(articles, chunks, sentences)."""
        (articles,) = self._conn.execute("SELECT COUNT(*) FROM articles").fetchone()
        (chunks,) = self._conn.execute("SELECT COUNT(*) FROM chunks").fetchone()
        return int(articles), int(chunks), self._sentences

    def chunk_articles(self) -> tuple[NDArray[np.int64], NDArray[np.int32]]:
        """(rows ascending, the position of each row's article in rowid order)."""
        rowids = np.array([r for (r,) in self._conn.execute(
            "SELECT rowid FROM articles ORDER BY rowid")], dtype=np.int64)
        pairs = self._conn.execute(
            "SELECT c.row, a.rowid FROM chunks c JOIN articles a ON a.id = c.article_id "
            "ORDER BY c.row").fetchall()
        rows = np.array([row for row, _ in pairs], dtype=np.int64)
        owners = np.array([rowid for _, rowid in pairs], dtype=np.int64)
        return rows, np.searchsorted(rowids, owners).astype(np.int32)

    def row_range(self) -> tuple[int, int]:
        """(first, last) chunk row; (0, -1) without chunks."""
        first, last = self._conn.execute("SELECT MIN(row), MAX(row) FROM chunks").fetchone()
        return (0, -1) if first is None else (int(first), int(last))


class DocStore:
    """Read-only access to a generation's SQLite file, safe to share between threads."""

    def __init__(self, path: Path) -> None:
        # immutable=1: a published generation never changes, so SQLite may skip locking.
        uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
        self._conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        self._lock = threading.Lock()
        (schema,) = self._one("SELECT value FROM meta WHERE key = 'schema'")
        if schema not in (SCHEMA_VERSION, LEGACY_SCHEMA):
            raise sqlite3.DatabaseError(f"unknown store schema {schema!r}")
        self.path = path
        self.schema = schema
        with self._lock:
            self._has_sentence_tokens = _has_table(self._conn, "sentence_tokens")

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
        found = self._all(query, (_as_list(int(r) for r in rows),))
        # Every row's sentence offsets parsed by one JSON call (each is a JSON list).
        offsets = json.loads("[" + ",".join(r[-1] for r in found) + "]") if found else []
        return {
            row: Chunk(
                id=cid, article_id=aid, n=n, text=text, start=start, end=end,
                paragraphs=(p0, p1), sentences=tuple((s, e) for s, e in sents),
            )
            for (row, cid, aid, n, start, end, p0, p1, text, _), sents
            in zip(found, offsets, strict=True)
        }

    def sentence_tokens(self, rows: Sequence[int]) -> dict[int, tuple[frozenset[str], ...]]:
        """Each of `rows`' sentences' BM25 terms (`sentence_terms`), for the rows whose
        terms the file keeps (none in a file written before they were kept)."""
        if not self._has_sentence_tokens:
            return {}
        query = f"SELECT row, tokens FROM sentence_tokens WHERE row IN {_IN_LIST}"
        return {row: tuple(frozenset(line.split()) for line in tokens.split("\n"))
                for row, tokens in self._all(query, (_as_list(int(r) for r in rows),))}

    def sentence_vectors(self, rows: Sequence[int], dim: int) -> dict[int, NDArray[np.float32]]:
        """Sentence vectors stored in a schema-1 file (a format-1 generation's)."""
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
        """Every article of the file, with its chunk count, in rowid order."""
        query = (
            f"SELECT {_ARTICLE_COLUMNS}, COALESCE(n, 0) FROM articles a LEFT JOIN "
            "(SELECT article_id, COUNT(*) AS n FROM chunks GROUP BY article_id) c "
            "ON c.article_id = a.id ORDER BY a.rowid"
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

    def chunk_sentences(self) -> NDArray[np.int64]:
        """How many sentences each chunk has, rows ascending."""
        return np.asarray([n for (n,) in self._all(
            "SELECT json_array_length(sentences) FROM chunks ORDER BY row")], dtype=np.int64)

    def sentences_of(self, rows: Sequence[int]) -> int:
        """How many sentences the chunks of `rows` have together."""
        (count,) = self._one(
            "SELECT COALESCE(SUM(json_array_length(sentences)), 0) FROM chunks WHERE row IN "
            f"{_IN_LIST}", (_as_list(int(r) for r in rows),))
        return int(count)

    def article_facets(self) -> list[tuple[str, date | None, str, str | None, str]]:
        """(id, published, source, url, content_hash) of every article, in rowid order.

        Read from the `articles_facets` index where the file has it (segments written
        since it exists): a sync reads these of every article, and the index holds them
        in a few pages, where the table interleaves them with every article's text."""
        found = self._all("SELECT rowid, id, published, source, url, content_hash FROM articles")
        found.sort()
        return [(aid, _date(pub), source, url, chash) for _, aid, pub, source, url, chash in found]

    def titles(self, article_ids: Iterable[str]) -> dict[str, str]:
        query = f"SELECT id, title FROM articles WHERE id IN {_IN_LIST}"
        return dict(self._all(query, (_as_list(article_ids),)))


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


def sentence_terms(chunk: Chunk) -> list[frozenset[str]]:
    """The BM25 terms of each of `chunk`'s sentences (`tokenize` of its text)."""
    return [frozenset(tokenize(chunk.text[s - chunk.start: e - chunk.start]))
            for s, e in chunk.sentences]


def _has_table(conn: sqlite3.Connection, name: str, schema: str = "main") -> bool:
    return conn.execute(f"SELECT 1 FROM {schema}.sqlite_master WHERE type = 'table' AND "
                        "name = ?", (name,)).fetchone() is not None
