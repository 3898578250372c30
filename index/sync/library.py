"""Add uploaded files to an index, or remove articles from it.

Added files are copied into `INDEX/library/` under generated safe names (a sanitised
stem, never the uploaded path) and the index is synced. Removing an article deletes its
library file when the file holds nothing else, and records the id in the manifest's
`excluded` list, which later syncs honour (adding the file again lifts it).
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from corpus.errors import ArticleFormatError
from corpus.load import SUPPORTED_EXTENSIONS, Skipped, load_articles, load_file
from index.disk.layout import (
    fsync_dir,
    live_generation,
    prepare_index_dir,
    require_generation,
    write_atomic,
)
from index.disk.locking import DEFAULT_LOCK_TIMEOUT, build_lock
from index.disk.manifest import read_manifest
from index.embedding.base import Embedder
from index.errors import ArticleNotFoundError, IndexStoreError
from index.sync.build import BuildReport, SyncRequest, sync_locked
from index.sync.previous import read_previous
from index.sync.progress import Progress
from index.sync.sources import library_dir

__all__ = ["MAX_FILE_BYTES", "add_files", "remove_articles"]

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 20 * 1024 * 1024
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def add_files(
    index_dir: str | Path,
    paths: Sequence[str | Path],
    *,
    embedder: Embedder,
    show_progress: bool = False,
    progress: Progress | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> BuildReport:
    """Copy article files into the index's library and sync the index.

    Files that are too large (over 20 MB), of an unsupported type, unreadable, or already
    in the library are not copied; they are listed in the report's `skipped`. Articles a
    user removed earlier are indexed again when their file is added again.

    Raises:
        IndexLockedError, IndexFormatError: as `build_index`.
    """
    index_dir = prepare_index_dir(index_dir)
    with build_lock(index_dir, timeout=lock_timeout):
        library = library_dir(index_dir)
        library.mkdir(exist_ok=True)
        live = live_generation(index_dir)
        taken = _indexed_ids(index_dir) if live is not None else set()
        skipped: list[Skipped] = []
        added_ids: set[str] = set()
        for path in map(Path, paths):
            added_ids.update(_copy_in(path, library, taken, skipped))
        fsync_dir(library)
        exists = live is not None
        request = SyncRequest(
            sources=None if exists else (),
            embedder=embedder,
            show_progress=show_progress,
            progress=progress,
            include=frozenset(added_ids),
        )
        report = sync_locked(index_dir, request)
    return replace(report, skipped=[*skipped, *report.skipped])


def _indexed_ids(index_dir: Path) -> set[str]:
    """The ids of the live generation's articles and of the duplicates left out."""
    previous = read_previous(index_dir, full=False, sources_given=None)
    if previous is None:
        return set()
    return set(previous.articles) | set(previous.manifest.duplicates)


def _copy_in(path: Path, library: Path, taken: set[str], skipped: list[Skipped]) -> list[str]:
    """Copy one file into `library`; returns the ids of its articles ([] when skipped).

    The file's name (hence its article id) avoids the `taken` ids, so an upload never
    collides with an indexed article.
    """

    def skip(reason: str) -> list[str]:
        skipped.append(Skipped(source=path.name, line=None, reason=reason))
        return []

    extension = path.suffix.lower()
    if extension not in SUPPORTED_EXTENSIONS:
        return skip(f"unsupported file type {path.suffix!r}; use one of "
                    + ", ".join(SUPPORTED_EXTENSIONS))
    if not path.is_file():
        return skip("not a file")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        return skip(f"file is {size / 2**20:.1f} MB; the limit is {MAX_FILE_BYTES // 2**20} MB")
    data = path.read_bytes()
    existing = _same_content(library, data)
    if existing is not None:
        logger.info("'%s' is already in the library as '%s'", path.name, existing.name)
        target = existing
    else:
        target = library / _safe_name(path.stem, extension, library, taken)
        try:
            write_atomic(target, data)
        except OSError as e:  # a full disk: nothing half-written is left behind
            raise IndexStoreError(
                f"could not copy '{path.name}' into '{library}' ({e.strerror or e}); nothing "
                "was added. Free disk space, then add the files again"
            ) from e
    try:
        return [a.id for a in load_file(target, root=library)]
    except ArticleFormatError as e:
        if existing is None:
            target.unlink(missing_ok=True)
        return skip(e.reason)


def _same_content(library: Path, data: bytes) -> Path | None:
    digest = hashlib.sha256(data).digest()
    for other in library.iterdir():
        same_size = other.is_file() and other.stat().st_size == len(data)
        if same_size and hashlib.sha256(other.read_bytes()).digest() == digest:
            return other
    return None


def _safe_name(stem: str, extension: str, library: Path, taken: set[str]) -> str:
    """A file name made of [A-Za-z0-9._-] from `stem`, unused in `library`, whose stem
    is not a `taken` article id."""
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    base = _UNSAFE.sub("-", ascii_stem).strip(".-_")[:80] or "upload"
    candidate, n = base, 2
    while candidate in taken or any(library.glob(f"{candidate}.*")):
        candidate, n = f"{base}-{n}", n + 1
    return f"{candidate}{extension}"


def remove_articles(
    index_dir: str | Path,
    article_ids: Sequence[str],
    *,
    embedder: Embedder,
    show_progress: bool = False,
    progress: Progress | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> BuildReport:
    """Remove articles (and articles left out as their duplicates) from the index.

    Raises:
        IndexNotFoundError: no index at `index_dir`.
        ArticleNotFoundError: an id is not in the index; nothing is removed.
    """
    index_dir = Path(index_dir)
    require_generation(index_dir)
    with build_lock(index_dir, timeout=lock_timeout):
        manifest = read_manifest(require_generation(index_dir))
        known = _indexed_ids(index_dir)
        unknown = [a for a in article_ids if a not in known]
        if unknown:
            raise ArticleNotFoundError(
                f"no article {unknown[0]!r} in index '{index_dir}'; nothing was removed"
            )
        targets = set(article_ids)
        targets |= {dup for dup, kept in manifest.duplicates.items() if kept in targets}
        _delete_library_files(library_dir(index_dir), targets)
        # Excluded too, so an article of the same id elsewhere in the sources stays out.
        request = SyncRequest(
            sources=None,
            embedder=embedder,
            show_progress=show_progress,
            progress=progress,
            exclude=frozenset(targets),
        )
        return sync_locked(index_dir, request)


def _delete_library_files(library: Path, targets: set[str]) -> None:
    """Delete the library files whose articles are all in `targets`."""
    if not library.is_dir():
        return
    by_file: dict[str, list[str]] = {}
    for article in load_articles([library]).articles:
        by_file.setdefault(article.source, []).append(article.id)
    for source, ids in by_file.items():
        if set(ids) <= targets:
            (library / source).unlink(missing_ok=True)
            logger.info("deleted '%s' from the library", source)
    fsync_dir(library)
