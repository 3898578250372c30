"""Load articles from files and folders.

Formats are chosen by extension (see `SUPPORTED_EXTENSIONS`). Folders are read
recursively in a stable, sorted order; hidden files and folders are skipped. A file that
cannot be read is reported as a `Skipped` entry and never stops the load.

Article ids are stable: the file path relative to the folder given, without extension
("2026/01/summit"), or the file's stem when a file is given directly. JSON Lines
articles keep their own `id`/`_id`, else get "<file id>:<line>".
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from corpus.article import Article
from corpus.errors import ArticleFormatError
from corpus.formats import PARSERS, Origin, decode

__all__ = [
    "SUPPORTED_EXTENSIONS",
    "ArticleFile",
    "LoadResult",
    "Skipped",
    "duplicate_id",
    "find_files",
    "load_articles",
    "load_file",
    "read_file",
]

logger = logging.getLogger(__name__)

SUPPORTED_EXTENSIONS: tuple[str, ...] = tuple(sorted(PARSERS))
"""Lower-case file extensions `load_articles` reads: .htm .html .json .jsonl .markdown .md .txt"""


@dataclass(frozen=True)
class Skipped:
    """A file, or one line of a JSON Lines file, that was not loaded, and why."""

    source: str
    line: int | None
    reason: str

    @classmethod
    def from_error(cls, error: ArticleFormatError) -> Skipped:
        return cls(source=error.source, line=error.line, reason=error.reason)

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class LoadResult:
    """The articles loaded, in a stable order, and what was skipped."""

    articles: list[Article]
    skipped: list[Skipped]


def load_file(
    path: str | Path, *, root: str | Path | None = None, show_progress: bool = False
) -> list[Article]:
    """Load the articles of one file; bad lines of a JSON Lines file are logged and left out.

    Args:
        path: the file.
        root: the folder ids and sources are relative to (default: the file's folder).
        show_progress: show a progress bar for JSON Lines files.

    Raises:
        ArticleFormatError: the file is unreadable, empty, binary, of an unsupported type,
            or holds no article.
    """
    articles, errors = _parse_file(Path(path), root, show_progress=show_progress)
    for error in errors:
        logger.warning("skipped %s", error)
    return articles


def load_articles(
    paths: Sequence[str | Path] | str | Path, *, show_progress: bool = False
) -> LoadResult:
    """Load every article in `paths` (files or folders, read recursively).

    Returns:
        `LoadResult(articles, skipped)`: articles in the order of `paths`, each folder in
        sorted path order; an article whose id was already loaded is skipped.
    """
    started = time.perf_counter()
    files, skipped = find_files(paths)
    articles: list[Article] = []
    seen: dict[str, str] = {}
    bar = tqdm(files, desc="loading", unit="file", disable=not show_progress or len(files) < 2)
    for file in bar:
        loaded, errors = read_file(file, show_progress=show_progress)
        skipped.extend(errors)
        for article in loaded:
            if article.id in seen:
                skipped.append(duplicate_id(article.id, file.path, seen[article.id]))
                continue
            seen[article.id] = str(file.path)
            articles.append(article)
    for entry in skipped:
        logger.warning("skipped %s", entry)
    logger.info("loaded %d articles from %d files in %.1f s (%d skipped)",
                len(articles), len(files), time.perf_counter() - started, len(skipped))
    return LoadResult(articles=articles, skipped=skipped)


@dataclass(frozen=True)
class ArticleFile:
    """A file to load, and the folder its article ids are relative to (None: a file
    given directly, whose ids are relative to its own folder)."""

    path: Path
    root: Path | None


def find_files(
    paths: Sequence[str | Path] | str | Path,
) -> tuple[list[ArticleFile], list[Skipped]]:
    """The article files in `paths` in load order (each folder read recursively, in
    sorted path order), and a Skipped entry for each path that does not exist."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    files: list[ArticleFile] = []
    skipped: list[Skipped] = []
    for given in map(Path, paths):
        if given.is_dir():
            files.extend(ArticleFile(file, given) for file in _discover(given))
        elif given.is_file():
            files.append(ArticleFile(given, None))
        else:
            skipped.append(Skipped(str(given), None, "no such file or folder"))
    return files, skipped


def read_file(
    file: ArticleFile, *, show_progress: bool = False
) -> tuple[list[Article], list[Skipped]]:
    """The articles of one file and what in it was skipped; never raises for a bad file."""
    try:
        loaded, errors = _parse_file(file.path, file.root, show_progress=show_progress)
    except ArticleFormatError as error:
        loaded, errors = [], [error]
    return loaded, [Skipped.from_error(error) for error in errors]


def duplicate_id(article_id: str, path: Path, first: str) -> Skipped:
    """The Skipped entry for an article of `path` whose id a file loaded earlier used."""
    return Skipped(str(path), None, f"duplicate article id {article_id!r} (also in "
                   f"{first}); rename one of them")


def _discover(folder: Path) -> list[Path]:
    """Supported files under `folder`, recursively, sorted, hidden ones left out."""
    found = []
    for path in folder.rglob("*"):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.suffix.lower() in PARSERS and path.is_file():
            found.append(path)
    return sorted(found, key=lambda path: path.relative_to(folder).as_posix())


def _origin(path: Path, root: Path | None) -> Origin:
    relative = path.relative_to(root) if root is not None else Path(path.name)
    return Origin(
        where=str(path),
        source=relative.as_posix(),
        article_id=relative.with_suffix("").as_posix(),
    )


def _parse_file(
    path: Path, root: str | Path | None, *, show_progress: bool
) -> tuple[list[Article], list[ArticleFormatError]]:
    parser = PARSERS.get(path.suffix.lower())
    if parser is None:
        raise ArticleFormatError(
            str(path), f"unsupported file type {path.suffix!r}; use one of "
            + ", ".join(SUPPORTED_EXTENSIONS),
        )
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ArticleFormatError(str(path), f"cannot read the file ({error.strerror})") from error
    origin = _origin(path, Path(root) if root is not None else None)
    articles, errors = parser(decode(data, origin.where), origin, show_progress=show_progress)
    if not articles and errors:
        first = errors[0]
        raise ArticleFormatError(
            origin.where, f"no article in the file; all {len(errors)} entries are bad "
            f"(line {first.line}: {first.reason})",
        )
    return articles, errors
