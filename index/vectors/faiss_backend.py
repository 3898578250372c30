"""The FAISS backend: chunk vectors as `vectors.faiss` in each vector part folder.

A build's writer holds what it embeds since its last flush and writes it as one part's
FAISS file (an exact store, or IVF past `ANN_MIN_VECTORS`: see `index.vectors.faiss`);
a published generation is read as a `PartedStore` over its parts' files, each opened
once per process (memory-mapped when large) and shared by the generations that use it.
A merge reads the rows it keeps from the merged parts and writes one file. A format-1
generation folder holds one `vectors.faiss` of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from index.disk.layout import FAISS_FILE
from index.disk.segment import shared
from index.errors import short_reason
from index.vectors.base import PartVectors
from index.vectors.faiss import FaissStore, read_store
from index.vectors.parted import PartedStore
from index.vectors.spec import DEFAULT_STORE

__all__ = ["FaissBackend", "FaissWriter"]


class FaissWriter:
    """Holds the vectors added since the last flush and writes them as a part's
    `vectors.faiss` (see `VectorWriter`); removals are the generation's tombstones."""

    def __init__(self, dim: int) -> None:
        self._dim = dim
        self._pending = FaissStore.empty(dim)

    def add(self, rows: NDArray[np.int64], vectors: NDArray[np.float32]) -> None:
        self._pending.add(rows, vectors)

    def remove(self, rows: NDArray[np.int64]) -> int:
        return len(rows)  # the segments' tombstones hide them; merges drop them

    def flush(self, part: Path) -> list[Path]:
        store, self._pending = self._pending, FaissStore.empty(self._dim)
        return store.save(part)

    def checkpoint(self, folder: Path) -> list[Path]:
        return []

    def close(self) -> None:
        self._pending = FaissStore.empty(self._dim)


class FaissBackend:
    """Chunk vectors as `vectors.faiss` in each vector part folder (see `StoreBackend`)."""

    spec = DEFAULT_STORE
    files: tuple[str, ...] = ()
    part_files = (FAISS_FILE,)
    legacy_files = (FAISS_FILE,)

    def writer(self, dim: int, *, previous: Path | None, full: bool) -> FaissWriter:
        return FaissWriter(dim)

    def open(self, folder: Path, dim: int, parts: Sequence[PartVectors],
             deleted: NDArray[np.int64]) -> PartedStore:
        stores = []
        for part, rows in parts:
            try:
                stores.append((rows, shared("faiss", part, FAISS_FILE,
                                            lambda part=part: read_store(part))))
            except (OSError, RuntimeError, ValueError) as e:  # name the file that failed
                raise ValueError(f"{part.name}/{FAISS_FILE}: {short_reason(e)}") from e
        return PartedStore(dim, stores, deleted)

    def open_legacy(self, folder: Path) -> FaissStore:
        return read_store(folder)

    def merge(self, parts: Sequence[PartVectors], out: Path) -> list[Path]:
        """The given rows of each part in one new part (exact or IVF, by size)."""
        merged: FaissStore | None = None
        for part, rows in parts:
            source = FaissStore.load(part / FAISS_FILE)
            merged = merged or FaissStore.empty(source.dim)
            if len(rows):
                merged.add(*source.vectors_of(rows))
        if merged is None:
            raise ValueError("no vector parts to merge")
        return merged.save(out)

    def collect(self, kept: Sequence[Path]) -> None:
        pass  # parts are deleted with the segments no kept generation names
