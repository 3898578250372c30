"""Write what a build planned, publishing generations as it goes.

An incremental build starts from the live generation's segments: it tombstones the
changed and removed articles, records moved ones, and writes the new and changed articles
as one new segment (text, chunks, BM25; a format-1 generation is first rewritten as a
segment). A full build writes every article into a new segment and nothing else. Then it
embeds what has no vectors: the new segment's chunks and, when an earlier build was
interrupted, the chunks it left without vectors (resuming).

A build with at least `CheckpointPolicy.min_chunks` chunks to embed is progressive: it
publishes the generation with the new text first (BM25 answers at once, dense search
covers what has vectors), then, every `every_chunks` chunks or `every_s` seconds, a
vector part per segment and a generation with those vectors; Ctrl-C publishes what is
embedded before it stops. Once everything is embedded it runs the merge policy and
publishes the last generation. Every generation is complete and atomic
(`index.sync.commit`); a crash leaves the last one published, and the next build resumes
from it. The result does not depend on where a build was interrupted: the same chunks
with the same vectors, merged the same way.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from corpus import Article
from corpus.chunking import ChunkConfig
from index.disk.manifest import EmbedderInfo
from index.embedding.base import Embedder, sentence_vector_mode
from index.errors import IndexStoreError
from index.sync.commit import Publisher, Template
from index.sync.file_cache import FileCache
from index.sync.ingest import Embedded, Pending, embed_slices, pending_chunks
from index.sync.merge import MergeContext, merge_segments, run_merges
from index.sync.plan import SyncPlan
from index.sync.policy import CheckpointPolicy, MergePolicy, plan_merges
from index.sync.previous import Previous
from index.sync.progress import Progress, tell
from index.sync.sources import load_refs
from index.sync.state import GenerationState, SegmentState
from index.sync.writing import Buffer, write_part, write_segment
from index.vectors.base import StoreBackend, VectorWriter
from index.vectors.factory import store_backend
from index.vectors.spec import StoreSpec

__all__ = ["GenerationSpec", "Written", "write_generation"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class GenerationSpec:
    """How to write the next generations. `previous` is the live generation (None for a
    new index); `incremental` builds on its segments, else everything is embedded again."""

    embedder: Embedder
    chunking: ChunkConfig
    store: StoreSpec
    sources: tuple[str, ...]
    excluded: tuple[str, ...]
    previous: Previous | None = None
    incremental: bool = False
    file_cache: FileCache | None = None
    show_progress: bool = False
    progress: Progress | None = None
    checkpoints: CheckpointPolicy = field(default_factory=CheckpointPolicy)
    merges: MergePolicy = field(default_factory=MergePolicy)
    headline_only: frozenset[str] = frozenset()  # written by their headline alone


@dataclass(frozen=True)
class Written:
    """The last generation published, its live chunks, the chunks this build embedded,
    how many generations it published, and its articles indexed by their headline alone."""

    folder: Path
    chunks: int
    embedded_chunks: int
    published: int
    headline_only: frozenset[str] = frozenset()


def write_generation(index_dir: Path, plan: SyncPlan, spec: GenerationSpec) -> Written:
    """Write and publish what `plan` and `spec` describe (see the module doc)."""
    backend = store_backend(spec.store)
    previous = spec.previous if spec.incremental else None
    state = previous.state() if previous is not None else GenerationState([], 0)
    dim = previous.manifest.embedder.dim if previous is not None else None
    writer = backend.writer(dim if dim is not None else spec.embedder.dim,
                            previous=spec.previous.folder if spec.previous else None,
                            full=previous is None)
    with closing(writer):
        if previous is not None:
            writer.remove(state.tombstone([*plan.changed, *plan.removed]))
            for ref in plan.relocated:
                state.relocate(ref.id, ref.source, ref.url)
            articles = load_refs(plan.to_embed)
        else:
            articles = load_refs(plan.kept) + _carried_articles(plan, spec.previous)
        resumed = _resumed(state)
        template = _template(plan, spec, previous, bool(articles or resumed))
        dim = template.embedder.dim
        kept = [(spec.previous.folder, spec.previous.names())] if spec.previous else []
        publisher = Publisher(index_dir, template, writer, spec.file_cache, kept)
        context = MergeContext(index_dir, backend, dim)
        _upgrade(state, context)
        pending = [(s.name, p) for s, p in resumed]
        if articles:
            new, chunked = write_segment(index_dir, articles, start_row=state.next_row,
                                         embedder=spec.embedder, config=spec.chunking,
                                         progress=spec.progress,
                                         headline_only=spec.headline_only)
            state.segments.append(new)
            state.next_row = chunked.next_row
            pending += [(new.name, p) for p in chunked.pending]
        embedded = _embed(pending, state, spec, publisher, writer, dim, index_dir)
        tell(spec.progress, "write", 0, 1)
        run_merges(state, plan_merges(state.refs(), spec.merges), context)
        final = publisher.publish(state)
    tell(spec.progress, "write", 1, 1)
    _collect(backend, publisher.folders)
    chunks = sum(s.ref.chunks for s in state.segments)
    return Written(final, chunks, embedded, publisher.published, state.headline_only())


def _template(plan: SyncPlan, spec: GenerationSpec, previous: Previous | None,
              embeds: bool) -> Template:
    """What every generation of this build says; an incremental build that embeds
    nothing keeps the model record it had (reading `dim` may load the model)."""
    base = previous.manifest if previous is not None and not embeds else None
    embedder = spec.embedder
    return Template(
        embedder=base.embedder if base else EmbedderInfo(embedder.name, embedder.dim,
                                                         embedder.max_tokens),
        sentence_vectors=base.sentence_vectors if base else sentence_vector_mode(embedder),
        chunking=spec.chunking.to_dict(),
        sources=spec.sources,
        excluded=spec.excluded,
        duplicates=dict(plan.duplicates),
        store=str(spec.store),
    )


def _upgrade(state: GenerationState, context: MergeContext) -> None:
    """Rewrite a format-1 generation's data as a segment (its tombstones applied)."""
    for old in [s for s in state.segments if s.segment.legacy]:
        logger.info("rewriting the index's %s chunks as a segment (a one-time upgrade)",
                    f"{old.ref.chunks:,}")
        state.replace([old.name], merge_segments([old], context))


