"""Publishing the generations a build makes: each one a small commit folder naming
segments that are already written.

`Publisher.publish` writes a `tmp-*` folder with the tombstones (`deletions.json`), the
source file cache, the syndicated copies (`index.sync.copies`), the vector store's
record (Milvus) and `manifest.json` last, every file
fsynced, then `layout.publish` swaps it in. Afterwards it keeps the new generation and the
one before it, deletes older generation folders, then the segments and parts neither kept
generation names (in that order, so a reader that finds a segment missing finds its
generation folder gone too, and retries). A build may publish several times (text first,
then vectors as they come, then merges); each publication is complete and atomic.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from index.disk.documents import Documents
from index.disk.layout import (
    COPIES_FILE,
    COPIES_RECORDS_FILE,
    COPIES_SIGNATURES_FILE,
    fsync_file,
    new_build_dir,
    publish,
    remove_old_generations,
)
from index.disk.manifest import (
    Counts,
    EmbedderInfo,
    Manifest,
    now_iso,
    package_version,
    write_manifest,
)
from index.disk.segments import remove_unreferenced, write_deletions
from index.sync.copies import write_copies
from index.sync.file_cache import FileCache
from index.sync.state import GenerationState
from index.vectors.base import VectorWriter

__all__ = ["Publisher", "Template"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class Template:
    """What every generation of one build says besides its segments."""

    embedder: EmbedderInfo
    sentence_vectors: str
    chunking: dict
    sources: tuple[str, ...]
    excluded: tuple[str, ...]
    duplicates: dict[str, str]
    store: str


@dataclass
class Publisher:
    """Publishes the states of one build (see the module doc). `kept` starts with the
    live generation before the build (its folder and the segment names it uses)."""

    index_dir: Path
    template: Template
    vectors: VectorWriter
    file_cache: FileCache | None
    kept: list[tuple[Path, set[str]]] = field(default_factory=list)
    published: int = 0
    _copied: dict[str, str] | None = field(default=None, repr=False)

    def publish(self, state: GenerationState) -> Path:
        """Publish `state` as the live generation; returns its folder."""
        manifest = Manifest(
            built_at=now_iso(),
            package_version=package_version(),
            embedder=self.template.embedder,
            chunking=self.template.chunking,
            sentence_vectors=self.template.sentence_vectors,
            sources=self.template.sources,
            counts=Counts(0, 0, 0, 0),
            segments=state.refs(),
            duplicates=dict(sorted(self.template.duplicates.items())),
            excluded=self.template.excluded,
            next_row=state.next_row,
            store=self.template.store,
        ).with_counts()
        build_dir = new_build_dir(self.index_dir)
        try:
            written = self.vectors.checkpoint(build_dir)
            write_deletions(build_dir, state.deleted(), state.moved())
            written = [*written, *self._copies(build_dir, state)]
            if self.file_cache is not None:
                self.file_cache.save(build_dir)
            for path in written:
                fsync_file(path)
            write_manifest(build_dir, manifest)
            final = publish(self.index_dir, build_dir)
        except BaseException:
            shutil.rmtree(build_dir, ignore_errors=True)
            raise
        self.published += 1
        self.kept = [*self.kept[-1:], (final, state.names())]
        remove_old_generations(self.index_dir, keep=tuple(folder for folder, _ in self.kept))
        referenced = set().union(*(names for _, names in self.kept))
        remove_unreferenced(self.index_dir, referenced)
        counts = manifest.counts
        logger.info("published '%s' (%s chunks, %s embedded, %d segments)", final,
                    f"{counts.chunks:,}", f"{counts.embedded:,}", len(state.segments))
        return final

    def _copies(self, build_dir: Path, state: GenerationState) -> list[Path]:
        """Write the syndicated copies of `state`'s articles (`index.sync.copies`), reusing
        what the last generation kept found. When the articles are those of the last
        publication (a progressive build's checkpoints, merges), its files are linked
        instead: they are immutable, and rewriting them at every checkpoint would cost
        what the copies of every article weigh."""
        docs = Documents([s.segment for s in state.segments], state.deleted(), state.moved())
        hashes = {aid: entry[0] for aid, entry in docs.entries().items()}
        last = self.kept[-1][0] if self.kept and self.kept[-1][0].is_dir() else None
        if last is not None and hashes == self._copied:
            linked = _link_copies(last, build_dir)
            if linked:
                return []  # already durable: the files of a published generation
        self._copied = hashes
        return write_copies(build_dir, last, hashes, docs.article)

    @property
    def folders(self) -> list[Path]:
        """The generation folders kept (the last published one last)."""
        return [folder for folder, _ in self.kept if folder.is_dir()]


def _link_copies(source: Path, target: Path) -> bool:
    """Hard-link (else copy) the copies files of generation `source` into `target`; False
    when `source` has none."""
    names = (COPIES_FILE, COPIES_SIGNATURES_FILE, COPIES_RECORDS_FILE)
    if not all((source / name).is_file() for name in names):
        return False
    for name in names:
        try:
            os.link(source / name, target / name)
        except OSError:
            shutil.copyfile(source / name, target / name)
            fsync_file(target / name)
    return True
