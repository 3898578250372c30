"""Evaluation data loading and metrics."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import pytest

from qa.evaluate import (
    BeirDataset,
    EvalDataError,
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

SEED_LINES = [
    {"id": "d01", "q": "When will President Lee travel to Nara?",
     "answers": ["Tuesday and Wednesday"]},
    {"id": "d02", "q": "Who is the Japanese prime minister Lee will meet?",
     "answers": ["Sanae Takaichi", "Takaichi"]},
    {"id": "x01", "q": "What is the exchange rate between the won and the yen?", "answers": [],
     "unanswerable": True},
]
RTQA_LINES = [
    {"_id": "20220617_0", "text": "Which wildly popular show was recently green lit?",
     "choices": ["“Squid Game”", "“Friends”"], "answer_idx": [0], "answers": ["“Squid Game”"],
     "date": "2022/06/16", "source": "CNN", "evidence": "...", "gold_docs": ["d41d01a7e3a50"]},
    {"_id": "20220617_1", "text": "Which continent will require a common charger?",
     "answers": ["Europe"], "date": "2022/06/16", "gold_docs": ["d28507c9dc2e9", "dx"]},
]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def make_beir(folder: Path, *, layout: str) -> Path:
    write_jsonl(folder / "corpus.jsonl", [{"_id": "d1", "title": "T", "text": "x"}])
    queries = [{"_id": "1", "text": "first"}, {"_id": "2", "text": "second"},
               {"_id": "3", "text": "no judgements"}]
    qrels = "query-id\tcorpus-id\tscore\n1\td1\t1\n1\td2\t2\n2\td3\t1\n"
    if layout == "beir":
        write_jsonl(folder / "queries.jsonl", queries)
        (folder / "qrels").mkdir()
        (folder / "qrels" / "test.tsv").write_text(qrels, encoding="utf-8")
        (folder / "qrels" / "train.tsv").write_text("query-id\tcorpus-id\tscore\n3\td1\t1\n",
                                                    encoding="utf-8")
    else:
        write_jsonl(folder / "queries.test.jsonl", queries)
        (folder / "qrels.test.tsv").write_text(qrels, encoding="utf-8")
    return folder


# -- loading ----------------------------------------------------------------------------------

def test_load_seed_format(tmp_path: Path) -> None:
    examples = load_qa_dataset(write_jsonl(tmp_path / "questions.dev.jsonl", SEED_LINES))
    assert examples[0] == QAExample("d01", "When will President Lee travel to Nara?",
                                    ("Tuesday and Wednesday",))
    assert examples[1].answers == ("Sanae Takaichi", "Takaichi")
    assert examples[2].unanswerable and examples[2].answers == ()
    assert all(e.date is None and e.gold_docs == () for e in examples)


def test_load_realtimeqa_format(tmp_path: Path) -> None:
    examples = load_qa_dataset(write_jsonl(tmp_path / "questions.dev.jsonl", RTQA_LINES))
    first = examples[0]
    assert first.id == "20220617_0"
    assert first.question == "Which wildly popular show was recently green lit?"
    assert first.answers == ("“Squid Game”",)
    assert first.date == date(2022, 6, 16)
    assert first.gold_docs == ("d41d01a7e3a50",)
    assert not first.unanswerable
    assert examples[1].gold_docs == ("d28507c9dc2e9", "dx")


def test_load_from_a_folder_and_ids_default_to_line_numbers(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "questions.jsonl", [{"q": "Why?", "answers": ["because"]}])
    (tmp_path / "articles.jsonl").write_text("", encoding="utf-8")
    (example,) = load_qa_dataset(tmp_path)
    assert example.id == "questions:1"


def test_blank_lines_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('\n{"q": "A?", "answers": ["a"]}\n\n', encoding="utf-8")
    assert [e.id for e in load_qa_dataset(path)] == ["q:2"]


@pytest.mark.parametrize(("content", "message"), [
    ('{"q": "A?", "answers": ["a"]}\n{oops\n', r"q\.jsonl:2: not valid JSON"),
    ('["q", "answers"]\n', "expected a JSON object"),
    ('{"answers": ["a"]}\n', "no question text"),
    ('{"q": "A?", "answers": "a"}\n', "must be a list of strings"),
    ('{"q": "A?", "answers": ["a"], "date": "June 16"}\n', "bad date 'June 16'"),
])
def test_malformed_questions(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(EvalDataError, match=message):
        load_qa_dataset(path)


def test_missing_or_ambiguous_question_files(tmp_path: Path) -> None:
    with pytest.raises(EvalDataError, match="no evaluation data"):
        load_qa_dataset(tmp_path / "nope.jsonl")
    write_jsonl(tmp_path / "questions.dev.jsonl", SEED_LINES)
    write_jsonl(tmp_path / "questions.test.jsonl", SEED_LINES)
    with pytest.raises(EvalDataError, match="expected one questions"):
        load_qa_dataset(tmp_path)


@pytest.mark.parametrize("layout", ["beir", "flat"])
def test_load_beir_layouts(tmp_path: Path, layout: str) -> None:
    data = load_beir(make_beir(tmp_path, layout=layout))
    assert data == BeirDataset(tmp_path / "corpus.jsonl", {"1": "first", "2": "second"},
                               {"1": {"d1": 1, "d2": 2}, "2": {"d3": 1}}, "test")


def test_load_beir_other_split(tmp_path: Path) -> None:
    data = load_beir(make_beir(tmp_path, layout="beir"), split="train")
    assert data.queries == {"3": "no judgements"}
    with pytest.raises(EvalDataError, match="no qrels for split 'dev'"):
        load_beir(tmp_path, split="dev")


def test_load_beir_trec_qrels_without_header(tmp_path: Path) -> None:
    make_beir(tmp_path, layout="flat")
    (tmp_path / "qrels.test.tsv").write_text("1 0 d9 1\n", encoding="utf-8")
    assert load_beir(tmp_path).qrels == {"1": {"d9": 1}}


@pytest.mark.parametrize(("setup", "message"), [
    (lambda p: None, "no corpus.jsonl"),
    (lambda p: write_jsonl(p / "corpus.jsonl", []), "no qrels"),
    (lambda p: (write_jsonl(p / "corpus.jsonl", []),
                (p / "qrels.test.tsv").write_text("q\td\ts\n1\td1\tone\n", encoding="utf-8")),
     "expected 'query-id corpus-id score'"),
    (lambda p: (write_jsonl(p / "corpus.jsonl", []),
                (p / "qrels.test.tsv").write_text("query-id\tcorpus-id\tscore\n")),
     "no judgements"),
])
def test_bad_beir_folders(tmp_path: Path, setup, message: str) -> None:
    setup(tmp_path)
    with pytest.raises(EvalDataError, match=message):
        load_beir(tmp_path)


def test_detect_eval_format(tmp_path: Path) -> None:
    seed = write_jsonl(tmp_path / "seed" / "questions.dev.jsonl", SEED_LINES)
    rtqa = write_jsonl(tmp_path / "rtqa" / "questions.dev.jsonl", RTQA_LINES)
    beir = make_beir(tmp_path / "beir", layout="flat")
    assert detect_eval_format(seed) == "qa"
    assert detect_eval_format(seed.parent) == "qa"
    assert detect_eval_format(rtqa) == "realtimeqa"
    assert detect_eval_format(str(rtqa.parent)) == "realtimeqa"
    assert detect_eval_format(beir) == "beir"
    odd = write_jsonl(tmp_path / "odd.jsonl", [{"title": "x"}])
    with pytest.raises(EvalDataError, match="cannot tell the format"):
        detect_eval_format(odd)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(EvalDataError, match="holds no questions"):
        detect_eval_format(empty)


# -- metrics ----------------------------------------------------------------------------------

def test_ndcg_by_hand() -> None:
    # Relevant: a (2), b (1). Ranking: x, a, b.
    # DCG = 2/log2(3) + 1/log2(4) = 1.26186 + 0.5 = 1.76186
    # IDCG = 2/log2(2) + 1/log2(3) = 2 + 0.63093 = 2.63093; nDCG = 0.66967
    qrels = {"a": 2, "b": 1, "c": 0}
    expected = (2 / math.log2(3) + 1 / 2) / (2 + 1 / math.log2(3))
    assert ndcg_at_k(["x", "a", "b"], qrels, 10) == pytest.approx(expected)
    assert ndcg_at_k(["x", "a", "b"], qrels, 10) == pytest.approx(0.6697, abs=1e-4)


@pytest.mark.parametrize(("ranking", "k", "expected"), [
    (["a", "b"], 10, 1.0),
    (["b", "a"], 10, (1 + 2 / math.log2(3)) / (2 + 1 / math.log2(3))),
    (["x", "a"], 1, 0.0),
    (["a"], 1, 1.0),  # the ideal at k=1 is just "a"
    ([], 10, 0.0),
    (["a", "a", "a", "b"], 2, 1.0),  # duplicates count once
    (["c"], 10, 0.0),  # judged non-relevant
])
def test_ndcg_cases(ranking: list[str], k: int, expected: float) -> None:
    assert ndcg_at_k(ranking, {"a": 2, "b": 1, "c": 0}, k) == pytest.approx(expected)


def test_metrics_without_relevant_documents_are_zero() -> None:
    for metric in (ndcg_at_k, recall_at_k, mrr_at_k):
        assert metric(["a"], {"a": 0}, 10) == 0.0
        assert metric(["a"], {}, 10) == 0.0


@pytest.mark.parametrize(("ranking", "k", "expected"), [
    (["a", "x", "b"], 2, 0.5),
    (["a", "x", "b"], 3, 1.0),
    (["a", "a", "b"], 2, 1.0),  # "a a" is one document, so b is 2nd
    (["x", "y"], 10, 0.0),
])
def test_recall_at_k(ranking: list[str], k: int, expected: float) -> None:
    assert recall_at_k(ranking, {"a": 1, "b": 1}, k) == pytest.approx(expected)


@pytest.mark.parametrize(("ranking", "k", "expected"), [
    (["a"], 10, 1.0),
    (["x", "b"], 10, 0.5),
    (["x", "x", "x", "b"], 10, 0.5),
    (["x", "y", "b"], 2, 0.0),
    ([], 10, 0.0),
])
def test_mrr_at_k(ranking: list[str], k: int, expected: float) -> None:
    assert mrr_at_k(ranking, {"a": 1, "b": 1}, k) == pytest.approx(expected)


@pytest.mark.parametrize(("text", "answers", "expected"), [
    ("Netflix said Squid Game is back.", ["“Squid Game”"], True),
    ("the hit show “Squid Game“ is back", ['"Squid Game"'], True),
    ("The trip is on Tuesday and  Wednesday.", ["tuesday and wednesday"], True),
    ("The trip is on Tuesday and\nWednesday.", ["Tuesday and Wednesday"], True),
    ("Japan’s 1910–45 colonial rule", ["Japan's 1910-45"], True),
    ("It’s done", ["it's"], True),
    ("The Blue House said so.", ["SARAH KIM", "Blue House"], True),
    ("AI technology", ["AI"], True),
    ("Wi said it.", ["AI"], False),  # whole words only: "said" does not contain the answer
    ("Flooding killed 183.", ["18"], False),
    ("Nothing here.", ["Europe"], False),
    ("Nothing here.", [], False),
    ("Nothing here.", ["", "“”"], False),
    ("Ｓｑｕｉｄ Game", ["Squid Game"], True),  # NFKC full-width letters
])
def test_contains_answer(text: str, answers: list[str], expected: bool) -> None:
    assert contains_answer(text, answers) is expected


@pytest.mark.parametrize(("pairs", "expected"), [
    ([(True, True), (True, False), (False, True), (False, False)], (0.5, 0.5)),
    ([(True, True), (False, False)], (1.0, 1.0)),
    ([(False, True), (False, False)], (0.0, 0.0)),
    ([(True, False)], (0.0, 0.0)),
    ([(False, False)], (1.0, 1.0)),
    ([], (1.0, 1.0)),
    ([(True, True), (True, True), (True, False), (False, True)], (2 / 3, 2 / 3)),
])
def test_abstention_scores(pairs: list[tuple[bool, bool]],
                           expected: tuple[float, float]) -> None:
    assert abstention_scores(pairs) == pytest.approx(expected)



def test_a_hit_is_credited_for_its_folded_copies(story_index) -> None:  # type: ignore[no-untyped-def]
    """The gold article is the wire copy, which the index folds into the original: the hit
    on the original counts for it."""
    from index import HashEmbedder
    from qa import Assistant
    from qa.eval_run import _credited

    assistant = Assistant.open(story_index, embedder=HashEmbedder())
    gold = {"2026-03-10-wire-ferry": 1}
    assert _credited(assistant, "2026-03-10-ferry-approved", gold) == "2026-03-10-wire-ferry"
    assert _credited(assistant, "2026-03-03-ferry-plan", gold) == "2026-03-03-ferry-plan"
