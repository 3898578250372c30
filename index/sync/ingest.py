"""Chunk, tokenise and embed articles into a generation being built.

Chunks get consecutive rows from `start_row`. Their BM25 terms go into SQLite (so a later
build can rebuild BM25 without re-tokenising) and come back with the result, for the BM25
update. Embedding runs over all pending chunks sorted by length (less padding per batch),
in slices so progress can be reported and memory stays bounded; each slice goes straight
into the vector store and SQLite.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from tqdm.auto import tqdm

from corpus import Article, Chunk
from corpus.chunking import ChunkConfig, chunk_article, embedding_text
from index.disk.docstore import DocWriter
from index.disk.lexical import tokenize
from index.embedding.base import Embedder, encode_chunks
from index.errors import EmbedderError
from index.sync.progress import Progress, tell
from index.vectors.base import VectorStore

__all__ = ["EMBED_SLICE", "Ingested", "ingest"]

logger = logging.getLogger(__name__)

EMBED_SLICE = 256  # chunks per encode call: a progress step and a bounded memory peak


@dataclass(frozen=True)
class Ingested:
    """Chunk ids per article, the next free row, how many chunks were embedded, and the
    new chunks' `rows` (ascending) with their BM25 terms (`tokens[i]` of `rows[i]`)."""

    chunk_ids: dict[str, tuple[str, ...]]
    next_row: int
    embedded_chunks: int
    rows: NDArray[np.int64]
    tokens: list[list[str]]


@dataclass(frozen=True)
class _Pending:
    row: int
    text: str
    spans: tuple[tuple[int, int], ...]


def ingest(
    articles: Sequence[Article],
    *,
    start_row: int,
    embedder: Embedder,
    config: ChunkConfig,
    docs: DocWriter,
    vectors: VectorStore,
    batch_size: int = 32,
    show_progress: bool = False,
    progress: Progress | None = None,
) -> Ingested:
    """Add `articles` (new to this generation) with their chunks, terms and vectors."""
    if articles and config.max_tokens > embedder.max_tokens:
        logger.warning(
            "chunks of up to %d tokens exceed the %d-token window of embedder %r; their "
            "ends are not embedded (use a smaller max_tokens)",
            config.max_tokens, embedder.max_tokens, embedder.name,
        )
    pending, chunk_ids, tokens = _chunk_all(articles, start_row, embedder, config, docs,
                                            progress)
    _embed_all(pending, embedder, docs, vectors, batch_size, show_progress, progress)
    rows = np.arange(start_row, start_row + len(pending), dtype=np.int64)
    return Ingested(chunk_ids, start_row + len(pending), len(pending), rows, tokens)


def _chunk_all(
    articles: Sequence[Article],
    start_row: int,
    embedder: Embedder,
    config: ChunkConfig,
    docs: DocWriter,
    progress: Progress | None,
) -> tuple[list[_Pending], dict[str, tuple[str, ...]], list[list[str]]]:
    """Chunk and tokenise `articles` into SQLite; returns the chunks to embed, the chunk
    ids per article and every new chunk's BM25 terms, in row order."""
    started = time.perf_counter()
    count_tokens = embedder.count_tokens if articles else None
    pending: list[_Pending] = []
    chunk_ids: dict[str, tuple[str, ...]] = {}
    all_tokens: list[list[str]] = []
    for done, article in enumerate(articles, 1):
        chunks = chunk_article(article, config, count_tokens=count_tokens)
        rows = list(range(start_row + len(pending), start_row + len(pending) + len(chunks)))
        tokens = [tokenize(f"{article.title}\n{c.text}") for c in chunks]
        docs.add_article(article)
        docs.add_chunks(rows, chunks, tokens)
        all_tokens.extend(tokens)
        pending.extend(
            _pending(row, chunk, article.title) for row, chunk in zip(rows, chunks, strict=True)
        )
        chunk_ids[article.id] = tuple(c.id for c in chunks)
        tell(progress, "chunk", done, len(articles))
    if articles:
        logger.info(
            "chunked %s articles into %s chunks in %.1f s",
            f"{len(articles):,}", f"{len(pending):,}", time.perf_counter() - started,
        )
    return pending, chunk_ids, all_tokens


def _pending(row: int, chunk: Chunk, title: str) -> _Pending:
    text = embedding_text(chunk, title)
    if not text.endswith(chunk.text):
        raise ValueError(f"embedding text of chunk {chunk.id!r} does not end with its text")
    shift = len(text) - len(chunk.text) - chunk.start  # article offsets -> embedding text
    return _Pending(row, text, tuple((s + shift, e + shift) for s, e in chunk.sentences))


def _embed_all(
    pending: list[_Pending],
    embedder: Embedder,
    docs: DocWriter,
    vectors: VectorStore,
    batch_size: int,
    show_progress: bool,
    progress: Progress | None,
) -> None:
    if not pending:
        return
    started = time.perf_counter()
    ordered = sorted(pending, key=lambda p: len(p.text), reverse=True)
    with tqdm(total=len(ordered), desc="embedding", unit="chunk", disable=not show_progress) as bar:
        for start in range(0, len(ordered), EMBED_SLICE):
            part = ordered[start : start + EMBED_SLICE]
            chunk_vectors, sentence_vectors = encode_chunks(
                embedder, [p.text for p in part], [p.spans for p in part], batch_size=batch_size
            )
            _check_shapes(embedder, part, chunk_vectors, sentence_vectors)
            rows = np.array([p.row for p in part], dtype=np.int64)
            vectors.add(rows, chunk_vectors)
            docs.add_sentence_vectors(rows.tolist(), sentence_vectors)
            bar.update(len(part))
            tell(progress, "embed", start + len(part), len(ordered))
    seconds = time.perf_counter() - started
    logger.info(
        "embedded %s chunks in %.1f s (%.0f/s)",
        f"{len(ordered):,}", seconds, len(ordered) / max(seconds, 1e-9),
    )


def _check_shapes(
    embedder: Embedder,
    part: list[_Pending],
    chunk_vectors: np.ndarray,
    sentence_vectors: list[np.ndarray],
) -> None:
    dim = embedder.dim
    expected = (len(part), dim)
    if chunk_vectors.shape != expected or len(sentence_vectors) != len(part):
        raise EmbedderError(
            f"embedder {embedder.name!r} returned vectors of shape {chunk_vectors.shape} "
            f"for {len(part)} chunks (expected {expected})"
        )
    for p, sentences in zip(part, sentence_vectors, strict=True):
        if sentences.shape != (len(p.spans), dim):
            raise EmbedderError(
                f"embedder {embedder.name!r} returned {sentences.shape} sentence vectors "
                f"for {len(p.spans)} sentences"
            )
