"""Dense search and `Assistant.ask` latency through each vector store on the same index: FAISS
in-process (one thread, and FAISS's default threads), Milvus Lite, and any Milvus server given
with --store, with and without a date filter. Queries are interleaved across stores, so a busy
machine slows every store alike.

    python bench/stores.py --index DIR               # DIR: a FAISS index (copied for Milvus)
    python bench/stores.py --index DIR --quick       # 20 questions, one round
    python bench/stores.py --index DIR --store milvus://127.0.0.1:19530/bench   # + a server

The index's vectors are copied into Milvus Lite and each --store (a bench shortcut; `newsqa
build --store` re-embeds); a server collection must be new or empty, and is dropped at the end.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import faiss
from common import percentile, save, table, work_dir
from query import moved_to_store, questions

from index import load_embedder, open_index
from index.vectors.spec import StoreSpec, parse_store_spec
from qa import Assistant

Case = tuple[str, str, int, bool]  # (store, what: "search" or "ask", FAISS threads, filtered)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--store", type=parse_store_spec, action="append", default=[],
                        metavar="milvus://HOST:PORT/COLLECTION",
                        help="also a Milvus server (repeatable); the collection is dropped after")
    parser.add_argument("--questions", type=int, default=102)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--since", type=date.fromisoformat, default=date(2022, 6, 1),
                        help="date filter of the filtered searches")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.questions, args.rounds = 20, 1
    with work_dir("stores") as work:
        folders = {"faiss": args.index,
                   "milvus-lite": moved_to_store(args.index, parse_store_spec(work / "vectors.db"),
                                                 work / "lite")}
        try:
            for n, spec in enumerate(args.store):
                folders[str(spec)] = moved_to_store(args.index, spec, work / f"server-{n}")
            run(args, folders)
        finally:
            for spec in args.store:
                drop_collection(spec)


def run(args: argparse.Namespace, folders: dict[str, Path]) -> None:
    threads = faiss.omp_get_max_threads()  # before an Assistant sets 1
    embedder = load_embedder(open_index(folders["faiss"]).embedder_name)
    readers = {name: open_index(folder) for name, folder in folders.items()}
    assistants = {name: Assistant.open(folder, embedder=embedder)
                  for name, folder in folders.items()}
    items = questions(args.questions)
    vectors = embedder.encode(items)
    rows = readers["faiss"].rows_matching(since=args.since)
    cases: list[tuple[Case, Callable[[int], object]]] = []
    for name, reader in readers.items():
        for filtered in (False, True):
            allowed = rows if filtered else None
            for n_threads in (1, threads) if name == "faiss" else (threads,):
                cases.append(((name, "search", n_threads, filtered),
                              lambda i, r=reader, a=allowed: r.dense_search(vectors[i], 100,
                                                                            rows=a)))
            since = args.since if filtered else None
            cases.append(((name, "ask", 1, filtered),
                          lambda i, a=assistants[name], s=since: a.ask(items[i], since=s)))
    for assistant in assistants.values():  # warm caches, connections, the model
        for question in items[:3]:
            assistant.ask(question)
    times: dict[Case, list[float]] = {case: [] for case, _ in cases}
    for _ in range(args.rounds):
        for i in range(len(items)):
            for case, fn in cases:
                faiss.omp_set_num_threads(case[2])  # an Assistant searches with 1 thread
                started = time.perf_counter()
                fn(i)
                times[case].append((time.perf_counter() - started) * 1000)
    faiss.omp_set_num_threads(threads)
    table_rows = [
        {"store": label(name), "what": what, "FAISS threads": n if name == "faiss" else "-",
         "filter": f"since {args.since}" if filtered else "-",
         "rows": len(rows) if filtered else readers[name].size,
         "p50 ms": percentile(t, 0.5), "p95 ms": percentile(t, 0.95)}
        for (name, what, n, filtered), t in times.items()
    ]
    print(table(table_rows, f"Dense search (top 100) and Assistant.ask, {len(items)} questions x "
                            f"{args.rounds}, {readers['faiss'].size:,} chunks"))
    save("stores", {"rows": table_rows})
    for assistant in assistants.values():
        assistant.close()


def label(name: str) -> str:
    return f"milvus server {name.split('/')[2]}" if name.startswith("milvus://") else name


def drop_collection(spec: StoreSpec) -> None:
    from pymilvus import MilvusClient

    client = MilvusClient(spec.uri)
    client.drop_collection(spec.collection)
    client.close()


if __name__ == "__main__":
    main()
