"""`OnnxEmbedder`: a sentence-transformers model run through ONNX Runtime, fp32 or int8.

The model's transformer is exported to ONNX once (torch.onnx.export), quantized to int8
(dynamic, per-channel weights, feed-forward outputs left in fp32) and cached in the user
cache folder (`index.settings.onnx_cache_dir`: ~/.cache/newsqa/onnx/<model>-<content hash>/
on Linux), keyed by a hash of the model's weights, config and tokenizer files. Later loads
need neither torch nor the network, only onnxruntime and the tokenizer. Pooling is the torch
path's (`index.embedding.pooling`): mean over the token embeddings for the chunk vector,
late pooling over each sentence's token span for sentence vectors, L2-normalised.

Names: "<model>:onnx-int8" and "<model>:onnx" (fp32), so an index built with one embedder
and queried with another is detected (the index records the name).
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, get_args

import numpy as np
from numpy.typing import NDArray

from index.embedding.base import Spans, normalize_rows
from index.embedding.names import DEFAULT_MODEL, Precision, canonical_model, onnx_name
from index.embedding.onnx_export import (
    CACHE_FORMAT,
    content_hash,
    export_model,
    local_model_folder,
    require_package,
    sha256_file,
)
from index.embedding.pooling import count_word_pieces, encode_by_length, pool_spans
from index.settings import onnx_cache_dir

__all__ = ["OnnxEmbedder", "default_threads"]

logger = logging.getLogger(__name__)

_MAX_THREADS = 8


class OnnxEmbedder:
    """A mean-pooling sentence-transformers model through ONNX Runtime on the CPU.

    Args:
        model: the model name or local folder, as for `SentenceTransformerEmbedder`;
            "all-MiniLM-L6-v2" (the default) is the packaged copy. Must be available
            locally: the export never contacts the hub.
        precision: "int8" (dynamic quantization: 1.2x the torch throughput on a 2-core
            AVX2 CPU, see the README's Performance; vectors at cosine ~0.99 to torch's,
            slightly dependent on their batch-mates since activations are scaled per
            batch; retrieval loses ~0.005-0.007 nDCG@10)
            or "fp32" (the same vectors as torch, within float error).
        cache_dir: where exports are kept (default `index.settings.onnx_cache_dir()`).
        threads: onnxruntime intra-op threads (default: the usable CPUs, at most 8).

    Raises:
        EmbedderError: onnxruntime (or, to export, onnx) is not installed.
    """

    sentence_vectors = "late-pooling"

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        precision: Precision = "int8",
        cache_dir: str | os.PathLike[str] | None = None,
        threads: int | None = None,
    ) -> None:
        if precision not in get_args(Precision):
            raise ValueError(f"precision must be one of {get_args(Precision)}, got {precision!r}")
        if threads is not None and (isinstance(threads, bool) or threads < 1):
            raise ValueError(f"threads must be a positive integer, got {threads!r}")
        require_package("onnxruntime")
        self.model_name = canonical_model(model)
        self.precision: Precision = precision
        self.name = onnx_name(model, precision)
        self.cache_root = Path(cache_dir) if cache_dir is not None else onnx_cache_dir()
        self.threads = threads or default_threads()
        self._loaded: _Loaded | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"OnnxEmbedder({self.model_name!r}, precision={self.precision!r})"

    @property
    def dim(self) -> int:
        return self._load().dim

    @property
    def max_tokens(self) -> int:
        return self._load().max_tokens

    @property
    def export_dir(self) -> Path:
        """The cache folder of this model's export (exports it on first use)."""
        return self._load().folder

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 32, show_progress: bool = False
    ) -> NDArray[np.float32]:
        """Embed `texts`; returns an (n, dim) float32 array of L2-normalised rows."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        no_spans: list[Spans] = [() for _ in texts]
        vectors, _ = encode_by_length(
            self._late_pool, texts, no_spans,
            dim=self.dim, batch_size=batch_size, show_progress=show_progress,
        )
        return vectors

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return count_word_pieces(self._load().tokenizer, texts) if texts else []

    def encode_chunks(
        self,
        texts: Sequence[str],
        spans_per_text: Sequence[Spans],
        *,
        batch_size: int = 32,
        show_progress: bool = False,
    ) -> tuple[NDArray[np.float32], list[NDArray[np.float32]]]:
        """Chunk vectors (n, dim) and sentence vectors (k_i, dim) per text, one pass each
        (see `SentenceTransformerEmbedder.encode_chunks`)."""
        if len(texts) != len(spans_per_text):
            raise ValueError(f"got {len(texts)} texts but {len(spans_per_text)} span lists")
        return encode_by_length(
            self._late_pool, texts, spans_per_text,
            dim=self.dim, batch_size=batch_size, show_progress=show_progress,
        )

    def _load(self) -> _Loaded:
        if self._loaded is None:
            with self._lock:
                if self._loaded is None:
                    self._loaded = _open(self)
        return self._loaded

    def _late_pool(
        self, texts: list[str], spans_per_text: list[Spans]
    ) -> tuple[NDArray[np.float32], list[NDArray[np.float32]]]:
        loaded = self._load()
        encoded = loaded.tokenizer(
            texts,
            padding=True,
            truncation=True,
            max_length=loaded.max_tokens,
            return_offsets_mapping=True,
            return_tensors="np",
        )
        feed = {name: encoded[name].astype(np.int64) for name in loaded.input_names}
        tokens = loaded.session.run(None, feed)[0].astype(np.float32, copy=False)
        attention = encoded["attention_mask"].astype(bool)
        mask = attention[..., None].astype(np.float32)
        chunk_vectors = normalize_rows((tokens * mask).sum(1) / np.maximum(mask.sum(1), 1e-9))
        offsets = encoded["offset_mapping"]
        sentences = [
            pool_spans(
                texts[j], spans_per_text[j], tokens[j], offsets[j], attention[j],
                encode=self.encode,
            )
            for j in range(len(texts))
        ]
        return chunk_vectors, sentences


class _Loaded:
    """An opened export: the session, its tokenizer and the facts from meta.json."""

    def __init__(self, folder: Path, meta: dict[str, Any], session: Any, tokenizer: Any) -> None:
        self.folder, self.session, self.tokenizer = folder, session, tokenizer
        self.dim = int(meta["dim"])
        self.max_tokens = int(meta["max_tokens"])
        self.input_names = list(meta["input_names"])


def default_threads() -> int:
    """The CPUs this process may use, at most 8 (more rarely helps a small model)."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count() or 1
    return max(1, min(usable, _MAX_THREADS))


