from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from index import HashEmbedder, IndexLockedError, build_index, open_index
from index.disk.locking import build_lock
from tests.index.conftest import write_news

HELPER = Path(__file__).parents[1] / "slow_build.py"


def snapshot(index_dir: Path) -> tuple:
    with open_index(index_dir) as reader:
        query = HashEmbedder().encode(["comet observatory"])[0]
        return (
            reader.generation,
            [c.id for c in reader.chunks(range(reader.size))],
            reader.dense_search(query, 3),
            reader.lexical_search("ferry", 3),
        )


def test_killed_build_leaves_the_previous_index_intact(news_dir: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "idx"
    build_index(index_dir, [news_dir], embedder=HashEmbedder())
    before = snapshot(index_dir)
    write_news(news_dir, "delta", "Delta airport opens runway", "A second runway opened.")
    flag = tmp_path / "embedding-started"

    process = subprocess.Popen(
        [sys.executable, str(HELPER), str(index_dir), str(news_dir), str(flag)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not flag.exists():
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "the build never started embedding"
            time.sleep(0.05)
        assert _unpublished(index_dir), "the build writes segments no generation names yet"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stderr.close()

    assert snapshot(index_dir) == before
    # The kernel released the lock; the next build cleans up and carries on.
    report = build_index(index_dir, embedder=HashEmbedder(), lock_timeout=5)
    assert report.added == ["delta"] and report.embedded_chunks == 1
    assert not list(index_dir.glob("tmp-*")) and not _unpublished(index_dir)


def _unpublished(index_dir: Path) -> list[str]:
    """Segment folders that no generation names."""
    named = set()
    for manifest in index_dir.glob("gen-*/manifest.json"):
        for ref in json.loads(manifest.read_text())["segments"]:
            named |= {ref["name"], *ref["parts"]}
    return sorted(p.name for p in (index_dir / "segments").iterdir() if p.name not in named)


def test_second_builder_times_out_with_a_clear_error(news_dir: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "idx"
    index_dir.mkdir()
    with build_lock(index_dir):
        started = time.monotonic()
        with pytest.raises(IndexLockedError) as error:
            build_index(index_dir, [news_dir], embedder=HashEmbedder(), lock_timeout=0.3)
        assert time.monotonic() - started >= 0.3
    message = str(error.value)
    assert "is being built by another process" in message
    assert f"(pid {os.getpid()})" in message and "waited 0.3 s" in message


def test_second_builder_waits_for_the_first(news_dir: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "idx"
    index_dir.mkdir()
    holding = threading.Event()

    def hold() -> None:
        with build_lock(index_dir):
            holding.set()
            time.sleep(0.3)

    thread = threading.Thread(target=hold)
    thread.start()
    holding.wait()
    report = build_index(index_dir, [news_dir], embedder=HashEmbedder(), lock_timeout=10)
    thread.join()
    assert report.generation == 1


def test_readers_keep_their_generation_during_rebuilds(news_dir: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "idx"
    build_index(index_dir, [news_dir], embedder=HashEmbedder())
    reader = open_index(index_dir)
    for n in range(3):  # old generations are deleted while the reader is open
        write_news(news_dir, f"extra-{n}", f"Extra {n}", "Some text.")
        build_index(index_dir, embedder=HashEmbedder())
    assert reader.size == 3 and reader.generation == 1
    assert reader.chunks([0])[0].id == "alpha:0"
    assert reader.article("beta").title == "Beta shipyard wins ferry order"
    reader.close()
    assert open_index(index_dir).size == 6
