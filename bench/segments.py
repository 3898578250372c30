"""Query latency across segment counts: the same articles in 1, 4, 16 and 64 segments
(one sync per segment, merges off), `Assistant.ask` and its retrieval alone
(`IndexReader.candidates`: dense top 100 over every vector part, BM25 top 100 with the
statistics combined over the segments), one question at a time, warm.

    python bench/segments.py                      # 900 RealTime QA articles (~11k chunks)
    python bench/segments.py --articles 3784 --segments 1 8 64

Vectors come from a 384-dim `HashEmbedder` (MiniLM's size; no model, so the figures are
the index's own cost); the questions are the RealTime QA dev questions.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from common import REALTIMEQA, percentile, require, table, work_dir

from index import HashEmbedder, build_index, open_index
from index.sync.policy import MergePolicy

NO_MERGES = MergePolicy(factor=10**6, floor_chunks=10**9, max_chunks=10**9)


def build_in_segments(articles: list[str], segments: int, work: Path, embedder) -> Path:
    sources, index_dir = work / "sources", work / "index"
    sources.mkdir(parents=True)
    for n in range(segments):
        part = articles[n * len(articles) // segments : (n + 1) * len(articles) // segments]
        (sources / f"part-{n:03d}.jsonl").write_text("\n".join(part) + "\n", "utf-8")
        build_index(index_dir, [sources], embedder=embedder, merges=NO_MERGES)
    return index_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=900)
    parser.add_argument("--segments", type=int, nargs="+", default=[1, 4, 16, 64])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    from qa import Assistant

    lines = [x for x in require(REALTIMEQA / "articles.jsonl").read_text("utf-8").splitlines()
             if x.strip()][: args.articles]
    questions = [json.loads(x)["text"] for x in (REALTIMEQA / "questions.dev.jsonl").read_text(
        "utf-8").splitlines() if x.strip()]
    embedder = HashEmbedder(384)
    rows = []
    with work_dir("segments") as work:
        for count in args.segments:
            index_dir = build_in_segments(lines, count, work / str(count), embedder)
            with open_index(index_dir) as reader:
                chunks, have = reader.size, len(reader.manifest.segments)
            assistant = Assistant.open(index_dir, embedder=embedder)
            reader = open_index(index_dir)
            asks, retrievals = [], []
            for _ in range(args.rounds):
                for q in questions:
                    vector = embedder.encode([q])[0]
                    started = time.perf_counter()
                    reader.candidates(q, vector, 100)
                    retrievals.append(1000 * (time.perf_counter() - started))
                    started = time.perf_counter()
                    assistant.ask(q)
                    asks.append(1000 * (time.perf_counter() - started))
            reader.close()
            assistant.close()
            rows.append({"segments": have, "chunks": f"{chunks:,}",
                         "retrieval p50 ms": f"{statistics.median(retrievals):.1f}",
                         "retrieval p95 ms": f"{percentile(retrievals, 0.95):.1f}",
                         "ask p50 ms": f"{statistics.median(asks):.1f}",
                         "ask p95 ms": f"{percentile(asks, 0.95):.1f}"})
    print(table(rows, f"query latency by segment count ({len(questions)} questions x "
                      f"{args.rounds}, HashEmbedder(384))"))


if __name__ == "__main__":
    main()
