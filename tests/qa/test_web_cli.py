"""`newsqa add`, `newsqa build` and `newsqa watch` with feeds served on loopback: the
issue's "done when" end to end, with the hashing embedder."""

from __future__ import annotations

import json
import re
import socket
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from web_server import PAGES, Item, rss

from index import open_index
from qa.api import Assistant
from qa.cli import cli

FEED_PAGES = {
    "/news/2025/11/04/harbor-ferry-plan": "ledger-ferry.html",
    "/local/storm-closes-coastal-road": "wire-storm.html",
    "/politics/greens-gain": "courier-election.html",
}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def boilerplate() -> list[str]:
    found = []
    for path in PAGES.glob("*.expected.json"):
        found += json.loads(path.read_text(encoding="utf-8"))["boilerplate"]
    return [b for b in found if len(b) > 6]  # short words ("Home") also occur in stories


def serve_feed(server, paths: list[str]) -> str:
    for path in paths:
        server.page(path, FEED_PAGES[path])
    items = [Item(path.lstrip("/"), path, datetime(2025, 1, 2, tzinfo=timezone.utc))
             for path in paths]  # relative links
    return server.add("/rss", rss("Coastal news", items), content_type="application/rss+xml")


def test_add_a_feed_answer_from_it_and_sync_a_new_item(web_server, tmp_path: Path) -> None:
    index = str(tmp_path / "idx")
    url = serve_feed(web_server, list(FEED_PAGES)[:2])
    code, out, err = run("add", url, "--index", index, "--model", "hash")
    assert code == 0, err
    assert "feed     " in out and "'Coastal news' (RSS 2.0): 2 items, 2 read" in out
    assert "added 2" in out

    assistant = Assistant.open(index)
    answer = assistant.ask("When will the first two ferry boats enter service?")
    assert not answer.abstained and "2027" in answer.text
    first = answer.citations[0]
    assert (first.title, str(first.published), first.byline) == (
        "Harbor council approves ferry plan", "2025-11-04", "Maria Lopez")
    # Quotes come from the stored article text, never from boilerplate, whatever is asked.
    questions = ["Who won the national prize?", "How do I sign up for the newsletter?",
                 "What is most read?", "Which cookies are used?", "Who voted against the plan?",
                 "What did the spokesman Daniel Osei say?"]
    for question in questions:
        for citation in assistant.ask(question).citations:
            article = assistant.article(citation.article_id)
            assert getattr(article, citation.field)[citation.start:citation.end] == citation.quote
            assert not any(b in citation.quote for b in boilerplate()), (question, citation)
    reader = open_index(Path(index))
    try:
        texts = [reader.article(a.id).text for a in reader.articles()]
    finally:
        reader.close()
    assert not any(b in text for b in boilerplate() for text in texts)

    serve_feed(web_server, list(FEED_PAGES))  # a new item appears in the feed
    code, out, err = run("build", "--index", index, "--model", "hash")
    assert code == 0, err
    assert "added 1" in out and "unchanged 2" in out
    assert "Greens gain three seats in council election" in {
        a.title for a in Assistant.open(index).articles()}
    code, out, _ = run("build", "--index", index, "--model", "hash")
    assert "added 0" in out and "0 chunks embedded" in out


