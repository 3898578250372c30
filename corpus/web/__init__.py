"""Articles from the web: a polite fetcher, feeds (RSS 2.0, RSS 1.0, Atom) and article
pages extracted with trafilatura. Nothing here knows of indexes: `read_url` turns a URL
into articles and failures; `index.sync.web` records what was read and keeps it in sync."""

from corpus.errors import FETCH_ERROR_KINDS, FetchError
from corpus.web.feeds import Feed, FeedItem, parse_feed, sniff
from corpus.web.fetch import FetchConfig, Fetcher, Response, user_agent
from corpus.web.pages import decode_html, page_article, url_article_id
from corpus.web.read import FeedRead, UrlResult, Validators, WebPage, classify, read_page, read_url

__all__ = [
    "FETCH_ERROR_KINDS",
    "Feed",
    "FeedItem",
    "FeedRead",
    "FetchConfig",
    "FetchError",
    "Fetcher",
    "Response",
    "UrlResult",
    "Validators",
    "WebPage",
    "classify",
    "decode_html",
    "page_article",
    "parse_feed",
    "read_page",
    "read_url",
    "sniff",
    "url_article_id",
    "user_agent",
]
