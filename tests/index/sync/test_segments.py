"""Segmented stores: a sync writes a new segment and tombstones, never rewrites what it
did not change; the merge policy keeps the segment count small, and merges run while
other threads keep answering."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from index import HashEmbedder, build_index, open_index
from index.disk.manifest import SegmentRef
from index.sync.policy import CheckpointPolicy, Merge, MergePolicy, plan_merges
from tests.index.conftest import write_news
from tests.index.sync.test_progressive import TOPICS, check_answers, contents

ONE_SHOT = CheckpointPolicy(min_chunks=10**9)


def ref(name: str, chunks: int, *, embedded: int | None = None, deleted: int = 0,
        parts: int = 1, articles: int | None = None) -> SegmentRef:
    return SegmentRef(name, 0, 0, chunks if articles is None else articles, chunks, chunks,
                      chunks if embedded is None else embedded, deleted,
                      tuple(f"vec-{name}-{n}" for n in range(parts)))


@pytest.mark.parametrize(("segments", "expected"), [
    ([ref("a", 10), ref("b", 10)], [Merge("merge", ("a", "b"))]),
    ([ref("a", 10), ref("b", 10), ref("c", 10)], [Merge("merge", ("a", "b"))]),
    ([ref("a", 10), ref("b", 10), ref("c", 10), ref("d", 10)],
     [Merge("merge", ("a", "b", "c", "d"))]),  # cascades: two level-0 merges, then level 1
    ([ref("a", 10), ref("b", 10, embedded=4)], []),  # still embedding: not merged
    ([ref("a", 900), ref("b", 10)], []),  # levels differ
    ([ref("a", 600), ref("b", 600)], []),  # over max_chunks
    ([ref("a", 6, deleted=4)], [Merge("merge", ("a",))]),  # tombstone-heavy: rewritten
    ([ref("a", 0, articles=0)], [Merge("drop", ("a",))]),
    ([ref("a", 900, parts=3)], [Merge("parts", ("a",))]),  # a progressive build's parts
])
def test_plan_merges(segments: list[SegmentRef], expected: list[Merge]) -> None:
    policy = MergePolicy(factor=2, floor_chunks=16, max_chunks=1000)
    assert plan_merges(segments, policy) == expected


def write_topic(folder: Path, n: int) -> Path:
    topic = TOPICS[n % len(TOPICS)]
    return write_news(folder, f"a{n:02d}", f"Story {n} on the {topic}",
                      f"Officials said the {topic} plan number {n} was approved on Monday.",
                      f"Residents of district {n} welcomed the {topic} decision.",
                      date=f"2025-03-{n % 28 + 1:02d}")


def segment_files(index_dir: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(index_dir)): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in (index_dir / "segments").rglob("*") if p.is_file()}


def test_a_sync_writes_a_segment_and_tombstones_only(tmp_path: Path) -> None:
    folder = tmp_path / "news"
    for n in range(12):
        write_topic(folder, n)
    index_dir = tmp_path / "idx"
    build_index(index_dir, [folder], embedder=HashEmbedder(), checkpoints=ONE_SHOT)
    before = segment_files(index_dir)
    write_topic(folder, 40)
    (folder / "a03.txt").unlink()
    report = build_index(index_dir, [folder], embedder=HashEmbedder(), checkpoints=ONE_SHOT,
                         merges=MergePolicy(floor_chunks=1000))
    assert report.added == ["a40"] and report.removed == ["a03"]
    after = segment_files(index_dir)
    assert {k: v for k, v in after.items() if k in before} == before  # untouched
    new = {Path(k).parts[1] for k in set(after) - set(before)}
    assert len(new) == 2 and all(n.startswith(("seg-", "vec-")) for n in new)
    generation = index_dir / (index_dir / "CURRENT").read_text("utf-8").strip()
    deletions = json.loads((generation / "deletions.json").read_text("utf-8"))
    assert "a03" in json.dumps(deletions)
    with open_index(index_dir) as reader:
        assert {a.id for a in reader.articles()} == {f"a{n:02d}" for n in
                                                    (*range(12), 40)} - {"a03"}


MERGE_OFTEN = MergePolicy(factor=2, floor_chunks=2)


def merging_index(tmp_path: Path, topics: int) -> tuple[Path, Path, MergePolicy]:
    """(news folder, index folder, policy): `topics` articles built with a policy that
    merges at every other sync."""
    folder = tmp_path / "news"
    for n in range(topics):
        write_topic(folder, n)
    index_dir = tmp_path / "idx"
    build_index(index_dir, [folder], embedder=HashEmbedder(), merges=MERGE_OFTEN)
    return folder, index_dir, MERGE_OFTEN


def test_merges_under_concurrent_readers(tmp_path: Path) -> None:
    folder, index_dir, merges = merging_index(tmp_path, 4)
    early = open_index(index_dir)  # a reader that keeps an old generation through merges
    early_state = contents(index_dir)
    stop, seen, errors = threading.Event(), [], []

    def read() -> None:
        while not stop.is_set():
            try:
                check_answers(index_dir)
                with open_index(index_dir) as reader:
                    seen.append(len(reader.manifest.segments))
                    hits = reader.lexical_search("comet telescope", 3)
                    assert all("comet" in c.text for c in reader.chunks([r for r, _ in hits]))
            except Exception as e:
                errors.append(repr(e))

    threads = [threading.Thread(target=read) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        counts = []
        for n in range(4, 20):  # 16 syncs of one article each, and one removal
            write_topic(folder, n)
            if n == 12:
                (folder / "a01.txt").unlink()
            build_index(index_dir, [folder], embedder=HashEmbedder(), merges=merges)
            with open_index(index_dir) as reader:
                counts.append(len(reader.manifest.segments))
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert errors == [], errors[:3]
    assert max(counts) <= 6 and seen  # log merges: segments stay few (17 syncs)
    # The early reader still answers from its own generation.
    assert len(early.chunks(range(early.size))) == early.size
    assert early.lexical_search("ferry", 3)
    early.close()
    assert early_state[2][0] == 4
    # The merged index is the one a one-shot build of the same articles makes.
    build_index(tmp_path / "one", [folder], embedder=HashEmbedder(), checkpoints=ONE_SHOT)
    merged, fresh = contents(index_dir), contents(tmp_path / "one")
    assert sorted(c[:2] for c in merged[0]) == sorted(c[:2] for c in fresh[0])
    assert merged[2] == fresh[2]


def _tokenized(reader) -> dict[int, tuple[frozenset[str], ...]]:  # type: ignore[no-untyped-def]
    """Every live chunk's sentence terms, tokenized from its text here."""
    from index import tokenize

    rows = [int(r) for r in reader.rows_matching(sources=[a.id for a in reader.articles()])]
    return {row: tuple(frozenset(tokenize(chunk.text[s - chunk.start: e - chunk.start]))
                       for s, e in chunk.sentences)
            for row, chunk in zip(rows, reader.chunks(rows), strict=True)}


