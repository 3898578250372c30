"""Query latency: `Assistant.ask`, warm, one question at a time, against its physical limit
(embedding the question + the FAISS search), measured in the same run.

    python bench/query.py --index DIR                 # realtimeqa dev questions against DIR
    python bench/query.py --quick                     # a 20-article index built on the fly
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from common import REALTIMEQA, percentile, realtimeqa_subset, require, save, table

from index import build_index, load_embedder
from qa import Assistant


def questions(limit: int) -> list[str]:
    path = require(REALTIMEQA / "questions.dev.jsonl")
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines][:limit]


def measure(fn, items: list[str], rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        for item in items:
            started = time.perf_counter()
            fn(item)
            times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=None)
    parser.add_argument("--questions", type=int, default=102)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="newsqa-bench-query-"))
    try:
        if args.index is None:
            source = realtimeqa_subset(20 if args.quick else 200, work / "articles.jsonl")
            args.index = work / "index"
            build_index(args.index, [source], embedder=load_embedder("all-MiniLM-L6-v2"))
        if args.quick:
            args.questions, args.rounds = 10, 1
        run(args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace) -> None:
    assistant = Assistant.open(args.index)
    reader = assistant._current_reader()
    items = questions(args.questions)
    for q in items[:5]:  # warm caches, threads, allocator
        assistant.ask(q)

    def limit(q: str) -> None:
        reader.dense_search(assistant.embedder.encode([q])[0], 100)

    def embed_only(q: str) -> None:
        assistant.embedder.encode([q])

    rows = []
    base = None
    for name, fn in [("embed question", embed_only), ("limit: embed + FAISS", limit),
                     ("Assistant.ask", lambda q: assistant.ask(q))]:
        times = measure(fn, items, args.rounds)
        p50 = percentile(times, 0.5)
        if name.startswith("limit"):
            base = p50
        rows.append({"what": name, "chunks": reader.size, "p50 ms": p50,
                     "p95 ms": percentile(times, 0.95), "x limit": p50 / base if base else 0.0})
    print(table(rows, f"Query latency, warm, {len(items)} questions x {args.rounds} "
                      "(goal at 30k+ chunks: p50 <= 30 ms, p95 <= 80 ms)"))
    save("query", {"index_chunks": reader.size, "rows": rows})


if __name__ == "__main__":
    main()
