"""What a build keeps of the generation it is making: its segments in row order, each
with its vector parts, tombstones and live counts (`SegmentState`), kept up to date as the
build tombstones articles, adds a segment, writes vector parts and merges segments.
`GenerationState.refs()` is what the manifest of each published generation lists.

Counts are carried from the previous generation's manifest and changed by what the
build does, so a sync that removes one article from a million-chunk segment reads only
that article's chunks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from index.disk.manifest import SegmentRef
from index.disk.segment import Segment
from index.vectors.base import PartVectors

__all__ = ["GenerationState", "PartState", "SegmentState"]


@dataclass(frozen=True)
class PartState:
    """A vector part: its folder (its name is the folder's) and the rows it holds.
    `legacy`: the vectors of a format-1 generation, in its own folder and SQLite file."""

    folder: Path
    rows: NDArray[np.int64]
    legacy: bool = False

    @property
    def name(self) -> str:
        return self.folder.name


@dataclass
class SegmentState:
    """One segment of the generation being made (see the module doc)."""

    segment: Segment
    parts: list[PartState]
    deleted: set[str]
    ref: SegmentRef
    moved: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    _embedded: NDArray[np.int64] | None = field(default=None, repr=False)

    @classmethod
    def new(cls, segment: Segment, parts: Iterable[PartState] = (),
            deleted: Iterable[str] = ()) -> SegmentState:
        """A segment whose counts are made from its files (new, merged or upgraded)."""
        info = segment.info
        state = cls(segment, list(parts), set(), SegmentRef(
            segment.name, info.first_row, info.last_row, info.articles, info.chunks,
            info.sentences, 0))
        state.ref = replace(state.ref, embedded=len(state.embedded_rows()))
        state.tombstone(deleted)
        return state

    @property
    def name(self) -> str:
        return self.segment.name

    def embedded_rows(self) -> NDArray[np.int64]:
        """Rows with a vector in some part (tombstoned ones included), ascending."""
        if self._embedded is None:
            rows = [p.rows for p in self.parts]
            self._embedded = (rows[0] if len(rows) == 1 else np.unique(np.concatenate(rows))
                              if rows else np.empty(0, np.int64))
        return self._embedded

    def live_rows(self) -> NDArray[np.int64]:
        return self.segment.rows[self.segment.live(self.deleted)[1]]

    def pending_rows(self) -> NDArray[np.int64]:
        """Live rows without a vector, ascending."""
        if self.ref.complete:
            return np.empty(0, np.int64)
        return np.setdiff1d(self.live_rows(), self.embedded_rows(), assume_unique=True)

    def tombstone(self, article_ids: Iterable[str]) -> NDArray[np.int64]:
        """Tombstone those of `article_ids` this segment holds alive; returns their rows."""
        fresh = [a for a in article_ids if a in self.segment.positions and a not in self.deleted]
        if not fresh:
            return np.empty(0, np.int64)
        rows = self.segment.rows_of(fresh)
        sentences = self.segment.docs.sentences_of(rows.tolist())
        embedded = int(np.isin(rows, self.embedded_rows(), assume_unique=True).sum())
        self.deleted.update(fresh)
        for article_id in fresh:
            self.moved.pop(article_id, None)
        ref = self.ref
        self.ref = replace(
            ref, articles=ref.articles - len(fresh), chunks=ref.chunks - len(rows),
            sentences=ref.sentences - sentences, embedded=ref.embedded - embedded,
            deleted=ref.deleted + len(rows))
        return rows

    def add_part(self, part: PartState) -> None:
        """A new part of rows that were pending."""
        self.parts.append(part)
        self._embedded = None
        self.ref = replace(self.ref, embedded=self.ref.embedded + len(part.rows))

    def part_vectors(self, live_only: bool = True) -> list[PartVectors]:
        """(folder, rows) of each part, the rows cut to the live ones if `live_only`."""
        if not live_only or not self.deleted:
            return [(p.folder, p.rows) for p in self.parts]
        live = self.live_rows()
        return [(p.folder, p.rows[np.isin(p.rows, live, assume_unique=True)])
                for p in self.parts]

    def manifest_ref(self) -> SegmentRef:
        return replace(self.ref, parts=tuple(p.name for p in self.parts))


@dataclass
class GenerationState:
    """The segments of the generation being made, in row order, and its next free row."""

    segments: list[SegmentState]
    next_row: int

    def refs(self) -> tuple[SegmentRef, ...]:
        return tuple(s.manifest_ref() for s in self.segments)

    def deleted(self) -> dict[str, frozenset[str]]:
        return {s.name: frozenset(s.deleted) for s in self.segments if s.deleted}

    def moved(self) -> dict[str, dict[str, tuple[str, str | None]]]:
        return {s.name: dict(s.moved) for s in self.segments if s.moved}

    def relocate(self, article_id: str, source: str, url: str | None) -> None:
        """Record a new source and url for a live, unchanged article."""
        for state in self.segments:
            if article_id in state.segment.positions and article_id not in state.deleted:
                position = state.segment.positions[article_id]
                if (state.segment.sources[position], state.segment.urls[position]) == (
                        source, url):
                    state.moved.pop(article_id, None)
                else:
                    state.moved[article_id] = (source, url)
                return

    def headline_only(self) -> frozenset[str]:
        """Its live articles indexed by their headline alone (`index.sync.headlines`)."""
        return frozenset(a for s in self.segments for a in s.segment.info.headline_only
                         if a not in s.deleted)

    def names(self) -> set[str]:
        """Every segment and part folder the generation uses."""
        return {n for s in self.segments if not s.segment.legacy
                for n in (s.name, *(p.name for p in s.parts))}

    def tombstone(self, article_ids: Iterable[str]) -> NDArray[np.int64]:
        """Tombstone the articles (wherever they live); returns their chunk rows."""
        ids = list(article_ids)
        rows = [s.tombstone(ids) for s in self.segments]
        return np.sort(np.concatenate(rows)) if rows else np.empty(0, np.int64)

    def find(self, name: str) -> SegmentState:
        return next(s for s in self.segments if s.name == name)

    def replace(self, old: Iterable[str], new: SegmentState | None) -> None:
        """Put `new` in place of the segments named `old` (adjacent), or just drop them."""
        names = set(old)
        at = min(i for i, s in enumerate(self.segments) if s.name in names)
        kept = [s for s in self.segments if s.name not in names]
        if new is not None:
            kept.insert(at, new)
        self.segments = kept
