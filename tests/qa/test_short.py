"""Short-answer candidates: word runs inside a sentence, with exact offsets."""

from __future__ import annotations

import pytest

from qa.short import (
    MAX_WORDS,
    SHORT_FEATURES,
    candidate_spans,
    find_short,
    load_short,
    span_features,
)

SENTENCE = ("The city council voted 7-2 on Monday to approve a $450 million bridge across "
            "the harbor.")


def test_candidates_are_word_runs_with_offsets() -> None:
    words, spans = candidate_spans(SENTENCE)
    assert [w for _, _, w in words][:4] == ["The", "city", "council", "voted"]
    assert all(SENTENCE[s:e] == w for s, e, w in words)
    assert words[-1][2] == "harbor"  # the full stop is not part of the last word
    assert all(0 <= i <= j < len(words) and j - i < MAX_WORDS for i, j in spans)
    texts = {SENTENCE[words[i][0]: words[j][1]] for i, j in spans}
    assert {"$450 million", "Monday", "7-2"} <= texts


def test_candidates_do_not_cross_breaks() -> None:
    text = "He said: the vote (a first) passed; work starts in May."
    words, spans = candidate_spans(text)
    texts = {text[words[i][0]: words[j][1]] for i, j in spans}
    assert "said the" not in texts and "first passed" not in texts
    assert "a first" in texts


@pytest.mark.parametrize("text", ["", "...", "—"])
def test_no_words_no_candidates(text: str) -> None:
    offsets, _, x = span_features("Who?", text)
    assert offsets == [] and x.shape == (0, len(SHORT_FEATURES))


def test_find_short_offsets_are_into_the_article() -> None:
    model = load_short()
    found = find_short(model, "How much will the bridge cost?", SENTENCE, 100)
    assert found is not None
    start, end, score = found
    assert "450" in SENTENCE[start - 100: end - 100]
    assert 0.0 <= score <= 1.0
    assert find_short(model, "Why did the council vote?", SENTENCE, 0) is None
