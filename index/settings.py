"""The environment the index layer reads, in one place.

- `NEWSQA_MILVUS_TOKEN`: the token of a Milvus server that requires authentication
  ("user:password" or an API key). A secret, so it never goes in a manifest.
- The user cache folder (`$XDG_CACHE_HOME`, default ~/.cache, on Linux; the platform's own
  elsewhere, through platformdirs): ONNX exports live in its `newsqa/onnx/`.
- `HF_HUB_OFFLINE` and `TRANSFORMERS_OFFLINE`: set to 1 before a model is loaded unless the
  user set them, so a model name that is not on this machine fails fast instead of retrying
  the network for half a minute.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

__all__ = ["MILVUS_TOKEN_ENV", "keep_hub_offline", "milvus_token", "onnx_cache_dir"]

MILVUS_TOKEN_ENV = "NEWSQA_MILVUS_TOKEN"
_OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def milvus_token() -> str:
    """`$NEWSQA_MILVUS_TOKEN`, or "" for a server without authentication."""
    return os.environ.get(MILVUS_TOKEN_ENV, "")


def onnx_cache_dir() -> Path:
    """Where ONNX exports are cached: the user cache folder's `newsqa/onnx`."""
    return platformdirs.user_cache_path("newsqa") / "onnx"


def keep_hub_offline() -> None:
    """Keep the Hugging Face hub off unless the user turned it on explicitly. The hub's
    libraries read these when imported, so call this before importing them."""
    for name, value in _OFFLINE.items():
        os.environ.setdefault(name, value)
