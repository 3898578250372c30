"""Every file name of an index directory, what belongs there, and the atomic swap.

```
INDEX/
  CURRENT          text: the name of the live generation, e.g. "gen-3" (.CURRENT.tmp while
                   it is replaced)
  gen-3/           one commit point, immutable: manifest.json (written last; it lists the
                   segments and vector parts the generation is made of), deletions.json
                   (tombstones: articles deleted from those segments), sources.json,
                   copies.json + copies.npy (syndicated copies, see `index.disk.copies`),
                   and with a Milvus store vectors.milvus.json
  gen-2/           the previous generation, kept for readers that just read CURRENT
  segments/        immutable segments shared by generations (see `index.disk.segments`):
                   seg-*/ (articles, chunks and BM25 of the articles one sync added) and
                   vec-*/ (a vector part: chunk and sentence vectors of some of a segment's
                   chunks); those no kept generation names are deleted
  library/         files added with `add_files`, under generated safe names, and
                   library/web/: articles added from the web (see `index.disk.web_sources`);
                   .NAME.part while one is written
  web.json         the feeds and pages added from the web (.web.json.tmp while written)
  .lock            the build lock (fcntl)
  tmp-<random>/    a build in progress (or left by a crashed one; removed by the next build)
```
A folder that directly holds manifest.json is a generation on its own. A build writes its
segments, then a `tmp-*` folder, renames it to `gen-<n>`, then replaces CURRENT with
`os.replace`, so readers see either the old or the new generation, never a mix. An index
written before segments (manifest format 1) holds store.sqlite, vectors.faiss and lexical/
in each generation folder; it is read as one segment and rewritten by the next build.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

from index.errors import IndexFormatError, IndexNotFoundError, IndexStoreError

__all__ = [
    "CHUNK_ARTICLES_FILE",
    "COPIES_FILE",
    "COPIES_RECORDS_FILE",
    "COPIES_SIGNATURES_FILE",
    "CURRENT_FILE",
    "DELETIONS_FILE",
    "DOCS_FILE",
    "FAISS_FILE",
    "GENERATION_GLOB",
    "LEXICAL_DIR",
    "LIBRARY_DIR",
    "LOCK_FILE",
    "MANIFEST_FILE",
    "MILVUS_FILE",
    "PART_FILE",
    "SEGMENTS_DIR",
    "SEGMENT_FILE",
    "SOURCES_FILE",
    "SQLITE_FILE",
    "WEB_DIR",
    "WEB_FILE",
    "WEB_TMP_FILE",
    "belongs_in_index",
    "fsync_dir",
    "fsync_file",
    "generation_number",
    "live_generation",
    "new_build_dir",
    "partial_path",
    "prepare_index_dir",
    "publish",
    "remove_leftovers",
    "remove_old_generations",
    "require_generation",
    "write_atomic",
]

logger = logging.getLogger(__name__)

# The index folder
CURRENT_FILE = "CURRENT"
LOCK_FILE = ".lock"
LIBRARY_DIR = "library"
WEB_DIR = "web"  # inside the library folder; the first part of every web article id
WEB_FILE = "web.json"
WEB_TMP_FILE = f".{WEB_FILE}.tmp"
_CURRENT_TMP_FILE = f".{CURRENT_FILE}.tmp"
_GEN_PREFIX = "gen-"
_TMP_PREFIX = "tmp-"
# A generation folder
MANIFEST_FILE = "manifest.json"
FAISS_FILE = "vectors.faiss"
MILVUS_FILE = "vectors.milvus.json"
SQLITE_FILE = "store.sqlite"
LEXICAL_DIR = "lexical"
SOURCES_FILE = "sources.json"
DELETIONS_FILE = "deletions.json"
SEGMENTS_DIR = "segments"
# A segment folder (segments/seg-*) and a vector part folder (segments/vec-*)
DOCS_FILE = "docs.sqlite"
CHUNK_ARTICLES_FILE = "chunk_articles.npy"
SEGMENT_FILE = "segment.json"
PART_FILE = "part.json"
# store.sqlite, vectors.faiss and lexical/ in a generation folder: an index of format 1
COPIES_FILE = "copies.json"  # groups of syndicated copies (index.disk.copies)
COPIES_SIGNATURES_FILE = "copies.npy"  # their MinHash signatures
COPIES_RECORDS_FILE = "copies-records.npz"  # what the next sync reuses of each article

GENERATION_GLOB = f"{_GEN_PREFIX}*"
_GEN_RE = re.compile(rf"{_GEN_PREFIX}(\d{{1,9}})")
_INDEX_NAMES = frozenset({CURRENT_FILE, _CURRENT_TMP_FILE, LOCK_FILE, LIBRARY_DIR, WEB_FILE,
                          WEB_TMP_FILE, MANIFEST_FILE, SEGMENTS_DIR})


def belongs_in_index(name: str) -> bool:
    """Whether a file or folder called `name` is one a newsqa index folder holds."""
    return name in _INDEX_NAMES or name.startswith((_GEN_PREFIX, _TMP_PREFIX))


def partial_path(path: Path) -> Path:
    """The hidden name `path` is written under before it is renamed into place; a crashed
    write leaves it, and no loader reads it as an article."""
    return path.with_name(f".{path.name}.part")


def write_atomic(path: Path, data: str | bytes, *, partial: Path | None = None) -> None:
    """Write `data` into `path` through `partial` (default `partial_path(path)`), fsynced,
    then renamed into place: `path` is the old file or the new one, never half of one.
    Raises OSError (a full disk) with the partial file removed."""
    partial = partial or partial_path(path)
    try:
        with open(partial, "wb" if isinstance(data, bytes) else "w",
                  encoding=None if isinstance(data, bytes) else "utf-8") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, path)
    except OSError:
        partial.unlink(missing_ok=True)
        raise


def prepare_index_dir(index_dir: str | Path) -> Path:
    """Create `index_dir`, refusing a file or a non-empty folder that is not an index."""
    index_dir = Path(index_dir)
    if index_dir.exists() and not index_dir.is_dir():
        raise IndexStoreError(f"index path '{index_dir}' is a file; choose a folder")
    if index_dir.is_dir():
        names = [p.name for p in index_dir.iterdir()]
        if names and not any(belongs_in_index(n) for n in names):
            raise IndexStoreError(
                f"'{index_dir}' is a non-empty folder that is not a newsqa index; "
                "choose a new or empty folder for the index"
            )
    index_dir.mkdir(parents=True, exist_ok=True)
    return index_dir


def generation_number(folder: Path) -> int:
    """n of a "gen-<n>" folder; 0 for a folder with another name (a bare generation)."""
    match = _GEN_RE.fullmatch(folder.name)
    return int(match.group(1)) if match else 0


def live_generation(index_dir: Path) -> Path | None:
    """The folder holding the live generation of `index_dir`, or None when there is no
    index. A folder that directly holds manifest.json is its own generation.

    Raises:
        IndexFormatError: CURRENT names something that is not a generation folder.
    """
    pointer = index_dir / CURRENT_FILE
    if pointer.is_file():
        try:
            name = pointer.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as e:
            raise IndexFormatError(
                f"cannot read '{pointer}' ({e}); rebuild with 'newsqa build --full'"
            ) from e
        if not _GEN_RE.fullmatch(name) or not (index_dir / name / MANIFEST_FILE).is_file():
            raise IndexFormatError(
                f"'{pointer}' names {name[:60]!r}, which is not a complete index generation; "
                "rebuild with 'newsqa build --full'"
            )
        return index_dir / name
    if (index_dir / MANIFEST_FILE).is_file():
        return index_dir
    return None


def require_generation(index_dir: Path) -> Path:
    """`live_generation`, raising `IndexNotFoundError` when there is none."""
    folder = live_generation(index_dir)
    if folder is None:
        if _holds_other_files(index_dir):
            raise IndexNotFoundError(
                f"no index (no manifest.json) at '{index_dir}', a folder of other files; "
                "pass the folder of a newsqa index, or build one in a new folder with "
                "'newsqa build --index NEW_FOLDER'"
            )
        what = "no index" if not index_dir.exists() else "no index (no manifest.json)"
        raise IndexNotFoundError(f"{what} at '{index_dir}'; run 'newsqa build' first")
    return folder


def _holds_other_files(index_dir: Path) -> bool:
    """A folder with files that a newsqa index never holds (another tool's)."""
    try:
        names = [p.name for p in index_dir.iterdir()] if index_dir.is_dir() else []
    except OSError:
        return False
    return not all(belongs_in_index(n) for n in names)


def new_build_dir(index_dir: Path) -> Path:
    return Path(tempfile.mkdtemp(prefix=_TMP_PREFIX, dir=index_dir))


def publish(index_dir: Path, build_dir: Path) -> Path:
    """Make the finished `build_dir` the live generation; returns its final folder.

    Everything in `build_dir` must already be written and fsynced, manifest last.
    """
    fsync_dir(build_dir)
    number = 1 + max((generation_number(p) for p in index_dir.glob(f"{_GEN_PREFIX}*")),
                     default=0)
    final = index_dir / f"{_GEN_PREFIX}{number}"
    os.replace(build_dir, final)
    fsync_dir(index_dir)
    pointer = index_dir / _CURRENT_TMP_FILE
    with open(pointer, "w", encoding="utf-8") as f:
        f.write(final.name + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(pointer, index_dir / CURRENT_FILE)
    fsync_dir(index_dir)
    return final


def remove_leftovers(index_dir: Path) -> None:
    """Delete build folders and half-copied library files left by crashed builds. Only
    call holding the build lock."""
    for path in index_dir.glob(f"{_TMP_PREFIX}*"):
        if path.is_dir():
            logger.info("removing '%s', left by an interrupted build", path)
            shutil.rmtree(path, ignore_errors=True)
    for path in (index_dir / LIBRARY_DIR).glob(".*.part"):
        logger.info("removing '%s', left by an interrupted upload", path)
        path.unlink(missing_ok=True)


def remove_old_generations(index_dir: Path, *, keep: tuple[Path | None, ...]) -> None:
    """Delete every generation folder not in `keep`. Only call holding the build lock."""
    kept = {p.name for p in keep if p is not None}
    for path in index_dir.glob(f"{_GEN_PREFIX}*"):
        if path.is_dir() and _GEN_RE.fullmatch(path.name) and path.name not in kept:
            logger.debug("removing old generation '%s'", path)
            shutil.rmtree(path, ignore_errors=True)


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Persist the directory entries of `path` (no-op where directories can't be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
