"""Embedding throughput: the torch MiniLM against the same model in ONNX Runtime, fp32 and int8.

Every embedder gets exactly the texts and sentence spans `newsqa build` embeds (title + chunk
of a realtimeqa subset, chunked with the model's tokenizer) through `encode_chunks` (chunk
vectors plus late-pooled sentence vectors), in the same run, repeats interleaved. Reported:
chunks/s, the ratio to torch, and how close each one's chunk and sentence vectors are to
torch's (cosine). Quality on retrieval is measured with `newsqa eval` (see README).

    python bench/embedders.py                 # 40 realtimeqa articles, median of 3 runs
    python bench/embedders.py --articles 300 --repeats 1
    python bench/embedders.py --quick         # 5 articles, 1 run (CI: keeps the script alive)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from common import realtimeqa_subset, save, table, timed, work_dir

from corpus import chunk_article, embedding_text, load_articles
from corpus.chunking import ChunkConfig
from index import load_embedder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.articles, args.repeats = 5, 1
    with work_dir("embedders") as work:
        run(args, work)


def run(args: argparse.Namespace, work: Path) -> None:
    names = [args.model, f"{args.model}:onnx", f"{args.model}:onnx-int8"]
    embedders = {name: load_embedder(name) for name in names}
    for embedder in embedders.values():  # load (and export once to the user cache) untimed
        embedder.encode(["warm up the model"])
    source = realtimeqa_subset(args.articles, work / "articles.jsonl")
    articles = load_articles([source]).articles
    texts, spans = chunk_texts(articles, embedders[args.model].count_tokens)

    seconds: dict[str, list[float]] = {name: [] for name in names}
    outputs = {}
    for _ in range(args.repeats):  # interleaved, so a busy moment hurts all alike
        for name, embedder in embedders.items():
            elapsed, outputs[name] = timed(
                lambda e=embedder: e.encode_chunks(texts, spans, batch_size=args.batch_size), 1
            )
            seconds[name].append(elapsed)
    torch_chunks, torch_sentences = outputs[args.model]
    torch_rate = len(texts) / float(np.median(seconds[args.model]))
    rows = []
    for name in names:
        chunks, sentences = outputs[name]
        chunk_cos = np.sum(chunks * torch_chunks, axis=1)
        sentence_cos = np.sum(np.vstack(sentences) * np.vstack(torch_sentences), axis=1)
        rate = len(texts) / float(np.median(seconds[name]))
        rows.append({
            "embedder": name, "chunks": len(texts), "seconds": float(np.median(seconds[name])),
            "chunks/s": rate, "ratio": rate / torch_rate,
            "chunk cos mean": float(chunk_cos.mean()), "chunk cos min": float(chunk_cos.min()),
            "sentence cos mean": float(sentence_cos.mean()),
        })
    threads = getattr(embedders[names[-1]], "threads", "?")
    print(table(rows, f"Embedders: {len(texts):,} chunks of {len(articles)} realtimeqa articles, "
                      f"batch {args.batch_size}, onnxruntime {threads} threads, median of "
                      f"{args.repeats}; cos = cosine to the torch vectors"))
    save("embedders" + ("-quick" if args.quick else ""),
         {"articles": len(articles), "repeats": args.repeats, "rows": rows})


def chunk_texts(articles, count_tokens) -> tuple[list[str], list[list[tuple[int, int]]]]:
    """What the build embeds: title + chunk texts, and sentence spans into those texts."""
    texts, spans = [], []
    for article in articles:
        for chunk in chunk_article(article, ChunkConfig(), count_tokens=count_tokens):
            text = embedding_text(chunk, article.title)
            shift = len(text) - len(chunk.text) - chunk.start  # article offsets -> text
            texts.append(text)
            spans.append([(s + shift, e + shift) for s, e in chunk.sentences])
    return texts, spans


if __name__ == "__main__":
    main()
