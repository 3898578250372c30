"""Which files a sync reads: the sources given or remembered, plus the index's library."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

import corpus
from corpus import Article
from corpus.load import ArticleFile, Skipped, duplicate_id, find_files, read_file
from index.disk.layout import LIBRARY_DIR
from index.errors import IndexStoreError
from index.sync.file_cache import FileCache, file_stamp
from index.sync.plan import ArticleRef
from index.sync.progress import Progress, tell

__all__ = [
    "Scan",
    "bundled_articles",
    "library_dir",
    "load_refs",
    "resolve_sources",
    "scan_sources",
]

logger = logging.getLogger(__name__)


def bundled_articles() -> Path:
    """The articles shipped with newsqa (`corpus.BUNDLED_ARTICLES`)."""
    bundled = getattr(corpus, "BUNDLED_ARTICLES", None)
    return Path(bundled) if bundled else Path(corpus.__file__).parent / "articles"


def library_dir(index_dir: Path) -> Path:
    return index_dir / LIBRARY_DIR


def resolve_sources(
    index_dir: Path, given: Sequence[str] | None, recorded: Sequence[str] | None
) -> list[str]:
    """The sources to sync from: `given`, else those `recorded` in the live generation's
    manifest, else the bundled articles (for a new index). Every one must exist, so a
    moved folder never silently empties the index."""
    if given is not None:
        sources = list(given)
    elif recorded is not None:
        sources = list(recorded)
    else:
        sources = [str(bundled_articles())]
    for source in sources:
        if not Path(source).exists():
            origin = "given" if given is not None else f"recorded in index '{index_dir}'"
            raise IndexStoreError(
                f"source '{source}' ({origin}) does not exist; pass the article folders "
                "and files to sync from"
            )
    return sources


@dataclass(frozen=True)
class Scan:
    """What a sync found in its sources: an `ArticleRef` per article (load order, later
    duplicates of an id left out), what was skipped, and the file cache to save."""

    refs: list[ArticleRef]
    skipped: list[Skipped]
    cache: FileCache


def scan_sources(
    index_dir: Path,
    sources: Sequence[str],
    *,
    cache: FileCache | None = None,
    show_progress: bool = False,
    progress: Progress | None = None,
) -> Scan:
    """Find every article of `sources` and of the index's library folder.

    Files that `cache` (the previous sync's) saw with the same size, times and inode are
    not read again: their articles come back as refs without the article itself (see
    `load_refs`). Every other file is parsed.
    """
    started = time.perf_counter()
    paths = [Path(s) for s in sources]
    library = library_dir(index_dir)
    if library.is_dir() and any(library.iterdir()):
        paths.append(library)
    tell(progress, "load", 0, 1)
    files, skipped = find_files(paths)
    old = cache or FileCache()
    new = FileCache()
    stamps = [file_stamp(f.path) for f in files]
    reread = sum(old.get(f, stamp) is None for f, stamp in zip(files, stamps, strict=True))
    bar = tqdm(total=reread, desc="loading", unit="file", disable=not show_progress or reread < 2)
    refs: list[ArticleRef] = []
    seen: dict[str, str] = {}
    for file, stamp in zip(files, stamps, strict=True):
        entry = old.get(file, stamp)
        if entry is None:
            articles, errors = read_file(file, show_progress=show_progress)
            entry = new.put(file, stamp, [ArticleRef.of(a, file) for a in articles], errors)
            bar.update()
        else:
            new.put(file, stamp, list(entry.refs), list(entry.skipped))
        skipped.extend(entry.skipped)
        for ref in entry.refs:
            if ref.id in seen:
                skipped.append(duplicate_id(ref.id, file.path, seen[ref.id]))
                continue
            seen[ref.id] = str(file.path)
            refs.append(ref)
    bar.close()
    tell(progress, "load", 1, 1)
    for entry in skipped:
        logger.warning("skipped %s", entry)
    logger.info(
        "found %s articles in %d files (%d read, the rest unchanged) in %.1f s (%d skipped)",
        f"{len(refs):,}", len(files), reread, time.perf_counter() - started, len(skipped),
    )
    return Scan(refs, skipped, new)


def load_refs(refs: Sequence[ArticleRef]) -> list[Article]:
    """The articles of `refs`, in order, reading again the files of refs that came from
    the cache.

    Raises:
        IndexStoreError: a file changed since it was scanned, so an article is gone.
    """
    wanted: dict[ArticleFile, set[str]] = {}
    for ref in refs:
        if ref.article is None:
            wanted.setdefault(ref.file, set()).add(ref.id)
    found: dict[tuple[ArticleFile, str], Article] = {}
    for file, ids in wanted.items():
        articles, _ = read_file(file)
        found.update(((file, a.id), a) for a in articles if a.id in ids)
    loaded = []
    for ref in refs:
        article = ref.article or found.get((ref.file, ref.id))
        if article is None or article.content_hash != ref.content_hash:
            raise IndexStoreError(
                f"'{ref.file.path}' changed during the sync (article {ref.id!r}); run the "
                "build again"
            )
        loaded.append(article)
    return loaded
