"""Chunk vectors in a Milvus collection, on a server or in a Milvus Lite file, via pymilvus.

All generations of an index share one collection, so a build must never change what
readers of an older generation see. Every entity carries its chunk `row` and two build
serials: `born`, the serial of the build that added it, and `dead`, the serial of the
build that removed it (`ALIVE` until then). The generation with serial S and floor F sees
exactly the entities with `F <= born <= S < dead`:

- an incremental build (serial S+1, same floor) inserts with born = S+1 and marks removed
  entities dead = S+1 (an upsert), invisible to readers of S;
- a full build starts a new floor (F = S+1), hiding every older entity at once;
- a progressive build publishes several generations: each `checkpoint` records the serial
  so far in the generation being published and moves the writer to the next serial, so
  what it adds afterwards is invisible to that generation;
- a build undoes what a crashed earlier build left (born or dead above the live serial);
- after old generations are deleted, `collect` deletes what no kept generation sees.

The primary key is `born << 32 | row`, so a full rebuild may reuse rows. Each generation
folder names its collection, owner, floor and serial in `vectors.milvus.json`. Talking to
Milvus is `index.vectors.milvus_client`'s job.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from index.disk.layout import MILVUS_FILE
from index.errors import VectorStoreError
from index.vectors.base import PartVectors
from index.vectors.milvus_client import (
    BATCH,
    MAX_LIMIT,
    OWNER_PROPERTY,
    MilvusCollection,
    row_filter,
)
from index.vectors.spec import StoreSpec

__all__ = ["ALIVE", "CollectionGoneError", "MilvusBackend", "MilvusStore", "Record", "visible"]

logger = logging.getLogger(__name__)

ALIVE = 1 << 62
_REBUILD = "rebuild with 'newsqa build --full'"
_ROW_BITS = 32


@dataclass(frozen=True)
class Record:
    """The contents of `vectors.milvus.json` in a generation folder."""

    spec: str
    collection: str
    owner: str
    floor: int
    serial: int
    dim: int
    count: int

    @classmethod
    def read(cls, folder: Path) -> Record:
        """Raises FileNotFoundError, or ValueError for a malformed file."""
        text = (folder / MILVUS_FILE).read_text(encoding="utf-8")
        try:
            data = json.loads(text)
            return cls(**{key: type(default)(data[key]) for key, default in _FIELDS.items()})
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
            raise ValueError(f"'{folder / MILVUS_FILE}' is malformed ({e})") from e


_FIELDS: dict[str, Any] = {"spec": "", "collection": "", "owner": "", "floor": 0, "serial": 0,
                           "dim": 0, "count": 0}


def visible(floor: int, serial: int) -> str:
    """The filter expression of the entities a generation sees."""
    return f"born >= {floor} and born <= {serial} and dead > {serial}"


class MilvusStore:
    """The vectors of one generation in a Milvus collection (see the module docstring).
    A read-only store (`writable=False`) never changes the collection."""

    def __init__(self, collection: MilvusCollection, record: Record, *, writable: bool) -> None:
        self._collection = collection
        self._record = record
        self._writable = writable
        self._visible = visible(record.floor, record.serial)
        self._size = None if writable else collection.count(self._visible)

    @property
    def dim(self) -> int:
        return self._record.dim

    @property
    def size(self) -> int:
        return self._size if self._size is not None else self._collection.count(self._visible)

    def add(self, rows: NDArray[np.int64], vectors: NDArray[np.float32]) -> None:
        self._check_writable()
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        rows = np.asarray(rows, dtype=np.int64)
        if vectors.ndim != 2 or vectors.shape[1] != self.dim or len(vectors) != len(rows):
            raise ValueError(
                f"expected {len(rows)} vectors of dim {self.dim}, got shape {vectors.shape}"
            )
        if len(rows) and (rows.min() < 0 or rows.max() >= 1 << _ROW_BITS):
            raise ValueError(f"chunk rows must be in [0, 2**{_ROW_BITS}) for Milvus")
        serial = self._record.serial
        for start in range(0, len(rows), BATCH):  # new ids: a build first undoes leftovers
            self._collection.insert([
                {"id": (serial << _ROW_BITS) | int(row), "row": int(row), "born": serial,
                 "dead": ALIVE, "vector": vector}
                for row, vector in zip(rows[start:start + BATCH], vectors[start:start + BATCH],
                                       strict=True)
            ])

    def remove(self, rows: NDArray[np.int64]) -> int:
        """Mark the vectors of `rows` removed from this generation on; older generations
        keep seeing them until `collect`."""
        self._check_writable()
        removed = 0
        for expr in row_filter(np.asarray(rows, dtype=np.int64)):
            while found := self._collection.query(
                f"({self._visible}) and ({expr})", ["id", "row", "born", "vector"]
            ):
                self._collection.upsert([{**e, "dead": self._record.serial} for e in found])
                removed += len(found)
        return removed

    def search(
        self, vector: NDArray[np.float32], k: int, *, rows: NDArray[np.int64] | None = None
    ) -> list[tuple[int, float]]:
        query = np.ascontiguousarray(vector, dtype=np.float32).reshape(-1)
        if query.shape[0] != self.dim:
            raise ValueError(f"query vector has dim {query.shape[0]}, the index has {self.dim}")
        k = min(k, MAX_LIMIT)
        if k <= 0:
            return []
        if rows is None:
            return self._collection.search(query, k, self._visible)
        hits = [hit for expr in row_filter(rows)
                for hit in self._collection.search(query, k, f"({self._visible}) and ({expr})")]
        return sorted(hits, key=lambda hit: -hit[1])[:k]

    def score(self, vector: NDArray[np.float32], rows: NDArray[np.int64]) -> NDArray[np.float32]:
        """The inner product of `vector` with the vector of each of `rows` (one filtered
        search); NaN for a row this generation has no vector for."""
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return np.empty(0, dtype=np.float32)
        found = dict(self.search(vector, len(np.unique(rows)), rows=rows))
        return np.array([found.get(int(r), np.nan) for r in rows], dtype=np.float32)

    def flush(self, part: Path) -> list[Path]:
        return []  # the vectors are on the server since `add`

    def checkpoint(self, folder: Path) -> list[Path]:
        """Record the generation's serial in `folder`; later changes get the next one."""
        self._check_writable()
        record = Record(**{**asdict(self._record), "count": self.size})
        path = folder / MILVUS_FILE
        with open(path, "w", encoding="utf-8") as f:
            f.write(json.dumps(asdict(record), indent=1, sort_keys=True) + "\n")
        self._record = Record(**{**asdict(record), "serial": record.serial + 1})
        self._visible = visible(record.floor, record.serial + 1)
        return [path]

    def close(self) -> None:
        self._collection.close()

    def _check_writable(self) -> None:
        if not self._writable:
            raise ValueError("this Milvus store is a published generation, open read-only")


