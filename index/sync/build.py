"""`build_index`: sync an index with its sources, incrementally, atomically, under a lock.

A sync reads the live generation (`index.sync.previous`), scans the sources (reading only
files changed since the last sync, see `index.sync.file_cache`), plans the sync by
comparing content hashes (`index.sync.plan`), and writes what the plan says
(`index.sync.generation`): unchanged articles stay in the segments they are in (never
re-embedded, never copied), changed and removed ones are tombstoned, new and changed ones
are written as a new segment, answerable by BM25 at once and embedded progressively, and
small segments are merged (`index.sync.policy`). A build interrupted while embedding is
resumed by the next one.

Every choice between an incremental and a full build is made here, in `_sync`: a full
build is asked for; the previous index cannot be read; the vector store, the embedder (its
name, or the shape of its vectors) or the chunking changed.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from corpus.chunking import ChunkConfig
from corpus.errors import ConfigError
from corpus.load import Skipped
from index.disk.copies import load_boilerplate_pages, stored_method
from index.disk.layout import (
    GENERATION_GLOB,
    generation_number,
    prepare_index_dir,
    remove_leftovers,
)
from index.disk.locking import DEFAULT_LOCK_TIMEOUT, build_lock
from index.disk.manifest import read_manifest
from index.disk.segments import remove_unreferenced
from index.embedding.base import Embedder, sentence_vector_mode
from index.errors import IndexFormatError, IndexStoreError, short_reason
from index.sync.copies import METHOD
from index.sync.file_cache import FileCache
from index.sync.generation import GenerationSpec, write_generation
from index.sync.headlines import headline_flips, reindex
from index.sync.plan import SyncPlan, plan_sync
from index.sync.policy import CheckpointPolicy, MergePolicy
from index.sync.previous import Previous, read_previous
from index.sync.progress import Progress
from index.sync.sources import resolve_sources, scan_sources
from index.vectors.factory import check_store, store_backend
from index.vectors.spec import DEFAULT_STORE, StoreSpec, parse_store_spec

__all__ = ["BuildReport", "SyncRequest", "build_index", "sync_locked"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildReport:
    """What a build did. Id lists are article ids; `duplicates` are ids left out because
    another indexed article has the same content; `chunks` is the index's total."""

    index_dir: Path
    generation: int
    added: list[str]
    changed: list[str]
    removed: list[str]
    unchanged: list[str]
    duplicates: list[str]
    skipped: list[Skipped]
    chunks: int
    embedded_chunks: int
    seconds: float
    full_rebuild_reason: str | None = None
    generations: int = 1
    reindexed: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for humans, e.g. "added 2, changed 0, removed 1, unchanged 40 ..."."""
        parts = [
            f"added {len(self.added)}, changed {len(self.changed)}, removed "
            f"{len(self.removed)}, unchanged {len(self.unchanged)} articles",
            f"{self.embedded_chunks:,} chunks embedded ({self.chunks:,} in the index)",
        ]
        if self.duplicates:
            parts.append(f"{len(self.duplicates)} duplicates left out")
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped")
        if self.reindexed:
            parts.append(f"{len(self.reindexed)} re-indexed (boilerplate pages: by their "
                         "headline alone)")
        if self.full_rebuild_reason:
            parts.append(f"full rebuild: {self.full_rebuild_reason}")
        return "; ".join(parts) + f"; {self.seconds:.1f} s"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["index_dir"] = str(self.index_dir)
        return data


@dataclass(frozen=True, kw_only=True)
class SyncRequest:
    """Everything a sync needs besides the index directory (see `build_index`).

    `exclude` ids are added to the manifest's excluded list, `include` ids taken out;
    `store` is a canonical vector store spec (None keeps the index's).
    """

    sources: tuple[str, ...] | None
    embedder: Embedder
    chunk_config: ChunkConfig | None = None
    full: bool = False
    prune: bool = True
    show_progress: bool = False
    progress: Progress | None = None
    exclude: frozenset[str] = field(default_factory=frozenset)
    include: frozenset[str] = field(default_factory=frozenset)
    store: StoreSpec | None = None
    checkpoints: CheckpointPolicy = field(default_factory=CheckpointPolicy)
    merges: MergePolicy = field(default_factory=MergePolicy)


def build_index(
    index_dir: str | Path,
    sources: Sequence[str | Path] | None = None,
    *,
    embedder: Embedder,
    chunk_config: ChunkConfig | None = None,
    full: bool = False,
    prune: bool = True,
    show_progress: bool = False,
    progress: Progress | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    store: str | Path | StoreSpec | None = None,
    checkpoints: CheckpointPolicy | None = None,
    merges: MergePolicy | None = None,
) -> BuildReport:
    """Sync the index at `index_dir` with `sources`; create it if needed.

    A build that embeds many chunks publishes the new articles' text and BM25 first, then
    more vectors as it embeds (see `checkpoints`), so questions are answered meanwhile;
    interrupted (a crash, Ctrl-C), it leaves the last generation it published, and the
    next build embeds what is missing.

    Args:
        index_dir: the index directory (created if missing).
        sources: files and folders of articles; None = the sources of the existing index,
            or the bundled articles for a new one. Files added with `add_files` are
            always included.
        embedder: the embedding model; a different one than the index's forces a full
            rebuild.
        chunk_config: None keeps the index's chunking (default `ChunkConfig()` for a new
            index); a different one forces a full rebuild.
        full: re-chunk and re-embed everything.
        prune: remove indexed articles that are no longer in the sources.
        show_progress: tqdm progress bars on stderr.
        progress: called as progress(stage, done, total) with stage in "load", "chunk",
            "embed", "lexical", "write".
        lock_timeout: seconds to wait for another build of the same index.
        store: where the vectors live: "faiss" (files in the index, the default for a new
            index), "milvus://HOST:PORT/COLLECTION", "milvus-lite:PATH" (see
            `index.vectors.spec`), or a `StoreSpec`; None keeps the index's. A different
            one forces a full rebuild.
        checkpoints: when a progressive build publishes (default `CheckpointPolicy()`:
            builds of 512 chunks or more, every 4,096 chunks or 30 s).
        merges: when segments are merged (default `MergePolicy()`).

    Raises:
        IndexLockedError: another build held the lock for `lock_timeout` seconds.
        IndexFormatError: the existing index is unreadable (pass `full=True`).
        IndexStoreError: a source does not exist, or `index_dir` is not an index folder.
        VectorStoreError: a bad `store` spec, or the store cannot be used.
    """
    spec = None if store is None else parse_store_spec(store)
    if spec is not None:
        check_store(spec)  # a server that is down: fail before anything is written
    index_dir = prepare_index_dir(index_dir)
    request = SyncRequest(
        sources=None if sources is None else tuple(str(s) for s in sources),
        embedder=embedder,
        chunk_config=chunk_config,
        full=full,
        prune=prune,
        show_progress=show_progress,
        progress=progress,
        store=spec,
        checkpoints=checkpoints or CheckpointPolicy(),
        merges=merges or MergePolicy(),
    )
    with build_lock(index_dir, timeout=lock_timeout):
        return sync_locked(index_dir, request)


def sync_locked(index_dir: Path, request: SyncRequest) -> BuildReport:
    """The body of `build_index`; the caller holds the build lock.

    Raises:
        IndexStoreError: also when writing fails (a full disk, a read-only folder): the
            new generation is discarded and the previous one stays live.
    """
    try:
        return _sync(index_dir, request)
    except (OSError, sqlite3.OperationalError) as e:
        raise _write_failed(index_dir, e) from e
    except RuntimeError as e:  # FAISS reports failed writes as RuntimeError
        if "write error" not in str(e):
            raise
        raise _write_failed(index_dir, e) from e


def _write_failed(index_dir: Path, error: Exception) -> IndexStoreError:
    if isinstance(error, OSError) and error.strerror:
        where = f": '{error.filename}'" if error.filename else ""
        reason = f"{error.strerror}{where}"
    else:
        reason = short_reason(error)
    return IndexStoreError(
        f"could not write the index at '{index_dir}' ({reason}); the previous index is "
        "unchanged and still served. Free disk space or fix the folder's permissions, "
        "then run the build again"
    )


def _sync(index_dir: Path, request: SyncRequest) -> BuildReport:
    """Read the live generation, decide, scan, plan, then write (or do nothing)."""
    started = time.perf_counter()
    remove_leftovers(index_dir)
    _remove_unused_segments(index_dir)
    previous = read_previous(index_dir, full=request.full, sources_given=request.sources)
    config = request.chunk_config or _previous_config(previous) or ChunkConfig()
    store = request.store or (parse_store_spec(previous.manifest.store) if previous
                              else DEFAULT_STORE)
    reason = _full_rebuild_reason(request, previous, config, store)
    sources = resolve_sources(index_dir, request.sources,
                              previous.manifest.sources if previous else None)
    cache = FileCache.load(previous.folder) if previous and not request.full else None
    scan = scan_sources(index_dir, sources, cache=cache,
                        show_progress=request.show_progress, progress=request.progress)
    excluded = _excluded(previous, request.exclude, request.include)
    plan = plan_sync(scan.refs, previous.articles if previous else {},
                     excluded=excluded, prune=request.prune)
    if reason is None and previous and (plan.to_embed or previous.pending):
        reason = _embedder_change(request.embedder, previous)
    skipped = [*scan.skipped, *plan.skipped]
    if reason is None and previous and _is_noop(plan, previous, sources, excluded):
        _check_served_store(store, previous)
        logger.info("index '%s' is up to date", index_dir)
        return _report(index_dir, previous.folder, plan, skipped,
                       previous.manifest.counts.chunks, 0, started, None, 0)
    if reason:
        logger.info("full rebuild of '%s': %s", index_dir, reason)
    spec = GenerationSpec(
        embedder=request.embedder, chunking=config, store=store, sources=tuple(sources),
        excluded=tuple(sorted(excluded)), previous=previous,
        incremental=reason is None and previous is not None, file_cache=scan.cache,
        show_progress=request.show_progress, progress=request.progress,
        checkpoints=request.checkpoints, merges=request.merges,
    )
    if previous is not None and reason is None:
        spec = replace(spec, headline_only=load_boilerplate_pages(previous.folder))
    written = write_generation(index_dir, plan, spec)
    embedded, published = written.embedded_chunks, written.published
    flips = headline_flips(plan, written)
    if flips:
        written = reindex(index_dir, request.sources, plan, spec, written, flips)
        embedded, published = embedded + written.embedded_chunks, published + written.published
    return _report(index_dir, written.folder, plan, skipped, written.chunks, embedded,
                   started, reason, published, flips)


def _check_served_store(store: StoreSpec, previous: Previous) -> None:
    """A sync with nothing to write still checks that a Milvus collection it would serve
    is there (a dropped one: `VectorStoreError`, saying to rebuild); FAISS files are the
    reader's to check."""
    if store.kind != "faiss":
        store_backend(store).open_legacy(previous.folder).close()


