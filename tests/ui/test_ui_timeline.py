"""The Timeline view's handler and HTML, over the ferry story index (no gradio)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from corpus import Chunk
from index import HashEmbedder
from qa import Assistant
from qa.types import ArticleCopy, Citation, Event, Timeline
from ui.timeline import EMPTY_TIMELINE, render_timeline, show_timeline


@pytest.fixture
def assistant(story_index: Path) -> Assistant:
    return Assistant.open(story_index, embedder=HashEmbedder())


def test_the_timeline_lists_dated_events_linked_to_their_cards(assistant: Assistant) -> None:
    result = show_timeline(assistant, "Port Alder ferry")
    assert result.warning is None
    html = result.html
    assert html.index("Mar 2, 2026") < html.index("Mar 6, 2026") < html.index("Mar 16, 2026")
    assert '<time class="nq-when" datetime="2026-03-06">' in html
    assert 'href="#nq-tl-src-2"' in html and 'id="nq-tl-src-2"' in html
    assert "Also published as: Port Alder votes yes on Kelp Island ferry" in html
    assert "festival" not in html
    assert "<mark>on Friday</mark>" in html


@pytest.mark.parametrize(("kwargs", "warning"), [
    ({"query": ""}, "Type a story"),
    ({"query": "ferry", "since": "March 1"}, "YYYY-MM-DD"),
    ({"query": "ferry", "since": "2026-03-20", "until": "2026-03-01"}, "after"),
])
def test_bad_input_is_a_warning(assistant: Assistant, kwargs: dict, warning: str) -> None:
    result = show_timeline(assistant, **kwargs)
    assert result.warning and warning in result.warning


def test_no_story_is_said_so(assistant: Assistant) -> None:
    result = show_timeline(assistant, "volcanic eruption in Iceland")
    assert "No indexed story matches" in result.html and result.warning is None


def test_a_failing_assistant_is_one_line() -> None:
    class Broken:
        def timeline(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            raise RuntimeError("disk on fire")

    result = show_timeline(Broken(), "ferry")
    assert result.warning == "Unexpected error (RuntimeError): disk on fire"


def test_article_text_is_escaped() -> None:
    evil = "<script>window.__pwned = 1</script> approved on Friday"
    chunk = Chunk("x:0", "x", 0, evil, 0, len(evil), (0, 0), ((0, len(evil)),))
    citation = Citation(1, "x", "<b>Title</b>", date(2026, 3, 10), "<i>By</i>", "x.txt", 1, 0,
                        len(evil), evil, chunk, 1.0,
                        also_in=(ArticleCopy("y", "<img src=x onerror=alert(1)>", "y.txt",
                                             None),))
    event = Event(date(2026, 3, 6), "sentence", evil, 0, len(evil), citation, "March 6, 2026",
                  phrase="on Friday")
    html = render_timeline(Timeline("<q>", (event,), ("x",)))
    assert "<script>" not in html and "<img" not in html and "<b>Title" not in html
    assert "&lt;script&gt;" in html
    assert EMPTY_TIMELINE in render_timeline(Timeline("q", ()))
