"""Whatever bytes a server sends, the feed parser, the sniffer and the page extractor return
a result or raise the documented `FetchError` (one line naming the URL); never another
exception. 3 hypothesis tests x 150 examples, seeded with real feeds and pages."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from web_server import Item, atom, rss

from corpus.errors import FetchError
from corpus.web import Response, page_article, parse_feed, sniff

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
URL = "http://news.example/feed"
PAGE = (Path(__file__).resolve().parents[1] / "fixtures" / "web" / "pages" /
        "ledger-ferry.html").read_bytes()
RSS = rss("Feed", [Item("/a.html", "A"), Item("b.html", "B")])
ATOM = atom("Feed", [Item("a.html", "A")], base="http://news.example/")


def mutated(seed: bytes) -> st.SearchStrategy[bytes]:
    """The seed cut, with bytes flipped or inserted."""
    return st.tuples(st.integers(0, len(seed)), st.binary(max_size=40), st.integers(0, len(seed))
                     ).map(lambda t: seed[:t[0]] + t[1] + seed[t[2]:])


BODIES = st.binary(max_size=2000) | mutated(RSS) | mutated(ATOM) | mutated(PAGE)


def check_error(error: FetchError, url: str) -> None:
    assert error.url == url and "\n" not in str(error) and str(error).startswith(url)


@FUZZ
@given(body=BODIES)
@example(body=RSS[: len(RSS) // 2])
@example(body=b"<?xml version='1.0'?><!DOCTYPE rss [<!ENTITY a 'aaaaaaaa'><!ENTITY b "
         b"'&a;&a;&a;&a;&a;&a;&a;&a;'>]><rss><channel><title>&b;</title></channel></rss>")
def test_parse_feed_returns_or_raises_fetch_error(body: bytes) -> None:
    try:
        feed = parse_feed(body, URL)
    except FetchError as error:
        check_error(error, URL)
        assert error.kind == "feed"
        return
    assert all(item.url.startswith(("http://", "https://")) for item in feed.items)
    assert len({item.url for item in feed.items}) == len(feed.items)


@FUZZ
@given(body=BODIES)
def test_sniff_never_fails(body: bytes) -> None:
    assert sniff(body) in ("feed", "html", None)


@FUZZ
@given(body=BODIES, charset=st.sampled_from([None, "utf-8", "iso-8859-1", "bogus", "utf-16"]))
def test_page_article_returns_or_raises_fetch_error(body: bytes, charset: str | None) -> None:
    url = "http://news.example/a.html"
    response = Response(url=url, final_url=url, status=200, content_type="text/html",
                        charset=charset, body=body)
    try:
        article = page_article(response, "news.example/a")
    except FetchError as error:
        check_error(error, url)
        assert error.kind == "extract"
        return
    assert article.paragraphs and article.title.strip()
    for start, end in article.paragraph_spans:
        assert article.text[start:end].strip()
