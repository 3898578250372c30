"""Train the sentence selector (`qa/models/selector-v1.json`) on SQuAD, choose on news.

    python -m train.fit_selector --indexes DIR

DIR as for `train.fit_retrieval` (DIR/squad, DIR/evidence, DIR/realtimeqa, DIR/seed).

What does what:
- **fit** (trains the trees): squad-dev's "fit" part (CC BY-SA 4.0; train/data.py). Each
  question is retrieved by the product (hybrid, shipped fusion) and every sentence of its
  top passages gets the product's features (`qa.selector.sentence_features`). A sentence is
  positive when it holds the answer span (gold passage) or an answer string (another
  passage); gold-passage sentences holding an answer string elsewhere than the span are
  left out as ambiguous.
- **choose**: the number of trees and leaves, by the mean top-1 quote accuracy on squad's
  "choose" part and the news-quiz evidence's "choose" part (2020-2021); the abstention
  threshold, as the highest that keeps answerable "choose" questions abstaining at most
  2% of the time in each of the two (the product promises at most 3%).
- **report**: squad "report", evidence "report" (2022-2023; also asked as of each quiz's
  date, as `newsqa eval --as-of-field date` does), realtimeqa-2022 dev, the seed questions;
  and abstention on questions whose article is not indexed (news-quiz questions against
  the seed article's index).
LightGBM is seeded and single-threaded (deterministic); it is needed to train, not to run.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index import IndexReader, load_embedder, open_index
from qa.evaluate import contains_answer
from qa.models import MODELS_DIR, write_model
from qa.recency import question_period
from qa.retrieve import retrieve_ranked
from qa.selector import (
    ABSTAIN_FEATURES,
    MODEL_KIND,
    MODEL_VERSION,
    SELECTOR_FEATURES,
    Scored,
    Selector,
    abstain_features,
    relative_columns,
    sentence_features,
)
from qa.trees import TreeModel
from qa.types import Hit
from train.data import COLLECTIONS, Question, load_questions

logger = logging.getLogger("train.fit_selector")

PASSAGES = 8  # retrieved and described per question; `choose_passages` picks how many score
PASSAGE_OPTIONS = (8, 6, 5)  # at least 5: an answer cites the top 5 passages by default
# Small models: scoring a question's sentences must cost about a millisecond.
GRID = [(150, 15), (300, 15), (200, 31)]


@dataclass
class Group:
    """One question's candidate sentences: features, labels (1, 0, -1 ambiguous), texts."""

    question: Question
    x: np.ndarray
    y: np.ndarray
    texts: list[str]
    top_dense: float = 0.0


def gold_span(reader: IndexReader, q: Question, raw_text: str | None) -> tuple[int, int] | None:
    """The answer span in the indexed article's text (offsets may shift when the loader
    normalised whitespace: then the answer occurrence nearest the original offset)."""
    if not q.spans or not q.relevance:
        return None
    article = reader.article(next(iter(q.relevance)))
    start, end = q.spans[0]
    if raw_text is not None and article.text == raw_text:
        return start, end
    answer = q.answers[0]
    found = [i for i in _occurrences(article.text, answer)]
    if not found:
        return None
    best = min(found, key=lambda i: abs(i - start))
    return best, best + len(answer)


def _occurrences(text: str, needle: str) -> list[int]:
    out, i = [], text.find(needle)
    while i >= 0:
        out.append(i)
        i = text.find(needle, i + 1)
    return out


def groups_for(reader: IndexReader, questions: list[Question], *, as_of: bool = False,
               raw: dict[str, str] | None = None, exclude=None) -> list[Group]:
    """Retrieve each question as the product does and describe its candidate sentences.
    `exclude(question)` names article ids to leave out of its search (hard negatives)."""
    embedder = load_embedder(reader.embedder_name)
    vectors = embedder.encode([q.text for q in questions], batch_size=64)
    out = []
    for q, v in zip(questions, vectors, strict=True):
        rows = reader.rows_matching(not_after=q.asked) if as_of and q.asked else None
        if exclude is not None:
            gone = set(exclude(q))
            rows = reader.rows_matching(sources=[a.id for a in reader.articles()
                                                 if a.id not in gone])
        period = question_period(q.text, q.asked if as_of else None)
        got = retrieve_ranked(reader, q.text, v, top_k=PASSAGES, rows=rows, period=period)
        if not got.hits:
            continue
        where, x = sentence_features(reader, q.text, got.hits, got.evidence, got.terms)
        span = gold_span(reader, q, (raw or {}).get(next(iter(q.relevance), ""), None))
        labels, texts = [], []
        for i, _, start, end in where:
            hit = got.hits[i]
            text = hit.chunk.text[start - hit.chunk.start: end - hit.chunk.start]
            texts.append(text)
            holds = contains_answer(text, q.answers)
            if span is not None and hit.chunk.article_id in q.relevance:
                inside = start < span[1] and span[0] < end
                labels.append(1 if inside else (-1 if holds else 0))
            else:
                labels.append(1 if holds else 0)
        top_dense = got.hits[0].dense_score or 0.0
        out.append(Group(q, x, np.asarray(labels), texts, float(top_dense)))
    return out


