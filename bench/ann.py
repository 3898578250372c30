"""Exact vs approximate FAISS search: recall@10 against exact search and p50 latency per
query, on real MiniLM chunk vectors and, for size, real plus synthetic ones.

    python bench/ann.py --index DIR            # DIR: a MiniLM index, e.g. 1,000 realtimeqa articles
    python bench/ann.py --index DIR --quick    # the real vectors and 100k only, fewer settings

Queries are the realtimeqa dev questions embedded with MiniLM. Sizes past the real vectors
add synthetic ones: a random real vector plus Gaussian noise (cosine ~0.85 to it),
normalised. "exact" is the store's float16 brute force, its recall measured against
float32 brute force; "store" is `index.vectors.faiss.FaissStore` as a build writes it into a
vector part and a reader opens it (`FaissBackend.open`: a `PartedStore` over that one part;
IVF past ANN_MIN_VECTORS, memory-mapped past MMAP_MIN_BYTES). The real vectors are every
live chunk vector of DIR's live generation, read through its reader's vector store.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np
from common import REALTIMEQA, percentile, require, save, table

from index import load_embedder, open_index
from index.disk.layout import FAISS_FILE
from index.vectors.faiss import (
    ANN_MIN_VECTORS,
    MMAP_MIN_BYTES,
    FaissStore,
    exact_index,
    ivf_index,
    nlist_for,
    nprobe_for,
)
from index.vectors.faiss_backend import FaissBackend

K = 10
NOISE_COSINE = 0.85


def real_vectors(index_dir: Path) -> np.ndarray:
    """Every live chunk vector of the index's live generation (all its vector parts)."""
    with open_index(index_dir) as reader:
        _, vectors = reader._vectors.vectors()
    return np.ascontiguousarray(vectors, dtype=np.float32)


