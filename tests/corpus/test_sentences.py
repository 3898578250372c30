from __future__ import annotations

import pytest
from corpus_strategies import texts
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus.sentences import split_sentences


def sentences_of(text: str) -> list[str]:
    return [text[start:end] for start, end in split_sentences(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("   \n\n  ", []),
        ("Word", ["Word"]),
        ("One sentence.", ["One sentence."]),
        ("First one. Second one.", ["First one.", "Second one."]),
        ("Is it? Yes! Fine.", ["Is it?", "Yes!", "Fine."]),
        ("Really?! Yes.", ["Really?!", "Yes."]),
        ('He said "yes." Then he left.', ['He said "yes."', "Then he left."]),
        ("“We will win,” he said. “No doubt.” Then silence.",
         ["“We will win,” he said.", "“No doubt.”", "Then silence."]),
        ('"Why?" he asked. She shrugged.', ['"Why?" he asked.', "She shrugged."]),
        ("(See page 3.) The next point.", ["(See page 3.)", "The next point."]),
        ("The summit opens on Jan. 19 in Nara.", ["The summit opens on Jan. 19 in Nara."]),
        ("The U.S. Senate voted. It passed.", ["The U.S. Senate voted.", "It passed."]),
        ("He moved to the U.S. The company followed.",
         ["He moved to the U.S.", "The company followed."]),
        ("Talks in Washington, D.C. He arrived late.",
         ["Talks in Washington, D.C.", "He arrived late."]),
        ("Mr. Lee met Ms. Park and Dr. Kim.", ["Mr. Lee met Ms. Park and Dr. Kim."]),
        ("Sen. Warren and Rep. Ocasio-Cortez spoke.",
         ["Sen. Warren and Rep. Ocasio-Cortez spoke."]),
        ("Gov. Newsom signed it. Lt. Gov. Kounalakis agreed.",
         ["Gov. Newsom signed it.", "Lt. Gov. Kounalakis agreed."]),
        ("He lives on St. Mark's Place.", ["He lives on St. Mark's Place."]),
        ("The St. Louis Cardinals won.", ["The St. Louis Cardinals won."]),
        ("It ranked No. 1 in the U.S. last week.", ["It ranked No. 1 in the U.S. last week."]),
        ("It opens at 9 a.m. Tuesday.", ["It opens at 9 a.m. Tuesday."]),
        ("It opened at 9 a.m. The crowd cheered.", ["It opened at 9 a.m.", "The crowd cheered."]),
        ("J. K. Rowling wrote it.", ["J. K. Rowling wrote it."]),
        ("George W. Bush spoke.", ["George W. Bush spoke."]),
        ("Prices rose 3.5 percent. Wages fell.", ["Prices rose 3.5 percent.", "Wages fell."]),
        ("It cost $1.65 billion. Shares rose.", ["It cost $1.65 billion.", "Shares rose."]),
        ("See https://www.cnn.com/2022/06/12/index.html for more. Thanks.",
         ["See https://www.cnn.com/2022/06/12/index.html for more.", "Thanks."]),
        ("Visit cnn.com. Then subscribe.", ["Visit cnn.com.", "Then subscribe."]),
        ("He paused... and went on.", ["He paused... and went on."]),
        ("He paused … and went on.", ["He paused … and went on."]),
        ("It ended... The next day was calm.", ["It ended...", "The next day was calm."]),
        ("Apple Inc. said sales rose.", ["Apple Inc. said sales rose."]),
        ("The vote (on Jan. 5) failed. Later it passed.",
         ["The vote (on Jan. 5) failed.", "Later it passed."]),
        ("e.g. this case. And more.", ["e.g. this case.", "And more."]),
        ("1. The first point is here.", ["1. The first point is here."]),
        ("Title line\nFirst sentence. Second.", ["Title line", "First sentence.", "Second."]),
        ("One.\n\nTwo.", ["One.", "Two."]),
        ("no break inside\n\nthe paragraphs", ["no break inside", "the paragraphs"]),
        ("Ends without a period", ["Ends without a period"]),
        ("  leading and trailing spaces.  ", ["leading and trailing spaces."]),
        ("Tabs\tinside. Work\ttoo.", ["Tabs\tinside.", "Work\ttoo."]),
        ("Le président a dit. Très bien.", ["Le président a dit.", "Très bien."]),
        ("Он сказал. Она ушла.", ["Он сказал.", "Она ушла."]),
        ("首相が発表した。会談は火曜日！", ["首相が発表した。", "会談は火曜日！"]),
        ("Score: 3-1. Next game.", ["Score: 3-1.", "Next game."]),
        ("The 2022 season. 2023 was better.", ["The 2022 season.", "2023 was better."]),
    ],
)
def test_split_sentences_cases(text: str, expected: list[str]) -> None:
    assert sentences_of(text) == expected


def test_spans_are_absolute_within_a_range() -> None:
    text = "Skip this. Take this one. And this.\n\nNot this."
    start = text.index("Take")
    spans = split_sentences(text, start, text.index("\n\n"))
    assert [text[s:e] for s, e in spans] == ["Take this one.", "And this."]
    assert spans[0][0] == start


def test_seed_like_paragraph() -> None:
    text = (
        "National Security Adviser Wi Sung-lac said that he also expects the summit to discuss "
        '"strengthening humanitarian cooperation on historical issues," as he revealed the '
        "details. The Japan trip follows less than a week after Lee's state visit to China."
    )
    assert len(split_sentences(text)) == 2


@settings(max_examples=150, deadline=None)
@given(texts())
def test_spans_are_ordered_stripped_and_cover_the_text(text: str) -> None:
    spans = split_sentences(text)
    covered = set()
    previous_end = 0
    for start, end in spans:
        assert previous_end <= start < end <= len(text)
        piece = text[start:end]
        assert piece == piece.strip()
        assert "\n" not in piece
        covered.update(range(start, end))
        previous_end = end
    # Every visible character belongs to a sentence.
    assert all(i in covered for i, char in enumerate(text) if not char.isspace())


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_any_string_is_split_without_error(text: str) -> None:
    for start, end in split_sentences(text):
        assert text[start:end].strip() == text[start:end] != ""
