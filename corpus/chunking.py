"""Cut an article into sentence-aligned chunks sized for the embedding model.

A chunk is a run of whole sentences. Its size is measured in the embedding model's word
pieces through an injected `count_tokens` callable (the index passes the model tokenizer);
without one a conservative estimate is used. The budget for the chunk text is
`max_tokens` minus the word pieces of the title prefix (see `embedding_text`) minus the
model's special tokens, so `embedding_text(chunk, title)` fits the model window.

Rules:
- A chunk never cuts a sentence, except a sentence that alone exceeds the budget: it is
  split at word boundaries (a single word longer than the budget is split by characters).
  The pieces then stand in for sentences in `Chunk.sentences`.
- A new chunk starts at a paragraph start once the current chunk is at least half full.
- When a chunk must end inside a paragraph, the next chunk repeats the last
  `overlap_sentences` sentences of that paragraph (never the whole previous chunk, so the
  chunker always moves forward).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

from corpus.article import Article, Chunk
from corpus.errors import ConfigError
from corpus.sentences import split_sentences

__all__ = [
    "MAX_TITLE_CHARS",
    "ChunkConfig",
    "CountTokens",
    "chunk_article",
    "embedding_text",
    "estimate_tokens",
    "headline_text",
]

CountTokens = Callable[[list[str]], list[int]]
"""Word pieces of each text, special tokens included (as a tokenizer with defaults counts)."""

MAX_TITLE_CHARS = 200
"""Longer titles are cut (at a word boundary) in the embedding prefix."""

MIN_MAX_TOKENS, MAX_MAX_TOKENS = 32, 8192
MAX_OVERLAP_SENTENCES = 16
_ESTIMATE_SPECIAL_TOKENS = 2  # [CLS] and [SEP], like the BERT-style models we embed with
# Calibrated on news text against the MiniLM WordPiece vocabulary: letters in runs of 5,
# digits in pairs, every other character (punctuation, non-ASCII) alone.
_PIECE_RE = re.compile(r"[A-Za-z]{1,5}|[0-9]{1,2}|\S")
_WORD_RE = re.compile(r"\S+")


@dataclass(frozen=True, kw_only=True)
class ChunkConfig:
    """How articles are cut into chunks.

    Attributes:
        max_tokens: size of `embedding_text(chunk, title)` in word pieces, special tokens
            included; between 32 and 8192.
        overlap_sentences: sentences repeated from the previous chunk when a chunk ends
            inside a paragraph; between 0 and 16.
    """

    max_tokens: int = 200
    overlap_sentences: int = 1

    def __post_init__(self) -> None:
        _check_int("max_tokens", self.max_tokens, MIN_MAX_TOKENS, MAX_MAX_TOKENS)
        _check_int("overlap_sentences", self.overlap_sentences, 0, MAX_OVERLAP_SENTENCES)

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ChunkConfig:
        """Inverse of `to_dict`; unknown keys are an error (a config from a newer version)."""
        unknown = sorted(set(data) - {"max_tokens", "overlap_sentences"})
        if unknown:
            raise ConfigError(
                f"unknown chunk config keys {unknown!r}; expected 'max_tokens', "
                "'overlap_sentences'"
            )
        return cls(**data)


def _check_int(name: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{name} must be an integer from {low} to {high}, got {value!r}")


def estimate_tokens(texts: list[str]) -> list[int]:
    """A fast, conservative stand-in for a WordPiece tokenizer (special tokens included).

    ASCII letters count one piece per 5 begun, digits one per 2, and every other
    non-space character one. On news text it overestimates MiniLM's count by about 20%.
    """
    return [len(_PIECE_RE.findall(text)) + _ESTIMATE_SPECIAL_TOKENS for text in texts]


def embedding_text(chunk: Chunk, title: str) -> str:
    """The text embedded for `chunk`: the (possibly shortened) title, a newline, the chunk.

    The title helps retrieval but is never part of a quote.
    """
    return f"{_title_prefix(title)}\n{chunk.text}"


def headline_text(title: str) -> str:
    """The text embedded for the chunks of a page searchable by its headline alone (its
    text is boilerplate, see `index.sync.copies`): the headline, white space collapsed."""
    return " ".join(title.split())


def _title_prefix(title: str) -> str:
    title = " ".join(title.split())
    if len(title) <= MAX_TITLE_CHARS:
        return title
    cut = title.rfind(" ", 0, MAX_TITLE_CHARS + 1)
    return title[: cut if cut > 0 else MAX_TITLE_CHARS]


class _Unit(NamedTuple):
    """A sentence (or a piece of an over-long one) waiting to be packed."""

    start: int
    end: int
    paragraph: int
    tokens: int
    opens_paragraph: bool


def chunk_article(
    article: Article,
    config: ChunkConfig | None = None,
    *,
    count_tokens: CountTokens | None = None,
) -> list[Chunk]:
    """Cut `article` into chunks.

    Args:
        article: the article; offsets refer to `article.text`.
        config: sizes; `ChunkConfig()` by default.
        count_tokens: word pieces per text, special tokens included (e.g. the embedding
            model's tokenizer); `estimate_tokens` by default.

    Returns:
        Chunks in text order with ids "article_id:0", "article_id:1", ... and
        `article.text[c.start:c.end] == c.text`. An article without text has no chunks.
    """
    config = config or ChunkConfig()
    count = count_tokens or estimate_tokens
    text = article.text
    special, title_tokens = _pieces_of(count, ["", _title_prefix(article.title)])
    # Special tokens + title + text; a huge title must not starve the text (the model
    # then truncates the tail of the chunk: a rare, harmless loss).
    budget = max(config.max_tokens - title_tokens, config.max_tokens // 4)
    units = _units(text, article.paragraph_spans, count, special, budget)
    groups = _pack(units, budget, config.overlap_sentences)
    return [_make_chunk(article.id, n, text, group) for n, group in enumerate(groups)]


def _pieces_of(count: CountTokens, texts: list[str]) -> list[int]:
    counts = count(texts)
    if len(counts) != len(texts):
        raise ValueError(f"count_tokens returned {len(counts)} counts for {len(texts)} texts")
    return [int(c) for c in counts]


def _units(
    text: str,
    paragraph_spans: Sequence[tuple[int, int]],
    count: CountTokens,
    special: int,
    budget: int,
) -> list[_Unit]:
    spans: list[tuple[int, int, int]] = []
    for paragraph, (start, end) in enumerate(paragraph_spans):
        spans.extend((s, e, paragraph) for s, e in split_sentences(text, start, end))
    if not spans:
        return []
    counts = _pieces_of(count, [text[s:e] for s, e, _ in spans])
    units: list[_Unit] = []
    last_paragraph = -1
    for (start, end, paragraph), tokens in zip(spans, counts, strict=True):
        opens = paragraph != last_paragraph
        last_paragraph = paragraph
        if tokens - special <= budget:
            units.append(_Unit(start, end, paragraph, tokens - special, opens))
            continue
        for i, (s, e, t) in enumerate(_split_long(text, start, end, count, special, budget)):
            units.append(_Unit(s, e, paragraph, t, opens and i == 0))
    return units


def _split_long(
    text: str, start: int, end: int, count: CountTokens, special: int, budget: int
) -> list[tuple[int, int, int]]:
    """Split an over-long sentence at word boundaries into (start, end, tokens) pieces."""
    words = [(m.start(), m.end()) for m in _WORD_RE.finditer(text, start, end)]
    counts = [c - special for c in _pieces_of(count, [text[s:e] for s, e in words])]
    pieces: list[tuple[int, int, int]] = []
    piece_start, piece_end, piece_tokens = -1, -1, 0
    for (s, e), tokens in zip(words, counts, strict=True):
        if tokens > budget:  # one word beyond the budget: no boundary to respect
            if piece_start >= 0:
                pieces.append((piece_start, piece_end, piece_tokens))
                piece_start, piece_tokens = -1, 0
            pieces.extend(_split_chars(text, s, e, count, special, budget))
            continue
        if piece_start >= 0 and piece_tokens + tokens > budget:
            pieces.append((piece_start, piece_end, piece_tokens))
            piece_start, piece_tokens = -1, 0
        if piece_start < 0:
            piece_start = s
        piece_end, piece_tokens = e, piece_tokens + tokens
    if piece_start >= 0:
        pieces.append((piece_start, piece_end, piece_tokens))
    return pieces


def _split_chars(
    text: str, start: int, end: int, count: CountTokens, special: int, budget: int
) -> list[tuple[int, int, int]]:
    """Cut one enormous word into pieces of at most `budget` word pieces."""
    pieces: list[tuple[int, int, int]] = []
    while start < end:
        size = min(end - start, budget * 4)
        while True:
            tokens = _pieces_of(count, [text[start : start + size]])[0] - special
            if tokens <= budget or size == 1:
                break
            size = max(1, size * budget // (tokens + 1))
        pieces.append((start, start + size, tokens))
        start += size
    return pieces


def _pack(units: list[_Unit], budget: int, overlap: int) -> list[list[_Unit]]:
    """Greedily pack units into groups of at most `budget` tokens (see module docs)."""
    groups: list[list[_Unit]] = []
    current: list[_Unit] = []
    tokens = 0
    for unit in units:
        if current and (
            tokens + unit.tokens > budget or (unit.opens_paragraph and 2 * tokens >= budget)
        ):
            groups.append(current)
            current = [] if unit.opens_paragraph else _overlap(current, unit, budget, overlap)
            tokens = sum(u.tokens for u in current)
        current.append(unit)
        tokens += unit.tokens
    if current:
        groups.append(current)
    return groups


def _overlap(previous: list[_Unit], unit: _Unit, budget: int, overlap: int) -> list[_Unit]:
    """The tail of `previous` to repeat before `unit`: same paragraph, fewer units than
    `previous` (so consecutive chunks differ) and within the budget."""
    tail: list[_Unit] = []
    tokens = unit.tokens
    for candidate in reversed(previous[1:]):
        if len(tail) >= overlap or candidate.paragraph != unit.paragraph:
            break
        if tokens + candidate.tokens > budget:
            break
        tail.append(candidate)
        tokens += candidate.tokens
    tail.reverse()
    return tail


def _make_chunk(article_id: str, n: int, text: str, group: list[_Unit]) -> Chunk:
    start, end = group[0].start, group[-1].end
    return Chunk(
        id=Chunk.make_id(article_id, n),
        article_id=article_id,
        n=n,
        text=text[start:end],
        start=start,
        end=end,
        paragraphs=(group[0].paragraph, group[-1].paragraph),
        sentences=tuple((u.start, u.end) for u in group),
    )
