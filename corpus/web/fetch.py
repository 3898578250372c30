"""A polite, safe HTTP fetcher for article pages and feeds.

- `http` and `https` only, checked again on every redirect (never `file:` or `ftp:`);
- at most `max_redirects` redirects;
- connect and read timeouts, and a deadline for the whole response;
- a size cap, checked against `Content-Length` first and then while reading (after
  decompression, so a small gzip bomb is cut off too);
- the content type is checked before the body is read: HTML or a feed (RSS, Atom, XML);
  `text/plain`, `application/octet-stream` or no type at all are read, then sniffed;
- a user agent naming newsqa, and a delay between two requests to the same host;
- conditional requests (`If-None-Match`, `If-Modified-Since`): an unchanged resource costs
  a 304 and no body.

Every failure is a `FetchError` naming the URL and one short reason.
"""

from __future__ import annotations

import errno
import logging
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from urllib.parse import urljoin, urlsplit

import httpx

from corpus.errors import ConfigError, FetchError

__all__ = ["FEED_TYPES", "HTML_TYPES", "FetchConfig", "Fetcher", "Response", "user_agent"]

logger = logging.getLogger(__name__)

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
FEED_TYPES = frozenset({
    "application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml",
    "text/xml", "application/x-rss+xml", "application/feed+xml",
})
_SNIFFED_TYPES = frozenset({"", "text/plain", "application/octet-stream", "binary/octet-stream"})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK_BYTES = 65536
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)


def user_agent() -> str:
    """`newsqa/<version> (+news question answering; python-httpx)`."""
    try:
        ours = version("newsqa")
    except PackageNotFoundError:  # a source checkout that was never installed
        ours = "dev"
    return f"newsqa/{ours} (news question answering; python-httpx/{httpx.__version__})"


@dataclass(frozen=True, kw_only=True)
class FetchConfig:
    """Limits of the fetcher. Times in seconds, sizes in bytes."""

    connect_timeout_s: float = 10.0
    read_timeout_s: float = 20.0
    total_timeout_s: float = 60.0
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    host_delay_s: float = 1.0
    user_agent: str = field(default_factory=user_agent)

    def __post_init__(self) -> None:
        for name in ("connect_timeout_s", "read_timeout_s", "total_timeout_s"):
            value = getattr(self, name)
            if not value > 0:
                raise ConfigError(f"{name} must be more than 0 seconds, not {value!r}")
        if self.max_bytes < 1024:
            raise ConfigError(f"max_bytes must be at least 1024, not {self.max_bytes!r}")
        if not 0 <= self.max_redirects <= 20:
            raise ConfigError(f"max_redirects must be between 0 and 20, not "
                              f"{self.max_redirects!r}")
        if self.host_delay_s < 0:
            raise ConfigError(f"host_delay_s must be 0 or more, not {self.host_delay_s!r}")


