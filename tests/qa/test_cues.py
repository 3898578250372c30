"""Sentence features: role aliases, clause weights, coverage, phrases, answer-type cues."""

from __future__ import annotations

import pytest

from qa.aliases import expand_with_roles, role_aliases
from qa.cues import answer_type_bonus, follows_on
from qa.evidence import QueryTerms
from qa.selector import phrase_coverage


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


def test_introductions_are_the_patterns_matches() -> None:
    """The role-first scan finds what the introduction pattern finds anywhere in a text:
    random texts of roles, capitalised words and fillers, with words glued together."""
    import random

    from qa.aliases import _INTRODUCTION, introductions

    rnd = random.Random(7)
    pieces = ["Prime Minister", "Deputy Prime Minister", "Minister", "President",
              "Vice President", "Sen.", "Crown Prince", "Italian", "National", "Security",
              "Giorgia", "Meloni", "McDonald", "O'Neil-Smith", "Lee", "Jae", "the", "of",
              "said", ",", ".", "\n", "ex"]
    for _ in range(3000):
        words = [rnd.choice(pieces) for _ in range(rnd.randint(1, 14))]
        text = "".join(w + rnd.choice([" ", " ", " ", "", "  "]) for w in words)
        expected = [(m.span(), m.groups()) for m in _INTRODUCTION.finditer(text)]
        assert [(m.span(), m.groups()) for m in introductions(text)] == expected, text


def test_roles_do_not_cross_lines() -> None:
    assert "kim" not in role_aliases("SARAH KIM\nPresident Lee Jae Myung will travel.")


def test_subordinate_clause_terms_count_less() -> None:
    terms = QueryTerms.build(FlatIdf(), "Where will Lee go after visiting the temple?")
    assert terms.weights["templ"] < terms.weights["lee"]
    assert terms.weights["lee"] == pytest.approx(1.0)


def test_coverage_and_phrases() -> None:
    terms = QueryTerms.build(FlatIdf(), "Japanese prime minister")
    assert terms.coverage({"prime", "minist"}) == pytest.approx(2 / 3)
    assert terms.coverage(set()) == 0.0
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
