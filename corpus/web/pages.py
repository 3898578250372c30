"""An article page fetched from the web, as an `Article`: decoding its bytes, extracting it
with trafilatura (`corpus.formats.html`), falling back to the feed's metadata, and a stable
id made from its URL."""

from __future__ import annotations

import codecs
import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from corpus.article import Article
from corpus.errors import ArticleFormatError, FetchError
from corpus.formats.common import Origin, build_article, decode, normalize
from corpus.formats.html import extract_html
from corpus.web.feeds import FeedItem
from corpus.web.fetch import Response

__all__ = ["decode_html", "page_article", "url_article_id", "without_tracking"]

_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE
)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9._:-]+)""")
# As browsers do (WHATWG Encoding): these labels mean windows-1252.
_AS_CP1252 = {"iso8859-1", "latin-1", "ascii", "us-ascii", "iso-8859-1", "latin1", "l1"}
_SLUG_UNSAFE = re.compile(r"[^a-z0-9._-]+")
_PAGE_SUFFIXES = (".html", ".htm", ".shtml", ".php", ".asp", ".aspx", ".jsp")
MAX_SLUG_CHARS = 80
_TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|ocid|cmpid|smid|ref|rss)$", re.I)


def page_article(response: Response, article_id: str, *, item: FeedItem | None = None) -> Article:
    """The article on the fetched page `response`, with id `article_id`. The title, date
    and byline come from the page; where it has none, from the feed `item`.

    Raises:
        FetchError: (kind "extract") no article text on the page.
    """
    try:
        text = decode_html(response.body, response.charset, response.url)
    except ArticleFormatError as e:  # an empty or binary body
        raise FetchError(response.url, f"no article text: {e.reason.split(';')[0]}",
                         kind="extract") from e
    extracted = extract_html(text, url=response.final_url, where=response.url)
    if extracted is None:
        raise FetchError(response.url, "no article text found on the page", kind="extract")
    origin = Origin(where=response.url, source=response.final_url, article_id=article_id)
    try:
        return build_article(
            origin,
            title=extracted.title or (item.title if item else None),
            paragraphs=list(extracted.paragraphs),
            published=extracted.published or (item.published if item else None),
            byline=extracted.byline or (item.author if item else None),
            url=extracted.url or without_tracking(response.final_url),
        )
    except ArticleFormatError as e:
        raise FetchError(response.url, "no article text found on the page",
                         kind="extract") from e


def decode_html(body: bytes, charset: str | None, where: str) -> str:
    """The page's text: by its byte-order mark, else the HTTP charset, else a `<meta>`
    charset or XML declaration, else UTF-8, else windows-1252."""
    if body.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return decode(body, where)
    head = body[:4096]
    declared = _XML_ENCODING.search(head) or _META_CHARSET.search(head)
    for label in (charset, declared.group(1).decode("ascii") if declared else None):
        codec = _codec(label)
        if codec is None:
            continue
        try:
            return normalize(body.decode(codec))
        except UnicodeDecodeError:
            continue
    return decode(body, where)


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().lower()
    if label in _AS_CP1252:
        return "cp1252"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def without_tracking(url: str) -> str:
    """`url` without campaign parameters (utm_*, fbclid, ...) and without a #fragment: the
    same story reached from a feed, a newsletter or a share button is one article."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not _TRACKING.match(k)]
    return urlunsplit(parts._replace(query=urlencode(query), fragment=""))


def url_article_id(url: str) -> str:
    """A readable, stable id for the article at `url`: "host/path-slug", e.g.
    "ledger.example/news-2025-11-04-harbor-ferry-plan" (no "www.", a port joins the host
    with "-", campaign parameters dropped; long slugs end in a hash of the URL)."""
    parts = urlsplit(without_tracking(url))
    host = (parts.hostname or "unknown-host").lower().removeprefix("www.")
    if parts.port:
        host = f"{host}-{parts.port}"
    path = unicodedata.normalize("NFKD", unquote(parts.path).lower())
    path = path.encode("ascii", "ignore").decode("ascii")
    if path.endswith(_PAGE_SUFFIXES):
        path = path.rsplit(".", 1)[0]
    raw = path.strip("/") + (f"-{unquote(parts.query).lower()}" if parts.query else "")
    slug = _SLUG_UNSAFE.sub("-", raw).strip("-._") or "index"
    if len(slug) > MAX_SLUG_CHARS:
        digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:8]
        slug = f"{slug[:MAX_SLUG_CHARS - 9].rstrip('-._')}-{digest}"
    return f"{_SLUG_UNSAFE.sub('-', host)}/{slug}"
