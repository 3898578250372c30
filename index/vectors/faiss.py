"""Dense vectors in a FAISS file (one per vector part): exact search while it is fast, an
IVF index past a size chosen by measurement (`bench/ann.py`).

- Below `ANN_MIN_VECTORS`: an `IndexIDMap2` (ids = chunk rows) over an exact inner-product
  `IndexScalarQuantizer` with float16 codes. Vectors are L2-normalised, so inner product is
  cosine; float16 halves the memory read per query, which bounds a brute-force search.
- From `ANN_MIN_VECTORS` on: an `IndexIVFScalarQuantizer` (float16 codes, no residual,
  ids = rows, a hash-table direct map so rows can be removed and read back) with
  `nlist_for(n)` lists, `nprobe_for(nlist)` of them probed: recall@10 against exact
  search >= 0.98 on real MiniLM vectors. Unlike HNSW it supports removing vectors, so
  incremental builds stay incremental.

The kind is chosen when a file is saved, from its size (with hysteresis), so readers
never convert anything. Filtered searches over at most `GATHER_MAX_ROWS` rows are
exact (the rows' vectors are scored directly). Readers memory-map files of at least
`MMAP_MIN_BYTES` (`IO_FLAG_MMAP_IFC`, read-only), so a large index is not copied into RAM.
Files are FAISS's own binary format (no pickle).
"""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path

import faiss
import numpy as np
from numpy.typing import NDArray

from index.disk.layout import FAISS_FILE

__all__ = [
    "ANN_MIN_VECTORS",
    "MMAP_MIN_BYTES",
    "FaissStore",
    "all_vectors",
    "exact_index",
    "ivf_index",
    "nlist_for",
    "nprobe_for",
    "read_store",
]

logger = logging.getLogger(__name__)

ANN_MIN_VECTORS = 200_000  # measured with bench/ann.py: see README "Vector search at scale"
GATHER_MAX_ROWS = 20_000  # filtered IVF searches over fewer rows score those rows exactly
MMAP_MIN_BYTES = 64 * 2**20
_TRAIN_POINTS_PER_LIST = 40  # FAISS wants >= 39 per centroid


def nlist_for(n: int) -> int:
    """IVF lists for `n` vectors: the power of two nearest to 4 * sqrt(n)."""
    return 2 ** max(4, round(math.log2(4 * math.sqrt(max(n, 1)))))


