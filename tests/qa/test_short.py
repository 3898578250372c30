"""Short-answer candidates: word runs inside a sentence, with exact offsets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


@given(st.lists(st.sampled_from(["vote", "U.S.", "Jan.", "7-2", "$450", "10%", "one-on-one",
                                  ";", ":", "(", ")", "-", "—", "“", "”", "\"", ",", ".", " "]),
                max_size=30))
@settings(max_examples=300, deadline=None)
def test_candidates_are_every_short_run_without_a_break(parts: list[str]) -> None:
    import re

    from qa.short import _BREAK

    text = " ".join(parts)
    words, spans = candidate_spans(text)
    broken = [bool(_BREAK.search(text, words[k - 1][1], words[k][0]))
              for k in range(1, len(words))]
    expected = [(i, j) for i in range(len(words)) for j in range(i, min(i + MAX_WORDS,
                                                                       len(words)))
                if not any(broken[i:j])]
    assert spans == expected
    assert all(re.fullmatch(r"\S+", w) for _, _, w in words)


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


def test_the_shortlist_keeps_the_best_span_and_its_probability() -> None:
    from dataclasses import replace

    model = load_short()
    question = "How much will the bridge cost?"
    _, _, x = span_features(question, SENTENCE)
    whole = replace(model, shortlist_trees=0, shortlist=0)
    best, p = whole.best(x)
    assert best == int(np.argmax(model.trees.predict(x)))
    assert p == pytest.approx(float(model.trees.predict(x)[best]), abs=1e-12)
    # Every span kept, or the shortest shortlist the best span is on: the same span, the
    # same probability.
    on_list = int(np.sum(model.trees.raw(x, count=50) >= model.trees.raw(x, count=50)[best]))
    assert on_list < len(x)
    for short in (replace(model, shortlist_trees=50, shortlist=len(x)),
                  replace(model, shortlist_trees=50, shortlist=on_list)):
        got, q = short.best(x)
        assert got == best and q == pytest.approx(p, abs=1e-12)
    # With the head trees alone choosing (a shortlist of one), it is the head's best span.
    head = model.trees.raw(x, count=10)
    assert replace(model, shortlist_trees=10, shortlist=1).best(x)[0] == int(np.argmax(head))


def test_a_negative_shortlist_is_refused(tmp_path: Path) -> None:
    from qa.models import ModelFileError, load_model, write_model

    shipped = load_model("short", 1)
    path = tmp_path / "short-v1.json"
    write_model(path, kind="short", version=1,
                params={**shipped, "shortlist": {"trees": -1, "keep": 10}},
                made_by="test", provenance={}, figures={})
    with pytest.raises(ModelFileError, match="shortlist"):
        load_short(path)
    shipped.pop("shortlist", None)  # a file from before shortlists: every span, every tree
    write_model(path, kind="short", version=1, params=shipped, made_by="test",
                provenance={}, figures={})
    load_short.cache_clear()
    assert load_short(path).shortlist == 0


def test_a_number_leaves_the_comma_after_it_out() -> None:
    text = "Meloni arrives on Jan. 19, with 3,000 guests and a 1.5% budget rise in 1942."
    words, _ = candidate_spans(text)
    assert [w for _, _, w in words if any(c.isdigit() for c in w)] == ["19", "3,000", "1.5%",
                                                                       "1942"]
    assert all(text[s:e] == w for s, e, w in words)
