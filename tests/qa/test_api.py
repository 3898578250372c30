"""The public API over a small index built with the hashing embedder (no model)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from qa import Answer, Assistant, QAConfigError, QuestionError


@pytest.fixture
def assistant(hash_index: Path) -> Assistant:
    return Assistant.open(hash_index)


def test_answer_quotes_article_text_exactly(assistant: Assistant) -> None:
    answer = assistant.ask("How many workers did the Chosei coal mine flood kill?")
    assert not answer.abstained
    assert "183" in answer.citations[0].quote
    for citation in answer.citations:
        article = assistant.article(citation.article_id)
        assert getattr(article, citation.field)[citation.start : citation.end] == citation.quote
        assert citation.passage.text == article.text[citation.passage.start : citation.passage.end]


def test_answer_text_is_the_quote_with_markers(assistant: Assistant) -> None:
    answer = assistant.ask("How many workers did the Chosei coal mine flood kill?")
    assert answer.text.startswith(answer.citations[0].quote[:40])
    assert answer.text.rstrip().endswith("[1]")
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))


def test_citation_metadata(assistant: Assistant) -> None:
    answer = assistant.ask("How many workers did the Chosei coal mine flood kill?")
    first = answer.citations[0]
    assert first.title.startswith("Lee, Takaichi to hold summit")
    assert first.published == date(2026, 1, 9)
    assert first.byline == "SARAH KIM"
    assert first.paragraph == 3


def test_relative_dates_resolved_beside_the_quote(assistant: Assistant) -> None:
    answer = assistant.ask("When will the two leaders visit Horyu-ji temple?")
    assert "Horyu-ji" in answer.citations[0].quote
    assert "On Wednesday morning (Jan. 14, 2026)" in answer.text
    assert "(Jan. 14, 2026)" not in answer.citations[0].quote


def test_byline_question(assistant: Assistant) -> None:
    answer = assistant.ask("Who wrote the article about the Nara summit?")
    assert answer.citations[0].field == "byline"
    assert answer.citations[0].quote == "SARAH KIM"
    assert "SARAH KIM" in answer.text


def test_abstains_when_nothing_relevant(assistant: Assistant) -> None:
    answer = assistant.ask("Which team won the baseball championship?")
    assert answer.abstained
    assert "don't answer" in answer.text
    assert len(answer.citations) <= 3


def test_date_filters(assistant: Assistant) -> None:
    answer = assistant.ask("What did the council vote on?", since="2025-11-01", until="2025-11-30")
    assert {c.article_id for c in answer.citations} <= {"harbor-bridge"}
    empty = assistant.ask("What did the council vote on?", since=date(2030, 1, 1))
    assert empty.abstained and empty.citations == ()


def test_source_filter(assistant: Assistant) -> None:
    answer = assistant.ask("How many residents were evacuated?", sources=["volcano"])
    assert {c.article_id for c in answer.citations} == {"volcano"}
    assert "3,000" in answer.citations[0].quote


def test_follow_up_uses_history(assistant: Assistant) -> None:
    first = assistant.ask("What happened at the Chosei coal mine in 1942?")
    follow = assistant.ask(
        "And how many of them were Korean?", history=[(first.question, first.text)]
    )
    assert "Chosei" in follow.query
    assert "136 Korean laborers" in follow.citations[0].quote


def test_json_round_trip(assistant: Assistant) -> None:
    answer = assistant.ask("How many residents were evacuated from Kelua?")
    data = json.loads(answer.to_json())
    assert data["text"] == answer.text
    assert data["citations"][0]["published"] == "2025-12-15"
    assert data["citations"][0]["passage"]["id"].startswith("volcano:")
    assert isinstance(answer, Answer)


@pytest.mark.parametrize("question", ["", "   ", "?!", "\x00\x01", "🌋🌋"])
def test_empty_questions_are_refused(assistant: Assistant, question: str) -> None:
    with pytest.raises(QuestionError, match=r"empty|no words"):
        assistant.ask(question)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"top_k": 0},
        {"top_k": 51},
        {"since": "yesterday"},
        {"since": "2026-02-01", "until": "2026-01-01"},
    ],
)
def test_bad_options_are_refused(assistant: Assistant, kwargs: dict) -> None:
    with pytest.raises(QAConfigError):
        assistant.ask("bridge", **kwargs)


def test_long_and_odd_questions(assistant: Assistant) -> None:
    long = assistant.ask("bridge " * 3000)
    assert long.message and "first" in long.message
    for q in ["🌋 volcano?", "ما هو الجسر؟", "<script>alert(1)</script> bridge", "x"]:
        assert isinstance(assistant.ask(q), Answer)


def test_add_and_remove_articles(assistant: Assistant, tmp_path: Path) -> None:
    new = tmp_path / "upload.md"
    new.write_text(
        "# Zoo welcomes panda twins\n\nThe city zoo said its giant panda gave birth "
        "to twins named Lin and Bao on Saturday.\n",
        encoding="utf-8",
    )
    report = assistant.add_files([new])
    assert len(report.added) == 1
    answer = assistant.ask("What were the panda twins named?")
    assert "Lin and Bao" in answer.citations[0].quote
    added_id = answer.citations[0].article_id
    assistant.remove_article(added_id)
    assert added_id not in {a.id for a in assistant.articles()}
