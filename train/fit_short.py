"""Train the short-answer model (`qa/models/short-v1.json`) on SQuAD's answer spans.

    python -m train.fit_short --indexes DIR

- **fit**: squad-dev's "fit" part (CC BY-SA 4.0). For each question, the sentence of the
  indexed gold paragraph that holds the answer span; each candidate span of it
  (`qa.short.span_features`) is graded by its overlap with the gold answers after SQuAD's
  normalisation (lower case, punctuation and articles removed): 3 an exact match, 2 an F1
  of at least 0.6, 1 of at least 0.3, else 0, and the trees are fitted to rank them
  (LambdaRank, one group per question).
- **choose**: the probability below which no short answer is given, on squad's "choose"
  part (end to end: the product's own quote), with the model fitted on "fit" alone. The
  shipped model is then fitted again, with the same settings, on "fit" and "choose"
  together: the spans of more questions help (with the 48 features of the previous release,
  report F1 given the gold sentence 0.487 with "fit" alone, 0.510 with both), and the
  threshold chosen is kept. The shortlist (`SHORTLISTS`) is chosen on "choose" too.
- **report**: squad's "report" part with SQuAD's official EM and F1, end to end through
  `Assistant.ask` (a missing or wrong quote scores 0), and given the gold sentence; it
  chose nothing.
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
    reader = open_index(args.indexes / "squad")
    questions = [q for q in load_questions(COLLECTIONS["squad"]) if q.relevance]
    parts = {split: list(examples(reader, [q for q in questions if q.split == split]))
             for split in ("fit", "choose", "report")}
    first = fit_trees(parts["fit"])
    chosen = {"questions": len(parts["choose"]),
              **given_gold(ShortModel(first, 0.0), parts["choose"])}
    logger.info("fitted on fit; given the gold sentence, choose: %s", chosen)
    threshold = choose_threshold(args.indexes / "squad", first, questions)
    shortlist_trees, keep, agree = choose_shortlist(first, parts["choose"])
    logger.info("shortlist: %d spans after %d trees (the same best span for %.4f of choose)",
                keep, shortlist_trees, agree)
    trees = fit_trees(parts["fit"] + parts["choose"])  # what ships: the same settings
    model = ShortModel(trees, threshold, shortlist_trees, keep)
    whole = ShortModel(trees, threshold)
    given = {"choose_by_the_model_fitted_on_fit": chosen,
             "report": {"questions": len(parts["report"]), **given_gold(model, parts["report"]),
                        "without_the_shortlist": given_gold(whole, parts["report"]),
                        "same_span_as_without": same_best(model, whole, parts["report"])}}
    logger.info("fitted on fit + choose; given the gold sentence, report: %s", given["report"])
    end_to_end = report_end_to_end(args.indexes / "squad", model, questions)
    figures = {"given_gold_sentence": given, "end_to_end": end_to_end,
               "chosen": {"threshold": threshold, "shortlist": {
                   "trees": shortlist_trees, "keep": keep, "same_span_on_choose": agree}}}
    for key, value in figures.items():
        print(f"{key}: {value}")
    if args.dry_run:
        return
    write_model(
        MODELS_DIR / f"{MODEL_KIND}-v{MODEL_VERSION}.json", kind=MODEL_KIND,
        version=MODEL_VERSION, made_by="train/fit_short.py",
        params={"trees": trees.to_dict(), "threshold": threshold,
                "shortlist": {"trees": shortlist_trees, "keep": keep}},
        provenance={"trained_on": f"squad-dev fit and choose parts "
                                  f"({len(parts['fit']) + len(parts['choose'])} questions, "
                                  "CC BY-SA 4.0)",
                    "chosen_on": "squad choose part (the threshold, with the model fitted "
                                 "on the fit part alone)",
                    "reported_on": "squad report part"},
        figures=figures)


def fit_trees(examples_: list) -> TreeModel:
    """The ranking trees over the candidate spans of `examples_` (one group a question)."""
    import lightgbm as lgb

    x = np.concatenate([e[3] for e in examples_])
    y = np.concatenate([graded(e[0], e[1], e[2], e[4]) for e in examples_])
    logger.info("%d questions, %d candidate spans, %.3f exact", len(examples_), len(y),
                float((y == 3).mean()))
    # Small enough to score a quote's ~100 spans in a fraction of a millisecond.
    model = lgb.LGBMRanker(objective="lambdarank", n_estimators=300, num_leaves=15,
                           learning_rate=0.08, min_child_samples=20, random_state=0, n_jobs=1,
                           deterministic=True, verbose=-1)
    model.fit(x, y, group=[len(e[4]) for e in examples_])
    return TreeModel.from_booster(model.booster_, SHORT_FEATURES, "lambdarank")


# (trees, spans kept) from the cheapest for a quote's ~100 spans.
SHORTLISTS = ((50, 10), (50, 20), (100, 20))
SAME_SPAN = 0.995


def choose_shortlist(trees: TreeModel, examples_: list) -> tuple[int, int, float]:
    """The cheapest of `SHORTLISTS` that picks the same best span as all the trees over
    all the spans for at least `SAME_SPAN` of the questions, (0, 0, 1.0) if none does."""
    whole = ShortModel(trees, 0.0)
    for first, keep in SHORTLISTS:
        agree = same_best(ShortModel(trees, 0.0, first, keep), whole, examples_)
        logger.info("shortlist of %d after %d trees: the same span for %.4f", keep, first, agree)
        if agree >= SAME_SPAN:
            return first, keep, agree
    return 0, 0, 1.0


def same_best(a: ShortModel, b: ShortModel, examples_: list) -> float:
    return round(float(np.mean([a.best(e[3])[0] == b.best(e[3])[0] for e in examples_])), 4)


def given_gold(model: ShortModel, examples_: list) -> dict[str, float]:
    """SQuAD EM and F1 of the best span of each question's gold sentence."""
    scores = []
    for q, text, offsets, x, _ in examples_:
        a, b = offsets[model.best(x)[0]]
        scores.append(em_f1(text[a:b], q.answers))
    return {"em": round(float(np.mean([s[0] for s in scores])), 4),
            "f1": round(float(np.mean([s[1] for s in scores])), 4)}


