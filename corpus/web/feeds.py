"""RSS 2.0, RSS 1.0 (RDF) and Atom feeds, read with feedparser, and telling a feed from an
HTML page by its first bytes."""

from __future__ import annotations

import calendar
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Literal

import feedparser

from corpus.errors import FetchError
from corpus.formats.common import normalize

__all__ = ["Feed", "FeedItem", "parse_feed", "sniff"]

logger = logging.getLogger(__name__)

_FORMATS = {"rss20": "RSS 2.0", "rss10": "RSS 1.0", "rss090": "RSS 0.90", "rss091n": "RSS 0.91",
            "rss091u": "RSS 0.91", "rss092": "RSS 0.92", "rss093": "RSS 0.93",
            "rss094": "RSS 0.94", "atom10": "Atom 1.0", "atom03": "Atom 0.3", "rss": "RSS"}
_PROLOGUE = re.compile(r"^(\s+|<\?.*?\?>|<!--.*?-->|<!doctype(?!\s+html)[^>]*>)", re.DOTALL)
_SNIFF_BYTES = 4096
_PARSER_ERRORS = (ValueError, LookupError, TypeError, AttributeError, RecursionError,
                  OverflowError)


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed: the link to its article page and what the feed says of it."""

    url: str
    title: str | None
    published: date | None
    author: str | None


@dataclass(frozen=True)
class Feed:
    """A parsed feed. `url` is where it was read from; `items` are in feed order, one per
    distinct link."""

    url: str
    title: str | None
    format: str
    items: tuple[FeedItem, ...]


def sniff(body: bytes) -> Literal["feed", "html"] | None:
    """"feed" when the body starts (after any XML declaration, comments and processing
    instructions) with an `<rss>`, `<feed>` or `<rdf:RDF>` element, "html" for an HTML
    document, None otherwise."""
    head = _head_text(body[:_SNIFF_BYTES]).lower()
    while True:
        match = _PROLOGUE.match(head)
        if not match or not match.group(0):
            break
        head = head[match.end():]
    if re.match(r"<(rss|feed|rdf:rdf|rdf)[\s>]", head):
        return "feed"
    if re.match(r"<(!doctype\s+html|html|head|body)[\s>]", head) or "<html" in head:
        return "html"
    return None


def _head_text(data: bytes) -> str:
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"),
                       (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom):].decode(codec, errors="ignore")
    return data.decode("latin-1")


def parse_feed(body: bytes, url: str, *, content_type: str = "") -> Feed:
    """Parse a feed fetched from `url` (relative links are resolved against it).

    Raises:
        FetchError: (kind "feed") the body is not a feed, or is too malformed to give a
            single item with a link.
    """
    headers = {"content-location": url, "content-type": content_type or "application/xml"}
    # Always bytes: given a string that looks like a URL, feedparser would fetch it itself.
    try:
        parsed = feedparser.parse(bytes(body), response_headers=headers)
    except _PARSER_ERRORS as e:  # feedparser chokes on some hostile encoding declarations
        raise FetchError(url, f"malformed feed ({type(e).__name__})", kind="feed") from e
    items = _items(parsed.get("entries", []))
    version, bozo = parsed.get("version", ""), parsed.get("bozo", False)
    if bozo and not items:
        raise FetchError(url, f"malformed feed ({_reason(parsed)})", kind="feed")
    if not version and not items:
        raise FetchError(url, "not an RSS or Atom feed", kind="feed")
    if bozo:
        logger.warning("%s: the feed is malformed (%s); using its %d readable items", url,
                       _reason(parsed), len(items))
    title = _text(parsed.get("feed", {}).get("title"))
    return Feed(url=url, title=title, format=_FORMATS.get(version, "feed"), items=tuple(items))


def _items(entries: list[Any]) -> list[FeedItem]:
    items: dict[str, FeedItem] = {}
    for entry in entries:
        link = _link(entry)
        if not link or link in items:
            continue
        items[link] = FeedItem(
            url=link,
            title=_text(entry.get("title")),
            published=_date(entry.get("published_parsed") or entry.get("updated_parsed")),
            author=_text(entry.get("author")),
        )
    return list(items.values())


def _link(entry: Any) -> str | None:
    """The entry's article page: its `link`, else its first alternate link."""
    link = entry.get("link")
    if not link:
        for candidate in entry.get("links", []):
            if candidate.get("rel", "alternate") == "alternate" and candidate.get("href"):
                link = candidate["href"]
                break
    link = str(link).strip() if link else ""
    return link if link.lower().startswith(("http://", "https://")) else None


def _date(parsed: Any) -> date | None:
    """A feed date (feedparser gives UTC struct_time) as a calendar date."""
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=timezone.utc).date()
    except (OverflowError, ValueError, TypeError):
        return None


def _text(value: Any) -> str | None:
    text = " ".join(normalize(str(value)).split()) if value else ""
    return text or None


def _reason(parsed: Any) -> str:
    error = parsed.get("bozo_exception")
    if error is None:
        return "unreadable"
    line = getattr(error, "getLineNumber", lambda: None)()
    where = f" at line {line}" if line else ""
    message = getattr(error, "getMessage", lambda: str(error))()
    return f"{message}{where}"[:160]
