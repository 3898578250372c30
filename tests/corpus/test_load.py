"""Loading files and folders, and every kind of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corpus import (
    BUNDLED_ARTICLES,
    SUPPORTED_EXTENSIONS,
    ArticleFormatError,
    LoadResult,
    Skipped,
    chunk_article,
    load_articles,
    load_file,
)

ARTICLE = " date 2026-01-09 Title\nSARAH KIM\nFirst paragraph. Second sentence.\nLast one.\n"


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_supported_extensions() -> None:
    assert SUPPORTED_EXTENSIONS == (".htm", ".html", ".json", ".jsonl", ".markdown", ".md", ".txt")


def test_bundled_articles_load_and_chunk() -> None:
    result = load_articles([BUNDLED_ARTICLES])
    assert result.skipped == []
    [article] = result.articles
    assert article.id == "2026-01-09-lee-takaichi-nara-summit"
    assert article.byline == "SARAH KIM"
    for chunk in chunk_article(article):
        assert article.text[chunk.start : chunk.end] == chunk.text


def test_folder_is_read_recursively_sorted_and_without_hidden_files(tmp_path: Path) -> None:
    root = tmp_path / "news"
    write(root / "b.txt", ARTICLE)
    write(root / "a.md", "# A\n\nText.\n")
    write(root / "2022" / "06" / "c.html", "<p>Text.</p>")
    write(root / "feed.jsonl", json.dumps({"text": "Line article."}) + "\n")
    write(root / ".hidden.txt", ARTICLE)
    write(root / ".git" / "x.txt", ARTICLE)
    write(root / "notes.pdf", b"%PDF-1.4")
    result = load_articles([root])
    assert [a.id for a in result.articles] == ["2022/06/c", "a", "b", "feed:1"]
    assert [a.source for a in result.articles] == [
        "2022/06/c.html", "a.md", "b.txt", "feed.jsonl"
    ]
    assert result.skipped == []
    assert load_articles([root]) == result  # stable


def test_single_file_id_is_its_stem(tmp_path: Path) -> None:
    path = write(tmp_path / "deep" / "story.txt", ARTICLE)
    assert [a.id for a in load_articles(path).articles] == ["story"]
    assert load_file(path)[0].source == "story.txt"


def test_duplicate_ids_are_skipped(tmp_path: Path) -> None:
    write(tmp_path / "story.txt", ARTICLE)
    write(tmp_path / "story.md", "# Story\n\nText.\n")
    result = load_articles([tmp_path])
    assert [a.source for a in result.articles] == ["story.md"]
    [skipped] = result.skipped
    assert skipped.source.endswith("story.txt") and "duplicate article id 'story'" in skipped.reason


BAD_FILES = {
    "empty.txt": b"",
    "blank.md": b"  \n\n \n",
    "binary.txt": bytes(range(256)) * 8,
    "image.html": b"\x89PNG\r\n\x1a\n" + b"\x00\x01\x02\x03\xff\xfe" * 200,
    "only-header.txt": b" date 2026-01-09 Title\n",
    "undecodable.txt": b"Title\n\x81\x8d\x8f\x90 bytes no encoding maps\n",
    "nothing.html": b"<html><head><title>T</title></head><body><script>x</script></body></html>",
    "list.json": b"[1, 2, 3]",
    "questions.jsonl": b'{"id": "q1", "q": "Who?"}\n{"id": "q2", "q": "When?"}\n',
    "notes.pdf": b"%PDF-1.4 ...",
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_is_skipped_with_a_reason(tmp_path: Path, name: str) -> None:
    bad = write(tmp_path / name, BAD_FILES[name])
    write(tmp_path / "good.txt", ARTICLE)
    result = load_articles([tmp_path, bad])
    assert [a.id for a in result.articles] == ["good"]
    assert [s.source for s in result.skipped] == [str(bad)] * (1 + (bad.suffix != ".pdf"))
    with pytest.raises(ArticleFormatError, match=name.replace(".", r"\.")):
        load_file(bad)


def test_missing_path_is_skipped(tmp_path: Path) -> None:
    result = load_articles([tmp_path / "nope"])
    assert result == LoadResult(articles=[], skipped=[
        Skipped(str(tmp_path / "nope"), None, "no such file or folder")
    ])


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (ARTICLE.replace("\n", "\r\n").encode(), "First paragraph. Second sentence."),
        (b"\xef\xbb\xbf" + ARTICLE.encode(), "First paragraph. Second sentence."),
        (ARTICLE.encode("utf-16"), "First paragraph. Second sentence."),
        (ARTICLE.replace("First", "Fi\x00rst\x07").encode(), "First paragraph. Second sentence."),
        (ARTICLE.replace("First", "Cafe\u0301").encode(), "Café paragraph. Second sentence."),
        (ARTICLE.replace("First", "Caf\xe9 \u201cquoted\u201d").encode("cp1252"),
         "Café “quoted” paragraph. Second sentence."),
    ],
    ids=["crlf", "bom", "utf16", "nul-and-control", "nfc", "cp1252"],
)
def test_text_is_normalised(tmp_path: Path, content: bytes, expected: str) -> None:
    article = load_file(write(tmp_path / "a.txt", content))[0]
    assert article.title == "Title" and article.byline == "SARAH KIM"
    assert article.paragraphs[0] == expected
    assert "\r" not in article.text and "\ufeff" not in article.text


def test_cp1252_fallback_is_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    load_file(write(tmp_path / "old.txt", "Caf\xe9\n".encode("cp1252") + b"Body.\n"))
    assert "old.txt" in caplog.text and "cp1252" in caplog.text


def test_jsonl_bad_lines_are_skipped_and_the_rest_loads(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    lines = [
        json.dumps({"_id": "a", "title": "A", "text": "First.", "publish_date": "2022/06/12"}),
        "{not json",
        json.dumps(["an", "array"]),
        json.dumps({"_id": "d", "title": "no text"}),
        "",
        json.dumps({"_id": "e", "text": "   "}),
        json.dumps({"_id": "a", "text": "Duplicate id."}),
        json.dumps({"_id": "g", "text": "Bad date.", "publish_date": "2022/13/40"}),
        json.dumps({"text": "No id."}),
    ]
    path = write(tmp_path / "feed.jsonl", "\n".join(lines))
    result = load_articles([path])
    assert [a.id for a in result.articles] == ["a", "g", "feed:9"]
    assert result.articles[1].published is None
    assert "feed.jsonl:8" in caplog.text and "2022/13/40" in caplog.text
    assert [(s.line, s.reason.split(" ")[0]) for s in result.skipped] == [
        (2, "not"), (3, "expected"), (4, "no"), (6, "no"), (7, "duplicate")
    ]
    assert all(s.source == str(path) for s in result.skipped)
    assert str(result.skipped[0]).startswith(f"{path}:2: not valid JSON")
    assert [a.id for a in load_file(path)] == ["a", "g", "feed:9"]


def test_jsonl_like_realtimeqa_with_progress(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        {"_id": f"id{i}", "title": f"Story {i} - CNN" if i % 5 else "",
         "text": f"New York CNN —\n\nParagraph one of {i}. It has two sentences.\n\n"
                 "Netflix\n\n“Quoted,” he said. Another line.",
         "url": f"https://www.cnn.com/2022/06/{i:02d}/x/index.html",
         "publish_date": f"2022/06/{i % 28 + 1:02d}"}
        for i in range(1, 41)
    ]
    path = write(tmp_path / "articles.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n")
    result = load_articles([path], show_progress=True)
    assert len(result.articles) == 40 and result.skipped == []
    assert result.articles[4].title == "Paragraph one of 5. It has two sentences."
    assert result.articles[0].paragraphs[0] == "New York CNN —"
    assert "40/40" in capsys.readouterr().err


def test_enormous_paragraph_still_chunks(tmp_path: Path) -> None:
    body = " ".join(f"Sentence number {i} goes on." for i in range(5000))
    article = load_file(write(tmp_path / "huge.txt", f"Huge\n{body}\n"))[0]
    chunks = chunk_article(article)
    assert len(chunks) > 100
    assert all(article.text[c.start : c.end] == c.text for c in chunks)
