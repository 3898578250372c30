"""`copies.json` and `copies.npy`: the syndicated copies a generation found among its articles.

`copies.json` holds the groups of copies readers fold together (each a list of article ids,
the one to cite first, see `index.sync.copies`), the verified pairs they were joined from,
and per article what the next sync needs to carry the detection over without reading the
article again: its content hash, number of shingles, date, whether it has a byline and its
length. `copies.npy` holds the articles' MinHash signatures (uint32, one row per article, in
the order of `articles`). Neither is loaded with pickle. A generation without them (built by
an earlier newsqa) has no copies until the next sync writes them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from index.disk.layout import COPIES_FILE, COPIES_SIGNATURES_FILE

__all__ = ["CopyFolding", "CopyIndex", "CopyRecord", "load_copies", "load_copy_groups",
           "save_copies"]

logger = logging.getLogger(__name__)

FORMAT = 1


@dataclass(frozen=True)
class CopyRecord:
    """What copy detection knows of one article besides its signature."""

    id: str
    content_hash: str
    shingles: int
    published: date | None
    byline: bool
    length: int


@dataclass(frozen=True)
class CopyIndex:
    """The copies of one generation. `signatures[i]` belongs to `records[i]`; `pairs` are
    (id, id, Jaccard) of the articles verified as copies of each other; `groups` their
    connected groups, each ordered with the copy to cite first; `method` the detection's
    parameters (another method means detecting everything again)."""

    method: dict[str, Any]
    records: tuple[CopyRecord, ...]
    signatures: NDArray[np.uint32]
    pairs: tuple[tuple[str, str, float], ...]
    groups: tuple[tuple[str, ...], ...]


def save_copies(folder: Path, copies: CopyIndex) -> list[Path]:
    """Write `copies.json` and `copies.npy` into `folder`; returns the paths written."""
    payload = {
        "format": FORMAT,
        "method": copies.method,
        "groups": [list(g) for g in copies.groups],
        "pairs": [[a, b, round(j, 4)] for a, b, j in copies.pairs],
        "articles": [
            [r.id, r.content_hash, r.shingles, r.published.isoformat() if r.published else None,
             r.byline, r.length]
            for r in copies.records
        ],
    }
    json_path, npy_path = folder / COPIES_FILE, folder / COPIES_SIGNATURES_FILE
    json_path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    np.save(npy_path, np.ascontiguousarray(copies.signatures, dtype=np.uint32),
            allow_pickle=False)
    return [json_path, npy_path]


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
        records = tuple(
            CopyRecord(str(aid), str(chash), int(n), date.fromisoformat(day) if day else None,
                       bool(byline), int(length))
            for aid, chash, n, day, byline, length in payload["articles"]
        )
        pairs = tuple((str(a), str(b), float(j)) for a, b, j in payload["pairs"])
        groups = tuple(tuple(str(i) for i in g) for g in payload["groups"])
        method = dict(payload["method"])
    except (OSError, ValueError, KeyError, TypeError, EOFError) as e:
        logger.info("not reusing the copies of '%s' (%s)", folder, e)
        return None
    if signatures.dtype != np.uint32 or signatures.ndim != 2 or len(signatures) != len(records):
        logger.info("not reusing the copies of '%s' (signatures of shape %s for %d articles)",
                    folder, signatures.shape, len(records))
        return None
    return CopyIndex(method, records, signatures, pairs, groups)


def _read_json(folder: Path) -> dict[str, Any] | None:
    path = folder / COPIES_FILE
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        logger.warning("cannot read '%s' (%s); copies are not folded", path, e)
        return None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
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
