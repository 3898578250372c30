"""`sources.json`: what the last sync found in each source file, so the next one reads
only files that changed.

A file is taken as unchanged when its size, modification and change times, inode and
device are the same as when it was read (the stamp is taken before reading, so a file
written during the read is read again next time). Saved in each generation; a missing,
unreadable or older cache just means every file is read. `newsqa build --full` ignores it.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corpus.load import ArticleFile, Skipped
from index.disk.layout import SOURCES_FILE
from index.disk.manifest import package_version
from index.sync.plan import ArticleRef

__all__ = ["FileCache", "FileEntry", "Stamp", "file_stamp"]

logger = logging.getLogger(__name__)

_FORMAT = 2
_READABLE = (1, 2)  # format 1 listed each article as [id, hash, source, url]

Stamp = tuple[int, int, int, int, int]
"""(size, mtime_ns, ctime_ns, inode, device) of a file."""


def file_stamp(path: Path) -> Stamp | None:
    """The stamp of `path`, or None when it cannot be read."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


@dataclass(frozen=True)
class FileEntry:
    """One file as last read: its stamp, its articles (load order) and what was skipped."""

    stamp: Stamp
    refs: tuple[ArticleRef, ...]
    skipped: tuple[Skipped, ...]


class FileCache:
    """File -> `FileEntry`, keyed by the file's resolved path and root."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str | None], FileEntry] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, file: ArticleFile, stamp: Stamp | None) -> FileEntry | None:
        """The entry of `file` if it was read with this `stamp`."""
        entry = self._entries.get(_key(file))
        return entry if entry is not None and stamp is not None and entry.stamp == stamp else None

    def put(
        self, file: ArticleFile, stamp: Stamp | None, refs: list[ArticleRef],
        skipped: list[Skipped],
    ) -> FileEntry:
        """Record what `file` held when it had `stamp` (not recorded if None)."""
        entry = FileEntry(stamp or (-1, -1, -1, -1, -1), tuple(refs), tuple(skipped))
        if stamp is not None:
            self._entries[_key(file)] = entry
        return entry

    def save(self, folder: Path) -> Path:
        """Write `folder/sources.json` (not fsynced: a lost cache only costs a re-read)."""
        files = [
            {
                "path": path, "root": root, "stamp": list(entry.stamp), **_columns(entry.refs),
                "skipped": [[s.source, s.line, s.reason] for s in entry.skipped],
            }
            for (path, root), entry in self._entries.items()
        ]
        payload = {"format": _FORMAT, "package_version": package_version(), "files": files}
        target = folder / SOURCES_FILE
        target.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        return target

    @classmethod
    def load(cls, folder: Path) -> FileCache:
        """The cache saved in `folder`, or an empty one if there is none usable."""
        cache = cls()
        path = folder / SOURCES_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") not in _READABLE or \
                    data.get("package_version") != package_version():
                return cache
            for item in data["files"]:
                cache._entries[(item["path"], item["root"])] = _entry(item)
        except FileNotFoundError:
            return cache
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
            logger.info("ignoring the source file cache '%s' (%s)", path, e)
            return cls()
        return cache


def _columns(refs: tuple[ArticleRef, ...]) -> dict[str, Any]:
    """A file's articles as columns (one JSON list each, a single value when all its
    articles share it: a big file's ids and hashes parse much faster than a list per
    article)."""
    out: dict[str, Any] = {"ids": [r.id for r in refs], "hashes": [r.content_hash for r in refs]}
    sources = {r.source for r in refs}
    if len(sources) == 1:
        out["source"] = next(iter(sources))
    else:
        out["sources"] = [r.source for r in refs]
    if any(r.url is not None for r in refs):
        out["urls"] = [r.url for r in refs]
    return out


def _key(file: ArticleFile) -> tuple[str, str | None]:
    root = os.path.realpath(file.root) if file.root is not None else None
    return os.path.realpath(file.path), root


def _entry(item: dict[str, Any]) -> FileEntry:
    file = ArticleFile(Path(item["path"]), Path(item["root"]) if item["root"] else None)
    stamp = tuple(int(x) for x in item["stamp"])
    if len(stamp) != 5:
        raise ValueError(f"bad stamp {item['stamp']!r}")
    if "articles" in item:  # format 1: a list per article
        refs = tuple(
            ArticleRef(str(aid), str(chash), str(source), None if url is None else str(url),
                       file)
            for aid, chash, source, url in item["articles"]
        )
    else:
        ids, hashes = item["ids"], item["hashes"]
        sources = item["sources"] if "sources" in item else [item["source"]] * len(ids)
        urls = item["urls"] if "urls" in item else [None] * len(ids)
        if not len(ids) == len(hashes) == len(sources) == len(urls):
            raise ValueError("columns of different lengths")
        refs = tuple(ArticleRef(str(aid), str(chash), str(source),
                                None if url is None else str(url), file)
                     for aid, chash, source, url in zip(ids, hashes, sources, urls,
                                                        strict=True))
    skipped = tuple(
        Skipped(str(source), None if line is None else int(line), str(reason))
        for source, line, reason in item["skipped"]
    )
    return FileEntry(stamp, refs, skipped)  # type: ignore[arg-type]
