"""The BM25 postings of one segment, and `tokenize`, the one tokenizer used at build and
query time.

A `LexicalSegment` stores raw term counts, not scores: per term the documents (chunks)
holding it and how often (term-major postings), and every document's length. BM25 (the
Lucene variant, k1 1.5, b 0.75, as bm25s and Lucene compute it) is scored at query time
(`index.disk.bm25`) from those counts and the statistics of all of a generation's
segments together (documents, average length, document frequencies, tombstones left
out), so nothing stored in a segment depends on the others: a sync adds a segment and
records tombstones instead of editing anything.

Files in a segment's lexical folder (numpy `.npy` read with `allow_pickle=False`, the
large ones memory-mapped, and JSON): `rows.npy` (the chunk row of each document,
ascending), `lengths.npy`, `term_indptr.npy`, `term_docs.npy` (document positions),
`term_counts.npy` (the CSC matrix), `vocab.json` (term of each id) and `params.json`
(format and BM25 parameters). A format-1 generation's lexical folder (doc-major
`doc_indptr.npy`, `doc_terms.npy`, `doc_counts.npy`) is read too.
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

__all__ = ["K1", "LEGACY_FILE", "B", "LegacyLexicalFormat", "LexicalSegment", "tokenize"]

logger = logging.getLogger(__name__)

ROWS_FILE = "rows.npy"
LEGACY_FILE = "params.index.json"  # written by bm25s, which earlier versions used
_FILES = ("lengths.npy", "term_indptr.npy", "term_docs.npy", "term_counts.npy")
_DOC_FILES = ("doc_indptr.npy", "doc_terms.npy", "doc_counts.npy")  # format 1
_VOCAB_FILE = "vocab.json"
_PARAMS_FILE = "params.json"
_FORMAT = "newsqa-bm25-postings-1"
_DOC_FORMAT = "newsqa-bm25-counts-1"
K1 = 1.5
B = 0.75

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
    stems = _STEMS if len(_STEMS) < _STEMS_MAX else _reset_stems()
    out = []
    for word in _PART_RE.findall(text):
        stem = stems.get(word)
        if stem is None:  # "" marks a stopword
            stem = stems[word] = "" if word in _STOPWORDS else _stemmer().stemWord(word)
        if stem:
            out.append(stem)
    # Only whitespace-separated pieces with a hyphen can hold a compound; matching the
    # compound pattern over the whole text instead backtracks on every word (10x slower).
    if "-" in text or "\u2010" in text or "\u2011" in text:
        compounds = [_HYPHEN_RE.sub("", w) for piece in text.split()
                     if "-" in piece or "\u2010" in piece or "\u2011" in piece
                     for w in _COMPOUND_RE.findall(piece)]
        if compounds:
            out.extend(_stemmer().stemWords(compounds))
    return out


# Each lower-cased word's stem ("" for a stopword): a word's stem never changes, and the
# dictionary lookup is what makes tokenizing cheap (sentences repeat their words). Reset
# when full rather than evicted one by one; replaced whole, so threads need no lock.
_STEMS_MAX = 200_000
_STEMS: dict[str, str] = {}


def _reset_stems() -> dict[str, str]:
    global _STEMS
    _STEMS = {}
    return _STEMS


def _stemmer() -> Stemmer.Stemmer:
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = Stemmer.Stemmer("english")
    return stemmer


class LexicalSegment:
    """The BM25 postings of one segment's chunks (immutable, thread-safe).

    Build with `build` (or `merged`, `grouped`), persist with `save`, reopen with `load`.
    Documents are addressed by position (0..size-1); `rows[i]` is document i's chunk row.
    """

    def __init__(
        self,
        rows: NDArray[np.int64],
        lengths: NDArray[np.int64],
        postings: scipy.sparse.csc_array,
        vocab: list[str],
    ) -> None:
        self.rows = rows
        self.lengths = lengths  # document lengths (sum of its counts)
        self._postings = postings  # documents x terms, raw counts, term-major
        self._vocab = vocab
        self._term_ids: dict[str, int] | None = None
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        return len(self.rows)

    @property
    def vocab(self) -> list[str]:
        return self._vocab

    def term_ids(self) -> dict[str, int]:
        """Term -> id (made on first use)."""
        with self._lock:
            if self._term_ids is None:
                self._term_ids = {t: i for i, t in enumerate(self._vocab)}
            return self._term_ids

    def postings(self, term_id: int) -> tuple[NDArray[np.int32], NDArray[np.int32]]:
        """(document positions, counts) of the documents holding term `term_id`."""
        indptr = self._postings.indptr
        start, end = int(indptr[term_id]), int(indptr[term_id + 1])
        return self._postings.indices[start:end], self._postings.data[start:end]

    @classmethod
    def build(cls, token_lists: Sequence[list[str]], rows: NDArray[np.int64]) -> LexicalSegment:
        """Index `token_lists[i]` as the document of chunk `rows[i]` (rows ascending)."""
        rows = _ascending(rows)
        if len(token_lists) != len(rows):
            raise ValueError(f"got {len(token_lists)} token lists for {len(rows)} rows")
        vocab: list[str] = []
        matrix = _count_matrix(token_lists, vocab, {})
        return cls._of(rows, matrix, vocab)

    @classmethod
    def _of(cls, rows: NDArray[np.int64], matrix: scipy.sparse.csr_array,
            vocab: list[str]) -> LexicalSegment:
        lengths = np.asarray(matrix.sum(axis=1), dtype=np.int64).ravel()
        postings = scipy.sparse.csc_array(matrix)
        postings.sort_indices()
        return cls(rows, lengths, postings, vocab)

    def documents(self) -> scipy.sparse.csr_array:
        """Documents x terms counts, doc-major (a copy)."""
        return scipy.sparse.csr_array(self._postings)

    def grouped(self, groups: NDArray[np.int64], count: int) -> LexicalSegment:
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
        matrix = scipy.sparse.csr_array(member @ self.documents())
        return LexicalSegment._of(np.arange(count, dtype=np.int64), matrix, self._vocab)

    @classmethod
    def merged(cls, parts: Sequence[tuple[LexicalSegment, NDArray[np.bool_]]]) -> LexicalSegment:
        """One segment of the documents each `(segment, keep)` keeps, in order (the rows of
        the parts must ascend from part to part)."""
        ids: dict[str, int] = {}
        data, indices, indptr, rows = [], [], [np.zeros(1, dtype=np.int64)], []
        total = 0
        for segment, keep in parts:
            mapping = np.array([ids.setdefault(t, len(ids)) for t in segment.vocab],
                               dtype=np.int32)
            docs = segment.documents()[np.flatnonzero(keep)]
            data.append(docs.data.astype(np.int32))
            indices.append(mapping[docs.indices])
            indptr.append(docs.indptr[1:].astype(np.int64) + total)
            total += int(docs.indptr[-1])
            rows.append(segment.rows[keep])
        all_rows = _ascending(np.concatenate(rows) if rows else np.empty(0, np.int64))
        matrix = scipy.sparse.csr_array(
            (np.concatenate(data) if data else np.empty(0, np.int32),
             np.concatenate(indices) if indices else np.empty(0, np.int32),
             np.concatenate(indptr)),
            shape=(len(all_rows), len(ids)),
        )
        used = np.flatnonzero(np.bincount(matrix.indices, minlength=len(ids)))
        if len(used) < len(ids):  # terms only tombstoned chunks held
            renumber = np.full(len(ids), -1, dtype=np.int32)
            renumber[used] = np.arange(len(used), dtype=np.int32)
            matrix = scipy.sparse.csr_array(
                (matrix.data, renumber[matrix.indices], matrix.indptr),
                shape=(len(all_rows), len(used)))
        words = list(ids)
        vocab = [words[i] for i in used]
        return cls._of(all_rows, matrix, vocab)

    def save(self, folder: Path) -> list[Path]:
        """Write the segment into `folder` (created); returns the files written."""
        folder.mkdir(parents=True, exist_ok=True)
        postings = self._postings
        arrays = (self.rows, self.lengths.astype(np.int64), postings.indptr.astype(np.int64),
                  postings.indices.astype(np.int32), postings.data.astype(np.int32))
        paths = [folder / ROWS_FILE, *(folder / name for name in _FILES)]
        for path, array in zip(paths, arrays, strict=True):
            np.save(path, array, allow_pickle=False)
        (folder / _VOCAB_FILE).write_text(json.dumps(self._vocab, ensure_ascii=False),
                                          encoding="utf-8")
        params = {"format": _FORMAT, "k1": K1, "b": B}
        (folder / _PARAMS_FILE).write_text(json.dumps(params), encoding="utf-8")
        return sorted(p for p in folder.iterdir() if p.is_file())

    @classmethod
    def load(cls, folder: Path) -> LexicalSegment:
        """Read a segment written by `save` (without pickle; large arrays memory-mapped),
        or a format-1 generation's doc-major lexical folder.

        Raises:
            LegacyLexicalFormat: the folder holds an earlier newsqa's bm25s index.
            ValueError, OSError: a missing, corrupt or inconsistent file.
        """
        if not (folder / _PARAMS_FILE).is_file() and (folder / LEGACY_FILE).is_file():
            raise LegacyLexicalFormat(f"'{folder}' holds a bm25s index")
        params = json.loads((folder / _PARAMS_FILE).read_text(encoding="utf-8"))
        kind = params.get("format") if isinstance(params, dict) else None
        if kind not in (_FORMAT, _DOC_FORMAT):
            raise ValueError(f"unknown lexical index format in '{folder / _PARAMS_FILE}'")
        rows = np.load(folder / ROWS_FILE, allow_pickle=False).astype(np.int64, copy=False)
        vocab = json.loads((folder / _VOCAB_FILE).read_text(encoding="utf-8"))
        if not isinstance(vocab, list) or not all(isinstance(t, str) for t in vocab):
            raise ValueError(f"'{folder / _VOCAB_FILE}' is not a list of terms")
        if kind == _DOC_FORMAT:
            indptr, terms, counts = (np.load(folder / n, allow_pickle=False) for n in _DOC_FILES)
            _check(rows, indptr, terms, counts, len(vocab))
            matrix = scipy.sparse.csr_array((counts, terms, indptr), shape=(len(rows), len(vocab)))
            return cls._of(rows, matrix, vocab)
        lengths, indptr, docs, counts = (
            np.load(folder / name, mmap_mode="r", allow_pickle=False) for name in _FILES)
        _check(np.arange(len(vocab)), indptr, docs, counts, len(rows))
        if lengths.shape != rows.shape or (len(rows) and np.any(np.diff(rows) <= 0)):
            raise ValueError("the lexical index's rows or lengths are inconsistent")
        postings = scipy.sparse.csc_array((counts, docs, indptr), shape=(len(rows), len(vocab)))
        return cls(rows, np.asarray(lengths, dtype=np.int64), postings, vocab)


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
    """Refuse arrays that do not form a compressed sparse matrix with one pointer range
    per entry of `rows` and indices below `vocab_size`."""
    if indptr.ndim != 1 or len(indptr) != len(rows) + 1 or (len(indptr) and indptr[0] != 0):
        raise ValueError(f"the lexical index has {len(indptr)} pointers for {len(rows)} entries")
    if np.any(np.diff(indptr) < 0) or indptr[-1] != len(terms) or len(terms) != len(counts):
        raise ValueError("the lexical index's pointers do not match its postings")
    if len(terms) and (terms.min() < 0 or terms.max() >= vocab_size):
        raise ValueError("the lexical index names a term or document out of range")
    if len(rows) and np.any(np.diff(rows) <= 0):
        raise ValueError("the lexical index's rows are not ascending")
