"""HTML for answers, source cards, articles and build reports.

Every string that comes from an article, a file name or the user is passed through
`html.escape` before it is placed in markup: the app never renders article HTML or
Markdown, so an article containing `<script>`, `<img onerror=...>` or
`[x](javascript:...)` shows up as text. This module does not import gradio.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date
from html import escape
from typing import Any, Protocol

from corpus import Article
from qa.types import Answer, Citation

__all__ = [
    "format_date",
    "render_answer",
    "render_article",
    "render_build_report",
    "render_notice",
    "render_question",
    "render_sources",
]

_MARKER = re.compile(r"\[(\d{1,3})\]")
EMPTY_SOURCES = (
    '<div class="nq-sources nq-empty">Cited passages appear here, with the quoted words '
    "highlighted and the full article one click away.</div>"
)


class ArticleLookup(Protocol):
    """Anything that can return a stored article by id (`qa.Assistant` does)."""

    def article(self, article_id: str) -> Article: ...


def format_date(value: date | None) -> str:
    """`date(2026, 1, 9)` -> "Jan 9, 2026"; None -> "undated"."""
    if value is None:
        return "undated"
    return f"{value:%b} {value.day}, {value.year}"


def render_question(question: str) -> str:
    """A user's question as chat HTML (escaped, line breaks kept)."""
    return _text_to_html(question)


def render_answer(answer: Answer) -> str:
    """The chat bubble for one answer: the quote with `[n]` markers styled, or an abstention."""
    parts: list[str] = []
    if answer.abstained:
        parts.append(
            '<div class="nq-abstain"><strong>Not answered.</strong> '
            f"{_text_to_html(answer.text)}</div>"
        )
        if answer.citations:
            parts.append(
                '<div class="nq-note">The closest passages are listed under Sources; '
                "they are related, not an answer.</div>"
            )
    else:
        if answer.short is not None:
            parts.append(f'<div class="nq-short">{escape(answer.short.text)}</div>')
        parts.append(f'<div class="nq-quote">{_quote_html(answer)}</div>')
        cited = _cited_numbers(answer)
        origins = [c for c in answer.citations if c.n in cited]
        if origins:
            items = "; ".join(
                f'<span class="nq-cite">[{c.n}]</span> {escape(c.title)}, '
                f"{escape(format_date(c.published))}, {_where(c)}"
                for c in origins
            )
            parts.append(f'<div class="nq-origin">Quoted verbatim from {items}</div>')
    if answer.message:
        parts.append(f'<div class="nq-note">{escape(answer.message)}</div>')
    return "".join(parts)


def render_notice(message: str) -> str:
    """An error or notice shown in the chat or a status line (escaped)."""
    return f'<div class="nq-error">{_text_to_html(message)}</div>'


def render_status(message: str) -> str:
    """The index status line above the chat, e.g. "12,400 of 19,227 chunks embedded"."""
    return f'<div class="nq-status">{escape(message)}</div>'


def render_sources(answer: Answer | None, articles: ArticleLookup | None = None) -> str:
    """The sources panel: one card per citation, numbered like the markers in the answer.

    With `articles`, each card also holds the whole article (quote marked) in a
    collapsible `<details>` block; an article that cannot be read is left out.
    """
    if answer is None:
        return EMPTY_SOURCES
    if not answer.citations:
        return '<div class="nq-sources nq-empty">No passages matched this question.</div>'
    heading = "Related passages (not an answer)" if answer.abstained else "Sources"
    cards = "".join(_card(c, articles) for c in answer.citations)
    return (
        f'<div class="nq-sources"><div class="nq-sources-head">{heading}'
        f'<span class="nq-for"> for “{escape(answer.question)}”</span></div>{cards}</div>'
    )


def render_article(
    article: Article, span: tuple[int, int] | None = None, field: str = "text"
) -> str:
    """The whole article as HTML paragraphs; `span` (offsets into `field`) is marked."""
    title = escape(article.title)
    byline = escape(article.byline) if article.byline else ""
    body_span = span if field == "text" else None
    if span is not None and field == "title":
        title = _mark(article.title, *span)
    if span is not None and field == "byline" and article.byline:
        byline = _mark(article.byline, *span)
    head = f'<div class="nq-article-title">{title}</div><div class="nq-meta">'
    head += escape(format_date(article.published))
    if byline:
        head += f" · By {byline}"
    head += "</div>"
    paragraphs = []
    for i, (start, end) in enumerate(article.paragraph_spans):
        text = article.paragraphs[i]
        if body_span is not None and body_span[0] < end and body_span[1] > start:
            inner = _mark(text, max(body_span[0] - start, 0), min(body_span[1], end) - start)
        else:
            inner = escape(text)
        paragraphs.append(f'<p><span class="nq-pno">{i + 1}</span>{inner}</p>')
    return f'<div class="nq-article">{head}{"".join(paragraphs)}</div>'


