"""The Timeline view: a story's events as a vertical axis of dates, each event linked to
its source card. `show_timeline` is the handler (plain values in and out, no gradio);
`render_timeline` the HTML, every article string escaped (see `ui.render`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from html import escape
from typing import Any

from corpus import CorpusError
from index.errors import IndexStoreError
from qa.errors import QAError
from qa.types import Citation, Event, Timeline
from ui.handlers import DateRangeError, parse_date_range
from ui.render import format_date, render_notice

__all__ = ["EMPTY_TIMELINE", "TimelineResult", "render_timeline", "show_timeline"]

logger = logging.getLogger(__name__)

EMPTY_TIMELINE = (
    '<div class="nq-sources nq-empty">Name a story (a topic or a question) to see what '
    "happened, in order: each event is a sentence quoted from the story's articles, dated "
    "by the day it speaks of.</div>"
)


@dataclass(frozen=True)
class TimelineResult:
    html: str
    warning: str | None = None


def show_timeline(
    assistant: Any, query: str | None, since: str | None = "", until: str | None = "",
    as_of: str | None = "",
) -> TimelineResult:
    """The timeline of the story `query` names; problems come back as a warning and a
    notice, never as an exception."""
    query = (query or "").strip()
    if not query:
        return TimelineResult(EMPTY_TIMELINE, "Type a story or a question first.")
    try:
        start, end = parse_date_range(since, until)
        day = parse_date_range(as_of, None)[0]
        timeline = assistant.timeline(query, since=start, until=end, as_of=day)
    except DateRangeError as e:
        return TimelineResult(EMPTY_TIMELINE, str(e))
    except (QAError, CorpusError, IndexStoreError, ValueError, OSError) as e:
        logger.info("timeline %r failed: %s", query, e)
        return TimelineResult(render_notice(str(e)), str(e))
    except Exception as e:  # the UI boundary: log it, show one line, keep serving
        logger.exception("unexpected error making the timeline of %r", query)
        message = f"Unexpected error ({type(e).__name__}): {e}"
        return TimelineResult(render_notice(message), message)
    return TimelineResult(render_timeline(timeline))


def render_timeline(timeline: Timeline) -> str:
    """An ordered list with a date marker per event on a vertical axis, then one source card
    per article; each event's [n] links to its card."""
    head = (f'<div class="nq-sources-head">Timeline<span class="nq-for"> of “'
            f'{escape(timeline.query)}”</span></div>')
    note = f'<div class="nq-note">{escape(timeline.message)}</div>' if timeline.message else ""
    if not timeline.events:
        return f'<div class="nq-timeline-view">{head}{note or EMPTY_TIMELINE}</div>'
    items = "".join(_event(e) for e in timeline.events)
    cards, seen = [], set()
    for event in timeline.events:
        if event.citation.n not in seen:
            seen.add(event.citation.n)
            cards.append(_card(event.citation))
    return (f'<div class="nq-timeline-view">{head}<ol class="nq-timeline">{items}</ol>{note}'
            f'<div class="nq-sources-head">Sources</div>{"".join(cards)}</div>')


def _event(event: Event) -> str:
    when = format_date(event.date) if event.precision == "day" else event.label
    how = ("date from the sentence" if event.date_source == "sentence"
           else "date of publication")
    tags = '<span class="nq-tag">scheduled</span>' if event.scheduled else ""
    quote = escape(event.quote)
    if event.phrase:
        at = event.quote.find(event.phrase)
        if at >= 0:
            quote = (escape(event.quote[:at]) + f"<mark>{escape(event.phrase)}</mark>"
                     + escape(event.quote[at + len(event.phrase):]))
    c = event.citation
    return (
        f'<li class="nq-event"><time class="nq-when" datetime="{event.date.isoformat()}">'
        f"{escape(when)}</time>{tags}"
        f'<div class="nq-event-quote">{quote} <a class="nq-cite" href="#nq-tl-src-{c.n}">'
        f"[{c.n}]</a></div>"
        f'<div class="nq-meta">{escape(c.title)} · {escape(format_date(c.published))} · '
        f"{how}</div></li>"
    )


def _card(citation: Citation) -> str:
    meta = [escape(format_date(citation.published))]
    if citation.byline:
        meta.append(f"By {escape(citation.byline)}")
    meta.append(escape(citation.source))
    also = ""
    if citation.also_in:
        copies = "; ".join(
            f"{escape(c.title or c.id)} ({escape(c.source)}, "
            f"{escape(format_date(c.published))})" for c in citation.also_in)
        also = f'<div class="nq-also">Also published as: {copies}</div>'
    return (
        f'<section class="nq-card" id="nq-tl-src-{citation.n}">'
        f'<div class="nq-card-head"><span class="nq-num">[{citation.n}]</span> '
        f'<span class="nq-title">{escape(citation.title)}</span></div>'
        f'<div class="nq-meta">{" · ".join(meta)}</div>{also}</section>'
    )

