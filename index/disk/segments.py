"""Segments: the immutable pieces generations are made of, Lucene-style.

```
INDEX/segments/
  seg-<id>/          a segment: the articles and chunks one build added, with their BM25
    docs.sqlite      articles, chunks, chunk_tokens (see `index.disk.docstore`)
    lexical/         BM25 postings of its chunks (see `index.disk.lexical`); its rows.npy
                     lists the segment's chunk rows
    chunk_articles.npy  the article (position in docs.sqlite's articles) of each chunk
    segment.json     what it holds; written last, so a segment without it is incomplete
  vec-<id>/          a vector part: vectors of some chunks of one segment
    rows.npy         the chunk rows it holds, ascending
    sentences.npy    float16 sentence vectors, sentence_starts.npy: where each row's begin
    vectors.faiss    the chunk vectors (FAISS stores; a Milvus store keeps them on the server)
    part.json        written last
```

A segment never changes once written. A sync that adds articles writes a new segment; one
that removes or replaces articles records tombstones in the new generation, and one that
finds an unchanged article in another file records its new source (`deletions.json`:
per segment, the article ids deleted and the articles moved). Vectors arrive in parts, so
a segment is answerable by BM25 before its chunks are embedded (progressive builds).
Generations list the segments and parts they use in their manifest; merges
(`index.sync.merge`) rewrite small or tombstone-heavy segments into one, and folders that
no kept generation names are deleted. Ids are random, so a name is never reused for other contents.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from index.disk.layout import DELETIONS_FILE, SEGMENTS_DIR, fsync_dir

__all__ = [
    "PART_PREFIX",
    "SEGMENT_PREFIX",
    "Moved",
    "PartInfo",
    "SegmentInfo",
    "new_name",
    "read_deletions",
    "read_info",
    "remove_unreferenced",
    "segments_dir",
    "write_deletions",
    "write_info",
]

logger = logging.getLogger(__name__)

SEGMENT_PREFIX = "seg-"
PART_PREFIX = "vec-"
_FORMAT = 1


def segments_dir(index_dir: Path) -> Path:
    return index_dir / SEGMENTS_DIR


def new_name(prefix: str) -> str:
    """A fresh, never reused folder name, e.g. "seg-3f9a0c21b7d4"."""
    return f"{prefix}{secrets.token_hex(6)}"


@dataclass(frozen=True)
class SegmentInfo:
    """`segment.json`: a segment's chunk rows (`first_row`..`last_row`, `chunks` of them),
    articles and sentences (spans of its chunks); `files` maps each of its files to its
    size in bytes, so a missing or truncated file is noticed without reading it;
    `headline_only` the ids of its articles indexed by their headline alone (their text is
    boilerplate: `index.sync.ingest.chunk_into`), ascending."""

    name: str
    first_row: int
    last_row: int
    chunks: int
    articles: int
    sentences: int
    files: dict[str, int] = field(default_factory=dict)
    format: int = _FORMAT
    headline_only: Sequence[str] = ()


@dataclass(frozen=True)
class PartInfo:
    """`part.json`: the segment a vector part belongs to and how many chunk and sentence
    vectors it holds; `faiss` says whether it holds the chunk vectors in vectors.faiss;
    `files` as for `SegmentInfo`."""

    name: str
    segment: str
    chunks: int
    sentences: int
    faiss: bool
    files: dict[str, int] = field(default_factory=dict)
    format: int = _FORMAT


def write_info(folder: Path, file: str, info: SegmentInfo | PartInfo) -> Path:
    """Write `folder/file` (fsynced, then the folder): the last file of a segment or part,
    recording the size of every other file in it."""
    sizes = {p.relative_to(folder).as_posix(): p.stat().st_size
             for p in sorted(folder.rglob("*")) if p.is_file() and p.name != file}
    path = folder / file
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps({**asdict(info), "files": sizes}, sort_keys=True) + "\n")
        f.flush()
        os.fsync(f.fileno())
    fsync_dir(folder)
    return path


def read_info(folder: Path, file: str, kind: type[SegmentInfo] | type[PartInfo]) -> Any:
    """The `SegmentInfo` or `PartInfo` in `folder/file`, once its files are checked to be
    there with the sizes it records.

    Raises:
        FileNotFoundError: the record or a file is missing (an incomplete segment);
        ValueError: malformed, a newer format, or a file of another size (truncated).
    """
    path = folder / file
    if not path.is_file():
        raise FileNotFoundError(f"'{path}' is missing: the segment is incomplete")
    data = json.loads(path.read_text(encoding="utf-8"))
    try:
        info = kind(**data)
    except TypeError as e:
        raise ValueError(f"'{path}' is malformed ({e})") from e
    if info.format > _FORMAT or info.name != folder.name or not isinstance(info.files, dict):
        raise ValueError(f"'{path}' is not a segment of this newsqa")
    for name, size in info.files.items():
        where = folder / name
        if not where.is_file():
            raise FileNotFoundError(f"'{where}' is missing: the segment is incomplete")
        if where.stat().st_size != size:
            raise ValueError(f"'{where}' has {where.stat().st_size} bytes, {size} were "
                             "written: it is truncated or was changed")
    return info


Moved = Mapping[str, tuple[str, str | None]]
"""article id -> its new (source, url)."""


def write_deletions(folder: Path, deleted: Mapping[str, Collection[str]],
                    moved: Mapping[str, Moved] | None = None) -> Path | None:
    """Write the generation's tombstones (article ids per segment) and moved articles
    (per segment) into `folder`; nothing when there are none. Returns the file written."""
    kept = {name: sorted(ids) for name, ids in sorted(deleted.items()) if ids}
    relocated = {name: {a: list(where) for a, where in sorted(m.items())}
                 for name, m in sorted((moved or {}).items()) if m}
    if not kept and not relocated:
        return None
    path = folder / DELETIONS_FILE
    payload = {"format": _FORMAT, "segments": kept, "moved": relocated}
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(payload, ensure_ascii=False))
        f.flush()
        os.fsync(f.fileno())
    return path


def read_deletions(folder: Path) -> tuple[dict[str, frozenset[str]], dict[str, Moved]]:
    """The tombstones and moved articles of the generation in `folder` (empty when it
    has none).

    Raises:
        ValueError: a malformed file.
    """
    path = folder / DELETIONS_FILE
    if not path.is_file():
        return {}, {}
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("format") != _FORMAT:
        raise ValueError(f"'{path}' is not a deletions file of this newsqa")
    segments, moved = data.get("segments"), data.get("moved", {})
    if not isinstance(segments, dict) or not isinstance(moved, dict) or not all(
        isinstance(ids, list) and all(isinstance(i, str) for i in ids) for ids in segments.values()
    ):
        raise ValueError(f"'{path}' is malformed")
    try:
        relocated = {str(name): {str(a): (str(source), None if url is None else str(url))
                                 for a, (source, url) in m.items()}
                     for name, m in moved.items()}
    except (TypeError, ValueError, AttributeError) as e:
        raise ValueError(f"'{path}' is malformed ({e})") from e
    return {str(name): frozenset(ids) for name, ids in segments.items()}, relocated


def remove_unreferenced(index_dir: Path, referenced: Collection[str]) -> int:
    """Delete the segment and part folders that no kept generation names (those of
    crashed builds and of deleted generations); returns how many. Only call holding the
    build lock, with `referenced` read from every generation folder there is."""
    folder = segments_dir(index_dir)
    if not folder.is_dir():
        return 0
    keep = set(referenced)
    removed = 0
    for path in folder.iterdir():
        if path.name not in keep:
            logger.debug("removing unreferenced segment '%s'", path)
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed += 1
    return removed
