"""Query latency: `Assistant.ask`, warm, one question at a time, against its physical limit
(embedding the question + the dense search), measured in the same run.

    python bench/query.py --index DIR                 # realtimeqa dev questions against DIR
    python bench/query.py --quick                     # a 20-article index built on the fly
    python bench/query.py --index DIR --store v.db        # the same, vectors in Milvus Lite

With --store and --index, the index's live generation is copied and its chunk vectors (read
through its reader) moved into the store, the vector parts keeping only their sentence
vectors (a bench shortcut; `newsqa build --store` re-embeds). The same comparison at 1k-30k chunks
and 1M vectors, in one table: `bench/scale.py`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import time
from pathlib import Path

from common import REALTIMEQA, percentile, require, save, subset_index, table, work_dir

import qa.answer
from index import open_index
from index.disk.layout import FAISS_FILE, LOCK_FILE, PART_FILE, require_generation
from index.disk.manifest import read_manifest, write_manifest
from index.disk.segments import PartInfo, read_info, segments_dir, write_info
from index.vectors.factory import store_backend
from index.vectors.spec import DEFAULT_STORE, StoreSpec, parse_store_spec
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


def timed(fn, times: list[float]):
    """`fn`, appending each call's milliseconds to `times` (a stage of `Assistant.ask`)."""
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            times.append((time.perf_counter() - started) * 1000)
    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=None)
    parser.add_argument("--questions", type=int, default=102)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--store", type=parse_store_spec, default=DEFAULT_STORE,
                        help="vector store spec, e.g. a Milvus Lite file PATH.db")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    with work_dir("query") as work:
        if args.index is None:
            args.index = subset_index(20 if args.quick else 200, work, store=args.store)
        elif args.store != DEFAULT_STORE:
            args.index = moved_to_store(args.index, args.store, work / "index")
        if args.quick:
            args.questions, args.rounds = 10, 1
        run(args)


def moved_to_store(index_dir: Path, spec: StoreSpec, target: Path) -> Path:
    """A copy of the FAISS index at `index_dir` (its live generation) at `target`, its
    chunk vectors moved to `spec`."""
    live = require_generation(index_dir).name

    def ignore(folder: str, names: list[str]) -> list[str]:
        if Path(folder) != index_dir:
            return []
        return [n for n in names if n == LOCK_FILE or n.startswith("tmp-")
                or (n.startswith("gen-") and n != live)]

    shutil.copytree(index_dir, target, ignore=ignore)
    folder = require_generation(target)
    manifest = read_manifest(folder)
    with open_index(target) as reader:
        rows, vectors = reader._vectors.vectors()
    store = store_backend(spec).create(manifest.embedder.dim, previous=None)
    for start in range(0, len(rows), 2048):
        store.add(rows[start : start + 2048], vectors[start : start + 2048])
    store.checkpoint(folder)
    store.close()
    (folder / FAISS_FILE).unlink(missing_ok=True)  # a format-1 generation's own
    for ref in manifest.segments:  # the parts keep their sentence vectors
        for name in ref.parts:
            part = segments_dir(target) / name
            info = read_info(part, PART_FILE, PartInfo)
            (part / FAISS_FILE).unlink(missing_ok=True)
            write_info(part, PART_FILE, dataclasses.replace(info, faiss=False))
    write_manifest(folder, dataclasses.replace(manifest, store=str(spec)))
    return target


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

    vectors = dict(zip(items, assistant.embedder.encode(items), strict=True))

    def dense_only(q: str) -> None:
        reader.dense_search(vectors[q], 100)

    stages = {"score_sentences": [], "find_short": []}
    for stage, times in stages.items():
        setattr(qa.answer, stage, timed(getattr(qa.answer, stage), times))

    rows = []
    base = None
    for name, fn in [("embed question", embed_only), ("dense search, top 100", dense_only),
                     ("limit: embed + dense search", limit),
                     ("Assistant.ask", lambda q: assistant.ask(q))]:
        times = measure(fn, items, args.rounds)
        p50 = percentile(times, 0.5)
        if name.startswith("limit"):
            base = p50
        rows.append({"what": name, "store": args.store.kind, "chunks": reader.size,
                     "p50 ms": p50,
                     "p95 ms": percentile(times, 0.95), "x limit": p50 / base if base else 0.0})
    for stage, label in (("score_sentences", "  of which: sentence selector"),
                         ("find_short", "  of which: short answer")):
        times = stages[stage][-len(items) * args.rounds:]
        rows.append({"what": label, "store": args.store.kind, "chunks": reader.size,
                     "p50 ms": percentile(times, 0.5), "p95 ms": percentile(times, 0.95),
                     "x limit": percentile(times, 0.5) / base if base else 0.0})
    print(table(rows, f"Query latency, warm, {len(items)} questions x {args.rounds} "
                      "(goal at 30k+ chunks: p50 <= 30 ms, p95 <= 80 ms)"))
    kind = args.store.kind
    save("query" if args.store == DEFAULT_STORE else f"query-{kind}",
         {"index_chunks": reader.size, "store": kind, "rows": rows})


if __name__ == "__main__":
    main()
