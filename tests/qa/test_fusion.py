"""Fusion of dense and lexical candidates: exact scores for both, learned weights, no fake
zeros, and a chunk only one retriever finds can still win."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from index import HashEmbedder, build_index, open_index
from qa.fusion import FusionParams, fuse, load_fusion, zscore
from qa.retrieve import RetrievalConfig, retrieve

PORT = """\
 date 2026-02-10 Port strike ends after nine days
Dock workers in Busan returned to work on Monday after a nine-day strike over wages. The union said members accepted a 6 percent raise.
"""
FILLER = """\
 date 2026-01-{day:02d} Markets and weather roundup number {n}
Stocks rose on {n} quiet days while forecasters promised rain and markets waited for the central bank decision on rates.
Traders said rates and wages would decide the quarter, and union leaders spoke about the economy in general terms.
"""


class SkewedEmbedder(HashEmbedder):
    """A hashing embedder that places the port article's text elsewhere (as if the model
    did not understand it), so dense search ranks it low: only BM25 finds it."""

    def encode(self, texts, *, batch_size=32, show_progress=False):  # type: ignore[override]
        moved = ["cargo cranes container ships" if "Busan" in t else t for t in texts]
        return super().encode(moved, batch_size=batch_size)


@pytest.fixture(scope="module")
def port_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("port")
    src = root / "articles"
    src.mkdir()
    (src / "port.txt").write_text(PORT, encoding="utf-8")
    for n in range(1, 25):
        (src / f"filler-{n}.txt").write_text(FILLER.format(day=n, n=n), encoding="utf-8")
    build_index(root / "index", [src], embedder=SkewedEmbedder())
    return root / "index"


def test_candidates_carry_both_scores_exactly(port_index: Path) -> None:
    reader = open_index(port_index)
    query = "How many percent raise did the union accept?"
    vector = SkewedEmbedder().encode([query])[0]
    cands = reader.candidates(query, vector, 5)
    only_lexical = cands.dense_rank == cands.NO_RANK
    assert only_lexical.any()  # found by BM25 alone, yet it has an exact cosine
    assert np.all(np.isfinite(cands.dense))
    again = reader._vectors.score(vector, cands.rows)
    assert np.allclose(again, cands.dense, atol=1e-3)
    assert np.allclose(reader._lexical.score_rows(query, cands.rows), cands.lexical)


def test_a_chunk_only_bm25_finds_can_win(port_index: Path) -> None:
    reader = open_index(port_index)
    query = "How many percent raise did the union accept?"
    vector = SkewedEmbedder().encode([query])[0]
    dense_ids = [h.chunk.article_id for h in retrieve(
        reader, query, vector, top_k=5, config=RetrievalConfig(mode="dense"))]
    hybrid = retrieve(reader, query, vector, top_k=5)
    assert "port" not in dense_ids[:1]
    assert hybrid[0].chunk.article_id == "port"
    assert hybrid[0].lexical_rank == 1


def test_zscore_is_neutral_for_missing_values() -> None:
    z = zscore(np.array([0.2, np.nan, 0.4, 0.6], dtype=np.float32))
    assert z[1] == 0.0
    assert z[0] < 0 < z[3]
    assert np.all(zscore(np.array([0.5, 0.5], np.float32)) == 0.0)


def test_a_chunk_without_a_vector_is_neither_first_nor_last(port_index: Path) -> None:
    reader = open_index(port_index)
    query = "union wages strike"
    vector = SkewedEmbedder().encode([query])[0]
    cands = reader.candidates(query, vector, 10)
    missing = replace(cands, dense=cands.dense.copy())
    missing.dense[0] = np.nan  # as if this chunk were not embedded yet
    fused = fuse(reader, query, vector, missing, load_fusion())
    assert np.isfinite(fused.scores).all()
    assert int(cands.rows[0]) in fused.rows.tolist()


@pytest.mark.parametrize(
    ("change", "match"),
    [({"matched_weights": (1.0, 2.0)}, "matched_weights"),
     ({"article_weights": (0, 0, 0, 0, float("nan"))}, "article_weights"),
     ({"rerank": 0}, "rerank")],
)
def test_bad_fusion_params_are_refused(change: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        replace(load_fusion(), **change)


def test_shipped_params_round_trip() -> None:
    params = load_fusion()
    assert FusionParams.from_dict(params.to_dict()) == params