def _resumed(state: GenerationState) -> list[tuple[SegmentState, Pending]]:
    """The chunks of earlier builds still without vectors, to embed now."""
    out: list[tuple[SegmentState, Pending]] = []
    for segment_state in state.segments:
        rows = segment_state.pending_rows()
        if not len(rows):
            continue
        docs = segment_state.segment.docs
        chunks = docs.chunks(rows.tolist())
        titles = docs.titles({c.article_id for c in chunks.values()})
        out += [(segment_state, p) for p in
                pending_chunks(chunks, titles, segment_state.segment.info.headline_only)]
    if out:
        logger.info("resuming: %s chunks of an earlier build have no vectors yet",
                    f"{len(out):,}")
    return out


def _embed(
    pending: Sequence[tuple[str, Pending]],
    state: GenerationState,
    spec: GenerationSpec,
    publisher: Publisher,
    writer: VectorWriter,
    dim: int,
    index_dir: Path,
) -> int:
    """Embed `pending` (segment name, chunk) into parts, publishing checkpoints when the
    build is progressive; returns how many chunks were embedded."""
    policy = spec.checkpoints
    progressive = policy.progressive(len(pending))
    if progressive:
        publisher.publish(state)  # the text first
        logger.info("the new articles are answerable now (BM25); embedding %s chunks, dense "
                    "search covers them as generations with their vectors are published",
                    f"{len(pending):,}")
    owners = {p.row: name for name, p in pending}
    buffer, done = Buffer.empty(), 0
    last = time.monotonic()
    try:
        for embedded in embed_slices([p for _, p in pending], spec.embedder,
                                     show_progress=spec.show_progress,
                                     progress=spec.progress):
            for name, block in _by_segment(embedded, owners):
                buffer.add(name, block)
            done += len(embedded.rows)
            if progressive and policy.due(len(buffer), time.monotonic() - last):
                _flush(buffer, state, writer, dim, index_dir)
                publisher.publish(state)
                buffer, last = Buffer.empty(), time.monotonic()
    except KeyboardInterrupt:
        if progressive and len(buffer):
            logger.warning("interrupted: publishing the %s chunks embedded so far",
                           f"{len(buffer):,}")
            _flush(buffer, state, writer, dim, index_dir)
            publisher.publish(state)
        raise
    _flush(buffer, state, writer, dim, index_dir)
    if done != len(pending):
        raise IndexStoreError(f"internal error: {done} of {len(pending)} chunks embedded")
    return done


def _by_segment(embedded: Embedded, owners: dict[int, str]) -> list[tuple[str, Embedded]]:
    names = [owners[int(r)] for r in embedded.rows]
    if len(set(names)) == 1:
        return [(names[0], embedded)]
    out = []
    for name in dict.fromkeys(names):
        mine = np.array([n == name for n in names])
        out.append((name, Embedded(embedded.rows[mine], embedded.chunk_vectors[mine],
                                   [v for v, m in zip(embedded.sentence_vectors, mine,
                                                      strict=True) if m])))
    return out


def _flush(buffer: Buffer, state: GenerationState, writer: VectorWriter, dim: int,
           index_dir: Path) -> None:
    """Write what `buffer` holds as one vector part per segment."""
    for name, blocks in buffer.blocks.items():
        state.find(name).add_part(write_part(index_dir, name, blocks, writer, dim))


def _carried_articles(plan: SyncPlan, previous: Previous | None) -> list[Article]:
    """For a full rebuild without pruning: the previous articles no longer in the sources,
    read back from the previous generation."""
    if not plan.carried or previous is None or previous.docs is None:
        return []
    try:
        return [previous.docs.article(aid) for aid in plan.carried]
    except (KeyError, OSError) as e:
        logger.warning("cannot carry %d articles over from '%s' (%s)", len(plan.carried),
                       previous.folder, e)
        return []


def _collect(backend: StoreBackend, kept: list[Path]) -> None:
    """Free the vectors of deleted generations; the build is published whatever happens."""
    try:
        backend.collect(kept)
    except IndexStoreError as e:
        logger.warning("could not free the vectors of old generations (%s); the next build "
                       "tries again", e)
