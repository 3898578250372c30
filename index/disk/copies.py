"""`copies.json`, `copies.npy` and `copies-records.npz`: the syndicated copies a generation
found among its articles.

`copies.json` holds the groups of copies readers fold together (each a list of article ids,
the one to cite first, see `index.sync.copies`), the verified pairs they were joined
from, and the pairs of pages that hold the same boilerplate under unrelated headlines:
small, as copies are few. `copies-records.npz` holds, per article (ids ascending), what
the next sync needs to carry the detection over without reading the article again: its
content hash, number of shingles, date, whether it has a byline and its length, as plain
numpy columns (no pickle), so that a sync at a million chunks reads and writes them in
milliseconds. `copies.npy` holds the articles' MinHash signatures (uint32, one row per
article, in the same order). A generation without them (built by an earlier newsqa) has no
copies until the next sync writes them; one of format 1 (the records inside `copies.json`)
is read and carried over.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from index.disk.layout import COPIES_FILE, COPIES_RECORDS_FILE, COPIES_SIGNATURES_FILE

__all__ = ["CopyFolding", "CopyIndex", "CopyRecord", "CopyRecords", "load_boilerplate_pages",
           "load_copies", "load_copy_groups", "save_copies", "stored_method", "strings",
           "utf8"]

logger = logging.getLogger(__name__)

FORMAT = 2
_READABLE = (1, 2)  # format 1 kept the records in copies.json


@dataclass(frozen=True)
class CopyRecord:
    """What copy detection knows of one article besides its signature."""

    id: str
    content_hash: str
    shingles: int
    published: date | None
    byline: bool
    length: int


@dataclass(frozen=True, eq=False)
class CopyRecords:
    """`CopyRecord`s as columns, ids ascending (`published`: `date.toordinal()`, 0 when
    undated)."""

    ids: NDArray[np.str_]
    hashes: NDArray[np.bytes_]  # UTF-8 (hex digests: a byte a character)
    shingles: NDArray[np.int64]
    published: NDArray[np.int64]
    byline: NDArray[np.bool_]
    length: NDArray[np.int64]

    COLUMNS: ClassVar[tuple[str, ...]] = ("ids", "hashes", "shingles", "published", "byline",
                                          "length")

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> CopyRecord:
        day = int(self.published[i])
        return CopyRecord(str(self.ids[i]), bytes(self.hashes[i]).decode("utf-8"),
                          int(self.shingles[i]),
                          date.fromordinal(day) if day else None, bool(self.byline[i]),
                          int(self.length[i]))

    def __iter__(self) -> Iterator[CopyRecord]:
        return (self[i] for i in range(len(self)))

    @classmethod
    def of(cls, records: Sequence[CopyRecord]) -> CopyRecords:
        """Columns of `records` (which must be in ascending id order)."""
        return cls(strings([r.id for r in records]), utf8([r.content_hash for r in records]),
                   np.array([r.shingles for r in records], np.int64),
                   np.array([r.published.toordinal() if r.published else 0 for r in records],
                            np.int64),
                   np.array([r.byline for r in records], bool),
                   np.array([r.length for r in records], np.int64))

    def positions(self, ids: NDArray[np.str_]) -> NDArray[np.int64]:
        """Row of each of `ids` in these records, -1 where absent."""
        if not len(self.ids) or not len(ids):
            return np.full(len(ids), -1, np.int64)
        at = np.minimum(np.searchsorted(self.ids, ids), len(self.ids) - 1)
        return np.where(self.ids[at] == ids, at, -1).astype(np.int64)


def strings(values: Sequence[str]) -> NDArray[np.str_]:
    """`values` as a numpy string array (an empty one when there are none)."""
    return np.array(values, dtype=str) if len(values) else np.empty(0, dtype="<U1")


def utf8(values: Sequence[str]) -> NDArray[np.bytes_]:
    """`values` as an array of UTF-8 byte strings."""
    return np.array([v.encode("utf-8") for v in values], dtype=bytes) if len(values) else \
        np.empty(0, dtype="S1")


@dataclass(frozen=True)
class CopyIndex:
    """The copies of one generation. `signatures[i]` belongs to `records[i]`; `pairs` are
    (id, id, Jaccard) of the articles verified as copies of each other; `groups` their
    connected groups, each ordered with the copy to cite first; `boilerplate` the pairs
    (id, id, Jaccard) whose text is the same under unrelated headlines (a page's
    boilerplate scraped instead of its story: not copies, see `index.sync.copies`);
    `method` the detection's parameters (another method means detecting everything
    again)."""

    method: dict[str, Any]
    records: CopyRecords
    signatures: NDArray[np.uint32]
    pairs: tuple[tuple[str, str, float], ...]
    groups: tuple[tuple[str, ...], ...]
    boilerplate: tuple[tuple[str, str, float], ...] = ()

    def boilerplate_pages(self) -> frozenset[str]:
        """The articles whose text is another page's boilerplate (in a `boilerplate` pair)."""
        return _paired(self.boilerplate)


