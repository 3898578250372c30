"""Plain-text rendering of an `Answer`, shared by the CLI and the chat UI's fallbacks."""

from __future__ import annotations

import textwrap

from qa.types import Answer, Citation


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


def format_answer(answer: Answer, *, width: int = 100) -> str:
    """The answer, then its numbered sources with their quotes."""
    lines = [textwrap.fill(answer.text, width=width)]
    if answer.message:
        lines += ["", f"Note: {answer.message}"]
    if answer.citations:
        lines += ["", "Related passages:" if answer.abstained else "Sources:"]
        for citation in answer.citations:
            lines.append(citation_heading(citation))
            quote = textwrap.fill(
                f"“{citation.quote}”", width=width, initial_indent="    ",
                subsequent_indent="    ",
            )
            lines.append(quote)
            lines.append(f"    {citation.source} [{citation.start}:{citation.end}]")
    return "\n".join(lines)
