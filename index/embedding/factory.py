"""`load_embedder`: the embedder of a name, as `newsqa build --model` and manifests give it."""

from __future__ import annotations

from index.embedding.base import Embedder
from index.embedding.hashing import HashEmbedder
from index.embedding.names import DEFAULT_MODEL, HASH_EMBEDDER_NAME, parse_onnx_name
from index.embedding.onnx_runtime import OnnxEmbedder
from index.embedding.sentence_transformer import SentenceTransformerEmbedder
from index.settings import keep_hub_offline

__all__ = ["load_embedder"]


def load_embedder(name: str | None = None) -> Embedder:
    """The embedder called `name`: "hash" -> `HashEmbedder()`, None -> the packaged
    all-MiniLM-L6-v2, "MODEL:onnx-int8" or "MODEL:onnx" -> that model through ONNX Runtime
    (int8 or fp32, see `OnnxEmbedder`), anything else -> a sentence-transformers model of
    that name or path (loaded lazily, offline)."""
    keep_hub_offline()  # before anything imports the hub's libraries
    if name == HASH_EMBEDDER_NAME:
        return HashEmbedder()
    onnx = parse_onnx_name(name)
    if onnx:
        model, precision = onnx
        return OnnxEmbedder(model, precision=precision)
    return SentenceTransformerEmbedder(name or DEFAULT_MODEL)
