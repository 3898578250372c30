from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from corpus import ChunkConfig
from index import HashEmbedder, IndexStoreError, build_index, open_index
from index.disk.lexical import tokenize
from index.disk.manifest import read_manifest
from index.sync.policy import MergePolicy
from tests.index.conftest import CountingEmbedder, write_news
from tests.index.legacy_index import write_format1_index


def test_build_open_search_round_trip(news_dir: Path, tmp_path: Path) -> None:
    report = build_index(tmp_path / "idx", [news_dir], embedder=HashEmbedder())
    assert report.added == ["alpha", "beta", "gamma"]
    assert report.generation == 1 and report.chunks == report.embedded_chunks == 3
    assert report.full_rebuild_reason is None

    with open_index(tmp_path / "idx") as reader:
        assert reader.size == 3 and reader.embedder_name == "hash"
        assert reader.manifest.counts.articles == 3
        assert reader.manifest.sources == (str(news_dir),)
        query = HashEmbedder().encode(["electric ferries order shipyard"])[0]
        (row, score), *_ = reader.dense_search(query, 2)
        assert reader.chunks([row])[0].article_id == "beta"
        assert 0 < score <= 1.0 + 1e-6
        (lex_row, _), *_ = reader.lexical_search("comet telescope", 2)
        assert reader.chunks([lex_row])[0].article_id == "gamma"


def test_chunks_carry_offsets_into_the_article(news_dir: Path, tmp_path: Path) -> None:
    build_index(tmp_path / "idx", [news_dir], embedder=HashEmbedder())
    with open_index(tmp_path / "idx") as reader:
        rows = reader.rows_matching(sources=["alpha"])
        (chunk,) = reader.chunks(rows)
        article = reader.article("alpha")
        assert article.text[chunk.start : chunk.end] == chunk.text
        assert chunk.id == "alpha:0" and chunk.paragraphs == (0, 1)
        assert [article.text[s:e] for s, e in chunk.sentences] == list(article.paragraphs)


def test_sentence_vectors_align_with_chunk_sentences(news_dir: Path, tmp_path: Path) -> None:
    build_index(tmp_path / "idx", [news_dir], embedder=HashEmbedder())
    with open_index(tmp_path / "idx") as reader:
        rows = reader.rows_matching(sources=["beta"])
        (chunk,) = reader.chunks(rows)
        vectors = reader.sentence_vectors(rows)[int(rows[0])]
        assert vectors.dtype == np.float32 and vectors.shape == (len(chunk.sentences), 256)
        text = reader.article("beta").text
        expected = HashEmbedder().encode([text[s:e] for s, e in chunk.sentences])
        assert np.allclose(vectors, expected, atol=2e-3)  # stored as float16


def test_unchanged_sync_is_a_noop(news_dir: Path, tmp_path: Path, counting) -> None:
    build_index(tmp_path / "idx", [news_dir], embedder=counting)
    counting.embedded.clear()
    report = build_index(tmp_path / "idx", embedder=counting)  # sources from the manifest
    assert report.unchanged == ["alpha", "beta", "gamma"]
    assert report.generation == 1 and report.embedded_chunks == 0
    assert counting.embedded == []


def test_incremental_sync_embeds_only_new_and_changed(
    news_dir: Path, tmp_path: Path, counting: CountingEmbedder
) -> None:
    build_index(tmp_path / "idx", [news_dir], embedder=counting)
    counting.embedded.clear()
    write_news(news_dir, "delta", "Delta airport opens runway", "A second runway opened.")
    write_news(news_dir, "beta", "Beta shipyard wins ferry order", "Now it is eight ferries.")
    (news_dir / "gamma.txt").unlink()

    report = build_index(tmp_path / "idx", embedder=counting)

    assert (report.added, report.changed, report.removed) == (["delta"], ["beta"], ["gamma"])
    assert report.unchanged == ["alpha"] and report.generation == 2
    assert counting.titles_embedded() == {
        "Delta airport opens runway", "Beta shipyard wins ferry order"
    }
    with open_index(tmp_path / "idx") as reader:
        assert {a.id for a in reader.articles()} == {"alpha", "beta", "delta"}
        assert reader.size == 3 and reader.manifest.next_row == 5
        assert "eight ferries" in reader.article("beta").text
        assert reader.lexical_search("comet", 3) == []
        (row, _), *_ = reader.lexical_search("eight ferries", 3)
        assert reader.chunks([row])[0].id == "beta:0"
        query = HashEmbedder(dim=64).encode(["second runway opened"])[0]
        assert reader.chunks([reader.dense_search(query, 1)[0][0]])[0].article_id == "delta"


