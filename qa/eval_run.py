"""`newsqa eval`: run a dataset through the assistant and report answer and retrieval quality."""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tqdm import tqdm

from qa.api import Assistant
from qa.evaluate import (
    QAExample,
    abstention_scores,
    contains_answer,
    detect_eval_format,
    load_beir,
    load_qa_dataset,
    mrr_at_k,
    ndcg_at_k,
    recall_at_k,
)
from qa.retrieve import retrieve

logger = logging.getLogger(__name__)

MODES = ("dense", "lexical", "hybrid")
DOC_DEPTH = 100


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

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "kind": self.kind,
            "index": self.index_dir,
            "questions": self.questions,
            "seconds": round(self.seconds, 1),
            "metrics": self.rows,
            "failures": self.failures,
        }

    def format(self) -> str:
        metrics = sorted({m for row in self.rows.values() for m in row}, key=_metric_order)
        lines = [
            f"{self.dataset} ({self.kind}, {self.questions} questions, index {self.index_dir})",
            "mode     " + "".join(f"{m:>12}" for m in metrics),
        ]
        for mode, row in self.rows.items():
            lines.append(
                f"{mode:<9}"
                + "".join(f"{row[m]:>12.4f}" if m in row else f"{'-':>12}" for m in metrics)
            )
        for failure in self.failures[:20]:
            lines.append(f"  missed {failure['id']}: {failure['question']!r} -> {failure['got']!r}")
        lines.append(f"({self.seconds:.1f} s)")
        return "\n".join(lines)


_ORDER = [
    "top1",
    "top3",
    "abstain_p",
    "abstain_r",
    "ndcg@10",
    "r@1",
    "r@5",
    "r@10",
    "r@100",
    "mrr@10",
    "mrr",
]


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
) -> EvalReport:
    """Evaluate `dataset` (format detected) against `index_dir`, building it when the dataset
    brings its own corpus (BEIR, realtimeqa) and no index was named."""
    started = time.perf_counter()
    kind = detect_eval_format(dataset)
    modes = MODES if mode == "all" else (mode,)
    if kind == "beir":
        report = _run_beir(dataset, index_dir, modes, model, limit, explicit_index)
    else:
        if kind == "realtimeqa" and not explicit_index:
            folder = dataset if dataset.is_dir() else dataset.parent
            index_dir = _ensure_index(folder / "articles.jsonl", index_dir, folder, model)
        report = _run_qa(dataset, kind, index_dir, modes, limit)
    report.seconds = time.perf_counter() - started
    return report


def _ensure_index(corpus_file: Path, index_dir: Path, dataset: Path, model: str) -> Path:
    from index import build_index, load_embedder

    name = re.sub(r"[^\w.-]+", "-", f"{dataset.resolve().name}-{model}")
    target = index_dir.parent / "eval" / name
    logger.info("syncing the evaluation index %s from %s", target, corpus_file)
    build_index(target, [corpus_file], embedder=load_embedder(model), show_progress=True)
    return target


def _assistants(index_dir: Path, modes: tuple[str, ...]) -> dict[str, Assistant]:
    base = Assistant.open(index_dir)
    out = {}
    for m in modes:
        out[m] = Assistant(
            index_dir, embedder=base.embedder, retrieval=replace(base.retrieval, mode=m)
        )  # type: ignore[arg-type]
    return out


def _run_qa(
    dataset: Path, kind: str, index_dir: Path, modes: tuple[str, ...], limit: int | None
) -> EvalReport:
    examples = load_qa_dataset(dataset)[:limit]
    report = EvalReport(str(dataset), kind, str(index_dir), len(examples))
    for m, assistant in _assistants(index_dir, modes).items():
        report.rows[m], failures = _qa_row(assistant, examples)
        if m == (modes[-1] if "hybrid" not in modes else "hybrid"):
            report.failures = failures
    return report


def _qa_row(assistant: Assistant, examples: list[QAExample]) -> tuple[dict[str, float], list]:
    top1 = top3 = answerable = 0
    abstain_pairs = []
    ranks: list[list[str]] = []
    golds: list[dict[str, int]] = []
    failures = []
    for ex in tqdm(examples, desc="questions", leave=False, disable=None):
        answer = assistant.ask(ex.question, top_k=3)
        abstain_pairs.append((answer.abstained, ex.unanswerable))
        if ex.gold_docs:
            ranks.append(_doc_ranking(assistant, ex.question))
            golds.append(dict.fromkeys(ex.gold_docs, 1))
        if ex.unanswerable:
            continue
        answerable += 1
        quote = answer.citations[0].quote if answer.citations and not answer.abstained else ""
        hit1 = contains_answer(quote, ex.answers)
        top1 += hit1
        top3 += any(contains_answer(h.chunk.text, ex.answers) for h in answer.hits[:3])
        if not hit1:
            failures.append({"id": ex.id, "question": ex.question, "got": answer.text[:160]})
    row: dict[str, float] = {}
    if answerable:
        row["top1"], row["top3"] = top1 / answerable, top3 / answerable
    if any(should for _, should in abstain_pairs):
        row["abstain_p"], row["abstain_r"] = abstention_scores(abstain_pairs)
    if ranks:
        row.update(_retrieval_metrics(ranks, golds, ks=(1, 5, 10)))
    return row, failures


def _doc_ranking(assistant: Assistant, query: str, depth: int = DOC_DEPTH) -> list[str]:
    reader = assistant._current_reader()
    vector = assistant._embed(query) if assistant.retrieval.mode != "lexical" else None
    config = replace(assistant.retrieval, candidates=max(assistant.retrieval.candidates, depth * 3))
    hits = retrieve(reader, query, vector, top_k=depth * 3, config=config)
    ranking: list[str] = []
    for hit in hits:
        if hit.chunk.article_id not in ranking:
            ranking.append(hit.chunk.article_id)
        if len(ranking) >= depth:
            break
    return ranking


def _retrieval_metrics(
    ranks: list[list[str]], golds: list[dict[str, int]], ks: tuple[int, ...]
) -> dict[str, float]:
    n = len(ranks)
    row = {"ndcg@10": sum(ndcg_at_k(r, g, 10) for r, g in zip(ranks, golds, strict=True)) / n}
    for k in ks:
        row[f"r@{k}"] = sum(recall_at_k(r, g, k) for r, g in zip(ranks, golds, strict=True)) / n
    row["mrr@10"] = sum(mrr_at_k(r, g, 10) for r, g in zip(ranks, golds, strict=True)) / n
    return row


def _run_beir(
    folder: Path,
    index_dir: Path,
    modes: tuple[str, ...],
    model: str,
    limit: int | None,
    explicit_index: bool,
) -> EvalReport:
    data = load_beir(folder)
    if explicit_index:
        from index import build_index, load_embedder

        build_index(
            index_dir, [data.corpus_path], embedder=load_embedder(model), show_progress=True
        )
    else:
        index_dir = _ensure_index(data.corpus_path, index_dir, folder, model)
    qids = [q for q in data.queries if q in data.qrels][:limit]
    report = EvalReport(str(folder), "beir", str(index_dir), len(qids))
    for m, assistant in _assistants(index_dir, modes).items():
        ranks = [
            _doc_ranking(assistant, data.queries[q])
            for q in tqdm(qids, desc=f"{m} queries", leave=False, disable=None)
        ]
        golds = [data.qrels[q] for q in qids]
        report.rows[m] = _retrieval_metrics(ranks, golds, ks=(1, 5, 10, 100))
    return report
