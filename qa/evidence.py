"""What the question's words and vector say about each sentence of a set of chunks.

Shared by the second stage of retrieval (`qa.fusion`) and the sentence selector
(`qa.selector`), so a question reads each chunk's sentence vectors and terms once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from index import IndexReader, tokenize

__all__ = ["ChunkEvidence", "QueryTerms", "gather_evidence"]

# "Where will Lee go after visiting the temple?": the clause after "after" sets the scene; the
# answer is about the main clause, so terms of the subordinate clause count for less.
_SUBORDINATE = re.compile(r"\b(after|before|while|since|until|during|once)\b([^,?]*)", re.I)
SUBORDINATE_WEIGHT = 0.35


PRIOR_DOCUMENTS = 1000


def _prior_idf(idf: float, size: int) -> float:
    """BM25's idf recomputed with PRIOR_DOCUMENTS more documents that lack the term:
    df from idf = log(1 + (N - df + 0.5) / (df + 0.5)), then the same formula at N + prior."""
    if size <= 0:
        return idf
    df = (size + 0.5 - 0.5 * math.expm1(idf)) / (1 + math.expm1(idf))
    df = min(max(df, 0.0), float(size))
    return math.log1p((size + PRIOR_DOCUMENTS - df + 0.5) / (df + 0.5))


@dataclass(frozen=True)
class QueryTerms:
    """The question's distinct BM25 terms and their weights (idf, lowered for a subordinate
    time clause); `coverage` is the weighted share of them that a set of terms holds."""

    tokens: tuple[str, ...]
    weights: dict[str, float]
    total: float
    clause: frozenset[str] = frozenset()  # terms only in a subordinate time clause
    smoothed: dict[str, float] | None = None  # see `build`

    def smoothed_coverage(self, terms: frozenset[str] | set[str]) -> float:
        """`coverage` with the smoothed weights (see `build`)."""
        weights = self.smoothed or self.weights
        total = sum(weights.values())
        # A list, not a generator: the same sum in the same order, a third faster.
        return sum([w for t, w in weights.items() if t in terms]) / total if total > 0 else 0.0

    @classmethod
    def build(cls, reader: IndexReader, query: str) -> QueryTerms:
        tokens = tuple(tokenize(query))
        distinct = list(dict.fromkeys(tokens))
        weights = dict(zip(distinct, reader.token_idf(distinct), strict=True))
        # The idf of a small index says little (in one article every name is common):
        # smoothed as if the index also held PRIOR_DOCUMENTS documents without the term.
        size = getattr(reader, "size", 0)
        smoothed = {t: _prior_idf(w, size) for t, w in weights.items()}
        match = _SUBORDINATE.search(query)
        clause: set[str] = set()
        if match:
            main = set(tokenize(query[: match.start()] + " " + query[match.end():]))
            clause = set(tokenize(match.group(0))) - main
            for token in clause:
                if token in weights:
                    weights[token] *= SUBORDINATE_WEIGHT
                    smoothed[token] *= SUBORDINATE_WEIGHT
        return cls(tokens, weights, sum(weights.values()), frozenset(clause), smoothed)

    def coverage(self, terms: frozenset[str] | set[str]) -> float:
        """Weighted share of the question's terms found in `terms`, in [0, 1]."""
        if self.total <= 0:
            return 0.0
        return sum([w for t, w in self.weights.items() if t in terms]) / self.total


@dataclass(frozen=True)
class ChunkEvidence:
    """One chunk's sentences against the question: `sims[j]` the cosine of sentence j's
    vector with the question's (NaN without vectors), `terms[j]` its BM25 terms,
    `coverage[j]` their share of the question's terms; `vectors` (sentences, dim) or None."""

    row: int
    sims: NDArray[np.float32]
    terms: tuple[frozenset[str], ...]
    coverage: NDArray[np.float32]
    vectors: NDArray[np.float32] | None

    @property
    def best_sim(self) -> float:
        finite = self.sims[np.isfinite(self.sims)]
        return float(finite.max()) if len(finite) else float("nan")

    @property
    def best_coverage(self) -> float:
        return float(self.coverage.max()) if len(self.coverage) else 0.0


def gather_evidence(
    reader: IndexReader,
    rows: Sequence[int],
    query_vector: NDArray[np.float32] | None,
    terms: QueryTerms,
) -> dict[int, ChunkEvidence]:
    """`ChunkEvidence` for each of `rows` (sentence vectors and terms read once, cached by
    the reader)."""
    wanted = [int(r) for r in rows]
    vectors = reader.sentence_vectors(wanted) if query_vector is not None else {}
    sentence_terms = reader.sentence_terms(wanted)
    query = None if query_vector is None else query_vector.astype(np.float32)
    out = {}
    for row in wanted:
        row_terms = sentence_terms[row]
        matrix = vectors.get(row)
        if matrix is not None and query is not None and len(matrix) == len(row_terms):
            sims = (matrix @ query).astype(np.float32)
        else:
            sims, matrix = np.full(len(row_terms), np.nan, dtype=np.float32), None
        coverage = np.array([terms.coverage(t) for t in row_terms], dtype=np.float32)
        out[row] = ChunkEvidence(row, sims, row_terms, coverage, matrix)
    return out
