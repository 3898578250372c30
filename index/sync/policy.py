"""When a build publishes while it embeds (`CheckpointPolicy`) and which segments it
merges afterwards (`MergePolicy`, `plan_merges`).

Merging follows Lucene's log merge policy over adjacent segments (so chunk rows stay in
ascending segment order): a segment's level is 0 below `floor_chunks` live chunks, then
one more for each `factor` times as many; `factor` adjacent complete segments of one
level are merged into one, which may cascade. A merge never makes a segment of more than
`max_chunks` (big segments stay apart, so one sync never rewrites the whole index); a
segment whose tombstones reach `deleted_fraction` of its chunks is rewritten without them
whatever its size; a segment whose articles are all tombstoned is dropped, and a complete
segment whose vectors are spread over several parts (a progressive build's checkpoints)
gets them rewritten as one part. The cost of a merge is proportional to what it rewrites,
so over many syncs each chunk is rewritten about log_factor(index size / floor) times.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from corpus.errors import ConfigError
from index.disk.manifest import SegmentRef

__all__ = ["CheckpointPolicy", "Merge", "MergePolicy", "plan_merges"]


@dataclass(frozen=True, kw_only=True)
class CheckpointPolicy:
    """A build that embeds at least `min_chunks` chunks publishes a generation with the
    new articles' text, chunks and BM25 before it embeds, then one with more vectors after
    every `every_chunks` chunks or `every_s` seconds of embedding (whichever comes first),
    and the last when it is done. Smaller builds publish once, at the end."""

    min_chunks: int = 512
    every_chunks: int = 4096
    every_s: float = 30.0

    def __post_init__(self) -> None:
        if self.min_chunks < 0 or self.every_chunks < 1 or not self.every_s > 0:
            raise ConfigError(
                f"checkpoints need min_chunks >= 0, every_chunks >= 1 and every_s > 0, not "
                f"{self.min_chunks!r}, {self.every_chunks!r}, {self.every_s!r}")

    def progressive(self, chunks: int) -> bool:
        return chunks >= max(self.min_chunks, 1)

    def due(self, chunks_since: int, seconds_since: float) -> bool:
        return chunks_since >= self.every_chunks or seconds_since >= self.every_s


@dataclass(frozen=True, kw_only=True)
class MergePolicy:
    """See the module doc."""

    factor: int = 8
    floor_chunks: int = 2048
    max_chunks: int = 500_000
    deleted_fraction: float = 1 / 3

    def __post_init__(self) -> None:
        if self.factor < 2 or self.floor_chunks < 1 or self.max_chunks < 1 or not (
            0 < self.deleted_fraction <= 1
        ):
            raise ConfigError(
                f"merges need factor >= 2, floor_chunks >= 1, max_chunks >= 1 and 0 < "
                f"deleted_fraction <= 1, not {self.factor!r}, {self.floor_chunks!r}, "
                f"{self.max_chunks!r}, {self.deleted_fraction!r}")

    def level(self, chunks: int) -> int:
        if chunks < self.floor_chunks:
            return 0
        return 1 + math.floor(math.log(chunks / self.floor_chunks, self.factor) + 1e-9)


@dataclass(frozen=True)
class Merge:
    """One step: "merge" rewrites the `names` segments (adjacent) as one, "parts" rewrites
    one segment's vector parts as one part, "drop" removes a segment with nothing live."""

    kind: Literal["merge", "parts", "drop"]
    names: tuple[str, ...]


def plan_merges(segments: Sequence[SegmentRef], policy: MergePolicy) -> list[Merge]:
    """The merges to run on `segments` (in row order), in order; each segment is in at
    most one step."""
    steps: list[Merge] = []
    taken: set[str] = set()
    for ref in segments:
        if ref.chunks == 0 and ref.articles == 0:
            steps.append(Merge("drop", (ref.name,)))
            taken.add(ref.name)
        elif ref.complete and ref.deleted and ref.deleted >= policy.deleted_fraction * (
            ref.chunks + ref.deleted
        ):
            steps.append(Merge("merge", (ref.name,)))
            taken.add(ref.name)
    for run in _runs(segments, policy, taken):
        steps.append(Merge("merge", tuple(run)))
        taken.update(run)
    steps += [Merge("parts", (r.name,)) for r in segments
              if r.name not in taken and r.complete and len(r.parts) > 1]
    return steps


def _runs(segments: Sequence[SegmentRef], policy: MergePolicy,
          taken: set[str]) -> list[list[str]]:
    """Groups of `factor` adjacent complete segments of one level (segments in `taken`
    break runs), oldest first, as long as one merge cascades into the next (simulated on
    sizes)."""
    queue = [(r.name, r.chunks, r.complete and r.name not in taken) for r in segments]
    merged_into: dict[str, list[str]] = {}
    changed = True
    while changed:
        changed = False
        for start in range(len(queue) - policy.factor + 1):
            window = queue[start : start + policy.factor]
            levels = {policy.level(size) for _, size, _ in window}
            total = sum(size for _, size, _ in window)
            if all(ok for *_, ok in window) and len(levels) == 1 and total <= policy.max_chunks:
                members = [m for name, _, _ in window for m in merged_into.pop(name, [name])]
                name = f"<merged {members[0]}>"
                merged_into[name] = members
                queue[start : start + policy.factor] = [(name, total, True)]
                changed = True
                break
    return list(merged_into.values())
