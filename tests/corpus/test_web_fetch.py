"""The fetcher against a real HTTP server on loopback: limits, redirects, content types,
conditional requests, the per-host delay, and one clear reason for every failure."""

from __future__ import annotations

import socket

import pytest

from corpus.errors import ConfigError, FetchError
from corpus.web import FetchConfig, Fetcher

FAST = FetchConfig(host_delay_s=0, connect_timeout_s=2, read_timeout_s=2, max_bytes=64 * 1024)


@pytest.fixture
def fetcher():
    with Fetcher(FAST) as f:
        yield f


def fails(fetcher: Fetcher, url: str, kind: str) -> str:
    with pytest.raises(FetchError) as error:
        fetcher.get(url)
    assert error.value.kind == kind, error.value
    assert "\n" not in str(error.value) and str(error.value).startswith(url)
    return error.value.reason


def test_gets_a_page_with_its_type_and_validators(fetcher, web_server) -> None:
    url = web_server.page("/a.html", "plain-minimal.html", etag='"v1"',
                          headers={"Last-Modified": "Sat, 02 Aug 2025 10:00:00 GMT"})
    response = fetcher.get(url)
    assert (response.status, response.content_type, response.charset) == (200, "text/html",
                                                                          "utf-8")
    assert b"Library extends opening hours" in response.body
    assert (response.etag, response.last_modified) == ('"v1"', "Sat, 02 Aug 2025 10:00:00 GMT")
    agent = web_server.requests[-1][1]["User-Agent"]
    assert agent.startswith("newsqa/")


def test_conditional_request_gets_304(fetcher, web_server) -> None:
    url = web_server.page("/a.html", "plain-minimal.html", etag='"v1"')
    response = fetcher.get(url, etag='"v1"')
    assert response.not_modified and response.body == b""
    assert web_server.requests[-1][1]["If-None-Match"] == '"v1"'


def test_follows_redirects_relative_and_absolute(fetcher, web_server) -> None:
    web_server.page("/final.html", "plain-minimal.html")
    web_server.redirect("/moved", web_server.url("/step"), status=301)
    web_server.redirect("/step", "final.html", status=302)
    response = fetcher.get(web_server.url("/moved"))
    assert response.final_url == web_server.url("/final.html")
    assert response.url == web_server.url("/moved")


def test_too_many_redirects(fetcher, web_server) -> None:
    web_server.redirect("/loop", "/loop")
    assert "more than 5 redirects" in fails(fetcher, web_server.url("/loop"), "redirects")


def test_redirect_to_a_file_url_is_not_followed(fetcher, web_server) -> None:
    web_server.redirect("/sneaky", "file:///etc/passwd", status=302)
    assert "'file' URL" in fails(fetcher, web_server.url("/sneaky"), "scheme")


@pytest.mark.parametrize(
    ("url", "kind", "reason"),
    [
        ("file:///etc/passwd", "scheme", "a 'file' URL; only http and https"),
        ("ftp://example.com/feed.xml", "scheme", "a 'ftp' URL"),
        ("example.com/news", "scheme", "not an absolute URL"),
        ("http://", "url", "no host name"),
        ("http://example.com:99999/", "url", "not a valid URL"),
    ],
)
def test_bad_urls_are_refused_before_any_request(fetcher, url: str, kind: str,
                                                  reason: str) -> None:
    assert reason in fails(fetcher, url, kind)


@pytest.mark.parametrize(("status", "reason"), [(404, "HTTP 404 Not Found"),
                                                (500, "HTTP 500 Internal Server Error"),
                                                (403, "HTTP 403 Forbidden")])
def test_http_errors(fetcher, web_server, status: int, reason: str) -> None:
    url = web_server.add("/x", "<p>error</p>", status=status)
    assert fails(fetcher, url, "http") == reason


def test_slow_response_times_out(web_server) -> None:
    url = web_server.page("/slow.html", "plain-minimal.html", delay_s=1.5)
    with Fetcher(FetchConfig(host_delay_s=0, read_timeout_s=0.3)) as fetcher:
        assert "timed out waiting for 127.0.0.1 (no data for 0.3 s)" in fails(fetcher, url,
                                                                               "timeout")


def test_declared_size_over_the_cap(fetcher, web_server) -> None:
    url = web_server.add("/huge", b"<p>x</p>", headers={"Content-Length": str(50 * 2**20)})
    assert "too large (52,428,800 bytes; the limit is 65,536)" in fails(fetcher, url,
                                                                       "too-large")


def test_streamed_body_over_the_cap(fetcher, web_server) -> None:
    url = web_server.add("/endless", stream=(8192, 1000))  # 8 MB, no Content-Length
    assert "more than 65,536 bytes" in fails(fetcher, url, "too-large")


@pytest.mark.parametrize("content_type", ["image/png", "application/pdf", "application/json"])
def test_content_type_checked_before_reading(fetcher, web_server, content_type: str) -> None:
    url = web_server.add("/file", b"\x89PNG" * 10, content_type=content_type)
    assert f"not HTML or a feed (content type {content_type!r})" in fails(fetcher, url,
                                                                          "content-type")


def test_untyped_response_is_read_for_sniffing(fetcher, web_server) -> None:
    url = web_server.page("/page", "plain-minimal.html", content_type="text/plain")
    assert fetcher.get(url).content_type == "text/plain"


def test_dns_failure(fetcher, web_server) -> None:
    """The web_server fixture makes every name but loopback fail to resolve."""
    assert "host 'news.invalid' not found" in fails(fetcher, "http://news.invalid/feed", "dns")


def test_connection_refused(fetcher) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert "connection refused" in fails(fetcher, f"http://127.0.0.1:{port}/", "refused")


def test_per_host_delay() -> None:
    clock = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 3))
        clock[0] += seconds

    fetcher = Fetcher(FetchConfig(host_delay_s=2.0), clock=lambda: clock[0], sleep=sleep)
    fetcher._wait_turn("http://a.example/1")
    fetcher._wait_turn("http://a.example/2")  # right after: waits the whole delay
    fetcher._wait_turn("http://b.example/1")  # another host: no wait
    clock[0] += 0.5
    fetcher._wait_turn("http://A.example/3")  # same host, 0.5 s later: waits 1.5 s
    assert slept == [2.0, 1.5]
    fetcher.close()


@pytest.mark.parametrize(
    ("field", "value"),
    [("read_timeout_s", 0), ("max_bytes", 10), ("max_redirects", 50), ("host_delay_s", -1)],
)
def test_config_is_validated(field: str, value: float) -> None:
    with pytest.raises(ConfigError, match=field):
        FetchConfig(**{field: value})
