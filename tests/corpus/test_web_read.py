"""URLs to articles against a loopback server: feeds of every format, what decides feed vs
page, odd encodings, relative links, and failing feeds and items."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from web_server import Item, atom, rdf, rss

from corpus.web import FetchConfig, Fetcher, parse_feed, read_url, sniff

APP_SHELL = ("<html><head><title>App</title></head><body><nav><a href='/'>Home</a></nav>"
             "<div id='root'></div><script>render()</script></body></html>")


@pytest.fixture
def fetcher():
    with Fetcher(FetchConfig(host_delay_s=0, read_timeout_s=2)) as f:
        yield f


def serve_pages(server) -> None:
    server.page("/news/ferry.html", "ledger-ferry.html")
    server.page("/news/storm", "wire-storm.html")
    server.page("/news/library.html", "plain-minimal.html")


def test_rss_feed_with_relative_links(fetcher, web_server) -> None:
    serve_pages(web_server)
    url = web_server.add("/feeds/main", rss("The Ledger", [
        Item("/news/ferry.html", "Ferry plan approved (feed title)"),
        Item("../news/storm", "Storm", datetime(2025, 10, 1, tzinfo=timezone.utc), "Wire Desk"),
    ]), content_type="application/rss+xml")
    result = read_url(fetcher, url)
    assert (result.kind, result.ok) == ("feed", True)
    assert result.feed.format == "RSS 2.0" and result.feed.title == "The Ledger"
    by_url = {p.url: p.article for p in result.pages}
    ferry = by_url[web_server.url("/news/ferry.html")]
    assert ferry.title == "Harbor council approves ferry plan"  # the page's, not the feed's
    assert (ferry.published, ferry.byline) == (date(2025, 11, 4), "Maria Lopez")
    assert ferry.url == web_server.url("/news/2025/11/04/harbor-ferry-plan")  # canonical
    storm = by_url[web_server.url("/news/storm")]
    assert (storm.published, storm.byline) == (date(2025, 10, 28), "Priya Natarajan")
    assert all(p.feed == url for p in result.pages)


def test_feed_date_and_author_when_the_page_has_none(fetcher, web_server) -> None:
    web_server.page("/radio.html", "radio-divs.html")  # no date, no byline on the page
    url = web_server.add("/feed.xml", rss("Radio", [
        Item("/radio.html", "Radio", datetime(2025, 9, 9, 8, tzinfo=timezone.utc), "KBAY News"),
    ]), content_type="text/xml")
    [page] = read_url(fetcher, url).pages
    assert (page.article.published, page.article.byline) == (date(2025, 9, 9), "KBAY News")
    assert page.article.title == "Radio station marks 50 years on air"


def test_atom_and_rss1(fetcher, web_server) -> None:
    serve_pages(web_server)
    atom_url = web_server.add("/atom", atom("Atom news", [Item("ferry.html", "Ferry")],
                                            base=web_server.url("/news/")),
                              content_type="application/atom+xml")
    rdf_url = web_server.add("/rdf", rdf("RDF news", [
        Item(web_server.url("/news/library.html"), "Library",
             datetime(2025, 8, 2, tzinfo=timezone.utc)),
    ]), content_type="application/rdf+xml")
    atom_result, rdf_result = read_url(fetcher, atom_url), read_url(fetcher, rdf_url)
    assert atom_result.feed.format == "Atom 1.0"
    assert [p.url for p in atom_result.pages] == [web_server.url("/news/ferry.html")]
    assert rdf_result.feed.format == "RSS 1.0"
    assert rdf_result.pages[0].article.title == "Library extends opening hours"


@pytest.mark.parametrize(
    ("path", "content_type", "kind"),
    [
        ("/story.xml", "text/html; charset=utf-8", "article"),  # the extension says nothing
        ("/feed.html", "text/html", "feed"),  # a feed served as HTML: sniffed
        ("/feed", "text/plain", "feed"),
        ("/rss", None, "feed"),
    ],
)
def test_feed_or_page_from_the_response(fetcher, web_server, path: str,
                                        content_type: str | None, kind: str) -> None:
    web_server.page("/news/ferry.html", "ledger-ferry.html")
    body = (rss("F", [Item("/news/ferry.html", "Ferry")]) if kind == "feed"
            else web_server.routes["/news/ferry.html"].body)
    url = web_server.add(path, body, content_type=content_type)
    assert read_url(fetcher, url).kind == kind


def test_known_items_are_not_fetched(fetcher, web_server) -> None:
    serve_pages(web_server)
    url = web_server.add("/feed", rss("F", [Item("/news/ferry.html", "A"),
                                            Item("/news/storm", "B")]), content_type="text/xml")
    result = read_url(fetcher, url, known_items={web_server.url("/news/ferry.html")})
    assert [p.url for p in result.pages] == [web_server.url("/news/storm")]
    assert web_server.hits("/news/ferry.html") == 0
    assert len(result.feed.item_urls) == 2


def test_failing_items_do_not_stop_the_others(fetcher, web_server) -> None:
    serve_pages(web_server)
    web_server.add("/app", APP_SHELL)
    web_server.add("/image.png", b"\x89PNG", content_type="image/png")
    url = web_server.add("/feed", rss("F", [
        Item("/missing.html", "Gone"), Item("/app", "App"), Item("/image.png", "Photo"),
        Item("/news/ferry.html", "Ferry"),
    ]), content_type="text/xml")
    result = read_url(fetcher, url)
    assert [p.url for p in result.pages] == [web_server.url("/news/ferry.html")]
    failures = {f.url: (f.kind, f.reason) for f in result.failures}
    assert failures == {
        web_server.url("/missing.html"): ("http", f"HTTP 404 Not Found (an item of {url})"),
        web_server.url("/app"): ("extract", f"no article text found on the page (an item of "
                                            f"{url})"),
        web_server.url("/image.png"): ("content-type", "not HTML or a feed (content type "
                                                       f"'image/png') (an item of {url})"),
    }


@pytest.mark.parametrize(
    ("body", "content_type", "kind", "reason"),
    [
        (b"<?xml version='1.0'?><rss version='2.0'><channel><title>x</title><item><title>a</ti",
         "application/rss+xml", "feed", "malformed feed"),
        (b"<?xml version='1.0'?><note><to>you</to></note>", "application/xml", "content-type",
         "XML that is not RSS or Atom"),
        (b"just some words", "text/plain", "content-type", "not HTML or a feed"),
    ],
)
def test_unusable_responses(fetcher, web_server, body: bytes, content_type: str, kind: str,
                            reason: str) -> None:
    url = web_server.add("/thing", body, content_type=content_type)
    result = read_url(fetcher, url)
    [failure] = result.failures
    assert (result.kind, failure.kind, failure.url) == (None, kind, url)
    assert reason in failure.reason


def test_odd_encodings(fetcher, web_server) -> None:
    """cp1252 declared in a <meta>, Latin-1 declared only in the HTTP header, a UTF-8 BOM,
    and a feed in ISO-8859-1."""
    web_server.page("/cafe.html", "brew-cafe-cp1252.html", content_type="text/html")
    latin = ("<html><head><title>Fête du village</title></head><body><article><h1>Fête du "
             "village</h1><p>La fête a réuni 3 000 personnes sur la place de l'église, "
             "selon la mairie, qui prévoit déjà l'édition suivante.</p></article></body></html>")
    web_server.add("/fete.html", latin.encode("latin-1"),
                   content_type="text/html; charset=ISO-8859-1")
    web_server.add("/bom.html", b"\xef\xbb\xbf" + latin.replace("Fête", "Fête BOM").encode(),
                   content_type="text/html")
    url = web_server.add("/feed", rss("Nouvelles étranges", [
        Item("/cafe.html", "Café"), Item("/fete.html", "Fête"), Item("/bom.html", "BOM"),
    ], encoding="iso-8859-1"), content_type="application/rss+xml")
    result = read_url(fetcher, url)
    assert result.ok and result.feed.title == "Nouvelles étranges"
    titles = [p.article.title for p in result.pages]
    assert titles == ["Café owners protest rent rise", "Fête du village", "Fête BOM du village"]
    cafe = result.pages[0].article
    assert "“We are not asking for favours" in cafe.text and "€4,200" in cafe.text


def test_sniff() -> None:
    assert sniff(b"\xef\xbb\xbf<?xml version='1.0'?>\n<!-- c -->\n<rss version='2.0'>") == "feed"
    assert sniff(b"<?xml version='1.0'?><?xml-stylesheet href='x'?><feed xmlns='a'>") == "feed"
    assert sniff(b"<rdf:RDF xmlns:rdf='x'>") == "feed"
    assert sniff(b"<!DOCTYPE html><html><body>") == "html"
    assert sniff(b"{\"json\": true}") is None


def test_parse_feed_refuses_html() -> None:
    from corpus.errors import FetchError

    with pytest.raises(FetchError, match="not an RSS or Atom feed"):
        parse_feed(b"<html><body><p>hi</p></body></html>", "http://x.example/")


@pytest.mark.parametrize(
    ("url", "article_id"),
    [
        ("https://www.ledger.example/news/2025/11/04/ferry.html?utm_source=rss#top",
         "ledger.example/news-2025-11-04-ferry"),
        ("http://127.0.0.1:8080/story.php?id=5&fbclid=x", "127.0.0.1-8080/story-id-5"),
        ("https://ledger.example/", "ledger.example/index"),
        ("https://ledger.example/Caf%C3%A9 News/", "ledger.example/cafe-news"),
    ],
)
def test_url_article_id(url: str, article_id: str) -> None:
    from corpus.web import url_article_id

    assert url_article_id(url) == article_id


def test_long_url_ids_end_in_a_hash() -> None:
    from corpus.web import url_article_id

    first = url_article_id("https://x.example/" + "word-" * 40 + "a")
    second = url_article_id("https://x.example/" + "word-" * 40 + "b")
    assert first != second and len(first.split("/", 1)[1]) == 80
