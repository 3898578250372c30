"""Sync cost by index size: what adding one article and removing one writes (bytes) and
takes (seconds), with the vectors' cost taken out (a 384-dim `HashEmbedder`, the size of
MiniLM's vectors, computes them in microseconds), so what is left is the sync's own I/O.

    python bench/sync_cost.py                          # 10k and 62k chunks
    python bench/sync_cost.py --sizes 900 3784 60544   # articles (about 16.5 chunks each)
    python bench/sync_cost.py --sizes 60544 --batch 15136  # 1M chunks, grown by 4 syncs
    PYTHONPATH=OLD_CHECKOUT python bench/sync_cost.py  # the same against another newsqa

Indexes are made of RealTime QA articles (`../shared/data/realtimeqa-2022`, 3,784
articles, 62,560 chunks); sizes above 3,784 articles repeat them under new ids, each
paragraph's words shuffled (seeded), so that no two are duplicates or syndicated copies of
each other (copies are few in a real archive; repeats kept as copies would make every
repeated story a group of copies). The sources are a folder: the
base articles in JSONL files (unchanged, so the sync skips them by its file cache) and the
added article in a file of its own. An index of more than `--batch` articles is grown by
one sync per `--batch` articles, as an archive grows (one build of a million chunks would
hold all their vectors in memory at once). Bytes are the process's `wchar` (bytes handed
to write calls: SQLite, FAISS, numpy, JSON) and `write_bytes` (what reached the block
layer, dirty pages counted when written) from /proc/self/io, around the sync alone.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from pathlib import Path

from common import REALTIMEQA, require, table, work_dir

from index import HashEmbedder, build_index, open_index


def io_counters() -> dict[str, int]:
    pairs = (line.split(": ") for line in Path("/proc/self/io").read_text().splitlines())
    return {k: int(v) for k, v in pairs}


def write_articles(n: int, path: Path) -> int:
    lines = [line for line in require(REALTIMEQA / "articles.jsonl").read_text(
        encoding="utf-8").splitlines() if line.strip()]
    out = []
    for i in range(n):
        article = json.loads(lines[i % len(lines)])
        copy = i // len(lines)
        if copy:  # the same words in another order: a new text, not a syndicated copy
            article["_id"] = f"{article['_id']}-{copy}"
            shuffle = random.Random(f"{article['_id']}").shuffle
            paragraphs = []
            for paragraph in article["text"].split("\n\n"):
                words = paragraph.split()
                shuffle(words)
                paragraphs.append(" ".join(words))
            article["text"] = "\n\n".join(paragraphs)
        out.append(json.dumps(article, ensure_ascii=False))
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return n


def measured(fn) -> tuple[float, int, int]:
    before = io_counters()
    started = time.perf_counter()
    fn()
    seconds = time.perf_counter() - started
    after = io_counters()
    return seconds, after["wchar"] - before["wchar"], after["write_bytes"] - before["write_bytes"]


def write_base(articles: int, sources: Path, batch: int) -> list[Path]:
    """The base articles in files of at most `batch` articles each (base-0.jsonl, ...)."""
    path = sources / "all.jsonl"
    write_articles(articles, path)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.unlink()
    files = []
    for n, start in enumerate(range(0, len(lines), batch)):
        files.append(sources / f"base-{n}.jsonl")
        files[-1].write_text("".join(lines[start:start + batch]), encoding="utf-8")
    return files


def build_base(index_dir: Path, sources: Path, files: list[Path], embedder) -> None:
    """Build the base index one file at a time (one sync per file: a build holds its new
    articles' chunks and vectors in memory, so a million chunks are grown, not built at
    once), the files not yet added kept aside."""
    aside = sources.parent / "aside"
    aside.mkdir(exist_ok=True)
    for path in files[1:]:
        path.rename(aside / path.name)
    for k, path in enumerate(files):
        if k:
            (aside / path.name).rename(path)
        started = time.perf_counter()
        build_index(index_dir, [sources], embedder=embedder)
        print(f"base {k + 1}/{len(files)} in {time.perf_counter() - started:.0f} s",
              file=sys.stderr, flush=True)
    aside.rmdir()


def run(articles: int, work: Path, embedder: HashEmbedder, batch: int) -> list[dict]:
    sources = work / "sources"
    sources.mkdir(parents=True)
    files = write_base(articles, sources, batch)
    index_dir = work / "index"
    started = time.perf_counter()
    build_base(index_dir, sources, files, embedder)
    built = time.perf_counter() - started
    with open_index(index_dir) as reader:
        chunks = reader.size
    new = json.loads(require(REALTIMEQA / "articles.jsonl").read_text(
        encoding="utf-8").splitlines()[0])
    new["_id"], new["title"] = "bench-new", "A new article for the sync benchmark"
    new["text"] = "\n\n".join(f"{p} (new)" for p in new["text"].split("\n\n"))
    added = sources / "new.jsonl"
    rows = []
    for what in ("add", "remove"):
        if what == "add":
            added.write_text(json.dumps(new, ensure_ascii=False) + "\n", encoding="utf-8")
        else:
            added.unlink()
        reports: list = []
        seconds, wchar, block = measured(lambda out=reports: out.append(
            build_index(index_dir, [sources], embedder=embedder)))
        print(reports[0].summary(), file=sys.stderr)
        assert len(reports[0].added if what == "add" else reports[0].removed) == 1
        rows.append({"chunks": f"{chunks:,}", "sync": f"{what} 1 article",
                     "MB written (wchar)": f"{wchar / 1e6:,.2f}",
                     "MB to disk": f"{block / 1e6:,.2f}", "seconds": f"{seconds:.2f}",
                     "index build s": f"{built:.0f}"})
        print(rows[-1], file=sys.stderr, flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[900, 3784],
                        help="index sizes in articles (900: about 10k chunks, 3784: 62,560)")
    parser.add_argument("--batch", type=int, default=15_136,
                        help="the base is built by syncs of at most this many articles")
    args = parser.parse_args()
    import index

    embedder = HashEmbedder(384)
    rows = []
    with work_dir("sync_cost") as work:
        for n in args.sizes:
            rows += run(n, work / str(n), embedder, args.batch)
            shutil.rmtree(work / str(n), ignore_errors=True)
    print(table(rows, f"sync cost (newsqa from {Path(index.__file__).parent.parent})"))


if __name__ == "__main__":
    main()
