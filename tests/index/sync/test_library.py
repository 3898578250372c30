from __future__ import annotations

import json
from pathlib import Path

import pytest

from index import (
    ArticleNotFoundError,
    HashEmbedder,
    IndexNotFoundError,
    add_files,
    build_index,
    open_index,
    remove_articles,
)
from index.sync.library import MAX_FILE_BYTES
from tests.index.conftest import CountingEmbedder, write_news


@pytest.fixture
def index_dir(news_dir: Path, tmp_path: Path) -> Path:
    build_index(tmp_path / "idx", [news_dir], embedder=HashEmbedder())
    return tmp_path / "idx"


def ids(index_dir: Path) -> set[str]:
    with open_index(index_dir) as reader:
        return {a.id for a in reader.articles()}


def test_add_files_copies_under_safe_names_and_syncs(index_dir: Path, tmp_path: Path) -> None:
    upload = write_news(tmp_path / "uploads", "Delta Airport (final) ünï", "Delta airport opens",
                        "A second runway opened on Tuesday.")
    counting = CountingEmbedder(dim=256)
    report = add_files(index_dir, [upload], embedder=counting)
    library = sorted(p.name for p in (index_dir / "library").iterdir())
    assert library == ["Delta-Airport-final-uni.txt"]
    assert report.added == ["Delta-Airport-final-uni"] and report.unchanged == [
        "alpha", "beta", "gamma"
    ]
    assert counting.titles_embedded() == {"Delta airport opens"}
    assert upload.exists()  # a copy, the upload is untouched
    # Library files stay in later syncs, with or without explicit sources.
    assert build_index(index_dir, embedder=HashEmbedder()).generation == report.generation
    assert "Delta-Airport-final-uni" in ids(index_dir)


@pytest.mark.parametrize(
    ("name", "stem"),
    [("../../evil.txt", "evil"), (".hidden.md", "hidden"), ("—.txt", "upload")],
)
def test_uploaded_names_never_become_paths(tmp_path: Path, name: str, stem: str) -> None:
    from index.sync.library import _safe_name

    library = tmp_path / "library"
    library.mkdir()
    suffix = Path(name).suffix
    safe = _safe_name(Path(name).stem, suffix, library, set())
    assert safe == f"{stem}{suffix}"
    (library / safe).write_text("x")
    assert _safe_name(Path(name).stem, suffix, library, set()) == f"{stem}-2{suffix}"
    assert _safe_name(Path(name).stem, suffix, library, {f"{stem}-2"}) == f"{stem}-3{suffix}"


