"""Questions served while the index is rebuilt, by another process or by an upload, are
answered from one complete index (old or new): never a mix, never an error. Two builds of
one index never interleave: the second waits, or fails with a clear `IndexLockedError`.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hardening_support import PRICE, leftovers, snapshot, start_build, write_set

from index import HashEmbedder, IndexLockedError, build_index
from qa import Answer, Assistant
from ui.handlers import ask_question, remove_article, upload_articles

ASKERS = [1, 3]
QUESTIONS = (
    "How much will the harbor bridge cost?",
    "When will the comet be visible?",
    "How many residents were evacuated?",
    "How many electric ferries did the shipyard order?",
)
CLI_BUILDS = 2


def set_of(answer: Answer) -> str | None:
    """The article set ("a" or "b") every citation comes from; None without citations."""
    sets = {c.article_id.split("-", 1)[0] for c in answer.citations}
    assert len(sets) <= 1, f"citations from both sets: {[c.article_id for c in answer.citations]}"
    if not sets:
        return None
    (which,) = sets
    for citation in answer.citations:
        if citation.article_id.endswith("-bridge") and "bridge across" in citation.quote:
            assert PRICE[which] in citation.quote, "a quote from the other set's article"
    return which


def ask_until(
    assistant: Assistant, stop: threading.Event, check: Callable[[Answer], str | None],
    seen: list[str | None], errors: list[BaseException],
) -> None:
    n = 0
    while not stop.is_set() and n < 100_000:  # bounded
        try:
            answer = assistant.ask(QUESTIONS[n % len(QUESTIONS)])
            seen.append(check(answer))
            for citation in answer.citations:  # quote and passage from one snapshot
                passage = citation.passage
                assert passage.article_id == citation.article_id
                if citation.field == "text":
                    within = slice(citation.start - passage.start, citation.end - passage.start)
                    assert passage.text[within] == citation.quote
        except BaseException as e:
            errors.append(e)
            return
        n += 1


def run_askers(
    assistant: Assistant,
    work: Callable[[], None],
    askers: int,
    check: Callable[[Answer], str | None] = set_of,
) -> list[str | None]:
    """Run `work` while `askers` threads ask questions and `check` the answers; re-raise
    the first error of a thread."""
    stop = threading.Event()
    seen: list[str | None] = []
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=ask_until, args=(assistant, stop, check, seen, errors))
        for _ in range(askers)
    ]
    for thread in threads:
        thread.start()
    try:
        work()
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    if errors:
        raise errors[0]
    return seen


@pytest.mark.timeout(180)
@pytest.mark.parametrize("askers", ASKERS)
def test_answers_come_from_one_complete_index_while_the_cli_rebuilds(
    tmp_path: Path, askers: int
) -> None:
    sources = {which: write_set(tmp_path / which, which) for which in "ab"}
    index_dir = tmp_path / "index"
    build_index(index_dir, [sources["a"]], embedder=HashEmbedder())
    assistant = Assistant.open(index_dir)

    def rebuild() -> None:
        for n in range(CLI_BUILDS):  # another process: `newsqa build` alternating the sets
            which = "ba"[n % 2]
            subprocess.run(
                [sys.executable, "-m", "qa", "-q", "build", str(sources[which]),
                 "--index", str(index_dir), "--model", "hash"],
                check=True, timeout=120,
            )
            time.sleep(0.2)  # let the askers see this generation

    seen = run_askers(assistant, rebuild, askers)
    assert {"a", "b"} <= set(seen), "the askers saw both generations"
    assert set_of(assistant.ask(QUESTIONS[0])) == "ba"[(CLI_BUILDS - 1) % 2]  # the last
    assistant.close()


@pytest.mark.timeout(180)
def test_answers_stay_whole_while_the_ui_adds_and_removes(tmp_path: Path) -> None:
    sources = write_set(tmp_path / "a", "a")
    index_dir = tmp_path / "index"
    build_index(index_dir, [sources], embedder=HashEmbedder())
    assistant = Assistant.open(index_dir, embedder=HashEmbedder())
    upload = write_set(tmp_path / "upload", "b") / "b-ferry.txt"

    def upload_and_remove() -> None:
        for _ in range(3):
            added = upload_articles(assistant, [str(upload)])
            assert added.warning is None and added.changed, added.warning
            new_id = next(r.id for r in assistant.articles() if "ferries" in r.title)
            removed = remove_article(assistant, new_id)
            assert removed.warning is None and removed.changed, removed.warning

    def check(answer: Answer) -> str | None:
        ids = {c.article_id for c in answer.citations}
        assert ids <= {"a-bridge", "a-comet", "a-volcano", "b-ferry"}, ids
        return "a" if ids else None

    seen = run_askers(assistant, upload_and_remove, 2, check)
    assert seen
    result = ask_question(assistant, QUESTIONS[0], [])
    assert result.warning is None and "$450 million" in result.sources_html
    assert leftovers(index_dir) == []


@pytest.mark.timeout(120)
def test_two_cli_builds_at_once_never_interleave(tmp_path: Path) -> None:
    sources = {which: write_set(tmp_path / which, which, extra=30) for which in "ab"}
    index_dir = tmp_path / "index"
    build_index(index_dir, [sources["a"]], embedder=HashEmbedder())
    builds = [
        subprocess.Popen(
            [sys.executable, "-m", "qa", "-q", "build", str(sources[which]), "--full",
             "--index", str(index_dir), "--model", "hash"],
            stderr=subprocess.PIPE, text=True,
        )
        for which in "ba"
    ]
    for build in builds:
        _, err = build.communicate(timeout=100)
        assert build.returncode == 0, err
    state = snapshot(index_dir)
    expected = {}
    for which in "ab":
        build_index(tmp_path / f"only-{which}", [sources[which]], embedder=HashEmbedder())
        expected[which] = snapshot(tmp_path / f"only-{which}")
    assert state in expected.values()
    assert leftovers(index_dir) == [] and len(list(index_dir.glob("gen-*"))) <= 2


@pytest.mark.timeout(120)
def test_a_build_waits_for_another_process_or_fails_clearly(tmp_path: Path) -> None:
    sources = {which: write_set(tmp_path / which, which) for which in "ab"}
    index_dir = tmp_path / "index"
    build_index(index_dir, [sources["a"]], embedder=HashEmbedder())
    paused, release = tmp_path / "paused", tmp_path / "release"
    process = start_build(index_dir, sources["b"], pause_in="publish",
                          pause_flag=str(paused), release_flag=str(release))
    try:
        deadline = time.monotonic() + 60
        while not paused.exists():
            assert time.monotonic() < deadline and process.is_alive()
            time.sleep(0.02)
        with pytest.raises(IndexLockedError) as error:
            build_index(index_dir, [sources["a"]], embedder=HashEmbedder(), lock_timeout=0.3)
        message = str(error.value)
        assert f"(pid {process.pid})" in message and "try again" in message
        assert "\n" not in message
        threading.Timer(0.3, release.touch).start()
        report = build_index(index_dir, [sources["a"]], embedder=HashEmbedder(), lock_timeout=60)
    finally:
        release.touch()
        process.join(60)
    assert process.exitcode == 0
    assert report.added and report.removed  # it ran after the other build, on its result
    assert {aid for aid, _ in snapshot(index_dir)[0]} == {"a-bridge", "a-comet", "a-volcano"}