def save_copies(folder: Path, copies: CopyIndex) -> list[Path]:
    """Write `copies.json`, `copies.npy` and `copies-records.npz` into `folder`; returns
    the paths written."""
    payload = {
        "format": FORMAT,
        "method": copies.method,
        "groups": [list(g) for g in copies.groups],
        "pairs": [[a, b, round(j, 4)] for a, b, j in copies.pairs],
        "boilerplate": [[a, b, round(j, 4)] for a, b, j in copies.boilerplate],
    }
    json_path, npy_path = folder / COPIES_FILE, folder / COPIES_SIGNATURES_FILE
    records_path = folder / COPIES_RECORDS_FILE
    json_path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    np.save(npy_path, np.ascontiguousarray(copies.signatures, dtype=np.uint32),
            allow_pickle=False)
    with records_path.open("wb") as f:
        np.savez(f, **{name: getattr(copies.records, name) for name in CopyRecords.COLUMNS})
    return [json_path, npy_path, records_path]


def load_copy_groups(folder: Path) -> tuple[tuple[str, ...], ...]:
    """The groups of copies of the generation in `folder` (ids, the one to cite first);
    none when the file is missing or unreadable (then nothing is folded)."""
    payload = _read_json(folder)
    if payload is None:
        return ()
    try:
        return tuple(tuple(str(i) for i in group) for group in payload["groups"])
    except (KeyError, TypeError) as e:
        logger.warning("ignoring '%s' (%s); copies are not folded", folder / COPIES_FILE, e)
        return ()


def load_copies(folder: Path) -> CopyIndex | None:
    """Everything `save_copies` wrote into `folder`, or None when it is missing, unreadable
    or of another format (the next sync then detects everything again)."""
    payload = _read_json(folder)
    if payload is None:
        return None
    try:
        signatures = np.load(folder / COPIES_SIGNATURES_FILE, allow_pickle=False)
        if payload["format"] == 1:
            records = CopyRecords.of(sorted((
                CopyRecord(str(aid), str(chash), int(n),
                           date.fromisoformat(day) if day else None, bool(byline), int(length))
                for aid, chash, n, day, byline, length in payload["articles"]),
                key=lambda r: r.id))
        else:
            with np.load(folder / COPIES_RECORDS_FILE, allow_pickle=False) as data:
                columns = {name: data[name] for name in CopyRecords.COLUMNS}
            if columns["hashes"].dtype.kind != "S":  # text, not bytes: compare as bytes
                columns["hashes"] = utf8([str(h) for h in columns["hashes"].tolist()])
            records = CopyRecords(**columns)
        pairs = tuple((str(a), str(b), float(j)) for a, b, j in payload["pairs"])
        boilerplate = tuple((str(a), str(b), float(j))
                            for a, b, j in payload.get("boilerplate", ()))
        groups = tuple(tuple(str(i) for i in g) for g in payload["groups"])
        method = dict(payload["method"])
    except (OSError, ValueError, KeyError, TypeError, EOFError) as e:
        logger.info("not reusing the copies of '%s' (%s)", folder, e)
        return None
    sizes = {len(getattr(records, name)) for name in CopyRecords.COLUMNS}
    if signatures.dtype != np.uint32 or signatures.ndim != 2 or sizes != {len(signatures)} \
            or (len(records) > 1 and not bool(np.all(records.ids[1:] > records.ids[:-1]))):
        logger.info("not reusing the copies of '%s' (signatures of shape %s for %s articles, "
                    "or ids out of order)", folder, signatures.shape, sorted(sizes))
        return None
    return CopyIndex(method, records, signatures, pairs, groups, boilerplate)


