"""One parser per file format family, chosen by file extension.

Every parser takes the decoded text and an `Origin` and returns
`(articles, errors)`; only the JSON formats report per-line errors, the others raise
`ArticleFormatError` for a bad file.
"""

from __future__ import annotations

from collections.abc import Callable

from corpus.article import Article
from corpus.errors import ArticleFormatError
from corpus.formats.common import Origin, decode
from corpus.formats.html import parse_html
from corpus.formats.jsonl import parse_json, parse_jsonl
from corpus.formats.markdown import parse_markdown
from corpus.formats.news import parse_news

__all__ = ["PARSERS", "Origin", "Parser", "decode"]

Parser = Callable[..., tuple[list[Article], list[ArticleFormatError]]]


def _one(parse: Callable[[str, Origin], Article]) -> Parser:
    def parser(
        text: str, origin: Origin, *, show_progress: bool = False
    ) -> tuple[list[Article], list[ArticleFormatError]]:
        return [parse(text, origin)], []

    return parser


PARSERS: dict[str, Parser] = {
    ".htm": _one(parse_html),
    ".html": _one(parse_html),
    ".json": parse_json,
    ".jsonl": parse_jsonl,
    ".markdown": _one(parse_markdown),
    ".md": _one(parse_markdown),
    ".txt": _one(parse_news),
}
"""Parser by lower-case file extension."""
