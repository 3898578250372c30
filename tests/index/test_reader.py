from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from index import (
    ArticleNotFoundError,
    EmbedderMismatchError,
    HashEmbedder,
    IndexFormatError,
    IndexNotFoundError,
    build_index,
    open_index,
)
from tests.index.conftest import CountingEmbedder


@pytest.fixture
def index_dir(news_dir: Path, tmp_path: Path) -> Path:
    build_index(tmp_path / "idx", [news_dir], embedder=HashEmbedder())
    return tmp_path / "idx"


def article_ids(reader, rows) -> list[str]:
    return sorted({c.article_id for c in reader.chunks(rows)})


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"since": date(2025, 2, 1)}, ["beta", "gamma"]),
        ({"until": date(2025, 2, 20)}, ["alpha", "beta"]),
        ({"since": date(2025, 2, 1), "until": date(2025, 3, 1)}, ["beta"]),
        ({"since": date(2026, 1, 1)}, []),
        ({"sources": ["alpha", "gamma.txt"]}, ["alpha", "gamma"]),  # an id or a source
        ({"sources": ["alpha"], "since": date(2025, 2, 1)}, []),
        ({"sources": ["no-such-article"]}, []),
    ],
)
def test_rows_matching(index_dir: Path, filters: dict, expected: list[str]) -> None:
    with open_index(index_dir) as reader:
        rows = reader.rows_matching(**filters)
        assert rows is not None and rows.dtype == np.int64
        assert article_ids(reader, rows) == expected


def test_rows_matching_without_filters_is_unrestricted(index_dir: Path) -> None:
    with open_index(index_dir) as reader:
        assert reader.rows_matching() is None


def test_searches_honour_rows(index_dir: Path) -> None:
    with open_index(index_dir) as reader:
        rows = reader.rows_matching(sources=["gamma"])
        query = HashEmbedder().encode(["electric ferries"])[0]
        assert article_ids(reader, [r for r, _ in reader.dense_search(query, 5, rows=rows)]) == [
            "gamma"
        ]
        assert reader.lexical_search("ferries", 5, rows=rows) == []
        assert reader.dense_search(query, 5, rows=np.array([], dtype=np.int64)) == []
        assert len(reader.dense_search(query, 50)) == 3  # k larger than the index


def test_chunks_keep_order_and_reject_unknown_rows(index_dir: Path) -> None:
    with open_index(index_dir) as reader:
        assert [c.id for c in reader.chunks([2, 0, 2])] == ["gamma:0", "alpha:0", "gamma:0"]
        with pytest.raises(KeyError, match="99"):
            reader.chunks([99])
        assert reader.sentence_vectors([99]) == {}


def test_articles_and_article(index_dir: Path) -> None:
    with open_index(index_dir) as reader:
        records = reader.articles()
        assert [r.id for r in records] == ["gamma", "beta", "alpha"]  # newest first
        assert records[0].published == date(2025, 3, 30) and records[0].chunks == 1
        assert records[0].byline == "JANE DOE" and records[0].source == "gamma.txt"
        article = reader.article("alpha")
        assert article.title == "Alpha council backs river park"
        assert article.content_hash == records[2].content_hash
        with pytest.raises(ArticleNotFoundError, match="'nope'"):
            reader.article("nope")


def test_check_embedder(index_dir: Path) -> None:
    with open_index(index_dir) as reader:
        reader.check_embedder(HashEmbedder())
        with pytest.raises(EmbedderMismatchError, match="built with embedder 'hash'"):
            reader.check_embedder(CountingEmbedder(name="other"))
        with pytest.raises(EmbedderMismatchError, match="dim 256"):
            reader.check_embedder(HashEmbedder(dim=8))