def test_prune_false_keeps_articles_missing_from_sources(
    news_dir: Path, tmp_path: Path, counting: CountingEmbedder
) -> None:
    build_index(tmp_path / "idx", [news_dir], embedder=counting)
    (news_dir / "gamma.txt").unlink()
    report = build_index(tmp_path / "idx", embedder=counting, prune=False)
    assert report.removed == []
    with open_index(tmp_path / "idx") as reader:
        assert {a.id for a in reader.articles()} == {"alpha", "beta", "gamma"}
    # A full rebuild without pruning re-embeds them from the stored text.
    report = build_index(tmp_path / "idx", embedder=counting, prune=False, full=True)
    with open_index(tmp_path / "idx") as reader:
        assert reader.article("gamma").title == "Gamma observatory spots comet"
        assert reader.size == 3


def test_duplicate_content_is_indexed_once(
    news_dir: Path, tmp_path: Path, counting: CountingEmbedder
) -> None:
    shutil.copy(news_dir / "beta.txt", news_dir / "beta2.txt")
    report = build_index(tmp_path / "idx", [news_dir], embedder=counting)
    assert report.duplicates == ["beta2"]
    assert "beta2" not in report.added
    with open_index(tmp_path / "idx") as reader:
        assert reader.manifest.duplicates == {"beta2": "beta"}
        assert reader.size == 3

    # Once the kept copy goes, the duplicate is indexed in its place.
    (news_dir / "beta.txt").unlink()
    report = build_index(tmp_path / "idx", embedder=counting)
    assert (report.added, report.removed, report.duplicates) == (["beta2"], ["beta"], [])


def test_an_indexed_article_keeps_its_content_over_a_new_duplicate(
    news_dir: Path, tmp_path: Path, counting: CountingEmbedder
) -> None:
    build_index(tmp_path / "idx", [news_dir], embedder=counting)
    counting.embedded.clear()
    shutil.copy(news_dir / "gamma.txt", news_dir / "aaa-gamma-copy.txt")  # sorts first
    report = build_index(tmp_path / "idx", embedder=counting)
    assert report.duplicates == ["aaa-gamma-copy"] and report.removed == []
    assert counting.embedded == []


def test_full_rebuild_reembeds_everything(news_dir: Path, tmp_path: Path, counting) -> None:
    build_index(tmp_path / "idx", [news_dir], embedder=counting)
    counting.embedded.clear()
    report = build_index(tmp_path / "idx", embedder=counting, full=True)
    assert report.embedded_chunks == 3 and len(counting.embedded) == 3
    assert report.full_rebuild_reason == "requested (full=True)"
    assert report.generation == 2
    with open_index(tmp_path / "idx") as reader:
        assert reader.manifest.next_row == 3  # rows start again from 0


class LatePooling(CountingEmbedder):
    sentence_vectors = "late-pooling"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"embedder": CountingEmbedder(name="other-model")}, "embedder changed"),
        ({"embedder": CountingEmbedder(dim=32)}, "dimension changed"),
        ({"chunk_config": ChunkConfig(max_tokens=64)}, "chunking changed"),
        ({"embedder": LatePooling()}, "sentence vectors changed"),
    ],
)
def test_model_or_chunking_change_forces_full_rebuild(
    news_dir: Path, tmp_path: Path, change: dict, reason: str
) -> None:
    build_index(tmp_path / "idx", [news_dir], embedder=CountingEmbedder())
    write_news(news_dir, "delta", "Delta airport opens runway", "A second runway opened.")
    options = {"embedder": CountingEmbedder(), **change}
    report = build_index(tmp_path / "idx", **options)
    assert reason in (report.full_rebuild_reason or "")
    assert report.embedded_chunks == report.chunks == 4
    with open_index(tmp_path / "idx") as reader:
        assert reader.manifest.embedder.name == options["embedder"].name
        assert reader.manifest.embedder.dim == options["embedder"].dim
        assert reader.manifest.chunking == (change.get("chunk_config") or ChunkConfig()).to_dict()


