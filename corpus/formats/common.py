"""What every format shares: decoding bytes, normalising text, parsing dates, building
an `Article` with a clear error when there is nothing to build."""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from email.utils import parsedate_to_datetime

from corpus.article import Article
from corpus.errors import ArticleFormatError

logger = logging.getLogger(__name__)

_BINARY_SAMPLE_BYTES = 65536
_BINARY_CONTROL_SHARE = 0.05
_TEXT_CONTROLS = frozenset(b"\t\n\r\f")
_CONTROL_BYTES = tuple(sorted((frozenset(range(32)) - _TEXT_CONTROLS) | {0x7F}))
# Control characters other than newline and tab, and the byte-order mark, are invisible
# noise left by scrapers and editors; dropping them keeps offsets meaningful.
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufeff]")
# Lone surrogates (from JSON or YAML escapes such as "\ud800") cannot be stored as UTF-8.
_SURROGATES = re.compile("[\ud800-\udfff]")
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n")
_ISO_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:$|[T ]\S*)")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
MAX_TITLE_CHARS = 120


@dataclass(frozen=True)
class Origin:
    """Where an article comes from.

    Attributes:
        where: the path shown in errors and warnings (as the user gave it).
        source: the stable name stored in `Article.source` (path relative to the folder).
        article_id: the id for a single-article file, or the prefix for JSONL line ids.
    """

    where: str
    source: str
    article_id: str


def decode(data: bytes, where: str) -> str:
    """Bytes to normalised text: UTF-8 (BOM or not), UTF-16 with a BOM, else cp1252.

    Raises:
        ArticleFormatError: the file is empty, binary, or in no encoding we read.
    """
    if not data.strip():
        raise ArticleFormatError(where, "empty file; add the article text or remove the file")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return normalize(data.decode("utf-16"))
        except UnicodeDecodeError as error:
            raise ArticleFormatError(where, f"invalid UTF-16 text ({error.reason})") from error
    if _looks_binary(data):
        raise ArticleFormatError(where, "binary file, not text; remove it from the folder")
    try:
        return normalize(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise ArticleFormatError(
                where, f"not UTF-8 text (byte {data[error.start]:#04x} at offset {error.start}) "
                "nor cp1252; re-save the file as UTF-8",
            ) from error
    logger.warning("%s: not UTF-8; decoded as cp1252 (re-save as UTF-8 to be sure)", where)
    return normalize(text)


def _looks_binary(data: bytes) -> bool:
    sample = data[:_BINARY_SAMPLE_BYTES]
    controls = sum(sample.count(byte) for byte in _CONTROL_BYTES)
    return controls > _BINARY_CONTROL_SHARE * len(sample)


def normalize(text: str) -> str:
    """NFC, LF line ends, no control characters except newline and tab, lone surrogates
    replaced by U+FFFD."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL_CHARS.sub("", text)
    text = _SURROGATES.sub("\ufffd", text)
    return unicodedata.normalize("NFC", text)


def split_blocks(text: str) -> list[str]:
    """Paragraphs of a plain text: blocks separated by blank lines, stripped, empty ones
    dropped; a text without blank lines has one paragraph per line."""
    blocks = _BLANK_LINE.split(text) if _BLANK_LINE.search(text) else text.split("\n")
    return [block.strip() for block in blocks if block.strip()]


def unwrap(block: str) -> str:
    """Join the lines of a hard-wrapped paragraph with single spaces."""
    return " ".join(line.strip() for line in block.split("\n") if line.strip())


def parse_date(value: object, where: str) -> date | None:
    """A publication date from "YYYY-MM-DD", "YYYY/MM/DD", an ISO datetime, an RFC 2822
    date, "YYYYMMDD" or a date/datetime; None (with a warning naming `where`) otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, (str, int, float)):  # a list or mapping is no date
        logger.warning("%s: unreadable date of type %s; published date left empty", where,
                       type(value).__name__)
        return None
    try:
        text = str(value).strip()
        match = _ISO_DATE.match(text) or _COMPACT_DATE.fullmatch(text)
        if match:
            year, month, day = (int(part) for part in match.groups())
            return date(year, month, day)
        return parsedate_to_datetime(text).date()
    except (TypeError, ValueError, OverflowError):
        shown = value[:80] if isinstance(value, str) else type(value).__name__
        logger.warning("%s: unreadable date %r; published date left empty", where, shown)
        return None


def fallback_title(paragraphs: list[str]) -> str:
    """A title for an article that has none: the start of its first paragraph of five
    words or more (shorter ones tend to be datelines such as "New York CNN —")."""
    first = next((p for p in paragraphs if len(p.split()) >= 5), paragraphs[0])
    if len(first) <= MAX_TITLE_CHARS:
        return first
    cut = first.rfind(" ", 0, MAX_TITLE_CHARS)
    return first[: cut if cut > 0 else MAX_TITLE_CHARS] + "…"


def build_article(
    origin: Origin,
    *,
    title: str | None,
    paragraphs: list[str],
    published: date | None = None,
    byline: str | None = None,
    url: str | None = None,
    article_id: str | None = None,
    line: int | None = None,
) -> Article:
    """An `Article` with stripped, non-empty paragraphs and a title, every field
    `normalize`d (metadata and HTML character references can carry control characters).

    Raises:
        ArticleFormatError: there is no paragraph text.
    """
    paragraphs = [normalize(p).strip() for p in paragraphs if p and p.strip()]
    paragraphs = [p for p in paragraphs if p]
    title, byline, url = (normalize(v) if v else v for v in (title, byline, url))
    if not paragraphs:
        raise ArticleFormatError(
            origin.where, "no article text found; the file needs at least one paragraph",
            line=line,
        )
    title = " ".join((title or "").split()) or fallback_title(paragraphs)
    return Article(
        id=article_id or origin.article_id,
        title=title,
        paragraphs=tuple(paragraphs),
        source=origin.source,
        published=published,
        byline=" ".join(byline.split()) if byline and byline.strip() else None,
        url=url.strip() if url and url.strip() else None,
    )
