"""The sentence selector's features and the answers it leads to."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qa import Assistant
from qa.selector import SELECTOR_FEATURES, load_selector, score_sentences, wh_type


@pytest.mark.parametrize(
    ("question", "kind"),
    [("Who won?", "who"), ("When did it open?", "when"), ("What year was it?", "when"),
     ("How many people died?", "howmany"), ("What percentage voted?", "howmany"),
     ("Where is the bridge?", "where"), ("Which team won?", "which"), ("Why did it fail?", "why"),
     ("How did they vote?", "how"), ("What is the plan?", "what"), ("Name the mayor.", "other")],
)
def test_wh_type(question: str, kind: str) -> None:
    assert wh_type(question) == kind


def test_every_sentence_of_the_top_passages_is_scored(hash_index: Path) -> None:
    assistant = Assistant.open(hash_index)
    reader = assistant._current_reader()
    question = "How many residents were evacuated?"
    vector = assistant.embedder.encode([question])[0]
    from qa.retrieve import retrieve_ranked

    got = retrieve_ranked(reader, question, vector, top_k=8)
    scored, x = score_sentences(reader, question, question, vector, got.hits,
                                selector=load_selector(), evidence=got.evidence,
                                terms=got.terms)
    assert x.shape == (sum(len(h.chunk.sentences) for h in got.hits), len(SELECTOR_FEATURES))
    assert len(scored) == len(x)
    assert [s.score for s in scored] == sorted((s.score for s in scored), reverse=True)
    assert all(0.0 <= s.score <= 1.0 for s in scored)
    best = scored[0]
    hit = got.hits[best.hit]
    assert "3,000" in hit.chunk.text[best.start - hit.chunk.start: best.end - hit.chunk.start]
    assert np.isfinite(x).all()


def test_answers_score_the_selectors_passages(hash_index: Path) -> None:
    from dataclasses import replace

    from qa.answer import AnswerConfig, scored_passages

    shipped = load_selector()
    assert scored_passages(AnswerConfig()) == shipped.passages
    assert scored_passages(AnswerConfig(passages=3)) == 3
    one = replace(shipped, passages=1)
    assert scored_passages(AnswerConfig(selector=one)) == 1
    answer = Assistant.open(hash_index, answering=AnswerConfig(selector=one)).ask(
        "How many residents were evacuated?", top_k=3)
    # Only the first passage's sentences are scored, so it alone is quoted and cited.
    assert not answer.abstained and len(answer.citations) == 1
    assert answer.citations[0].article_id == answer.hits[0].chunk.article_id


def test_the_quote_joins_the_next_sentence_when_nearly_as_likely() -> None:
    from types import SimpleNamespace

    from qa.answer import _with_neighbour
    from qa.selector import Scored

    text = "x" * 300
    text = text[:150] + "  " + text[152:190] + "\n\n" + text[192:]  # white space between
    article = SimpleNamespace(text=text)
    articles = SimpleNamespace(get=lambda article_id: article)
    hits = [SimpleNamespace(chunk=SimpleNamespace(article_id=a)) for a in ("a", "b", "a")]

    def join(best: Scored, scored: list[Scored], ratio: float) -> tuple[int, int]:
        return _with_neighbour(best, scored, ratio, hits, articles)[:2]  # type: ignore[arg-type]

    best = Scored(0, 1, 100, 150, 0.8, 0.5, 0.5)
    after = Scored(0, 2, 152, 190, 0.5, 0.4, 0.4)  # the next sentence (or paragraph)
    far = Scored(0, 3, 192, 230, 0.79, 0.4, 0.4)  # not adjacent
    other = Scored(1, 0, 10, 40, 0.79, 0.4, 0.4)  # another article's passage
    scored = [best, far, other, after]
    assert join(best, scored, 0.6) == (100, 190)
    assert join(best, scored, 0.7) == (100, 150)
    before = Scored(0, 0, 60, 98, 0.7, 0.4, 0.4)
    assert join(best, [*scored, before], 0.6) == (60, 150)  # the likelier one
    # The same article's next passage starts with the sentence after the best one (only
    # white space between them): joined; one with text between is not.
    next_passage = Scored(2, 0, 192, 230, 0.6, 0.4, 0.4)
    assert join(after, [after, next_passage], 0.6) == (152, 230)
    assert join(best, [best, next_passage], 0.6) == (100, 150)
    assert join(next_passage, [next_passage, after], 0.6) == (152, 230)


def test_the_short_answer_lies_in_the_quote(hash_index: Path) -> None:
    assistant = Assistant.open(hash_index)
    for question in ("How many residents were evacuated?", "How many workers did the flood kill?",
                     "When will the construction begin?"):
        answer = assistant.ask(question)
        assert not answer.abstained
        short, first = answer.short, answer.citations[0]
        assert short is not None
        article = assistant.article(first.article_id)
        assert article.text[short.start: short.end] == short.text
        assert first.start <= short.start and short.end <= first.end
    assert assistant.ask("How many workers did the flood kill?").short.text == "183"


def test_why_questions_have_no_short_answer(hash_index: Path) -> None:
    answer = Assistant.open(hash_index).ask("Why did opponents argue against the bridge?")
    assert not answer.abstained
    assert answer.short is None


def test_the_answer_json_carries_the_short_answer(hash_index: Path) -> None:
    data = Assistant.open(hash_index).ask("How many workers did the flood kill?").to_dict()
    assert data["short"]["text"] == "183"
    assert set(data["short"]) == {"text", "start", "end", "score", "field"}


def test_the_short_answer_comes_from_either_sentence_of_a_joined_quote() -> None:
    from types import SimpleNamespace

    from qa.answer import AnswerConfig, _short
    from qa.selector import Scored

    text = ("Lee will meet Italian Prime Minister Giorgia Meloni on Jan. 19 in Seoul. "
            "Meloni will arrive in Korea on Jan. 17 for a three-day visit.")
    article = SimpleNamespace(text=text)
    first = Scored(0, 0, 0, text.index(" Meloni will"), 0.5, 0.5, 0.5)
    second = Scored(0, 1, text.index("Meloni will"), len(text), 0.4, 0.4, 0.4)
    question = "When will Meloni arrive in Korea?"
    alone = [_short(AnswerConfig(), question, article, [s]) for s in (first, second)]  # type: ignore[arg-type]
    both = _short(AnswerConfig(), question, article, [first, second])  # type: ignore[arg-type]
    assert all(a is not None for a in alone) and both is not None
    assert both == max(alone, key=lambda a: a.score)  # type: ignore[union-attr]
    assert text[both.start:both.end] == both.text