def test_old_generations_are_removed_keeping_the_previous(
    news_dir: Path, tmp_path: Path
) -> None:
    for n in range(4):
        write_news(news_dir, f"extra-{n}", f"Extra story {n}", f"Paragraph number {n}.")
        build_index(tmp_path / "idx", [news_dir], embedder=HashEmbedder())
    names = sorted(p.name for p in (tmp_path / "idx").iterdir())
    assert names == [".lock", "CURRENT", "gen-3", "gen-4", "segments"]
    assert (tmp_path / "idx" / "CURRENT").read_text().strip() == "gen-4"
    used = set()
    for generation in ("gen-3", "gen-4"):  # only segments a kept generation names remain
        manifest = read_manifest(tmp_path / "idx" / generation)
        used |= {n for ref in manifest.segments for n in (ref.name, *ref.parts)}
    assert {p.name for p in (tmp_path / "idx" / "segments").iterdir()} == used


def test_new_index_defaults_to_the_bundled_articles(tmp_path: Path) -> None:
    report = build_index(tmp_path / "idx", embedder=HashEmbedder())
    assert report.added == ["2026-01-09-lee-takaichi-nara-summit"]


def test_missing_source_is_an_error_not_a_prune(news_dir: Path, tmp_path: Path) -> None:
    build_index(tmp_path / "idx", [news_dir], embedder=HashEmbedder())
    news_dir.rename(tmp_path / "moved")
    with pytest.raises(IndexStoreError, match="does not exist"):
        build_index(tmp_path / "idx", embedder=HashEmbedder())
    with pytest.raises(IndexStoreError, match="does not exist"):
        build_index(tmp_path / "idx", [tmp_path / "nowhere"], embedder=HashEmbedder())


def test_refuses_a_non_empty_foreign_folder(tmp_path: Path, news_dir: Path) -> None:
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "notes.txt").write_text("mine")
    with pytest.raises(IndexStoreError, match="not a newsqa index"):
        build_index(tmp_path / "home", [news_dir], embedder=HashEmbedder())


def test_progress_reports_every_stage(news_dir: Path, tmp_path: Path) -> None:
    seen: list[tuple[str, int, int]] = []
    build_index(tmp_path / "idx", [news_dir], embedder=HashEmbedder(), show_progress=True,
                progress=lambda *event: seen.append(event))
    stages = list(dict.fromkeys(stage for stage, _, _ in seen))
    assert stages == ["load", "chunk", "lexical", "embed", "write"]  # BM25 before vectors
    assert ("embed", 3, 3) in seen and ("chunk", 3, 3) in seen


def test_report_summary_and_dict(news_dir: Path, tmp_path: Path) -> None:
    report = build_index(tmp_path / "idx", [news_dir], embedder=HashEmbedder())
    assert report.summary().startswith("added 3, changed 0, removed 0, unchanged 0 articles")
    assert report.to_dict()["index_dir"] == str(tmp_path / "idx")


def test_lexical_text_includes_the_title(news_dir: Path, tmp_path: Path) -> None:
    build_index(tmp_path / "idx", [news_dir], embedder=HashEmbedder())
    with open_index(tmp_path / "idx") as reader:
        (row, _), *_ = reader.lexical_search("shipyard", 1)  # only in beta's title... and text
        assert reader.chunks([row])[0].article_id == "beta"
        assert tokenize("observatory")[0] in tokenize("Gamma observatory spots comet")


