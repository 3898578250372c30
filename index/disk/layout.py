"""The on-disk layout of an index directory and its atomic generation swap.

```
INDEX/
  CURRENT          text: the name of the live generation, e.g. "gen-3"
  gen-3/           manifest.json (written last), vectors.faiss (or vectors.milvus.json),
                   store.sqlite, lexical/
  gen-2/           the previous generation, kept for readers that just read CURRENT
  library/         files added with `add_files`, under generated safe names, and
                   library/web/: articles added from the web (see `index.disk.web_sources`)
  web.json         the feeds and pages added from the web
  .lock            the build lock (fcntl)
  tmp-<random>/    a build in progress (or left by a crashed one; removed by the next build)
```
A build writes a `tmp-*` folder, renames it to `gen-<n>`, then replaces CURRENT with
`os.replace`, so readers see either the old or the new generation, never a mix.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

from index.disk.manifest import MANIFEST_FILE
from index.errors import IndexFormatError, IndexNotFoundError

__all__ = [
    "CURRENT_FILE",
    "FAISS_FILE",
    "LEXICAL_DIR",
    "LIBRARY_DIR",
    "LOCK_FILE",
    "MILVUS_FILE",
    "SQLITE_FILE",
    "WEB_FILE",
    "fsync_dir",
    "fsync_file",
    "generation_number",
    "live_generation",
    "new_build_dir",
    "publish",
    "remove_leftovers",
    "remove_old_generations",
    "require_generation",
]

logger = logging.getLogger(__name__)

CURRENT_FILE = "CURRENT"
FAISS_FILE = "vectors.faiss"
MILVUS_FILE = "vectors.milvus.json"
SQLITE_FILE = "store.sqlite"
LEXICAL_DIR = "lexical"
LIBRARY_DIR = "library"
WEB_FILE = "web.json"
LOCK_FILE = ".lock"
_GEN_RE = re.compile(r"gen-(\d{1,9})")
_TMP_PREFIX = "tmp-"


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
    ours = (CURRENT_FILE, LOCK_FILE, LIBRARY_DIR, f".{CURRENT_FILE}.tmp", WEB_FILE,
            f".{WEB_FILE}.tmp")
    return any(not (n in ours or n.startswith(("gen-", _TMP_PREFIX))) for n in names)


def new_build_dir(index_dir: Path) -> Path:
    return Path(tempfile.mkdtemp(prefix=_TMP_PREFIX, dir=index_dir))


def publish(index_dir: Path, build_dir: Path) -> Path:
    """Make the finished `build_dir` the live generation; returns its final folder.

    Everything in `build_dir` must already be written and fsynced, manifest last.
    """
    fsync_dir(build_dir)
    number = 1 + max((generation_number(p) for p in index_dir.glob("gen-*")), default=0)
    final = index_dir / f"gen-{number}"
    os.replace(build_dir, final)
    fsync_dir(index_dir)
    pointer = index_dir / f".{CURRENT_FILE}.tmp"
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
    for path in index_dir.glob("gen-*"):
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
