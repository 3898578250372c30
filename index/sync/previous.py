"""The live generation before a sync: its manifest and where its articles are.

`build_index` reads it first; what it finds there (and whether it can be read at all)
decides between an incremental and a full build (see `index.sync.build`).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from index.disk.docstore import DocStore
from index.disk.layout import SQLITE_FILE, live_generation
from index.disk.manifest import Manifest, read_manifest
from index.errors import IndexFormatError, short_reason
from index.sync.plan import PreviousArticle

__all__ = ["Previous", "read_previous"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Previous:
    """The live generation before a sync. `articles` say where each indexed article came
    from; `unreadable` says why its data cannot be carried over (a full rebuild follows)."""

    folder: Path
    manifest: Manifest
    articles: dict[str, PreviousArticle] = field(default_factory=dict)
    unreadable: str | None = None


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
        with closing(DocStore(folder / SQLITE_FILE)) as docs:
            locations = docs.locations()
    except (OSError, ValueError, KeyError, sqlite3.DatabaseError) as e:
        return Previous(folder, manifest, _articles(manifest, {}), unreadable=short_reason(e))
    return Previous(folder, manifest, _articles(manifest, locations))


def _articles(
    manifest: Manifest, locations: dict[str, tuple[str, str | None]]
) -> dict[str, PreviousArticle]:
    return {
        aid: PreviousArticle(entry.content_hash, *locations.get(aid, (entry.source, None)))
        for aid, entry in manifest.articles.items()
    }
