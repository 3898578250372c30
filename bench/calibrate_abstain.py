"""Calibrate the abstention threshold (qa.AnswerConfig.min_confidence).

Positives are questions asked of an index that holds their answer; negatives are questions
asked of an index that cannot answer them (e.g. realtimeqa quiz questions against the seed
article's index). For each threshold the script prints abstention precision and recall on the
negatives and how many positives would wrongly abstain.

    python bench/calibrate_abstain.py --pos Q.jsonl:INDEX --neg Q.jsonl:INDEX [...]
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from qa import Assistant
from qa.evaluate import load_qa_dataset


def confidences(pairs: list[str], *, answerable_only: bool) -> list[float]:
    out = []
    for pair in pairs:
        questions, index_dir = (Path(p) for p in pair.split(":", 1))
        # Never abstain while measuring, so every question reports its confidence.
        base = Assistant.open(index_dir)
        assistant = Assistant(
            index_dir,
            embedder=base.embedder,
            answering=replace(base.answering, min_confidence=-1.0),
        )
        for ex in load_qa_dataset(questions):
            if answerable_only and ex.unanswerable:
                continue
            out.append(assistant.ask(ex.question).confidence)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pos", action="append", default=[], help="QUESTIONS:INDEX answerable")
    parser.add_argument("--neg", action="append", default=[], help="QUESTIONS:INDEX unanswerable")
    args = parser.parse_args()
    pos = confidences(args.pos, answerable_only=True)
    neg = confidences(args.neg, answerable_only=False)
    print(f"{len(pos)} positives, {len(neg)} negatives")
    print(f"{'threshold':>9} {'abst_P':>7} {'abst_R':>7} {'pos_lost':>8}")
    for t in [x / 100 for x in range(20, 56, 2)]:
        tp = sum(c < t for c in neg)
        fp = sum(c < t for c in pos)
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall, lost = tp / max(len(neg), 1), fp / max(len(pos), 1)
        print(f"{t:>9.2f} {precision:>7.3f} {recall:>7.3f} {lost:>8.3f}")


if __name__ == "__main__":
    main()
