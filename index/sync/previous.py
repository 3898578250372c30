"""The live generation before a sync: its manifest, its segments and where its articles are.

`build_index` reads it first; what it finds there (and whether it can be read at all)
decides between an incremental and a full build (see `index.sync.build`). An incremental
build starts from `Previous.state()`: the same segments, parts and tombstones. A format-1
generation is read as one legacy segment, which the build rewrites (`index.sync.merge`).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.disk.documents import Documents
from index.disk.layout import FAISS_FILE, PART_FILE, live_generation
from index.disk.manifest import Manifest, SegmentRef, read_manifest
from index.disk.segment import open_segment
from index.disk.segments import Moved, PartInfo, read_deletions, read_info, segments_dir
from index.disk.sentences import ROWS_FILE
from index.errors import IndexFormatError, short_reason
from index.sync.plan import PreviousArticle
from index.sync.state import GenerationState, PartState, SegmentState
from index.vectors.faiss import FaissStore

__all__ = ["Previous", "read_previous"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Previous:
    """The live generation before a sync. `articles` say where each indexed article came
    from; `unreadable` says why its data cannot be carried over (a full rebuild follows);
    `docs` and `segments` are its data (None and () when unreadable)."""

    folder: Path
    manifest: Manifest
    articles: dict[str, PreviousArticle] = field(default_factory=dict)
    unreadable: str | None = None
    docs: Documents | None = None
    segments: tuple[tuple[SegmentRef, list[PartState]], ...] = ()
    deleted: dict[str, frozenset[str]] = field(default_factory=dict)
    moved: dict[str, Moved] = field(default_factory=dict)

    @property
    def pending(self) -> int:
        """Chunks without vectors (an interrupted progressive build left them)."""
        return self.manifest.counts.chunks - self.manifest.counts.embedded

    def names(self) -> set[str]:
        """The segment and part folders it uses."""
        if self.manifest.legacy:
            return set()
        return {n for ref, _ in self.segments for n in (ref.name, *ref.parts)}

    def headline_only(self) -> frozenset[str]:
        """Its live articles indexed by their headline alone (`index.sync.headlines`)."""
        return self.state().headline_only() if self.docs is not None else frozenset()

    def state(self) -> GenerationState:
        """A fresh state of the same segments, to build the next generation from."""
        assert self.docs is not None
        states = [
            SegmentState(segment, list(parts), set(self.deleted.get(ref.name, ())), ref,
                         dict(self.moved.get(ref.name, {})))
            for segment, (ref, parts) in zip(self.docs.segments, self.segments, strict=True)
        ]
        return GenerationState(states, self.manifest.next_row)


def read_previous(
    index_dir: Path, *, full: bool, sources_given: Sequence[str] | None
) -> Previous | None:
    """The live generation of `index_dir`, or None for a new index.

    Raises:
        IndexFormatError: the manifest is unreadable or from a newer newsqa, and this is
            not a full rebuild with sources given (which ignores the old index).
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
        return _read(index_dir, folder, manifest)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, sqlite3.DatabaseError) as e:
        return Previous(folder, manifest, unreadable=short_reason(e))


def _read(index_dir: Path, folder: Path, manifest: Manifest) -> Previous:
    if manifest.legacy:
        if manifest.store == "faiss":  # its vectors are rewritten into a part: readable?
            FaissStore.load(folder / FAISS_FILE)
        segment = open_segment(folder, legacy=True)
        info = segment.info
        ref = SegmentRef(segment.name, info.first_row, info.last_row, info.articles,
                         info.chunks, info.sentences, info.chunks)
        segments: tuple[tuple[SegmentRef, list[PartState]], ...] = (
            (ref, [PartState(folder, segment.rows, legacy=True)]),)
        deleted: dict[str, frozenset[str]] = {}
        moved: dict[str, Moved] = {}
        opened = [segment]
    else:
        deleted, moved = read_deletions(folder)
        root = segments_dir(index_dir)
        opened = [open_segment(root / ref.name) for ref in manifest.segments]
        segments = tuple((ref, [_part(root / name) for name in ref.parts])
                         for ref in manifest.segments)
    docs = Documents(opened, deleted, moved)
    entries = docs.entries()
    articles = dict(zip(entries, map(PreviousArticle._make, entries.values()), strict=True))
    if len(articles) != manifest.counts.articles:
        raise ValueError(f"{len(articles)} articles in the segments, the manifest says "
                         f"{manifest.counts.articles}")
    return Previous(folder, manifest, articles, None, docs, segments, deleted, moved)


def _part(folder: Path) -> PartState:
    read_info(folder, PART_FILE, PartInfo)  # every file there, none truncated
    rows = np.load(folder / ROWS_FILE, allow_pickle=False).astype(np.int64, copy=False)
    return PartState(folder, rows)