def _open(embedder: OnnxEmbedder) -> _Loaded:
    source = Path(local_model_folder(embedder.model_name))
    key = content_hash(source)
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(embedder.model_name).name)[:60] or "model"
    folder = embedder.cache_root / f"{slug}-{key[:16]}"
    file_name = f"model-{embedder.precision}.onnx"
    problem = _check(folder, file_name, key)
    if problem:
        if folder.exists():
            logger.warning("ONNX cache %s is unusable (%s); exporting again", folder, problem)
        export_model(embedder.model_name, source, key, folder)
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    try:
        session = _session(folder / file_name, embedder.threads)
    except Exception as e:  # onnxruntime raises its own exception types for a bad file
        logger.warning("ONNX model %s does not load (%s); exporting again", folder, e)
        export_model(embedder.model_name, source, key, folder)
        session = _session(folder / file_name, embedder.threads)
    tokenizer = _tokenizer(folder / "tokenizer")
    logger.info("loaded %s from %s (%d threads)", embedder.name, folder, embedder.threads)
    return _Loaded(folder, meta, session, tokenizer)


def _tokenizer(folder: Path) -> Any:
    """The saved (fast) tokenizer, by the class it names: `AutoTokenizer` would import
    torch (about 2 s) to read the model config."""
    import transformers

    config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    name = str(config.get("tokenizer_class")).removesuffix("Fast")
    cls = getattr(transformers, f"{name}Fast", None) or getattr(transformers, name, None)
    tokenizer = cls.from_pretrained(str(folder)) if cls else None
    if tokenizer is None or not tokenizer.is_fast:  # offsets need a fast tokenizer
        tokenizer = transformers.AutoTokenizer.from_pretrained(str(folder), use_fast=True)
    return tokenizer


def _check(folder: Path, file_name: str, key: str) -> str | None:
    """Why the export in `folder` can't be used, or None when it can."""
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return "no export yet"
    except (OSError, ValueError) as e:
        return f"unreadable meta.json: {e}"
    if not isinstance(meta, dict) or meta.get("format") != CACHE_FORMAT:
        return "an export of another format"
    if meta.get("content_sha256") != key:
        return "an export of other weights"
    expected = meta.get("files", {}).get(file_name)
    path = folder / file_name
    if not path.is_file() or sha256_file(path) != expected:
        return f"{file_name} is missing or does not match its checksum"
    return None


def _session(path: Path, threads: int) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only: ORT's warnings are about graph fusions
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