def render_build_report(report: Any, problems: Sequence[tuple[str, str]] = ()) -> str:
    """What an upload did: added/changed/removed articles, passages, skipped files with reasons.

    `report` is an `index.BuildReport` (or None when nothing reached the index);
    `problems` holds (file name, reason) pairs: files refused before indexing and the
    report's skipped items.
    """
    lines: list[str] = []
    if report is not None:
        for label in ("added", "changed", "removed"):
            count, names = _count_and_names(getattr(report, label, None))
            if count:
                noun = "article" if count == 1 else "articles"
                shown = f": {escape(', '.join(names))}" if names else ""
                head = f"<strong>{label.capitalize()}</strong> {count} {noun}"
                lines.append(f"<li>{head}{shown}</li>")
        chunks = getattr(report, "chunks", None)
        if isinstance(chunks, int):
            lines.append(f"<li>The index now holds {chunks:,} passages.</li>")
    problems = list(problems)
    if problems:
        items = "".join(
            f"<li><code>{escape(name)}</code>: {escape(reason)}</li>" for name, reason in problems
        )
        lines.append(f'<li class="nq-skipped"><strong>Skipped</strong><ul>{items}</ul></li>')
    if not lines:
        lines.append("<li>Nothing changed: these articles are already indexed.</li>")
    return f'<ul class="nq-report">{"".join(lines)}</ul>'


def _card(citation: Citation, articles: ArticleLookup | None) -> str:
    meta = [escape(format_date(citation.published))]
    if citation.byline:
        meta.append(f"By {escape(citation.byline)}")
    meta.append(_where(citation))
    dates = "".join(
        f'<li>“{escape(d.phrase)}” = {escape(d.label)}</li>' for d in citation.dates
    )
    also = "; ".join(f"{escape(c.title or c.id)} ({escape(format_date(c.published))})"
                     for c in citation.also_in)
    full = ""
    if articles is not None:
        try:
            article = articles.article(citation.article_id)
        except Exception:  # a missing article must not hide the card
            article = None
        if article is not None:
            full = _whole_article(article, citation)
    return (
        f'<section class="nq-card" id="nq-src-{citation.n}">'
        f'<div class="nq-card-head"><span class="nq-num">[{citation.n}]</span> '
        f'<span class="nq-title">{escape(citation.title)}</span></div>'
        f'<div class="nq-meta">{" · ".join(meta)}</div>'
        + (f'<div class="nq-also">Also published as: {also}</div>' if also else "")
        + f'<blockquote class="nq-passage">{_passage(citation)}</blockquote>'
        + (f'<ul class="nq-dates">{dates}</ul>' if dates else "")
        + f"{full}</section>"
    )


def _whole_article(article: Article, citation: Citation) -> str:
    """The article as the index holds it now, the quote marked only where it still is
    (the article may have been re-indexed with other text since the answer)."""
    field = {"title": article.title, "byline": article.byline or ""}.get(
        citation.field, article.text
    )
    if field[citation.start : citation.end] == citation.quote:
        body = render_article(article, (citation.start, citation.end), citation.field)
        note = ""
    else:
        body = render_article(article)
        note = ('<div class="nq-note">This article has changed since this answer was given; '
                "the quote is no longer at the cited place.</div>")
    return f"<details><summary>Read the whole article</summary>{note}{body}</details>"


def _where(citation: Citation) -> str:
    return f"paragraph {citation.paragraph}" if citation.field == "text" else citation.field


def _passage(citation: Citation) -> str:
    """The cited chunk with the quoted span marked; metadata quotes are shown on their own."""
    chunk = citation.passage
    if citation.field != "text":
        label = "Byline" if citation.field == "byline" else citation.field.capitalize()
        return f"{label}: <mark>{escape(citation.quote)}</mark>"
    start = min(max(citation.start - chunk.start, 0), len(chunk.text))
    end = min(max(citation.end - chunk.start, start), len(chunk.text))
    if start == end:
        return _text_to_html(chunk.text)
    return _mark(chunk.text, start, end)


def _mark(text: str, start: int, end: int) -> str:
    return (
        f"{_text_to_html(text[:start])}<mark>{_text_to_html(text[start:end])}</mark>"
        f"{_text_to_html(text[end:])}"
    )


def _text_to_html(text: str) -> str:
    return escape(text).replace("\n\n", "<br><br>").replace("\n", "<br>")


def _quote_html(answer: Answer) -> str:
    """The answer text as HTML with its markers styled and, when the short answer lies in
    the quote, that phrase marked (its offset moved past the date labels inserted before)."""
    text = answer.text
    short, first = answer.short, answer.citations[0] if answer.citations else None
    if short is None or first is None or short.field != first.field or not (
            first.start <= short.start and short.end <= first.end):
        return _with_markers(_text_to_html(text))
    start = short.start - first.start
    for note in first.dates:
        if note.end <= start:
            start += len(f" ({note.label})")
    end = start + len(short.text)
    if text[start:end] != short.text:
        return _with_markers(_text_to_html(text))
    return (_with_markers(_text_to_html(text[:start])) + '<mark class="nq-short-mark">'
            + _text_to_html(text[start:end]) + "</mark>"
            + _with_markers(_text_to_html(text[end:])))


def _with_markers(escaped: str) -> str:
    return _MARKER.sub(r'<span class="nq-cite">[\1]</span>', escaped)


def _cited_numbers(answer: Answer) -> set[int]:
    return {int(m) for m in _MARKER.findall(answer.text)}


def _count_and_names(value: Any) -> tuple[int, list[str]]:
    if value is None:
        return 0, []
    if isinstance(value, int):
        return value, []
    names = [str(v) for v in value] if isinstance(value, Iterable) else []
    return len(names), names[:20]
