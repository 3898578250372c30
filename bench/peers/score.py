"""Document-level nDCG@10, R@1, R@10, R@100 and MRR@10 of a run JSONL against a qrels TSV.

    python bench/peers/score.py run.jsonl qrels.tsv [--json]

run: `{"id": query id, "docs": [doc ids, best first]}` per line (txtai_hybrid.py writes it).
qrels: `query-id corpus-id score` (tab separated, one header line); gains are the scores,
linear as in trec_eval. Every query in the qrels counts; one missing from the run scores 0.
Standard library only, so it runs in either venv.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path


def read_qrels(path: Path) -> dict[str, dict[str, float]]:
    qrels: dict[str, dict[str, float]] = {}
    lines = path.read_text(encoding="utf-8").splitlines()
    for line in lines[1:]:  # header
        if line.strip():
            query, doc, score = line.split("\t")
            if float(score) > 0:
                qrels.setdefault(query, {})[doc] = float(score)
    return qrels


def read_run(path: Path) -> dict[str, list[str]]:
    run: dict[str, list[str]] = {}
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                run[row["id"]] = list(dict.fromkeys(row["docs"]))
    return run


def ndcg(ranked: list[str], gains: dict[str, float], k: int) -> float:
    dcg = sum(gains.get(d, 0.0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(gains.values(), reverse=True)[:k]
    return dcg / sum(g / math.log2(i + 2) for i, g in enumerate(ideal))


def recall(ranked: list[str], gains: dict[str, float], k: int) -> float:
    return len(set(ranked[:k]) & set(gains)) / len(gains)


def mrr(ranked: list[str], gains: dict[str, float], k: int) -> float:
    return next((1 / (i + 1) for i, d in enumerate(ranked[:k]) if d in gains), 0.0)


def score(run: dict[str, list[str]], qrels: dict[str, dict[str, float]]) -> dict[str, float]:
    """Mean of each measure over the queries of `qrels`."""
    measures = {
        "nDCG@10": lambda r, g: ndcg(r, g, 10),
        "R@1": lambda r, g: recall(r, g, 1),
        "R@10": lambda r, g: recall(r, g, 10),
        "R@100": lambda r, g: recall(r, g, 100),
        "MRR@10": lambda r, g: mrr(r, g, 10),
    }
    n = len(qrels)
    totals = {name: 0.0 for name in measures}
    for query, gains in qrels.items():
        ranked = run.get(query, [])
        for name, measure in measures.items():
            totals[name] += measure(ranked, gains)
    result = {name: total / n for name, total in totals.items()}
    result["queries"] = n
    result["missing"] = sum(q not in run for q in qrels)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("qrels", type=Path)
    parser.add_argument("--json", action="store_true", help="one JSON object to stdout")
    args = parser.parse_args()
    result = score(read_run(args.run), read_qrels(args.qrels))
    if args.json:
        print(json.dumps(result))
        return
    print(f"{args.run.name}: {result['queries']:,} queries ({result['missing']:,} not in run)")
    for name, value in result.items():
        if name not in ("queries", "missing"):
            print(f"  {name:8} {value:.3f}")
    if result["missing"]:
        print(f"warning: {result['missing']:,} qrels queries are not in the run", file=sys.stderr)


if __name__ == "__main__":
    main()
