"""`StoreSpec`: which vector store holds an index's vectors, parsed once from its text.

- `"faiss"` (the default): a FAISS file in each generation folder (`index.vectors.faiss`).
- `"milvus://HOST:PORT/COLLECTION"`: a collection on a Milvus server (`index.vectors.milvus`).
- `"milvus-lite:PATH.db"` (or just the path): an embedded Milvus Lite file, the same code
  path as a server; one process at a time may use the file.

The manifest records the canonical text, `str(spec)`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from index.errors import VectorStoreError

__all__ = ["DEFAULT_STORE", "LITE_COLLECTION", "StoreKind", "StoreSpec", "parse_store_spec"]

StoreKind = Literal["faiss", "milvus", "milvus-lite"]
LITE_COLLECTION = "newsqa"  # the one collection of a Milvus Lite file
_LITE_PREFIX = "milvus-lite:"
_MILVUS_URL = re.compile(r"milvus://(?P<host>[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:]+\]):(?P<port>\d{1,5})"
                         r"/(?P<collection>[A-Za-z_][A-Za-z0-9_]{0,254})")
_STORE_HELP = "use 'faiss', 'milvus://HOST:PORT/COLLECTION' or a Milvus Lite file 'PATH.db'"


@dataclass(frozen=True)
class StoreSpec:
    """A vector store: `kind`, and for Milvus the server's `host` and `port` or the Lite
    file's absolute `path`, and the `collection`."""

    kind: StoreKind
    host: str = ""
    port: int = 0
    collection: str = ""
    path: Path | None = None

    def __str__(self) -> str:
        if self.kind == "milvus":
            return f"milvus://{self.host}:{self.port}/{self.collection}"
        if self.kind == "milvus-lite":
            return f"{_LITE_PREFIX}{self.path}"
        return self.kind

    @property
    def uri(self) -> str:
        """What pymilvus connects to: the server's address, or the Lite file."""
        return f"http://{self.host}:{self.port}" if self.kind == "milvus" else str(self.path)


DEFAULT_STORE = StoreSpec("faiss")


def parse_store_spec(text: str | Path | StoreSpec) -> StoreSpec:
    """The store that `text` names (a Milvus Lite path made absolute).

    Raises:
        VectorStoreError: not a spec this newsqa knows.
    """
    if isinstance(text, StoreSpec):
        return text
    spec = str(text).strip()
    if spec.lower() == DEFAULT_STORE.kind:
        return DEFAULT_STORE
    if spec.startswith("milvus://"):
        match = _MILVUS_URL.fullmatch(spec)
        if not match or not 0 < int(match["port"]) < 65536:
            raise VectorStoreError(
                f"bad Milvus store URL {spec!r}; expected milvus://HOST:PORT/COLLECTION "
                "with a collection name of letters, digits and underscores"
            )
        return StoreSpec("milvus", match["host"], int(match["port"]), match["collection"])
    path = spec[len(_LITE_PREFIX):] if spec.startswith(_LITE_PREFIX) else None
    if path is None and spec.endswith(".db"):
        path = spec
    if not path:
        raise VectorStoreError(f"unknown vector store {spec!r}; {_STORE_HELP}")
    if not path.endswith(".db"):
        raise VectorStoreError(f"a Milvus Lite store must be a file ending in .db, not {path!r}")
    resolved = Path(path).expanduser().resolve()
    return StoreSpec("milvus-lite", collection=LITE_COLLECTION, path=resolved)
