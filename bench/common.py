"""Helpers shared by the benchmark scripts: data paths, subsets, timing, tables."""

from __future__ import annotations

import json
import os
import platform
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("NEWSQA_SHARED", REPO.parent / "shared"))
DATA = SHARED / "data"
REALTIMEQA = DATA / "realtimeqa-2022"
RESULTS = REPO / "bench" / "results"


def require(path: Path) -> Path:
    if not path.exists():
        raise SystemExit(f"missing {path}: the benchmarks read ../shared/data (see README)")
    return path


def realtimeqa_subset(n: int, out: Path, *, seed: int = 0, gold_first: bool = True) -> Path:
    """Write `n` realtimeqa articles to `out` (JSONL): the dev questions' gold articles first,
    then a seeded random sample, so small subsets can still answer the dev questions."""
    lines = require(REALTIMEQA / "articles.jsonl").read_text(encoding="utf-8").split("\n")
    lines = [line for line in lines if line.strip()]
    by_id = {json.loads(line)["_id"]: line for line in lines}
    gold: list[str] = []
    if gold_first:
        for line in (REALTIMEQA / "questions.dev.jsonl").read_text(encoding="utf-8").splitlines():
            gold += [d for d in json.loads(line)["gold_docs"] if d in by_id]
    gold = list(dict.fromkeys(gold))
    rest = [i for i in by_id if i not in set(gold)]
    random.Random(seed).shuffle(rest)
    chosen = (gold + rest)[:n] if n < len(by_id) else list(by_id)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(by_id[i] for i in chosen) + "\n", encoding="utf-8")
    return out


def subset_index(n: int, work: Path, *, model: str = "all-MiniLM-L6-v2", **build_options) -> Path:
    """Build an index of `n` realtimeqa articles (see `realtimeqa_subset`) under `work`."""
    from index import build_index, load_embedder

    source = realtimeqa_subset(n, work / "articles.jsonl")
    build_index(work / "index", [source], embedder=load_embedder(model), **build_options)
    return work / "index"


def timed(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    """Median wall time of `repeats` calls, and the last result."""
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def table(rows: list[dict[str, object]], title: str) -> str:
    """A plain text table; floats with 3 significant decimals."""
    if not rows:
        return f"{title}\n(no rows)"
    cols = list(rows[0])

    def cell(v: object) -> str:
        return f"{v:,.3f}" if isinstance(v, float) else str(v)

    widths = {c: max(len(c), *(len(cell(r.get(c, ""))) for r in rows)) for c in cols}
    out = [title, "  ".join(c.rjust(widths[c]) for c in cols)]
    out += ["  ".join(cell(r.get(c, "")).rjust(widths[c]) for c in cols) for r in rows]
    return "\n".join(out)


def save(name: str, payload: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {"machine": f"{platform.machine()} {os.cpu_count()} cpus", **payload}
    (RESULTS / f"{name}.json").write_text(json.dumps(payload, indent=2), encoding="utf-8")


@contextmanager
def work_dir(name: str) -> Iterator[Path]:
    """A temporary folder for one benchmark run, deleted afterwards whatever happens."""
    with tempfile.TemporaryDirectory(prefix=f"newsqa-bench-{name}-",
                                     ignore_cleanup_errors=True) as folder:
        yield Path(folder)
