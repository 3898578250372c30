"""Progressive builds: the text and BM25 are published first, then generations with more
vectors; readers only ever see complete generations; a build killed while it embeds
leaves an index that answers, the next build embeds only what is missing, and the final
index is the one a one-shot build makes."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from index import HashEmbedder, build_index, index_info, open_index
from index.sync.policy import CheckpointPolicy
from tests.index.conftest import CountingEmbedder, write_news
from tests.index.progressive_child import build

CHILD = Path(__file__).parents[1] / "progressive_child.py"
TOPICS = ("harbor ferry", "council budget", "comet telescope", "railway strike",
          "school library", "river flood", "wind farm", "museum opening")
QUERIES = ("ferry harbor", "budget vote", "comet", "flood river", "wind turbines museum")


def write_many(folder: Path) -> None:
    """24 articles of one chunk each into `folder`."""
    for n in range(24):
        topic = TOPICS[n % len(TOPICS)]
        write_news(folder, f"a{n:02d}", f"Story {n} on the {topic}",
                   f"Officials said the {topic} plan number {n} was approved on Monday.",
                   f"Residents of district {n} welcomed the {topic} decision.",
                   date=f"2025-03-{n + 1:02d}")


@pytest.fixture
def many(tmp_path: Path) -> Path:
    """24 articles of one chunk each."""
    folder = tmp_path / "many"
    write_many(folder)
    return folder


def contents(index_dir: Path) -> tuple:
    """What must be equal between two builds: chunks, their vectors and BM25 (as every
    chunk's dense and lexical score for a few queries) and the counts."""
    embedder = HashEmbedder()
    with open_index(index_dir) as reader:
        chunks = [(c.id, c.text, c.start, c.end) for c in reader.chunks(
            reader.rows_matching(sources=[a.id for a in reader.articles()]))]
        searches = []
        for query in QUERIES:
            vector = embedder.encode([query])[0]
            # every chunk's score, by row (the HashEmbedder ties many, in either order)
            dense = sorted((r, round(s, 5)) for r, s in reader.dense_search(vector, reader.size))
            lexical = sorted((r, round(s, 5))
                             for r, s in reader.lexical_search(query, reader.size))
            searches.append((dense, lexical))
        counts = reader.manifest.counts
        return chunks, searches, (counts.articles, counts.chunks, counts.embedded)


def check_answers(index_dir: Path) -> int:
    """The live generation is complete and answers: BM25 over every chunk, dense search
    over exactly the embedded ones, the others scored NaN (not 0) by dense search.
    Returns how many chunks are embedded."""
    with open_index(index_dir) as reader:
        counts = reader.manifest.counts
        assert reader.size == counts.chunks
        rows = reader.rows_matching(sources=[a.id for a in reader.articles()])
        assert len(reader.chunks(rows)) == reader.size == len(rows)
        assert reader.lexical_search("ferry harbor", 3)
        vector = HashEmbedder().encode(["ferry harbor"])[0]
        dense = reader.dense_search(vector, reader.size)
        assert len(dense) == counts.embedded
        found = reader.candidates("ferry harbor", vector, reader.size)
        no_vector = np.isnan(found.dense)
        assert int(np.count_nonzero(~no_vector)) == counts.embedded
        return counts.embedded


def test_the_text_is_published_first_then_more_vectors(many: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "idx"
    seen: list[int] = []

    class Watching(HashEmbedder):
        def encode_chunks(self, texts, spans_per_text, *, batch_size=32, show_progress=False):
            seen.append(check_answers(index_dir))  # the generation live while embedding
            return super().encode_chunks(texts, spans_per_text)

    report = build(index_dir, many, Watching())
    assert seen[0] == 0  # answerable (BM25) before the first vector
    assert seen == sorted(seen) and len(set(seen)) == len(seen) > 2
    assert report.generations >= len(seen) and report.embedded_chunks == report.chunks
    assert check_answers(index_dir) == report.chunks
    assert index_info(index_dir)["embedded"].startswith(f"{report.chunks:,} of")
    # The checkpoints share the copies files the first publication wrote (hard links).
    inodes = {(g / "copies.npy").stat().st_ino for g in index_dir.glob("gen-*")}
    assert len(list(index_dir.glob("gen-*"))) == 2 and len(inodes) == 1


def test_readers_see_only_complete_generations(many: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "idx"
    build_index(index_dir, [many], embedder=HashEmbedder(), full=True,
                checkpoints=CheckpointPolicy(min_chunks=10**9))
    write_news(many, "z-new", "A late story on the harbor ferry", "The ferry sailed.")
    for path in many.glob("a0*.txt"):  # changed: re-embedded by the progressive sync
        path.write_text(path.read_text("utf-8") + "Updated on Tuesday.\n", "utf-8")
    stop, seen, errors = threading.Event(), [], []

    def read() -> None:
        while not stop.is_set():
            try:
                seen.append(check_answers(index_dir))
            except Exception as e:
                errors.append(repr(e))

    class Slow(HashEmbedder):
        def encode_chunks(self, texts, spans_per_text, *, batch_size=32, show_progress=False):
            time.sleep(0.05)
            return super().encode_chunks(texts, spans_per_text)

    thread = threading.Thread(target=read)
    thread.start()
    try:
        report = build(index_dir, many, Slow())
    finally:
        stop.set()
        thread.join()
    assert errors == []
    assert report.generations > 2 and report.changed
    assert len(set(seen)) > 2  # readers saw several partly embedded generations


@pytest.fixture(scope="module")
def one_shot(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, tuple]:
    root = tmp_path_factory.mktemp("oneshot")
    folder = root / "many"
    write_many(folder)
    build_index(root / "idx", [folder], embedder=HashEmbedder(),
                checkpoints=CheckpointPolicy(min_chunks=10**9))
    return folder, contents(root / "idx")


def test_a_progressive_build_equals_a_one_shot_build(one_shot, tmp_path: Path) -> None:
    folder, expected = one_shot
    build(tmp_path / "idx", folder)
    assert contents(tmp_path / "idx") == expected


def kill_points(folder: Path, work: Path) -> list[int]:
    """Lines (positions in the trace of the embedding phase) to kill the build at: the
    first run of every distinct line, spread over the phase, plus every line of the
    publications' swaps."""
    trace = work / "trace.txt"
    subprocess.run([sys.executable, str(CHILD), str(work / "trace-idx"), str(folder), "-",
                    str(trace)], check=True, timeout=120)
    lines = trace.read_text("utf-8").split("\n")
    firsts: dict[str, int] = {}
    for n, line in enumerate(lines, 1):
        firsts.setdefault(line, n)
    starts = sorted(firsts.values())
    spread = starts[:: max(1, len(starts) // 10)]
    swaps = [n for n, line in enumerate(lines, 1) if line.endswith(" publish")]
    middle = swaps[len(swaps) // 2 : len(swaps) // 2 + 12]  # one publication, mid-build
    return sorted({*spread, *middle, len(lines) // 2, len(lines) - 5})


@pytest.mark.timeout(600)
def test_sigkill_while_embedding_resumes_to_the_one_shot_index(one_shot, tmp_path: Path) -> None:
    folder, expected = one_shot
    points = kill_points(folder, tmp_path)
    assert len(points) >= 10
    partial = []
    for point in points:
        work = tmp_path / f"kill-{point}"
        child = subprocess.run([sys.executable, str(CHILD), str(work), str(folder), str(point)],
                               timeout=120, capture_output=True)
        assert child.returncode == -signal.SIGKILL, child.stderr.decode()[-2000:]
        embedded = check_answers(work)  # the kill left an index that answers
        partial.append(embedded)
        counting = CountingEmbedder(dim=HashEmbedder().dim)
        report = build(work, folder, counting)
        chunks = expected[2][1]
        assert len(counting.embedded) == chunks - embedded  # resumed, not started over
        assert report.embedded_chunks == chunks - embedded
        assert contents(work) == expected
        assert not list(work.glob("tmp-*"))
    assert min(partial) == 0 and any(0 < e < expected[2][1] for e in partial), partial
