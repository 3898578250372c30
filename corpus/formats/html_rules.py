"""The hand-written HTML rules (BeautifulSoup and the standard library parser), kept as the
fallback of `corpus.formats.html` for pages where trafilatura finds no main text (fragments
and very short pages), and as the baseline `bench/extraction.py` measures it against.

- title: `og:title`, else the first `<h1>`, else `<title>`;
- date: `article:published_time`, `date`, `pubdate`, `og:published_time`, ... meta tags,
  `itemprop="datePublished"`, else the first `<time datetime>`;
- byline: meta `author`/`byline`, else an element with class "byline";
- url: `<link rel="canonical">`, else `og:url`;
- text: the first `<article>`, else `<main>`, else `<body>`, without script, style, nav,
  footer, aside, form (and similar) elements. Paragraphs are `<p>`, `<li>`, `<h2>`-`<h6>`
  and `<blockquote>` elements (innermost ones), whitespace collapsed as a browser shows it.
"""

from __future__ import annotations

from bs4 import BeautifulSoup, Tag

from corpus.article import Article
from corpus.formats.common import Origin, build_article, parse_date

__all__ = ["parse_html_rules"]

_DROPPED = ("script", "style", "noscript", "template", "nav", "footer", "aside", "form",
            "iframe", "svg", "button", "figure")
_BLOCKS = ("p", "li", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "dd", "dt")
_DATE_META = (
    ("property", "article:published_time"),
    ("name", "article:published_time"),
    ("property", "og:published_time"),
    ("property", "og:article:published_time"),
    ("name", "date"),
    ("name", "pubdate"),
    ("name", "publish-date"),
    ("name", "publish_date"),
    ("name", "publishdate"),
    ("name", "dc.date"),
    ("name", "DC.date.issued"),
    ("itemprop", "datePublished"),
)
_AUTHOR_META = (("name", "author"), ("name", "byline"), ("property", "article:author"))


def parse_html_rules(text: str, origin: Origin) -> Article:
    """Parse one HTML article with the rules above.

    Raises:
        ArticleFormatError: no paragraph text found.
    """
    soup = BeautifulSoup(text, "html.parser")
    for element in soup.find_all(_DROPPED):
        element.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    container = soup.find("article") or soup.find("main") or soup.body or soup
    heading = container.find("h1") or soup.find("h1")
    title = _meta(soup, ("property", "og:title")) or _text(heading) or _text(soup.title)
    byline = _byline(soup)  # before the paragraphs: a byline element is no paragraph
    return build_article(
        origin,
        title=title,
        paragraphs=_paragraphs(container),
        published=parse_date(_published(soup), origin.where),
        byline=byline,
        url=_url(soup),
    )


def _text(element: Tag | None) -> str:
    """The text of `element` with whitespace collapsed, as a browser shows it."""
    return " ".join(element.get_text().split()) if element is not None else ""


def _meta(soup: BeautifulSoup, *keys: tuple[str, str]) -> str | None:
    for attribute, value in keys:
        tag = soup.find("meta", attrs={attribute: value})
        content = tag.get("content") if isinstance(tag, Tag) else None
        if isinstance(content, str) and content.strip():
            return content.strip()
    return None


def _published(soup: BeautifulSoup) -> str | None:
    found = _meta(soup, *_DATE_META)
    if found:
        return found
    time = soup.find("time", attrs={"datetime": True})
    value = time.get("datetime") if isinstance(time, Tag) else None
    return value if isinstance(value, str) else None


def _byline(soup: BeautifulSoup) -> str | None:
    """The author from meta tags, else from a "byline" element (removed from the page)."""
    author = _meta(soup, *_AUTHOR_META)
    if author and not author.startswith(("http://", "https://")):
        return author
    element = soup.find(class_="byline")
    if isinstance(element, Tag):
        text = _text(element)
        element.decompose()
        return text or None
    link = soup.find(attrs={"rel": "author"})
    return (_text(link) or None) if isinstance(link, Tag) else None


def _url(soup: BeautifulSoup) -> str | None:
    link = soup.find("link", rel="canonical")
    href = link.get("href") if isinstance(link, Tag) else None
    if isinstance(href, str) and href.strip():
        return href.strip()
    return _meta(soup, ("property", "og:url"))


def _paragraphs(container: Tag | BeautifulSoup) -> list[str]:
    blocks = _innermost_blocks(container)
    paragraphs = [_text(element) for element in blocks]
    if not any(paragraphs):  # text in bare <div>s: one paragraph per line
        lines = container.get_text("\n").split("\n")
        paragraphs = [" ".join(line.split()) for line in lines]
    return [p for p in paragraphs if p]


def _innermost_blocks(container: Tag | BeautifulSoup) -> list[Tag]:
    """The block elements holding no other block (the innermost block carries the text),
    in document order. One pass with memoised ancestor lookups: unclosed `<p>` or `<li>`
    tags nest thousands deep, and a `find` per element would be quadratic."""
    blocks = container.find_all(_BLOCKS)
    nearest: dict[int, Tag | None] = {id(container): None}  # node -> nearest block above
    outer: set[int] = set()
    for element in blocks:
        path: list[Tag] = []
        node = element.parent
        while node is not None and node.name not in _BLOCKS and id(node) not in nearest:
            path.append(node)
            node = node.parent
        found = node if node is not None and node.name in _BLOCKS else nearest.get(id(node))
        for passed in path:
            nearest[id(passed)] = found
        if found is not None:
            outer.add(id(found))
    return [element for element in blocks if id(element) not in outer]
