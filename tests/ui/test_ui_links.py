"""The Library tab's "Add from a link" handler, over a real assistant and a loopback server."""

from __future__ import annotations

from pathlib import Path

import pytest
from web_server import Item, rss

from index import HashEmbedder
from qa import Assistant
from ui.links import MAX_LINKS, add_links, parse_links


@pytest.fixture
def assistant(hash_index: Path):
    opened = Assistant.open(hash_index, embedder=HashEmbedder())
    yield opened
    opened.close()


def test_parse_links() -> None:
    text = " https://a.example/x\nhttps://b.example/feed.xml, https://a.example/x  "
    assert parse_links(text) == ["https://a.example/x", "https://b.example/feed.xml"]
    assert parse_links(None) == parse_links("  ") == []


def test_adds_a_feed_and_reports_each_url(assistant, web_server) -> None:
    web_server.page("/news/ferry.html", "ledger-ferry.html")
    feed = web_server.add("/rss", rss("Coastal <b>news</b>", [
        Item("/news/ferry.html", "Ferry"), Item("/gone.html", "Gone"),
    ]), content_type="application/rss+xml")
    page = web_server.page("/news/storm", "wire-storm.html")
    result = add_links(assistant, f"{feed}\n{page}\nftp://files.example/x")
    html = result.report_html
    assert "Feed</strong> “Coastal &lt;b&gt;news&lt;/b&gt;” (RSS 2.0): 2 items, 1 added, 1 failed"\
        in html
    assert f"<code>{web_server.url('/gone.html')}</code>: HTTP 404 Not Found" in html
    assert "Article</strong> “Storm closes coastal road for a week”" in html
    assert "Not added</strong> <code>ftp://files.example/x</code>: a &#x27;ftp&#x27; URL" in html
    assert result.warning == "2 of the links could not be added."
    titles = {row[0] for row in result.rows}
    assert {"Harbor council approves ferry plan", "Storm closes coastal road for a week"} <= titles
    assert result.changed


@pytest.mark.parametrize(("text", "warning"), [
    ("", "Paste the link"),
    (" ".join(f"https://x.example/{n}" for n in range(MAX_LINKS + 1)), "too many"),
])
def test_nothing_to_add(assistant, text: str, warning: str) -> None:
    result = add_links(assistant, text)
    assert warning in result.warning and not result.changed
    assert len(result.rows) == 3  # the index is untouched
