"""Pages whose scraped text is boilerplate (the same ad survey or sign-up notice under
unrelated headlines) are searchable by their headline alone, and stay so as pages come
and go: a page is re-indexed when a second page with its text arrives, and again when
that one goes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corpus.chunking import headline_text
from index import HashEmbedder, build_index, index_info, open_index
from index.disk.copies import load_boilerplate_pages
from index.disk.layout import live_generation
from index.sync.copies import detect_copies
from index.sync.policy import MergePolicy
from index.sync.previous import read_previous

AD = ("1. How relevant is this ad to you? Video player was slow to load content. Video "
      "content never loaded. Ad froze or did not finish loading. Video content did not "
      "start after ad. Audio on ad was too loud. Other issues.")
STORY = ("The Port Alder city council approved the Harbor Authority's ferry plan on Friday, "
         "clearing the way for a passenger line to Kelp Island. The vote was 6-3 after a "
         "four-hour debate about traffic near the old fish market.")
PAGES = {
    "sprite": "Sprite will no longer be sold in green bottles",
    "cdc": "CDC activates emergency operations center for monkeypox",
    "lynn": "Loretta Lynn, coal miner's daughter turned country queen, dies at 90",
}


def write(folder: Path, ids: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rows = [{"id": "ferry", "title": "Port Alder council backs ferry plan", "text": STORY,
             "date": "2026-03-10"}]
    rows += [{"id": i, "title": PAGES[i], "text": AD, "date": "2026-03-11"} for i in ids]
    path = folder / "articles.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def segments(index: Path) -> list:  # type: ignore[type-arg]
    previous = read_previous(index, full=False, sources_given=None)
    return previous.state().segments


def headline_only(index: Path) -> set[str]:
    """The live articles the index's segments say are indexed by their headline alone."""
    return {a for s in segments(index) for a in s.segment.info.headline_only
            if a not in s.deleted}


def found_by(index: Path, query: str) -> set[str]:
    with open_index(index) as reader:
        rows = [r for r, _ in reader.lexical_search(query, 10)]
        return {c.article_id for c in reader.chunks(rows)}


def test_detection_records_boilerplate_pairs_apart_from_copies() -> None:
    from corpus import Article

    articles = [Article(i, PAGES[i], (AD,), f"{i}.txt") for i in PAGES]
    articles.append(Article("sprite-2", "Sprite drops its green bottle after 60 years",
                            (AD,), "sprite-2.txt"))  # shares headline words: a copy
    by_id = {a.id: a for a in articles}
    found = detect_copies(None, {a.id: a.content_hash for a in articles}, by_id.__getitem__)
    assert found.groups == (("sprite", "sprite-2"),)
    assert found.boilerplate_pages() == {"sprite", "sprite-2", "cdc", "lynn"}
    assert ("sprite", "sprite-2") not in {(a, b) for a, b, _ in found.boilerplate}


def test_boilerplate_pages_are_searchable_by_their_headline_alone(tmp_path: Path) -> None:
    source, index = write(tmp_path / "src", list(PAGES)), tmp_path / "index"
    report = build_index(index, [source], embedder=HashEmbedder())
    assert sorted(report.reindexed) == sorted(PAGES)
    assert headline_only(index) == set(PAGES)
    assert found_by(index, "green bottles") == {"sprite"}
    assert found_by(index, "video player ad loading") == set()  # the ad's words find nothing
    assert found_by(index, "ferry council vote") == {"ferry"}
    embedder = HashEmbedder()
    with open_index(index) as reader:
        for aid, title in PAGES.items():  # each page's vector is its headline's
            best, cosine = reader.dense_search(embedder.encode([headline_text(title)])[0], 1)[0]
            chunk = reader.chunks([best])[0]
            assert chunk.article_id == aid and abs(cosine - 1.0) < 1e-3  # 8-bit vectors
            assert chunk.text.startswith("1. How relevant")  # its text is kept, verbatim
    info = index_info(index)
    assert info["articles"] == 4 and info["headline-only"] == 3
    again = build_index(index, [source], embedder=HashEmbedder())
    assert again.embedded_chunks == 0 and not again.reindexed


def test_a_page_is_reindexed_when_its_boilerplate_gains_or_loses_a_partner(
    tmp_path: Path,
) -> None:
    index = tmp_path / "index"
    first = build_index(index, [write(tmp_path / "a", ["sprite"])], embedder=HashEmbedder())
    assert not first.reindexed and headline_only(index) == set()
    assert found_by(index, "video player ad loading") == {"sprite"}  # one page: its text

    second = build_index(index, [write(tmp_path / "b", ["sprite", "cdc"])],
                         embedder=HashEmbedder())
    assert second.added == ["cdc"] and sorted(second.reindexed) == ["cdc", "sprite"]
    assert headline_only(index) == {"sprite", "cdc"}
    assert found_by(index, "video player ad loading") == set()
    folder = live_generation(index)
    assert folder is not None and load_boilerplate_pages(folder) == {"sprite", "cdc"}

    third = build_index(index, [write(tmp_path / "c", ["sprite"])], embedder=HashEmbedder())
    assert third.removed == ["cdc"] and third.reindexed == ["sprite"]
    assert headline_only(index) == set()
    assert found_by(index, "video player ad loading") == {"sprite"}


def test_merged_segments_keep_their_headline_only_pages(tmp_path: Path) -> None:
    index = tmp_path / "index"
    build_index(index, [write(tmp_path / "a", ["sprite", "cdc"])], embedder=HashEmbedder())
    build_index(index, [write(tmp_path / "b", ["sprite", "cdc", "lynn"])],
                embedder=HashEmbedder(), merges=MergePolicy(factor=2))
    assert len(segments(index)) == 1
    assert headline_only(index) == set(PAGES)
    assert found_by(index, "video player ad loading") == set()
    assert found_by(index, "country queen") == {"lynn"}


def test_a_resumed_chunk_of_a_headline_only_page_is_embedded_as_its_headline() -> None:
    """A build interrupted while embedding re-indexed pages resumes with the segment's
    record of them, so the vectors do not depend on where it stopped."""
    from corpus import Article
    from corpus.chunking import ChunkConfig, chunk_article
    from index.sync.ingest import pending_chunks

    page = Article("sprite", PAGES["sprite"], (AD,), "sprite.txt")
    chunks = dict(enumerate(chunk_article(page, ChunkConfig())))
    titles = {"sprite": page.title}
    resumed = pending_chunks(chunks, titles, ("sprite",))
    assert [p.vector_text for p in resumed] == [headline_text(page.title)] * len(chunks)
    assert all(p.vector_text is None for p in pending_chunks(chunks, titles))


def test_a_sync_stopped_before_re_indexing_is_finished_by_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash after the generation with the new page was published, before its pages were
    written again: the next sync, with nothing new in the sources, re-indexes them."""
    import index.sync.build as build

    index, source = tmp_path / "index", write(tmp_path / "src", ["sprite", "cdc"])
    monkeypatch.setattr(build, "headline_flips", lambda plan, written: [])  # "crashed"
    assert not build_index(index, [source], embedder=HashEmbedder()).reindexed
    assert headline_only(index) == set()
    monkeypatch.undo()
    report = build_index(index, [source], embedder=HashEmbedder())
    assert sorted(report.reindexed) == ["cdc", "sprite"] and not report.added
    assert headline_only(index) == {"sprite", "cdc"}
