"""Chunk, tokenise and embed articles into a segment being built.

Chunks get consecutive rows from `start_row`. Their BM25 terms go into SQLite (so BM25
can be rebuilt without re-tokenising) and come back with the result, for the segment's
postings. Embedding (`embed_slices`) runs over the pending chunks in row order, in windows
of `EMBED_WINDOW` chunks each sorted by length (less padding per batch; a progressive
build publishes the vectors of whole windows' worth as it goes, so articles become
dense-searchable in the order they were added), in slices of `EMBED_SLICE` chunks so
progress can be reported and memory stays bounded.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from tqdm.auto import tqdm

from corpus import Article, Chunk
from corpus.chunking import ChunkConfig, chunk_article, embedding_text, headline_text
from index.disk.docstore import DocWriter
from index.disk.lexical import tokenize
from index.embedding.base import Embedder, encode_chunks
from index.errors import EmbedderError
from index.sync.progress import Progress, tell

__all__ = ["EMBED_SLICE", "EMBED_WINDOW", "Chunked", "Embedded", "Pending", "chunk_into",
           "embed_slices", "pending_chunks"]

logger = logging.getLogger(__name__)

EMBED_SLICE = 256  # chunks per encode call: a progress step and a bounded memory peak
EMBED_WINDOW = 2048  # chunks sorted by length together


@dataclass(frozen=True)
class Pending:
    """A chunk to embed: its row, the text the model sees and its sentence spans in it;
    `vector_text`, when set, is embedded for the chunk's vector instead (a page indexed by
    its headline: its sentences still get their own vectors)."""

    row: int
    text: str
    spans: tuple[tuple[int, int], ...]
    vector_text: str | None = None


@dataclass(frozen=True)
class Chunked:
    """What `chunk_into` wrote: the chunks to embed, the new chunks' `rows` (ascending)
    with their BM25 terms (`tokens[i]` of `rows[i]`), and the next free row."""

    pending: list[Pending]
    rows: NDArray[np.int64]
    tokens: list[list[str]]
    next_row: int


@dataclass(frozen=True)
class Embedded:
    """One slice's vectors: `rows` (ascending), their chunk vectors (len(rows), dim) and
    sentence vectors (one (sentences, dim) block per row)."""

    rows: NDArray[np.int64]
    chunk_vectors: NDArray[np.float32]
    sentence_vectors: list[NDArray[np.float32]]


def chunk_into(
    articles: Sequence[Article],
    *,
    start_row: int,
    embedder: Embedder,
    config: ChunkConfig,
    docs: DocWriter,
    progress: Progress | None = None,
    headline_only: Collection[str] = (),
) -> Chunked:
    """Chunk and tokenise `articles` into `docs`, rows from `start_row`. The articles of
    `headline_only` (pages whose text is boilerplate) are searchable by their headline
    alone: their chunks' BM25 terms and vectors are the headline's."""
    if articles and config.max_tokens > embedder.max_tokens:
        logger.warning(
            "chunks of up to %d tokens exceed the %d-token window of embedder %r; their "
            "ends are not embedded (use a smaller max_tokens)",
            config.max_tokens, embedder.max_tokens, embedder.name,
        )
    started = time.perf_counter()
    count_tokens = embedder.count_tokens if articles else None
    pending: list[Pending] = []
    all_tokens: list[list[str]] = []
    for done, article in enumerate(articles, 1):
        chunks = chunk_article(article, config, count_tokens=count_tokens)
        rows = list(range(start_row + len(pending), start_row + len(pending) + len(chunks)))
        headline = article.id in headline_only
        tokens = [tokenize(article.title if headline else f"{article.title}\n{c.text}")
                  for c in chunks]
        docs.add_article(article)
        docs.add_chunks(rows, chunks, tokens)
        all_tokens.extend(tokens)
        pending.extend(pending_chunk(row, chunk, article.title, headline_only=headline)
                       for row, chunk in zip(rows, chunks, strict=True))
        tell(progress, "chunk", done, len(articles))
    if articles:
        logger.info(
            "chunked %s articles into %s chunks in %.1f s",
            f"{len(articles):,}", f"{len(pending):,}", time.perf_counter() - started,
        )
    rows = np.arange(start_row, start_row + len(pending), dtype=np.int64)
    return Chunked(pending, rows, all_tokens, start_row + len(pending))


def pending_chunk(row: int, chunk: Chunk, title: str, *, headline_only: bool = False
                  ) -> Pending:
    text = embedding_text(chunk, title)
    if not text.endswith(chunk.text):
        raise ValueError(f"embedding text of chunk {chunk.id!r} does not end with its text")
    shift = len(text) - len(chunk.text) - chunk.start  # article offsets -> embedding text
    return Pending(row, text, tuple((s + shift, e + shift) for s, e in chunk.sentences),
                   headline_text(title) if headline_only else None)


def pending_chunks(chunks: Mapping[int, Chunk], titles: Mapping[str, str],
                   headline_only: Collection[str] = ()) -> list[Pending]:
    """The chunks of an earlier build that were not embedded yet (a build resumed);
    `headline_only` as for `chunk_into`."""
    return [pending_chunk(row, chunk, titles[chunk.article_id],
                          headline_only=chunk.article_id in headline_only)
            for row, chunk in sorted(chunks.items())]


def embed_slices(
    pending: Sequence[Pending],
    embedder: Embedder,
    *,
    batch_size: int = 32,
    show_progress: bool = False,
    progress: Progress | None = None,
) -> Iterator[Embedded]:
    """Embed `pending` (in row order), one `Embedded` slice at a time."""
    if not pending:
        return
    started = time.perf_counter()
    done = 0
    with tqdm(total=len(pending), desc="embedding", unit="chunk",
              disable=not show_progress) as bar:
        for window_start in range(0, len(pending), EMBED_WINDOW):
            window = sorted(pending[window_start:window_start + EMBED_WINDOW],
                            key=lambda p: len(p.text), reverse=True)
            for start in range(0, len(window), EMBED_SLICE):
                part = window[start : start + EMBED_SLICE]
                chunk_vectors, sentence_vectors = encode_chunks(
                    embedder, [p.text for p in part], [p.spans for p in part],
                    batch_size=batch_size)
                _check_shapes(embedder, part, chunk_vectors, sentence_vectors)
                headlines = [i for i, p in enumerate(part) if p.vector_text is not None]
                if headlines:
                    chunk_vectors = np.array(chunk_vectors, dtype=np.float32)
                    chunk_vectors[headlines] = embedder.encode(
                        [part[i].vector_text or "" for i in headlines], batch_size=batch_size)
                order = np.argsort([p.row for p in part], kind="stable")
                done += len(part)
                bar.update(len(part))
                tell(progress, "embed", done, len(pending))
                yield Embedded(np.array([part[i].row for i in order], dtype=np.int64),
                               np.ascontiguousarray(chunk_vectors[order]),
                               [sentence_vectors[i] for i in order])
    seconds = time.perf_counter() - started
    logger.info(
        "embedded %s chunks in %.1f s (%.0f/s)",
        f"{len(pending):,}", seconds, len(pending) / max(seconds, 1e-9),
    )


def _check_shapes(
    embedder: Embedder,
    part: list[Pending],
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
