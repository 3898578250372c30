"""Fused retrieval against each retriever alone and against txtai's hybrid, in one run.

    python bench/retrieval.py --indexes DIR [--collections squad evidence realtimeqa scifact]
        [--no-txtai | --reuse-txtai] [--as-of]

DIR holds one news-qa index per collection (as for `train/fit_retrieval.py`). Every question
is asked through `Assistant.ask(question, top_k=50)` in each mode (BM25 alone, MiniLM dense
alone, fused) and ranked at document level: the distinct articles of `hits`, first 10 for
nDCG@10. txtai 9 (hybrid, defaults; `bench/peers/txtai_hybrid.py` in its own venv,
`bash bench/peers/setup_txtai.sh`) indexes exactly the same passages (exported from the
index) with the same packaged MiniLM.

The fused ranking is measured out of sample: `train/fit_retrieval.py` chose the fusion's
parameters once on every collection's "choose" questions and once on its "report" questions
(train/data.py) and saved both in DIR/features/; here each question is fused with the
parameters chosen on the *other* half (2-fold cross-validation), so no figure of the fused
row comes from questions that chose it. The questions are those two halves (squad's "fit"
part, kept for the sentence selector, is left out). `--shipped` uses the shipped parameters
(chosen on all of them) instead.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from common import RESULTS, save, table  # noqa: E402

from qa import Assistant  # noqa: E402
from qa.fusion import FusionParams  # noqa: E402
from train.data import COLLECTIONS, load_questions  # noqa: E402

TXTAI = REPO / ".venv-txtai" / "bin" / "python"


def ndcg(ranked: list[str], rel: dict[str, int], k: int = 10) -> float:
    dcg = sum(rel.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted((r for r in rel.values() if r > 0), reverse=True)[:k]
    idcg = sum(r / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall(ranked: list[str], rel: dict[str, int], k: int) -> float:
    relevant = {d for d, r in rel.items() if r > 0}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


def ours(index_dir: Path, questions, mode: str, *, as_of: bool,
         folds: dict[str, FusionParams] | None) -> dict[str, list[str]]:
    base = Assistant.open(index_dir)
    assistants = {}
    for split in ("choose", "report"):
        fusion = folds[_OTHER[split]] if folds and mode == "hybrid" else None
        assistants[split] = Assistant(
            index_dir, embedder=base.embedder,
            retrieval=replace(base.retrieval, mode=mode, fusion=fusion))
    out = {}
    for q in questions:
        answer = assistants[q.split].ask(q.text, top_k=50, as_of=q.asked if as_of else None)
        out[q.id] = [h.chunk.article_id for h in answer.hits]
    return out


def credit_copies(index_dir: Path, rankings: dict[str, list[str]], questions) -> None:
    """Rank a syndicated copy of a gold article as the gold one (the index folds a story's
    copies into one, which need not be the copy the labels name; `newsqa eval` does the same),
    then keep each article's first place."""
    assistant = Assistant.open(index_dir)
    for q in questions:
        ids = rankings.get(q.id, [])
        credited = [next((r.id for r in assistant.copies_of(a) if r.id in q.relevance), a)
                    if a not in q.relevance else a for a in ids]
        rankings[q.id] = list(dict.fromkeys(credited))


_OTHER = {"choose": "report", "report": "choose"}


def load_folds(indexes: Path) -> dict[str, FusionParams]:
    folds = {}
    for fold in ("choose", "report"):
        path = indexes / "features" / f"fusion-chosen-on-{fold}.json"
        if not path.exists():
            raise SystemExit(f"missing {path}: run python -m train.fit_retrieval --indexes "
                             f"{indexes} first (or pass --shipped)")
        folds[fold] = FusionParams.from_dict(json.loads(path.read_text(encoding="utf-8")))
    return folds