def question_vectors(limit: int) -> np.ndarray:
    lines = require(REALTIMEQA / "questions.dev.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines][:limit]
    return load_embedder("all-MiniLM-L6-v2").encode(texts)


def with_synthetic(real: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """`real` plus n - len(real) noisy copies of random real vectors, normalised."""
    if n <= len(real):
        return real[:n]
    rng = np.random.default_rng(seed)
    out = np.empty((n, real.shape[1]), dtype=np.float32)
    out[: len(real)] = real
    sigma = np.tan(np.arccos(NOISE_COSINE)) / np.sqrt(real.shape[1])
    for start in range(len(real), n, 100_000):
        stop = min(n, start + 100_000)
        block = real[rng.integers(0, len(real), stop - start)]
        block = block + rng.standard_normal(block.shape, dtype=np.float32) * sigma
        out[start:stop] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def latencies(search, queries: np.ndarray, rounds: int,
              threads: int) -> tuple[list[np.ndarray], list[float]]:
    default = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(threads)
    try:
        for q in queries[:5]:
            search(q)
        found, times = [], []
        for _ in range(rounds):
            found = []
            for q in queries:
                started = time.perf_counter()
                found.append(search(q))
                times.append((time.perf_counter() - started) * 1000)
    finally:
        faiss.omp_set_num_threads(default)
    return found, times


def recall(found: list[np.ndarray], truth: np.ndarray) -> float:
    pairs = zip(found, truth, strict=True)
    return sum(len(set(f[:K].tolist()) & set(t.tolist())) for f, t in pairs) / truth.size


def faiss_searcher(index: faiss.Index, params: faiss.SearchParameters | None = None):
    def search(q: np.ndarray) -> np.ndarray:
        return index.search(q.reshape(1, -1), K, params=params)[1][0]
    return search


def measure(n: int, base: np.ndarray, queries: np.ndarray, args: argparse.Namespace) -> list[dict]:
    ids = np.arange(n, dtype=np.int64)
    truth_index = faiss.IndexFlatIP(base.shape[1])
    truth_index.add(base)
    truth = truth_index.search(queries, K)[1]
    del truth_index
    data = "real" if n <= args.real else "real+synthetic"
    rows: list[dict] = []

    def run(kind: str, params: str, search, build_s: float) -> None:
        found, times = latencies(search, queries, args.rounds, args.threads)
        rows.append({"n": n, "data": data, "index": kind, "params": params,
                     "build s": build_s, "recall@10": recall(found, truth),
                     "p50 ms": percentile(times, 0.5), "p95 ms": percentile(times, 0.95)})
        print(table(rows[-1:], ""), flush=True)

    started = time.perf_counter()
    exact = exact_index(base.shape[1])
    exact.add_with_ids(base, ids)
    run("exact fp16", "-", faiss_searcher(exact), time.perf_counter() - started)
    del exact

    started = time.perf_counter()
    ivf = ivf_index(base, ids)
    build_s = time.perf_counter() - started
    rule = nprobe_for(ivf.nlist)
    for nprobe in sorted({rule // 4, rule // 2, rule, rule * 2} if not args.quick
                         else {rule // 2, rule}):
        params = faiss.SearchParametersIVF(nprobe=nprobe)
        run("IVF fp16", f"nlist={ivf.nlist} nprobe={nprobe}", faiss_searcher(ivf, params), build_s)
    del ivf

    if n <= args.hnsw_max:
        started = time.perf_counter()
        hnsw = faiss.IndexHNSWFlat(base.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = 64
        hnsw.add(base)
        build_s = time.perf_counter() - started
        for ef in (16, 32, 64) if args.quick else (16, 32, 64, 128):
            params = faiss.SearchParametersHNSW(efSearch=ef)
            run("HNSW flat", f"M=32 efC=64 ef={ef}", faiss_searcher(hnsw, params), build_s)
        del hnsw

    with tempfile.TemporaryDirectory(prefix="newsqa-ann-") as folder:
        started = time.perf_counter()
        store = FaissStore.empty(base.shape[1])
        store.add(ids, base)
        store.save(Path(folder))
        build_s = time.perf_counter() - started
        del store
        opened = FaissBackend().open(Path(folder), base.shape[1], [(Path(folder), ids)],
                                     np.empty(0, dtype=np.int64))
        size = (Path(folder) / FAISS_FILE).stat().st_size
        kind = "store: IVF" if opened.approximate else "store: exact"

        def search(q: np.ndarray) -> np.ndarray:
            return np.array([row for row, _ in opened.search(q, K)])

        run(kind, f"{size / 2**20:.0f} MB file" + (", mmap" if size >= MMAP_MIN_BYTES else ""),
            search, build_s)
        opened.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True, help="a MiniLM index directory")
    parser.add_argument("--sizes", type=int, nargs="*", default=None,
                        help="index sizes past the real vectors (default 100k 200k 500k 1M)")
    parser.add_argument("--questions", type=int, default=102)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--hnsw-max", type=int, default=200_000,
                        help="largest size to build HNSW for (its build is slow)")
    parser.add_argument("--threads", type=int, default=1,
                        help="FAISS threads while timing queries (see README)")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    real = real_vectors(args.index)
    args.real = len(real)
    queries = question_vectors(40 if args.quick else args.questions)
    sizes = args.sizes or ([100_000] if args.quick else [100_000, 200_000, 500_000, 1_000_000])
    if args.quick:
        args.rounds, args.hnsw_max = 1, min(args.hnsw_max, 100_000)
    rows: list[dict] = []
    for n in [len(real), *sorted(s for s in sizes if s > len(real))]:
        rows += measure(n, with_synthetic(real, n), queries, args)
    title = (f"Dense search, one query at a time, top {K}, {len(queries)} realtimeqa questions "
             f"x {args.rounds}, {args.threads} FAISS thread(s) (store: IVF from "
             f"{ANN_MIN_VECTORS:,} vectors; "
             f"nlist = {nlist_for(ANN_MIN_VECTORS)} there)")
    print("\n" + table(rows, title))
    save("ann" + ("-quick" if args.quick else ""), {"rows": rows, "k": K})


if __name__ == "__main__":
    main()
