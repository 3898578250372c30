"""The vector-store seam: the `VectorStore` and `StoreBackend` protocols.

Dense chunk vectors live in a vector store keyed by chunk row; lexical search and the
SQLite metadata always stay in the index directory. A store spec (`index.vectors.spec`),
recorded in the manifest, says which backend holds the vectors.

A backend makes stores for the generations of an index: `create` an empty one for a full
build, `fork` the live generation's for an incremental build (changes never show through
to the generation forked from), `open` a published one read-only, and `collect` what no
kept generation uses any more once old generations are deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from index.vectors.spec import StoreSpec

__all__ = ["StoreBackend", "VectorStore"]


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

    spec: StoreSpec
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
