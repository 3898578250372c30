"""The FAISS store past its exact-search size: IVF, rows removed, exact filtered searches,
memory-mapped reads. Sizes are scaled down by patching the thresholds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import index.vectors.faiss as faiss_store
from index.vectors.faiss import FaissStore, read_store
from index.vectors.faiss_backend import FaissBackend, FaissWriter
from index.vectors.parted import PartedStore

DIM = 32


@pytest.fixture
def small_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(faiss_store, "ANN_MIN_VECTORS", 1000)
    monkeypatch.setattr(faiss_store, "GATHER_MAX_ROWS", 100)
    monkeypatch.setattr(faiss_store, "nlist_for", lambda n: 16)


def clustered(n: int, seed: int) -> np.ndarray:
    """Unit vectors around 40 centres, like topics in news."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((40, DIM))
    vectors = centres[rng.integers(0, 40, n)] + 0.4 * rng.standard_normal((n, DIM))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def exact_top(vectors: np.ndarray, rows: np.ndarray, query: np.ndarray, k: int) -> list[int]:
    scores = vectors @ query
    return [int(rows[i]) for i in np.argsort(-scores, kind="stable")[:k]]


def test_ivf_past_the_threshold_and_exact_again_below_half(
    small_thresholds: None, tmp_path: Path
) -> None:
    vectors, rows = clustered(1500, seed=1), np.arange(1000, 2500, dtype=np.int64)
    store = FaissStore.empty(DIM)
    store.add(rows, vectors)
    assert not store.approximate
    store.save(tmp_path)
    assert store.approximate and store.size == 1500

    queries = clustered(30, seed=2)
    found = [set(r for r, _ in store.search(q, 10)) for q in queries]
    truth = [set(exact_top(vectors, rows, q, 10)) for q in queries]
    assert np.mean([len(f & t) / 10 for f, t in zip(found, truth, strict=True)]) >= 0.9

    allowed = rows[::37]  # 41 rows: scored exactly
    for query in queries[:5]:
        got = [r for r, _ in store.search(query, 5, rows=allowed)]
        assert got == exact_top(vectors[::37], allowed, query, 5)
    wide = rows[:600]  # over GATHER_MAX_ROWS: IVF with a selector, never short of hits
    assert len(store.search(queries[0], 50, rows=wide)) == 50
    assert all(r in set(wide.tolist()) for r, _ in store.search(queries[0], 50, rows=wide))

    assert store.remove(rows[:1100]) == 1100 and store.size == 400
    assert rows[0] not in {r for r, _ in store.search(vectors[0], 20)}
    store.save(tmp_path)
    assert not store.approximate and store.size == 400


def test_parts_with_tombstones_search_as_one_store(small_thresholds: None, tmp_path: Path) -> None:
    """An IVF part, an exact part and tombstones: what an index holds after a big build
    and a few syncs. Searches see only live rows; scoring a row without a vector is NaN."""
    vectors = clustered(1300, seed=3)
    big, small = tmp_path / "big", tmp_path / "small"
    big.mkdir(), small.mkdir()
    writer = FaissWriter(DIM)
    writer.add(np.arange(1200), vectors[:1200])
    writer.flush(big)
    writer.add(np.arange(1200, 1300), vectors[1200:])
    writer.flush(small)
    deleted = np.arange(0, 100)
    parts = [(big, np.arange(1200)), (small, np.arange(1200, 1300))]
    store = FaissBackend().open(tmp_path, DIM, parts, deleted)
    assert isinstance(store, PartedStore) and store.approximate and store.size == 1200
    assert store.search(vectors[1250], 1)[0][0] == 1250
    found = {r for r, _ in store.search(vectors[5], 50)}
    assert found and not found & set(deleted.tolist())
    live = np.arange(100, 1300)
    allowed = live[::29]
    got = [r for r, _ in store.search(vectors[500], 5, rows=allowed)]
    assert got == exact_top(vectors[allowed], allowed, vectors[500], 5)
    scores = store.score(vectors[7], np.array([1250, 150, 5000]))
    assert scores[:2] == pytest.approx([vectors[1250] @ vectors[7], vectors[150] @ vectors[7]],
                                       abs=2e-3)
    assert np.isnan(scores[2])
    merged = tmp_path / "merged"
    merged.mkdir()
    FaissBackend().merge([(big, np.arange(100, 1200)), (small, np.arange(1200, 1300))], merged)
    one = read_store(merged)
    assert one.approximate and one.size == 1200
    assert one.search(vectors[1250], 1)[0][0] == 1250


def test_large_files_are_memory_mapped_read_only(
    small_thresholds: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    vectors = clustered(1200, seed=4)
    store = FaissStore.empty(DIM)
    store.add(np.arange(1200), vectors)
    store.save(tmp_path)
    monkeypatch.setattr(faiss_store, "MMAP_MIN_BYTES", 0)
    mapped = read_store(tmp_path)
    assert mapped.approximate and mapped.search(vectors[7], 1)[0][0] == 7
    with pytest.raises(ValueError, match="read-only"):
        mapped.add(np.array([5000]), vectors[:1])
    monkeypatch.setattr(faiss_store, "MMAP_MIN_BYTES", 1 << 40)
    in_memory = read_store(tmp_path)
    assert in_memory.search(vectors[7], 3) == mapped.search(vectors[7], 3)


@pytest.mark.parametrize(("n", "nlist"), [(16_634, 512), (200_000, 2048), (1_000_000, 4096)])
def test_ivf_parameters(n: int, nlist: int) -> None:
    assert faiss_store.nlist_for(n) == nlist
    assert faiss_store.nprobe_for(nlist) == nlist // 8
