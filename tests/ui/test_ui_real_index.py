"""The handlers over a real `qa.Assistant` (a small index built with the HashEmbedder)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ui import handlers


@pytest.fixture
def assistant(hash_index: Path) -> Iterator[Any]:
    from index import HashEmbedder
    from qa import Assistant

    assistant = Assistant.open(hash_index, embedder=HashEmbedder())
    yield assistant
    assistant.close()


def test_ask_quotes_and_cites(assistant: Any) -> None:
    result = handlers.ask_question(assistant, "When will Lee hold a summit with Meloni?", [])
    answer = result.chat[1]["content"]
    assert "Jan. 19" in answer and '<span class="nq-cite">[1]</span>' in answer
    assert 'id="nq-src-1"' in result.sources_html and "<mark>" in result.sources_html
    assert "Read the whole article" in result.sources_html
    follow_up = handlers.ask_question(assistant, "And what will they promote?", result.turns)
    assert len(follow_up.chat) == 4 and follow_up.warning is None


def test_off_topic_question_abstains(assistant: Any) -> None:
    result = handlers.ask_question(assistant, "Who won the 1998 football world cup final?", [])
    assert "Not answered." in result.chat[1]["content"]


def test_library_upload_and_remove(assistant: Any, tmp_path: Path) -> None:
    before = {row[4] for row in handlers.library_rows(assistant)}
    good = tmp_path / "2026-02-02-danuri-2.txt"
    good.write_text(
        " date 2026-02-02 Korea launches lunar orbiter Danuri-2\nJANE DOE\n"
        "Korea launched its second lunar orbiter, Danuri-2, from the Naro Space Center.\n",
        encoding="utf-8",
    )
    broken = tmp_path / "feed.jsonl"
    broken.write_text('{"title": "No body at all"}\nnot json\n', encoding="utf-8")
    exe = tmp_path / "setup.exe"
    exe.write_bytes(b"MZ")
    stages: list[Any] = []
    result = handlers.upload_articles(
        assistant, [str(good), str(broken), str(exe)],
        progress=lambda value, desc=None: stages.append(desc),
    )
    added = {row[4] for row in result.rows} - before
    assert len(added) == 1 and result.changed
    assert "<strong>Added</strong> 1 article" in result.report_html
    assert "setup.exe" in result.warning and "not supported" in result.warning
    assert "feed.jsonl" in result.report_html  # the loader's reasons, per line
    assert stages  # the progress bar moved
    answer = handlers.ask_question(assistant, "Where was Danuri-2 launched from?", [])
    assert "Naro Space Center" in answer.chat[1]["content"]
    (new_id,) = added
    removed = handlers.remove_article(assistant, new_id)
    assert {row[4] for row in removed.rows} == before