def _remove_unused_segments(index_dir: Path) -> None:
    """Delete the segments no generation names (left by a crashed build). Only call
    holding the build lock; skipped when a generation cannot be read."""
    names: set[str] = set()
    for folder in index_dir.glob(GENERATION_GLOB):
        try:
            manifest = read_manifest(folder)
        except IndexFormatError:
            return
        names.update(n for ref in manifest.segments for n in (ref.name, *ref.parts))
    removed = remove_unreferenced(index_dir, names)
    if removed:
        logger.info("removed %d segment folders left by an interrupted build", removed)


def _full_rebuild_reason(
    request: SyncRequest, previous: Previous | None, config: ChunkConfig, store: StoreSpec
) -> str | None:
    """Why this sync must embed everything again, as far as the manifest tells."""
    if request.full:
        return "requested (full=True)"
    if previous is None:
        return None
    if previous.unreadable:
        return f"the previous index could not be read ({previous.unreadable})"
    old = previous.manifest
    if str(store) != old.store:
        return f"vector store changed from {old.store!r} to {str(store)!r}"
    if old.embedder.name != request.embedder.name:
        return f"embedder changed from {old.embedder.name!r} to {request.embedder.name!r}"
    if dict(old.chunking) != config.to_dict():
        return f"chunking changed from {dict(old.chunking)} to {config.to_dict()}"
    return None


