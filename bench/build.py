"""Build throughput: `newsqa build` against the raw model's `encode` on the same chunks.

The limit of a build is the embedding model: `SentenceTransformer.encode` over exactly the
texts the build embeds (title + chunk). The pipeline (load, chunk with the model's tokenizer,
embed with late-pooled sentence vectors, BM25, SQLite, FAISS, atomic publish) is measured end
to end on a fresh index of the same articles, in the same run, and reported as a ratio.

    python bench/build.py                 # 200 realtimeqa articles, median of 3 runs
    python bench/build.py --articles 3784 --repeats 1
    python bench/build.py --quick         # 20 articles, 1 run (CI: keeps the script alive)
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from common import realtimeqa_subset, save, table, timed, work_dir

from corpus import chunk_article, embedding_text, load_articles
from corpus.chunking import ChunkConfig
from index import build_index, load_embedder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.articles, args.repeats = 20, 1
    with work_dir("build") as work:
        run(args, work)


def run(args: argparse.Namespace, work: Path) -> None:
    source = realtimeqa_subset(args.articles, work / "articles.jsonl")
    embedder = load_embedder(args.model)
    embedder.encode(["warm up the model"])
    articles = load_articles([source]).articles
    config = ChunkConfig()
    texts = [
        embedding_text(chunk, article.title)
        for article in articles
        for chunk in chunk_article(article, config, count_tokens=embedder.count_tokens)
    ]
    model = embedder.model  # the SentenceTransformer underneath
    raw_s, _ = timed(lambda: model.encode(texts, batch_size=32, normalize_embeddings=True),
                     args.repeats)

    def build_once():
        target = work / "index"
        shutil.rmtree(target, ignore_errors=True)
        return build_index(target, [source], embedder=embedder, full=True)

    build_s, report = timed(build_once, args.repeats)
    raw_rate, build_rate = len(texts) / raw_s, report.chunks / build_s
    rows = [
        {"what": "raw SentenceTransformer.encode", "chunks": len(texts), "seconds": raw_s,
         "chunks/s": raw_rate, "ratio": 1.0},
        {"what": "newsqa build (end to end)", "chunks": report.chunks, "seconds": build_s,
         "chunks/s": build_rate, "ratio": build_rate / raw_rate},
    ]
    print(table(rows, f"Build: {len(articles)} realtimeqa articles, {args.model}, "
                      f"median of {args.repeats} (goal: ratio >= 0.9)"))
    save("build", {"articles": len(articles), "repeats": args.repeats, "rows": rows})


if __name__ == "__main__":
    main()