@dataclass(frozen=True)
class Response:
    """A fetched resource. `url` is what was asked for, `final_url` where it was found
    after redirects; `status` is 200 (or another 2xx) or 304 (`not_modified`, no body)."""

    url: str
    final_url: str
    status: int
    content_type: str
    charset: str | None
    body: bytes
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class Fetcher:
    """Fetches URLs within the limits of a `FetchConfig`; use as a context manager (or
    call `close`). Safe to share between threads.

    `transport` (an httpx transport), `clock` and `sleep` are seams for tests.
    """

    def __init__(
        self,
        config: FetchConfig | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config or FetchConfig()
        self._clock, self._sleep = clock, sleep
        self._last_request: dict[str, float] = {}
        self._lock = threading.Lock()
        timeout = httpx.Timeout(
            self.config.read_timeout_s, connect=self.config.connect_timeout_s
        )
        self._client = httpx.Client(
            timeout=timeout, follow_redirects=False, transport=transport,
            headers={"User-Agent": self.config.user_agent},
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def get(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> Response:
        """GET `url`, following up to `max_redirects` redirects.

        Raises:
            FetchError: a bad or non-http(s) URL, a network failure or timeout, an HTTP
                error status, too many redirects, a body over the size cap, or a content
                type that is neither HTML nor a feed.
        """
        check_url(url)
        headers = {"Accept": "text/html,application/xhtml+xml,application/rss+xml,"
                             "application/atom+xml,application/xml;q=0.9,*/*;q=0.5"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current = url
        for _ in range(self.config.max_redirects + 1):
            self._wait_turn(current)
            try:
                with self._client.stream("GET", current, headers=headers) as response:
                    if response.status_code in _REDIRECTS:
                        current = self._redirect_target(url, current, response)
                        continue
                    return self._read(url, response)
            except httpx.HTTPError as e:
                raise _network_error(url, current, e, self.config) from e
        raise FetchError(url, f"more than {self.config.max_redirects} redirects", kind="redirects")

    def _wait_turn(self, url: str) -> None:
        """Sleep until `host_delay_s` has passed since the last request to this host."""
        host = (urlsplit(url).hostname or "").lower()
        with self._lock:
            now = self._clock()
            last = self._last_request.get(host)
            wait = 0.0 if last is None else last + self.config.host_delay_s - now
            self._last_request[host] = now + max(wait, 0.0)
        if wait > 0:
            logger.debug("waiting %.2f s before the next request to %s", wait, host)
            self._sleep(wait)

    def _redirect_target(self, url: str, current: str, response: httpx.Response) -> str:
        location = response.headers.get("location", "").strip()
        if not location:
            raise FetchError(url, f"HTTP {response.status_code} redirect without a Location",
                             kind="http")
        target = urljoin(current, location)
        scheme = urlsplit(target).scheme.lower()
        if scheme not in ("http", "https"):
            raise FetchError(url, f"redirected to a {scheme or 'relative'!r} URL; only http "
                             "and https are followed", kind="scheme")
        logger.debug("%s redirects to %s", current, target)
        return target

    def _read(self, url: str, response: httpx.Response) -> Response:
        final_url = str(response.url)
        if response.status_code == 304:
            return _response(url, final_url, response, b"")
        if response.status_code >= 400:
            phrase = response.reason_phrase or ""
            raise FetchError(url, f"HTTP {response.status_code} {phrase}".strip(), kind="http")
        if not 200 <= response.status_code < 300:
            raise FetchError(url, f"unexpected HTTP status {response.status_code}", kind="http")
        media_type, _ = content_type(response.headers.get("content-type"))
        if media_type not in HTML_TYPES | FEED_TYPES | _SNIFFED_TYPES:
            raise FetchError(url, f"not HTML or a feed (content type {media_type!r})",
                             kind="content-type")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.config.max_bytes:
            raise FetchError(url, f"too large ({int(declared):,} bytes; the limit is "
                             f"{self.config.max_bytes:,})", kind="too-large")
        return _response(url, final_url, response, self._body(url, response))

    def _body(self, url: str, response: httpx.Response) -> bytes:
        deadline = self._clock() + self.config.total_timeout_s
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes(_CHUNK_BYTES):
            size += len(chunk)
            if size > self.config.max_bytes:
                raise FetchError(url, f"too large (more than {self.config.max_bytes:,} bytes)",
                                 kind="too-large")
            if self._clock() > deadline:
                raise FetchError(url, f"timed out (the response took longer than "
                                 f"{self.config.total_timeout_s:g} s)", kind="timeout")
            chunks.append(chunk)
        return b"".join(chunks)


def check_url(url: str) -> None:
    """Raise `FetchError` unless `url` is an absolute http(s) URL with a host."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as e:
        raise FetchError(url, f"not a valid URL ({e})", kind="url") from e
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        shown = f"a {scheme!r} URL" if scheme else "not an absolute URL"
        raise FetchError(url, f"{shown}; only http and https URLs are fetched", kind="scheme")
    if not parts.hostname:
        raise FetchError(url, "no host name in the URL", kind="url")


def content_type(header: str | None) -> tuple[str, str | None]:
    """(media type in lower case, charset or None) of a Content-Type header."""
    media, _, params = (header or "").partition(";")
    match = _CHARSET.search(params)
    return media.strip().lower(), match.group(1) if match else None


def _response(url: str, final_url: str, response: httpx.Response, body: bytes) -> Response:
    media_type, charset = content_type(response.headers.get("content-type"))
    return Response(
        url=url, final_url=final_url, status=response.status_code, content_type=media_type,
        charset=charset, body=body, etag=response.headers.get("etag"),
        last_modified=response.headers.get("last-modified"),
    )


def _network_error(url: str, current: str, error: httpx.HTTPError,
                   config: FetchConfig) -> FetchError:
    """One short reason for an httpx failure (the cause chain says what really happened)."""
    host = urlsplit(current).hostname or current
    if isinstance(error, httpx.ConnectTimeout):
        return FetchError(url, f"timed out connecting to {host} (after "
                          f"{config.connect_timeout_s:g} s)", kind="timeout")
    if isinstance(error, httpx.TimeoutException):
        return FetchError(url, f"timed out waiting for {host} (no data for "
                          f"{config.read_timeout_s:g} s)", kind="timeout")
    causes = _causes(error)
    if any(isinstance(c, socket.gaierror) for c in causes) or "name resolution" in str(error) \
            or "not known" in str(error):
        return FetchError(url, f"host {host!r} not found (DNS lookup failed)", kind="dns")
    if any(isinstance(c, ConnectionRefusedError) for c in causes) or (
        f"[Errno {errno.ECONNREFUSED}]" in str(error)
    ):
        return FetchError(url, f"connection refused by {host}", kind="refused")
    if any(isinstance(c, ssl.SSLError) for c in causes):
        return FetchError(url, f"TLS error with {host} ({_first_line(error)})", kind="tls")
    if isinstance(error, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return FetchError(url, f"not a valid URL ({_first_line(error)})", kind="url")
    if isinstance(error, httpx.DecodingError):
        return FetchError(url, "the response could not be decompressed", kind="network")
    if isinstance(error, httpx.RemoteProtocolError):
        return FetchError(url, f"{host} closed the connection or sent a malformed response",
                          kind="network")
    return FetchError(url, f"network error ({type(error).__name__}: {_first_line(error)})",
                      kind="network")


def _causes(error: BaseException) -> list[BaseException]:
    found, seen = [], set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:160] if text else type(error).__name__
