"""Tune the sentence-score weights (qa.rank.RankConfig) on dev questions.

Features are computed once per question, then every weight combination of a coarse grid is
scored by top-1 answer containment (the best sentence holds an answer string). Prints the best
combinations and the current default, so a change of weights is a measured decision.

    python bench/tune_rank.py SEED_QUESTIONS:SEED_INDEX RTQA_QUESTIONS:RTQA_INDEX
"""

from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import asdict, replace
from pathlib import Path

from qa import Assistant, RankConfig
from qa.evaluate import contains_answer, load_qa_dataset
from qa.rank import sentence_features
from qa.retrieve import retrieve

GRID = {
    "lexical_weight": [0.2, 0.3, 0.4, 0.6],
    "phrase_weight": [0.0, 0.15, 0.3],
    "passage_weight": [0.1, 0.25, 0.5],
    "type_bonus": [0.05, 0.1],
    "sequence_bonus": [0.0, 0.1],
    "lead_bonus": [0.0, 0.05, 0.1],
}


def collect(pairs: list[tuple[Path, Path]]) -> list[tuple[str, list, list[bool]]]:
    """Per answerable question: (dataset name, sentence features, sentence holds an answer)."""
    rows = []
    for questions, index_dir in pairs:
        assistant = Assistant.open(index_dir)
        reader = assistant._current_reader()
        passages = assistant.answering.rank.passages
        for ex in load_qa_dataset(questions):
            if ex.unanswerable:
                continue
            vector = assistant._embed(ex.question)
            hits = retrieve(reader, ex.question, vector, top_k=passages, config=assistant.retrieval)
            vectors = reader.sentence_vectors([h.row for h in hits])
            feats = sentence_features(reader, ex.question, ex.question, vector, hits, vectors)
            labels = []
            for i, _, start, end, _ in feats:
                chunk = hits[i].chunk
                labels.append(contains_answer(chunk.text[start - chunk.start: end - chunk.start],
                                              ex.answers))
            rows.append((questions.parent.name, [f for *_, f in feats], labels))
    return rows


def accuracy(rows, config: RankConfig) -> dict[str, float]:
    totals: dict[str, list[int]] = {}
    for name, feats, labels in rows:
        t = totals.setdefault(name, [0, 0])
        t[1] += 1
        if feats:
            best = max(range(len(feats)), key=lambda k: (feats[k].score(config), -k))
            t[0] += labels[best]
    return {name: hits / n for name, (hits, n) in totals.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("pairs", nargs="+", help="QUESTIONS:INDEX_DIR")
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args()
    pairs = [tuple(Path(p) for p in pair.split(":", 1)) for pair in args.pairs]
    rows = collect(pairs)  # type: ignore[arg-type]
    default = RankConfig()
    results = []
    keys = list(GRID)
    for values in itertools.product(*(GRID[k] for k in keys)):
        config = replace(default, **dict(zip(keys, values, strict=True)))
        acc = accuracy(rows, config)
        results.append((sum(acc.values()) / len(acc), acc, config))
    results.sort(key=lambda r: -r[0])
    base = accuracy(rows, default)
    print(f"default: {base}  {asdict(default)}")
    for mean, acc, config in results[: args.top]:
        changed = {k: getattr(config, k) for k in keys}
        print(f"{mean:.4f} {acc} {changed}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