def test_warns_when_chunks_exceed_the_model_window(
    news_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    build_index(tmp_path / "idx", [news_dir], embedder=HashEmbedder(),
                chunk_config=ChunkConfig(max_tokens=1024))
    assert "exceed the 512-token window" in caplog.text


def _lexical_hits(index_dir: Path, queries: list[str]) -> list[list[tuple[str, float]]]:
    with open_index(index_dir) as reader:
        results = []
        for query in queries:
            hits = reader.lexical_search(query, 10)
            chunks = reader.chunks([row for row, _ in hits])
            results.append([(chunks[i].id, round(score, 4)) for i, (_, score) in enumerate(hits)])
        return results


def test_incremental_bm25_equals_a_full_rebuild(
    news_dir: Path, tmp_path: Path, counting: CountingEmbedder
) -> None:
    """BM25 is edited, not rebuilt, by an incremental sync; its scores (which depend on
    every chunk's length and every term's document frequency) match a fresh build."""
    build_index(tmp_path / "idx", [news_dir], embedder=counting)
    write_news(news_dir, "delta", "Delta ferry terminal opens", "A ferry terminal opened.")
    write_news(news_dir, "beta", "Beta shipyard wins ferry order", "Now it is eight ferries.")
    (news_dir / "gamma.txt").unlink()
    build_index(tmp_path / "idx", embedder=counting)
    build_index(tmp_path / "fresh", [news_dir], embedder=counting)
    queries = ["ferry terminal", "river park council", "comet", "eight ferries shipyard"]
    assert _lexical_hits(tmp_path / "idx", queries) == _lexical_hits(tmp_path / "fresh", queries)


@pytest.mark.parametrize("bm25s", [False, True])
def test_an_index_of_format_1_is_read_and_upgraded(
    news_dir: Path, tmp_path: Path, counting: CountingEmbedder, bm25s: bool
) -> None:
    """An index written before segments (one SQLite file, FAISS file and BM25 folder per
    generation; BM25 even in bm25s's files) answers as today's build of the same articles,
    and the next build rewrites it as segments, embedding nothing again."""
    write_format1_index(tmp_path / "old", news_dir, counting, bm25s=bm25s)
    build_index(tmp_path / "fresh", [news_dir], embedder=counting)
    queries = ["ferry order", "comet telescope", "river park council"]
    assert _lexical_hits(tmp_path / "old", queries) == _lexical_hits(tmp_path / "fresh", queries)
    vector = counting.encode(["electric ferries"])[0]
    with open_index(tmp_path / "old") as old, open_index(tmp_path / "fresh") as fresh:
        assert old.manifest.legacy and old.size == fresh.size == 3
        found, expected = old.dense_search(vector, 3), fresh.dense_search(vector, 3)
        assert [r for r, _ in found] == [r for r, _ in expected]
        assert [s for _, s in found] == pytest.approx([s for _, s in expected], abs=1e-3)
        rows = [int(r) for r in old.rows_matching(sources=["beta"])]
        assert np.array_equal(old.sentence_vectors(rows)[rows[0]],
                              fresh.sentence_vectors(rows)[rows[0]])
    counting.embedded.clear()
    report = build_index(tmp_path / "old", embedder=counting)  # nothing changed: upgrade
    assert report.embedded_chunks == 0 and counting.embedded == []
    with open_index(tmp_path / "old") as upgraded:
        assert not upgraded.manifest.legacy and upgraded.size == 3
        assert not (upgraded.path / "store.sqlite").exists()
    write_news(news_dir, "delta", "Delta ferry terminal opens", "A ferry terminal opened.")
    build_index(tmp_path / "old", embedder=counting)
    build_index(tmp_path / "fresh", embedder=counting)
    assert _lexical_hits(tmp_path / "old", queries) == _lexical_hits(tmp_path / "fresh", queries)
    assert not list((tmp_path / "old").glob("gen-*/store.sqlite"))  # the old files are gone


def _recount(index_dir: Path) -> tuple[int, int, int]:
    """(articles, chunks, sentence vectors) counted in the live generation's files."""
    import sqlite3

    from index.disk.layout import live_generation
    from index.disk.segments import read_deletions

    folder = live_generation(index_dir)
    manifest = read_manifest(folder)
    deleted, _ = read_deletions(folder)
    articles = chunks = sentences = 0
    for ref in manifest.segments:
        gone = sorted(deleted.get(ref.name, ()))
        marks = ",".join("?" * len(gone))
        with sqlite3.connect(index_dir / "segments" / ref.name / "docs.sqlite") as conn:
            (a,) = conn.execute(f"SELECT COUNT(*) FROM articles WHERE id NOT IN ({marks})",
                                gone).fetchone()
            live = [r for (r,) in conn.execute(
                f"SELECT row FROM chunks WHERE article_id NOT IN ({marks})", gone)]
        articles, chunks = articles + a, chunks + len(live)
        for part in ref.parts:
            folder_part = index_dir / "segments" / part
            rows = np.load(folder_part / "rows.npy")
            starts = np.load(folder_part / "sentence_starts.npy")
            keep = np.isin(rows, live)
            sentences += int((starts[1:] - starts[:-1])[keep].sum())
    return articles, chunks, sentences


def test_manifest_counts_stay_exact_through_incremental_syncs(
    news_dir: Path, tmp_path: Path, counting: CountingEmbedder
) -> None:
    build_index(tmp_path / "idx", [news_dir], embedder=counting)
    write_news(news_dir, "delta", "Delta airport", "A runway opened.", "Flights start soon.")
    write_news(news_dir, "beta", "Beta shipyard wins ferry order", "Now it is eight ferries.")
    (news_dir / "gamma.txt").unlink()
    build_index(tmp_path / "idx", embedder=counting, merges=MergePolicy(factor=8,
                                                                         deleted_fraction=1.0))
    with open_index(tmp_path / "idx") as reader:
        counts = reader.manifest.counts
        assert sum(s.deleted for s in reader.manifest.segments) == 2  # tombstones kept
    assert (counts.articles, counts.chunks, counts.sentences) == _recount(tmp_path / "idx")
    assert (counts.articles, counts.chunks, counts.sentences, counts.embedded) == (3, 3, 5, 3)


def test_removing_most_articles_shrinks_the_index(tmp_path: Path) -> None:
    from index import remove_articles

    folder = tmp_path / "many"
    for n in range(40):
        write_news(folder, f"a{n}", f"Story number {n}", *(f"Sentence {i} of story {n}. " * 30
                                                          for i in range(12)))
    embedder = HashEmbedder(dim=64)
    build_index(tmp_path / "idx", [folder], embedder=embedder)
    before = _live_size(tmp_path / "idx")
    remove_articles(tmp_path / "idx", [f"a{n}" for n in range(30)], embedder=embedder)
    after = _live_size(tmp_path / "idx")
    assert after < before / 2  # the tombstone-heavy segment was rewritten without them
    with open_index(tmp_path / "idx") as reader:
        assert reader.manifest.counts.articles == 10 and len(reader.manifest.segments) == 1
        assert reader.article("a35").title == "Story number 35"


def _live_size(index_dir: Path) -> int:
    """Bytes of the live generation's segments and parts."""
    from index.disk.layout import live_generation

    manifest = read_manifest(live_generation(index_dir))
    folders = [index_dir / "segments" / n for ref in manifest.segments
               for n in (ref.name, *ref.parts)]
    return sum(p.stat().st_size for f in folders for p in f.rglob("*") if p.is_file())


def test_bm25_takes_the_new_chunks_terms_from_ingest(
    news_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Neither a full build nor a sync reads the chunks' terms back from SQLite; a sync
    gives the same BM25 as a fresh build of the same articles."""
    from index.disk.docstore import DocStore

    def refuse(self: DocStore) -> None:
        raise AssertionError("BM25 terms read back from SQLite")

    monkeypatch.setattr(DocStore, "all_tokens", refuse)
    build_index(tmp_path / "idx", [news_dir], embedder=HashEmbedder())
    write_news(news_dir, "delta", "Delta ferry terminal opens", "A ferry terminal opened.")
    (news_dir / "gamma.txt").unlink()
    report = build_index(tmp_path / "idx", embedder=HashEmbedder())
    assert report.added == ["delta"] and report.removed == ["gamma"]
    build_index(tmp_path / "fresh", [news_dir], embedder=HashEmbedder())
    queries = ["ferry terminal", "comet telescope", "river park council"]
    assert _lexical_hits(tmp_path / "idx", queries) == _lexical_hits(tmp_path / "fresh", queries)


def test_a_sync_reads_the_articles_facets_from_an_index(news_dir: Path, tmp_path: Path) -> None:
    """Each sync reads (id, date, source, url, hash) of every article: a segment keeps them
    in a covering index, not interleaved with the texts; the order is still the rows'."""
    import sqlite3

    from index.disk.docstore import DocStore

    build_index(tmp_path / "idx", [news_dir], embedder=HashEmbedder())
    (path,) = (tmp_path / "idx" / "segments").glob("seg-*/docs.sqlite")
    with sqlite3.connect(path) as conn:
        plan = conn.execute("EXPLAIN QUERY PLAN SELECT rowid, id, published, source, url, "
                            "content_hash FROM articles").fetchall()
        in_rowid_order = [r[0] for r in conn.execute("SELECT id FROM articles ORDER BY rowid")]
    assert "COVERING INDEX articles_facets" in " ".join(str(step[-1]) for step in plan)
    store = DocStore(path)
    try:
        assert [f[0] for f in store.article_facets()] == in_rowid_order
    finally:
        store.close()