def txtai(index_dir: Path, questions, work: Path, *, reuse: bool = False
          ) -> dict[str, list[str]]:
    """txtai's rankings of `questions` over the passages of `index_dir`; with `reuse`, the
    rankings of an earlier run in `work` when it indexed byte-identical passages and asked
    the same questions (txtai's embedding is most of this bench's time)."""
    passages, queries = work / "passages.jsonl", work / "queries.jsonl"
    result = work / "txtai.jsonl"
    exported = work / "passages.new.jsonl"
    subprocess.run([sys.executable, str(REPO / "bench/peers/export_passages.py"), "--index",
                    str(index_dir), "--out", str(exported)], check=True)
    asked = "".join(json.dumps({"id": q.id, "text": q.text}) + "\n" for q in questions)
    same = (reuse and result.exists() and passages.exists() and queries.exists()
            and passages.read_bytes() == exported.read_bytes()
            and queries.read_text(encoding="utf-8") == asked)
    exported.replace(passages)
    if same:
        print(f"txtai: reusing {result} (the same passages and questions)", flush=True)
    else:
        queries.write_text(asked, encoding="utf-8")
        subprocess.run(["nice", str(TXTAI), str(REPO / "bench/peers/txtai_hybrid.py"),
                        "--passages", str(passages), "--queries", str(queries), "--out",
                        str(result), "--limit", "50"], check=True)
    out = {}
    for line in result.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        out[str(row["id"])] = row["docs"]
    return out


def scores(rankings: dict[str, list[str]], questions) -> dict[str, float]:
    n = len(questions)
    return {"nDCG@10": sum(ndcg(rankings.get(q.id, []), q.relevance) for q in questions) / n,
            "R@1": sum(recall(rankings.get(q.id, []), q.relevance, 1) for q in questions) / n,
            "R@5": sum(recall(rankings.get(q.id, []), q.relevance, 5) for q in questions) / n}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--indexes", type=Path, required=True)
    parser.add_argument("--collections", nargs="+",
                        default=["squad", "evidence", "realtimeqa", "scifact"])
    parser.add_argument("--no-txtai", action="store_true")
    parser.add_argument("--reuse-txtai", action="store_true",
                        help="reuse txtai's rankings of an earlier run over identical passages")
    parser.add_argument("--as-of", action="store_true", help="ask as of each question's date")
    parser.add_argument("--limit", type=int, default=None, help="first N questions each")
    parser.add_argument("--shipped", action="store_true",
                        help="the shipped fusion instead of the cross-validated folds")
    args = parser.parse_args()
    folds = None if args.shipped else load_folds(args.indexes)
    rows, payload = [], {}
    for name in args.collections:
        questions = [q for q in load_questions(COLLECTIONS[name])
                     if q.relevance and q.split in ("choose", "report")][: args.limit]
        index_dir = args.indexes / name
        started = time.perf_counter()
        runs = {mode: ours(index_dir, questions, mode, as_of=args.as_of, folds=folds)
                for mode in ("lexical", "dense", "hybrid")}
        runs["fused"] = runs.pop("hybrid")
        if not args.no_txtai and TXTAI.exists():
            work = RESULTS / "retrieval" / name
            work.mkdir(parents=True, exist_ok=True)
            runs["txtai hybrid"] = txtai(index_dir, questions, work, reuse=args.reuse_txtai)
        for system, rankings in runs.items():
            credit_copies(index_dir, rankings, questions)
            row = {"collection": name, "questions": len(questions), "system": system}
            row.update(scores(rankings, questions))
            rows.append(row)
        payload[name] = {"seconds": round(time.perf_counter() - started, 1)}
        print(table([r for r in rows if r["collection"] == name], name), flush=True)
    title = "document level, Assistant.ask(top_k=50)"
    title += ", shipped fusion" if args.shipped else ", fused: 2-fold cross-validated"
    title += ", as of each question's date" if args.as_of else ""
    print(table(rows, title))
    save("retrieval" + ("-as-of" if args.as_of else ""), {"rows": rows, **payload})


if __name__ == "__main__":
    main()
