"""Incremental: cost of adding one article to an N-article index against embedding that
article alone. Goal <= 1.5x plus fixed I/O under 1 s.

The limit of an incremental add is embedding the new article's chunks (title + chunk, chunked
with the model's tokenizer) with their sentence vectors, as a build does. `index.add_files`
(copy into the library, sync, a new segment with its BM25 and SQLite, a vector part with its
FAISS file, atomic publish of a new generation) is measured against it in the same run; the
article is removed again between repeats, so every repeat adds to the same N-article index.
The fixed I/O is measured directly: the same add with the article's vectors replayed from
an earlier add instead of computed. When the index already holds every realtimeqa article,
the new one is a copy of the median-length article under a new id and title.

    python bench/incremental.py                  # 200 realtimeqa articles, median of 3
    python bench/incremental.py --index DIR      # a copy of an existing MiniLM index
    python bench/incremental.py --quick          # 20 articles, 1 run (CI)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import time
from pathlib import Path

from common import REALTIMEQA, realtimeqa_subset, require, save, table, timed, work_dir

from corpus import chunk_article, embedding_text, load_articles
from corpus.chunking import ChunkConfig
from index import add_files, build_index, load_embedder, open_index, remove_articles
from index.embedding.base import encode_chunks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--index", type=Path, default=None,
                        help="copy this index (built with --model) instead of building one")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.articles, args.repeats = 20, 1
    with work_dir("incremental") as work:
        run(args, work)


def new_article(index_dir: Path, out: Path) -> Path:
    """Write one realtimeqa article that is not in the index at `index_dir` to `out`.

    When the index holds them all (the full corpus), the article is a copy of the one of
    median length under a new id and title, so all of it is new content to embed.
    """
    with open_index(index_dir) as reader:
        taken = {r.id for r in reader.articles()} | set(reader.manifest.duplicates)
    path = require(REALTIMEQA / "articles.jsonl")
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
               if line.strip()]
    fresh = [r for r in records if r["_id"] not in taken]
    if fresh:
        record = fresh[0]
    else:
        record = dict(sorted(records, key=lambda r: len(json.dumps(r)))[len(records) // 2])
        record["_id"] = f"bench-new-{record['_id']}"
        record["title"] = f"Update: {record['title']}"
    out.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    return out


_REMOVALS: list[float] = []


def _median_add(index_dir: Path, article_file: Path, embedder, repeats: int) -> float:
    """Median seconds of adding `article_file`; it is removed again after each add."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        report = add_files(index_dir, [article_file], embedder=embedder)
        times.append(time.perf_counter() - started)
        if len(report.added) != 1:
            raise SystemExit(f"expected one added article, got {report.summary()}")
        started = time.perf_counter()
        remove_articles(index_dir, report.added, embedder=embedder)
        _REMOVALS.append(time.perf_counter() - started)
    return statistics.median(times)


class _Replaying:
    """The real embedder, except that chunk texts it has embedded before get their
    recorded vectors back: adding with it times everything but the model."""

    def __init__(self, inner) -> None:
        self._inner = inner
        self._memo: dict[tuple[str, ...], object] = {}

    def __getattr__(self, name: str):
        return getattr(self._inner, name)

    def encode_chunks(self, texts, spans_per_text, **kwargs):
        key = tuple(texts)
        if key not in self._memo:
            self._memo[key] = self._inner.encode_chunks(texts, spans_per_text, **kwargs)
        return self._memo[key]


def run(args: argparse.Namespace, work: Path) -> None:
    embedder = load_embedder(args.model)
    embedder.encode(["warm up the model"])
    index_dir = work / "index"
    if args.index is not None:
        shutil.copytree(args.index, index_dir, ignore=shutil.ignore_patterns(".lock", "tmp-*"))
        os.sync()  # else writing back the copy's dirty pages slows the adds' fsyncs
    else:
        source = realtimeqa_subset(args.articles, work / "articles.jsonl")
        build_index(index_dir, [source], embedder=embedder)
    with open_index(index_dir) as reader:
        articles, chunks = len(reader.articles()), reader.size
    article_file = new_article(index_dir, work / "new-article.jsonl")
    config = ChunkConfig()

    def embed_alone() -> int:
        """Chunk the article and embed its chunks with their sentence vectors, exactly the
        model work a build does for it (`index.embedding.base.encode_chunks`)."""
        texts, spans = [], []
        for article in load_articles([article_file]).articles:
            for chunk in chunk_article(article, config, count_tokens=embedder.count_tokens):
                text = embedding_text(chunk, article.title)
                shift = len(text) - len(chunk.text) - chunk.start
                texts.append(text)
                spans.append([(s + shift, e + shift) for s, e in chunk.sentences])
        encode_chunks(embedder, texts, spans)
        return len(texts)

    embed_s, new_chunks = timed(embed_alone, args.repeats)
    add_s = _median_add(index_dir, article_file, embedder, args.repeats)
    replay = _Replaying(embedder)
    _median_add(index_dir, article_file, replay, 1)  # records the article's vectors
    fixed_s = _median_add(index_dir, article_file, replay, args.repeats)
    rows = [
        {"what": "embed the article alone", "chunks": new_chunks, "seconds": embed_s,
         "ratio": 1.0},
        {"what": f"add_files to {articles}-article index", "chunks": new_chunks,
         "seconds": add_s, "ratio": add_s / embed_s},
        {"what": "fixed I/O: add_files, vectors replayed", "chunks": new_chunks,
         "seconds": fixed_s, "ratio": ""},
        {"what": "remove_articles (the same article)", "chunks": new_chunks,
         "seconds": statistics.median(_REMOVALS[-args.repeats:]), "ratio": ""},
    ]
    print(table(rows, f"Incremental: 1 article into {articles} articles ({chunks} chunks), "
                      f"{args.model}, median of {args.repeats} "
                      "(goal: ratio <= 1.5 plus fixed I/O < 1 s)"))
    save("incremental", {"articles": articles, "index_chunks": chunks,
                         "repeats": args.repeats, "rows": rows})


if __name__ == "__main__":
    main()
