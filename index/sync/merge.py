"""Running the merges `index.sync.policy.plan_merges` chose, on a build's state.

A merge writes one new segment from the live articles of adjacent segments (SQLite copies
the rows itself; the BM25 postings are merged as arrays, tombstoned documents dropped)
and one vector part from the live rows of their parts (sentence vectors streamed from
file to file; FAISS vectors re-added, so a large part becomes IVF; a Milvus server's
vectors stay where they are, rows never change). Tombstones of merged segments disappear
with them. Nothing a published generation uses is touched: readers of older generations
keep the segments they opened, which are deleted once no kept generation names them.
The same rewrite upgrades a format-1 generation into a segment.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.disk.docstore import DocWriter
from index.disk.layout import DOCS_FILE
from index.disk.lexical import LexicalSegment
from index.disk.segment import shared
from index.disk.segments import PART_PREFIX, SEGMENT_PREFIX
from index.disk.sentences import LegacySentences, SentencePart, copy_sentences
from index.sync.policy import Merge
from index.sync.state import GenerationState, PartState, SegmentState
from index.sync.writing import finish_part, new_folder, seal_segment
from index.vectors.base import StoreBackend

__all__ = ["MergeContext", "merge_segments", "run_merges"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MergeContext:
    index_dir: Path
    backend: StoreBackend
    dim: int


def run_merges(state: GenerationState, steps: Sequence[Merge], context: MergeContext) -> None:
    """Apply `steps` to `state` (new folders are written; nothing is published)."""
    for step in steps:
        started = time.perf_counter()
        if step.kind == "drop":
            state.replace(step.names, None)
        elif step.kind == "parts":
            _merge_parts(state.find(step.names[0]), context)
        else:
            merged = merge_segments([state.find(n) for n in step.names], context)
            state.replace(step.names, merged)
        logger.info("%s %s in %.1f s", step.kind, ", ".join(step.names),
                    time.perf_counter() - started)


def merge_segments(inputs: Sequence[SegmentState], context: MergeContext) -> SegmentState:
    """One new segment of the live articles of `inputs` (adjacent, in row order)."""
    folder = new_folder(context.index_dir, SEGMENT_PREFIX)
    try:
        docs = DocWriter(folder / DOCS_FILE)
        try:
            for state in inputs:
                docs.copy_from(state.segment.docs.path, state.deleted, state.moved)
            lexical = LexicalSegment.merged(
                [(s.segment.lexical(), s.segment.live(s.deleted)[1]) for s in inputs])
        except BaseException:
            docs.abort()
            raise
        headlines = {a for s in inputs for a in s.segment.info.headline_only
                     if a not in s.deleted}
        segment = seal_segment(folder, docs, lexical, headline_only=sorted(headlines))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    part = _merged_part(inputs, segment.name, context)
    return SegmentState.new(segment, [part] if part is not None else [])


def _merge_parts(state: SegmentState, context: MergeContext) -> None:
    """Rewrite the vector parts of one segment as one part (tombstoned rows left out)."""
    part = _merged_part([state], state.name, context)
    state.parts = [part] if part is not None else []
    state._embedded = None


def _merged_part(inputs: Sequence[SegmentState], segment: str,
                 context: MergeContext) -> PartState | None:
    """One part with the vectors of the live embedded rows of `inputs`; None if none."""
    kept = [(state, part, part.rows[np.isin(part.rows, live, assume_unique=True)])
            for state in inputs for live in [state.live_rows()] for part in state.parts]
    rows = np.sort(np.concatenate([k for *_, k in kept])) if kept else np.empty(0, np.int64)
    if not len(rows):
        return None
    counts = np.concatenate([
        state.segment.chunk_sentences()[np.searchsorted(state.segment.rows, mine)]
        for state in inputs
        for mine in [rows[(rows >= state.ref.first_row) & (rows <= state.ref.last_row)]]
    ])
    sources = [_sentences(state, part, context.dim) for state, part, _ in kept]
    folder = new_folder(context.index_dir, PART_PREFIX)
    try:
        paths = copy_sentences(folder, context.dim, rows, counts, sources)
        flushed = context.backend.merge([(p.folder, k) for _, p, k in kept], folder)
        return finish_part(folder, segment, rows, int(counts.sum()), [*paths, *flushed],
                           faiss=bool(flushed))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _sentences(state: SegmentState, part: PartState,
               dim: int) -> SentencePart | LegacySentences:
    if part.legacy:
        return LegacySentences(state.segment.docs, part.rows, dim)
    return shared("sentences", part.folder, "part.json", lambda: SentencePart(part.folder, dim))
