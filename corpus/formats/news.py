"""Plain-text news (`.txt`).

The house format, one file per article::

     date 2026-01-09 Lee, Takaichi to hold summit in Nara
    SARAH KIM
    President Lee Jae Myung will make a two-day trip ...
    National Security Adviser Wi Sung-lac said ...

The first line is " date YYYY-MM-DD Title" (the leading space is optional), then an
optional byline (a short line in capitals, or "By ..."), then one paragraph a line; blank
lines are skipped. A `.txt` without that header takes its first line as the title and a
following "By ..." line as the byline. A file that hard-wraps its paragraphs (blank lines
between blocks whose lines mostly stop mid-sentence) has each block joined into one
paragraph.
"""

from __future__ import annotations

import re

from corpus.article import Article
from corpus.formats.common import Origin, build_article, parse_date, split_blocks, unwrap

__all__ = ["parse_news"]

_HEADER = re.compile(r"[^\S\n]*date[^\S\n]+(\d\S*)(?:[^\S\n]+(.*))?")
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n")
_MAX_BYLINE_WORDS = 8
_MAX_BY_LINE_WORDS = 14  # "By Sarah Kim and Jung Min-ho, Korea JoongAng Daily"
_LINE_ENDS = (".", "!", "?", ":", '"', "'", "”", "’", ")", "…")


def parse_news(text: str, origin: Origin) -> Article:
    """Parse one plain-text article (see the module docs).

    Raises:
        ArticleFormatError: the file holds no paragraph text.
    """
    lines = text.strip().split("\n")
    header = _HEADER.fullmatch(lines[0])
    if header:
        published = parse_date(header.group(1), f"{origin.where}:1")
        title = header.group(2) or ""
    else:
        published, title = None, lines[0]
    rest = lines[1:]
    byline = None
    first = next((i for i, line in enumerate(rest) if line.strip()), None)
    if first is not None and _is_byline(rest[first].strip(), strict=not header):
        byline = rest[first].strip()
        rest = rest[first + 1 :]
    return build_article(
        origin,
        title=title,
        paragraphs=_paragraphs("\n".join(rest)),
        published=published,
        byline=byline,
    )


def _is_byline(line: str, *, strict: bool) -> bool:
    """A byline is short and no sentence: "SARAH KIM", "By Sarah Kim". Without the house
    header (`strict`) only "By ..." counts, as a short capitalised line may be a heading."""
    words = line.split()
    if line.endswith((".", "!", "?", ":", '"', "”")):
        return False
    if words[0].lower() == "by" and len(words) > 1:
        return len(words) <= _MAX_BY_LINE_WORDS
    has_letters = any(char.isalpha() for char in line)
    return not strict and has_letters and line == line.upper() and len(words) <= _MAX_BYLINE_WORDS


def _paragraphs(body: str) -> list[str]:
    """One paragraph a line, unless the text is hard-wrapped: blank-line separated blocks
    whose lines mostly stop mid-sentence."""
    if _BLANK_LINE.search(body):
        blocks = split_blocks(body)
        inner = [line for block in blocks for line in block.split("\n")[:-1]]
        mid_sentence = sum(not line.rstrip().endswith(_LINE_ENDS) for line in inner)
        if inner and mid_sentence * 2 > len(inner):
            return [unwrap(block) for block in blocks]
    return [line.strip() for line in body.split("\n") if line.strip()]
