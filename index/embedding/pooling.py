"""Late pooling without torch: sentence vectors from the token embeddings of one forward
pass, length-sorted batching, and word-piece counts. Shared by the torch and the ONNX
Runtime embedders.

A chunk's vector is the mean of all its token embeddings; a sentence's vector is the mean of
the tokens whose char offsets overlap the sentence's span.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from tqdm.auto import tqdm

from index.embedding.base import Spans, normalize_rows

__all__ = ["LatePool", "count_word_pieces", "encode_by_length", "pool_spans"]

logger = logging.getLogger(__name__)

LatePool = Callable[
    [list[str], list[Spans]], tuple[NDArray[np.float32], list[NDArray[np.float32]]]
]
"""One forward pass over a batch: (texts, spans per text) -> (chunk vectors, sentence vectors)."""


def encode_by_length(
    late_pool: LatePool,
    texts: Sequence[str],
    spans_per_text: Sequence[Spans],
    *,
    dim: int,
    batch_size: int = 32,
    show_progress: bool = False,
) -> tuple[NDArray[np.float32], list[NDArray[np.float32]]]:
    """Run `late_pool` over batches of similar length (less padding); results come back in
    input order: chunk vectors (n, dim) and sentence vectors (k_i, dim) per text."""
    chunk_vectors = np.zeros((len(texts), dim), dtype=np.float32)
    sentence_vectors: list[NDArray[np.float32]] = [np.zeros(0)] * len(texts)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
    starts = range(0, len(order), batch_size)
    for start in tqdm(starts, desc="embedding", unit="batch", disable=not show_progress):
        batch = order[start : start + batch_size]
        vectors, sentences = late_pool(
            [texts[i] for i in batch], [spans_per_text[i] for i in batch]
        )
        for j, i in enumerate(batch):
            chunk_vectors[i] = vectors[j]
            sentence_vectors[i] = sentences[j]
    return chunk_vectors, sentence_vectors


def pool_spans(
    text: str,
    spans: Spans,
    tokens: NDArray[np.float32],
    offsets: NDArray[np.int64],
    attention: NDArray[np.bool_],
    *,
    encode: Callable[[Sequence[str]], NDArray[np.float32]],
) -> NDArray[np.float32]:
    """L2-normalised sentence vectors (k, dim): the mean of the token embeddings `tokens`
    (t, dim) whose char `offsets` (t, 2) overlap each span of `text`. Spans past the model
    window (truncated away) are embedded on their own with `encode`."""
    if not spans:
        return np.zeros((0, tokens.shape[1]), dtype=np.float32)
    bounds = np.asarray(spans, dtype=np.int64).reshape(-1, 2)
    tok_start, tok_end = offsets[:, 0], offsets[:, 1]
    real = attention & (tok_end > tok_start)  # special tokens have empty offsets
    weights = (
        real[None, :]
        & (tok_start[None, :] < bounds[:, 1:2])
        & (tok_end[None, :] > bounds[:, 0:1])
    ).astype(np.float32)
    counts = weights.sum(axis=1)
    vectors = weights @ tokens / np.maximum(counts, 1.0)[:, None]
    missing = np.flatnonzero(counts == 0)
    if missing.size:  # spans past the model window (truncated): embed them alone
        logger.debug("%d sentence spans beyond the model window; embedding alone", missing.size)
        vectors[missing] = encode([text[bounds[i, 0] : bounds[i, 1]] for i in missing])
    return normalize_rows(vectors)


def count_word_pieces(tokenizer: Any, texts: Sequence[str]) -> list[int]:
    """Word pieces of each text under `tokenizer`, special tokens included, untruncated."""
    encoded = tokenizer(list(texts), add_special_tokens=True, truncation=False, verbose=False)
    return [len(ids) for ids in encoded["input_ids"]]
