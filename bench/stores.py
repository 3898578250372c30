"""Dense search latency through each vector store on the same index: FAISS in-process
(one thread, and FAISS's default threads) and Milvus Lite, with and without a date filter.
Queries are interleaved across stores, so a busy machine slows every store alike.

    python bench/stores.py --index DIR               # DIR: a FAISS index (copied for Milvus)
    python bench/stores.py --index DIR --quick       # 20 questions, one round
"""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path

import faiss
from common import percentile, save, table, work_dir
from query import moved_to_store, questions

from index import load_embedder, open_index
from index.store import parse_store_spec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--questions", type=int, default=102)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--since", type=date.fromisoformat, default=date(2022, 6, 1),
                        help="date filter of the filtered searches")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.questions, args.rounds = 20, 1
    with work_dir("stores") as work:
        lite = moved_to_store(args.index, parse_store_spec(work / "vectors.db"), work / "lite")
        run(args, {"faiss": open_index(args.index), "milvus-lite": open_index(lite)})


def run(args: argparse.Namespace, readers: dict) -> None:
    items = questions(args.questions)
    vectors = load_embedder(readers["faiss"].embedder_name).encode(items)
    rows = readers["faiss"].rows_matching(since=args.since)
    threads = faiss.omp_get_max_threads()
    cases = [("faiss", 1), ("faiss", threads), ("milvus-lite", threads)]
    times: dict[tuple[str, int, bool], list[float]] = {}
    for _ in range(args.rounds):
        for vector in vectors:
            for name, n_threads in cases:
                faiss.omp_set_num_threads(n_threads)
                for filtered in (False, True):
                    started = time.perf_counter()
                    readers[name].dense_search(vector, 100, rows=rows if filtered else None)
                    elapsed = (time.perf_counter() - started) * 1000
                    times.setdefault((name, n_threads, filtered), []).append(elapsed)
    faiss.omp_set_num_threads(threads)
    table_rows = [
        {"store": name, "FAISS threads": n, "filter": f"since {args.since}" if filtered else "-",
         "rows": len(rows) if filtered else readers[name].size,
         "p50 ms": percentile(t, 0.5), "p95 ms": percentile(t, 0.95)}
        for (name, n, filtered), t in times.items()
    ]
    print(table(table_rows, f"Dense search, top 100, {len(items)} questions x {args.rounds}, "
                            f"{readers['faiss'].size:,} chunks"))
    save("stores", {"rows": table_rows})


if __name__ == "__main__":
    main()
