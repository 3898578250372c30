"""`newsqa eval`: run a dataset through the assistant and report answer and retrieval quality.

Every question is asked through `Assistant.ask(question, top_k=50)`, once per retrieval mode
(each retriever alone, and the fused hybrid), so the figures are what a user gets:

- answers (questions with answer strings): `top1` the quote holds an answer, `top3` one of
  the first three passages does, `abstain` answerable questions that abstained, and for
  questions marked unanswerable `abstain_p`/`abstain_r`; `short_em`/`short_f1`, SQuAD's
  official exact match and F1 of `Answer.short` (0 when there is none);
- retrieval (questions with gold documents): document level, the distinct articles of
  `hits` in order: nDCG@10, recall@1/5/10, MRR@10. A hit stands for its story's folded
  syndicated copies too (`Assistant.copies_of`): it counts as the gold article when one of
  them is, since the index shows one copy of a story only.

With `as_of_field`, each question is asked as of its own date (e.g. a quiz's `date`).
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from tqdm import tqdm

from qa.api import Assistant
from qa.evaluate import (
    abstention_scores,
    contains_answer,
    detect_eval_format,
    load_beir,
    load_qa_dataset,
    mrr_at_k,
    ndcg_at_k,
    recall_at_k,
    squad_em_f1,
)

logger = logging.getLogger(__name__)

__all__ = ["MODES", "EvalQuestion", "EvalReport", "run_eval"]

MODES = ("dense", "lexical", "hybrid")
HITS = 50


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    question: str
    answers: tuple[str, ...] = ()
    relevance: dict[str, int] = field(default_factory=dict)
    unanswerable: bool = False
    date: date | None = None


@dataclass
class EvalReport:
    """Figures per retrieval mode; `rows[mode]` maps metric name to value."""

    dataset: str
    kind: str
    index_dir: str
    questions: int
    rows: dict[str, dict[str, float]] = field(default_factory=dict)
    seconds: float = 0.0
    failures: list[dict[str, Any]] = field(default_factory=list)
    as_of_field: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset, "kind": self.kind, "index": self.index_dir,
            "questions": self.questions, "as_of_field": self.as_of_field,
            "seconds": round(self.seconds, 1), "metrics": self.rows, "failures": self.failures,
        }

    def format(self) -> str:
        metrics = sorted({m for row in self.rows.values() for m in row}, key=_metric_order)
        dated = f", asked as of each question's '{self.as_of_field}'" if self.as_of_field else ""
        lines = [
            f"{self.dataset} ({self.kind}, {self.questions} questions, index "
            f"{self.index_dir}{dated})",
            "mode     " + "".join(f"{m:>10}" for m in metrics),
        ]
        for mode, row in self.rows.items():
            lines.append(f"{mode:<9}" + "".join(
                f"{row[m]:>10.4f}" if m in row else f"{'-':>10}" for m in metrics))
        for failure in self.failures[:20]:
            lines.append(f"  missed {failure['id']}: {failure['question']!r} -> {failure['got']!r}")
        lines.append(f"({self.seconds:.1f} s)")
        return "\n".join(lines)


_ORDER = ["top1", "top3", "short_em", "short_f1", "abstain", "abstain_p", "abstain_r",
          "ndcg@10", "r@1", "r@5", "r@10", "mrr@10"]


def _metric_order(name: str) -> int:
    return _ORDER.index(name) if name in _ORDER else len(_ORDER)


def run_eval(
    dataset: Path,
    *,
    index_dir: Path,
    mode: str = "all",
    model: str,
    limit: int | None = None,
    explicit_index: bool = False,
    as_of_field: str | None = None,
) -> EvalReport:
    """Evaluate `dataset` (format detected) against `index_dir`, building it when the dataset
    brings its own corpus (BEIR, realtimeqa) and no index was named."""
    started = time.perf_counter()
    kind = detect_eval_format(dataset)
    modes = MODES if mode == "all" else (mode,)
    if kind == "beir":
        data = load_beir(dataset)
        if explicit_index:
            _build(data.corpus_path, index_dir, model)
        else:
            index_dir = _ensure_index(data.corpus_path, index_dir, dataset, model)
        questions = [
            EvalQuestion(q, data.queries[q], data.answers.get(q, ()), data.qrels[q],
                         date=data.dates.get(q))
            for q in data.queries if q in data.qrels]
    else:
        if kind == "realtimeqa" and not explicit_index:
            folder = dataset if dataset.is_dir() else dataset.parent
            index_dir = _ensure_index(folder / "articles.jsonl", index_dir, folder, model)
        questions = [
            EvalQuestion(ex.id, ex.question, ex.answers, dict.fromkeys(ex.gold_docs, 1),
                         ex.unanswerable, ex.date)
            for ex in load_qa_dataset(dataset)]
    if as_of_field not in (None, "date"):
        raise ValueError(f"--as-of-field must be 'date' (the questions' date field), not "
                         f"{as_of_field!r}")
    questions = questions[:limit]
    report = EvalReport(str(dataset), kind, str(index_dir), len(questions),
                        as_of_field=as_of_field)
    base = Assistant.open(index_dir)
    for m in modes:
        assistant = Assistant(index_dir, embedder=base.embedder,
                              retrieval=replace(base.retrieval, mode=m))  # type: ignore[arg-type]
        report.rows[m], failures = _row(assistant, questions, dated=as_of_field is not None,
                                        label=m)
        if m == (modes[-1] if "hybrid" not in modes else "hybrid"):
            report.failures = failures
    report.seconds = time.perf_counter() - started
    return report


def _build(corpus: Path, index_dir: Path, model: str) -> None:
    from index import build_index, load_embedder

    build_index(index_dir, [corpus], embedder=load_embedder(model), show_progress=True)


def _ensure_index(corpus_file: Path, index_dir: Path, dataset: Path, model: str) -> Path:
    name = re.sub(r"[^\w.-]+", "-", f"{dataset.resolve().name}-{model}")
    target = index_dir.parent / "eval" / name
    logger.info("syncing the evaluation index %s from %s", target, corpus_file)
    _build(corpus_file, target, model)
    return target


def _credited(assistant: Assistant, article_id: str, gold: dict[str, int]) -> str:
    """The id a hit is ranked as: its own, or the gold one among its story's copies."""
    if article_id in gold:
        return article_id
    return next((r.id for r in assistant.copies_of(article_id) if r.id in gold), article_id)


