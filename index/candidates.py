"""`Candidates`: what dense and lexical search found for a question, each chunk scored by
both retrievers, so fusion never has to guess a missing score."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from index.disk.lexical import LexicalIndex
from index.vectors.base import VectorStore

__all__ = ["Candidates", "gather_candidates"]


@dataclass(frozen=True)
class Candidates:
    """Chunks found by dense or lexical search, aligned arrays: `rows`, their `dense`
    cosine (NaN where the chunk has no vector) and `lexical` BM25 score (0 where it shares
    no term with the query), and their 1-based rank in each list (`NO_RANK` when the chunk
    was not in that list's top k)."""

    rows: NDArray[np.int64]
    dense: NDArray[np.float32]
    lexical: NDArray[np.float32]
    dense_rank: NDArray[np.int32]
    lexical_rank: NDArray[np.int32]

    NO_RANK: ClassVar[int] = int(np.iinfo(np.int32).max)

    def __len__(self) -> int:
        return len(self.rows)


def gather_candidates(
    vectors: VectorStore,
    lexical: LexicalIndex,
    query: str,
    vector: NDArray[np.float32] | None,
    k: int,
    *,
    rows: NDArray[np.int64] | None = None,
) -> Candidates:
    """The union of the `k` best chunks of dense and of lexical search, each with both
    scores: a chunk found by one retriever only is scored exactly by the other (its
    cosine from the stored vector, its BM25 from the stored counts). `vector` None means
    lexical search only (dense scores NaN)."""
    dense = vectors.search(vector, k, rows=rows) if vector is not None else []
    dense_rows = np.array([r for r, _ in dense], dtype=np.int64)
    found, lexical_of_dense = lexical.search_and_score(query, k, rows=rows, also=dense_rows)
    lexical_rows = np.array([r for r, _ in found], dtype=np.int64)
    only_lexical = lexical_rows[~np.isin(lexical_rows, dense_rows)]
    if vector is not None:
        dense_of_lexical = vectors.score(vector, only_lexical)
    else:
        dense_of_lexical = np.full(len(only_lexical), np.nan, dtype=np.float32)
    all_rows = np.concatenate([dense_rows, only_lexical])
    dense_scores = np.concatenate(
        [np.array([s for _, s in dense], dtype=np.float32), dense_of_lexical])
    by_row = dict(found)
    lexical_scores = np.concatenate([
        lexical_of_dense, np.array([by_row[int(r)] for r in only_lexical], dtype=np.float32)])
    dense_rank = np.full(len(all_rows), Candidates.NO_RANK, dtype=np.int32)
    dense_rank[: len(dense_rows)] = np.arange(1, len(dense_rows) + 1)
    lexical_rank = np.full(len(all_rows), Candidates.NO_RANK, dtype=np.int32)
    position = {int(r): i for i, r in enumerate(all_rows)}
    for rank, (row, _) in enumerate(found, start=1):
        lexical_rank[position[row]] = rank
    return Candidates(all_rows, dense_scores, lexical_scores, dense_rank, lexical_rank)
