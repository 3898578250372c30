"""`LexicalIndex`: BM25 over the documents of several segments, scored as one collection.

A generation's chunks live in several `LexicalSegment`s, some of them with tombstoned
documents. Scores use the statistics of the live documents of all of them together: their
number, their average length and each term's document frequency, so a query gets the same
scores whether the chunks are in one segment or in ten, with or without tombstones
(the tests compare against a fresh build and against bm25s). Per posting the score is the
Lucene BM25 term-frequency part, tf / (tf + k1 * (1 - b + b * length / average length)),
times the term's idf, log(1 + (N - df + 0.5) / (df + 0.5)), computed at query time from
the stored raw counts (float32, in the same order whatever the segmentation).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from index.disk.lexical import K1, B, LexicalSegment, tokenize

__all__ = ["LexicalIndex", "LexicalPart"]


@dataclass(frozen=True)
class LexicalPart:
    """One segment as a generation sees it: `live[i]` says whether document i counts
    (None: all do), and its documents are rows `segment.rows + offset`."""

    segment: LexicalSegment
    live: NDArray[np.bool_] | None = None
    offset: int = 0

    @property
    def rows(self) -> NDArray[np.int64]:
        return self.segment.rows + self.offset if self.offset else self.segment.rows


class LexicalIndex:
    """BM25 search over `LexicalPart`s whose rows ascend from part to part (immutable,
    thread-safe)."""

    def __init__(self, parts: Sequence[LexicalPart]) -> None:
        self._parts = list(parts)
        self._rows = [p.rows for p in self._parts]
        for before, after in zip(self._rows, self._rows[1:], strict=False):
            if len(before) and len(after) and after[0] <= before[-1]:
                raise ValueError("the rows of lexical segments must ascend from one to the next")
        live_lengths = [p.segment.lengths if p.live is None else p.segment.lengths[p.live]
                        for p in self._parts]
        self.size = sum(len(x) for x in live_lengths)
        total = sum(int(np.sum(x, dtype=np.int64)) for x in live_lengths)
        self._average = total / self.size if self.size and total else 1.0
        self._norm_cache: dict[int, NDArray[np.float32]] = {}  # by id of a part in _parts

    @classmethod
    def build(cls, token_lists: Sequence[list[str]], rows: NDArray[np.int64]) -> LexicalIndex:
        """One segment of `token_lists[i]` as the document of chunk `rows[i]`."""
        return cls([LexicalPart(LexicalSegment.build(token_lists, rows))])

    @property
    def parts(self) -> list[LexicalPart]:
        return list(self._parts)

    def idf(self, terms: Sequence[str]) -> list[float]:
        """BM25 (Lucene) inverse document frequency of each term (already tokenised):
        log(1 + (N - df + 0.5) / (df + 0.5)); a term in no chunk gets the highest value."""
        if not self.size:
            return [0.0 for _ in terms]
        df = self._frequencies(list(dict.fromkeys(terms)))
        return [_idf(df.get(t, 0), self.size) for t in terms]

    def search(
        self, query: str, k: int, *, rows: NDArray[np.int64] | None = None
    ) -> list[tuple[int, float]]:
        """The top `k` documents for `query` as (row, score), best first; documents sharing
        no term with the query are left out. `rows` restricts the search to those rows."""
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
        terms = tokenize(query)
        df = self._frequencies(list(dict.fromkeys(terms))) if self.size else {}
        terms = [t for t in terms if t in df]
        if not self.size or not terms:
            return [], np.zeros(len(also_rows), dtype=np.float32)
        weights = {t: np.float32(_idf(df[t], self.size)) for t in df}
        wanted = None if rows is None else np.unique(np.asarray(rows, dtype=np.int64))
        found_rows, found_scores = [], []
        also_scores = np.zeros(len(also_rows), dtype=np.float32)
        for part, part_rows in zip(self._parts, self._rows, strict=True):
            scores = self._scores(part, terms, weights)
            if scores is None:
                continue
            hit, at = _positions(part_rows, also_rows)
            also_scores[hit] = scores[at]
            if k > 0:
                positions = _positions(part_rows, wanted)[1] if wanted is not None else None
                chosen = scores if positions is None else scores[positions]
                keep = np.flatnonzero(chosen > 0)
                found_scores.append(chosen[keep])
                found_rows.append(part_rows[keep if positions is None else positions[keep]])
        if k <= 0 or not found_rows:
            return [], also_scores
        return _top(np.concatenate(found_rows), np.concatenate(found_scores), k), also_scores

    def score_rows(self, query: str, rows: NDArray[np.int64]) -> NDArray[np.float32]:
        """BM25 of `query` for each of `rows` (0.0 for rows not in the index)."""
        return self.search_and_score(query, 0, also=rows)[1]

    def _norms(self, part: LexicalPart) -> NDArray[np.float32]:
        """k1 * (1 - b + b * length / average length) of every document of `part`, made on
        first use (the same float32 operations a query did per posting before)."""
        key = id(part)
        norms = self._norm_cache.get(key)
        if norms is None:
            lengths = part.segment.lengths.astype(np.float32)
            norms = np.float32(K1) * (np.float32(1 - B) + np.float32(B) * (
                lengths / np.float32(self._average)))
            self._norm_cache[key] = norms
        return norms

    def _frequencies(self, terms: list[str]) -> dict[str, int]:
        """Live document frequency of each of `terms` found in some segment."""
        df: Counter[str] = Counter()
        for part in self._parts:
            ids = part.segment.term_ids()
            for term in terms:
                term_id = ids.get(term)
                if term_id is None:
                    continue
                docs, _ = part.segment.postings(term_id)
                # += creates the entry even for a term only tombstoned documents hold
                df[term] += len(docs) if part.live is None else int(part.live[docs].sum())
        return dict(df)

    def _scores(self, part: LexicalPart, terms: list[str],
                weights: dict[str, np.float32]) -> NDArray[np.float32] | None:
        """BM25 of every document of `part` (0 for tombstoned ones); None when it holds
        none of `terms` (a repeated term counts again)."""
        ids = part.segment.term_ids()
        present = [(ids[t], weights[t]) for t in terms if t in ids]
        if not present:
            return None
        norms = self._norms(part)
        scores = np.zeros(part.segment.size, dtype=np.float32)
        for term_id, weight in present:
            docs, counts = part.segment.postings(term_id)
            tf = counts.astype(np.float32)
            scores[docs] += weight * (tf / (tf + norms[docs]))
        if part.live is not None:
            scores[~part.live] = 0
        return scores


def _idf(df: float, n: int) -> float:
    return float(np.log1p((n - df + 0.5) / (df + 0.5)))


def _positions(
    rows: NDArray[np.int64], wanted: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(indices into `wanted`, positions in `rows`) of the wanted rows that `rows` holds."""
    positions = np.searchsorted(rows, wanted)
    inside = positions < len(rows)
    inside[inside] = rows[positions[inside]] == wanted[inside]
    return np.flatnonzero(inside), positions[inside]


def _top(rows: NDArray[np.int64], scores: NDArray[np.float32],
         k: int) -> list[tuple[int, float]]:
    """The `k` best (row, score), best first (`rows` ascending; ties in the order the
    selection leaves them, as for one segment)."""
    candidates = np.arange(len(rows))
    if candidates.size > k:
        candidates = np.argpartition(-scores, k - 1)[:k]
    ranked = candidates[np.argsort(-scores[candidates], kind="stable")]
    return [(int(rows[i]), float(scores[i])) for i in ranked]
