"""HTML (`.html`, `.htm`, and pages fetched from the web), extracted with trafilatura.

- text: trafilatura's main text, without navigation, cookie banners, newsletter promos,
  "most read" lists, comments and footers. Paragraphs are its blocks (paragraphs,
  subheadings, list items, quotes, table rows), whitespace collapsed as a browser shows it;
  a headline, byline or dateline at the top that repeats the metadata is dropped.
- title: `og:title`, `<title>` or the `<h1>` (trafilatura's choice), without the site name
  ("Ferry plan approved | The Coastal Ledger" -> "Ferry plan approved");
- date: the publication date from the page's metadata (htmldate: meta tags, JSON-LD,
  `<time>`, the URL), the original date rather than the last update;
- byline: the author from meta tags, JSON-LD or a byline element;
- url: `<link rel="canonical">`, else `og:url`, made absolute against the page's URL.

Pages where trafilatura finds no main text (fragments, pages of a line or two) fall back
to the hand-written rules of `corpus.formats.html_rules`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from corpus.article import Article
from corpus.formats.common import Origin, build_article, normalize, parse_date
from corpus.formats.html_rules import parse_html_rules

__all__ = ["Extracted", "extract_html", "parse_html", "strip_site_name"]

logger = logging.getLogger(__name__)

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " · ", " • ", " » ", " / ")
_BYLINE_START = re.compile(r"^(by|from|von|par|por|di)\b", re.IGNORECASE)
_DATELINE = re.compile(
    r"^(published|updated|posted)?[:\s]*\w*[,\s]*(\d{1,2}\s+)?(jan|feb|mar|apr|may|jun|jul|aug"
    r"|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}?,?\s*\d{4}\b.{0,30}$|^\d{4}-\d{2}-\d{2}",
    re.IGNORECASE,
)
# Containers of promos and link lists that trafilatura's own rules keep (class or id words).
_PROMO_WORDS = ("promo", "newsletter", "signup", "sign-up", "subscribe", "related", "most-read",
                "mostread", "trending", "popular", "cookie", "consent", "gdpr", "advert",
                "sponsor", "outbrain", "taboola")
_LOWER = "translate({}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"
_PROMO_XPATH = "//*[{}]".format(" or ".join(
    f"contains({_LOWER.format(attribute)}, '{word}')"
    for attribute in ("@class", "@id") for word in _PROMO_WORDS
))
# Paragraphs that are calls to action or link labels, not reporting.
_LINK_LABEL = re.compile(
    r"^(related|read more|read also|also read|more on this|see also|recommended|watch|listen)"
    r"\s*[:|]", re.IGNORECASE,
)
_CALL_TO_ACTION = re.compile(
    r"\b(sign up|subscribe)\b.*\b(newsletter|inbox|alerts?)\b"
    r"|\b(newsletter|inbox)\b.*\b(sign up|subscribe)\b", re.IGNORECASE,
)
# Production credits at the end of wire copy: "Reporting by A; Editing by B".
_CREDITS = re.compile(
    r"^((additional )?reporting|writing|editing|compiled|translated) by\b", re.IGNORECASE
)
_MAX_CALL_TO_ACTION_WORDS = 35
_MAX_LEAD_BLOCKS = 4  # how far down a repeated headline, byline or dateline is looked for
_MAX_BYLINE_WORDS = 14


@dataclass(frozen=True)
class Extracted:
    """What a page holds: its main-text paragraphs and metadata (None where absent)."""

    paragraphs: tuple[str, ...]
    title: str | None
    published: date | None
    byline: str | None
    url: str | None


def parse_html(text: str, origin: Origin, *, url: str | None = None) -> Article:
    """Parse one HTML article (see the module docs); `url` is where the page was fetched
    from (relative canonical links are resolved against it).

    Raises:
        ArticleFormatError: no paragraph text found.
    """
    extracted = extract_html(text, url=url, where=origin.where)
    if extracted is None:
        logger.debug("%s: no main text found by trafilatura; using the HTML rules", origin.where)
        article = parse_html_rules(text, origin)
        absolute = _absolute(article.url, url)
        return article if absolute == article.url else _with_url(article, absolute)
    return build_article(
        origin,
        title=extracted.title,
        paragraphs=list(extracted.paragraphs),
        published=extracted.published,
        byline=extracted.byline,
        url=extracted.url or url,
    )


def extract_html(text: str, *, url: str | None = None, where: str = "") -> Extracted | None:
    """The main text and metadata of an HTML page, or None when trafilatura finds no main
    text in it (`parse_html` then falls back to the hand-written rules)."""
    import trafilatura  # imported on first use: 0.2 s that most commands never need

    tree = _parse_tree(text)
    if tree is None:
        return None
    canonical = _canonical(tree, url)
    try:
        document = trafilatura.bare_extraction(
            tree,
            url=canonical or url,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            include_images=False,
            favor_precision=True,  # no rescue by a whole-page dump on short pages
            prune_xpath=_PROMO_XPATH,
            date_extraction_params={
                "extensive_search": False,
                "original_date": True,
                # htmldate drops dates after max_date (default: today); allow a time zone ahead
                "max_date": (date.today() + timedelta(days=1)).isoformat(),
            },
        )
    except (ValueError, TypeError, etree.LxmlError, RecursionError) as e:
        logger.debug("%s: trafilatura failed (%s)", where, e)
        return None
    if document is None or document.body is None:
        return None
    paragraphs = [p for p in _paragraphs(document.body) if p and not _is_promo(p)]
    title = _title(tree, document, paragraphs, host=urlsplit(canonical or url or "").hostname)
    byline = _byline(document.author)
    paragraphs = _drop_repeated_lead(paragraphs, title, byline)
    if not paragraphs:
        return None
    return Extracted(
        paragraphs=tuple(paragraphs),
        title=title,
        published=parse_date(document.date, where or "page") if document.date else None,
        byline=byline,
        url=canonical,
    )


def _title(
    tree: lxml.html.HtmlElement, document: Any,
    paragraphs: list[str], *, host: str | None,
) -> str | None:
    """The headline: the part of `og:title` or `<title>` that the page shows as its `<h1>`
    or first lines ("Site | Headline" and "Headline - Site" alike), else that title without
    the site name, else trafilatura's title."""
    shown = [_clean(h.text_content()) for h in tree.iter("h1")][:3] + paragraphs[:3]
    shown_keys = {_squash(s) for s in shown if s}
    site_name = _clean(document.sitename)
    for raw in (*tree.xpath("//meta[@property='og:title']/@content"),
                *(t.text_content() for t in tree.iter("title"))):
        title = _clean(str(raw))
        if not title:
            continue
        if _squash(title) in shown_keys:
            return title
        for separator in _TITLE_SEPARATORS:
            parts = [part.strip() for part in title.split(separator)]
            match = next((part for part in parts if _squash(part) in shown_keys), None)
            if len(parts) > 1 and match:
                return match
        return strip_site_name(title, site_name=site_name, host=host)
    return strip_site_name(_clean(document.title), site_name=site_name, host=host)


