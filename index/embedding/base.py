"""The embedder seam: the `Embedder` protocol and what every embedder shares.

An embedder turns texts into L2-normalised float32 vectors. `encode_chunks` embeds chunk
texts and, in the same pass where the model allows it, one vector per sentence span (see
`SentenceTransformerEmbedder`); `encode_chunks_separately` is the generic fallback.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "Embedder",
    "Spans",
    "encode_chunks",
    "encode_chunks_separately",
    "normalize_rows",
    "sentence_vector_mode",
    "split_rows",
]

Spans = Sequence[tuple[int, int]]
"""Char (start, end) spans into one text."""


@runtime_checkable
class Embedder(Protocol):
    """What the index needs from an embedding model.

    Attributes:
        name: stable model name, saved in the index manifest (not a machine path).
        dim: vector dimension.
        max_tokens: the model's input window in word pieces (longer texts are truncated).
    """

    name: str
    dim: int
    max_tokens: int

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 32, show_progress: bool = False
    ) -> NDArray[np.float32]:
        """Embed `texts`; returns an (n, dim) float32 array of L2-normalised rows."""
        ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Word pieces of each text, special tokens included."""
        ...


def encode_chunks(
    embedder: Embedder,
    texts: Sequence[str],
    spans_per_text: Sequence[Spans],
    *,
    batch_size: int = 32,
    show_progress: bool = False,
) -> tuple[NDArray[np.float32], list[NDArray[np.float32]]]:
    """Chunk vectors (n, dim) and, per text, sentence vectors (k_i, dim) for its spans.

    Uses the embedder's own `encode_chunks` when it has one (one forward pass per chunk),
    else embeds the sentences separately.
    """
    own = getattr(embedder, "encode_chunks", None)
    if callable(own):
        return own(texts, spans_per_text, batch_size=batch_size, show_progress=show_progress)
    return encode_chunks_separately(
        embedder, texts, spans_per_text, batch_size=batch_size, show_progress=show_progress
    )


def encode_chunks_separately(
    embedder: Embedder,
    texts: Sequence[str],
    spans_per_text: Sequence[Spans],
    *,
    batch_size: int = 32,
    show_progress: bool = False,
) -> tuple[NDArray[np.float32], list[NDArray[np.float32]]]:
    """`encode_chunks` by embedding every chunk and every sentence on its own."""
    if len(texts) != len(spans_per_text):
        raise ValueError(f"got {len(texts)} texts but {len(spans_per_text)} span lists")
    chunk_vectors = embedder.encode(texts, batch_size=batch_size, show_progress=show_progress)
    pairs = zip(texts, spans_per_text, strict=True)
    pieces = [text[s:e] for text, spans in pairs for s, e in spans]
    sentence_vectors = (
        embedder.encode(pieces, batch_size=batch_size, show_progress=show_progress)
        if pieces
        else np.zeros((0, embedder.dim), dtype=np.float32)
    )
    return chunk_vectors, split_rows(sentence_vectors, [len(s) for s in spans_per_text])


def sentence_vector_mode(embedder: Embedder) -> str:
    """How `encode_chunks(embedder, ...)` makes sentence vectors ("separate" unless the
    embedder says otherwise)."""
    own = callable(getattr(embedder, "encode_chunks", None))
    return str(getattr(embedder, "sentence_vectors", "separate")) if own else "separate"


def split_rows(vectors: NDArray[np.float32], sizes: Sequence[int]) -> list[NDArray[np.float32]]:
    """Cut the rows of `vectors` into consecutive blocks of `sizes` rows."""
    bounds = np.cumsum([0, *sizes])
    return [vectors[bounds[i] : bounds[i + 1]] for i in range(len(sizes))]


def normalize_rows(vectors: NDArray[np.float32]) -> NDArray[np.float32]:
    """L2-normalise each row; all-zero rows stay zero."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)