def load_boilerplate_pages(folder: Path) -> frozenset[str]:
    """The articles of the generation in `folder` whose text is another page's boilerplate
    (`CopyIndex.boilerplate_pages`), read from `copies.json` alone; none when unreadable."""
    payload = _read_json(folder)
    try:
        return frozenset(str(i) for i in _paired((payload or {}).get("boilerplate", ())))
    except (TypeError, ValueError) as e:
        logger.warning("ignoring the boilerplate pages of '%s' (%s)", folder / COPIES_FILE, e)
        return frozenset()


def _paired(pairs: Iterable[Sequence[Any]]) -> frozenset[Any]:
    """The ids of (id, id, Jaccard) `pairs`."""
    return frozenset(i for a, b, _ in pairs for i in (a, b))


def stored_method(folder: Path) -> dict[str, Any] | None:
    """The detection settings the copies in `folder` were found with (None: no readable
    copies), so that a sync can tell copies found by an earlier release's method."""
    payload = _read_json(folder)
    method = payload.get("method") if payload is not None else None
    return method if isinstance(method, dict) else None


def _read_json(folder: Path) -> dict[str, Any] | None:
    path = folder / COPIES_FILE
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        logger.warning("cannot read '%s' (%s); copies are not folded", path, e)
        return None
    if not isinstance(payload, dict) or payload.get("format") not in _READABLE:
        logger.warning("'%s' is of another format; copies are not folded until the next "
                       "build", path)
        return None
    return payload


class CopyFolding:
    """A reader's view of the groups, over its articles (`ids`, by position). In each group
    one copy stands for the story: the first in the group's order among those a search may
    see; `hidden` marks the copies folded away when it may see them all."""

    def __init__(self, groups: Sequence[Sequence[str]], ids: Sequence[str]) -> None:
        self._ids = list(ids)
        positions = {aid: n for n, aid in enumerate(self._ids)}
        located = ([positions[i] for i in group if i in positions] for group in groups)
        self.groups = [g for g in located if len(g) > 1]
        self.hidden = np.zeros(len(self._ids), dtype=bool)
        self._group: dict[str, list[int]] = {}
        for group in self.groups:
            self.hidden[group[1:]] = True
            self._group.update(dict.fromkeys((self._ids[m] for m in group), group))

    def fold(self, visible: NDArray[np.bool_]) -> NDArray[np.bool_]:
        """`visible` (an article mask) with only the first visible copy of each group."""
        folded = visible.copy()
        for group in self.groups:
            shown = [m for m in group if folded[m]]
            folded[shown[1:]] = False
        return folded

    def story_of(self, article_id: str) -> str:
        """The id of the copy that stands for `article_id`'s story (itself when alone)."""
        group = self._group.get(article_id)
        return article_id if group is None else self._ids[group[0]]

    def others(self, article_id: str) -> list[str]:
        """The other copies of `article_id`'s story, in the group's order."""
        group = self._group.get(article_id, [])
        return [self._ids[m] for m in group if self._ids[m] != article_id]

    def listed(self) -> list[tuple[str, ...]]:
        """Every group as ids, the one cited first first."""
        return [tuple(self._ids[m] for m in group) for group in self.groups]
