"""Hybrid retrieval: dense (FAISS or Milvus) and lexical (BM25) candidates, fused by the
learned fusion of `qa.fusion`, optionally preferring what was recent "as of" a date, into
ranked `Hit`s."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from index import Candidates, IndexReader
from qa.errors import QAConfigError
from qa.evidence import ChunkEvidence, QueryTerms
from qa.fusion import Fused, FusionParams, fuse, load_fusion
from qa.recency import Period, RecencyParams, load_recency, recency_prior
from qa.types import Hit

logger = logging.getLogger(__name__)

__all__ = ["Mode", "RetrievalConfig", "Retrieved", "retrieve", "retrieve_ranked"]

Mode = Literal["hybrid", "dense", "lexical"]


@dataclass(frozen=True, kw_only=True)
class RetrievalConfig:
    """How candidates are gathered and fused.

    Attributes:
        mode: "hybrid" (default), or one retriever alone ("dense", "lexical"), for comparisons.
        candidates: how many chunks each retriever contributes before fusion (the union is
            fused; a chunk only one retriever finds is scored exactly by the other, so it
            can still win).
        fusion: the fusion parameters; None loads the shipped ones (`qa/models`).
        recency: how strongly questions asked "as of" a date prefer recent articles; None
            loads the shipped parameters (`qa/models`).
    """

    mode: Mode = "hybrid"
    candidates: int = 100
    fusion: FusionParams | None = None
    recency: RecencyParams | None = None

    def __post_init__(self) -> None:
        if self.mode not in ("hybrid", "dense", "lexical"):
            raise QAConfigError(f"mode must be hybrid, dense or lexical, not {self.mode!r}")
        if self.candidates < 1:
            raise QAConfigError(f"candidates must be >= 1, not {self.candidates!r}")

    def fusion_params(self) -> FusionParams:
        return self.fusion or load_fusion()

    def recency_params(self) -> RecencyParams:
        return self.recency or load_recency()


@dataclass(frozen=True)
class Retrieved:
    """Ranked hits plus what the second stage learned about their sentences (by row)."""

    hits: list[Hit]
    evidence: dict[int, ChunkEvidence]
    terms: QueryTerms | None


def retrieve(
    reader: IndexReader,
    query: str,
    query_vector: NDArray[np.float32] | None,
    *,
    top_k: int,
    config: RetrievalConfig | None = None,
    rows: NDArray[np.int64] | None = None,
    period: Period | None = None,
) -> list[Hit]:
    """Rank chunks for `query`, best first, at most `top_k` of them (see `retrieve_ranked`)."""
    return retrieve_ranked(reader, query, query_vector, top_k=top_k, config=config, rows=rows,
                           period=period).hits


def retrieve_ranked(
    reader: IndexReader,
    query: str,
    query_vector: NDArray[np.float32] | None,
    *,
    top_k: int,
    config: RetrievalConfig | None = None,
    rows: NDArray[np.int64] | None = None,
    period: Period | None = None,
) -> Retrieved:
    """Rank chunks for `query`, best first, at most `top_k` of them.

    Overlapping chunks of one article are deduplicated: a chunk sharing a sentence with a
    better-ranked chunk of the same article is dropped, so the top-k never holds the same
    text twice.

    Args:
        reader: the open index snapshot.
        query: the retrieval query (already rewritten for follow-ups).
        query_vector: the query's embedding, shape (dim,); unused in lexical mode.
        top_k: how many hits to return.
        config: retrieval settings; defaults to hybrid with the shipped fusion.
        rows: restrict to these chunk rows (date or source filters); None for all.
        period: prefer articles published in or just before this period (`qa.recency`).
    """
    config = config or RetrievalConfig()
    if rows is not None and len(rows) == 0:
        return Retrieved([], {}, None)
    depth = max(config.candidates, top_k)
    vector = query_vector if config.mode != "lexical" else None
    cands = reader.candidates(query, vector, depth, rows=rows)
    prior = None
    if period is not None and len(cands):
        prior = recency_prior(reader.published_days(cands.rows), period, config.recency_params(),
                              undated=reader.UNDATED)
    if config.mode == "hybrid" and vector is not None:
        terms = QueryTerms.build(reader, query)
        fused = fuse(reader, query, vector, cands, config.fusion_params(), terms=terms,
                     prior=prior)
        return Retrieved(_dedupe(reader, fused, top_k), fused.evidence, terms)
    return Retrieved(_dedupe(reader, _single(cands, config.mode, prior), top_k), {}, None)


def _single(cands: Candidates, mode: str, prior: NDArray[np.float32] | None) -> Fused:
    """One retriever's own order (its top k only), for comparisons; the prior, when given,
    is added to its min-max normalised score."""
    if mode == "dense":
        keep, raw = cands.dense_rank != Candidates.NO_RANK, cands.dense
    else:
        keep, raw = (cands.lexical_rank != Candidates.NO_RANK) & (cands.lexical > 0), cands.lexical
    idx = np.flatnonzero(keep)
    scores = raw[idx].astype(np.float32)
    if prior is not None and len(idx):
        span = float(scores.max() - scores.min()) or 1.0
        scores = (scores - scores.min()) / span + prior[idx]
    order = idx[np.argsort(-scores, kind="stable")]
    ordered = scores[np.argsort(-scores, kind="stable")]
    return Fused(cands.rows[order], ordered, cands.dense[order], cands.lexical[order],
                 cands.dense_rank[order], cands.lexical_rank[order], {})


def _dedupe(reader: IndexReader, fused: Fused, top_k: int) -> list[Hit]:
    hits: list[Hit] = []
    seen: dict[str, set[tuple[int, int]]] = {}
    step = max(top_k * 2, 8)
    # Read chunks in small batches: most queries are settled by the first few.
    for offset in range(0, len(fused.rows), step):
        batch = range(offset, min(offset + step, len(fused.rows)))
        chunks = reader.chunks([int(fused.rows[i]) for i in batch])
        for i, chunk in zip(batch, chunks, strict=True):
            spans = set(chunk.sentences)
            taken = seen.setdefault(chunk.article_id, set())
            if spans & taken:
                continue
            taken |= spans
            hits.append(_hit(fused, i, chunk))
            if len(hits) >= top_k:
                return hits
    return hits


def _hit(fused: Fused, i: int, chunk) -> Hit:  # type: ignore[no-untyped-def]
    dense_rank, lexical_rank = int(fused.dense_rank[i]), int(fused.lexical_rank[i])
    dense = float(fused.dense[i])
    return Hit(
        chunk=chunk, score=float(fused.scores[i]), row=int(fused.rows[i]),
        dense_score=dense if np.isfinite(dense) else None,
        lexical_score=float(fused.lexical[i]),
        dense_rank=None if dense_rank == Candidates.NO_RANK else dense_rank,
        lexical_rank=None if lexical_rank == Candidates.NO_RANK else lexical_rank,
    )
