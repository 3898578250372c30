"""The vector-store seam: a small `VectorStore` protocol, store specs, and their backends.

Dense chunk vectors live in a vector store keyed by chunk row; lexical search and the
SQLite metadata always stay in the index directory. A store spec, recorded in the
manifest, says which backend holds the vectors:

- `"faiss"` (the default): a FAISS file in each generation folder (`index.vectors.faiss`).
- `"milvus://HOST:PORT/COLLECTION"`: a collection on a Milvus server (`index.vectors.milvus`).
- `"milvus-lite:PATH.db"` (or just the path): an embedded Milvus Lite file, the same code
  path as a server; one process at a time may use the file.

A backend makes stores for the generations of an index: `create` an empty one for a full
build, `fork` the live generation's for an incremental build (changes never show through
to the generation forked from), `open` a published one read-only, and `collect` what no
kept generation uses any more once old generations are deleted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from index.errors import VectorStoreError

__all__ = [
    "DEFAULT_STORE",
    "StoreBackend",
    "VectorStore",
    "check_store",
    "parse_store_spec",
    "store_backend",
]

DEFAULT_STORE = "faiss"
MILVUS_LITE_PREFIX = "milvus-lite:"
_MILVUS_URL = re.compile(r"milvus://(?P<host>[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:]+\]):(?P<port>\d{1,5})"
                         r"/(?P<collection>[A-Za-z_][A-Za-z0-9_]{0,254})")
_STORE_HELP = "use 'faiss', 'milvus://HOST:PORT/COLLECTION' or a Milvus Lite file 'PATH.db'"


class VectorStore(Protocol):
    """L2-normalised chunk vectors keyed by chunk row; inner product = cosine similarity."""

    @property
    def dim(self) -> int: ...

    @property
    def size(self) -> int:
        """Number of vectors."""
        ...

    def add(self, rows: NDArray[np.int64], vectors: NDArray[np.float32]) -> None:
        """Add `vectors` (len(rows), dim) under new `rows`."""
        ...

    def remove(self, rows: NDArray[np.int64]) -> int:
        """Remove the vectors of `rows`; returns how many were removed."""
        ...

    def search(
        self, vector: NDArray[np.float32], k: int, *, rows: NDArray[np.int64] | None = None
    ) -> list[tuple[int, float]]:
        """The `k` rows most similar to `vector` (dim,) as (row, inner product), best
        first; `rows` restricts the search to those rows."""
        ...

    def score(self, vector: NDArray[np.float32], rows: NDArray[np.int64]) -> NDArray[np.float32]:
        """The inner product of `vector` (dim,) with the vector of each of `rows`, aligned
        with `rows`; NaN for a row that has no vector in the store."""
        ...

    def save(self, folder: Path) -> list[Path]:
        """Persist the store as the vectors of the generation being built in `folder`;
        returns the files written there (the caller fsyncs them)."""
        ...

    def close(self) -> None:
        """Release connections or memory; the store is unusable afterwards."""
        ...


class StoreBackend(Protocol):
    """Makes the `VectorStore`s of one store spec. `files` are the files of a generation
    folder that hold or name its vectors, the first one the main one."""

    spec: str
    files: tuple[str, ...]

    def create(self, dim: int, *, previous: Path | None) -> VectorStore:
        """An empty store for a full build; `previous` is the live generation folder."""
        ...

    def fork(self, folder: Path) -> VectorStore:
        """A writable copy of the store of the generation in `folder`."""
        ...

    def open(self, folder: Path) -> VectorStore:
        """The store of the published generation in `folder`, for searching.

        Raises:
            FileNotFoundError: its file is missing; ValueError/RuntimeError: it is corrupt.
        """
        ...

    def collect(self, kept: Sequence[Path]) -> None:
        """Free the vectors that none of the `kept` generation folders uses."""
        ...


def parse_store_spec(text: str | Path) -> str:
    """The canonical form of a store spec (a Milvus Lite path made absolute).

    Raises:
        VectorStoreError: not a spec this newsqa knows.
    """
    spec = str(text).strip()
    if spec.lower() == DEFAULT_STORE:
        return DEFAULT_STORE
    if spec.startswith("milvus://"):
        match = _MILVUS_URL.fullmatch(spec)
        if not match or not 0 < int(match["port"]) < 65536:
            raise VectorStoreError(
                f"bad Milvus store URL {spec!r}; expected milvus://HOST:PORT/COLLECTION "
                "with a collection name of letters, digits and underscores"
            )
        return spec
    path = spec[len(MILVUS_LITE_PREFIX):] if spec.startswith(MILVUS_LITE_PREFIX) else None
    if path is None and spec.endswith(".db"):
        path = spec
    if not path:
        raise VectorStoreError(f"unknown vector store {spec!r}; {_STORE_HELP}")
    if not path.endswith(".db"):
        raise VectorStoreError(f"a Milvus Lite store must be a file ending in .db, not {path!r}")
    return MILVUS_LITE_PREFIX + str(Path(path).expanduser().resolve())


def store_backend(spec: str) -> StoreBackend:
    """The backend of a canonical store spec (see `parse_store_spec`).

    Raises:
        VectorStoreError: an unknown spec, or pymilvus is not installed for a Milvus one.
    """
    if spec == DEFAULT_STORE:
        from index.vectors.faiss import FaissBackend

        return FaissBackend()
    if spec.startswith(("milvus://", MILVUS_LITE_PREFIX)):
        from index.vectors.milvus import MilvusBackend

        return MilvusBackend(spec)
    raise VectorStoreError(f"unknown vector store {spec!r} in the manifest; {_STORE_HELP}")


def check_store(spec: str) -> None:
    """Make sure the store of a canonical spec can be used before a build writes anything:
    a Milvus server must answer (FAISS files and Milvus Lite need no check).

    Raises:
        VectorStoreError: the server does not answer, or pymilvus is not installed.
    """
    if spec.startswith("milvus://"):
        from index.vectors.milvus import MilvusBackend

        MilvusBackend(spec).check()
