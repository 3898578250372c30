"""Choose how strongly questions asked "as of" a date prefer recent articles (`qa.recency`).

    python -m train.fit_recency --indexes DIR [--evidence-sample 800]

DIR as for `train.fit_retrieval` (DIR/realtimeqa: all 3,784 realtimeqa-2022 articles,
DIR/evidence: the news-quiz evidence paragraphs). Every question is asked as of its quiz
date, through the product's retrieval (articles published after it left out, the prior
added to the fused score). A grid of (strength, half-life) is scored on the "choose" split
of both collections (mean nDCG@10 of the two); figures printed for the "report" split come
from questions that chose nothing. The chosen values become `RecencyParams`' defaults.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import random
from dataclasses import dataclass

import numpy as np

from index import IndexReader, load_embedder, open_index
from qa.evaluate import ndcg_at_k, recall_at_k
from qa.models import MODELS_DIR, write_model
from qa.recency import MODEL_KIND, MODEL_VERSION, RecencyParams, question_period
from qa.retrieve import RetrievalConfig, retrieve_ranked
from train.data import COLLECTIONS, Question, load_questions
from train.features import credited

logger = logging.getLogger("train.fit_recency")

STRENGTHS = (0.0, 0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0)
HALF_LIVES = (3.0, 7.0, 14.0, 30.0)


@dataclass
class Asked:
    reader: IndexReader
    questions: list[Question]
    vectors: np.ndarray


def doc_ranking(asked: Asked, i: int, params: RecencyParams, *, dated: bool = True) -> list[str]:
    q = asked.questions[i]
    as_of = q.asked if dated else None
    rows = asked.reader.rows_matching(not_after=as_of) if as_of else None
    hits = retrieve_ranked(asked.reader, q.text, asked.vectors[i], top_k=50, rows=rows,
                           config=RetrievalConfig(recency=params),
                           period=question_period(q.text, as_of)).hits
    return list(dict.fromkeys(credited(asked.reader, h.chunk.article_id, q.relevance)
                              for h in hits))


def measure(asked: Asked, idx: list[int], params: RecencyParams, *, dated: bool = True) -> dict:
    rankings = [doc_ranking(asked, i, params, dated=dated) for i in idx]
    rels = [asked.questions[i].relevance for i in idx]

    def mean(metric, k):
        pairs = zip(rankings, rels, strict=True)
        return round(float(np.mean([metric(r, g, k) for r, g in pairs])), 4)

    return {"questions": len(idx), "ndcg@10": mean(ndcg_at_k, 10), "r@1": mean(recall_at_k, 1),
            "r@5": mean(recall_at_k, 5)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--indexes", type=str, required=True)
    parser.add_argument("--evidence-sample", type=int, default=800,
                        help="questions per split of the evidence set (seeded sample)")
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    sets: dict[str, Asked] = {}
    splits: dict[str, dict[str, list[int]]] = {}
    for name in ("realtimeqa", "evidence"):
        reader = open_index(f"{args.indexes}/{name}")
        questions = [q for q in load_questions(COLLECTIONS[name]) if q.relevance and q.asked]
        vectors = load_embedder(reader.embedder_name).encode([q.text for q in questions])
        sets[name] = Asked(reader, questions, vectors)
        splits[name] = {}
        for split in ("choose", "report"):
            idx = [i for i, q in enumerate(questions) if q.split == split]
            if name == "evidence" and len(idx) > args.evidence_sample:
                idx = sorted(random.Random(0).sample(idx, args.evidence_sample))
            splits[name][split] = idx
    results = []
    for strength, half_life in itertools.product(STRENGTHS, HALF_LIVES):
        if strength == 0 and half_life != HALF_LIVES[0]:
            continue
        params = RecencyParams(strength=strength, half_life_days=half_life)
        scores = {n: measure(a, splits[n]["choose"], params) for n, a in sets.items()}
        value = float(np.mean([s["ndcg@10"] for s in scores.values()]))
        results.append((value, params, scores))
        logger.info("strength %.1f half-life %4.0f: %s", strength, half_life, scores)
    value, best, _ = max(results, key=lambda r: r[0])
    print(f"\nchosen on the choose splits: strength {best.strength}, half-life "
          f"{best.half_life_days} days (mean nDCG@10 {value:.4f})")
    figures = {}
    for name, asked in sets.items():
        idx = splits[name]["report"]
        figures[name] = {
            "as_of_quiz_date": measure(asked, idx, best),
            "filter_only": measure(asked, idx, RecencyParams(strength=0.0)),
            "no_date": measure(asked, idx, best, dated=False),
        }
        for label, row in figures[name].items():
            print(f"{name} report split, {label}: {row}")
    if not args.dry_run:
        write_model(
            MODELS_DIR / f"{MODEL_KIND}-v{MODEL_VERSION}.json", kind=MODEL_KIND,
            version=MODEL_VERSION, made_by="train/fit_recency.py",
            params={"strength": best.strength, "half_life_days": best.half_life_days,
                    "after_days": best.after_days},
            provenance={"chosen_on": "choose split of realtimeqa (all 3,784 articles) and "
                                     f"evidence ({args.evidence_sample} sampled)",
                        "reported_on": "report split"},
            figures=figures)


if __name__ == "__main__":
    main()
