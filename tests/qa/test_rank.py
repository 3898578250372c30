"""Sentence-scoring parts: role aliases, clause weights, phrases, answer-type cues."""

from __future__ import annotations

import pytest

from qa.aliases import expand_with_roles, role_aliases
from qa.rank import (
    answer_type_bonus,
    follows_on,
    lexical_coverage,
    phrase_coverage,
    term_weights,
)


class FlatIdf:
    """A reader stand-in whose every term has idf 1."""

    def token_idf(self, terms):
        return [1.0 for _ in terms]


def test_roles_stand_in_for_surnames() -> None:
    text = ("Lee will meet Italian Prime Minister Giorgia Meloni on Jan. 19.\n\n"
            "Meloni will pay a three-day visit to Korea from Jan. 17.")
    aliases = role_aliases(text)
    assert aliases["meloni"] == ("italian", "prime", "minist")
    assert {"italian", "prime", "minist"} <= expand_with_roles("Meloni will pay a visit", aliases)
    assert expand_with_roles("Nobody named here", aliases) == set()


def test_roles_do_not_cross_lines() -> None:
    assert "kim" not in role_aliases("SARAH KIM\nPresident Lee Jae Myung will travel.")


def test_subordinate_clause_terms_count_less() -> None:
    query = "Where will Lee go after visiting the temple?"
    from index.disk.lexical import tokenize

    weights = term_weights(query, tokenize(query), FlatIdf())
    assert weights["templ"] < weights["lee"]
    assert weights["lee"] == pytest.approx(1.0)


def test_coverage_and_phrases() -> None:
    idf = {"japanes": 1.0, "prime": 1.0, "minist": 1.0}
    assert lexical_coverage(["japanes", "prime", "minist"], {"prime", "minist"}, idf) == (
        pytest.approx(2 / 3))
    sentence = ["the", "japanes", "prime", "minist"]
    assert phrase_coverage(["japanes", "prime", "minist"], sentence) == 1.0
    assert phrase_coverage(["japanes", "prime"], ["prime", "japanes"]) == 0.0


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        ("When will Lee travel?", "He leaves on Tuesday.", 1.0),
        ("When will Lee travel?", "He leaves soon.", 0.0),
        ("How many workers died?", "The flood killed 183 workers.", 1.0),
        ("How many workers died?", "The flood killed workers.", 0.0),
        ("Who leads Italy?", "Giorgia Meloni leads Italy.", 1.0),
        ("What is the plan?", "Giorgia Meloni leads Italy.", 0.0),
    ],
)
def test_answer_type(question: str, sentence: str, expected: float) -> None:
    assert answer_type_bonus(question, sentence) == expected


def test_sequence_cue() -> None:
    assert follows_on("Where will he go after the visit?", "Later, he will meet residents.") == 1.0
    assert follows_on("Where will he go?", "Later, he will meet residents.") == 0.0