class CollectionGoneError(ValueError):
    """The collection a generation's vectors are in was dropped."""


class MilvusBackend:
    """Stores of one collection (see `StoreBackend`)."""

    files = (MILVUS_FILE,)
    part_files: tuple[str, ...] = ()
    legacy_files = (MILVUS_FILE,)

    def __init__(self, spec: StoreSpec) -> None:
        self.spec = spec
        self.collection = spec.collection

    def check(self) -> None:
        """Raise VectorStoreError unless the server answers (a Lite file needs no check)."""
        if self.spec.kind == "milvus":
            MilvusCollection(self.spec).close()

    def writer(self, dim: int, *, previous: Path | None, full: bool) -> MilvusStore:
        if full or previous is None or self._record(previous) is None:
            return self.create(dim, previous=previous)
        return self.fork(previous)

    def open(self, folder: Path, dim: int, parts: Sequence[PartVectors],
             deleted: NDArray[np.int64]) -> MilvusStore:
        return self.open_legacy(folder)  # removed vectors are marked dead on the server

    def merge(self, parts: Sequence[PartVectors], out: Path) -> list[Path]:
        return []  # rows never change: the server's vectors stay as they are

    def create(self, dim: int, *, previous: Path | None) -> MilvusStore:
        base = self._record(previous)
        collection = MilvusCollection(self.spec)
        try:
            info = collection.describe()
            if info is not None and base is not None:
                self._check(info, base.owner, dim)
                collection.load()
                self._undo_after(collection, base.serial)
                owner, serial = base.owner, base.serial + 1
            else:
                owner, serial = self._claim(collection, info, dim), 1
        except BaseException:
            collection.close()
            raise
        record = Record(str(self.spec), self.collection, owner, serial, serial, dim, 0)
        return MilvusStore(collection, record, writable=True)

    def fork(self, folder: Path) -> MilvusStore:
        base = self._require_record(folder)
        collection = MilvusCollection(self.spec)
        try:
            self._check(collection.describe(), base.owner, base.dim)
            collection.load()
            self._undo_after(collection, base.serial)
        except CollectionGoneError as e:  # not a corrupt index: a sync cannot go on
            collection.close()
            raise VectorStoreError(f"{e}; {_REBUILD}") from e
        except BaseException:
            collection.close()
            raise
        record = Record(**{**asdict(base), "serial": base.serial + 1})
        return MilvusStore(collection, record, writable=True)

    def open_legacy(self, folder: Path) -> MilvusStore:
        record = self._require_record(folder)
        collection = MilvusCollection(self.spec)
        try:
            self._check(collection.describe(), record.owner, record.dim)
            collection.load()
            return MilvusStore(collection, record, writable=False)
        except CollectionGoneError as e:
            collection.close()
            raise VectorStoreError(f"{e}; {_REBUILD}") from e
        except BaseException:
            collection.close()
            raise

    def collect(self, kept: Sequence[Path]) -> None:
        """Delete the entities that no `kept` generation sees, and leftovers of crashed
        builds."""
        records = [r for r in map(self._record, kept) if r is not None]
        if not records:
            return
        collection = MilvusCollection(self.spec)
        try:
            if collection.describe() is None:
                return
            floor = min(r.floor for r in records)
            low, high = min(r.serial for r in records), max(r.serial for r in records)
            collection.delete(f"dead <= {low} or born < {floor} or born > {high}")
        finally:
            collection.close()

    def _record(self, folder: Path | None) -> Record | None:
        """The record of a generation of this collection; None for another store."""
        if folder is None:
            return None
        try:
            record = Record.read(folder)
        except (OSError, ValueError):
            return None
        return record if record.spec == str(self.spec) else None

    def _require_record(self, folder: Path) -> Record:
        record = Record.read(folder)  # FileNotFoundError, ValueError: as a missing file
        if record.spec != str(self.spec):
            raise ValueError(
                f"'{folder / MILVUS_FILE}' names store {record.spec!r}, the manifest "
                f"{str(self.spec)!r}"
            )
        return record

    def _check(self, info: dict[str, Any] | None, owner: str, dim: int) -> None:
        where = f"Milvus collection {self.collection!r} of {str(self.spec)!r}"
        if info is None:
            raise CollectionGoneError(f"{where} does not exist any more")
        found = str(info.get("properties", {}).get(OWNER_PROPERTY, owner))
        if found != owner:
            raise VectorStoreError(
                f"{where} belongs to another index; use another collection name"
            )
        fields = {f["name"]: f for f in info.get("fields", [])}
        have = fields.get("vector", {}).get("params", {}).get("dim")
        if set(fields) != {"id", "row", "born", "dead", "vector"} or int(have or 0) != dim:
            raise VectorStoreError(
                f"{where} holds vectors of dim {have} with fields {sorted(fields)}, not this "
                f"index's (dim {dim}); use another collection name, e.g. for another model"
            )

    def _claim(self, collection: MilvusCollection, info: dict[str, Any] | None, dim: int) -> str:
        """The owner token of a new chain of generations in this collection."""
        owner = uuid.uuid4().hex
        if info is None:
            collection.create(dim, owner)
            return owner
        self._check(info, str(info.get("properties", {}).get(OWNER_PROPERTY, owner)), dim)
        collection.load()
        if collection.count("id >= 0"):
            raise VectorStoreError(
                f"Milvus collection {self.collection!r} of {str(self.spec)!r} already holds "
                "vectors that this index did not write; use another collection name, or drop that "
                "collection if nothing uses it"
            )
        collection.label(owner)
        return owner

    @staticmethod
    def _undo_after(collection: MilvusCollection, serial: int) -> None:
        """Undo what builds after generation `serial` left (they crashed before
        publishing): their entities go, their removals are revived."""
        collection.delete(f"born > {serial}")
        revived = 0
        while found := collection.query(f"dead > {serial} and dead < {ALIVE}",
                                        ["id", "row", "born", "vector"]):
            collection.upsert([{**e, "dead": ALIVE} for e in found])
            revived += len(found)
        if revived:
            logger.info("revived %d vectors removed by an interrupted build", revived)
