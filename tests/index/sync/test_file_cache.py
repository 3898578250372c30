"""A sync reads only the source files that changed since the last one."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import index.sync.sources
from index import build_index, open_index, remove_articles
from index.disk.layout import SOURCES_FILE, live_generation
from tests.index.conftest import CountingEmbedder, write_news


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files each sync parses."""
    seen: list[str] = []
    real = index.sync.sources.read_file

    def counting(file, **kwargs):
        seen.append(file.path.name)
        return real(file, **kwargs)

    monkeypatch.setattr(index.sync.sources, "read_file", counting)
    return seen


def test_only_new_and_changed_files_are_read(
    news_dir: Path, tmp_path: Path, counting: CountingEmbedder, reads: list[str]
) -> None:
    build_index(tmp_path / "idx", [news_dir], embedder=counting)
    assert sorted(reads) == ["alpha.txt", "beta.txt", "gamma.txt"]
    reads.clear()
    write_news(news_dir, "delta", "Delta airport opens runway", "A second runway opened.")
    report = build_index(tmp_path / "idx", embedder=counting)
    assert reads == ["delta.txt"] and report.added == ["delta"]
    assert report.unchanged == ["alpha", "beta", "gamma"]


def test_a_file_rewritten_with_the_same_size_and_time_is_read_again(
    news_dir: Path, tmp_path: Path, counting: CountingEmbedder, reads: list[str]
) -> None:
    build_index(tmp_path / "idx", [news_dir], embedder=counting)
    path = news_dir / "beta.txt"
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("six electric", "ten electric"), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # as `cp -p` or rsync would
    assert path.stat().st_size == before.st_size
    reads.clear()
    report = build_index(tmp_path / "idx", embedder=counting)
    assert reads == ["beta.txt"] and report.changed == ["beta"]
    with open_index(tmp_path / "idx") as reader:
        assert "ten electric ferries" in reader.article("beta").text


def test_an_unusable_cache_means_reading_everything(
    news_dir: Path, tmp_path: Path, counting: CountingEmbedder, reads: list[str]
) -> None:
    build_index(tmp_path / "idx", [news_dir], embedder=counting)
    (live_generation(tmp_path / "idx") / SOURCES_FILE).write_text("{not json", encoding="utf-8")
    reads.clear()
    report = build_index(tmp_path / "idx", embedder=counting)
    assert sorted(reads) == ["alpha.txt", "beta.txt", "gamma.txt"]
    assert report.unchanged == ["alpha", "beta", "gamma"] and report.embedded_chunks == 0


def test_a_cache_of_the_earlier_format_is_still_used(
    news_dir: Path, tmp_path: Path, counting: CountingEmbedder, reads: list[str]
) -> None:
    """Format 1 listed each article as [id, hash, source, url]; format 2 keeps columns."""
    build_index(tmp_path / "idx", [news_dir], embedder=counting)
    path = live_generation(tmp_path / "idx") / SOURCES_FILE
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == 2 and all("ids" in f and "source" in f for f in data["files"])
    for f in data["files"]:
        f["articles"] = [[aid, chash, f["source"], None]
                         for aid, chash in zip(f.pop("ids"), f.pop("hashes"), strict=True)]
        del f["source"]
    path.write_text(json.dumps({**data, "format": 1}), encoding="utf-8")
    reads.clear()
    report = build_index(tmp_path / "idx", embedder=counting)
    assert reads == [] and report.unchanged == ["alpha", "beta", "gamma"]


def test_full_rebuild_reads_every_file(
    news_dir: Path, tmp_path: Path, counting: CountingEmbedder, reads: list[str]
) -> None:
    build_index(tmp_path / "idx", [news_dir], embedder=counting)
    reads.clear()
    build_index(tmp_path / "idx", embedder=counting, full=True)
    assert sorted(reads) == ["alpha.txt", "beta.txt", "gamma.txt"]


def test_an_article_to_embed_from_an_unchanged_file_is_read_from_it(
    tmp_path: Path, counting: CountingEmbedder, reads: list[str]
) -> None:
    """An article excluded earlier and included again lives in a file the cache knows:
    the sync reads that file back to embed it."""
    feed = tmp_path / "feed.jsonl"
    lines = [
        {"id": "a1", "title": "Harbour cranes replaced", "text": "Two cranes were replaced."},
        {"id": "a2", "title": "Ferry timetable changes", "text": "Ferries leave hourly now."},
    ]
    feed.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    build_index(tmp_path / "idx", [feed], embedder=counting)
    remove_articles(tmp_path / "idx", ["a1"], embedder=counting)
    reads.clear()
    counting.embedded.clear()
    report = index.sync.build.sync_locked(
        tmp_path / "idx",
        index.sync.build.SyncRequest(sources=None, embedder=counting, include=frozenset({"a1"})),
    )
    assert report.added == ["a1"] and reads == ["feed.jsonl"]
    assert counting.titles_embedded() == {"Harbour cranes replaced"}
    with open_index(tmp_path / "idx") as reader:
        assert "Two cranes" in reader.article("a1").text
