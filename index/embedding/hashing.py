"""`HashEmbedder`: a deterministic hashed bag of words, for tests and a no-model mode."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from bm25s.stopwords import STOPWORDS_EN_PLUS
from numpy.typing import NDArray

from index.embedding.base import Spans, encode_chunks_separately, normalize_rows
from index.embedding.names import HASH_EMBEDDER_NAME

__all__ = ["HashEmbedder"]

_TOKEN_RE = re.compile(r"[^\W_]+")
_STOPWORDS = frozenset(STOPWORDS_EN_PLUS)


class HashEmbedder:
    """Deterministic hashed bag of words: no model, no download, instant.

    Each lower-cased word that is not an English stopword adds +1 or -1 (chosen by its
    blake2b hash) to one of `dim` buckets; the vector is L2-normalised. Used by tests and as
    a no-model fast mode; it matches words, not meanings (stopwords left out, so "the" and
    "who" do not make every text look alike).
    """

    name = HASH_EMBEDDER_NAME
    max_tokens = 512
    sentence_vectors = "separate"

    def __init__(self, dim: int = 256) -> None:
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
            raise ValueError(f"dim must be a positive integer, got {dim!r}")
        self.dim = dim

    def __repr__(self) -> str:
        return f"HashEmbedder(dim={self.dim})"

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 32, show_progress: bool = False
    ) -> NDArray[np.float32]:
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for token in _TOKEN_RE.findall(text.lower()):
                if token in _STOPWORDS:
                    continue
                bucket, sign = _bucket(token, self.dim)
                vectors[i, bucket] += sign
        return normalize_rows(vectors)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(_TOKEN_RE.findall(text)) + 2 for text in texts]

    def encode_chunks(
        self,
        texts: Sequence[str],
        spans_per_text: Sequence[Spans],
        *,
        batch_size: int = 32,
        show_progress: bool = False,
    ) -> tuple[NDArray[np.float32], list[NDArray[np.float32]]]:
        return encode_chunks_separately(self, texts, spans_per_text, batch_size=batch_size)


@lru_cache(maxsize=65536)
def _bucket(token: str, dim: int) -> tuple[int, float]:
    digest = int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "big")
    return digest % dim, 1.0 if digest >> 63 else -1.0