def _row(assistant: Assistant, questions: list[EvalQuestion], *, dated: bool,
         label: str) -> tuple[dict[str, float], list[dict[str, Any]]]:
    top1 = top3 = answerable = abstained = 0
    em = f1 = 0.0
    pairs: list[tuple[bool, bool]] = []
    rankings: list[tuple[list[str], dict[str, int]]] = []
    failures = []
    for q in tqdm(questions, desc=f"{label} questions", leave=False, disable=None):
        answer = assistant.ask(q.question, top_k=HITS, as_of=q.date if dated else None)
        pairs.append((answer.abstained, q.unanswerable))
        if q.relevance:
            docs = list(dict.fromkeys(_credited(assistant, h.chunk.article_id, q.relevance)
                                      for h in answer.hits))
            rankings.append((docs, q.relevance))
        if q.unanswerable or not q.answers:
            continue
        answerable += 1
        abstained += answer.abstained
        quote = answer.citations[0].quote if answer.citations and not answer.abstained else ""
        hit1 = contains_answer(quote, q.answers)
        top1 += hit1
        top3 += any(contains_answer(h.chunk.text, q.answers) for h in answer.hits[:3])
        short = answer.short.text if answer.short and not answer.abstained else None
        e, f = squad_em_f1(short, q.answers)
        em, f1 = em + e, f1 + f
        if not hit1:
            failures.append({"id": q.id, "question": q.question, "got": answer.text[:160]})
    row: dict[str, float] = {}
    if answerable:
        row.update(top1=top1 / answerable, top3=top3 / answerable, short_em=em / answerable,
                   short_f1=f1 / answerable, abstain=abstained / answerable)
    if any(should for _, should in pairs):
        row["abstain_p"], row["abstain_r"] = abstention_scores(pairs)
    if rankings:
        n = len(rankings)
        row["ndcg@10"] = sum(ndcg_at_k(r, g, 10) for r, g in rankings) / n
        for k in (1, 5, 10):
            row[f"r@{k}"] = sum(recall_at_k(r, g, k) for r, g in rankings) / n
        row["mrr@10"] = sum(mrr_at_k(r, g, 10) for r, g in rankings) / n
    return row, failures
