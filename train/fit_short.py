"""Train the short-answer model (`qa/models/short-v1.json`) on SQuAD's answer spans.

    python -m train.fit_short --indexes DIR

- **fit**: squad-dev's "fit" part (CC BY-SA 4.0). For each question, the sentence of the
  indexed gold paragraph that holds the answer span; each candidate span of it
  (`qa.short.span_features`) is graded by its overlap with the gold answers after SQuAD's
  normalisation (lower case, punctuation and articles removed): 3 an exact match, 2 an F1
  of at least 0.6, 1 of at least 0.3, else 0, and the trees are fitted to rank them
  (LambdaRank, one group per question).
- **choose**: the probability below which no short answer is given, on squad's "choose"
  part (end to end: the product's own quote).
- **report**: squad's "report" part with SQuAD's official EM and F1, end to end through
  `Assistant.ask` (a missing or wrong quote scores 0), and given the gold sentence.
"""

from __future__ import annotations

import argparse
import collections
import logging
import re
import string
from pathlib import Path

import numpy as np

from index import IndexReader, open_index
from qa.answer import AnswerConfig
from qa.api import Assistant
from qa.models import MODELS_DIR, write_model
from qa.short import MODEL_KIND, MODEL_VERSION, SHORT_FEATURES, ShortModel, span_features
from qa.trees import TreeModel
from train.data import COLLECTIONS, Question, load_questions

logger = logging.getLogger("train.fit_short")


def normalize_answer(s: str) -> str:
    """SQuAD v1.1's official normalisation."""
    s = s.lower()
    s = "".join(ch for ch in s if ch not in set(string.punctuation))
    s = re.sub(r"\b(a|an|the)\b", " ", s)
    return " ".join(s.split())


def f1_score(prediction: str, truth: str) -> float:
    p, t = normalize_answer(prediction).split(), normalize_answer(truth).split()
    common = collections.Counter(p) & collections.Counter(t)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(p), same / len(t)
    return 2 * precision * recall / (precision + recall)


def em_f1(prediction: str | None, answers: tuple[str, ...]) -> tuple[float, float]:
    if not prediction:
        return 0.0, 0.0
    em = max(float(normalize_answer(prediction) == normalize_answer(a)) for a in answers)
    return em, max(f1_score(prediction, a) for a in answers)


def gold_sentence(reader: IndexReader, q: Question) -> tuple[str, int] | None:
    """The indexed sentence holding the answer (text, article offset)."""
    article_id = next(iter(q.relevance))
    article = reader.article(article_id)
    answer = q.answers[0]
    start = q.spans[0][0] if q.spans else -1
    found = [m.start() for m in re.finditer(re.escape(answer), article.text)]
    if not found:
        return None
    at = min(found, key=lambda i: abs(i - start))
    rows = reader.rows_matching(sources=[article_id])
    for chunk in reader.chunks([int(r) for r in rows]):
        for s, e in chunk.sentences:
            if s <= at < e:
                return article.text[s:e], s
    return None


def graded(question: Question, text: str, offsets, y) -> np.ndarray:
    f1 = np.array([max(f1_score(text[a:b], g) for g in question.answers) for a, b in offsets])
    return np.where(y == 1, 3, np.where(f1 >= 0.6, 2, np.where(f1 >= 0.3, 1, 0)))


def examples(reader: IndexReader, questions: list[Question]):
    for q in questions:
        found = gold_sentence(reader, q)
        if found is None:
            continue
        text, _ = found
        offsets, _, x = span_features(q.text, text)
        if not offsets:
            continue
        gold = {normalize_answer(a) for a in q.answers}
        y = np.array([normalize_answer(text[a:b]) in gold for a, b in offsets], dtype=int)
        yield q, text, offsets, x, y


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--indexes", type=Path, required=True)
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    import lightgbm as lgb

    reader = open_index(args.indexes / "squad")
    questions = [q for q in load_questions(COLLECTIONS["squad"]) if q.relevance]
    fit = list(examples(reader, [q for q in questions if q.split == "fit"]))
    x = np.concatenate([e[3] for e in fit])
    y = np.concatenate([graded(e[0], e[1], e[2], e[4]) for e in fit])
    logger.info("%d questions, %d candidate spans, %.3f exact", len(fit), len(y),
                float((y == 3).mean()))
    # Small enough to score a quote's ~200 spans in about a millisecond.
    model = lgb.LGBMRanker(objective="lambdarank", n_estimators=300, num_leaves=15,
                           learning_rate=0.08, min_child_samples=20, random_state=0, n_jobs=1,
                           deterministic=True, verbose=-1).fit(x, y, group=[len(e[4]) for e in fit])
    trees = TreeModel.from_booster(model.booster_, SHORT_FEATURES, "lambdarank")
    given = {}
    for split in ("choose", "report"):
        scores = []
        for q, text, offsets, fx, _ in examples(reader, [q for q in questions
                                                        if q.split == split]):
            a, b = offsets[int(np.argmax(trees.predict(fx)))]
            scores.append(em_f1(text[a:b], q.answers))
        given[split] = {"questions": len(scores),
                        "em": round(float(np.mean([s[0] for s in scores])), 4),
                        "f1": round(float(np.mean([s[1] for s in scores])), 4)}
        logger.info("given the gold sentence, %s: %s", split, given[split])
    threshold, end_to_end = choose_and_report(args.indexes / "squad", trees, questions)
    figures = {"given_gold_sentence": given, "end_to_end": end_to_end,
               "chosen": {"threshold": threshold}}
    for key, value in figures.items():
        print(f"{key}: {value}")
    if args.dry_run:
        return
    write_model(
        MODELS_DIR / f"{MODEL_KIND}-v{MODEL_VERSION}.json", kind=MODEL_KIND,
        version=MODEL_VERSION, made_by="train/fit_short.py",
        params={"trees": trees.to_dict(), "threshold": threshold},
        provenance={"trained_on": f"squad-dev fit part ({len(fit)} questions, CC BY-SA 4.0)",
                    "chosen_on": "squad choose part", "reported_on": "squad report part"},
        figures=figures)


def choose_and_report(index_dir: Path, trees: TreeModel, questions: list[Question]):
    """Ask the choose and report questions end to end; the threshold maximising F1 on
    choose (a missing short answer scores 0, so only clear losers are cut)."""
    assistant = Assistant.open(index_dir, answering=AnswerConfig(short=ShortModel(trees, 0.0)))
    probs: dict[str, list[tuple[float, float, float]]] = {"choose": [], "report": []}
    for split in probs:
        for q in [q for q in questions if q.split == split]:
            answer = assistant.ask(q.text)
            if answer.short is None or answer.abstained:
                probs[split].append((0.0, 0.0, 0.0))
                continue
            em, f1 = em_f1(answer.short.text, q.answers)
            probs[split].append((answer.short.score, em, f1))
    best_t, best_f1 = 0.0, -1.0
    for t in (0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5):
        f1 = float(np.mean([f if p >= t else 0.0 for p, _, f in probs["choose"]]))
        if f1 > best_f1 + 1e-4:
            best_t, best_f1 = t, f1
    rows = probs["report"]
    report = {"questions": len(rows),
              "em": round(float(np.mean([e if p >= best_t else 0.0 for p, e, _ in rows])), 4),
              "f1": round(float(np.mean([f if p >= best_t else 0.0 for p, _, f in rows])), 4),
              "given": round(float(np.mean([p >= best_t and p > 0 for p, _, _ in rows])), 4)}
    return best_t, {"report": report}


if __name__ == "__main__":
    main()
