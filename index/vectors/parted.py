"""`PartedStore`: the chunk vectors of a generation whose FAISS vectors are split over
vector parts (one FAISS file each), searched as one store, tombstones left out.

A search asks every part for its best rows and keeps the overall best; a part holding
tombstoned rows is asked for that many more (or, past `SELECT_MIN_DELETED`, searched with
an id selector that skips them), so the result is what one exact store of the live vectors
would give. Scoring given rows reads each row's vector from the part that holds it; a row
without a vector (not embedded yet) scores NaN.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from index.vectors.faiss import FaissStore

__all__ = ["SELECT_MIN_DELETED", "PartedStore"]

SELECT_MIN_DELETED = 256  # tombstones in one part from which a search skips them by selector


class PartedStore:
    """A read-only `VectorStore` over FAISS parts; `parts[i]` holds the vectors of rows
    `rows[i]` (ascending), `deleted` are tombstoned rows (ascending)."""

    def __init__(self, dim: int, parts: Sequence[tuple[NDArray[np.int64], FaissStore]],
                 deleted: NDArray[np.int64]) -> None:
        self._dim = dim
        self._parts = []
        deleted = np.asarray(deleted, dtype=np.int64)
        self._size = 0
        for rows, store in parts:
            if store.dim != dim or store.size != len(rows):
                raise ValueError(f"a vector part holds {store.size} vectors of dim "
                                 f"{store.dim}, its record says {len(rows)} of dim {dim}")
            gone = rows[np.isin(rows, deleted, assume_unique=True)]
            self._parts.append((rows, store, gone))
            self._size += len(rows) - len(gone)

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def size(self) -> int:
        return self._size

    @property
    def parts(self) -> int:
        return len(self._parts)

    @property
    def approximate(self) -> bool:
        return any(store.approximate for _, store, _ in self._parts)

    def search(
        self, vector: NDArray[np.float32], k: int, *, rows: NDArray[np.int64] | None = None
    ) -> list[tuple[int, float]]:
        """The `k` live rows most similar to `vector`, best first; `rows` restricts the
        search to those rows (which must be live)."""
        query = np.ascontiguousarray(vector, dtype=np.float32).reshape(-1)
        if query.shape[0] != self._dim:
            raise ValueError(f"query vector has dim {query.shape[0]}, the index has {self._dim}")
        if k <= 0:
            return []
        wanted = None if rows is None else np.unique(np.asarray(rows, dtype=np.int64))
        hits: list[tuple[int, float]] = []
        for part_rows, store, gone in self._parts:
            if wanted is not None:
                allowed = wanted[np.isin(wanted, part_rows, assume_unique=True)]
                if len(allowed):
                    hits += store.search(query, k, rows=allowed)
            elif not len(gone):
                hits += store.search(query, k)
            elif len(gone) < SELECT_MIN_DELETED:
                dead = set(gone.tolist())
                found = store.search(query, k + len(gone))
                hits += [h for h in found if h[0] not in dead][:k]
            else:
                hits += store.search_excluding(query, k, gone)
        hits.sort(key=lambda hit: -hit[1])
        return hits[:k]

    def score(self, vector: NDArray[np.float32], rows: NDArray[np.int64]) -> NDArray[np.float32]:
        """The inner product of `vector` with each of `rows`' vectors; NaN for a row that
        has none (not embedded yet)."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.full(len(rows), np.nan, dtype=np.float32)
        for part_rows, store, _ in self._parts:
            positions = np.searchsorted(part_rows, rows)
            inside = positions < len(part_rows)
            inside[inside] = part_rows[positions[inside]] == rows[inside]
            if inside.any():
                out[inside] = store.score(vector, rows[inside])
        return out

    def vectors(self) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        """Every live (row, vector), rows ascending (for a merge or a benchmark)."""
        blocks = [store.vectors_of(rows[~np.isin(rows, gone)]) for rows, store, gone
                  in self._parts]
        if not blocks:
            return np.empty(0, np.int64), np.empty((0, self._dim), np.float32)
        rows = np.concatenate([b[0] for b in blocks])
        order = np.argsort(rows, kind="stable")
        return rows[order], np.concatenate([b[1] for b in blocks])[order]

    def close(self) -> None:
        pass  # the parts are shared by the generations of this process that use them
