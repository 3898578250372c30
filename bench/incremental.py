"""Incremental: cost of adding one article to an N-article index against embedding that
article alone. Goal <= 1.5x plus fixed I/O under 1 s.

The limit of an incremental add is embedding the new article's chunks (title + chunk, chunked
with the model's tokenizer). `index.add_files` (copy into the library, sync, BM25, SQLite,
FAISS, atomic publish of a new generation) is measured against it in the same run; the
article is removed again between repeats, so every repeat adds to the same N-article index.

    python bench/incremental.py                  # 200 realtimeqa articles, median of 3
    python bench/incremental.py --index DIR      # a copy of an existing MiniLM index
    python bench/incremental.py --quick          # 20 articles, 1 run (CI)
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from common import REALTIMEQA, realtimeqa_subset, require, save, table, timed

from corpus import chunk_article, embedding_text, load_articles
from corpus.chunking import ChunkConfig
from index import add_files, build_index, load_embedder, open_index, remove_articles


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
    work = Path(tempfile.mkdtemp(prefix="newsqa-bench-incremental-"))
    try:
        run(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def new_article(index_dir: Path, out: Path) -> Path:
    """Write one realtimeqa article that is not in the index at `index_dir` to `out`."""
    with open_index(index_dir) as reader:
        taken = set(reader.manifest.articles) | set(reader.manifest.duplicates)
    path = require(REALTIMEQA / "articles.jsonl")
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and json.loads(line)["_id"] not in taken:
            out.write_text(line + "\n", encoding="utf-8")
            return out
    raise SystemExit(f"every article of {path} is already in the index")


def run(args: argparse.Namespace, work: Path) -> None:
    embedder = load_embedder(args.model)
    embedder.encode(["warm up the model"])
    index_dir = work / "index"
    if args.index is not None:
        shutil.copytree(args.index, index_dir, ignore=shutil.ignore_patterns(".lock", "tmp-*"))
    else:
        source = realtimeqa_subset(args.articles, work / "articles.jsonl")
        build_index(index_dir, [source], embedder=embedder)
    with open_index(index_dir) as reader:
        articles, chunks = len(reader.manifest.articles), reader.size
    article_file = new_article(index_dir, work / "new-article.jsonl")
    config = ChunkConfig()

    def embed_alone() -> int:
        texts = [embedding_text(chunk, article.title)
                 for article in load_articles([article_file]).articles
                 for chunk in chunk_article(article, config, count_tokens=embedder.count_tokens)]
        embedder.encode(texts)
        return len(texts)

    embed_s, new_chunks = timed(embed_alone, args.repeats)
    add_times = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        report = add_files(index_dir, [article_file], embedder=embedder)
        add_times.append(time.perf_counter() - started)
        if len(report.added) != 1:
            raise SystemExit(f"expected one added article, got {report.summary()}")
        remove_articles(index_dir, report.added, embedder=embedder)
    add_s = statistics.median(add_times)
    rows = [
        {"what": "embed the article alone", "chunks": new_chunks, "seconds": embed_s,
         "ratio": 1.0},
        {"what": f"add_files to {articles}-article index", "chunks": new_chunks,
         "seconds": add_s, "ratio": add_s / embed_s},
        {"what": "fixed overhead (add - embed)", "chunks": "", "seconds": add_s - embed_s,
         "ratio": ""},
    ]
    print(table(rows, f"Incremental: 1 article into {articles} articles ({chunks} chunks), "
                      f"{args.model}, median of {args.repeats} "
                      "(goal: ratio <= 1.5 plus fixed I/O < 1 s)"))
    save("incremental", {"articles": articles, "index_chunks": chunks,
                         "repeats": args.repeats, "rows": rows})


if __name__ == "__main__":
    main()
