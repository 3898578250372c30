"""A rule-based sentence splitter tuned for English news text.

`split_sentences` returns (start, end) character spans into the text it is given, so a
sentence can be quoted verbatim and cited by offset. Rules, in order of precedence:

- A newline always ends a sentence (a paragraph break "\\n\\n" therefore never lies inside one).
- A sentence ends at ".", "!", "?", "…" (or a run of them, e.g. "?!" or "...") followed by
  optional closing quotes/brackets and whitespace, unless the next word starts with a lowercase
  letter or other continuation punctuation (`"Why?" he asked` stays one sentence).
- A period glued to the next character never ends a sentence, so decimals ("3.5"), URLs
  ("cnn.com/2022") and inner dots of "U.S." are safe.
- After a title ("Mr.", "Dr.", "Sen.", ...) a period never ends a sentence; after "No.",
  "Jan."... it does not when a number follows ("No. 1", "Jan. 19").
- After initials and ambiguous abbreviations ("J.", "U.S.", "a.m.", "St.", an ellipsis), the
  sentence ends only when the next word is a typical sentence opener ("The", "He", ...) or an
  opening quote, so "J. K. Rowling" and "U.S. President" stay whole while
  "in the U.S. The company" splits.
- CJK full stops ("。", "！", "？") end a sentence without needing a space.

Spans never include surrounding whitespace and together cover every non-space character.
"""

from __future__ import annotations

import re

__all__ = ["split_sentences"]

_CLOSERS = "\"'”’»)]}」』"
_OPENERS = "\"'“‘«([{「『"

# A newline; a terminal run followed by closers, then whitespace or the end; or a CJK stop.
_BREAK = re.compile(
    # Starting with a character class lets `re` skip ahead fast (3x faster than a bare branch).
    rf"[\n.!?…。！？](?:(?<=\n)|(?<=[.!?…])[.!?…]*[{re.escape(_CLOSERS)}]*(?=\s|$)"
    rf"|(?<=[。！？])[。！？]*[{re.escape(_CLOSERS)}]*)"
)
_SPACES = re.compile(r"\s*")
_NEXT_WORD = re.compile(r"[^\S\n]*(\S*)")
_INITIALS = re.compile(r"(?:[^\W\d_]\.)*[^\W\d_]")  # "J", "U.S", "a.m", "e.g"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Never sentence-final: a name or a noun follows.
_TITLES = _words(
    "mr mrs ms messrs mmes dr prof gen gens sen sens rep reps gov lt col sgt capt cmdr adm maj "
    "rev hon pres supt det insp fr atty brig cpl pvt amb"
)
# Not sentence-final when a number follows ("No. 1", "Jan. 19", "p. 12").
_BEFORE_NUMBER = _words(
    "no nos vol vols p pp fig figs art sec ch op ed rt "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
)
# Sentence-final only before a typical sentence opener ("Apple Inc. The company ...").
_AMBIGUOUS = _words(
    "st mt ft ave blvd vs v approx est dept univ assn bros corp inc co ltd jr sr etc "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
)
_OPENER_WORDS = _words(
    "the a an he she it they we i you his her its their our my your this that these those "
    "there here but and or so yet in on at for with as if when while after before since "
    "although though however meanwhile still also now then some many most all both each "
    "what why how who where which one two three no not nor never officials police"
)


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Split `text[start:end]` into sentences.

    Args:
        text: the text (usually an `Article.text`).
        start: first character to consider.
        end: one past the last character to consider (default: the end of `text`).

    Returns:
        Absolute (start, end) spans into `text`, in order, non-overlapping, each non-empty
        and free of leading/trailing whitespace. No span contains a newline.
    """
    stop = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    piece_start = start
    for match in _BREAK.finditer(text, start, stop):
        char = text[match.start()]
        if char == "\n":
            _append_stripped(text, piece_start, match.start(), spans)
            piece_start = match.end()
        elif char in "。！？" or _ends_sentence(text, match, piece_start, stop):
            _append_stripped(text, piece_start, match.end(), spans)
            piece_start = match.end()
    _append_stripped(text, piece_start, stop, spans)
    return spans


def _append_stripped(text: str, start: int, end: int, out: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        out.append((start, end))


def _ends_sentence(text: str, match: re.Match[str], piece_start: int, stop: int) -> bool:
    """Whether the terminal run `match` (followed by whitespace) ends the sentence that
    began at `piece_start`."""
    next_word = _NEXT_WORD.match(text, match.end(), stop).group(1)  # type: ignore[union-attr]
    if not next_word:  # the end of the line or of the text
        return True
    first = next_word.lstrip(_OPENERS)[:1]
    if not first or first.islower() or first in ",;:-–—%":
        return False
    run = match.group().rstrip(_CLOSERS)
    if "?" in run or "!" in run:
        return True
    opens_quote = next_word[0] in _OPENERS
    if len(run) > 1 or run == "…":  # an ellipsis
        return opens_quote or _is_opener(next_word)
    if len(match.group()) > len(run):  # closing quote or bracket after the period
        return True
    before = text.rfind(" ", piece_start, match.start()) + 1
    before = max(before, text.rfind("\t", piece_start, match.start()) + 1, piece_start)
    word = text[before : match.start()].lstrip(_OPENERS)
    alone = _SPACES.match(text, piece_start, before).end() == before  # type: ignore[union-attr]
    return _period_ends_sentence(word, next_word, first, opens_quote, alone)


def _period_ends_sentence(
    word: str, next_word: str, first: str, opens_quote: bool, alone: bool
) -> bool:
    """The word before a single period decides whether the period ends a sentence."""
    lowered = word.lower()
    if lowered in _TITLES:
        return False
    if first.isdigit() and lowered in _BEFORE_NUMBER:
        return False
    if alone and (word.isdigit() or len(word) == 1):
        return False  # a list marker ("1. The first point") is no sentence of its own
    if lowered in _AMBIGUOUS or _INITIALS.fullmatch(word):
        return opens_quote or _is_opener(next_word)
    return True


def _is_opener(word: str) -> bool:
    return word.strip(_OPENERS).rstrip(",;:").lower() in _OPENER_WORDS