def asked(index_dir: Path, short: ShortModel, questions: list[Question]):
    """(probability, EM, F1) of each question's short answer, end to end (0s for none)."""
    assistant = Assistant.open(index_dir, answering=AnswerConfig(short=short))
    rows = []
    for q in questions:
        answer = assistant.ask(q.text)
        if answer.short is None or answer.abstained:
            rows.append((0.0, 0.0, 0.0))
            continue
        em, f1 = em_f1(answer.short.text, q.answers)
        rows.append((answer.short.score, em, f1))
    return rows


def choose_threshold(index_dir: Path, trees: TreeModel, questions: list[Question]) -> float:
    """The threshold maximising end-to-end F1 on the choose questions (a missing short
    answer scores 0, so only clear losers are cut)."""
    rows = asked(index_dir, ShortModel(trees, 0.0), [q for q in questions if q.split == "choose"])
    best_t, best_f1 = 0.0, -1.0
    for t in (0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5):
        f1 = float(np.mean([f if p >= t else 0.0 for p, _, f in rows]))
        if f1 > best_f1 + 1e-4:
            best_t, best_f1 = t, f1
    return best_t


def report_end_to_end(index_dir: Path, short: ShortModel, questions: list[Question]) -> dict:
    rows = asked(index_dir, short, [q for q in questions if q.split == "report"])
    t = short.threshold
    return {"report": {
        "questions": len(rows),
        "em": round(float(np.mean([e if p >= t else 0.0 for p, e, _ in rows])), 4),
        "f1": round(float(np.mean([f if p >= t else 0.0 for p, _, f in rows])), 4),
        "given": round(float(np.mean([p >= t and p > 0 for p, _, _ in rows])), 4)}}


if __name__ == "__main__":
    main()
