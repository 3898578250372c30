"""Property: any article written in any format loads back with its visible text intact,
and its chunks point at exactly that text."""

from __future__ import annotations

import html
import json
import tempfile
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
from corpus_strategies import paragraphs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpus import Article, ArticleFormatError, ChunkConfig, chunk_article, load_file


def news(paras: list[str]) -> str:
    lines = [" ".join(p.split("\n")) for p in paras]
    return " date 2026-01-09 A title\nBy Test Writer\n" + "\n".join(lines) + "\n"


def plain(paras: list[str]) -> str:
    return "A title\n" + "\n".join(" ".join(p.split("\n")) for p in paras) + "\n"


def markdown(paras: list[str]) -> str:
    return "---\ntitle: A title\ndate: 2026-01-09\n---\n\n" + "\n\n".join(paras) + "\n"


def html_page(paras: list[str]) -> str:
    body = "".join(f"<p>{html.escape(p)}</p>\n" for p in paras)
    return f"<html><head><title>A title</title></head><body><article>{body}</article></body></html>"


def jsonl(paras: list[str]) -> str:
    return json.dumps({"id": "x", "title": "A title", "text": "\n\n".join(paras)}) + "\n"


FORMATS: dict[str, tuple[str, Callable[[list[str]], str]]] = {
    "news": ("a.txt", news),
    "plain": ("b.txt", plain),
    "markdown": ("c.md", markdown),
    "html": ("d.html", html_page),
    "jsonl": ("e.jsonl", jsonl),
}
LOSSLESS = {"news", "plain", "jsonl"}  # Markdown syntax in random text is rendered


def visible(text: str) -> str:
    return "".join(unicodedata.normalize("NFC", text).split())


def distinct(paras: list[str] | tuple[str, ...]) -> list[str]:
    """The visible text of each paragraph, first occurrences only, in order."""
    return list(dict.fromkeys(visible(p) for p in paras))


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(paras=st.lists(paragraphs(), min_size=1, max_size=5), max_tokens=st.sampled_from([32, 200]))
def test_write_load_chunk(fmt: str, paras: list[str], max_tokens: int) -> None:
    name, render = FORMATS[fmt]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_text(render(paras), encoding="utf-8")
        try:
            [article] = load_file(path)
        except ArticleFormatError:
            assert fmt == "markdown"  # e.g. a paragraph "---" is a rule, not text
            return
    assert article.title == "A title"
    if fmt in LOSSLESS:
        assert visible(article.text) == visible("".join(paras))
    if fmt == "html":
        # Extraction drops a paragraph repeated on the page (a layout artifact), and a
        # headline or dateline at the top ("2026-01-09."): metadata, not text to quote.
        from corpus.formats.html import _drop_repeated_lead

        assert distinct(article.paragraphs) == distinct(_drop_repeated_lead(paras, "A title",
                                                                            None))
    check_chunks(article, ChunkConfig(max_tokens=max_tokens))


def check_chunks(article: Article, config: ChunkConfig) -> None:
    chunks = chunk_article(article, config)
    assert chunks
    for chunk in chunks:
        assert article.text[chunk.start : chunk.end] == chunk.text
        for start, end in chunk.sentences:
            assert chunk.start <= start < end <= chunk.end