def cached_groups(cache: Path, name: str, make) -> list[Group]:
    """`make()`'s groups, saved to (and later read from) cache/selector-NAME.npz + .json."""
    arrays, meta = cache / f"selector-{name}.npz", cache / f"selector-{name}.json"
    if arrays.exists() and meta.exists():
        with np.load(arrays, allow_pickle=False) as data:
            x_all, y_all = data["x"], data["y"]
        info = json.loads(meta.read_text(encoding="utf-8"))
        bounds = np.concatenate([[0], np.cumsum(info["sizes"])])
        return [Group(Question(**{**q, "answers": tuple(q["answers"]), "spans": ()}),
                      x_all[a:b], y_all[a:b], texts, dense)
                for q, a, b, texts, dense in zip(info["questions"], bounds[:-1], bounds[1:],
                                                 info["texts"], info["top_dense"], strict=True)]
    groups = make()
    cache.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(arrays, x=np.concatenate([g.x for g in groups]),
                        y=np.concatenate([g.y for g in groups]))
    meta.write_text(json.dumps({
        "sizes": [len(g.y) for g in groups], "texts": [g.texts for g in groups],
        "top_dense": [g.top_dense for g in groups],
        "questions": [{"id": g.question.id, "text": g.question.text,
                       "answers": list(g.question.answers), "relevance": g.question.relevance,
                       "split": g.question.split, "unanswerable": g.question.unanswerable}
                      for g in groups]}), encoding="utf-8")
    return groups


def top1(groups: list[Group], predict) -> float:
    """Share of answerable questions whose best-scored sentence holds an answer string."""
    hits = [contains_answer(g.texts[int(np.argmax(predict(g.x)))], g.question.answers)
            for g in groups if len(g.texts)]
    return float(np.mean(hits)) if hits else 0.0


