"""A real HTTP server on loopback for the web tests: routes of fixture pages and feeds,
redirects, slow, huge and failing responses. No test touches the internet.

    server = WebServer().start()
    server.page("/news/ferry.html", "ledger-ferry.html")
    server.add("/feed.xml", rss([...]), content_type="application/rss+xml")
    url = server.url("/feed.xml")
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PAGES = Path(__file__).resolve().parent / "fixtures" / "web" / "pages"


@dataclass
class Route:
    """What the server answers on one path. `stream` = (chunk bytes, count) sends that
    many chunks with no Content-Length; `delay_s` waits before the status line; `etag`
    makes a matching If-None-Match answer 304."""

    body: bytes = b""
    status: int = 200
    content_type: str | None = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    stream: tuple[int, int] | None = None
    etag: str | None = None


class WebServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> WebServer:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                         daemon=True).start()
        self._server = server
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, body: bytes | str = b"", **route: object) -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = Route(body=data, **route)  # type: ignore[arg-type]
        return self.url(path)

    def page(self, path: str, fixture: str, **route: object) -> str:
        """Serve the fixture page tests/fixtures/web/pages/`fixture`."""
        return self.add(path, (PAGES / fixture).read_bytes(), **route)

    def redirect(self, path: str, location: str, status: int = 301) -> str:
        return self.add(path, status=status, headers={"Location": location}, content_type=None)

    def hits(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p == path)


def _handler(server: WebServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def do_GET(self) -> None:
            server.requests.append((self.path, dict(self.headers.items())))
            route = server.routes.get(self.path)
            if route is None:
                self._send(404, b"<html><body><h1>Not found</h1></body></html>", "text/html")
                return
            time.sleep(route.delay_s)
            if route.etag and self.headers.get("If-None-Match") == route.etag:
                self._send(304, b"", None, {"ETag": route.etag})
                return
            headers = dict(route.headers)
            if route.etag:
                headers["ETag"] = route.etag
            if route.stream is not None:
                self._stream(route, headers)
                return
            self._send(route.status, route.body, route.content_type, headers)

        def _send(self, status: int, body: bytes, content_type: str | None,
                  headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            headers = headers or {}
            for name, value in headers.items():
                self.send_header(name, value)
            if "Content-Length" not in headers:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

        def _stream(self, route: Route, headers: dict[str, str]) -> None:
            size, count = route.stream  # type: ignore[misc]
            self.send_response(route.status)
            if route.content_type:
                self.send_header("Content-Type", route.content_type)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            chunk = b"<p>" + b"x" * max(size - 8, 0) + b"</p>\n"
            try:
                for _ in range(count):
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    return Handler


# -- feeds -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    link: str
    title: str
    published: datetime | None = None
    author: str | None = None


def rss(title: str, items: list[Item], *, encoding: str = "utf-8") -> bytes:
    """An RSS 2.0 feed (links may be relative)."""
    entries = "".join(
        f"<item><title>{escape(i.title)}</title><link>{escape(i.link)}</link>"
        + (f"<pubDate>{format_datetime(i.published)}</pubDate>" if i.published else "")
        + (f"<dc:creator>{escape(i.author)}</dc:creator>" if i.author else "")
        + f"<guid isPermaLink='false'>{escape(i.link)}</guid></item>\n"
        for i in items
    )
    xml = (f"<?xml version='1.0' encoding='{encoding}'?>\n"
           "<rss version='2.0' xmlns:dc='http://purl.org/dc/elements/1.1/'><channel>"
           f"<title>{escape(title)}</title><link>/</link><description>News</description>\n"
           f"{entries}</channel></rss>\n")
    return xml.encode(encoding)


def atom(title: str, items: list[Item], *, base: str = "") -> bytes:
    """An Atom 1.0 feed."""
    entries = "".join(
        f"<entry><title>{escape(i.title)}</title><link rel='alternate' href='{escape(i.link)}'/>"
        f"<id>urn:newsqa-test:{escape(i.link)}</id>"
        f"<updated>{(i.published or _EPOCH).isoformat()}</updated>"
        + (f"<author><name>{escape(i.author)}</name></author>" if i.author else "")
        + "</entry>\n"
        for i in items
    )
    base_attr = f" xml:base='{escape(base)}'" if base else ""
    return (f"<?xml version='1.0' encoding='utf-8'?>\n<feed xmlns='http://www.w3.org/2005/Atom'"
            f"{base_attr}><title>{escape(title)}</title><id>urn:newsqa-test</id>"
            f"<updated>{_EPOCH.isoformat()}</updated>\n{entries}</feed>\n").encode()


def rdf(title: str, items: list[Item]) -> bytes:
    """An RSS 1.0 (RDF) feed; links must be absolute."""
    entries = "".join(
        f"<item rdf:about='{escape(i.link)}'><title>{escape(i.title)}</title>"
        f"<link>{escape(i.link)}</link>"
        + (f"<dc:date>{i.published.isoformat()}</dc:date>" if i.published else "")
        + "</item>\n"
        for i in items
    )
    return ("<?xml version='1.0' encoding='utf-8'?>\n"
            "<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#' "
            "xmlns='http://purl.org/rss/1.0/' xmlns:dc='http://purl.org/dc/elements/1.1/'>"
            f"<channel rdf:about='urn:c'><title>{escape(title)}</title><link>urn:c</link>"
            f"<description>d</description></channel>\n{entries}</rdf:RDF>\n").encode()


_EPOCH = datetime(2025, 1, 1, tzinfo=timezone.utc)
