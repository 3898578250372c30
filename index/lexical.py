"""BM25 over chunks (bm25s), and `tokenize`, the one tokenizer used at build and query time.

The BM25 matrix is saved with bm25s's own `save` (numpy `.npy` files written and read with
`allow_pickle=False`, JSON vocabulary and parameters) plus `rows.npy`, which maps each
BM25 document position to the chunk row it stands for (rows ascending).
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN_PLUS
from numpy.typing import NDArray

__all__ = ["LexicalIndex", "tokenize"]

logger = logging.getLogger(__name__)

ROWS_FILE = "rows.npy"
_STOPWORDS = frozenset(STOPWORDS_EN_PLUS)
_HYPHENS = "-\u2010\u2011"  # hyphen-minus, hyphen, non-breaking hyphen (not dashes)
_PART_RE = re.compile(r"[^\W_]+")
_COMPOUND_RE = re.compile(rf"[^\W_]+(?:[{_HYPHENS}][^\W_]+)+")
_HYPHEN_RE = re.compile(rf"[{_HYPHENS}]")
_local = threading.local()  # PyStemmer stemmers are not thread-safe


def tokenize(text: str) -> list[str]:
    """BM25 terms of `text`: lower-cased alphanumeric runs (numbers kept), English
    stopwords out, Snowball English stems. A hyphenated word also yields its joined form,
    so "Horyu-ji" gives "horyu", "ji" and "horyuji".
    """
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    text = text.lower()
    words = [w for w in _PART_RE.findall(text) if w not in _STOPWORDS]
    # Only whitespace-separated pieces with a hyphen can hold a compound; matching the
    # compound pattern over the whole text instead backtracks on every word (10x slower).
    for piece in text.split():
        if "-" in piece or "\u2010" in piece or "\u2011" in piece:
            words.extend(_HYPHEN_RE.sub("", w) for w in _COMPOUND_RE.findall(piece))
    return _stemmer().stemWords(words) if words else []


def _stemmer() -> Stemmer.Stemmer:
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = Stemmer.Stemmer("english")
    return stemmer


class LexicalIndex:
    """BM25 scores of chunks, searchable by query text.

    Build with `LexicalIndex.build`, persist with `save`, reopen with `load`.
    """

    def __init__(self, bm25: bm25s.BM25 | None, rows: NDArray[np.int64]) -> None:
        self._bm25 = bm25
        self._rows = rows
        self._doc_freqs: NDArray[np.int64] | None = None

    @property
    def size(self) -> int:
        return len(self._rows)

    @classmethod
    def build(
        cls, token_lists: Sequence[list[str]], rows: NDArray[np.int64]
    ) -> LexicalIndex:
        """Index `token_lists[i]` as the document of chunk `rows[i]` (rows ascending)."""
        rows = np.asarray(rows, dtype=np.int64)
        if len(token_lists) != len(rows):
            raise ValueError(f"got {len(token_lists)} token lists for {len(rows)} rows")
        if len(rows) and np.any(np.diff(rows) <= 0):
            raise ValueError("rows must be strictly ascending")
        if not len(rows):
            return cls(None, rows)
        bm25 = bm25s.BM25()
        bm25.index(list(token_lists), show_progress=False)
        return cls(bm25, rows)

    def save(self, folder: Path) -> list[Path]:
        """Write the index into `folder` (created); returns the files written."""
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / ROWS_FILE, self._rows, allow_pickle=False)
        if self._bm25 is not None:
            self._bm25.save(str(folder), allow_pickle=False)
        return sorted(p for p in folder.iterdir() if p.is_file())

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        """Read an index written by `save` (into memory, without pickle)."""
        rows = np.load(folder / ROWS_FILE, allow_pickle=False).astype(np.int64, copy=False)
        if not len(rows):
            return cls(None, rows)
        bm25 = bm25s.BM25.load(str(folder), load_corpus=False, mmap=False, allow_pickle=False)
        if int(bm25.scores["num_docs"]) != len(rows):
            raise ValueError(
                f"BM25 index has {bm25.scores['num_docs']} documents but {len(rows)} rows"
            )
        return cls(bm25, rows)

    def idf(self, terms: Sequence[str]) -> list[float]:
        """BM25 (Lucene) inverse document frequency of each term (already tokenised):
        log(1 + (N - df + 0.5) / (df + 0.5)); a term in no chunk gets the highest value."""
        n = float(len(self._rows))
        if self._bm25 is None:
            return [0.0 for _ in terms]
        if self._doc_freqs is None:  # per term, the chunks it occurs in (CSC column sizes)
            self._doc_freqs = np.diff(self._bm25.scores["indptr"])
        vocab = self._bm25.vocab_dict
        freqs = [float(self._doc_freqs[vocab[t]]) if t in vocab else 0.0 for t in terms]
        return [float(np.log1p((n - df + 0.5) / (df + 0.5))) for df in freqs]

    def search(
        self, query: str, k: int, *, rows: NDArray[np.int64] | None = None
    ) -> list[tuple[int, float]]:
        """The top `k` chunks for `query` as (row, score), best first; chunks sharing no
        term with the query are left out. `rows` restricts the search to those rows."""
        tokens = tokenize(query)
        if self._bm25 is None or k <= 0 or not tokens:
            return []
        ids = self._bm25.get_tokens_ids(tokens)
        if not ids:
            return []
        scores = self._bm25.get_scores_from_ids(ids)
        positions = self._positions(rows)
        if positions is not None:
            scores = scores[positions]
        candidates = np.flatnonzero(scores > 0)
        if candidates.size > k:
            top = np.argpartition(-scores[candidates], k - 1)[:k]
            candidates = candidates[top]
        ranked = candidates[np.argsort(-scores[candidates], kind="stable")]
        chosen = ranked if positions is None else positions[ranked]
        return [(int(self._rows[p]), float(scores[i])) for i, p in zip(ranked, chosen, strict=True)]

    def _positions(self, rows: NDArray[np.int64] | None) -> NDArray[np.int64] | None:
        """BM25 document positions of `rows` (rows not in the index are dropped)."""
        if rows is None:
            return None
        wanted = np.unique(np.asarray(rows, dtype=np.int64))
        positions = np.searchsorted(self._rows, wanted)
        inside = positions < len(self._rows)
        positions = positions[inside]
        return positions[self._rows[positions] == wanted[inside]]