def train(groups: list[Group], trees: int, leaves: int):
    import lightgbm as lgb

    x = np.concatenate([g.x[g.y >= 0] for g in groups])
    y = np.concatenate([g.y[g.y >= 0] for g in groups])
    model = lgb.LGBMClassifier(n_estimators=trees, num_leaves=leaves, learning_rate=0.05,
                               min_child_samples=40, subsample=0.8, subsample_freq=1,
                               colsample_bytree=0.8, random_state=0, n_jobs=1,
                               deterministic=True, verbose=-1)
    model.fit(x, y)
    return TreeModel.from_booster(model.booster_, SELECTOR_FEATURES, "binary")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--indexes", type=Path, required=True)
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--negatives", type=int, default=400,
                        help="news-quiz questions asked of the seed index (abstention check)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    readers = {n: open_index(args.indexes / n) for n in ("squad", "evidence", "realtimeqa", "seed")}
    squad_raw = {}
    for line in COLLECTIONS["squad"].corpus.read_text(encoding="utf-8").splitlines():
        if line.strip():
            obj = json.loads(line)
            squad_raw[obj["_id"]] = obj["text"]
    qs = {n: [q for q in load_questions(COLLECTIONS[n]) if q.relevance] for n in
          ("squad", "evidence", "realtimeqa")}
    cache = args.indexes / "features"
    groups = {
        "squad": cached_groups(cache, "squad", lambda: groups_for(
            readers["squad"], qs["squad"], raw=squad_raw)),
        "evidence": cached_groups(cache, "evidence", lambda: groups_for(
            readers["evidence"], qs["evidence"])),
        "realtimeqa": cached_groups(cache, "realtimeqa", lambda: groups_for(
            readers["realtimeqa"], qs["realtimeqa"])),
        "realtimeqa_as_of": cached_groups(cache, "realtimeqa-as-of", lambda: groups_for(
            readers["realtimeqa"], qs["realtimeqa"], as_of=True)),
        "evidence_as_of": cached_groups(cache, "evidence-as-of", lambda: groups_for(
            readers["evidence"], [q for q in qs["evidence"] if q.split == "report"],
            as_of=True)),
    }
    part = lambda name, split: [g for g in groups[name] if g.question.split == split]  # noqa: E731
    fit = part("squad", "fit")
    logger.info("training on %d squad questions", len(fit))
    best = None
    for trees, leaves in GRID:
        model = train(fit, trees, leaves)
        score = (top1(part("squad", "choose"), model.predict)
                 + top1(part("evidence", "choose"), model.predict)) / 2
        logger.info("%d trees, %d leaves: mean choose top-1 %.4f", trees, leaves, score)
        if best is None or score > best[0] + 1e-4:
            best = (score, trees, leaves, model)
    _, trees, leaves, model = best
    passages = choose_passages(model, [part("squad", "choose"), part("evidence", "choose")])
    logger.info("scoring the sentences of the top %d passages", passages)
    groups = {name: [top_passages(g, passages) for g in gs] for name, gs in groups.items()}
    fit = [top_passages(g, passages) for g in fit]
    blocks = {q.id: block_of(q) for q in qs["squad"]}
    hard = cached_groups(cache, "squad-hard-negatives", lambda: groups_for(
        readers["squad"], [strip(q) for q in qs["squad"] if q.split in ("fit", "report")],
        exclude=lambda q: blocks[q.id]))
    hard = [top_passages(g, passages) for g in hard]
    weights, bias = fit_abstention(model, fit, [g for g in hard if g.question.split == "fit"])
    selector = Selector(model, weights, bias, 0.0)
    threshold = choose_threshold(selector, [part("squad", "choose"), part("evidence", "choose")])
    pair_ratio = choose_pair_ratio(model, part("squad", "choose") + part("evidence", "choose"))
    selector = Selector(model, weights, bias, threshold, pair_ratio, passages)
    negatives = [top_passages(g, passages) for g in cached_groups(
        cache, "negatives", lambda: negative_groups(readers["seed"], qs, args.negatives))]
    figures = report(selector, groups, part, negatives,
                     [g for g in hard if g.question.split == "report"], pair_ratio)
    figures["chosen"] = {"trees": trees, "leaves": leaves, "passages": passages,
                         "abstain_below": threshold, "pair_ratio": pair_ratio}
    for key, value in figures.items():
        print(f"{key}: {value}")
    if args.dry_run:
        return
    write_model(
        MODELS_DIR / f"{MODEL_KIND}-v{MODEL_VERSION}.json", kind=MODEL_KIND,
        version=MODEL_VERSION, made_by="train/fit_selector.py",
        params={"trees": model.to_dict(),
                "abstain": {"features": list(ABSTAIN_FEATURES), "weights": list(weights),
                            "bias": bias, "threshold": threshold},
                "pair_ratio": pair_ratio, "passages": passages},
        provenance={"trained_on": f"squad-dev fit part ({len(fit)} questions, CC BY-SA 4.0); "
                                  "abstention: those questions asked with and without their "
                                  "own Wikipedia article's paragraphs",
                    "chosen_on": "squad choose part, evidence 2020-2021",
                    "reported_on": "squad report part, evidence 2022-2023, realtimeqa-2022 "
                                   "dev, seed article"},
        figures=figures)


def choose_passages(model: TreeModel, choose: list[list[Group]]) -> int:
    """How many top passages to score: the one of `PASSAGE_OPTIONS` with the best mean top-1
    sentence accuracy over the choose sets, the fewest on a tie (a passage less is about
    an eighth less of the selector's time)."""
    options = [(float(np.mean([top1([top_passages(g, n) for g in gs], model.predict)
                               for gs in choose])), n) for n in PASSAGE_OPTIONS]
    for value, n in options:
        logger.info("top %d passages: mean choose top-1 %.4f", n, value)
    best = max(v for v, _ in options)
    return min(n for v, n in options if v >= best - 1e-9)


def top_passages(g: Group, n: int) -> Group:
    """`g` as if only its top `n` passages had been scored: their sentences, with the
    features that compare a sentence with all the others (gaps, ranks) recomputed."""
    keep = g.x[:, SELECTOR_FEATURES.index("passage_rank")] <= n
    if keep.all():
        return g
    x = g.x[keep].copy()
    if len(x):
        relative_columns(x)
    return Group(g.question, x, g.y[keep], [t for t, k in zip(g.texts, keep, strict=True) if k],
                 g.top_dense)


def strip(q: Question) -> Question:
    return Question(q.id, q.text, q.answers, {}, q.asked, (), True, q.split)


def block_of(q: Question) -> list[str]:
    """The paragraphs around the question's own (its block of 40 consecutive ids, which
    holds its Wikipedia article's paragraphs: train/data.py)."""
    block = int(next(iter(q.relevance)).lstrip("p")) // 40
    return [f"p{i:04d}" for i in range(block * 40, block * 40 + 40)]


def question_features(model: TreeModel, g: Group) -> list[float]:
    p = model.predict(g.x)
    order = np.argsort(-p)
    scored = [Scored(0, 0, 0, 0, float(p[k]), 0.0, 0.0) for k in order[:2]]
    hit = Hit(chunk=None, score=0.0, dense_score=g.top_dense)  # type: ignore[arg-type]
    return abstain_features(scored, g.x, [hit])


