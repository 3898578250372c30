"""Fusion of dense and lexical retrieval, with weights chosen on data (`train/fit_retrieval.py`).

Every candidate (the union of both retrievers' top k, each scored exactly by both: see
`index.Candidates`) is described by per-question z-scores of five signals: its chunk's
cosine with the question, its chunk's BM25, its article's BM25 (all the article's chunks as
one text), its best sentence's cosine and its best sentence's share of the question's
terms. The fused score is a weighted sum of those z-scores (a convex combination of
normalised scores, as in Bruch, Gai and Ingber, "An Analysis of Fusion Functions for Hybrid
Retrieval", ACM TOIS 2023), with the weights depending on two things the question and the
collection show:

- a chunk of a long article (at least `long_article_chunks` chunks) is weighed with
  `article_weights`: the whole article's words are strong evidence for long news stories;
- a chunk of a short article is weighed between `matched_weights` and `paraphrase_weights`
  by how much of the question the best sentence among the top candidates covers
  (a logistic gate): a question whose words appear in a passage can trust BM25, a question
  that paraphrases its passage trusts the dense vectors.

Sentence signals need each chunk's sentence vectors and terms, so they are computed for the
`rerank` best candidates of a first stage (the chunk- and article-level signals only); the
others keep their first-stage order below them. A chunk without a vector (not embedded yet)
gets the neutral z-score 0 for its dense signals: no evidence either way, never a fake
cosine of 0 that would rank it last.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from index import Candidates, IndexReader
from qa.evidence import ChunkEvidence, QueryTerms, gather_evidence
from qa.models import ModelFileError, load_model

__all__ = ["FEATURES", "Fused", "FusionParams", "fuse", "fusion_features", "load_fusion"]

FEATURES = ("dense", "lexical", "article_lexical", "sentence_dense", "sentence_lexical")
MODEL_KIND = "fusion"
MODEL_VERSION = 1
Weights = tuple[float, float, float, float, float]


@dataclass(frozen=True, kw_only=True)
class FusionParams:
    """The chosen fusion parameters (see the module docstring); weights align with
    `FEATURES`, `first_stage` with its first three."""

    matched_weights: Weights
    paraphrase_weights: Weights
    article_weights: Weights
    first_stage: tuple[float, float, float]
    coverage_gate: float
    gate_slope: float
    long_article_chunks: int
    rerank: int

    def __post_init__(self) -> None:
        for name in ("matched_weights", "paraphrase_weights", "article_weights"):
            weights = getattr(self, name)
            if len(weights) != len(FEATURES) or any(not math.isfinite(w) for w in weights):
                raise ValueError(f"{name} must be {len(FEATURES)} finite numbers, not {weights!r}")
        if len(self.first_stage) != 3 or self.rerank < 1 or self.long_article_chunks < 1:
            raise ValueError("first_stage needs 3 weights, rerank and long_article_chunks >= 1")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FusionParams:
        tuples = ("matched_weights", "paraphrase_weights", "article_weights", "first_stage")
        return cls(**{k: tuple(v) if k in tuples else v for k, v in data.items()})

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


@lru_cache(maxsize=4)
def load_fusion(path: Path | None = None) -> FusionParams:
    """The shipped fusion parameters (`qa/models/fusion-v1.json`), checked when loaded.

    Raises:
        ModelFileError: the file is missing, damaged or of another version.
    """
    params = load_model(MODEL_KIND, MODEL_VERSION, path)
    try:
        return FusionParams.from_dict(params)
    except (TypeError, ValueError) as e:
        raise ModelFileError(f"the fusion model's parameters are invalid ({e}); retrain it "
                             "with train/fit_retrieval.py") from e


@dataclass(frozen=True)
class Fused:
    """Candidates in fused order, best first: aligned arrays plus each one's evidence (for
    the reranked head only)."""

    rows: NDArray[np.int64]
    scores: NDArray[np.float32]
    dense: NDArray[np.float32]
    lexical: NDArray[np.float32]
    dense_rank: NDArray[np.int32]
    lexical_rank: NDArray[np.int32]
    evidence: dict[int, ChunkEvidence]


def zscore(values: NDArray[np.float32]) -> NDArray[np.float32]:
    """(x - mean) / std over the finite values; NaN (no value) and constant lists give 0."""
    out = np.zeros(len(values), dtype=np.float32)
    finite = np.isfinite(values)
    if finite.sum() > 1:
        x = values[finite].astype(np.float64)
        # x.mean() and x.std() step by step, the same sums in the same order (numpy's
        # pairwise sum): the same values, without their per-call overhead.
        deviation = x - x.sum() / len(x)
        std = math.sqrt(float(np.square(deviation).sum()) / len(x))
        if std > 1e-9:
            out[finite] = (deviation / std).astype(np.float32)
    return out


def fusion_features(
    reader: IndexReader, query: str, cands: Candidates
) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """(candidates x 3) z-scores of the chunk and article signals, and each candidate's
    article size in chunks."""
    article = reader.article_lexical(query, cands.rows)
    columns = [zscore(cands.dense), zscore(cands.lexical), zscore(article)]
    return np.stack(columns, axis=1), reader.article_sizes(cands.rows)


def fuse(
    reader: IndexReader,
    query: str,
    query_vector: NDArray[np.float32] | None,
    cands: Candidates,
    params: FusionParams,
    *,
    terms: QueryTerms | None = None,
    prior: NDArray[np.float32] | None = None,
) -> Fused:
    """Fuse `cands` for `query` (see the module docstring). `prior` is added to every
    candidate's score (e.g. a recency preference), aligned with `cands.rows`."""
    n = len(cands)
    if n == 0:
        empty_f, empty_i = np.empty(0, np.float32), np.empty(0, np.int32)
        return Fused(cands.rows, empty_f, empty_f, empty_f, empty_i, empty_i, {})
    terms = terms or QueryTerms.build(reader, query)
    base, sizes = fusion_features(reader, query, cands)
    extra = np.zeros(n, np.float32) if prior is None else prior.astype(np.float32)
    first = base @ np.asarray(params.first_stage, np.float32) + extra
    order = np.argsort(-first, kind="stable")
    head = order[: params.rerank]
    evidence = gather_evidence(reader, cands.rows[head], query_vector, terms)
    sims = np.array([evidence[int(r)].best_sim for r in cands.rows[head]], np.float32)
    cover = np.array([evidence[int(r)].best_coverage for r in cands.rows[head]], np.float32)
    features = np.concatenate(
        [base[head], zscore(sims)[:, None], zscore(cover)[:, None]], axis=1)
    gate = 1.0 / (1.0 + math.exp(-params.gate_slope * (float(cover.max()) - params.coverage_gate)))
    short = (gate * np.asarray(params.matched_weights, np.float32)
             + (1 - gate) * np.asarray(params.paraphrase_weights, np.float32))
    weights = np.where((sizes[head] >= params.long_article_chunks)[:, None],
                       np.asarray(params.article_weights, np.float32)[None, :], short[None, :])
    scores = np.empty(n, np.float32)
    scores[head] = (features * weights).sum(axis=1) + extra[head]
    rest = order[params.rerank:]
    if len(rest):  # below the reranked head, in first-stage order
        scores[rest] = scores[head].min() - 1.0 - (first[rest[0]] - first[rest])
    final = np.argsort(-scores, kind="stable")
    return Fused(cands.rows[final], scores[final], cands.dense[final], cands.lexical[final],
                 cands.dense_rank[final], cands.lexical_rank[final], evidence)
