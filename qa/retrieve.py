"""Hybrid retrieval: dense (FAISS) and lexical (BM25) candidates fused into ranked `Hit`s."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from index import IndexReader
from qa.errors import QAConfigError
from qa.types import Hit

logger = logging.getLogger(__name__)

Mode = Literal["hybrid", "dense", "lexical"]
Fusion = Literal["rrf", "score"]


@dataclass(frozen=True, kw_only=True)
class RetrievalConfig:
    """How candidates are gathered and fused.

    Attributes:
        mode: "hybrid" (default), or one retriever alone ("dense", "lexical"), for comparisons.
        fusion: "rrf" (reciprocal rank fusion) or "score" (min-max normalised score sum).
        candidates: how many chunks each retriever contributes before fusion.
        rrf_k: the RRF constant; larger flattens the contribution of top ranks.
        dense_weight / lexical_weight: weights of the two lists in the fused score.
    """

    mode: Mode = "hybrid"
    fusion: Fusion = "rrf"
    candidates: int = 100
    rrf_k: int = 60
    dense_weight: float = 1.0
    lexical_weight: float = 1.0

    def __post_init__(self) -> None:
        if self.mode not in ("hybrid", "dense", "lexical"):
            raise QAConfigError(f"mode must be hybrid, dense or lexical, not {self.mode!r}")
        if self.fusion not in ("rrf", "score"):
            raise QAConfigError(f"fusion must be 'rrf' or 'score', not {self.fusion!r}")
        if self.candidates < 1:
            raise QAConfigError(f"candidates must be >= 1, not {self.candidates!r}")
        if self.rrf_k < 0 or self.dense_weight < 0 or self.lexical_weight < 0:
            raise QAConfigError("rrf_k and the fusion weights must not be negative")


def retrieve(
    reader: IndexReader,
    query: str,
    query_vector: NDArray[np.float32] | None,
    *,
    top_k: int,
    config: RetrievalConfig | None = None,
    rows: NDArray[np.int64] | None = None,
) -> list[Hit]:
    """Rank chunks for `query`, best first, at most `top_k` of them.

    Overlapping chunks of one article are deduplicated: a chunk sharing a sentence with a
    better-ranked chunk of the same article is dropped, so the top-k never holds the same
    text twice.

    Args:
        reader: the open index snapshot.
        query: the retrieval query (already rewritten for follow-ups).
        query_vector: the query's embedding, shape (dim,); unused in lexical mode.
        top_k: how many hits to return.
        config: retrieval settings; defaults to hybrid RRF.
        rows: restrict to these chunk rows (date or source filters); None for all.
    """
    config = config or RetrievalConfig()
    if rows is not None and len(rows) == 0:
        return []
    depth = max(config.candidates, top_k)
    dense: list[tuple[int, float]] = []
    lexical: list[tuple[int, float]] = []
    if config.mode in ("hybrid", "dense") and query_vector is not None:
        dense = reader.dense_search(query_vector, depth, rows=rows)
    if config.mode in ("hybrid", "lexical"):
        lexical = reader.lexical_search(query, depth, rows=rows)
    fused = fuse(dense, lexical, config)
    return _dedupe(reader, fused, top_k)


def fuse(
    dense: list[tuple[int, float]],
    lexical: list[tuple[int, float]],
    config: RetrievalConfig,
) -> list[tuple[int, float, dict[str, float | int | None]]]:
    """Fuse two ranked (row, score) lists into one, best first, with the parts kept."""
    parts: dict[int, dict[str, float | int | None]] = {}
    for name, results in (("dense", dense), ("lexical", lexical)):
        for rank, (row, score) in enumerate(results, start=1):
            entry = parts.setdefault(row, {"dense_score": None, "lexical_score": None,
                                           "dense_rank": None, "lexical_rank": None})
            entry[f"{name}_score"] = float(score)
            entry[f"{name}_rank"] = rank
    if config.fusion == "rrf":
        scores = {row: _rrf(p, config) for row, p in parts.items()}
    else:
        scores = _score_fusion(parts, dense, lexical, config)
    ordered = sorted(parts, key=lambda row: (-scores[row], row))
    return [(row, scores[row], parts[row]) for row in ordered]


def _rrf(part: dict[str, float | int | None], config: RetrievalConfig) -> float:
    total = 0.0
    if part["dense_rank"] is not None:
        total += config.dense_weight / (config.rrf_k + int(part["dense_rank"]))
    if part["lexical_rank"] is not None:
        total += config.lexical_weight / (config.rrf_k + int(part["lexical_rank"]))
    return total


def _score_fusion(
    parts: dict[int, dict[str, float | int | None]],
    dense: list[tuple[int, float]],
    lexical: list[tuple[int, float]],
    config: RetrievalConfig,
) -> dict[int, float]:
    def bounds(results: list[tuple[int, float]]) -> tuple[float, float]:
        values = [s for _, s in results] or [0.0]
        return min(values), max(values)

    (d_lo, d_hi), (l_lo, l_hi) = bounds(dense), bounds(lexical)
    scores = {}
    for row, p in parts.items():
        d = p["dense_score"]
        lx = p["lexical_score"]
        d_norm = (float(d) - d_lo) / (d_hi - d_lo) if d is not None and d_hi > d_lo else 0.0
        l_norm = (float(lx) - l_lo) / (l_hi - l_lo) if lx is not None and l_hi > l_lo else 0.0
        scores[row] = config.dense_weight * d_norm + config.lexical_weight * l_norm
    return scores


def _dedupe(
    reader: IndexReader,
    fused: list[tuple[int, float, dict[str, float | int | None]]],
    top_k: int,
) -> list[Hit]:
    hits: list[Hit] = []
    seen: dict[str, set[tuple[int, int]]] = {}
    # Read chunks in small batches: most queries are settled by the first few.
    for offset in range(0, len(fused), max(top_k * 2, 8)):
        batch = fused[offset: offset + max(top_k * 2, 8)]
        chunks = reader.chunks([row for row, _, _ in batch])
        for (row, score, part), chunk in zip(batch, chunks, strict=True):
            spans = set(chunk.sentences)
            taken = seen.setdefault(chunk.article_id, set())
            if spans & taken:
                continue
            taken |= spans
            hits.append(Hit(chunk=chunk, score=score, row=row, **part))  # type: ignore[arg-type]
            if len(hits) >= top_k:
                return hits
    return hits
