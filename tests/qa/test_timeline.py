"""Story timelines and answers over syndicated copies, on the ferry story fixture
(tests/fixtures/story): three dated articles with relative dates, a wire copy of the second
one, and an unrelated article from the same town."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from index import HashEmbedder, build_index, remove_articles
from qa import Assistant, QAConfigError
from qa.cli import cli
from qa.timeline import NO_STORY

PLAN, APPROVED, WIRE, BOAT, FESTIVAL = (
    "2026-03-03-ferry-plan", "2026-03-10-ferry-approved", "2026-03-10-wire-ferry",
    "2026-03-17-ferry-boat", "2026-03-08-harbor-festival")


@pytest.fixture
def assistant(story_index: Path) -> Assistant:
    return Assistant.open(story_index, embedder=HashEmbedder())


def test_events_are_oldest_first_dated_by_what_the_sentence_says(assistant: Assistant) -> None:
    timeline = assistant.timeline("Port Alder ferry")
    days = [e.date for e in timeline.events]
    assert days == sorted(days)
    approved = next(e for e in timeline.events if "approved the Harbor" in e.quote)
    # "approved ... on Friday" in an article dated Tuesday, March 10 is March 6.
    assert approved.date == date(2026, 3, 6)
    assert approved.date_source == "sentence" and approved.phrase == "on Friday"
    assert approved.citation.article_id == APPROVED
    assert [c.id for c in approved.citation.also_in] == [WIRE]
    unveiled = timeline.events[0]
    assert unveiled.date == date(2026, 3, 2) and unveiled.citation.article_id == PLAN
    articles = {e.citation.article_id for e in timeline.events}
    assert articles == {PLAN, APPROVED, BOAT}  # the festival is not the story; the copy folded
    quotes = [e.quote for e in timeline.events]
    assert len(quotes) == len(set(quotes))
    for event in timeline.events:
        article = assistant.article(event.citation.article_id)
        assert article.text[event.start:event.end] == event.quote == event.citation.quote


def test_a_date_ahead_of_the_dateline_is_kept_and_marked_scheduled(
    assistant: Assistant,
) -> None:
    meeting = next(e for e in assistant.timeline("Port Alder ferry").events
                   if "public meeting" in e.quote)
    assert meeting.date == date(2026, 3, 24) and meeting.scheduled
    assert meeting.citation.published == date(2026, 3, 17)


def test_a_story_whose_only_dated_sentence_is_in_its_future(tmp_path: Path) -> None:
    src = tmp_path / "articles"
    src.mkdir()
    (src / "bridge.txt").write_text(
        " date 2026-04-01 Elm Street bridge to reopen\n"
        "Crews are finishing the last repairs on the Elm Street bridge over the Alder river.\n"
        "The Elm Street bridge will reopen to traffic on April 20, the city said.\n",
        encoding="utf-8")
    build_index(tmp_path / "index", [src], embedder=HashEmbedder())
    timeline = Assistant.open(tmp_path / "index", embedder=HashEmbedder()).timeline(
        "Elm Street bridge")
    dated = [e for e in timeline.events if e.date_source == "sentence"]
    assert [(e.date, e.scheduled) for e in dated] == [(date(2026, 4, 20), True)]
    assert timeline.events[0].date_source == "published"  # the lede, by its dateline


def test_a_query_with_no_matching_story(assistant: Assistant) -> None:
    timeline = assistant.timeline("volcanic eruption in Iceland")
    assert timeline.events == () and timeline.message == NO_STORY


def test_undated_articles_are_left_out_unless_a_sentence_states_a_full_date(
    tmp_path: Path,
) -> None:
    src = tmp_path / "articles"
    src.mkdir()
    (src / "undated.txt").write_text(
        "Kelp Island ferry timetable published\n"
        "The Kelp Island ferry timetable was published on Friday by the authority.\n"
        "The Kelp Island ferry will carry its first passengers on May 4, 2027.\n",
        encoding="utf-8")
    (src / "lede.txt").write_text(
        "Kelp Island ferry fares\nKelp Island ferry fares will be set by the council.\n",
        encoding="utf-8")
    build_index(tmp_path / "index", [src], embedder=HashEmbedder())
    timeline = Assistant.open(tmp_path / "index", embedder=HashEmbedder()).timeline(
        "Kelp Island ferry")
    assert [(e.date, e.date_source) for e in timeline.events] == [
        (date(2027, 5, 4), "sentence")]
    assert timeline.message and "undated" in timeline.message


def test_since_until_and_limit(assistant: Assistant) -> None:
    events = assistant.timeline("Port Alder ferry", since="2026-03-05", until="2026-03-20").events
    assert events and all(date(2026, 3, 5) <= e.date <= date(2026, 3, 20) for e in events)
    limited = assistant.timeline("Port Alder ferry", limit=2)
    assert len(limited.events) == 2 and "2 of" in (limited.message or "")
    early = assistant.timeline("Port Alder ferry", as_of="2026-03-05")
    assert {e.citation.article_id for e in early.events} == {PLAN}


@pytest.mark.parametrize(("kwargs", "error"), [
    ({"limit": 0}, "limit"),
    ({"since": "2026-03-20", "until": "2026-03-01"}, "after"),
    ({"since": "March"}, "since"),
])
def test_bad_timeline_arguments(assistant: Assistant, kwargs: dict, error: str) -> None:
    with pytest.raises(QAConfigError, match=error):
        assistant.timeline("Port Alder ferry", **kwargs)


def test_cli_timeline_json_shape(story_index: Path) -> None:
    result = CliRunner().invoke(cli, ["timeline", "Port Alder ferry", "--index",
                                      str(story_index), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["query"] == "Port Alder ferry"
    first = data["events"][0]
    assert {"date", "date_source", "quote", "citation"} <= first.keys()
    assert first["date"] == "2026-03-02" and first["date_source"] == "sentence"
    assert first["citation"]["article_id"] == PLAN
    text = CliRunner().invoke(cli, ["timeline", "Port Alder ferry", "--index", str(story_index)])
    assert text.exit_code == 0
    assert "2026-03-06" in text.output and "also in: Port Alder votes yes" in text.output
    assert text.output.count("approved the Harbor Authority's ferry plan on Friday") == 1
    assert "festival" not in text.output


def test_cli_timeline_errors_are_one_line(story_index: Path) -> None:
    result = CliRunner().invoke(cli, ["timeline", "Port Alder ferry", "--index",
                                      str(story_index), "--since", "2026-13-01"])
    assert result.exit_code == 1 and result.output.count("\n") == 1


def test_an_answer_from_a_syndicated_story_cites_one_copy(assistant: Assistant) -> None:
    answer = assistant.ask("Who voted against the ferry plan?", as_of="2026-03-31")
    assert not answer.abstained
    cited = [c.article_id for c in answer.citations]
    assert cited[0] == APPROVED and WIRE not in cited
    assert [c.id for c in answer.citations[0].also_in] == [WIRE]
    assert answer.citations[0].also_in[0].title == "Port Alder votes yes on Kelp Island ferry"
    assert WIRE not in {h.chunk.article_id for h in answer.hits}
    data = answer.to_dict()
    assert data["citations"][0]["also_in"][0]["id"] == WIRE


def test_agreement_is_counted_by_story() -> None:
    """Three articles say the same sentence: the quoted one, a copy of its story (which a
    reader normally folds away; here it is shown) and an independent story. Only the
    independent one agrees."""
    import numpy as np

    from corpus import Chunk
    from qa.answer import AnswerConfig, _agreeing
    from qa.selector import Scored
    from qa.types import Hit

    class Reader:
        def sentence_vectors(self, rows):  # type: ignore[no-untyped-def]
            return {r: np.ones((1, 4), dtype=np.float32) / 2 for r in rows}

        def story_of(self, article_id: str) -> str:
            return {"wire": "original"}.get(article_id, article_id)

    hits = [Hit(Chunk(f"{a}:0", a, 0, "Same.", 0, 5, (0, 0), ((0, 5),)), 1.0, row=n)
            for n, a in enumerate(["original", "wire", "other"])]
    scored = [Scored(n, 0, 0, 5, 0.9, 1.0, 1.0) for n in range(3)]
    agreeing = _agreeing(scored[0], hits, scored, Reader(), AnswerConfig())  # type: ignore[arg-type]
    assert [hits[s.hit].chunk.article_id for s in agreeing] == ["other"]


def test_after_the_copy_is_removed_the_answer_has_no_also_in(story_index: Path) -> None:
    remove_articles(story_index, [WIRE], embedder=HashEmbedder())
    answer = Assistant.open(story_index, embedder=HashEmbedder()).ask(
        "Who voted against the ferry plan?")
    assert answer.citations[0].article_id == APPROVED and answer.citations[0].also_in == ()