def test_sentence_terms_are_kept_through_syncs_and_merges(tmp_path: Path) -> None:
    """A question reads each sentence's terms from the segments (so it need not tokenize
    the chunks it ranks): the same terms as tokenizing, after syncs and merges; a segment
    written before they were kept (no table) is tokenized instead."""
    import sqlite3

    folder, index_dir, merges = merging_index(tmp_path, 3)
    for n in range(3, 8):
        write_topic(folder, n)
        build_index(index_dir, [folder], embedder=HashEmbedder(), merges=merges)
    with open_index(index_dir) as reader:
        expected = _tokenized(reader)
        assert len(expected) == reader.size
        segments = [index_dir / "segments" / s.name for s in reader.manifest.segments]
        assert len(segments) < 6  # six builds: some segments are merges
        kept = {}
        for segment in segments:
            with sqlite3.connect(segment / "docs.sqlite") as conn:
                kept.update(dict(conn.execute("SELECT row, tokens FROM sentence_tokens")))
        assert set(kept) == set(expected)  # every chunk's, merged ones included
        assert reader.sentence_terms(list(expected)) == expected
    with sqlite3.connect(segments[0] / "docs.sqlite") as conn:  # as an older build wrote it
        conn.execute("DROP TABLE sentence_tokens")
    with open_index(index_dir) as reader:
        assert reader.sentence_terms(list(expected)) == expected
