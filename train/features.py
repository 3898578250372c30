"""Retrieval features of every dev question, computed by the product's own code (so what is
fitted is what runs), cached as .npz so a parameter search reruns in seconds.

For each question: the candidates (`IndexReader.candidates`), their chunk/article z-scores
(`qa.fusion.fusion_features`), article sizes, the first-stage order, and for the `rerank`
head the best sentence's cosine and term coverage (`qa.evidence`); the article of each
candidate and its relevance; the dense-only and lexical-only document rankings' nDCG@10.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from tqdm import tqdm

from index import IndexReader
from qa.evidence import QueryTerms, gather_evidence
from qa.fusion import fusion_features, zscore
from qa.retrieve import RetrievalConfig
from train.data import Question

logger = logging.getLogger(__name__)

__all__ = ["HeadFeatures", "extract", "ndcg_of_rankings"]


@dataclass
class HeadFeatures:
    """Per question q and head position j (the `rerank` first-stage best candidates):
    `x[q, j]` the 5 fusion features, `sizes[q, j]` its article's size in chunks, `doc[q, j]`
    its article's number, `rel[q, j]` that article's relevance to q."""

    x: NDArray[np.float32]          # (Q, M, 5)
    sizes: NDArray[np.int32]        # (Q, M) article size in chunks
    doc: NDArray[np.int32]          # (Q, M) article number (-1 for padding)
    rel: NDArray[np.float32]        # (Q, M) relevance of the article
    cover_max: NDArray[np.float32]  # (Q,)
    idcg: NDArray[np.float32]       # (Q,)
    dense_ndcg: NDArray[np.float32]  # (Q,)
    lexical_ndcg: NDArray[np.float32]
    split: NDArray[np.str_]          # (Q,)
    days: NDArray[np.float32]        # (Q, M) question date - published, NaN if unknown

    def save(self, path: Path) -> None:
        np.savez_compressed(path, **self.__dict__)

    @classmethod
    def load(cls, path: Path) -> HeadFeatures:
        with np.load(path, allow_pickle=False) as data:
            return cls(**{k: data[k] for k in data.files})


def extract(reader: IndexReader, embedder, questions: list[Question], *, first_stage,
            rerank: int, depth: int | None = None) -> HeadFeatures:
    """Features of `questions` against `reader` (see the module docstring)."""
    depth = depth or RetrievalConfig().candidates
    started = time.perf_counter()
    vectors = embedder.encode([q.text for q in questions], batch_size=64)
    logger.info("embedded %d questions in %.1f s", len(questions), time.perf_counter() - started)
    ids = [a.id for a in reader.articles()]
    number = {a: i for i, a in enumerate(ids)}
    published = {a.id: a.published for a in reader.articles()}
    Q, M = len(questions), rerank
    x = np.zeros((Q, M, 5), np.float32)
    sizes = np.zeros((Q, M), np.int32)
    doc = np.full((Q, M), -1, np.int32)
    rel = np.zeros((Q, M), np.float32)
    days = np.full((Q, M), np.nan, np.float32)
    cover_max = np.zeros(Q, np.float32)
    idcg = np.zeros(Q, np.float32)
    dn, ln = np.zeros(Q, np.float32), np.zeros(Q, np.float32)
    w = np.asarray(first_stage, np.float32)
    for qi, (q, v) in enumerate(tqdm(list(zip(questions, vectors, strict=True)),
                                     desc="questions", disable=None, leave=False)):
        cands = reader.candidates(q.text, v, depth)
        if not len(cands):
            continue
        base, size = fusion_features(reader, q.text, cands)
        order = np.argsort(-(base @ w), kind="stable")
        head = order[:M]
        terms = QueryTerms.build(reader, q.text)
        ev = gather_evidence(reader, cands.rows[head], v, terms)
        sims = np.array([ev[int(r)].best_sim for r in cands.rows[head]], np.float32)
        cover = np.array([ev[int(r)].best_coverage for r in cands.rows[head]], np.float32)
        k = len(head)
        x[qi, :k, :3] = base[head]
        x[qi, :k, 3] = zscore(sims)
        x[qi, :k, 4] = zscore(cover)
        sizes[qi, :k] = size[head]
        chunks = reader.chunks(cands.rows.tolist())
        arts = np.array([number[c.article_id] for c in chunks], np.int32)
        doc[qi, :k] = arts[head]
        relevance = np.array([q.relevance.get(credited(reader, ids[a], q.relevance), 0)
                              for a in arts], np.float32)
        rel[qi, :k] = relevance[head]
        if q.asked is not None:
            days[qi, :k] = [(q.asked - published[ids[a]]).days if published[ids[a]] else np.nan
                            for a in arts[head]]
        cover_max[qi] = cover.max() if k else 0.0
        ideal = sorted((r for r in q.relevance.values() if r > 0), reverse=True)[:10]
        idcg[qi] = sum(r / math.log2(i + 2) for i, r in enumerate(ideal))
        dn[qi] = _ndcg(arts, relevance, cands.dense, idcg[qi])
        ln[qi] = _ndcg(arts, relevance, cands.lexical, idcg[qi])
    return HeadFeatures(x, sizes, doc, rel, cover_max, idcg, dn, ln,
                        np.array([q.split for q in questions]), days)


def credited(reader: IndexReader, article_id: str, relevance: dict[str, int]) -> str:
    """The id `article_id` is judged as: its own, or a gold one among its syndicated copies
    (the index folds a story's copies into one, which need not be the one the labels name;
    `newsqa eval` credits copies the same way)."""
    if article_id in relevance or not relevance:
        return article_id
    return next((r.id for r in reader.copies_of(article_id) if r.id in relevance), article_id)


def _ndcg(arts: NDArray, relevance: NDArray, scores: NDArray, idcg: float) -> float:
    if idcg <= 0:
        return 0.0
    s = np.where(np.isfinite(scores), scores, -np.inf)
    order = np.argsort(-s, kind="stable")
    seen: set[int] = set()
    dcg, rank = 0.0, 0
    for i in order:
        if arts[i] in seen:
            continue
        seen.add(int(arts[i]))
        dcg += relevance[i] / math.log2(rank + 2)
        rank += 1
        if rank == 10:
            break
    return dcg / idcg


def ndcg_of_rankings(scores: NDArray[np.float32], f: HeadFeatures) -> NDArray[np.float32]:
    """nDCG@10 per question of the head ordered by `scores` (Q, M), documents deduplicated
    by first occurrence (the tail below the head is not counted: the head holds >= 10
    documents for nearly every question)."""
    s = np.where(f.doc >= 0, scores, -np.inf)
    order = np.argsort(-s, axis=1, kind="stable")
    docs = np.take_along_axis(f.doc, order, 1)
    rel = np.take_along_axis(f.rel, order, 1)
    M = docs.shape[1]
    same = docs[:, :, None] == docs[:, None, :]
    earlier = np.tril(np.ones((M, M), bool), -1)[None]
    first = ~(same & earlier).any(axis=2) & (docs >= 0)
    rank = np.cumsum(first, axis=1) - 1
    use = first & (rank < 10)
    gains = np.where(use, rel / np.log2(rank + 2), 0.0).sum(axis=1)
    return np.where(f.idcg > 0, gains / np.maximum(f.idcg, 1e-9), 0.0).astype(np.float32)


