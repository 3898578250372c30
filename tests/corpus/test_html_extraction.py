"""HTML extraction (trafilatura) on hand-written news pages full of boilerplate: each
tests/fixtures/web/pages/NAME.html has NAME.expected.json with the article's paragraphs,
metadata and the boilerplate strings that must not reach the text."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from corpus import ChunkConfig, chunk_article, load_file
from corpus.formats.common import Origin
from corpus.formats.html import parse_html, strip_site_name

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "web" / "pages"
PAGE_NAMES = sorted(p.stem for p in PAGES.glob("*.html"))


def expected(name: str) -> dict:
    return json.loads((PAGES / f"{name}.expected.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_fixture_page_text_and_metadata(name: str) -> None:
    [article] = load_file(PAGES / f"{name}.html")
    want = expected(name)
    assert list(article.paragraphs) == want["paragraphs"]
    assert article.title == want["title"]
    assert article.published == (date.fromisoformat(want["published"]) if want["published"]
                                 else None)
    assert article.byline == want["byline"]
    assert article.url == want["url"]
    for boilerplate in want["boilerplate"]:
        assert not re.search(rf"(?<!\w){re.escape(boilerplate)}(?!\w)", article.text), boilerplate


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_fixture_page_offsets(name: str) -> None:
    [article] = load_file(PAGES / f"{name}.html")
    for chunk in chunk_article(article, ChunkConfig(max_tokens=48)):
        assert article.text[chunk.start:chunk.end] == chunk.text


def test_relative_canonical_is_resolved_against_the_page_url() -> None:
    html = (PAGES / "ledger-ferry.html").read_text(encoding="utf-8")
    article = parse_html(html, Origin("x", "x", "x"), url="https://ledger.example/a?utm=rss")
    assert article.url == "https://ledger.example/news/2025/11/04/harbor-ferry-plan"


def test_canonical_to_the_home_page_is_ignored() -> None:
    html = ("<html><head><link rel='canonical' href='/'></head><body><article>"
            "<p>The council met on Monday and approved the budget for next year.</p>"
            "</article></body></html>")
    article = parse_html(html, Origin("x", "x", "x"), url="https://site.example/news/budget")
    assert article.url == "https://site.example/news/budget"


def test_fragment_falls_back_to_the_rules() -> None:
    """trafilatura finds no main text in a lone fragment; the BeautifulSoup rules do."""
    article = parse_html("<p>Hello world.</p>", Origin("x", "x", "x"))
    assert article.paragraphs == ("Hello world.",)


@pytest.mark.parametrize(
    ("title", "site", "host", "clean"),
    [
        ("Ferry plan approved | The Coastal Ledger", "The Coastal Ledger", None,
         "Ferry plan approved"),
        ("Coastal Ledger - Ferry plan approved", "The Coastal Ledger", None,
         "Ferry plan approved"),
        ("'Squid Game': season 2 - CNN", None, "edition.cnn.com", "'Squid Game': season 2"),
        ("Talks fail - again", None, "news.example", "Talks fail - again"),
        ("Plain title", "Site", "site.example", "Plain title"),
    ],
)
def test_strip_site_name(title: str, site: str | None, host: str | None, clean: str) -> None:
    assert strip_site_name(title, site_name=site, host=host) == clean
