"""Odd questions get a sensible answer or a clear message, fast: through `Assistant.ask`
and through the UI handler that the served app calls. Fuzz: 2 hypothesis tests x 150
examples, plus the named cases below."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index import HashEmbedder
from qa import Answer, Assistant, QuestionError
from ui.handlers import ask_question

FAST_SECONDS = 2.0
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

ANSWERED = {
    "single character": "x",
    "single digit": "7",
    "10,000 characters": ("How much will the harbor bridge cost " * 300)[:10_000],
    "10,000 characters, no spaces": "b" * 10_000,
    "emoji and words": "🌋 How many residents were evacuated? 🚢🙂",
    "arabic": "ما هو الجسر الذي وافق عليه المجلس؟",
    "hebrew": "מה קרה בנמל?",
    "rtl override": "\u202ebridge harbor the cost much How\u202c",
    "cjk": "東京で何が起きた？",
    "control characters": "bridge\x00\x07\x1b[31m cost?\x7f\r\n",
    "html": "<script>alert('x')</script><b>What</b> did the <i>council</i> approve?",
    "markdown": "# **What** did the `council` [approve](javascript:alert(1))?\n\n- bridge",
    "lone surrogate": "How much \ud800 will the bridge cost?",
    "zero-width inside": "har\u200bbor bri\u200ddge",
    "combining marks": "Cafe\u0301 volcano\u0301?",
    "stopwords only": "what is the",
    "sql and path": "'; DROP TABLE chunks; -- ../../etc/passwd",
}
REFUSED = {
    "empty": "",
    "whitespace": " \t\n\u00a0\u3000 ",
    "punctuation": "?!…",
    "emoji only": "🌋🚢",
    "controls only": "\x00\x01\x1b",
    "zero-width only": "\u200b\u200d\ufeff",
    "combining marks only": "\u0301\u0301",
}


@pytest.fixture(scope="module")
def assistant(_built_hash_index: Path) -> Iterator[Assistant]:
    # Read-only use: the module shares the session's index.
    opened = Assistant.open(_built_hash_index / "index", embedder=HashEmbedder())
    yield opened
    opened.close()


def ask_timed(assistant: Assistant, question: str, **kwargs) -> Answer:
    started = time.perf_counter()
    answer = assistant.ask(question, **kwargs)
    assert time.perf_counter() - started < FAST_SECONDS
    return answer


def check_answer(assistant: Assistant, answer: Answer) -> None:
    assert isinstance(answer, Answer) and answer.text.strip()
    assert len(answer.question) <= 1000
    for citation in answer.citations:
        article = assistant.article(citation.article_id)
        assert getattr(article, citation.field)[citation.start : citation.end] == citation.quote
    answer.to_json()


@pytest.mark.parametrize("question", list(ANSWERED.values()), ids=list(ANSWERED))
def test_odd_questions_are_answered(assistant: Assistant, question: str) -> None:
    answer = ask_timed(assistant, question)
    check_answer(assistant, answer)
    if len(question) > 1000:
        assert answer.message and "first" in answer.message


def test_long_question_is_cut_but_still_searched(assistant: Assistant) -> None:
    answer = ask_timed(assistant, ANSWERED["10,000 characters"])
    assert answer.hits and answer.hits[0].chunk.article_id == "harbor-bridge"


@pytest.mark.parametrize("question", list(REFUSED.values()), ids=list(REFUSED))
def test_questions_without_words_get_a_clear_message(assistant: Assistant, question: str) -> None:
    with pytest.raises(QuestionError) as error:
        ask_timed(assistant, question)
    message = str(error.value)
    assert "\n" not in message and "type a question" in message


@pytest.mark.timeout(120)
@FUZZ
@given(
    question=st.text(st.characters(exclude_categories=()), max_size=400),
    history=st.lists(st.tuples(st.text(max_size=60), st.text(max_size=60)), max_size=2),
)
def test_any_text_is_answered_or_refused_clearly(
    assistant: Assistant, question: str, history: list[tuple[str, str]]
) -> None:
    try:
        answer = ask_timed(assistant, question, history=history)
    except QuestionError as error:
        assert "type a question" in str(error)
        return
    check_answer(assistant, answer)


@pytest.mark.parametrize(
    "question", [*ANSWERED.values(), *REFUSED.values()], ids=[*ANSWERED, *REFUSED]
)
def test_ui_handler_never_raises(assistant: Assistant, question: str) -> None:
    started = time.perf_counter()
    result = ask_question(assistant, question, [], top_k=5)
    assert time.perf_counter() - started < FAST_SECONDS
    if result.warning:  # refused: a toast, the chat unchanged or one error turn
        assert "\n" not in result.warning and len(result.chat) <= 2
    else:
        assert [m["role"] for m in result.chat] == ["user", "assistant"]
    html = "".join(m["content"] for m in result.chat) + result.sources_html
    assert "<script" not in html and "<b>What" not in html  # shown as text, escaped


@pytest.mark.timeout(120)
@FUZZ
@given(question=st.text(st.characters(exclude_categories=()), max_size=300))
def test_ui_handler_fuzz(assistant: Assistant, question: str) -> None:
    result = ask_question(assistant, question, [], top_k=5)
    assert result.chat or result.warning
    assert "<script" not in "".join(m["content"] for m in result.chat)
