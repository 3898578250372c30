"""Plain-text rendering of an `Answer` and a `Timeline`, for the CLI and the chat UI's
fallbacks."""

from __future__ import annotations

import textwrap

from qa.types import Answer, Citation, Timeline


def citation_heading(citation: Citation) -> str:
    """'[1] Title — 2026-01-09 — SARAH KIM — paragraph 3'."""
    parts = [f"[{citation.n}] {citation.title or citation.article_id}"]
    if citation.published:
        parts.append(citation.published.isoformat())
    if citation.byline:
        parts.append(citation.byline)
    if citation.field == "text":
        parts.append(f"paragraph {citation.paragraph}")
    else:
        parts.append(citation.field)
    return " — ".join(parts)


def format_answer(answer: Answer, *, width: int = 100, bold: bool = False) -> str:
    """The short answer (when one stands out; ANSI bold with `bold`), the quote, then the
    numbered sources with their quotes."""
    lines = []
    if answer.short is not None and not answer.abstained:
        short = f"\033[1m{answer.short.text}\033[0m" if bold else answer.short.text
        lines += [f"Answer: {short}", ""]
    # Wrapped as one block: a quote that joins two paragraphs shows their break as a space.
    lines.append(textwrap.fill(" ".join(answer.text.split()), width=width))
    if answer.message:
        lines += ["", f"Note: {answer.message}"]
    if answer.citations:
        lines += ["", "Related passages:" if answer.abstained else "Sources:"]
        for citation in answer.citations:
            lines.append(citation_heading(citation))
            quote = textwrap.fill(
                f"“{' '.join(citation.quote.split())}”", width=width, initial_indent="    ",
                subsequent_indent="    ",
            )
            lines.append(quote)
            lines.append(f"    {citation.source} [{citation.start}:{citation.end}]")
            lines.extend(_also_in(citation))
    return "\n".join(lines)


def format_timeline(timeline: Timeline, *, width: int = 100) -> str:
    """One line block per event, oldest first ("2026-03-06  [2] quote"), then the sources
    (one per article, numbered like the events' markers)."""
    if not timeline.events:
        return timeline.message or "No events."
    articles = len(timeline.articles)
    lines = [f"{timeline.query}: {len(timeline.events)} events from {articles} "
             f"article{'s' if articles != 1 else ''}", ""]
    for event in timeline.events:
        when = event.date.isoformat() if event.precision == "day" else event.label
        how = f"({event.phrase!r})" if event.phrase else "(published)"
        ahead = ", scheduled" if event.scheduled else ""
        head = f"{when:<10}  [{event.citation.n}] "
        lines.append(textwrap.fill(f"{head}{event.quote} {how[:-1]}{ahead})", width=width,
                                   subsequent_indent=" " * len(head)))
    if timeline.message:
        lines += ["", f"Note: {timeline.message}"]
    lines += ["", "Sources:"]
    shown = set()
    for event in timeline.events:
        if event.citation.n in shown:
            continue
        shown.add(event.citation.n)
        lines.append(citation_heading(event.citation).rsplit(" — paragraph", 1)[0])
        lines.append(f"    {event.citation.source}")
        lines.extend(_also_in(event.citation))
    return "\n".join(lines)


def _also_in(citation: Citation) -> list[str]:
    """"    also in: Title (source, date); ..." for a syndicated story's other copies."""
    if not citation.also_in:
        return []
    copies = "; ".join(
        f"{c.title or c.id} ({c.source}{', ' + c.published.isoformat() if c.published else ''})"
        for c in citation.also_in)
    return [textwrap.fill(f"also in: {copies}", width=100, initial_indent="    ",
                          subsequent_indent="      ")]
