"""Follow-up questions become self-contained retrieval queries (no generation)."""

from __future__ import annotations

import pytest

from qa.followup import MAX_QUERY_WORDS, clean_answer, is_followup, rewrite_query

CHOSEI_Q = "What happened at the Chosei coal mine in 1942?"
CHOSEI_A = ("In 1942, a devastating flood at the Chosei coal mine in Japan's Yamaguchi "
            "Prefecture killed 183 workers, including 136 Korean laborers forcibly mobilized "
            "under Japanese colonial rule. [1]")
CHOSEI = [(CHOSEI_Q, CHOSEI_A)]
TRIP = [("When will President Lee travel to Nara?",
         "President Lee Jae Myung will make a two-day trip to Japan's Nara Prefecture on "
         "Tuesday (Jan. 13, 2026) and Wednesday (Jan. 14, 2026) for a summit [1]")]


def test_chosei_follow_up_carries_the_previous_turn() -> None:
    query = rewrite_query("And how many of them were Korean?", CHOSEI)
    assert query.startswith("And how many of them were Korean?")
    assert "Chosei" in query
    assert "Korean" in query
    assert "1942" in query


@pytest.mark.parametrize("question", [
    "Where is Gyeongju?",
    "Who is the Japanese prime minister Lee will meet?",
    "What did Takaichi say last November that caused tensions with China?",
    "Is Horyu-ji a Unesco site?",
    "When will Lee visit Nara this week?",
    "What will Lee and Meloni discuss?",
    "Is there a Unesco site in Nara?",
])
def test_self_contained_questions_are_unchanged(question: str) -> None:
    assert not is_followup(question, CHOSEI)
    assert rewrite_query(question, CHOSEI) == question


@pytest.mark.parametrize("question", [
    "And how many died?",
    "But why?",
    "What about Meloni?",
    "How about the Korean victims?",
    "So what will the summit discuss?",
    "When did it happen?",
    "Who owned it at that time?",
    "How many people were there?",
    "When did that happen?",
    "Were they compensated?",
    "What did his government say?",
    "Who is her predecessor in Tokyo?",
    "Where are those remains now?",
    "Why?",  # very short
    "How many workers died?",  # no entity while the previous turn had some
])
def test_follow_ups_are_detected_and_extended(question: str) -> None:
    assert is_followup(question, CHOSEI)
    query = rewrite_query(question, CHOSEI)
    assert query.startswith(question)
    assert "Chosei" in query


@pytest.mark.parametrize("question", ["And how many were Korean?", "Where?", "What about it?"])
def test_empty_history_returns_the_question(question: str) -> None:
    assert not is_followup(question, [])
    assert rewrite_query(question, []) == question
    assert rewrite_query(question, ()) == question


def test_markers_and_date_labels_are_stripped_from_answers() -> None:
    query = rewrite_query("Who will he meet there?", TRIP)
    assert "Nara" in query and "Lee" in query
    assert "[1]" not in query and "(" not in query
    assert "Jan." not in query and "2026" not in query


@pytest.mark.parametrize(("text", "expected"), [
    ("A flood hit. [1]", "A flood hit."),
    ("A flood hit [1][2].", "A flood hit."),
    ("A flood hit [2, 3].", "A flood hit."),
    ("He left on Tuesday (Jan. 13, 2026) [1]", "He left on Tuesday"),
    ("Sales fell last week (week of Dec. 29, 2025).", "Sales fell last week."),
    ("Remarks last November (Nov. 2025) and last year (2025).", "Remarks last November and last "
     "year."),
    ("The ministry (MOFA) said so.", "The ministry (MOFA) said so."),
])
def test_clean_answer(text: str, expected: str) -> None:
    assert clean_answer(text) == expected


def test_newest_turn_weighs_most() -> None:
    history = [*CHOSEI, ("Who did Lee meet in Nara?", "Lee met Takaichi in Nara. [1]")]
    query = rewrite_query("What did they discuss?", history)
    added = query.removeprefix("What did they discuss?").split()
    assert added.index("Takaichi") < added.index("Chosei")
    assert added[:2] == ["Lee", "Nara"]


def test_long_history_is_capped() -> None:
    history = [(f"What did Minister{i} Kim{i} say about Tariff{i}?",
                f"Minister{i} said Tariff{i} rose {i}0 percent in Busan{i}. [1]")
               for i in range(50)]
    query = rewrite_query("And what about them?", history)
    assert len(query.split()) <= MAX_QUERY_WORDS
    assert "Minister49" in query  # the newest turn
    assert "Minister0" not in query  # far too old


def test_long_question_is_never_cut() -> None:
    question = "And " + " ".join(f"word{i}" for i in range(60)) + "?"
    assert rewrite_query(question, CHOSEI) == question


def test_terms_already_in_the_question_are_not_repeated() -> None:
    query = rewrite_query("And what about the Chosei coal mine victims?", CHOSEI)
    assert query.count("Chosei") == 1
    assert query.lower().count("coal") == 1


def test_abstained_answer_adds_no_noise() -> None:
    history = [("Which team won the baseball championship?",
                "The indexed articles don't answer this question.")]
    query = rewrite_query("And who was the coach?", history)
    assert query == "And who was the coach? team won baseball championship"


def test_curly_apostrophes_and_possessives() -> None:
    query = rewrite_query("What did she say?", [("What did Takaichi’s cabinet decide?", "")])
    assert "Takaichi" in query
    assert "’s" not in query.removeprefix("What did she say?")


def test_blank_question_and_odd_turns() -> None:
    assert rewrite_query("  ", CHOSEI) == "  "
    turns = [[CHOSEI_Q, None]]  # lists from JSON, an answer still pending
    assert "Chosei" in rewrite_query("And then?", turns)  # type: ignore[arg-type]
