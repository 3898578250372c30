"""Adding news from the web to an index and keeping it in sync: feeds recorded and read
again, pages refreshed, unchanged content never re-embedded, failures never lose anything."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from web_server import Item, rss

from corpus import load_file
from corpus.web import FetchConfig, Fetcher
from index import build_index, open_index, remove_articles
from index.disk.web_sources import WebSources
from index.errors import IndexFormatError
from index.sync.web import add_urls, has_web_sources, refresh_web

FERRY, STORM, COURIER = "ledger-ferry.html", "wire-storm.html", "courier-election.html"


@pytest.fixture
def fetcher():
    with Fetcher(FetchConfig(host_delay_s=0, read_timeout_s=2)) as f:
        yield f


def feed(server, *paths: str) -> str:
    items = [Item(p, p.rsplit("/", 1)[-1]) for p in paths]
    return server.add("/feed.xml", rss("The Ledger", items), content_type="application/rss+xml")


def titles(index_dir: Path) -> set[str]:
    reader = open_index(index_dir)
    try:
        return {a.title for a in reader.articles()}
    finally:
        reader.close()


def test_add_a_feed_then_sync_its_new_items(web_server, fetcher, counting, tmp_path) -> None:
    index_dir = tmp_path / "index"
    web_server.page("/news/ferry.html", FERRY)
    web_server.page("/news/storm.html", STORM)
    url = feed(web_server, "/news/ferry.html", "/news/storm.html")
    report = add_urls(index_dir, [url], embedder=counting, fetcher=fetcher)
    assert report.ok and len(report.added) == 2
    assert set(report.build.added) == set(report.added)
    assert titles(index_dir) == {"Harbor council approves ferry plan",
                                 "Storm closes coastal road for a week"}
    assert has_web_sources(index_dir)
    assert list(WebSources.load(index_dir).feeds) == [url]

    web_server.page("/news/election.html", COURIER)
    feed(web_server, "/news/election.html", "/news/ferry.html", "/news/storm.html")
    counting.embedded.clear()
    refreshed = refresh_web(index_dir, fetcher=fetcher)
    assert len(refreshed.added) == 1 and refreshed.ok
    assert web_server.hits("/news/ferry.html") == 1  # known items are not fetched again
    build = build_index(index_dir, embedder=counting)
    assert len(build.added) == 1 and len(build.unchanged) == 2
    assert counting.titles_embedded() == {"Greens gain three seats in council election"}


def test_stored_article_reads_back_identical(web_server, fetcher, counting, tmp_path) -> None:
    index_dir = tmp_path / "index"
    url = web_server.page("/news/ferry.html", FERRY)
    report = add_urls(index_dir, [url], embedder=counting, fetcher=fetcher)
    [article_id] = report.added
    assert article_id.startswith("web/127.0.0.1-")
    [page] = report.results[0].pages
    path = index_dir / "library" / f"{article_id}.json"
    [stored] = load_file(path, root=index_dir / "library")
    assert stored.id == article_id
    assert stored.content_hash == page.article.content_hash
    assert stored.paragraphs == page.article.paragraphs
    reader = open_index(index_dir)
    try:
        indexed = reader.article(article_id)
        assert indexed.text == page.article.text
        assert indexed.url == web_server.url("/news/2025/11/04/harbor-ferry-plan")
    finally:
        reader.close()


def test_refresh_pages_reembeds_only_changed_content(web_server, fetcher, counting,
                                                     tmp_path) -> None:
    index_dir = tmp_path / "index"
    web_server.page("/news/ferry.html", FERRY)
    web_server.page("/news/storm.html", STORM)
    add_urls(index_dir, [feed(web_server, "/news/ferry.html", "/news/storm.html")],
             embedder=counting, fetcher=fetcher)
    # Only the boilerplate of the ferry page changes; the storm story gets a new paragraph.
    ferry = web_server.routes["/news/ferry.html"].body.decode()
    web_server.add("/news/ferry.html", ferry.replace("Local bakery wins national prize",
                                                     "Harbor festival this weekend"))
    storm = web_server.routes["/news/storm.html"].body.decode()
    web_server.add("/news/storm.html", storm.replace(
        "<p>Repairs are expected", "<p>Police closed the beach car park too.</p>\n"
        "      <p>Repairs are expected"))
    library = index_dir / "library" / "web"
    before = {p: p.stat().st_mtime_ns for p in library.rglob("*.json")}
    refreshed = refresh_web(index_dir, pages=True, fetcher=fetcher)
    assert (len(refreshed.changed), len(refreshed.unchanged), refreshed.added) == (1, 1, [])
    after = {p: p.stat().st_mtime_ns for p in library.rglob("*.json")}
    assert sum(before[p] != after[p] for p in before) == 1  # the unchanged file is untouched
    counting.embedded.clear()
    build = build_index(index_dir, embedder=counting)
    assert len(build.changed) == 1 and len(build.unchanged) == 1
    assert counting.titles_embedded() == {"Storm closes coastal road for a week"}


def test_unchanged_feed_costs_a_304(web_server, fetcher, counting, tmp_path) -> None:
    index_dir = tmp_path / "index"
    web_server.page("/news/ferry.html", FERRY)
    body = rss("F", [Item("/news/ferry.html", "Ferry")])
    url = web_server.add("/feed.xml", body, content_type="text/xml", etag='"feed-1"')
    add_urls(index_dir, [url], embedder=counting, fetcher=fetcher)
    refreshed = refresh_web(index_dir, fetcher=fetcher)
    assert [r.kind for r in refreshed.results] == ["unchanged"]
    assert web_server.requests[-1][1]["If-None-Match"] == '"feed-1"'


def test_failures_never_lose_indexed_articles(web_server, fetcher, counting, articles_dir,
                                              tmp_path) -> None:
    index_dir = tmp_path / "index"
    build_index(index_dir, [articles_dir], embedder=counting)
    good = web_server.page("/news/ferry.html", FERRY)
    bad = [
        web_server.url("/missing.html"),
        "http://news.invalid/feed.xml",
        web_server.add("/broken.xml", b"<?xml version='1.0'?><rss><channel><item><ti",
                       content_type="application/rss+xml"),
        "file:///etc/passwd",
    ]
    report = add_urls(index_dir, [*bad, good], embedder=counting, fetcher=fetcher)
    assert [f.kind for f in report.failures] == ["http", "dns", "feed", "scheme"]
    assert [f.url for f in report.failures] == bad
    assert len(report.build.added) == 1 and report.build.removed == []
    assert len(titles(index_dir)) == 4  # the three files and the page
    # A refresh where the page now fails keeps the stored article.
    web_server.add("/news/ferry.html", "gone", status=503)
    refreshed = refresh_web(index_dir, pages=True, fetcher=fetcher)
    assert [f.reason for f in refreshed.failures] == ["HTTP 503 Service Unavailable"]
    assert len(build_index(index_dir, embedder=counting).removed) == 0
    assert len(titles(index_dir)) == 4


def test_removed_articles_stay_removed_until_added_again(web_server, fetcher, counting,
                                                         tmp_path) -> None:
    index_dir = tmp_path / "index"
    web_server.page("/news/ferry.html", FERRY)
    web_server.page("/news/storm.html", STORM)
    url = feed(web_server, "/news/ferry.html", "/news/storm.html")
    report = add_urls(index_dir, [url], embedder=counting, fetcher=fetcher)
    ferry_id = report.ids[web_server.url("/news/ferry.html")]
    remove_articles(index_dir, [ferry_id], embedder=counting)
    refresh_web(index_dir, pages=True, fetcher=fetcher)
    build_index(index_dir, embedder=counting)
    assert "Harbor council approves ferry plan" not in titles(index_dir)
    again = add_urls(index_dir, [web_server.url("/news/ferry.html")], embedder=counting,
                     fetcher=fetcher)
    assert again.added == [ferry_id]
    assert "Harbor council approves ferry plan" in titles(index_dir)


def test_same_canonical_page_is_one_article(web_server, fetcher, counting, tmp_path) -> None:
    index_dir = tmp_path / "index"
    first = web_server.page("/news/ferry.html", FERRY)
    second = web_server.page("/amp/ferry.html", FERRY)  # same canonical link
    report = add_urls(index_dir, [first, second], embedder=counting, fetcher=fetcher)
    assert len(set(report.ids.values())) == 1
    assert len(titles(index_dir)) == 1


def test_damaged_record_is_a_clear_error(tmp_path) -> None:
    index_dir = tmp_path / "index"
    index_dir.mkdir()
    (index_dir / "web.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(IndexFormatError, match=r"web\.json.*fix or delete it"):
        refresh_web(index_dir)


def test_record_is_plain_json(web_server, fetcher, counting, tmp_path) -> None:
    index_dir = tmp_path / "index"
    web_server.page("/news/ferry.html", FERRY)
    url = feed(web_server, "/news/ferry.html")
    add_urls(index_dir, [url], embedder=counting, fetcher=fetcher)
    data = json.loads((index_dir / "web.json").read_text(encoding="utf-8"))
    [recorded] = data["feeds"]
    assert (recorded["url"], recorded["title"], recorded["format"]) == (url, "The Ledger",
                                                                        "RSS 2.0")
    assert recorded["items"] == [web_server.url("/news/ferry.html")]
    [page] = data["pages"]
    assert page["feed"] == url and len(page["content_hash"]) == 64