def fit_abstention(model: TreeModel, positives: list[Group], negatives: list[Group]):
    """Logistic regression: answerable (the question's article indexed) vs not."""
    from sklearn.linear_model import LogisticRegression

    pos = [question_features(model, g) for g in positives if len(g.texts)]
    neg = [question_features(model, g) for g in negatives if len(g.texts)]
    x = np.asarray(pos + neg)
    y = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
    lr = LogisticRegression(C=1.0, max_iter=1000).fit(x, y)
    return tuple(round(float(w), 6) for w in lr.coef_[0]), round(float(lr.intercept_[0]), 6)


def abstains(selector: Selector, g: Group) -> bool:
    f = question_features(selector.trees, g)
    z = selector.abstain_bias + float(np.dot(selector.abstain_weights, f))
    return 1.0 / (1.0 + np.exp(-z)) < selector.threshold


def quote_holds(model: TreeModel, g: Group, pair_ratio: float) -> bool:
    """Whether the quote (best sentence, with its neighbour when nearly as likely) holds an
    answer string; neighbours are sentences next to each other in one passage."""
    p = model.predict(g.x)
    k = int(np.argmax(p))
    text = g.texts[k]
    passage, index = SELECTOR_FEATURES.index("passage_rank"), SELECTOR_FEATURES.index(
        "index_in_chunk")
    best = None
    for d in (-1, 1):
        j = k + d
        if 0 <= j < len(p) and g.x[j, passage] == g.x[k, passage] and \
                g.x[j, index] == g.x[k, index] + d and p[j] >= pair_ratio * p[k] and \
                (best is None or p[j] > p[best]):
            best = j
    if best is not None:
        text = f"{g.texts[best]} {text}" if best < k else f"{text} {g.texts[best]}"
    return contains_answer(text, g.question.answers)


def choose_pair_ratio(model: TreeModel, groups: list[Group]) -> float:
    """The ratio with the best top-1 quote on the choose questions, preferring single
    sentences (higher ratios) on ties."""
    options = [(np.mean([quote_holds(model, g, r) for g in groups if len(g.texts)]), r)
               for r in (1.01, 0.8, 0.65, 0.5, 0.4)]
    best = max(v for v, _ in options)
    return max(r for v, r in options if v >= best - 0.002)


def choose_threshold(selector: Selector, answerable: list[list[Group]]) -> float:
    """The highest threshold at which at most 2% of each collection's answerable "choose"
    questions abstain (under the 3% the product promises, with a margin for new
    questions; the higher the threshold, the more questions whose article is not indexed
    abstain)."""
    limits = []
    for groups in answerable:
        probs = []
        for g in groups:
            if len(g.texts):
                f = question_features(selector.trees, g)
                z = selector.abstain_bias + float(np.dot(selector.abstain_weights, f))
                probs.append(1.0 / (1.0 + np.exp(-z)))
        limits.append(float(np.quantile(probs, 0.02)))
    return round(min(limits) - 5e-4, 4)


def negative_groups(seed: IndexReader, qs: dict[str, list[Question]], n: int) -> list[Group]:
    """News-quiz questions asked of an index that lacks their article (the seed article's)."""
    pool = qs["evidence"] + qs["realtimeqa"]
    chosen = random.Random(0).sample(pool, min(n, len(pool)))
    return groups_for(seed, [strip(q) for q in chosen])


def report(selector: Selector, groups, part, negatives, hard, pair_ratio) -> dict:
    def row(gs):
        gs = [g for g in gs if len(g.texts)]
        return {"questions": len(gs),
                "top1_sentence": round(top1(gs, selector.predict), 4),
                "top1_quote": round(float(np.mean([quote_holds(selector.trees, g, pair_ratio)
                                                   for g in gs])), 4),
                "abstain": round(float(np.mean([abstains(selector, g) for g in gs])), 4)}
    def abstained(gs):
        gs = [g for g in gs if len(g.texts)]
        return {"questions": len(gs),
                "abstain": round(float(np.mean([abstains(selector, g) for g in gs])), 4)}
    return {
        "squad_report": row(part("squad", "report")),
        "evidence_report": row(part("evidence", "report")),
        "evidence_report_as_of_quiz_date": row(groups["evidence_as_of"]),
        "realtimeqa_all": row(groups["realtimeqa"]),
        "realtimeqa_as_of_quiz_date": row(groups["realtimeqa_as_of"]),
        "unanswerable_quiz_vs_seed_index": abstained(negatives),
        "unanswerable_squad_report_without_its_article": abstained(hard),
    }


if __name__ == "__main__":
    main()