def test_add_files_skips_what_it_cannot_take(index_dir: Path, tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    (uploads / "photo.jpg").write_bytes(b"\xff\xd8")
    big = uploads / "big.txt"
    with open(big, "wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)
    (uploads / "empty.txt").write_text("")
    report = add_files(index_dir, [uploads / "photo.jpg", big, uploads / "empty.txt",
                                   uploads / "missing.txt"], embedder=HashEmbedder())
    reasons = {s.source: s.reason for s in report.skipped}
    assert set(reasons) == {"photo.jpg", "big.txt", "empty.txt", "missing.txt"}
    assert "unsupported file type '.jpg'" in reasons["photo.jpg"]
    assert "the limit is 20 MB" in reasons["big.txt"]
    assert reasons["missing.txt"] == "not a file"
    assert not any((index_dir / "library").iterdir())
    assert report.added == []


def test_adding_the_same_file_twice_copies_it_once(index_dir: Path, tmp_path: Path) -> None:
    upload = write_news(tmp_path / "uploads", "delta", "Delta airport opens", "Runway two.")
    add_files(index_dir, [upload], embedder=HashEmbedder())
    report = add_files(index_dir, [upload], embedder=HashEmbedder())
    assert [p.name for p in (index_dir / "library").iterdir()] == ["delta.txt"]
    assert report.added == [] and report.duplicates == []


def test_upload_never_takes_an_indexed_id(index_dir: Path, news_dir: Path) -> None:
    report = add_files(index_dir, [news_dir / "beta.txt"], embedder=HashEmbedder())
    assert report.duplicates == ["beta-2"] and report.added == []
    write_news(news_dir.parent / "up", "gamma", "Another gamma story", "Different text.")
    report = add_files(index_dir, [news_dir.parent / "up" / "gamma.txt"], embedder=HashEmbedder())
    assert report.added == ["gamma-2"]
    assert ids(index_dir) == {"alpha", "beta", "gamma", "gamma-2"}


def test_remove_library_article_deletes_its_file(index_dir: Path, tmp_path: Path) -> None:
    upload = write_news(tmp_path / "uploads", "delta", "Delta airport opens", "Runway two.")
    add_files(index_dir, [upload], embedder=HashEmbedder())
    report = remove_articles(index_dir, ["delta"], embedder=HashEmbedder())
    assert report.removed == ["delta"]
    assert not (index_dir / "library" / "delta.txt").exists()
    assert ids(index_dir) == {"alpha", "beta", "gamma"}
    # Adding it again brings it back.
    assert add_files(index_dir, [upload], embedder=HashEmbedder()).added == ["delta"]


def test_remove_source_article_is_remembered(index_dir: Path, news_dir: Path) -> None:
    counting = CountingEmbedder(dim=256)
    report = remove_articles(index_dir, ["beta"], embedder=counting)
    assert report.removed == ["beta"] and counting.embedded == []
    assert (news_dir / "beta.txt").exists()  # source folders are never touched
    assert ids(index_dir) == {"alpha", "gamma"}
    report = build_index(index_dir, embedder=HashEmbedder())  # a later sync honours it
    assert ids(index_dir) == {"alpha", "gamma"} and report.added == []
    with open_index(index_dir) as reader:
        assert reader.manifest.excluded == ("beta",)


def test_remove_also_removes_duplicates(index_dir: Path, news_dir: Path) -> None:
    (news_dir / "beta2.txt").write_bytes((news_dir / "beta.txt").read_bytes())
    build_index(index_dir, embedder=HashEmbedder())
    remove_articles(index_dir, ["beta"], embedder=HashEmbedder())
    assert ids(index_dir) == {"alpha", "gamma"}


def test_remove_unknown_article(index_dir: Path) -> None:
    with pytest.raises(ArticleNotFoundError, match=r"'nope'.*nothing was removed"):
        remove_articles(index_dir, ["alpha", "nope"], embedder=HashEmbedder())
    assert ids(index_dir) == {"alpha", "beta", "gamma"}


def test_remove_from_missing_index(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError):
        remove_articles(tmp_path / "none", ["a"], embedder=HashEmbedder())
    assert not (tmp_path / "none").exists()


def test_add_jsonl_then_remove_one_of_its_articles(index_dir: Path, tmp_path: Path) -> None:
    upload = tmp_path / "wire.jsonl"
    rows = [
        {"id": "wire-1", "title": "Port strike ends", "text": "Dock workers returned."},
        {"id": "wire-2", "title": "Snow closes pass", "text": "The mountain pass closed."},
    ]
    upload.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    assert add_files(index_dir, [upload], embedder=HashEmbedder()).added == ["wire-1", "wire-2"]
    remove_articles(index_dir, ["wire-1"], embedder=HashEmbedder())
    assert (index_dir / "library" / "wire.jsonl").exists()  # still holds wire-2
    assert ids(index_dir) == {"alpha", "beta", "gamma", "wire-2"}


def test_add_files_creates_an_index(tmp_path: Path) -> None:
    upload = write_news(tmp_path / "uploads", "delta", "Delta airport opens", "Runway two.")
    report = add_files(tmp_path / "new-idx", [upload], embedder=HashEmbedder())
    assert report.added == ["delta"] and ids(tmp_path / "new-idx") == {"delta"}