def strip_site_name(title: str | None, *, site_name: str | None, host: str | None) -> str | None:
    """`title` without a site name before or after a separator ("Story | Site", "Site - Story");
    the site is `site_name` or a name that matches the `host` ("CNN" for www.cnn.com)."""
    if not title:
        return title
    for separator in _TITLE_SEPARATORS:
        if separator not in title:
            continue
        head, _, tail = title.rpartition(separator)
        if head.strip() and _is_site(tail, site_name, host):
            return head.strip()
        first, _, rest = title.partition(separator)
        if rest.strip() and _is_site(first, site_name, host):
            return rest.strip()
    return title


def _is_site(part: str, site_name: str | None, host: str | None) -> bool:
    squashed = _squash(part)
    if not squashed or len(part.split()) > 5:
        return False
    if site_name and squashed in {_squash(site_name), _squash(site_name).removeprefix("the")}:
        return True
    if not host:
        return False
    labels = [label for label in host.lower().split(".") if label not in {"www", "m", "amp"}]
    name = _squash(labels[-2] if len(labels) >= 2 else labels[0]) if labels else ""
    return bool(name) and len(name) >= 2 and squashed.removeprefix("the").startswith(name)


def _squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def _parse_tree(text: str) -> lxml.html.HtmlElement | None:
    """The page as an lxml tree (None when there is no markup to parse). lxml refuses
    text with an XML encoding declaration: the text is already decoded, so it goes."""
    text = _XML_DECLARATION.sub("", text, count=1)
    if not text.strip():
        return None
    try:
        return lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return None


def _canonical(tree: lxml.html.HtmlElement, page_url: str | None) -> str | None:
    """The absolute canonical URL: `<link rel="canonical">`, else `og:url`. A canonical
    link to the site's home page from an article page is a site bug and is ignored."""
    base = page_url
    for href in tree.xpath("//base/@href")[:1]:
        base = urljoin(page_url or "", str(href).strip()) or page_url
    candidates = [
        *tree.xpath("//link[contains(concat(' ', normalize-space(translate(@rel, "
                    "'CANONICAL', 'canonical')), ' '), ' canonical ')]/@href"),
        *tree.xpath("//meta[@property='og:url']/@content"),
    ]
    for candidate in candidates:
        absolute = _absolute(str(candidate).strip(), base)
        if not absolute or urlsplit(absolute).scheme not in ("http", "https", ""):
            continue
        if page_url and urlsplit(absolute).path in ("", "/") and urlsplit(page_url).path not in (
            "", "/"
        ):
            continue
        return absolute
    return None


