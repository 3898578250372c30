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


def format_answer(answer: Answer, *, width: int = 100, bold: bool = False) -> str:
    """The short answer (when one stands out; ANSI bold with `bold`), the quote, then the
    numbered sources with their quotes."""
    lines = []
    if answer.short is not None and not answer.abstained:
        short = f"\033[1m{answer.short.text}\033[0m" if bold else answer.short.text
        lines += [f"Answer: {short}", ""]
    lines.append(textwrap.fill(answer.text, width=width))
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