def _embedder_change(embedder: Embedder, previous: Previous) -> str | None:
    """Vector-shape changes of a same-named embedder. Checked only when something is
    embedded: reading `dim` may load the model."""
    old = previous.manifest
    if embedder.dim != old.embedder.dim:
        return f"embedder dimension changed from {old.embedder.dim} to {embedder.dim}"
    mode = sentence_vector_mode(embedder)
    if mode != old.sentence_vectors:
        return f"sentence vectors changed from {old.sentence_vectors!r} to {mode!r}"
    return None


def _previous_config(previous: Previous | None) -> ChunkConfig | None:
    if previous is None:
        return None
    try:
        return ChunkConfig.from_dict(previous.manifest.chunking)
    except (ConfigError, TypeError):
        return None  # forces a full rebuild, with the reason


def _excluded(
    previous: Previous | None, exclude: Collection[str], include: Collection[str]
) -> set[str]:
    before = set(previous.manifest.excluded) if previous else set()
    return (before | set(exclude)) - set(include)


def _is_noop(
    plan: SyncPlan, previous: Previous, sources: Sequence[str], excluded: set[str]
) -> bool:
    old = previous.manifest
    return (
        not plan.changes_content
        and not previous.pending  # an interrupted build to resume
        and not old.legacy  # a format-1 index to upgrade
        and plan.duplicates == dict(old.duplicates)
        and list(sources) == list(old.sources)
        and excluded == set(old.excluded)
        # an index from before copies, or whose copies an earlier release's method found
        # (other thresholds): detect them again
        and stored_method(previous.folder) == METHOD
        # a sync stopped before it re-indexed the boilerplate pages it found: finish it
        and load_boilerplate_pages(previous.folder) == previous.headline_only()
    )


def _report(
    index_dir: Path,
    folder: Path,
    plan: SyncPlan,
    skipped: list[Skipped],
    chunks: int,
    embedded: int,
    started: float,
    reason: str | None,
    generations: int,
    reindexed: Sequence[str] = (),
) -> BuildReport:
    report = BuildReport(
        index_dir=index_dir,
        generation=generation_number(folder),
        added=plan.added,
        changed=plan.changed,
        removed=plan.removed,
        unchanged=plan.unchanged,
        duplicates=sorted(plan.duplicates),
        skipped=skipped,
        chunks=chunks,
        embedded_chunks=embedded,
        seconds=time.perf_counter() - started,
        full_rebuild_reason=reason,
        generations=generations,
        reindexed=list(reindexed),
    )
    logger.info("%s", report.summary())
    return report