def _absolute(href: str | None, base: str | None) -> str | None:
    if not href:
        return href
    return urljoin(base, href) if base else href


def _with_url(article: Article, url: str | None) -> Article:
    return replace(article, url=url)


def _paragraphs(body: etree._Element) -> list[str]:
    """One paragraph per block of trafilatura's output tree, in order."""
    paragraphs: list[str] = []
    for element in body:
        paragraphs.extend(_block_texts(element))
    return paragraphs


_BLOCK_TAGS = frozenset({"p", "head", "list", "item", "quote", "table", "code"})


def _block_texts(element: etree._Element) -> list[str]:
    tag = element.tag
    if tag == "list":
        return [_text(item, skip=("list",)) for item in element.iter("item")]
    if tag == "table":
        cells = list(element.iter("cell"))
        if any(child.tag in _BLOCK_TAGS for cell in cells for child in cell):
            return [text for cell in cells for text in _mixed_blocks(cell)]  # a layout table
        rows = [" | ".join(c for c in map(_text, row.iter("cell")) if c)
                for row in element.iter("row")]
        return rows
    if tag == "quote" and element.find("p") is not None:
        return [_text(p) for p in element.iter("p")]
    if tag in ("graphic", "lb"):
        return []
    return [_text(element)]


def _mixed_blocks(element: etree._Element) -> list[str]:
    """Paragraphs of an element holding loose text and blocks (a layout table's cell): the
    loose text between blocks is a paragraph of its own."""
    blocks: list[str] = []
    loose: list[str] = [element.text or ""]
    for child in element:
        if child.tag in _BLOCK_TAGS:
            blocks.append(" ".join("".join(loose).split()))
            blocks.extend(_block_texts(child))
            loose = []
        else:
            loose.append(_text(child) if child.tag != "lb" else " ")
        loose.append(child.tail or "")
    blocks.append(" ".join("".join(loose).split()))
    return [block for block in blocks if block]


def _text(element: etree._Element, skip: tuple[str, ...] = ()) -> str:
    """The element's text, whitespace collapsed; descendants tagged `skip` left out (a
    nested list's items are paragraphs of their own). Line breaks and nested blocks are
    word boundaries."""
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            boundary = child.tag == "lb" or child.tag in _BLOCK_TAGS
            if boundary:
                parts.append(" ")
            if child.tag not in skip:
                walk(child)
            if boundary:
                parts.append(" ")
            if child.tail:
                parts.append(child.tail)

    walk(element)
    return " ".join("".join(parts).split())


def _is_promo(paragraph: str) -> bool:
    if _LINK_LABEL.match(paragraph):
        return True
    short = len(paragraph.split()) <= _MAX_CALL_TO_ACTION_WORDS
    return short and (
        _CALL_TO_ACTION.search(paragraph) is not None or _CREDITS.match(paragraph) is not None
    )


def _clean(value: str | None) -> str | None:
    text = " ".join(normalize(value).split()) if value else ""
    return text or None


def _byline(author: str | None) -> str | None:
    """trafilatura joins several authors with "; "."""
    text = _clean(author)
    if not text or text.startswith(("http://", "https://")):
        return None
    return ", ".join(part.strip() for part in text.split(";") if part.strip()) or None


def _drop_repeated_lead(
    paragraphs: list[str], title: str | None, byline: str | None
) -> list[str]:
    """Drop the headline, byline and dateline at the top of the text: they are metadata,
    kept in the article's fields, not paragraphs to quote."""
    title_key = _squash(title or "")
    names = [_squash(n) for n in (byline or "").split(",") if _squash(n)]
    dropped = 0
    while dropped < min(_MAX_LEAD_BLOCKS, len(paragraphs) - 1):
        block = paragraphs[dropped]
        key = _squash(block)
        is_title = bool(title_key) and key == title_key
        words = len(block.split())
        names_only = words <= len((byline or "").split()) + 4 and any(n in key for n in names)
        by_line = _BYLINE_START.match(block) is not None and not block.endswith(".")
        is_byline = words <= _MAX_BYLINE_WORDS and (names_only or by_line)
        is_dateline = len(block) <= 60 and _DATELINE.match(block) is not None
        if not (is_title or is_byline or is_dateline):
            break
        dropped += 1
    return paragraphs[dropped:]
