"""Markdown (`.md`, `.markdown`).

Optional YAML front matter between "---" lines gives `title`, `date` (or `published`),
`author` (or `byline`, `authors`) and `url`. Otherwise the first "# Title" heading is the
title. Paragraphs are the rendered blocks: paragraph text with link text kept, images,
raw HTML and code blocks dropped, emphasis markers removed, sub-headings and list items as
paragraphs of their own, hard-wrapped lines joined with spaces. A block of more than
`MAX_INLINE_CHARS` characters (no news paragraph is that long) is kept as plain text, so
a huge file of markup characters parses in seconds.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from corpus.article import Article
from corpus.errors import ArticleFormatError
from corpus.formats.common import Origin, build_article, parse_date

__all__ = ["parse_markdown"]

_FENCE = "---"
_TEXT_TOKENS = frozenset({"text", "code_inline"})
_BREAK_TOKENS = frozenset({"softbreak", "hardbreak"})
MAX_INLINE_CHARS = 50_000
"""Blocks longer than this are plain text (no emphasis, link or image markup removed)."""


def parse_markdown(text: str, origin: Origin) -> Article:
    """Parse one Markdown article (see the module docs).

    Raises:
        ArticleFormatError: bad front matter, or no paragraph text.
    """
    meta, body = _front_matter(text, origin)
    title = _first_str(meta, "title")
    heading, paragraphs = _blocks(body, title_from_heading=title is None)
    return build_article(
        origin,
        title=title or heading,
        paragraphs=paragraphs,
        published=parse_date(
            _first(meta, "date", "published", "publish_date"), f"{origin.where}:1"
        ),
        byline=_byline(meta),
        url=_first_str(meta, "url", "link", "canonical_url"),
    )


def _front_matter(text: str, origin: Origin) -> tuple[dict[str, Any], str]:
    """(metadata, body) of a Markdown text.

    Front matter opens the file, or directly follows a leading "# Title" line; in that
    second place a block that is not YAML mapping is ordinary Markdown (a rule, a heading).
    """
    lines = text.split("\n")
    if lines[0].strip() == _FENCE:
        meta, end = _yaml_block(lines, 0, origin, strict=True)
        return meta, "\n".join(lines[end + 1 :])
    if lines[0].startswith("# "):
        start = next((i for i, line in enumerate(lines[1:], 1) if line.strip()), 0)
        if start and lines[start].strip() == _FENCE:
            meta, end = _yaml_block(lines, start, origin, strict=False)
            if meta:
                return meta, "\n".join([lines[0], *lines[end + 1 :]])
    return {}, text


def _yaml_block(
    lines: list[str], start: int, origin: Origin, *, strict: bool
) -> tuple[dict[str, Any], int]:
    """(mapping, index of the closing fence) of the YAML block opened at `lines[start]`;
    ({}, -1) for a block that is no mapping unless `strict`, which raises instead."""
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i].strip() in (_FENCE, "...")), None
    )
    try:
        if end is None:
            raise ArticleFormatError(
                origin.where, "front matter opened with '---' is never closed; "
                "add a '---' line", line=start + 1,
            )
        try:
            meta = yaml.safe_load("\n".join(lines[start + 1 : end])) or {}
        except (yaml.YAMLError, ValueError, OverflowError, RecursionError) as error:
            # PyYAML raises ValueError for impossible dates ("2026-13-45") and long ints,
            # RecursionError for deep nesting.
            reason = " ".join(str(error).split())[:200] or type(error).__name__
            raise ArticleFormatError(
                origin.where, f"invalid YAML front matter: {reason}", line=start + 2
            ) from error
        if not isinstance(meta, dict):
            raise ArticleFormatError(
                origin.where, "front matter must be 'key: value' lines, got "
                f"{type(meta).__name__} {str(meta)[:60]!r}", line=start + 2,
            )
    except ArticleFormatError:
        if strict:
            raise
        return {}, -1
    return meta, end


def _blocks(body: str, *, title_from_heading: bool) -> tuple[str | None, list[str]]:
    """(title, paragraphs) of a Markdown body; the title is the first level-1 heading
    when `title_from_heading`, else that heading is a paragraph like the others."""
    title: str | None = None
    paragraphs: list[str] = []
    heading = ""
    inline_parser = MarkdownIt("commonmark")
    env: dict[str, Any] = {}  # link reference definitions, shared by both passes
    for token in MarkdownIt("commonmark").disable("inline").parse(body, env):
        if token.type == "heading_open":
            heading = token.tag
        elif token.type == "inline":
            visible = _inline_text(inline_parser, token.content, env)
            if title_from_heading and heading == "h1" and title is None:
                title = visible
            elif visible:
                paragraphs.append(visible)
            heading = ""
    return title, paragraphs


def _inline_text(parser: MarkdownIt, content: str, env: dict[str, Any]) -> str:
    """The visible text of one block's inline Markdown. A block longer than
    `MAX_INLINE_CHARS` is taken as plain text: inline parsing costs up to ~15 us per
    bracket or emphasis character, minutes for a 10 MB line of them."""
    if len(content) > MAX_INLINE_CHARS:
        return " ".join(content.split())
    (inline,) = parser.parseInline(content, env)
    return _visible_text(inline.children or [])


def _visible_text(children: list[Token]) -> str:
    parts: list[str] = []
    for child in children:
        if child.type in _TEXT_TOKENS:
            parts.append(child.content)
        elif child.type in _BREAK_TOKENS:
            parts.append(" ")
        # Images, raw inline HTML and link/emphasis markers are not visible text.
    return "".join(parts).strip()


def _first(meta: dict[str, Any], *keys: str) -> Any:
    """The first scalar value among `keys`. Lists and mappings are ignored: YAML aliases
    can make them exponentially large when printed ("billion laughs")."""
    return next((meta[key] for key in keys if _is_scalar(meta.get(key))), None)


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, date)) and value != ""


def _first_str(meta: dict[str, Any], *keys: str) -> str | None:
    value = _first(meta, *keys)
    return str(value) if value is not None else None


def _byline(meta: dict[str, Any]) -> str | None:
    for key in ("author", "byline", "authors"):
        value = meta.get(key)
        if _is_scalar(value):
            return str(value)
        if isinstance(value, list) and value and all(_is_scalar(v) for v in value):
            return ", ".join(str(item) for item in value)
    return None
