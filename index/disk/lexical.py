"""BM25 over chunks, updatable in place, and `tokenize`, the one tokenizer used at build
and query time.

The index stores raw term counts, not scores: per chunk (document) the ids of its terms
and how often each occurs (a doc-major sparse matrix). BM25 (the Lucene variant, k1 1.5,
b 0.75, as bm25s and Lucene compute it) is scored at query time from those counts, the
document lengths and the current document frequencies, so adding or removing chunks is a
cheap array edit (`updated`) rather than a rebuild: nothing stored depends on the
collection's statistics.

Files in the lexical folder (numpy `.npy` read with `allow_pickle=False`, and JSON):
`rows.npy` (the chunk row of each document, ascending), `doc_indptr.npy`,
`doc_terms.npy`, `doc_counts.npy` (the CSR matrix), `vocab.json` (term of each id) and
`params.json` (format and BM25 parameters). Term ids are never reused, so an id of a term
that no chunk holds any more just has no postings.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy.sparse
import Stemmer
from bm25s.stopwords import STOPWORDS_EN_PLUS
from numpy.typing import NDArray

__all__ = ["LEGACY_FILE", "LegacyLexicalFormat", "LexicalIndex", "tokenize"]

logger = logging.getLogger(__name__)

ROWS_FILE = "rows.npy"
LEGACY_FILE = "params.index.json"  # written by bm25s, which earlier versions used
_FILES = ("doc_indptr.npy", "doc_terms.npy", "doc_counts.npy")
_VOCAB_FILE = "vocab.json"
_PARAMS_FILE = "params.json"
_FORMAT = "newsqa-bm25-counts-1"
_K1 = 1.5
_B = 0.75

_STOPWORDS = frozenset(STOPWORDS_EN_PLUS)
_HYPHENS = "-\u2010\u2011"  # hyphen-minus, hyphen, non-breaking hyphen (not dashes)
_PART_RE = re.compile(r"[^\W_]+")
_COMPOUND_RE = re.compile(rf"[^\W_]+(?:[{_HYPHENS}][^\W_]+)+")
_HYPHEN_RE = re.compile(rf"[{_HYPHENS}]")
_local = threading.local()  # PyStemmer stemmers are not thread-safe


class LegacyLexicalFormat(ValueError):
    """The folder holds a bm25s index written by an earlier newsqa; rebuild it from the
    chunks' stored terms (`LexicalIndex.build`)."""


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

    Build with `LexicalIndex.build`, edit with `updated`, persist with `save`, reopen with
    `load`. Instances are immutable; searching is thread-safe.
    """

    def __init__(
        self,
        rows: NDArray[np.int64],
        matrix: scipy.sparse.csr_array,
        vocab: list[str],
        term_ids: dict[str, int] | None = None,
    ) -> None:
        """`term_ids`, the id of each term of `vocab`, is made from it when not given."""
        self._rows = rows
        self._matrix = matrix  # documents x terms, raw counts
        self._vocab = vocab
        self._term_ids = term_ids if term_ids is not None else {t: i for i, t in enumerate(vocab)}
        self._postings: scipy.sparse.csc_array | None = None
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        return len(self._rows)

    @classmethod
    def build(
        cls, token_lists: Sequence[list[str]], rows: NDArray[np.int64]
    ) -> LexicalIndex:
        """Index `token_lists[i]` as the document of chunk `rows[i]` (rows ascending)."""
        rows = _ascending(rows)
        if len(token_lists) != len(rows):
            raise ValueError(f"got {len(token_lists)} token lists for {len(rows)} rows")
        vocab: list[str] = []
        term_ids: dict[str, int] = {}
        matrix = _count_matrix(token_lists, vocab, term_ids)
        return cls(rows, matrix, vocab, term_ids)

    def updated(
        self,
        *,
        removed: NDArray[np.int64],
        added_rows: NDArray[np.int64],
        added_tokens: Sequence[list[str]],
    ) -> LexicalIndex:
        """A new index without the chunks `removed` and with `added_tokens[i]` as the
        document of chunk `added_rows[i]` (each added row above every kept row)."""
        added_rows = _ascending(added_rows)
        if len(added_tokens) != len(added_rows):
            raise ValueError(f"got {len(added_tokens)} token lists for {len(added_rows)} rows")
        keep = ~np.isin(self._rows, np.asarray(removed, dtype=np.int64))
        kept_rows = self._rows[keep]
        if len(added_rows) and len(kept_rows) and added_rows[0] <= kept_rows[-1]:
            raise ValueError(
                f"added row {int(added_rows[0])} is not above the last kept row "
                f"{int(kept_rows[-1])}"
            )
        vocab = list(self._vocab)
        term_ids = dict(self._term_ids)
        new = _count_matrix(added_tokens, vocab, term_ids)
        # Plain array edits: scipy's row indexing and vstack cost 5x more at 60k chunks.
        old = self._matrix
        lengths = np.diff(old.indptr)
        elements = np.repeat(keep, lengths) if not keep.all() else slice(None)
        indptr = np.concatenate([[0], np.cumsum(lengths[keep])]).astype(np.int64)
        matrix = scipy.sparse.csr_array(
            (
                np.concatenate([old.data[elements], new.data]),
                np.concatenate([old.indices[elements], new.indices]).astype(np.int32),
                np.concatenate([indptr, new.indptr[1:] + indptr[-1]]),
            ),
            shape=(len(kept_rows) + len(added_rows), len(vocab)),
        )
        return LexicalIndex(np.concatenate([kept_rows, added_rows]), matrix, vocab, term_ids)

    def save(self, folder: Path) -> list[Path]:
        """Write the index into `folder` (created); returns the files written."""
        folder.mkdir(parents=True, exist_ok=True)
        arrays = (self._matrix.indptr.astype(np.int64), self._matrix.indices.astype(np.int32),
                  self._matrix.data.astype(np.int32))
        paths = [folder / ROWS_FILE, *(folder / name for name in _FILES)]
        for path, array in zip(paths, (self._rows, *arrays), strict=True):
            np.save(path, array, allow_pickle=False)
        (folder / _VOCAB_FILE).write_text(json.dumps(self._vocab, ensure_ascii=False),
                                          encoding="utf-8")
        params = {"format": _FORMAT, "k1": _K1, "b": _B}
        (folder / _PARAMS_FILE).write_text(json.dumps(params), encoding="utf-8")
        return sorted(p for p in folder.iterdir() if p.is_file())

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        """Read an index written by `save` (without pickle).

        Raises:
            LegacyLexicalFormat: the folder holds an earlier newsqa's bm25s index.
            ValueError, OSError: a missing, corrupt or inconsistent file.
        """
        if not (folder / _PARAMS_FILE).is_file() and (folder / LEGACY_FILE).is_file():
            raise LegacyLexicalFormat(f"'{folder}' holds a bm25s index")
        params = json.loads((folder / _PARAMS_FILE).read_text(encoding="utf-8"))
        if not isinstance(params, dict) or params.get("format") != _FORMAT:
            raise ValueError(f"unknown lexical index format in '{folder / _PARAMS_FILE}'")
        rows = np.load(folder / ROWS_FILE, allow_pickle=False).astype(np.int64, copy=False)
        indptr, terms, counts = (np.load(folder / name, allow_pickle=False) for name in _FILES)
        vocab = json.loads((folder / _VOCAB_FILE).read_text(encoding="utf-8"))
        if not isinstance(vocab, list) or not all(isinstance(t, str) for t in vocab):
            raise ValueError(f"'{folder / _VOCAB_FILE}' is not a list of terms")
        _check(rows, indptr, terms, counts, len(vocab))
        matrix = scipy.sparse.csr_array((counts, terms, indptr), shape=(len(rows), len(vocab)))
        return cls(rows, matrix, vocab)

    def grouped(self, groups: NDArray[np.int64], count: int) -> LexicalIndex:
        """BM25 over groups of documents (e.g. a chunk's article): document `i` joins group
        `groups[i]` (0 <= group < `count`), a group's counts are the sum of its documents'
        (a sentence shared by two overlapping chunks counts twice). The result's rows are
        the group numbers."""
        groups = np.asarray(groups, dtype=np.int64)
        if len(groups) != self.size:
            raise ValueError(f"got {len(groups)} groups for {self.size} documents")
        member = scipy.sparse.csr_array(
            (np.ones(len(groups), dtype=np.int32), (groups, np.arange(len(groups)))),
            shape=(count, self.size),
        )
        matrix = scipy.sparse.csr_array(member @ self._matrix)
        return LexicalIndex(np.arange(count, dtype=np.int64), matrix, self._vocab, self._term_ids)

    def idf(self, terms: Sequence[str]) -> list[float]:
        """BM25 (Lucene) inverse document frequency of each term (already tokenised):
        log(1 + (N - df + 0.5) / (df + 0.5)); a term in no chunk gets the highest value."""
        if not self.size:
            return [0.0 for _ in terms]
        df = np.diff(self._search_arrays().indptr)
        freqs = [float(df[self._term_ids[t]]) if t in self._term_ids else 0.0 for t in terms]
        return [_idf(df, self.size) for df in freqs]

    def search(
        self, query: str, k: int, *, rows: NDArray[np.int64] | None = None
    ) -> list[tuple[int, float]]:
        """The top `k` chunks for `query` as (row, score), best first; chunks sharing no
        term with the query are left out. `rows` restricts the search to those rows."""
        return self.search_and_score(query, k, rows=rows)[0]

    def search_and_score(
        self,
        query: str,
        k: int,
        *,
        rows: NDArray[np.int64] | None = None,
        also: NDArray[np.int64] | None = None,
    ) -> tuple[list[tuple[int, float]], NDArray[np.float32]]:
        """`search`, plus the BM25 score of each row of `also` (0.0 for a row sharing no
        term with the query or not in the index), from the same scoring pass."""
        also_rows = np.empty(0, np.int64) if also is None else np.asarray(also, np.int64)
        ids = [self._term_ids[t] for t in tokenize(query) if t in self._term_ids]
        if not self.size or not ids:
            return [], np.zeros(len(also_rows), dtype=np.float32)
        scores = self._scores(ids)
        return self._top(scores, k, rows), self._at(scores, also_rows)

    def score_rows(self, query: str, rows: NDArray[np.int64]) -> NDArray[np.float32]:
        """BM25 of `query` for each of `rows` (0.0 for rows not in the index)."""
        return self.search_and_score(query, 0, also=rows)[1]

    def _at(self, scores: NDArray[np.float32], rows: NDArray[np.int64]) -> NDArray[np.float32]:
        positions = np.searchsorted(self._rows, rows)
        inside = positions < len(self._rows)
        found = np.zeros(len(rows), dtype=bool)
        found[inside] = self._rows[positions[inside]] == rows[inside]
        out = np.zeros(len(rows), dtype=np.float32)
        out[found] = scores[positions[found]]
        return out

    def _top(
        self, scores: NDArray[np.float32], k: int, rows: NDArray[np.int64] | None
    ) -> list[tuple[int, float]]:
        if k <= 0:
            return []
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

    def _scores(self, term_ids: list[int]) -> NDArray[np.float32]:
        """BM25 of every document for the query terms (a repeated term counts again)."""
        postings = self._search_arrays()
        n = self.size
        scores = np.zeros(n, dtype=np.float32)
        for term in term_ids:
            start, end = postings.indptr[term], postings.indptr[term + 1]
            if start < end:
                weight = np.float32(_idf(end - start, n))
                scores[postings.indices[start:end]] += weight * postings.data[start:end]
        return scores

    def _search_arrays(self) -> scipy.sparse.csc_array:
        """Term-major postings holding each posting's BM25 term-frequency part,
        tf / (tf + k1 * (1 - b + b * length / average length)), made on first use: the
        query then only multiplies by the terms' idf."""
        with self._lock:
            if self._postings is None:
                lengths = np.asarray(self._matrix.sum(axis=1), dtype=np.float32).ravel()
                average = float(lengths.mean()) if len(lengths) and lengths.mean() > 0 else 1.0
                norms = (_K1 * (1 - _B + _B * lengths / average)).astype(np.float32)
                postings = self._matrix.tocsc()
                tf = postings.data.astype(np.float32)
                postings.data = tf / (tf + norms[postings.indices])
                self._postings = postings
            return self._postings

    def _positions(self, rows: NDArray[np.int64] | None) -> NDArray[np.int64] | None:
        """BM25 document positions of `rows` (rows not in the index are dropped)."""
        if rows is None:
            return None
        wanted = np.unique(np.asarray(rows, dtype=np.int64))
        positions = np.searchsorted(self._rows, wanted)
        inside = positions < len(self._rows)
        positions = positions[inside]
        return positions[self._rows[positions] == wanted[inside]]


def _idf(df: float, n: int) -> float:
    return float(np.log1p((n - df + 0.5) / (df + 0.5)))


def _ascending(rows: NDArray[np.int64]) -> NDArray[np.int64]:
    rows = np.asarray(rows, dtype=np.int64)
    if len(rows) and np.any(np.diff(rows) <= 0):
        raise ValueError("rows must be strictly ascending")
    return rows


def _count_matrix(
    token_lists: Sequence[list[str]], vocab: list[str], term_ids: dict[str, int]
) -> scipy.sparse.csr_array:
    """Documents x terms counts of `token_lists`; new terms are appended to `vocab` (and
    `term_ids`, the id of each term of `vocab`)."""
    indptr = [0]
    terms: list[int] = []
    counts: list[int] = []
    for tokens in token_lists:
        for term, count in Counter(tokens).items():
            term_id = term_ids.get(term)
            if term_id is None:
                term_id = term_ids[term] = len(vocab)
                vocab.append(term)
            terms.append(term_id)
            counts.append(count)
        indptr.append(len(terms))
    return scipy.sparse.csr_array(
        (np.asarray(counts, dtype=np.int32), np.asarray(terms, dtype=np.int32),
         np.asarray(indptr, dtype=np.int64)),
        shape=(len(token_lists), len(vocab)),
    )


def _check(
    rows: NDArray[np.int64], indptr: NDArray, terms: NDArray, counts: NDArray, vocab_size: int
) -> None:
    """Refuse arrays that do not form a documents x terms matrix over `rows`."""
    if indptr.ndim != 1 or len(indptr) != len(rows) + 1 or (len(indptr) and indptr[0] != 0):
        raise ValueError(f"the lexical index has {len(indptr)} row pointers for {len(rows)} rows")
    if np.any(np.diff(indptr) < 0) or indptr[-1] != len(terms) or len(terms) != len(counts):
        raise ValueError("the lexical index's row pointers do not match its terms")
    if len(terms) and (terms.min() < 0 or terms.max() >= vocab_size):
        raise ValueError("the lexical index names a term outside its vocabulary")
    if len(rows) and np.any(np.diff(rows) <= 0):
        raise ValueError("the lexical index's rows are not ascending")
