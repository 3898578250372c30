"""Which files a sync reads: the sources given or remembered, plus the index's library."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import corpus
from corpus.load import LoadResult, load_articles
from index.errors import IndexStoreError
from index.ingest import Progress
from index.layout import LIBRARY_DIR

if TYPE_CHECKING:
    from index.generation import Previous

__all__ = ["bundled_articles", "library_dir", "load_sources", "resolve_sources"]

logger = logging.getLogger(__name__)


def bundled_articles() -> Path:
    """The articles shipped with newsqa (`corpus.BUNDLED_ARTICLES`)."""
    bundled = getattr(corpus, "BUNDLED_ARTICLES", None)
    return Path(bundled) if bundled else Path(corpus.__file__).parent / "articles"


def library_dir(index_dir: Path) -> Path:
    return index_dir / LIBRARY_DIR


def resolve_sources(
    index_dir: Path, given: Sequence[str] | None, previous: Previous | None
) -> list[str]:
    """The sources to sync from: `given`, else the previous manifest's, else the bundled
    articles (for a new index). Every one must exist, so a moved folder never silently
    empties the index."""
    if given is not None:
        sources = list(given)
    elif previous is not None:
        sources = list(previous.manifest.sources)
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


def load_sources(
    index_dir: Path,
    sources: Sequence[str],
    *,
    show_progress: bool = False,
    progress: Progress | None = None,
) -> LoadResult:
    """Load every article of `sources` and of the index's library folder."""
    started = time.perf_counter()
    paths = [Path(s) for s in sources]
    library = library_dir(index_dir)
    if library.is_dir() and any(library.iterdir()):
        paths.append(library)
    if progress:
        progress("load", 0, 1)
    loaded = load_articles(paths, show_progress=show_progress)
    if progress:
        progress("load", 1, 1)
    logger.debug(
        "loaded %s articles from %d sources in %.1f s (%d skipped)",
        f"{len(loaded.articles):,}", len(paths), time.perf_counter() - started,
        len(loaded.skipped),
    )
    return loaded
