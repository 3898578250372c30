"""URLs in, articles out: `read_url` fetches a URL, tells a feed from an article page by
what comes back (not by the URL), and for a feed fetches the pages of its new items.
Failures never raise: each is a `FetchError` in the result, so one bad URL or item never
stops the others."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from typing import Literal

from tqdm.auto import tqdm

from corpus.article import Article
from corpus.errors import FetchError
from corpus.web.feeds import Feed, FeedItem, parse_feed, sniff
from corpus.web.fetch import FEED_TYPES, HTML_TYPES, Fetcher, Response
from corpus.web.pages import page_article, url_article_id

__all__ = [
    "FeedRead", "UrlResult", "Validators", "WebPage", "classify", "read_page", "read_url",
]

logger = logging.getLogger(__name__)

_XML_TYPES = frozenset({"application/xml", "text/xml"})

Validators = tuple[str | None, str | None]
"""(ETag, Last-Modified) of an earlier response, for a conditional request."""

ArticleId = Callable[[str], str]
"""Chooses the id of the article found at a URL (default: `url_article_id`)."""


@dataclass(frozen=True)
class WebPage:
    """An article read from the web. `url` is the URL it was fetched from (the link given,
    or a feed item's); `article.url` is the page's canonical URL."""

    url: str
    article: Article
    etag: str | None = None
    last_modified: str | None = None
    feed: str | None = None


@dataclass(frozen=True)
class FeedRead:
    """What a feed held when read: its items' links in feed order."""

    url: str
    title: str | None
    format: str
    item_urls: tuple[str, ...]
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class UrlResult:
    """The outcome for one URL. `kind` is "article", "feed", "unchanged" (a 304: nothing
    new since the last read) or None when the URL itself failed; `failures` also holds
    the feed items that failed (each names the item's URL)."""

    url: str
    kind: Literal["article", "feed", "unchanged"] | None
    pages: tuple[WebPage, ...] = ()
    failures: tuple[FetchError, ...] = ()
    feed: FeedRead | None = None

    @property
    def ok(self) -> bool:
        return not self.failures


def read_url(
    fetcher: Fetcher,
    url: str,
    *,
    known_items: Collection[str] = frozenset(),
    validators: Validators = (None, None),
    article_id: ArticleId = url_article_id,
    show_progress: bool = False,
) -> UrlResult:
    """Read `url`: an article page, or a feed whose items not in `known_items` are read.

    Args:
        fetcher: the HTTP fetcher (its limits apply to every request).
        url: an http(s) URL given by the user or recorded in an index.
        known_items: feed item links already read; they are not fetched again.
        validators: (ETag, Last-Modified) of the last read, sent as a conditional request.
        article_id: the id of the article found at a URL.
        show_progress: a progress bar over a feed's items.
    """
    started = time.perf_counter()
    try:
        response = fetcher.get(url, etag=validators[0], last_modified=validators[1])
        if response.not_modified:
            return UrlResult(url, "unchanged")
        if classify(response) == "html":
            page = _page(response, article_id, item=None, feed=None)
            logger.info("read article %s in %.1f s", url, time.perf_counter() - started)
            return UrlResult(url, "article", pages=(page,))
        feed = parse_feed(response.body, response.final_url, content_type=response.content_type)
    except FetchError as e:
        return UrlResult(url, None, failures=(e,))
    pages, failures = _read_items(fetcher, feed, url, known_items, article_id, show_progress)
    read = FeedRead(url, feed.title, feed.format, tuple(i.url for i in feed.items),
                    response.etag, response.last_modified)
    logger.info("read feed %s (%s, %d items, %d new) in %.1f s", url, feed.format,
                len(feed.items), len(pages), time.perf_counter() - started)
    return UrlResult(url, "feed", pages=tuple(pages), failures=tuple(failures), feed=read)


def read_page(
    fetcher: Fetcher,
    url: str,
    *,
    validators: Validators = (None, None),
    article_id: ArticleId = url_article_id,
    feed: str | None = None,
) -> WebPage | None:
    """Fetch the article page `url` again; None when the server says it is unchanged (304).

    Raises:
        FetchError: the page could not be fetched or holds no article.
    """
    response = fetcher.get(url, etag=validators[0], last_modified=validators[1])
    if response.not_modified:
        return None
    if classify(response) != "html":
        raise FetchError(url, "is now a feed, not an article page", kind="content-type")
    return _page(response, article_id, item=None, feed=feed)


def classify(response: Response) -> Literal["feed", "html"]:
    """Whether `response` is an article page or a feed, from its content type and first
    bytes.

    Raises:
        FetchError: (kind "content-type") it is neither.
    """
    sniffed = sniff(response.body)
    media_type = response.content_type
    if media_type in FEED_TYPES - _XML_TYPES:
        return "feed"
    if media_type in HTML_TYPES:
        return "feed" if sniffed == "feed" else "html"
    if sniffed is not None:
        return sniffed
    shown = media_type or "none"
    what = "XML that is not RSS or Atom" if media_type in _XML_TYPES else "not HTML or a feed"
    raise FetchError(response.url, f"{what} (content type {shown!r})", kind="content-type")


def _read_items(
    fetcher: Fetcher,
    feed: Feed,
    feed_url: str,
    known: Collection[str],
    article_id: ArticleId,
    show_progress: bool,
) -> tuple[list[WebPage], list[FetchError]]:
    new = [item for item in feed.items if item.url not in known]
    pages: list[WebPage] = []
    failures: list[FetchError] = []
    bar = tqdm(new, desc=feed.title or "feed", unit="item", disable=not show_progress)
    for item in bar:
        try:
            response = fetcher.get(item.url)
            if classify(response) != "html":
                raise FetchError(item.url, "the feed item links to a feed, not an article page",
                                 kind="content-type")
            pages.append(_page(response, article_id, item=item, feed=feed_url))
        except FetchError as e:
            failures.append(FetchError(item.url, f"{e.reason} (an item of {feed_url})",
                                       kind=e.kind))
    return pages, failures


def _page(
    response: Response, article_id: ArticleId, *, item: FeedItem | None, feed: str | None
) -> WebPage:
    article = page_article(response, "", item=item)
    article = replace(article, id=article_id(article.url or response.final_url))
    return WebPage(response.url, article, response.etag, response.last_modified, feed)
