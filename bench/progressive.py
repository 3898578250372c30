"""Time to the first answer: a progressive build (`newsqa build`, the default) against a
one-shot build (today's before progressive builds: one generation when everything is
embedded), on the same RealTime QA articles, in the same run, with the real model.

    python bench/progressive.py                      # 150 articles (gold ones first)
    python bench/progressive.py --articles 3784      # all of them (about 30 min a build)

Each build runs in a child process; this process plays "another process": from the start
of the build it opens the index as soon as there is one (`Assistant.open`, which then
follows every generation published) and asks the RealTime QA dev questions whose gold
articles are in the subset, every half second. A question is answered correctly when its
first citation is from one of its gold articles. Reported per build: the build's time, the
first answer, the first correct answer, and the first moment as many questions were
answered correctly as by the finished index, each in seconds and as a share of the
build's time.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from common import REALTIMEQA, realtimeqa_subset, require, table, work_dir

from index import load_embedder
from index.disk.layout import live_generation

BUILDS = {
    "progressive": "from index.sync.policy import CheckpointPolicy as P; c = P()",
    "one-shot": "from index.sync.policy import CheckpointPolicy as P; c = P(min_chunks=10**9)",
}
CHILD = ("import sys; from index import build_index, load_embedder; {policy}; "
         "build_index(sys.argv[1], [sys.argv[2]], embedder=load_embedder(sys.argv[3]), "
         "checkpoints=c, full=True)")


def questions(subset: Path, limit: int) -> list[dict]:
    have = {json.loads(line)["_id"] for line in subset.read_text("utf-8").splitlines() if line}
    out = []
    for line in require(REALTIMEQA / "questions.dev.jsonl").read_text("utf-8").splitlines():
        q = json.loads(line)
        if q["gold_docs"] and set(q["gold_docs"]) <= have:
            out.append(q)
    return out[:limit]


def correct(assistant, qs: list[dict]) -> int:
    right = 0
    for q in qs:
        answer = assistant.ask(q["text"])
        cited = answer.citations[0].article_id if answer.citations else None
        right += cited in q["gold_docs"]
    return right


def run(name: str, subset: Path, index_dir: Path, model: str, embedder, qs) -> dict:
    from qa import Assistant

    code = CHILD.format(policy=BUILDS[name])
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", code, str(index_dir), str(subset), model])
    assistant, seen = None, []  # (seconds, embedded, correct)
    while child.poll() is None:
        if assistant is None and live_generation(index_dir) is not None:
            assistant = Assistant.open(index_dir, embedder=embedder)
        if assistant is not None:
            right = correct(assistant, qs)
            status = assistant.index_status()
            seen.append((time.perf_counter() - started, status.embedded, status.chunks, right))
            print(f"{name}: {seen[-1][0]:.1f} s, {status.summary()}, {right}/{len(qs)} "
                  "correct", file=sys.stderr, flush=True)
        time.sleep(0.5)
    total = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(f"the {name} build failed ({child.returncode})")
    assistant = assistant or Assistant.open(index_dir, embedder=embedder)
    final = correct(assistant, qs)
    chunks = assistant.index_status().chunks
    seen.append((total, chunks, chunks, final))

    def first(ok) -> str:
        t = next(s for s, *rest in seen if ok(*rest))
        return f"{t:.1f} ({100 * t / total:.0f}%)"

    return {"build": name, "chunks": f"{chunks:,}", "build s": f"{total:.1f}",
            "first answer s": first(lambda e, c, r: True),
            "first correct s": first(lambda e, c, r: r > 0) if final else "-",
            f"as good as the full index ({final}/{len(qs)}) s": first(lambda e, c, r: r >= final)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=150)
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    parser.add_argument("--builds", nargs="+", default=list(BUILDS), choices=list(BUILDS))
    args = parser.parse_args()
    embedder = load_embedder(args.model)
    embedder.encode(["warm up"])
    rows = []
    with work_dir("progressive") as work:
        subset = realtimeqa_subset(args.articles, work / "articles.jsonl")
        qs = questions(subset, args.questions)
        for name in args.builds:
            rows.append(run(name, subset, work / name, args.model, embedder, qs))
    print(table(rows, f"time to the first answer: {args.articles} RealTime QA articles, "
                      f"{len(qs)} dev questions, {args.model}"))


if __name__ == "__main__":
    main()
