"""`IndexReader`: search and read one generation (see `index.reader`), and `Candidates`."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import ClassVar

import numpy as np
from cachetools import LRUCache
from numpy.typing import NDArray

from corpus import Article, Chunk
from index.candidates import Candidates, gather_candidates
from index.disk.bm25 import LexicalIndex
from index.disk.copies import CopyFolding, load_copy_groups
from index.disk.docstore import ArticleRecord, sentence_terms
from index.disk.documents import Documents
from index.disk.layout import generation_number
from index.disk.manifest import Manifest
from index.disk.segment import UNDATED
from index.disk.sentences import Sentences
from index.embedding.base import Embedder
from index.errors import ArticleNotFoundError, EmbedderMismatchError
from index.vectors.base import VectorStore

__all__ = ["Candidates", "IndexReader"]


class IndexReader:
    """Search and read one generation of an index. Use `open_index` to create one.

    Rows are the chunks' internal int ids, shared by dense and lexical search.
    """

    UNDATED: ClassVar[int] = UNDATED

    def __init__(
        self,
        index_dir: Path,
        folder: Path,
        manifest: Manifest,
        vectors: VectorStore,
        lexical: LexicalIndex,
        docs: Documents,
        sentences: Sentences,
    ) -> None:
        self.index_dir = index_dir
        self.path = folder
        self.manifest = manifest
        self._vectors = vectors
        self._lexical = lexical
        self._docs = docs
        self._sentences = sentences
        self._chunk_cache: LRUCache[int, Chunk] = LRUCache(8192)
        self._sentence_cache: LRUCache[int, NDArray[np.float32]] = LRUCache(2048)
        self._cache_lock = threading.Lock()  # cachetools' caches are not thread-safe
        self._terms_cache: LRUCache[int, tuple[frozenset[str], ...]] = LRUCache(8192)
        self._article_cache: LRUCache[str, Article] = LRUCache(256)  # a question reads ~10
        self._articles: list[ArticleRecord] | None = None
        self._article_bm25: LexicalIndex | None = None
        self._article_chunks: NDArray[np.int64] | None = None
        self._article_lock = threading.Lock()
        self._article_index = docs.article_index
        self._records: dict[str, ArticleRecord] | None = None
        self._by_source = docs.by_source
        self._published = docs.published
        self._rows = docs.rows
        self._row_article = docs.row_article
        ids = [""] * docs.article_count  # "": a tombstoned article, in no group
        for article_id, number in docs.article_index.items():
            ids[number] = article_id
        self._copies = CopyFolding(load_copy_groups(self.path), ids)
        self._hidden_rows = int(np.count_nonzero(self._copies.hidden[self._row_article]))

    def _hidden_rows_of(self, rows: NDArray[np.int64]) -> NDArray[np.bool_]:
        return self._copies.hidden[self._articles_of(rows)]

    def __repr__(self) -> str:
        return f"IndexReader({str(self.path)!r}, chunks={self.size})"

    def __enter__(self) -> IndexReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def size(self) -> int:
        """Number of chunks."""
        return len(self._rows)

    @property
    def embedder_name(self) -> str:
        return self.manifest.embedder.name

    @property
    def dim(self) -> int:
        return self.manifest.embedder.dim

    @property
    def generation(self) -> int:
        return generation_number(self.path)

    @property
    def embedded(self) -> int:
        """How many chunks have a vector (all of them once a build has finished)."""
        return self.manifest.counts.embedded

    def embedding_progress(self) -> str:
        """e.g. "12,400 of 19,227 chunks embedded" (a build is still embedding)."""
        return self.manifest.counts.embedding()

    def check_embedder(self, embedder: Embedder) -> None:
        """Raise `EmbedderMismatchError` unless `embedder` is the one the index was built
        with (same name; the dimension is checked too, which may load the model)."""
        info = self.manifest.embedder
        if embedder.name != info.name or embedder.dim != info.dim:
            raise EmbedderMismatchError(
                f"index '{self.index_dir}' was built with embedder {info.name!r} (dim "
                f"{info.dim}), not {embedder.name!r}; query with --model {info.name} or "
                f"rebuild with 'newsqa build --full --model {embedder.name}'"
            )

    def dense_search(
        self, vector: NDArray[np.float32], k: int, *, rows: NDArray[np.int64] | None = None
    ) -> list[tuple[int, float]]:
        """The `k` chunks closest to `vector` (dim,) as (row, cosine), best first;
        `rows` restricts the search to those rows."""
        return self._vectors.search(vector, k, rows=rows)

    def lexical_search(
        self, query: str, k: int, *, rows: NDArray[np.int64] | None = None
    ) -> list[tuple[int, float]]:
        """The `k` best BM25 chunks for `query` as (row, score), best first; chunks sharing
        no term with the query are left out."""
        return self._lexical.search(query, k, rows=rows)

    def candidates(
        self,
        query: str,
        vector: NDArray[np.float32] | None,
        k: int,
        *,
        rows: NDArray[np.int64] | None = None,
    ) -> Candidates:
        """The union of the `k` best chunks of dense and of lexical search, each with both
        scores: a chunk found by one retriever only is scored exactly by the other (its
        cosine from the stored vector, its BM25 from the stored counts), so fusion never
        has to guess a missing score. `vector` None means lexical search only. Only one
        copy of a syndicated story is searched (`rows_matching`'s rows are folded)."""
        hidden, extra = None, 0
        if rows is None and self._hidden_rows:  # rows from rows_matching are folded already
            hidden, extra = self._hidden_rows_of, min(k, self._hidden_rows)
        return gather_candidates(self._vectors, self._lexical, query, vector, k, rows=rows,
                                 hidden=hidden, extra=extra)

    def article_lexical(self, query: str, rows: NDArray[np.int64]) -> NDArray[np.float32]:
        """BM25 of `query` for the article of each of `rows`, the article being all its
        chunks' text (computed from the chunks' counts, made in memory on first use)."""
        with self._article_lock:
            if self._article_bm25 is None:
                self._article_bm25 = self._docs.article_lexical()
        return self._article_bm25.score_rows(query, self._articles_of(rows))

    def article_sizes(self, rows: NDArray[np.int64]) -> NDArray[np.int64]:
        """How many chunks the article of each of `rows` has."""
        if self._article_chunks is None:
            self._article_chunks = np.bincount(self._row_article, minlength=len(self._published))
        return self._article_chunks[self._articles_of(rows)]

    def published_days(self, rows: NDArray[np.int64]) -> NDArray[np.int64]:
        """The publication day (`date.toordinal()`) of each row's article; `UNDATED` for an
        article without a date."""
        return self._published[self._articles_of(rows)]

    def _articles_of(self, rows: NDArray[np.int64]) -> NDArray[np.int64]:
        """Article numbers (positions in the facets) of chunk rows, which must exist."""
        return self._row_article[np.searchsorted(self._rows, np.asarray(rows, dtype=np.int64))]

    def token_idf(self, terms: Sequence[str]) -> list[float]:
        """BM25 IDF of each term (terms from `index.tokenize`), aligned with
        `terms`; a term in no chunk gets the highest IDF."""
        return self._lexical.idf(terms)

    def chunks(self, rows: Sequence[int]) -> list[Chunk]:
        """The chunks of `rows`, in the same order. Raises KeyError for an unknown row."""
        wanted = [int(r) for r in rows]
        with self._cache_lock:
            cached = {r: self._chunk_cache.get(r) for r in dict.fromkeys(wanted)}
        missing = [r for r, chunk in cached.items() if chunk is None]
        if missing:
            read = self._docs.chunks(missing)
            with self._cache_lock:
                self._chunk_cache.update(read)
            cached.update(read)
        found = [cached[r] for r in wanted]
        unknown = [r for r, c in zip(wanted, found, strict=True) if c is None]
        if unknown:
            raise KeyError(f"no chunk rows {unknown[:5]!r} in index '{self.path}'")
        return found  # type: ignore[return-value]

    def sentence_vectors(self, rows: Sequence[int]) -> dict[int, NDArray[np.float32]]:
        """Per chunk row, its sentence vectors (len(chunk.sentences), dim) float32,
        aligned with `chunk.sentences`. Unknown rows are left out."""
        if self._sentences.mapped:  # read-only views of the mapped file, no cache needed
            return self._sentences.get(list(dict.fromkeys(int(r) for r in rows)))
        with self._cache_lock:
            found = {r: self._sentence_cache.get(r) for r in dict.fromkeys(int(r) for r in rows)}
        missing = [r for r, vectors in found.items() if vectors is None]
        if missing:
            read = self._sentences.get(missing)
            for vectors in read.values():
                vectors.setflags(write=False)  # shared through the cache
            with self._cache_lock:
                self._sentence_cache.update(read)
            found.update(read)
        return {r: v for r, v in found.items() if v is not None}

    def sentence_terms(self, rows: Sequence[int]) -> dict[int, tuple[frozenset[str], ...]]:
        """Per chunk row, the BM25 terms of each of its sentences (see `tokenize`), aligned
        with `chunk.sentences`."""
        wanted = list(dict.fromkeys(int(r) for r in rows))
        with self._cache_lock:
            found = {r: self._terms_cache.get(r) for r in wanted}
        missing = [r for r, terms in found.items() if terms is None]
        if missing:
            read = self._docs.sentence_tokens(missing)  # kept by segments written since
            unread = [r for r in missing if r not in read]
            for row, chunk in zip(unread, self.chunks(unread), strict=True):
                read[row] = tuple(sentence_terms(chunk))
            with self._cache_lock:
                self._terms_cache.update(read)
            found.update(read)
        return found  # type: ignore[return-value]

    def article(self, article_id: str) -> Article:
        """The full article. Raises `ArticleNotFoundError` for an unknown id."""
        with self._cache_lock:
            found = self._article_cache.get(article_id)
        if found is not None:
            return found
        try:
            found = self._docs.article(article_id)
        except KeyError:
            raise ArticleNotFoundError(
                f"no article {article_id!r} in index '{self.index_dir}'; check the id "
                "against the indexed articles"
            ) from None
        with self._cache_lock:
            self._article_cache[article_id] = found
        return found

    def articles(self) -> list[ArticleRecord]:
        """Every indexed article, newest first (undated last)."""
        if self._articles is None:  # a generation never changes: list it once
            self._articles = self._docs.articles()
        return list(self._articles)

    def rows_matching(
        self,
        *,
        since: date | None = None,
        until: date | None = None,
        sources: Sequence[str] | None = None,
        not_after: date | None = None,
    ) -> NDArray[np.int64] | None:
        """Rows of chunks whose article passes every filter given, rows ascending, with
        one copy of each syndicated story (the first of its group that passes); None when
        no filter is given (no restriction but the folding `candidates` does).

        Args:
            since, until: inclusive publication date bounds; undated articles never match.
            sources: article ids or source paths (as listed by `articles()`).
            not_after: leave out articles published after this day (undated ones stay).
        """
        if since is None and until is None and sources is None and not_after is None:
            return None
        keep = np.ones(len(self._published), dtype=bool)
        if not_after is not None:
            keep &= self._published <= not_after.toordinal()
        if since is not None:
            keep &= self._published >= since.toordinal()
        if until is not None:
            keep &= (self._published <= until.toordinal()) & (
                self._published != UNDATED
            )
        if sources is not None:
            chosen = np.zeros_like(keep)
            for name in sources:
                if name in self._article_index:
                    chosen[self._article_index[name]] = True
                chosen[self._by_source.get(name, [])] = True
            keep &= chosen
        keep = self._copies.fold(keep)
        return self._rows[keep[self._row_article]]

    def story_of(self, article_id: str) -> str:
        """The id of the copy that stands for `article_id`'s story (itself when alone)."""
        return self._copies.story_of(article_id)

    def copies_of(self, article_id: str) -> list[ArticleRecord]:
        """The other syndicated copies of `article_id`'s story, the one cited first first."""
        others = self._copies.others(article_id)
        if not others:
            return []
        if self._records is None:  # a generation never changes: index its records once
            self._records = {r.id: r for r in self.articles()}
        return [self._records[i] for i in others]

    def close(self) -> None:
        """Release the vector store's connection; the segments' files are closed when the
        last reader of the process that uses them is gone."""
        self._vectors.close()