def nprobe_for(nlist: int) -> int:
    """Lists probed per query: 1/8 of them (recall@10 >= 0.98 on MiniLM vectors)."""
    return max(8, nlist // 8)


def exact_index(dim: int) -> faiss.Index:
    """An empty exact store index: float16 codes, ids = rows."""
    return faiss.index_factory(dim, "IDMap2,SQfp16", faiss.METRIC_INNER_PRODUCT)


def ivf_index(vectors: NDArray[np.float32], rows: NDArray[np.int64], *,
              nlist: int | None = None, seed: int = 0) -> faiss.Index:
    """An IVF index over `vectors` (ids `rows`), trained on a sample of them."""
    n, dim = vectors.shape
    nlist = nlist or nlist_for(n)
    index = faiss.index_factory(dim, f"IVF{nlist},SQfp16", faiss.METRIC_INNER_PRODUCT)
    index.by_residual = False  # codes of the vectors themselves, not of their residuals
    sample = min(n, nlist * _TRAIN_POINTS_PER_LIST)
    chosen = np.random.default_rng(seed).choice(n, sample, replace=False) if sample < n else None
    index.cp.niter = 10
    index.train(vectors if chosen is None else vectors[np.sort(chosen)])
    index.set_direct_map_type(faiss.DirectMap.Hashtable)
    index.add_with_ids(vectors, rows)
    index.nprobe = nprobe_for(nlist)
    return index


def all_vectors(index: faiss.Index) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
    """Every (row, vector) of an exact or IVF store index, as float32."""
    if isinstance(index, faiss.IndexIDMap2):
        rows = faiss.vector_to_array(index.id_map).astype(np.int64)
        return rows, index.index.reconstruct_n(0, index.ntotal)
    invlists = index.invlists
    parts = [faiss.rev_swig_ptr(invlists.get_ids(i), invlists.list_size(i)).copy()
             for i in range(index.nlist) if invlists.list_size(i)]
    rows = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
    if not len(rows):
        return rows, np.empty((0, index.d), dtype=np.float32)
    return rows, index.reconstruct_batch(rows)


class FaissStore:
    """Inner-product search over chunk vectors keyed by chunk row (see the module doc)."""

    def __init__(self, index: faiss.Index, *, read_only: bool = False) -> None:
        self._index = index
        self._read_only = read_only
        if self.approximate:
            index.nprobe = nprobe_for(index.nlist)

    @classmethod
    def empty(cls, dim: int) -> FaissStore:
        return cls(exact_index(dim))

    @classmethod
    def load(cls, path: Path, *, mmap: bool = False) -> FaissStore:
        """Read a store written by `save`, memory-mapped and read-only if `mmap`; raises
        `RuntimeError` (from FAISS) or `ValueError` when the file is not one."""
        flags = faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY if mmap else 0
        index = faiss.read_index(str(path), flags)
        ivf = isinstance(index, faiss.IndexIVFScalarQuantizer)
        if not (ivf or isinstance(index, faiss.IndexIDMap2)):
            raise ValueError(f"expected an IndexIDMap2 or IVF index, found {type(index).__name__}")
        if index.metric_type != faiss.METRIC_INNER_PRODUCT:
            raise ValueError("expected an inner-product index")
        if ivf and index.direct_map.type != faiss.DirectMap.Hashtable:
            raise ValueError("expected an IVF index with a hash-table direct map")
        return cls(index, read_only=mmap)

    @property
    def approximate(self) -> bool:
        return isinstance(self._index, faiss.IndexIVF)

    @property
    def dim(self) -> int:
        return int(self._index.d)

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    def add(self, rows: NDArray[np.int64], vectors: NDArray[np.float32]) -> None:
        self._check_writable()
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dim or len(vectors) != len(rows):
            raise ValueError(
                f"expected {len(rows)} vectors of dim {self.dim}, got shape {vectors.shape}"
            )
        self._index.add_with_ids(vectors, np.ascontiguousarray(rows, dtype=np.int64))

    def remove(self, rows: NDArray[np.int64]) -> int:
        """Remove the vectors of `rows`; returns how many were removed."""
        self._check_writable()
        if not len(rows):
            return 0
        return int(self._index.remove_ids(np.ascontiguousarray(rows, dtype=np.int64)))

    def search(
        self, vector: NDArray[np.float32], k: int, *, rows: NDArray[np.int64] | None = None
    ) -> list[tuple[int, float]]:
        """The `k` rows most similar to `vector` as (row, inner product), best first;
        `rows` restricts the search to those rows."""
        query = np.ascontiguousarray(vector, dtype=np.float32).reshape(1, -1)
        if query.shape[1] != self.dim:
            raise ValueError(f"query vector has dim {query.shape[1]}, the index has {self.dim}")
        allowed = None if rows is None else np.unique(np.asarray(rows, dtype=np.int64))
        k = min(k, self.size if allowed is None else min(self.size, len(allowed)))
        if k <= 0:
            return []
        if allowed is not None and self.approximate and len(allowed) <= GATHER_MAX_ROWS:
            found = self._score_rows(query[0], k, allowed)
            if found is not None:
                return found
        hits = self._search(query, k, allowed, exhaustive=False)
        if self.approximate and allowed is not None and len(hits) < k:
            hits = self._search(query, k, allowed, exhaustive=True)  # a narrow filter
        return hits

    def score(self, vector: NDArray[np.float32], rows: NDArray[np.int64]) -> NDArray[np.float32]:
        """The inner product of `vector` with the vector of each of `rows`; NaN for a row
        without a vector in this store."""
        rows = np.ascontiguousarray(rows, dtype=np.int64)
        query = np.ascontiguousarray(vector, dtype=np.float32).reshape(-1)
        if not len(rows):
            return np.empty(0, dtype=np.float32)
        try:
            return (self._index.reconstruct_batch(rows) @ query).astype(np.float32)
        except RuntimeError:  # a row without a vector: score the ones that have one
            found = dict(self._search(query.reshape(1, -1), len(rows), np.unique(rows),
                                      exhaustive=True))
            return np.array([found.get(int(r), np.nan) for r in rows], dtype=np.float32)

    def search_excluding(self, vector: NDArray[np.float32], k: int,
                         excluded: NDArray[np.int64]) -> list[tuple[int, float]]:
        """`search` skipping the rows `excluded` (tombstones)."""
        query = np.ascontiguousarray(vector, dtype=np.float32).reshape(1, -1)
        k = min(k, self.size)
        if k <= 0:
            return []
        inner = faiss.IDSelectorBatch(np.ascontiguousarray(excluded, dtype=np.int64))
        return self._search(query, k, None, exhaustive=False,
                            selector=faiss.IDSelectorNot(inner), keep=inner)

    def vectors_of(self, rows: NDArray[np.int64]) -> tuple[NDArray[np.int64],
                                                          NDArray[np.float32]]:
        """(rows, their vectors as float32); every row must be in the store."""
        rows = np.ascontiguousarray(rows, dtype=np.int64)
        if not len(rows):
            return rows, np.empty((0, self.dim), dtype=np.float32)
        return rows, self._index.reconstruct_batch(rows)

    def _search(self, query: NDArray[np.float32], k: int, allowed: NDArray[np.int64] | None,
                *, exhaustive: bool, selector: faiss.IDSelector | None = None,
                keep: object = None) -> list[tuple[int, float]]:
        # Keep Python references to the selectors (`keep`: one `selector` wraps): params
        # does not own them.
        if selector is None and allowed is not None:
            selector = faiss.IDSelectorBatch(allowed)
        if self.approximate:
            nprobe = self._index.nlist if exhaustive else self._index.nprobe
            params = faiss.SearchParametersIVF(sel=selector, nprobe=nprobe)
        else:
            params = None if selector is None else faiss.SearchParameters(sel=selector)
        scores, ids = self._index.search(query, k, params=params)
        del selector, keep
        return [(r, s) for r, s in zip(ids[0].tolist(), scores[0].tolist(), strict=True)
                if r >= 0]

    def _score_rows(self, query: NDArray[np.float32], k: int,
                    allowed: NDArray[np.int64]) -> list[tuple[int, float]] | None:
        """Exact top `k` among `allowed`; None when a row is not in the index."""
        try:
            vectors = self._index.reconstruct_batch(allowed)
        except RuntimeError:
            return None
        scores = vectors @ query
        best = np.argsort(-scores, kind="stable")[:k]
        return [(int(allowed[i]), float(scores[i])) for i in best]

    def save(self, folder: Path) -> list[Path]:
        """Write `folder/vectors.faiss`, first switching between exact and IVF search if
        the size calls for it."""
        self._check_writable()
        self._index = _fit(self._index)
        path = folder / FAISS_FILE
        faiss.write_index(self._index, str(path))
        return [path]

    def close(self) -> None:
        pass  # memory and mappings go with the object

    def _check_writable(self) -> None:
        if self._read_only:
            raise ValueError("this FAISS store is memory-mapped read-only")


def _fit(index: faiss.Index) -> faiss.Index:
    """`index`, or the same vectors in the kind of index their number calls for."""
    n = int(index.ntotal)
    if isinstance(index, faiss.IndexIVF):
        if n < ANN_MIN_VECTORS // 2:
            return _rebuilt(index, approximate=False)
        if not 0.25 <= index.nlist / nlist_for(n) <= 4:
            return _rebuilt(index, approximate=True)
        return index
    return _rebuilt(index, approximate=True) if n >= ANN_MIN_VECTORS else index


def _rebuilt(index: faiss.Index, *, approximate: bool) -> faiss.Index:
    started = time.perf_counter()
    rows, vectors = all_vectors(index)
    if approximate:
        rebuilt = ivf_index(vectors, rows)
        kind = f"IVF (nlist {rebuilt.nlist}, nprobe {rebuilt.nprobe})"
    else:
        rebuilt = exact_index(index.d)
        rebuilt.add_with_ids(vectors, rows)
        kind = "exact"
    logger.info("rebuilt %s vectors as %s search in %.1f s", f"{len(rows):,}", kind,
                time.perf_counter() - started)
    return rebuilt


def read_store(folder: Path) -> FaissStore:
    """The store in `folder/vectors.faiss`, memory-mapped (read-only) when it has at least
    `MMAP_MIN_BYTES`."""
    path = folder / FAISS_FILE
    return FaissStore.load(path, mmap=path.stat().st_size >= MMAP_MIN_BYTES)
