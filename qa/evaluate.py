"""Evaluation data and metrics: QA datasets, BEIR retrieval sets, nDCG/recall/MRR, answer checks.

Pure functions over plain data; `qa.eval_run` wires them to an `Assistant` for `newsqa eval`
(and averages the metrics over a dataset).

Formats:
- "qa": JSONL with `{"id"?, "q", "answers": [...], "unanswerable"?: bool}` per line (also
  accepts `question`/`_id`, and `date`/`gold_docs` when present).
- "realtimeqa": JSONL with `_id`, `text` (the question), `answers`, `date` ("YYYY/MM/DD"),
  `gold_docs`; a folder holding `questions*.jsonl` next to `articles.jsonl`.
- "beir": a folder with `corpus.jsonl`, `queries*.jsonl` and qrels, either in BEIR's layout
  (`qrels/test.tsv`) or flat (`qrels.test.tsv`); qrels are TSV with a header
  `query-id corpus-id score`.

Retrieval metrics are document-level: a ranking is deduplicated (first occurrence kept) before
scoring, so two chunks of one article count once. nDCG follows trec_eval: gain = relevance,
discount log2(rank + 1), the ideal ranking built from all judged documents with relevance > 0.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import re
import string
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from qa.errors import QAError

__all__ = [
    "BeirDataset",
    "EvalDataError",
    "QAExample",
    "abstention_scores",
    "contains_answer",
    "detect_eval_format",
    "load_beir",
    "load_qa_dataset",
    "mrr_at_k",
    "ndcg_at_k",
    "recall_at_k",
    "squad_em_f1",
]

logger = logging.getLogger(__name__)

EvalFormat = Literal["qa", "realtimeqa", "beir"]
_SPLIT_PREFERENCE = ("test", "dev", "validation", "val", "train")


class EvalDataError(QAError, ValueError):
    """An evaluation file or folder is missing or malformed."""


@dataclass(frozen=True)
class QAExample:
    """One question with its accepted answer strings; `gold_docs` are article ids that answer
    it (realtimeqa), `date` the day it was asked, when known."""

    id: str
    question: str
    answers: tuple[str, ...]
    unanswerable: bool = False
    gold_docs: tuple[str, ...] = ()
    date: dt.date | None = None


@dataclass(frozen=True)
class BeirDataset:
    """A BEIR retrieval set: `queries` maps query id to text (only queries with qrels),
    `qrels` maps query id to {doc id: relevance}; `corpus_path` is the corpus JSONL."""

    corpus_path: Path
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    split: str = "test"
    answers: dict[str, tuple[str, ...]] = field(default_factory=dict)  # when queries carry them
    dates: dict[str, dt.date] = field(default_factory=dict)  # the queries' `date`, when given


def detect_eval_format(path: str | Path) -> EvalFormat:
    """"beir" for a folder with corpus.jsonl, else "realtimeqa" or "qa" from the first record of
    the questions file (`path` itself, or the folder's single questions*.jsonl)."""
    path = Path(path)
    if path.is_dir() and (path / "corpus.jsonl").is_file():
        return "beir"
    record = next(_read_jsonl(_questions_file(path)), None)
    if record is None:
        raise EvalDataError(f"{path} holds no questions; expected JSONL records")
    _, obj = record
    if "q" in obj or "question" in obj:
        return "qa"
    if "text" in obj and ("answers" in obj or "gold_docs" in obj):
        return "realtimeqa"
    raise EvalDataError(f"cannot tell the format of {path}: the first record has keys "
                        f"{sorted(obj)}; expected 'q' and 'answers' (qa) or 'text', 'answers' "
                        "and 'date' (realtimeqa), or a BEIR folder with corpus.jsonl")


def load_qa_dataset(path: str | Path) -> list[QAExample]:
    """Read a "qa" or "realtimeqa" questions file (or a folder with one questions*.jsonl).

    A question without answers and without an `unanswerable` flag counts as unanswerable.
    """
    source = _questions_file(Path(path))
    examples = []
    for line, obj in _read_jsonl(source):
        question = obj.get("q", obj.get("question", obj.get("text")))
        answers = obj.get("answers", [])
        if not isinstance(question, str) or not question.strip():
            raise EvalDataError(f"{source}:{line}: no question text (keys 'q', 'question' or "
                                f"'text'); got keys {sorted(obj)}")
        if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
            raise EvalDataError(f"{source}:{line}: 'answers' must be a list of strings, "
                                f"not {answers!r}")
        examples.append(QAExample(
            id=str(obj.get("id", obj.get("_id", f"{source.stem}:{line}"))),
            question=question.strip(),
            answers=tuple(answers),
            unanswerable=bool(obj.get("unanswerable", not answers)),
            gold_docs=tuple(str(d) for d in obj.get("gold_docs", ())),
            date=_parse_date(obj.get("date"), f"{source}:{line}"),
        ))
    logger.info("loaded %d questions from %s", len(examples), source)
    return examples


def load_beir(folder: str | Path, *, split: str | None = None) -> BeirDataset:
    """Read a BEIR folder; `split` defaults to the first of test/dev/validation/train with qrels."""
    folder = Path(folder)
    corpus = folder / "corpus.jsonl"
    if not corpus.is_file():
        raise EvalDataError(f"no corpus.jsonl in {folder}; expected a BEIR folder")
    qrels_files = {p.stem: p for p in sorted((folder / "qrels").glob("*.tsv"))}
    qrels_files.update({p.name.split(".")[1]: p for p in sorted(folder.glob("qrels.*.tsv"))})
    if not qrels_files and (folder / "qrels.tsv").is_file():
        qrels_files["all"] = folder / "qrels.tsv"
    if not qrels_files:
        raise EvalDataError(f"no qrels in {folder}; expected qrels/test.tsv or qrels.test.tsv")
    if split is None:
        split = next((s for s in _SPLIT_PREFERENCE if s in qrels_files), sorted(qrels_files)[0])
    if split not in qrels_files:
        raise EvalDataError(f"no qrels for split {split!r} in {folder}; "
                            f"found {sorted(qrels_files)}")
    qrels = _read_qrels(qrels_files[split])
    queries_file = folder / f"queries.{split}.jsonl"
    if not queries_file.is_file():
        queries_file = folder / "queries.jsonl"
    if not queries_file.is_file():
        raise EvalDataError(f"no queries.{split}.jsonl or queries.jsonl in {folder}")
    records = [(line, obj) for line, obj in _read_jsonl(queries_file)
               if str(obj.get("_id")) in qrels]
    queries = {str(obj["_id"]): str(obj["text"]) for _, obj in records}
    answers = {str(obj["_id"]): tuple(str(a) for a in obj["answers"]) for _, obj in records
               if isinstance(obj.get("answers"), list) and obj["answers"]}
    dates = {str(obj["_id"]): day for line, obj in records
             if (day := _parse_date(obj.get("date"), f"{queries_file}:{line}")) is not None}
    missing = len(qrels) - len(queries)
    if missing:
        logger.warning("%d queries with qrels are missing from %s", missing, queries_file)
    return BeirDataset(corpus, queries, {q: qrels[q] for q in queries}, split, answers, dates)


# -- metrics ----------------------------------------------------------------------------------

def ndcg_at_k(ranked_doc_ids: Sequence[str], qrels: Mapping[str, int], k: int) -> float:
    """nDCG@k with trec_eval's conventions (gain = relevance, log2(rank + 1) discount)."""
    ranking = _dedupe(ranked_doc_ids)[:k]
    dcg = sum(max(qrels.get(d, 0), 0) / math.log2(i + 2) for i, d in enumerate(ranking))
    ideal = sorted((r for r in qrels.values() if r > 0), reverse=True)[:k]
    idcg = sum(r / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at_k(ranked_doc_ids: Sequence[str], qrels: Mapping[str, int], k: int) -> float:
    """Share of the relevant documents (relevance > 0) in the top k; 0.0 when there are none."""
    relevant = {d for d, r in qrels.items() if r > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(_dedupe(ranked_doc_ids)[:k])) / len(relevant)


def mrr_at_k(ranked_doc_ids: Sequence[str], qrels: Mapping[str, int], k: int) -> float:
    """1 / rank of the first relevant document within the top k, else 0.0."""
    for i, doc in enumerate(_dedupe(ranked_doc_ids)[:k]):
        if qrels.get(doc, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def contains_answer(text: str, answers: Iterable[str]) -> bool:
    """Whether any answer occurs in `text` as whole words, ignoring case, curly vs straight
    quotes, dash variants, runs of whitespace and quote marks around the answer."""
    haystack = _normalise(text)
    for answer in answers:
        needle = _normalise(answer).strip(_QUOTES + " ")
        if needle and re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", haystack):
            return True
    return False


def squad_em_f1(prediction: str | None, answers: Iterable[str]) -> tuple[float, float]:
    """SQuAD v1.1's official exact match and F1 of `prediction` against the best answer
    (lower case, punctuation and articles removed, whitespace collapsed); (0, 0) for None."""
    answers = list(answers)
    if not prediction or not answers:
        return 0.0, 0.0
    guess = _squad_normal(prediction)
    em = max(float(guess == _squad_normal(a)) for a in answers)
    return em, max(_token_f1(guess.split(), _squad_normal(a).split()) for a in answers)


def _squad_normal(text: str) -> str:
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(re.sub(r"\b(a|an|the)\b", " ", text).split())


def _token_f1(guess: list[str], truth: list[str]) -> float:
    common = sum((Counter(guess) & Counter(truth)).values())
    if not common:
        return 0.0
    precision, recall = common / len(guess), common / len(truth)
    return 2 * precision * recall / (precision + recall)


def abstention_scores(pairs: Iterable[tuple[bool, bool]]) -> tuple[float, float]:
    """(precision, recall) of abstaining, from (predicted_abstain, should_abstain) pairs.

    An undefined ratio is 1.0 when there was nothing to get wrong (no abstentions predicted and
    none due) and 0.0 otherwise.
    """
    pairs = list(pairs)
    tp = sum(1 for p, s in pairs if p and s)
    predicted = sum(1 for p, _ in pairs if p)
    due = sum(1 for _, s in pairs if s)
    vacuous = 1.0 if predicted == due == 0 else 0.0
    return (tp / predicted if predicted else vacuous, tp / due if due else vacuous)


# -- helpers ----------------------------------------------------------------------------------

_QUOTES = "\"'`«»‹›"
_PUNCTUATION = frozenset(string.punctuation)
_TRANSLATE = str.maketrans({"“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "‘": "'",
                            "’": "'", "‚": "'", "‛": "'", "′": "'", "‐": "-", "‑": "-",
                            "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-"})


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_TRANSLATE)
    return " ".join(text.split()).casefold()


def _dedupe(ids: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def _questions_file(path: Path) -> Path:
    if path.is_file():
        return path
    if not path.is_dir():
        raise EvalDataError(f"no evaluation data at {path}; pass a questions JSONL file or a "
                            "folder that holds one")
    found = sorted(path.glob("questions*.jsonl"))
    if len(found) != 1:
        names = [p.name for p in found] or "none"
        raise EvalDataError(f"expected one questions*.jsonl in {path}, found {names}; "
                            "pass the file itself")
    return found[0]


def _read_jsonl(path: Path) -> Iterable[tuple[int, dict[str, Any]]]:
    """(1-based line number, object) for each non-blank line."""
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise EvalDataError(f"{path}:{n}: not valid JSON ({e.msg}); "
                                    "expected one JSON object per line") from e
            if not isinstance(obj, dict):
                raise EvalDataError(f"{path}:{n}: expected a JSON object, not {obj!r:.60}")
            yield n, obj


def _read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """query id -> {doc id: relevance}; "qid docid score" (header optional) or TREC's
    "qid 0 docid score"."""
    qrels: dict[str, dict[str, int]] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        fields = line.split()
        if not fields or (n == 1 and not fields[-1].lstrip("-").isdigit()):
            continue  # blank line or the header
        if len(fields) not in (3, 4) or not fields[-1].lstrip("-").isdigit():
            raise EvalDataError(f"{path}:{n}: expected 'query-id corpus-id score', "
                                f"not {line!r}")
        qrels.setdefault(fields[0], {})[fields[-2]] = int(fields[-1])
    if not qrels:
        raise EvalDataError(f"{path} holds no judgements; expected 'query-id corpus-id score' "
                            "lines after the header")
    return qrels


def _parse_date(value: object, where: str) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value).replace("/", "-"))
    except ValueError as e:
        raise EvalDataError(f"{where}: bad date {value!r}; expected YYYY/MM/DD or "
                            "YYYY-MM-DD") from e