def test_every_failure_is_one_line(web_server, tmp_path: Path, articles_dir: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS, refused, timeout, 4xx, 5xx, too large, not HTML or a feed, a malformed feed, an
    item that fails to extract: one line each, no traceback, the rest added, nothing lost."""
    monkeypatch.setenv("NEWSQA_FETCH_TIMEOUT", "0.3")
    index = str(tmp_path / "idx")
    assert run("build", str(articles_dir), "--index", index, "--model", "hash")[0] == 0
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    web_server.add("/app.html", "<html><body><nav><a href='/'>Home</a></nav><div id='app'>"
                   "</div><script>boot()</script></body></html>")
    failing = {
        "http://news.invalid/rss": "host 'news.invalid' not found",
        f"http://127.0.0.1:{closed_port}/rss": "connection refused",
        web_server.add("/slow", "<p>late</p>", delay_s=1.5): "timed out",
        web_server.url("/missing.html"): "HTTP 404 Not Found",
        web_server.add("/down", "x", status=503): "HTTP 503 Service Unavailable",
        web_server.add("/huge", "x", headers={"Content-Length": str(2**30)}): "too large",
        web_server.add("/doc.pdf", b"%PDF-1.4", content_type="application/pdf"):
            "not HTML or a feed",
        web_server.add("/broken.xml", b"<?xml version='1.0'?><rss version='2.0'><channel>"
                       b"<item><title>cut off", content_type="application/rss+xml"):
            "malformed feed",
        web_server.add("/apps.xml", rss("Apps", [Item("/app.html", "App")]),
                       content_type="application/rss+xml"): "no article text found",
        "file:///etc/passwd": "only http and https",
    }
    good = web_server.page("/news/ferry.html", "ledger-ferry.html")
    code, out, err = run("add", *failing, good, "--index", index)
    assert code == 1
    assert "Traceback" not in err
    lines = err.strip().split("\n")
    assert len(lines) == len(failing)
    for line, (url, reason) in zip(lines, failing.items(), strict=True):
        item_url = web_server.url("/app.html") if url.endswith("/apps.xml") else url
        assert line.startswith(f"failed: {item_url}: "), line
        assert reason in line, line
    assert "added 1" in out and "removed 0" in out and "unchanged 3" in out
    assert len(Assistant.open(index).articles()) == 4


def test_add_json_and_refresh_web(web_server, tmp_path: Path) -> None:
    index = str(tmp_path / "idx")
    url = web_server.page("/news/storm", "wire-storm.html")
    code, out, _ = run("add", url, "--index", index, "--model", "hash", "--json")
    assert code == 0
    report = json.loads(out)
    [result] = report["results"]
    assert result["kind"] == "article" and result["failures"] == []
    assert result["articles"][0]["title"] == "Storm closes coastal road for a week"
    assert report["build"]["added"] == report["added"]
    page = web_server.routes["/news/storm"].body.decode()
    web_server.add("/news/storm", page.replace("about 2 million dollars", "about 3 million"))
    code, out, _ = run("build", "--index", index, "--model", "hash", "--refresh-web")
    assert code == 0 and "changed 1" in out
    code, out, _ = run("build", "--index", index, "--model", "hash", "--no-web")
    assert code == 0 and "web:" not in out


def test_watch_runs_rounds(web_server, tmp_path: Path) -> None:
    index = str(tmp_path / "idx")
    url = serve_feed(web_server, list(FEED_PAGES)[:1])
    assert run("add", url, "--index", index, "--model", "hash")[0] == 0
    code, out, err = run("watch", "--index", index, "--every", "1s", "--rounds", "2")
    assert code == 0, err
    rounds = [line for line in out.splitlines() if " round " in line]
    assert len(rounds) == 2
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d round 1: web: 1 URLs read", rounds[0])
    assert "added 0" in rounds[1]


@pytest.mark.parametrize(("every", "message"), [("soon", "an interval like 30m"),
                                                ("0s", "at least 1 s")])
def test_watch_bad_interval(every: str, message: str) -> None:
    code, _, err = run("watch", "--every", every)
    assert code == 2 and message in err


def test_watch_loop_picks_up_new_items(web_server, tmp_path: Path) -> None:
    from corpus.web import FetchConfig
    from index import HashEmbedder
    from qa.web import watch

    index = tmp_path / "idx"
    url = serve_feed(web_server, list(FEED_PAGES)[:1])
    assert run("add", url, "--index", str(index), "--model", "hash")[0] == 0
    lines: list[str] = []
    watch(index, embedder=HashEmbedder(), every_s=60, rounds=2,
          fetch_config=FetchConfig(host_delay_s=0), echo=lines.append, echo_error=lines.append,
          sleep=lambda _: serve_feed(web_server, list(FEED_PAGES)[:2]))
    assert len(lines) == 2
    assert "added 0" in lines[0] and "added 1" in lines[1]


@pytest.mark.model
def test_feed_answers_with_the_real_model(web_server, minilm, tmp_path: Path) -> None:
    from corpus.web import FetchConfig, Fetcher
    from index.sync.web import add_urls

    url = serve_feed(web_server, list(FEED_PAGES))
    with Fetcher(FetchConfig(host_delay_s=0)) as fetcher:
        assert add_urls(tmp_path / "idx", [url], embedder=minilm, fetcher=fetcher).ok
    assistant = Assistant(tmp_path / "idx", embedder=minilm)
    cases = [
        ("When are the first two boats expected to enter service?", "2027",
         "Harbor council approves ferry plan", "Maria Lopez"),
        ("How much will the repairs of the coastal road cost?", "2 million",
         "Storm closes coastal road for a week", "Priya Natarajan"),
        ("How many new seats did the Green Party win?", "three",
         "Greens gain three seats in council election", "Dana Whitfield, Omar Haddad"),
    ]
    for question, expected, title, byline in cases:
        answer = assistant.ask(question)
        assert expected in answer.text, (question, answer.text)
        assert (answer.citations[0].title, answer.citations[0].byline) == (title, byline)
        assert not any(b in c.quote for b in boilerplate() for c in answer.citations)


def test_build_on_a_file_still_says_so(tmp_path: Path) -> None:
    path = tmp_path / "not-a-folder"
    path.write_text("x", encoding="utf-8")
    code, _, err = run("build", "--index", str(path), "--model", "hash")
    assert code == 1 and "is a file; choose a folder" in err
