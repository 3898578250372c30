"""Hypothesis strategies for news-like text: sentences full of abbreviations, numbers,
quotes, unicode and whitespace oddities."""

from __future__ import annotations

from hypothesis import strategies as st

WORDS = [
    "the", "minister", "said", "on", "Tuesday", "Mr.", "Dr.", "Sen.", "U.S.", "U.K.", "Jan.",
    "19", "No.", "1", "a.m.", "p.m.", "J.", "K.", "Rowling", "3.5", "$1.65", "billion",
    "https://www.cnn.com/2022/06/12/index.html", "cnn.com.", "e.g.", "St.", "Louis", "Inc.",
    "café", "Zürich", "東京", "Seoul’s", "naïve", "—", "…", "...", "(AP)", "“quoted”", "'single'",
    "\"Why?\"", "he", "asked.", "yes!", "2026-01-09", "50%", "Ukraine", "Takaichi", "x" * 40,
    "\u00a0", "\t", "  ", "emoji🙂", "e\u0301",
]
ENDINGS = [".", "?", "!", ".\"", "?”", ".)", "...", "…", "", "。"]

words = st.sampled_from(WORDS) | st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=8
)


@st.composite
def sentences(draw: st.DrawFn) -> str:
    body = " ".join(draw(st.lists(words, min_size=1, max_size=14)))
    return body + draw(st.sampled_from(ENDINGS))


@st.composite
def paragraphs(draw: st.DrawFn) -> str:
    """A stripped, non-empty paragraph; sometimes with a single newline inside."""
    separator = draw(st.sampled_from([" ", "  ", " \t", "\n", " \u00a0"]))
    text = separator.join(draw(st.lists(sentences(), min_size=1, max_size=6))).strip()
    return text or "word"


@st.composite
def texts(draw: st.DrawFn) -> str:
    """Raw text as a user may give it: paragraphs with odd spacing and blank lines."""
    separator = draw(st.sampled_from(["\n\n", "\n", "\n \n", "\n\n\n", "  \n\n"]))
    return separator.join(draw(st.lists(paragraphs(), min_size=0, max_size=6)))