def test_reader_is_safe_to_share_between_threads(index_dir: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    query = HashEmbedder().encode(["comet observatory"])[0]
    with open_index(index_dir) as reader:
        expected = (reader.dense_search(query, 3), [c.id for c in reader.chunks([0, 1, 2])])

        def work(i: int) -> tuple:
            reader.sentence_vectors([i % 3])
            reader.lexical_search("ferry", 2)
            return reader.dense_search(query, 3), [c.id for c in reader.chunks([0, 1, 2])]

        with ThreadPoolExecutor(8) as pool:
            assert all(result == expected for result in pool.map(work, range(200)))


def test_open_accepts_a_generation_folder(index_dir: Path) -> None:
    with open_index(index_dir / "gen-1") as reader:
        assert reader.size == 3 and reader.generation == 1


# --- errors: every one is a single clear line -------------------------------------------


def _error_line(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert "\n" not in message
    return message


def test_missing_index(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError) as error:
        open_index(tmp_path / "nothing")
    assert _error_line(error) == (
        f"no index at '{tmp_path / 'nothing'}'; run 'newsqa build' first"
    )


def test_foreign_folder(tmp_path: Path) -> None:
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "cat.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(IndexNotFoundError, match=r"no manifest\.json"):
        open_index(tmp_path / "photos")


def _live(index_dir: Path) -> Path:
    return index_dir / (index_dir / "CURRENT").read_text().strip()


def _segment(index_dir: Path) -> Path:
    """The live generation's first segment folder."""
    manifest = json.loads((_live(index_dir) / "manifest.json").read_text())
    return index_dir / "segments" / manifest["segments"][0]["name"]


def _part(index_dir: Path) -> Path:
    """The live generation's first vector part folder."""
    manifest = json.loads((_live(index_dir) / "manifest.json").read_text())
    return index_dir / "segments" / manifest["segments"][0]["parts"][0]


def test_newer_format_version(index_dir: Path) -> None:
    manifest = _live(index_dir) / "manifest.json"
    data = json.loads(manifest.read_text())
    data["format_version"] = 99
    manifest.write_text(json.dumps(data))
    with pytest.raises(IndexFormatError) as error:
        open_index(index_dir)
    assert "built by a newer newsqa" in _error_line(error)
    assert "'newsqa build --full'" in str(error.value)
    # An incremental build refuses too; a full one with sources replaces it.
    with pytest.raises(IndexFormatError):
        build_index(index_dir, embedder=HashEmbedder())


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("{not json", "unreadable"),
        ('{"hello": 1}', "not a newsqa index manifest"),
        ('{"format_version": 1}', "malformed"),
        ("[1, 2]", "not a newsqa index manifest"),
    ],
)
def test_corrupt_manifest(index_dir: Path, content: str, match: str) -> None:
    (_live(index_dir) / "manifest.json").write_text(content)
    with pytest.raises(IndexFormatError, match=match) as error:
        open_index(index_dir)
    _error_line(error)


@pytest.mark.parametrize("keep_bytes", [0, 40, -100])
def test_truncated_vectors_file(index_dir: Path, keep_bytes: int) -> None:
    faiss_file = _part(index_dir) / "vectors.faiss"
    faiss_file.write_bytes(faiss_file.read_bytes()[:keep_bytes])
    with pytest.raises(IndexFormatError, match="corrupt or truncated") as error:
        open_index(index_dir)
    assert "vectors.faiss" in _error_line(error)


def test_corrupt_sqlite_and_missing_files(index_dir: Path) -> None:
    segment = _segment(index_dir)
    docs = segment / "docs.sqlite"
    docs.write_bytes(b"garbage" * (docs.stat().st_size // 7) + b"x" * (docs.stat().st_size % 7))
    with pytest.raises(IndexFormatError, match=r"docs\.sqlite"):
        open_index(index_dir)
    (segment / "lexical" / "rows.npy").unlink()
    with pytest.raises(IndexFormatError, match="incomplete"):
        open_index(index_dir)
    (_part(index_dir) / "part.json").unlink()
    with pytest.raises(IndexFormatError, match="incomplete"):
        open_index(index_dir)


def test_current_pointing_outside(index_dir: Path) -> None:
    (index_dir / "CURRENT").write_text("../../etc\n")
    with pytest.raises(IndexFormatError, match="not a complete index generation"):
        open_index(index_dir)


def test_full_rebuild_with_sources_replaces_a_corrupt_index(
    index_dir: Path, news_dir: Path
) -> None:
    (_live(index_dir) / "manifest.json").write_text("{not json")
    with pytest.raises(IndexFormatError, match="pass the article sources"):
        build_index(index_dir, embedder=HashEmbedder(), full=True)
    report = build_index(index_dir, [news_dir], embedder=HashEmbedder(), full=True)
    assert report.added == ["alpha", "beta", "gamma"]
    assert open_index(index_dir).size == 3


def test_incremental_build_over_truncated_vectors_rebuilds_fully(
    index_dir: Path, news_dir: Path
) -> None:
    faiss_file = _part(index_dir) / "vectors.faiss"
    faiss_file.write_bytes(faiss_file.read_bytes()[:50])
    report = build_index(index_dir, embedder=HashEmbedder())
    assert "could not be read" in (report.full_rebuild_reason or "")
    assert open_index(index_dir).size == 3


def test_index_info(index_dir: Path) -> None:
    from index import index_info

    info = index_info(index_dir)
    assert info["generation"] == 1 and info["embedder"] == "hash" and info["dimension"] == 256
    assert (info["articles"], info["chunks"]) == (3, 3)
    assert info["size"].endswith(" MB") and all(len(key) <= 14 for key in info)
    json.dumps(info)
    with pytest.raises(IndexNotFoundError):
        index_info(index_dir / "nothing")
