"""The vector-store seam: the `VectorStore`, `VectorWriter` and `StoreBackend` protocols.

Dense chunk vectors live in a vector store keyed by chunk row; lexical search, the SQLite
metadata and the sentence vectors always stay in the index directory. A store spec
(`index.vectors.spec`), recorded in the manifest, says which backend holds the vectors.

A backend writes and reads the vectors of an index's generations. A build gets a `writer`
(a new chain of vectors for a full build, or one continuing the live generation's), adds
the vectors it embeds and removes those of deleted chunks, `flush`es what it added into a
vector part folder (FAISS keeps the vectors there; a Milvus server holds them itself) and
`checkpoint`s each generation it publishes, which then never sees later changes. `open`
reads a published generation (its parts, minus tombstoned rows), `merge` writes the
vectors of merged parts into a new part, and `collect` frees what no kept generation uses
once old generations are deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from index.vectors.spec import StoreSpec

__all__ = ["PartVectors", "StoreBackend", "VectorStore", "VectorWriter"]

PartVectors = tuple[Path, NDArray[np.int64]]
"""A vector part folder and the chunk rows it holds (ascending)."""


class VectorStore(Protocol):
    """The chunk vectors a published generation sees, read-only: L2-normalised, keyed by
    chunk row; inner product = cosine similarity."""

    @property
    def dim(self) -> int: ...

    @property
    def size(self) -> int:
        """Number of vectors."""
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

    def close(self) -> None:
        """Release connections or memory; the store is unusable afterwards."""
        ...


class VectorWriter(Protocol):
    """The vectors a build writes, from the generation it starts from on."""

    def add(self, rows: NDArray[np.int64], vectors: NDArray[np.float32]) -> None:
        """Add `vectors` (len(rows), dim) under new `rows`."""
        ...

    def remove(self, rows: NDArray[np.int64]) -> int:
        """Remove the vectors of `rows` from the generations checkpointed from now on;
        returns how many were removed."""
        ...

    def flush(self, part: Path) -> list[Path]:
        """Write what was added since the last flush into the vector part folder `part`;
        returns the files written there (the caller fsyncs them)."""
        ...

    def checkpoint(self, folder: Path) -> list[Path]:
        """Record the vectors so far as those of the generation being written in `folder`
        (later adds and removes are not seen by it); returns the files written there."""
        ...

    def close(self) -> None:
        ...


class StoreBackend(Protocol):
    """Reads and writes the vectors of one store spec. `files` are the files of a
    generation folder that name its vectors (Milvus's record), `part_files` those of a
    vector part folder that hold them (FAISS's); `legacy_files` those a format-1
    generation folder holds."""

    spec: StoreSpec
    files: tuple[str, ...]
    part_files: tuple[str, ...]
    legacy_files: tuple[str, ...]

    def writer(self, dim: int, *, previous: Path | None, full: bool) -> VectorWriter:
        """The writer of a build starting from the live generation folder `previous`
        (None for a new index); `full`: vectors of `previous` are not carried over."""
        ...

    def open(self, folder: Path, dim: int, parts: Sequence[PartVectors],
             deleted: NDArray[np.int64]) -> VectorStore:
        """The vectors of the published generation in `folder`, for searching: those of
        `parts` minus the tombstoned rows `deleted` (ascending).

        Raises:
            FileNotFoundError: a file is missing; ValueError/RuntimeError: it is corrupt.
        """
        ...

    def open_legacy(self, folder: Path) -> VectorStore:
        """The vectors of a format-1 generation folder (same errors as `open`)."""
        ...

    def merge(self, parts: Sequence[PartVectors], out: Path) -> list[Path]:
        """Write the vectors of the given rows of `parts` into the part folder `out`;
        returns the files written (none where the store keeps vectors elsewhere)."""
        ...

    def collect(self, kept: Sequence[Path]) -> None:
        """Free the vectors that none of the `kept` generation folders uses."""
        ...
