"""Read the previous generation and write the next one.

A new generation is written into a private `tmp-*` folder: the SQLite file (copied from
the previous generation and edited, or new), the vectors (a FAISS file, or a record of the
generation's vectors in Milvus), the BM25 files, every file fsynced, and `manifest.json`
last; `layout.publish` then swaps it in. After old generations are deleted, the vector
store frees what no kept generation uses.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
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
    live_generation,
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
    read_manifest,
    write_manifest,
)
from index.embedding.base import Embedder, sentence_vector_mode
from index.errors import IndexFormatError, IndexStoreError
from index.sync.file_cache import FileCache
from index.sync.ingest import Progress, ingest
from index.sync.plan import PreviousArticle, SyncPlan
from index.sync.sources import load_refs
from index.vectors.base import StoreBackend, VectorStore
from index.vectors.factory import store_backend
from index.vectors.spec import StoreSpec, parse_store_spec

__all__ = ["Previous", "Written", "read_previous", "write_generation"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Previous:
    """The live generation before a sync. `vectors`, a writable fork of its vector store,
    is loaded for incremental builds; `unreadable` says why its data cannot be carried
    over (a full rebuild follows)."""

    folder: Path
    manifest: Manifest
    articles: dict[str, PreviousArticle] = field(default_factory=dict)
    vectors: VectorStore | None = None
    unreadable: str | None = None


@dataclass(frozen=True)
class Written:
    folder: Path
    chunks: int
    embedded_chunks: int


def read_previous(
    index_dir: Path,
    *,
    full: bool,
    sources_given: Sequence[str] | None,
    store: StoreSpec | None = None,
) -> Previous | None:
    """The live generation of `index_dir`, or None for a new index. Its vectors are
    loaded unless `full` or the requested `store` spec differs from the index's.

    Raises:
        IndexFormatError: the manifest is unreadable or from a newer newsqa, and this is
            not a full rebuild with sources given (which ignores the old index).
        VectorStoreError: the vector store (a Milvus server) cannot be reached.
    """
    try:
        folder = live_generation(index_dir)
        manifest = read_manifest(folder) if folder is not None else None
    except IndexFormatError as e:
        if full and sources_given is not None:
            logger.warning("ignoring the unreadable index: %s", e)
            return None
        if full:
            raise IndexFormatError(f"{e}; pass the article sources to rebuild it") from e
        raise
    if folder is None or manifest is None:
        return None
    try:
        with _closing(DocStore(folder / SQLITE_FILE)) as docs:
            locations = docs.locations()
        keep = not full and (store is None or str(store) == manifest.store)
        vectors = store_backend(parse_store_spec(manifest.store)).fork(folder) if keep else None
    except (OSError, RuntimeError, ValueError, KeyError, sqlite3.DatabaseError) as e:
        reason = str(e).replace("\n", " ").rsplit("Error: ", 1)[-1][:200]
        return Previous(folder, manifest, _articles(manifest, {}), unreadable=reason)
    return Previous(folder, manifest, _articles(manifest, locations), vectors)


def _articles(
    manifest: Manifest, locations: dict[str, tuple[str, str | None]]
) -> dict[str, PreviousArticle]:
    return {
        aid: PreviousArticle(
            entry.content_hash, *locations.get(aid, (entry.source, None))
        )
        for aid, entry in manifest.articles.items()
    }


class _closing:
    def __init__(self, docs: DocStore) -> None:
        self.docs = docs

    def __enter__(self) -> DocStore:
        return self.docs

    def __exit__(self, *exc: object) -> None:
        self.docs.close()


def write_generation(
    index_dir: Path,
    plan: SyncPlan,
    *,
    previous: Previous | None,
    incremental: bool,
    embedder: Embedder,
    config: ChunkConfig,
    sources: Sequence[str],
    excluded: Sequence[str],
    store: StoreSpec,
    file_cache: FileCache | None = None,
    show_progress: bool = False,
    progress: Progress | None = None,
) -> Written:
    """Write and publish the generation that `plan` describes, its vectors in the
    `store` spec; returns where it went."""
    backend = store_backend(store)
    build_dir = new_build_dir(index_dir)
    filled = None
    try:
        base = previous if incremental else None
        filled = _fill(build_dir, plan, base, previous, backend, embedder, config,
                       show_progress, progress)
        if progress:
            progress("write", 0, 1)
        fsync_file(build_dir / SQLITE_FILE)
        for path in filled.vectors.save(build_dir):
            fsync_file(path)
        if file_cache is not None:
            file_cache.save(build_dir)
        unchanged_model = base is not None and filled.embedded_chunks == 0
        manifest = Manifest(
            built_at=now_iso(),
            package_version=package_version(),
            embedder=base.manifest.embedder if unchanged_model and base else EmbedderInfo(
                embedder.name, embedder.dim, embedder.max_tokens
            ),
            chunking=config.to_dict(),
            sentence_vectors=base.manifest.sentence_vectors if unchanged_model and base
            else sentence_vector_mode(embedder),
            sources=tuple(sources),
            counts=filled.counts,
            articles=dict(sorted(filled.entries.items())),
            duplicates=dict(sorted(plan.duplicates.items())),
            excluded=tuple(excluded),
            next_row=filled.next_row,
            store=str(store),
        )
        write_manifest(build_dir, manifest)
        final = publish(index_dir, build_dir)
    except BaseException:
        shutil.rmtree(build_dir, ignore_errors=True)
        raise
    finally:
        for vectors in (filled.vectors if filled else None, previous and previous.vectors):
            if vectors is not None:
                vectors.close()
    if progress:
        progress("write", 1, 1)
    kept = (final, previous.folder if previous else None)
    remove_old_generations(index_dir, keep=kept)
    _collect(backend, [p for p in kept if p is not None and p.is_dir()])
    logger.info("published '%s' (%s chunks)", final, f"{filled.counts.chunks:,}")
    return Written(final, filled.counts.chunks, filled.embedded_chunks)


def _collect(backend: StoreBackend, kept: list[Path]) -> None:
    """Free the vectors of deleted generations; the build is published whatever happens."""
    try:
        backend.collect(kept)
    except IndexStoreError as e:
        logger.warning("could not free the vectors of old generations (%s); the next build "
                       "tries again", e)


@dataclass(frozen=True)
class _Filled:
    vectors: VectorStore
    entries: dict[str, ArticleEntry]
    counts: Counts
    next_row: int
    embedded_chunks: int


def _fill(
    build_dir: Path,
    plan: SyncPlan,
    base: Previous | None,
    previous: Previous | None,
    backend: StoreBackend,
    embedder: Embedder,
    config: ChunkConfig,
    show_progress: bool,
    progress: Progress | None,
) -> _Filled:
    """Write the SQLite file and BM25 files of the new generation and fill its vectors,
    starting from `base` (incremental) or from nothing (full)."""
    deleted = None
    if base is not None:
        docs, vectors, entries, deleted, start_row = _carry_over(build_dir, plan, base)
        to_embed = load_refs(plan.to_embed)
    else:
        to_embed = load_refs(plan.kept) + _carried_articles(plan, previous)
        vectors = backend.create(embedder.dim, previous=previous.folder if previous else None)
        docs = DocWriter(build_dir / SQLITE_FILE, create=True)
        entries, start_row = {}, 0
    try:
        ingested = ingest(to_embed, start_row=start_row, embedder=embedder, config=config,
                          docs=docs, vectors=vectors, show_progress=show_progress,
                          progress=progress)
        entries.update(
            (a.id, ArticleEntry(a.content_hash, ingested.chunk_ids[a.id], a.source))
            for a in to_embed
        )
        lexical = _lexical(docs, base, deleted, start_row, progress)
        for path in lexical.save(build_dir / LEXICAL_DIR):
            fsync_file(path)
        fsync_dir(build_dir / LEXICAL_DIR)
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
    build_dir: Path, plan: SyncPlan, previous: Previous
) -> tuple[DocWriter, VectorStore, dict[str, ArticleEntry], NDArray[np.int64], int]:
    """Start from a copy of the previous generation minus changed and removed articles."""
    assert previous.vectors is not None, "incremental builds load the previous vectors"
    shutil.copyfile(previous.folder / SQLITE_FILE, build_dir / SQLITE_FILE)
    docs = DocWriter(build_dir / SQLITE_FILE, create=False,
                     sentences=previous.manifest.counts.sentences)
    deleted = docs.delete_articles([*plan.changed, *plan.removed])
    vectors = previous.vectors
    vectors.remove(deleted)
    for ref in plan.relocated:
        docs.relocate_article(ref.id, ref.source, ref.url)
    moved = {a.id: a.source for a in plan.relocated}
    old = previous.manifest.articles
    entries = {
        aid: ArticleEntry(old[aid].content_hash, old[aid].chunks, moved.get(aid, old[aid].source))
        for aid in [*plan.unchanged, *plan.carried]
    }
    return docs, vectors, entries, deleted, previous.manifest.next_row


def _carried_articles(plan: SyncPlan, previous: Previous | None) -> list[Article]:
    """For a full rebuild without pruning: the previous articles no longer in the sources,
    read back from the previous generation."""
    if not plan.carried or previous is None:
        return []
    try:
        with _closing(DocStore(previous.folder / SQLITE_FILE)) as docs:
            return [docs.article(aid) for aid in plan.carried]
    except (KeyError, sqlite3.DatabaseError) as e:
        logger.warning("cannot carry %d articles over from '%s' (%s)", len(plan.carried),
                       previous.folder, e)
        return []


def _lexical(
    docs: DocWriter,
    base: Previous | None,
    deleted: NDArray[np.int64] | None,
    start_row: int,
    progress: Progress | None,
) -> LexicalIndex:
    """The new generation's BM25: the previous one edited (chunks deleted, chunks from
    `start_row` on added), or, for a full build or an unreadable previous one, built from
    every chunk's stored terms."""
    if progress:
        progress("lexical", 0, 1)
    lexical = None
    if base is not None and deleted is not None:
        try:
            previous = LexicalIndex.load(base.folder / LEXICAL_DIR)
            rows, tokens = docs.tokens_from(start_row)
            lexical = previous.updated(removed=deleted, added_rows=rows, added_tokens=tokens)
            if lexical.size != docs.counts()[1]:
                raise ValueError(f"{lexical.size} BM25 documents for {docs.counts()[1]} chunks")
        except (OSError, ValueError, EOFError) as e:  # incl. LegacyLexicalFormat
            logger.info("rebuilding BM25 from the stored terms (%s)", e)
    if lexical is None:
        rows, tokens = docs.all_tokens()
        lexical = LexicalIndex.build(tokens, rows)
    if progress:
        progress("lexical", 1, 1)
    return lexical
