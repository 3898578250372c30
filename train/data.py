"""The labelled dev collections the learned parts are fitted, chosen and checked on, and how
each is split. Data is read from ../shared/data (never copied into the repository).

Splits are fixed and documented, so every figure can say which questions chose it:

- squad-dev (CC BY-SA 4.0; the only set shipped weights are *trained* on): paragraphs in
  blocks of 40 consecutive ids (a Wikipedia article's paragraphs are consecutive), a block's
  crc32 mod 5 gives its part: 0-2 "fit" (trains the sentence selector and the short-answer
  model), 3 "choose", 4 "report".
- realtimeqa-evidence-dev: quizzes of 2020-2021 "choose", 2022-2023 "report" (the held-out
  set of the product is later quizzes, so reporting on the later half is the honest order).
- realtimeqa-2022 dev: quiz weeks by crc32 of the date: even "choose", odd "report".
- scifact test: even query ids "choose", odd "report".
- seed: its 14 questions are only checked, never chosen on.
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("NEWSQA_SHARED", REPO.parent / "shared"))
DATA = SHARED / "data"

__all__ = ["COLLECTIONS", "DATA", "Collection", "Question", "load_questions", "split_of"]


@dataclass(frozen=True)
class Question:
    """One labelled question: gold article ids (graded relevance), answer strings, the
    answer's character spans in its gold passage (squad only), the quiz date."""

    id: str
    text: str
    answers: tuple[str, ...]
    relevance: dict[str, int]
    asked: date | None = None
    spans: tuple[tuple[int, int], ...] = ()
    unanswerable: bool = False
    split: str = "report"


@dataclass(frozen=True)
class Collection:
    name: str
    corpus: Path  # what `newsqa build` indexes
    questions: Path
    kind: str  # squad | evidence | realtimeqa | beir | seed
    qrels: Path | None = None
    notes: dict[str, str] = field(default_factory=dict)


COLLECTIONS = {
    "squad": Collection("squad", DATA / "squad-dev/corpus.jsonl",
                        DATA / "squad-dev/queries.jsonl", "squad"),
    "evidence": Collection("evidence", DATA / "realtimeqa-evidence-dev/corpus.jsonl",
                           DATA / "realtimeqa-evidence-dev/queries.jsonl", "evidence"),
    "realtimeqa": Collection("realtimeqa", DATA / "realtimeqa-2022/articles.jsonl",
                             DATA / "realtimeqa-2022/questions.dev.jsonl", "realtimeqa"),
    "scifact": Collection("scifact", DATA / "scifact/corpus.jsonl",
                          DATA / "scifact/queries.test.jsonl", "beir",
                          qrels=DATA / "scifact/qrels.test.tsv"),
    "seed": Collection("seed", DATA / "seed", DATA / "seed/questions.dev.jsonl", "seed"),
}


def split_of(kind: str, qid: str, gold: str | None, asked: date | None) -> str:
    """The split of a question (see the module docstring)."""
    if kind == "squad":
        block = int(str(gold).lstrip("p")) // 40
        return ("fit", "fit", "fit", "choose", "report")[zlib.crc32(str(block).encode()) % 5]
    if kind == "evidence":
        return "choose" if asked is not None and asked.year <= 2021 else "report"
    if kind == "realtimeqa":
        key = asked.isoformat() if asked else qid
        return "choose" if zlib.crc32(key.encode()) % 2 == 0 else "report"
    if kind == "beir":
        return "choose" if qid.isdigit() and int(qid) % 2 == 0 else "report"
    return "report"


def load_questions(collection: Collection) -> list[Question]:
    """The collection's labelled questions, with their split."""
    qrels = _qrels(collection.qrels) if collection.qrels else None
    out = []
    for obj in _jsonl(collection.questions):
        kind = collection.kind
        qid = str(obj.get("_id") or obj.get("id"))
        text = obj.get("text") or obj.get("q") or obj.get("question")
        asked = _date(obj.get("date"))
        if kind in ("squad", "evidence"):
            gold = obj["gold_passage"]
            rel = {gold: 1}
        elif kind == "realtimeqa":
            gold, rel = None, dict.fromkeys(obj.get("gold_docs", []), 1)
        elif kind == "beir":
            if qrels is None or qid not in qrels:
                continue
            gold, rel = None, qrels[qid]
        else:
            gold, rel = None, {}
        spans = tuple((a, b + 1) for a, b in obj.get("answer_char_spans", []))
        out.append(Question(
            id=qid, text=text, answers=tuple(obj.get("answers", [])), relevance=rel,
            asked=asked, spans=spans, unanswerable=bool(obj.get("unanswerable")),
            split=split_of(kind, qid, gold, asked)))
    return out


def _jsonl(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def _qrels(path: Path) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 3:
            out.setdefault(parts[0], {})[parts[-2]] = int(parts[-1])
    return out


def _date(value: object) -> date | None:
    if not value:
        return None
    return date.fromisoformat(str(value).replace("/", "-")[:10])
