"""Query latency by index size: `Assistant.ask` (warm, one question at a time) against its
limit (embedding the question + the FAISS dense search, top 100) measured in the same run,
at 1k, 10k and 30k chunks, the whole index given, and 1M dense vectors: one table.

    python bench/scale.py --index DIR               # DIR: all 3,784 realtimeqa articles, MiniLM
    python bench/scale.py --index DIR --work CACHE  # keep the derived indexes in CACHE, reuse them
    python bench/scale.py --quick                   # CI: a 20-article index built on the fly,
                                                    # a 100-chunk subset and 2,000 vectors

DIR is only read. What each row is:

- 1k / 10k / 30k chunks: real indexes, derived from a copy of DIR's live generation with
  `index.remove_articles` (the incremental sync: vectors, chunks and sentence vectors are
  carried over, nothing is re-embedded). The articles the realtimeqa dev questions' gold
  answers come from (106 articles, 977 chunks) are always kept; a seeded random sample of
  the others fills up to the target. Sizes at or above DIR's are skipped. DIR's sources
  (its manifest's) must still exist: removing articles syncs with them.
- full: DIR itself.
- 1M vectors: a copy of DIR whose chunk vectors are all moved into one vector part (its
  SQLite chunks, BM25 and sentence vectors untouched) holding DIR's real chunk vectors plus
  synthetic ones up to 1,000,000, saved as the product saves (or a merge of the parts
  writes) a store of that size (`FaissStore`: IVF past `ANN_MIN_VECTORS`, nlist 4096, nprobe
  512, memory-mapped by the reader). Synthetic vectors are random unit vectors (normalised
  Gaussians): a question's best cosine to 937k of them is at most 0.28 (median 0.24) over
  the 102 questions, below each one's 100th real chunk (at least 0.29, median 0.47), so they
  stay out of the top 100 and the search returns 100 real chunks as in a real index; the run
  checks this ("synthetic in top 100" must be 0; it is not in --quick, with few real
  chunks). An IVF search then scans slightly more codes than over `bench/ann.py`'s
  near-copies of real vectors (146k vs 133k per question at 1M, 125k if the lists were
  even), so if anything the 1M search cost is pessimistic; near-copies can't be used here,
  they outrank the real chunks (all 102 questions would get synthetic hits in their top
  100). Their rows are negative (-2, -3, ...), with no sentence vectors: they have no chunk,
  and the store's search drops negative rows as it drops FAISS's -1 padding, so the question
  path never looks them up. Only the dense search is at 1M: BM25, the SQLite chunks and
  sentence vectors and the date/source filters are DIR's real 62,560 chunks, and the copy's
  manifest counts the 1M vectors as embedded so the reader accepts the store.

Questions: the realtimeqa dev questions whose gold articles are all in the index (all 102
at every real size); each round times the limit then `ask` for each question in turn, so
both see the same machine load. Goal (README): p50 <= 30 ms and ask/limit <= 1.5 at 30k.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import os
import random
import shutil
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
from common import REALTIMEQA, percentile, realtimeqa_subset, require, save, table, work_dir

from index import (
    IndexReader,
    IndexStoreError,
    build_index,
    load_embedder,
    open_index,
    remove_articles,
)
from index.disk.layout import LOCK_FILE, remove_old_generations, require_generation
from index.disk.locking import build_lock
from index.disk.manifest import Manifest, read_manifest, write_manifest
from index.disk.segments import PART_PREFIX, new_name, segments_dir
from index.disk.sentences import write_sentences
from index.embedding.base import Embedder
from index.sync.writing import finish_part
from index.vectors.faiss import ANN_MIN_VECTORS, FaissStore, ivf_index
from qa import Assistant

SIZES = (1_000, 10_000, 30_000)
VECTORS = 1_000_000
QUICK_SIZES, QUICK_VECTORS = (100,), 2_000
TOP_K = 100
GOAL_P50_MS, GOAL_RATIO = 30.0, 1.5
QUICK_MODEL = "all-MiniLM-L6-v2"


@dataclasses.dataclass
class Prepared:
    name: str
    path: Path
    prep: str  # how it was made: "given", "cached" (from --work) or the seconds it took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=None,
                        help="a MiniLM index, e.g. of all realtimeqa articles (only read)")
    parser.add_argument("--work", type=Path, default=None,
                        help="keep derived indexes here and reuse them (default: a temp dir)")
    parser.add_argument("--sizes", type=int, nargs="*", default=None,
                        help=f"chunk counts to derive (default {' '.join(map(str, SIZES))})")
    parser.add_argument("--vectors", type=int, default=None,
                        help=f"dense vectors of the synthetic row (default {VECTORS:,}; 0: none)")
    parser.add_argument("--questions", type=int, default=102)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.index is None and not args.quick:
        parser.error("--index DIR is required (or --quick)")
    if args.quick:
        args.questions, args.rounds = 10, 1
    sizes = args.sizes if args.sizes is not None else (QUICK_SIZES if args.quick else SIZES)
    vectors = args.vectors if args.vectors is not None else (
        QUICK_VECTORS if args.quick else VECTORS)
    with work_dir("scale") as temp:
        work = args.work or temp
        if args.index is None:
            embedder = load_embedder(QUICK_MODEL)
            source = temp / "built"
            build_index(source, [realtimeqa_subset(20, temp / "articles.jsonl")],
                        embedder=embedder)
        else:
            source = args.index
            embedder = load_embedder(read_manifest(require_generation(source)).embedder.name)
        prepared = prepare(source, work, sizes, vectors, embedder)
        load = [os.getloadavg()[0]]
        rows = [measure(p, embedder, args.questions, args.rounds) for p in prepared]
        report(rows, args, [*load, os.getloadavg()[0]])


# -- the indexes -------------------------------------------------------------------------


def prepare(source: Path, work: Path, sizes: list[int], vectors: int,
            embedder: Embedder) -> list[Prepared]:
    """The indexes to measure, smallest first: derived subsets, `source`, the synthetic one."""
    manifest = read_manifest(require_generation(source))
    with open_index(source) as reader:
        chunks = {record.id: record.chunks for record in reader.articles()}
    total = manifest.counts.chunks
    out: list[Prepared] = []
    for target in sorted(s for s in sizes if s < total):
        keep = chosen_articles(chunks, manifest.duplicates, target)

        def derive(dst: Path, keep: set[str] = keep) -> None:
            copy_live(source, dst)
            gone = [a for a in chunks if a not in keep]
            try:
                built = remove_articles(dst, gone, embedder=embedder)
            except IndexStoreError as e:  # e.g. the sources DIR was built from are gone
                raise SystemExit(f"cannot derive {dst.name} from {source}: {e}") from e
            if built.embedded_chunks:
                raise SystemExit(f"removing articles re-embedded {built.embedded_chunks} chunks")
            with build_lock(dst):  # the copied generation, kept by the sync: not needed here
                remove_old_generations(dst, keep=(require_generation(dst),))

        out.append(cached(work / f"chunks-{target}", source, manifest, derive))
    skipped = [s for s in sizes if s >= total]
    if skipped:
        print(f"sizes {skipped} skipped: not below the index's {total:,} chunks", flush=True)
    out.append(Prepared("full", source, "given"))
    if vectors > total:
        out.append(cached(work / f"vectors-{vectors}", source, manifest,
                          lambda dst: with_synthetic_vectors(source, dst, vectors)))
    return out


def cached(dst: Path, source: Path, manifest: Manifest,
           make: Callable[[Path], None]) -> Prepared:
    """`make(dst)`, timed, unless `dst` holds what it made from this `source` before."""
    stamp = {"source": str(source.resolve()), "built_at": manifest.built_at,
             "chunks": manifest.counts.chunks}
    marker = dst.with_name(dst.name + ".json")
    if dst.is_dir() and marker.is_file() and json.loads(marker.read_text()) == stamp:
        return Prepared(dst.name, dst, "cached")
    shutil.rmtree(dst, ignore_errors=True)
    marker.unlink(missing_ok=True)
    started = time.perf_counter()
    make(dst)
    seconds = time.perf_counter() - started
    print(f"prepared {dst.name} in {seconds:.1f} s", flush=True)
    marker.write_text(json.dumps(stamp))  # last: a half-made index is redone next time
    return Prepared(dst.name, dst, f"{seconds:.1f} s")


def copy_live(source: Path, dst: Path) -> None:
    """Copy `source` with only its live generation (no lock, no build leftovers)."""
    live = require_generation(source).name

    def ignore(folder: str, names: list[str]) -> list[str]:
        if Path(folder) != source:
            return []
        return [n for n in names if n == LOCK_FILE or n.startswith("tmp-")
                or (n.startswith("gen-") and n != live)]

    shutil.copytree(source, dst, ignore=ignore)


def gold_articles(indexed: Mapping[str, int], duplicates: Mapping[str, str]) -> list[str]:
    """Indexed ids of the realtimeqa dev questions' gold articles, in question order
    (duplicates resolved to the indexed copy)."""
    ids = [duplicates.get(d, d) for q in dev_questions() for d in q["gold_docs"]]
    return [d for d in dict.fromkeys(ids) if d in indexed]


def chosen_articles(chunks: Mapping[str, int], duplicates: Mapping[str, str],
                    target: int) -> set[str]:
    """Articles (`chunks`: id -> its chunk count) that fit in `target` chunks: the gold
    articles first (all of them unless they alone exceed it), then a seeded random sample
    of the others."""
    gold = gold_articles(chunks, duplicates)
    rest = sorted(set(chunks) - set(gold))
    random.Random(0).shuffle(rest)
    keep: set[str] = set()
    count = 0
    for article in [*gold, *rest]:
        if count + chunks[article] <= target:
            keep.add(article)
            count += chunks[article]
    return keep


def with_synthetic_vectors(source: Path, dst: Path, total: int) -> None:
    """A copy of `source` whose chunk vectors are all in one new vector part, with random
    unit vectors up to `total` under negative rows (see the module doc)."""
    copy_live(source, dst)
    folder = require_generation(dst)
    manifest = read_manifest(folder)
    with open_index(dst) as reader:
        rows, real = reader._vectors.vectors()
        sentences = reader.sentence_vectors(rows.tolist())
    dim = real.shape[1]
    n = total - len(rows)
    vectors = np.empty((total, dim), dtype=np.float32)
    vectors[n:] = real
    rng = np.random.default_rng(0)
    for start in range(0, n, 100_000):
        block = rng.standard_normal((min(n, start + 100_000) - start, dim), dtype=np.float32)
        vectors[start : start + len(block)] = block / np.linalg.norm(block, axis=1,
                                                                     keepdims=True)
    ids = np.concatenate([-1 - np.arange(n, 0, -1, dtype=np.int64), rows])  # ascending
    if total >= ANN_MIN_VECTORS:  # what a build or merge saving this many vectors writes
        store = FaissStore(ivf_index(vectors, ids))
    else:
        store = FaissStore.empty(dim)
        store.add(ids, vectors)
    part = segments_dir(dst) / new_name(PART_PREFIX)
    part.mkdir()
    none = np.empty((0, dim), dtype=np.float32)
    blocks = [sentences.get(int(r), none) for r in ids]
    paths = write_sentences(part, ids, blocks, dim) + store.save(part)
    first = manifest.segments[0].name
    finish_part(part, first, ids, sum(len(b) for b in blocks), paths, faiss=True)
    refs = tuple(dataclasses.replace(ref, parts=(part.name,) if ref.name == first else ())
                 for ref in manifest.segments)
    counts = dataclasses.replace(manifest.counts, embedded=total)
    write_manifest(folder, dataclasses.replace(manifest, segments=refs, counts=counts))


# -- measuring ---------------------------------------------------------------------------


def dev_questions() -> list[dict]:
    path = require(REALTIMEQA / "questions.dev.jsonl")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def answerable(reader: IndexReader, limit: int) -> list[str]:
    """Dev questions whose gold articles are all in the index, at most `limit`."""
    indexed = {r.id for r in reader.articles()} | set(reader.manifest.duplicates)
    found = [q["text"] for q in dev_questions() if set(q["gold_docs"]) <= indexed]
    return found[:limit]


def ms(fn: Callable[[str], object], question: str, into: list[float]) -> object:
    started = time.perf_counter()
    result = fn(question)
    into.append((time.perf_counter() - started) * 1000)
    return result


def measure(prepared: Prepared, embedder: Embedder, limit: int, rounds: int) -> dict:
    assistant = Assistant.open(prepared.path, embedder=embedder)
    try:
        reader = assistant._current_reader()
        questions = answerable(reader, limit)

        def bare(q: str) -> list[tuple[int, float]]:
            return reader.dense_search(embedder.encode([q])[0], TOP_K)

        # Warm: the model, FAISS (pages in a memory-mapped store), SQLite, caches. Fewer
        # than TOP_K rows back means a synthetic vector ranked in the top TOP_K.
        short = sum(len(bare(q)) < min(TOP_K, reader.size) for q in questions)
        for q in questions[:5]:
            assistant.ask(q)
        ask_ms: list[float] = []
        limit_ms: list[float] = []
        for _ in range(rounds):
            for q in questions:
                ms(bare, q, limit_ms)
                ms(assistant.ask, q, ask_ms)
        vectors = reader._vectors
        parts = getattr(vectors, "_parts", None)  # one store in an index of the old layout
        stores = [store for _, store, _ in parts] if parts is not None else [vectors]
        ivf = [store._index for store in stores if store.approximate]
        kind = ", ".join(f"IVF {i.nlist}/{i.nprobe}" for i in ivf) if ivf else "exact"
        if len(stores) > 1:
            kind += f" ({len(stores)} parts)"
        return row(prepared, reader.size, vectors.size, kind, len(questions), ask_ms,
                   limit_ms, short)
    finally:
        assistant.close()
        del assistant
        gc.collect()


def row(prepared: Prepared, chunks: int, vectors: int, kind: str, questions: int,
        ask_ms: list[float], limit_ms: list[float], short: int) -> dict:
    p50, limit_p50 = percentile(ask_ms, 0.5), percentile(limit_ms, 0.5)
    ratio = p50 / limit_p50
    misses = [m for m, bad in (("p50", p50 > GOAL_P50_MS), ("ratio", ratio > GOAL_RATIO)) if bad]
    return {
        "index": prepared.name, "chunks": f"{chunks:,}", "vectors": f"{vectors:,}",
        "store": kind, "questions": questions,
        "p50 ask ms": p50, "p95 ask ms": percentile(ask_ms, 0.95),
        "p50 limit ms": limit_p50, "p95 limit ms": percentile(limit_ms, 0.95),
        "ask/limit": ratio, "goal met?": "no: " + ", ".join(misses) if misses else "yes",
        "synthetic in top 100": short,
        "prepared": prepared.prep,
    }


def report(rows: list[dict], args: argparse.Namespace, load: list[float]) -> None:
    title = (f"Query latency by index size: Assistant.ask vs limit (embed + dense top {TOP_K}), "
             f"warm, one at a time, x {args.rounds} rounds (goal: p50 <= {GOAL_P50_MS:.0f} ms "
             f"and ask/limit <= {GOAL_RATIO}); 1-min load average {load[0]:.1f} before, "
             f"{load[1]:.1f} after")
    shown = [{k: v for k, v in r.items() if k != "p95 limit ms"} for r in rows]
    print("\n" + table(shown, title))
    for r in rows:
        if r["synthetic in top 100"]:
            print(f"note: {r['index']}: synthetic vectors ranked in the top {TOP_K} of "
                  f"{r['synthetic in top 100']} questions (fewer real chunks came back); "
                  "expected only when the real chunks are few (--quick)")
    save("scale" + ("-quick" if args.quick else ""), {
        "rounds": args.rounds, "top_k": TOP_K, "goal_p50_ms": GOAL_P50_MS,
        "goal_ratio": GOAL_RATIO, "load_average_1min": load, "rows": rows,
    })


if __name__ == "__main__":
    main()
