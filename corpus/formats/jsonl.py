"""JSON Lines (`.jsonl`, one article object a line) and JSON (`.json`, a list of them).

Fields: `text` (required); `id` or `_id` (else "<file id>:<line>"); `title`; `date`,
`publish_date` or `published` ("YYYY-MM-DD", "YYYY/MM/DD" or an ISO datetime); `url`;
`byline`, `author` or `authors`. Paragraphs are the text split on blank lines (on single
newlines when it has none). A bad line is reported and the rest of the file still loads.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from tqdm.auto import tqdm

from corpus.article import Article
from corpus.errors import ArticleFormatError
from corpus.formats.common import Origin, build_article, normalize, parse_date, split_blocks

__all__ = ["parse_json", "parse_jsonl"]

Parsed = tuple[list[Article], list[ArticleFormatError]]


def parse_jsonl(text: str, origin: Origin, *, show_progress: bool = False) -> Parsed:
    """Parse a JSON Lines file.

    Returns:
        (articles, errors): one `ArticleFormatError` (with its line) per bad line.
    """
    lines = [(number, line) for number, line in enumerate(text.split("\n"), 1) if line.strip()]
    numbered = tqdm(
        lines, desc=_label(origin), unit="article", disable=not show_progress, leave=True
    )
    return _collect(_decode_lines(numbered, origin), origin)


def _label(origin: Origin) -> str:
    return origin.where.replace("\\", "/").rsplit("/", 1)[-1]


def _decode_lines(
    numbered: Iterable[tuple[int, str]], origin: Origin
) -> Iterator[tuple[int, Any]]:
    for number, line in numbered:
        try:
            yield number, json.loads(line)
        except (ValueError, RecursionError) as error:
            yield number, ArticleFormatError(origin.where, _json_reason(error), line=number)


def _json_reason(error: ValueError | RecursionError) -> str:
    """Why a text is not JSON we read: bad syntax, nesting too deep for the decoder, or an
    integer too long to convert."""
    if isinstance(error, json.JSONDecodeError):
        return f"not valid JSON ({error.msg} at column {error.colno})"
    if isinstance(error, RecursionError):
        return "not readable JSON (nested too deeply)"
    return f"not readable JSON ({str(error).split(';')[0]})"


def parse_json(text: str, origin: Origin, *, show_progress: bool = False) -> Parsed:
    """Parse a JSON file holding a list of article objects (or one object).

    Errors name the position of the bad item in the list (1-based) as their line.

    Raises:
        ArticleFormatError: the file is not JSON, or not a list of objects.
    """
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        line = error.lineno if isinstance(error, json.JSONDecodeError) else None
        raise ArticleFormatError(origin.where, _json_reason(error), line=line) from error
    if isinstance(data, dict) and isinstance(data.get("articles"), list):
        data = data["articles"]
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise ArticleFormatError(
            origin.where, f"expected a list of article objects, got {type(data).__name__}"
        )
    items = tqdm(
        enumerate(data, 1), total=len(data), desc=_label(origin), unit="article",
        disable=not show_progress, leave=True,
    )
    return _collect(items, origin)


def _collect(items: Iterable[tuple[int, Any]], origin: Origin) -> Parsed:
    """Articles from (line, JSON value) pairs; a value may be the error of its line."""
    articles: list[Article] = []
    errors: list[ArticleFormatError] = []
    seen: dict[str, int] = {}
    for number, item in items:
        try:
            if isinstance(item, ArticleFormatError):
                raise item
            article = _article(item, origin, number)
        except ArticleFormatError as error:
            errors.append(error)
            continue
        if article.id in seen:
            errors.append(ArticleFormatError(
                origin.where, f"duplicate id {article.id!r} (first on line {seen[article.id]}); "
                "give each article its own id", line=number,
            ))
            continue
        seen[article.id] = number
        articles.append(article)
    return articles, errors


def _article(item: Any, origin: Origin, line: int) -> Article:
    if not isinstance(item, dict):
        raise ArticleFormatError(
            origin.where, f"expected a JSON object, got {type(item).__name__}", line=line
        )
    text = item.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ArticleFormatError(
            origin.where, "no 'text' field with the article text; add one", line=line
        )
    given_id = _field(item, "id", "_id")
    where = f"{origin.where}:{line}"
    return build_article(
        origin,
        article_id=(
            normalize(str(given_id)) if given_id is not None else f"{origin.article_id}:{line}"
        ),
        title=normalize(str(_field(item, "title") or "")),
        paragraphs=split_blocks(normalize(text)),
        published=parse_date(_field(item, "date", "publish_date", "published"), where),
        byline=_byline(_field(item, "byline", "author", "authors")),
        url=str(_field(item, "url") or "") or None,
        line=line,
    )


def _field(item: dict[str, Any], *keys: str) -> Any:
    return next((item[key] for key in keys if item.get(key) not in (None, "")), None)


def _byline(value: Any) -> str | None:
    if isinstance(value, list):
        return normalize(", ".join(str(v) for v in value)) or None
    return normalize(str(value)) if value is not None else None
