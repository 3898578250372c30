"""The same vector-store suite against every backend: FAISS files, Milvus Lite (an embedded
file) and a real Milvus server (the session's, see tests/milvus_server.py; a collection per
test). Nothing is skipped: pymilvus, milvus-lite and milvus are in the extras `make test`
installs."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from index import HashEmbedder, VectorStoreError, build_index, open_index
from index.vectors import milvus_client
from index.vectors.base import VectorStore
from index.vectors.factory import store_backend
from index.vectors.spec import DEFAULT_STORE, StoreSpec, parse_store_spec
from qa import Assistant
from qa.cli import cli
from tests.index.conftest import CountingEmbedder, write_news

DIM = 16
SERVER = pytest.param("milvus-server", marks=pytest.mark.milvus_server)
BACKENDS = ["faiss", "milvus-lite", SERVER]
MILVUS = ["milvus-lite", SERVER]


def private_spec(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> StoreSpec:
    """A store spec of backend `kind`, private to the test."""
    if kind == "faiss":
        return DEFAULT_STORE
    if kind == "milvus-server":
        return parse_store_spec(request.getfixturevalue("milvus_collection"))
    return parse_store_spec(f"milvus-lite:{tmp_path / 'milvus' / 'vectors.db'}")


@pytest.fixture(params=BACKENDS)
def spec(request: pytest.FixtureRequest, tmp_path: Path) -> StoreSpec:
    """A store spec of each backend, private to the test."""
    return private_spec(request.param, request, tmp_path)


@pytest.fixture(params=MILVUS)
def milvus_spec(request: pytest.FixtureRequest, tmp_path: Path) -> StoreSpec:
    """A store spec of each Milvus backend (Lite and the server), private to the test."""
    return private_spec(request.param, request, tmp_path)


def unit_vectors(n: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


class Chain:
    """A backend's writer and the generations it publishes, as builds make them: vectors
    added, flushed into a part, checkpointed in a generation folder; removals are passed
    to `open` as tombstones (FAISS) and marked on the server (Milvus)."""

    def __init__(self, spec: StoreSpec, tmp_path: Path, *, previous: Chain | None = None,
                 full: bool = True) -> None:
        self.backend = store_backend(spec)
        self.tmp_path = tmp_path
        base = previous.published[-1] if previous and previous.published else None
        self.writer = self.backend.writer(DIM, previous=base[0] if base else None, full=full)
        self.parts = list(base[1]) if base and not full else []
        self.deleted: set[int] = set(base[2]) if base and not full else set()
        self.pending: list[int] = []
        self.published: list[tuple[Path, list, set[int]]] = []

    def add(self, rows: np.ndarray, vectors: np.ndarray) -> None:
        self.writer.add(np.asarray(rows), vectors)
        self.pending += [int(r) for r in rows]

    def remove(self, rows: list[int]) -> None:
        self.writer.remove(np.array(rows))
        self.deleted |= set(rows)

    def publish(self) -> Path:
        number = len(list(self.tmp_path.glob("gen-*"))) + 1
        part = self.tmp_path / f"part-{number}"
        part.mkdir()
        self.writer.flush(part)
        if self.pending:
            self.parts.append((part, np.array(sorted(self.pending), dtype=np.int64)))
        self.pending = []
        folder = self.tmp_path / f"gen-{number}"
        folder.mkdir()
        self.writer.checkpoint(folder)
        self.published.append((folder, list(self.parts), set(self.deleted)))
        return folder

    def open(self, folder: Path) -> VectorStore:
        _, parts, deleted = next(p for p in self.published if p[0] == folder)
        return self.backend.open(folder, DIM, parts, np.array(sorted(deleted), dtype=np.int64))

    def close(self) -> None:
        self.writer.close()


def same_hits(found: list[tuple[int, float]], expected: list[tuple[int, float]]) -> bool:
    """Same rows and scores up to float rounding (Milvus may sum in another order once its
    segments change), in the same order but for ties."""

    def ranked(hits: list[tuple[int, float]]) -> list[tuple[float, int]]:
        return sorted((-round(score, 5), row) for row, score in hits)

    return ranked(found) == ranked(expected)


def top_rows(store: VectorStore, query: np.ndarray, k: int, rows=None) -> list[int]:
    return [row for row, _ in store.search(query, k, rows=rows)]


def one_generation(spec: StoreSpec, tmp_path: Path, rows: np.ndarray,
                   vectors: np.ndarray) -> VectorStore:
    chain = Chain(spec, tmp_path)
    chain.add(rows, vectors)
    store = chain.open(chain.publish())
    chain.close()
    return store


# -- the store suite ---------------------------------------------------------------------------


def test_add_search_filter_remove_reopen(spec: StoreSpec, tmp_path: Path) -> None:
    vectors = unit_vectors(40, seed=1)
    chain = Chain(spec, tmp_path)
    chain.add(np.arange(100, 140), vectors)
    store = chain.open(chain.publish())
    assert store.size == 40 and store.dim == DIM

    hits = store.search(vectors[7], 5)
    assert hits[0][0] == 107 and hits[0][1] == pytest.approx(1.0, abs=2e-3)
    scores = [score for _, score in hits]
    assert scores == sorted(scores, reverse=True)
    exact = vectors @ vectors[7]
    assert scores == pytest.approx(sorted(exact, reverse=True)[:5], abs=2e-3)

    allowed = np.array([101, 102, 103, 120, 139, 999])  # 999: not in the store
    found = top_rows(store, vectors[7], 10, rows=allowed)
    assert sorted(found) == [101, 102, 103, 120, 139]
    assert top_rows(store, vectors[7], 2, rows=allowed) == found[:2]
    assert store.search(vectors[7], 5, rows=np.array([], dtype=np.int64)) == []
    assert store.search(vectors[7], 0) == []
    assert np.isnan(store.score(vectors[7], np.array([107, 999]))[1])

    chain.remove([107, 108])
    gen2 = chain.publish()
    chain.close()
    reopened = chain.open(gen2)
    assert reopened.size == 38 and 107 not in top_rows(reopened, vectors[7], 40)
    assert top_rows(reopened, vectors[3], 3, rows=np.array([110, 111, 112])) == sorted(
        [110, 111, 112], key=lambda r: -float(vectors[r - 100] @ vectors[3]))
    assert store.size == 40 and 107 in top_rows(store, vectors[7], 40)  # gen 1 unchanged
    store.close()
    reopened.close()


def test_long_row_filters_are_searched_in_groups(
    spec: StoreSpec, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(milvus_client, "FILTER_TERMS", 3)  # Milvus: 3 runs of rows per search
    vectors = unit_vectors(60, seed=8)
    store = one_generation(spec, tmp_path, np.arange(60), vectors)
    allowed = np.array([0, 1, 2, 5, 9, 10, 11, 20, 33, 34, 40, 47, 48, 49, 50, 58])
    for query in vectors[[0, 25, 49]]:
        scores = vectors[allowed] @ query
        expected = [int(allowed[i]) for i in np.argsort(-scores)[:6]]
        assert top_rows(store, query, 6, rows=allowed) == expected
    store.close()


def test_a_filter_of_many_runs_of_rows(spec: StoreSpec, tmp_path: Path) -> None:
    """Dates select scattered articles: one search filters by hundreds of row ranges (a
    Milvus 2.3 server rejects a flat chain of ~50 "or"s)."""
    vectors = unit_vectors(600, seed=9)
    store = one_generation(spec, tmp_path, np.arange(600), vectors)
    allowed = np.array([row for row in range(600) if row % 3 != 2])  # 200 runs of 2 rows
    for query in vectors[[0, 299, 598]]:
        scores = vectors[allowed] @ query
        expected = [int(allowed[i]) for i in np.argsort(-scores)[:5]]
        assert top_rows(store, query, 5, rows=allowed) == expected
    store.close()


def test_a_later_build_never_changes_the_generation_it_came_from(
    spec: StoreSpec, tmp_path: Path
) -> None:
    old, new = unit_vectors(10, seed=2), unit_vectors(5, seed=3)
    first = Chain(spec, tmp_path)
    first.add(np.arange(10), old)
    gen1 = first.publish()
    first.close()
    reader = first.open(gen1)
    before = reader.search(old[4], 10)

    second = Chain(spec, tmp_path, previous=first, full=False)
    second.remove([4, 5])
    second.add(np.arange(10, 15), new)
    assert same_hits(reader.search(old[4], 10), before)  # the published generation is untouched
    gen2 = second.publish()
    second.close()

    latest = second.open(gen2)
    assert latest.size == 13 and top_rows(latest, new[2], 1) == [12]
    assert 4 not in top_rows(latest, old[4], 13)
    assert same_hits(reader.search(old[4], 10), before)
    second.backend.collect([gen2])  # the old generation is gone: its removed vectors may go
    assert latest.size == 13 and top_rows(latest, new[2], 1) == [12]
    reader.close()
    latest.close()


def test_checkpoints_publish_generations_that_never_change(spec: StoreSpec,
                                                          tmp_path: Path) -> None:
    """A progressive build: each checkpoint's generation sees the vectors added before it,
    none added after (Milvus: the writer moves on to the next serial)."""
    vectors = unit_vectors(30, seed=11)
    chain = Chain(spec, tmp_path)
    chain.add(np.arange(10), vectors[:10])
    gen1 = chain.publish()
    chain.add(np.arange(10, 20), vectors[10:20])
    gen2 = chain.publish()
    chain.add(np.arange(20, 30), vectors[20:])
    gen3 = chain.publish()
    chain.close()
    sizes = [chain.open(g).size for g in (gen1, gen2, gen3)]
    assert sizes == [10, 20, 30]
    assert top_rows(chain.open(gen1), vectors[25], 30) == sorted(
        range(10), key=lambda r: -float(vectors[r] @ vectors[25]))
    assert top_rows(chain.open(gen3), vectors[25], 1) == [25]


def test_an_abandoned_build_leaves_no_trace(spec: StoreSpec, tmp_path: Path) -> None:
    """A build that dies before publishing: the next build from the same generation sees
    exactly that generation."""
    vectors = unit_vectors(8, seed=4)
    first = Chain(spec, tmp_path)
    first.add(np.arange(8), vectors)
    first.publish()
    first.close()

    crashed = Chain(spec, tmp_path, previous=first, full=False)
    crashed.remove([0, 1, 2])
    crashed.add(np.arange(8, 12), unit_vectors(4, seed=5))
    del crashed  # never published, never closed

    again = Chain(spec, tmp_path, previous=first, full=False)
    store = again.open(again.publish())
    assert store.size == 8
    assert sorted(top_rows(store, vectors[0], 20)) == list(range(8))
    again.close()
    store.close()


def test_a_full_rebuild_may_reuse_rows(spec: StoreSpec, tmp_path: Path) -> None:
    old, new = unit_vectors(6, seed=6), unit_vectors(4, seed=7)
    first = Chain(spec, tmp_path)
    first.add(np.arange(6), old)
    gen1 = first.publish()
    first.close()
    reader = first.open(gen1)

    rebuilt = Chain(spec, tmp_path, previous=first, full=True)
    rebuilt.add(np.arange(4), new)
    gen2 = rebuilt.publish()
    rebuilt.close()
    latest = rebuilt.open(gen2)
    assert latest.size == 4 and latest.search(new[1], 1)[0][1] == pytest.approx(1, abs=2e-3)
    assert reader.size == 6 and reader.search(old[1], 1)[0] == (1, pytest.approx(1, abs=2e-3))
    rebuilt.backend.collect([gen2])
    assert sorted(top_rows(latest, new[0], 10)) == [0, 1, 2, 3]
    reader.close()
    latest.close()


# -- through build_index and Assistant ----------------------------------------------------------


def test_build_sync_delete_and_ask(spec: StoreSpec, news_dir: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "idx"
    report = build_index(index_dir, [news_dir], embedder=HashEmbedder(), store=spec)
    assert report.added == ["alpha", "beta", "gamma"]
    assert open_index(index_dir).manifest.store == str(spec)
    answer = Assistant.open(index_dir).ask("Which shipyard won the ferry order?")
    assert not answer.abstained and answer.citations[0].article_id == "beta"

    old_reader = open_index(index_dir)
    query = HashEmbedder().encode(["comet observatory telescope"])[0]
    before = old_reader.dense_search(query, 3)
    write_news(news_dir, "gamma", "Gamma observatory loses comet",
               "The comet broke apart before it could be seen, astronomers said.",
               date="2025-04-02")
    (news_dir / "alpha.txt").unlink()
    write_news(news_dir, "delta", "Delta airport opens runway", "A second runway opened.",
               date="2025-05-05")
    embedder = CountingEmbedder(dim=256)
    report = build_index(index_dir, embedder=embedder)
    assert (report.added, report.changed, report.removed) == (["delta"], ["gamma"], ["alpha"])
    assert report.full_rebuild_reason is None and report.embedded_chunks == 2
    assert embedder.titles_embedded() == {"Gamma observatory loses comet",
                                          "Delta airport opens runway"}

    assert same_hits(old_reader.dense_search(query, 3), before)  # the old snapshot is intact
    with open_index(index_dir) as reader:
        assert reader.size == 3 and reader.manifest.store == str(spec)
        ids = {c.article_id for c in reader.chunks([r for r, _ in reader.dense_search(query, 5)])}
        assert ids == {"beta", "gamma", "delta"}
        rows = reader.rows_matching(since=date(2025, 3, 1))
        found = reader.chunks([r for r, _ in reader.dense_search(query, 5, rows=rows)])
        assert [c.article_id for c in found] == ["gamma", "delta"]
    old_reader.close()
    answer = Assistant.open(index_dir).ask("When did the runway open?", since="2025-05-01")
    assert [c.article_id for c in answer.citations] == ["delta"]


def test_a_killed_build_leaves_the_milvus_index_intact(
    milvus_spec: StoreSpec, news_dir: Path, tmp_path: Path
) -> None:
    """As test_atomic's crash test, with the vectors in Milvus (with Lite, the killed
    process held the file); the next build opens the store and carries on."""
    index_dir = tmp_path / "idx"
    build_index(index_dir, [news_dir], embedder=HashEmbedder(), store=milvus_spec)
    query = HashEmbedder().encode(["comet observatory"])[0]
    with open_index(index_dir) as reader:
        before = reader.dense_search(query, 3)
    flag = tmp_path / "embedding-started"
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).parents[1] / "slow_build.py"), str(index_dir),
         str(news_dir), str(flag)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not flag.exists():
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "the build never started embedding"
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stderr.close()
    with open_index(index_dir) as reader:
        assert reader.generation == 1 and same_hits(reader.dense_search(query, 3), before)
    report = build_index(index_dir, embedder=HashEmbedder(), full=True, lock_timeout=5)
    assert report.generation == 2 and report.embedded_chunks == 3
    with open_index(index_dir) as reader:
        assert same_hits(reader.dense_search(query, 3), before)


@pytest.mark.milvus_server
def test_every_backend_answers_alike(
    news_dir: Path, tmp_path: Path, milvus_collection: str
) -> None:
    lite = str(parse_store_spec(tmp_path / "vectors.db"))
    answers = {}
    for spec in ("faiss", lite, milvus_collection):
        index_dir = tmp_path / spec.replace("/", "_").replace(":", "_")
        build_index(index_dir, [news_dir], embedder=HashEmbedder(), store=spec)
        assistant = Assistant.open(index_dir)
        answers[spec] = [
            (a.text, [c.article_id for c in a.citations], a.abstained)
            for a in (assistant.ask(q, since=since) for q, since in [
                ("What did the Alpha council approve?", None),
                ("When will the comet be visible?", "2025-03-01"),
                ("How many ferries did the shipyard order?", "2025-03-01"),
            ])
        ]
        assistant.close()
    assert answers["faiss"] == answers[lite] == answers[milvus_collection]


def test_changing_the_store_rebuilds_fully(news_dir: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "idx"
    build_index(index_dir, [news_dir], embedder=HashEmbedder())
    lite = str(parse_store_spec(tmp_path / "vectors.db"))
    report = build_index(index_dir, embedder=HashEmbedder(), store=lite)
    assert report.full_rebuild_reason == f"vector store changed from 'faiss' to {lite!r}"
    assert report.embedded_chunks == 3
    report = build_index(index_dir, embedder=HashEmbedder())  # None keeps the index's store
    assert report.full_rebuild_reason is None and report.embedded_chunks == 0
    with open_index(index_dir) as reader:
        assert reader.manifest.store == lite and reader.size == 3
        assert not list(reader.path.glob("*.faiss"))
        parts = [n for ref in reader.manifest.segments for n in ref.parts]
        assert parts and not [n for n in parts if (index_dir / "segments" / n /
                                                   "vectors.faiss").exists()]
    report = build_index(index_dir, embedder=HashEmbedder(), store="faiss")
    assert "vector store changed" in (report.full_rebuild_reason or "")


def test_cli_build_with_store(articles_dir: Path, tmp_path: Path) -> None:
    index, db = str(tmp_path / "idx"), tmp_path / "lite.db"
    runner = CliRunner()
    result = runner.invoke(cli, ["build", str(articles_dir), "--index", index, "--model",
                                 "hash", "--store", str(db)])
    assert result.exit_code == 0, result.stderr
    result = runner.invoke(cli, ["ask", "How many residents were evacuated?", "--index", index,
                                 "--json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["citations"][0]["article_id"] == "volcano"
    result = runner.invoke(cli, ["build", "--index", index, "--model", "hash", "--store",
                                 "redis://x"])
    assert result.exit_code == 1 and "unknown vector store 'redis://x'" in result.stderr


def test_a_collection_of_another_index_is_refused(
    milvus_spec: StoreSpec, news_dir: Path, tmp_path: Path
) -> None:
    build_index(tmp_path / "one", [news_dir], embedder=HashEmbedder(), store=milvus_spec)
    with pytest.raises(VectorStoreError, match="already holds vectors"):
        build_index(tmp_path / "two", [news_dir], embedder=HashEmbedder(), store=milvus_spec)
    assert open_index(tmp_path / "one").size == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("faiss", "faiss"),
        ("FAISS", "faiss"),
        ("milvus://localhost:19530/news", "milvus://localhost:19530/news"),
        ("milvus://10.0.0.7:19530/news_2024", "milvus://10.0.0.7:19530/news_2024"),
        ("milvus-lite:/data/v.db", "milvus-lite:/data/v.db"),
        ("/data/v.db", "milvus-lite:/data/v.db"),
        ("v.db", f"milvus-lite:{Path.cwd() / 'v.db'}"),
    ],
)
def test_store_specs(text: str, expected: str) -> None:
    assert str(parse_store_spec(text)) == expected
    assert parse_store_spec(str(parse_store_spec(text))) == parse_store_spec(text)


@pytest.mark.parametrize(
    "text",
    ["", "redis://x", "milvus://host/news", "milvus://host:0/news", "milvus://host:19530/",
     "milvus://host:19530/9news", "milvus://host:19530/news-2", "milvus-lite:",
     "milvus-lite:/data/vectors"],
)
def test_bad_store_specs(text: str) -> None:
    with pytest.raises(VectorStoreError, match="store"):
        parse_store_spec(text)
