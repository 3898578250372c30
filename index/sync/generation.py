"""Write the generation a build planned, then publish it.

A new generation is written into a private `tmp-*` folder: the SQLite file (copied from
the previous generation and edited, or new), the vectors (a FAISS file, or a record of the
generation's vectors in Milvus), the BM25 files, every file fsynced, and `manifest.json`
last; `layout.publish` then swaps it in. After old generations are deleted, the vector
store frees what no kept generation uses. What to write is decided before: the `SyncPlan`
(which articles) and the `GenerationSpec` (how, and from which base), both made by
`index.sync.build`.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from corpus import Article
from corpus.chunking import ChunkConfig
from index.disk.docstore import DocStore, DocWriter
from index.disk.layout import (
    LEXICAL_DIR,
    SQLITE_FILE,
    fsync_dir,
    fsync_file,
    new_build_dir,
    publish,
    remove_old_generations,
)
from index.disk.lexical import LexicalIndex
from index.disk.manifest import (
    ArticleEntry,
    Counts,
    EmbedderInfo,
    Manifest,
    now_iso,
    package_version,
    write_manifest,
)
from index.embedding.base import Embedder, sentence_vector_mode
from index.errors import IndexStoreError
from index.sync.copies import write_copies
from index.sync.file_cache import FileCache
from index.sync.ingest import Ingested, ingest
from index.sync.plan import SyncPlan
from index.sync.previous import Previous
from index.sync.progress import Progress, tell
from index.sync.sources import load_refs
from index.vectors.base import StoreBackend, VectorStore
from index.vectors.factory import store_backend
from index.vectors.spec import StoreSpec

__all__ = ["GenerationSpec", "Written", "write_generation"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class GenerationSpec:
    """How to write the next generation. `previous` is the live generation (None for a new
    index); `fork`, a writable copy of its vectors, makes the build incremental: the
    generation starts from `previous` minus the plan's changed and removed articles.
    Without it everything is embedded again. The caller closes `fork`."""

    embedder: Embedder
    chunking: ChunkConfig
    store: StoreSpec
    sources: tuple[str, ...]
    excluded: tuple[str, ...]
    previous: Previous | None = None
    fork: VectorStore | None = None
    file_cache: FileCache | None = None
    show_progress: bool = False
    progress: Progress | None = None


@dataclass(frozen=True)
class Written:
    folder: Path
    chunks: int
    embedded_chunks: int


def write_generation(index_dir: Path, plan: SyncPlan, spec: GenerationSpec) -> Written:
    """Write and publish the generation that `plan` and `spec` describe; returns where it
    went."""
    backend = store_backend(spec.store)
    build_dir = new_build_dir(index_dir)
    filled = None
    try:
        filled = _fill(build_dir, plan, spec, backend)
        tell(spec.progress, "write", 0, 1)
        fsync_file(build_dir / SQLITE_FILE)
        for path in filled.vectors.save(build_dir):
            fsync_file(path)
        if spec.file_cache is not None:
            spec.file_cache.save(build_dir)
        write_copies(build_dir, spec.previous.folder if spec.previous else None,
                     {aid: entry.content_hash for aid, entry in filled.entries.items()})
        write_manifest(build_dir, _manifest(plan, spec, filled))
        final = publish(index_dir, build_dir)
    except BaseException:
        shutil.rmtree(build_dir, ignore_errors=True)
        raise
    finally:
        if filled is not None and filled.vectors is not spec.fork:
            filled.vectors.close()
    tell(spec.progress, "write", 1, 1)
    kept = (final, spec.previous.folder if spec.previous else None)
    remove_old_generations(index_dir, keep=kept)
    _collect(backend, [p for p in kept if p is not None and p.is_dir()])
    logger.info("published '%s' (%s chunks)", final, f"{filled.counts.chunks:,}")
    return Written(final, filled.counts.chunks, filled.embedded_chunks)


@dataclass(frozen=True)
class _Filled:
    vectors: VectorStore
    entries: dict[str, ArticleEntry]
    counts: Counts
    next_row: int
    embedded_chunks: int


def _manifest(plan: SyncPlan, spec: GenerationSpec, filled: _Filled) -> Manifest:
    embedder = spec.embedder
    base = spec.previous.manifest if spec.fork is not None and spec.previous else None
    unchanged_model = base is not None and filled.embedded_chunks == 0
    return Manifest(
        built_at=now_iso(),
        package_version=package_version(),
        embedder=base.embedder if unchanged_model and base else EmbedderInfo(
            embedder.name, embedder.dim, embedder.max_tokens
        ),
        chunking=spec.chunking.to_dict(),
        sentence_vectors=base.sentence_vectors if unchanged_model and base
        else sentence_vector_mode(embedder),
        sources=spec.sources,
        counts=filled.counts,
        articles=dict(sorted(filled.entries.items())),
        duplicates=dict(sorted(plan.duplicates.items())),
        excluded=spec.excluded,
        next_row=filled.next_row,
        store=str(spec.store),
    )


def _collect(backend: StoreBackend, kept: list[Path]) -> None:
    """Free the vectors of deleted generations; the build is published whatever happens."""
    try:
        backend.collect(kept)
    except IndexStoreError as e:
        logger.warning("could not free the vectors of old generations (%s); the next build "
                       "tries again", e)


def _fill(build_dir: Path, plan: SyncPlan, spec: GenerationSpec,
          backend: StoreBackend) -> _Filled:
    """Write the SQLite file and BM25 files of the new generation and fill its vectors,
    starting from the previous generation (incremental) or from nothing (full)."""
    previous, deleted = spec.previous, None
    if spec.fork is not None and previous is not None:
        docs, entries, deleted = _carry_over(build_dir, plan, previous, spec.fork)
        vectors, start_row = spec.fork, previous.manifest.next_row
        articles = load_refs(plan.to_embed)
    else:
        articles = load_refs(plan.kept) + _carried_articles(plan, previous)
        dim = spec.embedder.dim
        vectors = backend.create(dim, previous=previous.folder if previous else None)
        docs = DocWriter(build_dir / SQLITE_FILE, create=True)
        entries, start_row = {}, 0
    try:
        ingested = ingest(articles, start_row=start_row, embedder=spec.embedder,
                          config=spec.chunking, docs=docs, vectors=vectors,
                          show_progress=spec.show_progress, progress=spec.progress)
        entries.update(
            (a.id, ArticleEntry(a.content_hash, ingested.chunk_ids[a.id], a.source))
            for a in articles
        )
        tell(spec.progress, "lexical", 0, 1)
        lexical = _lexical(docs, ingested, previous, deleted)
        for path in lexical.save(build_dir / LEXICAL_DIR):
            fsync_file(path)
        fsync_dir(build_dir / LEXICAL_DIR)
        tell(spec.progress, "lexical", 1, 1)
        counts = Counts(*docs.counts())
    finally:
        docs.close()
    if vectors.size != counts.chunks:
        raise IndexStoreError(
            f"internal error: {vectors.size} vectors for {counts.chunks} chunks; "
            "rebuild with 'newsqa build --full'"
        )
    return _Filled(vectors, entries, counts, ingested.next_row, ingested.embedded_chunks)


def _carry_over(
    build_dir: Path, plan: SyncPlan, previous: Previous, vectors: VectorStore
) -> tuple[DocWriter, dict[str, ArticleEntry], NDArray[np.int64]]:
    """Start from a copy of the previous generation minus changed and removed articles;
    returns the SQLite writer, the entries of the articles kept and the rows deleted."""
    shutil.copyfile(previous.folder / SQLITE_FILE, build_dir / SQLITE_FILE)
    docs = DocWriter(build_dir / SQLITE_FILE, create=False,
                     sentences=previous.manifest.counts.sentences)
    deleted = docs.delete_articles([*plan.changed, *plan.removed])
    vectors.remove(deleted)
    for ref in plan.relocated:
        docs.relocate_article(ref.id, ref.source, ref.url)
    moved = {a.id: a.source for a in plan.relocated}
    old = previous.manifest.articles
    entries = {
        aid: ArticleEntry(old[aid].content_hash, old[aid].chunks, moved.get(aid, old[aid].source))
        for aid in [*plan.unchanged, *plan.carried]
    }
    return docs, entries, deleted


def _carried_articles(plan: SyncPlan, previous: Previous | None) -> list[Article]:
    """For a full rebuild without pruning: the previous articles no longer in the sources,
    read back from the previous generation."""
    if not plan.carried or previous is None:
        return []
    try:
        with closing(DocStore(previous.folder / SQLITE_FILE)) as docs:
            return [docs.article(aid) for aid in plan.carried]
    except (KeyError, sqlite3.DatabaseError) as e:
        logger.warning("cannot carry %d articles over from '%s' (%s)", len(plan.carried),
                       previous.folder, e)
        return []


def _lexical(
    docs: DocWriter,
    ingested: Ingested,
    previous: Previous | None,
    deleted: NDArray[np.int64] | None,
) -> LexicalIndex:
    """The new generation's BM25, from the terms `ingest` made of the new chunks: the
    previous generation's edited (the `deleted` rows out, the new ones in) for an
    incremental build, else built from them alone. An unreadable previous BM25 is rebuilt
    from every chunk's stored terms."""
    if previous is None or deleted is None:
        return LexicalIndex.build(ingested.tokens, ingested.rows)
    try:
        lexical = LexicalIndex.load(previous.folder / LEXICAL_DIR).updated(
            removed=deleted, added_rows=ingested.rows, added_tokens=ingested.tokens)
        chunks = docs.counts()[1]
        if lexical.size != chunks:
            raise ValueError(f"{lexical.size} BM25 documents for {chunks} chunks")
        return lexical
    except (OSError, ValueError, EOFError) as e:  # incl. LegacyLexicalFormat
        logger.info("rebuilding BM25 from the stored terms (%s)", e)
    rows, tokens = docs.all_tokens()
    return LexicalIndex.build(tokens, rows)
