"""Sentence vectors of a vector part, as numpy files (float16, read memory-mapped).

A part holds, for its chunk rows (`rows.npy`, ascending), every chunk's sentence vectors
one after another (`sentences.npy`, (sentences, dim) float16) and where each row's start
(`sentence_starts.npy`, len(rows) + 1 offsets). Arrays are written with numpy's own format
and read with `allow_pickle=False`, memory-mapped: a reader touches only the rows it asks
for, and a part deleted while a reader has it open stays readable by that reader.

`LegacySentences` reads the sentence vectors a format-1 generation keeps in its SQLite file.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from index.disk.docstore import DocStore

__all__ = [
    "ROWS_FILE",
    "LegacySentences",
    "SentencePart",
    "Sentences",
    "copy_sentences",
    "write_sentences",
]

ROWS_FILE = "rows.npy"
_VECTORS_FILE = "sentences.npy"
_STARTS_FILE = "sentence_starts.npy"


def write_sentences(
    folder: Path, rows: NDArray[np.int64], vectors: Sequence[NDArray[np.float32]], dim: int
) -> list[Path]:
    """Write the sentence vectors of `rows` (ascending; `vectors[i]` of `rows[i]`, shape
    (sentences, dim)) into `folder`; returns the files written."""
    rows = np.asarray(rows, dtype=np.int64)
    if len(rows) != len(vectors) or (len(rows) and np.any(np.diff(rows) <= 0)):
        raise ValueError("sentence vectors need strictly ascending rows, one block per row")
    sizes = np.array([len(v) for v in vectors], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    packed = np.zeros((int(starts[-1]), dim), dtype=np.float16)
    for start, block in zip(starts[:-1], vectors, strict=True):
        if len(block):
            packed[start : start + len(block)] = block
    paths = [folder / ROWS_FILE, folder / _VECTORS_FILE, folder / _STARTS_FILE]
    for path, array in zip(paths, (rows, packed, starts), strict=True):
        np.save(path, array, allow_pickle=False)
    return paths


def copy_sentences(
    folder: Path, dim: int, rows: NDArray[np.int64], counts: NDArray[np.int64],
    sources: Sequence[SentencePart | LegacySentences],
) -> list[Path]:
    """Write into `folder` the sentence vectors of `rows` (ascending; `counts[i]` sentences
    for `rows[i]`) read from `sources`, which hold every one of them: a merge. Streams
    into a memory-mapped file, so a million chunks' vectors never sit in memory at once."""
    rows = np.asarray(rows, dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    out = np.lib.format.open_memmap(folder / _VECTORS_FILE, mode="w+", dtype=np.float16,
                                    shape=(int(starts[-1]), dim))
    filled = np.zeros(len(rows), dtype=bool)
    for source in sources:
        filled |= source.copy_into(out, rows, starts)
    if not filled.all():
        raise ValueError(f"{int((~filled).sum())} rows have no sentence vectors to copy")
    out.flush()
    del out
    np.save(folder / ROWS_FILE, rows, allow_pickle=False)
    np.save(folder / _STARTS_FILE, starts, allow_pickle=False)
    return [folder / ROWS_FILE, folder / _VECTORS_FILE, folder / _STARTS_FILE]


def _ranges(starts: NDArray[np.int64], lengths: NDArray[np.int64]) -> NDArray[np.int64]:
    """The indices start_i .. start_i + length_i - 1 of every range, concatenated."""
    total = int(lengths.sum())
    if not total:
        return np.empty(0, np.int64)
    shift = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    return shift + np.arange(total, dtype=np.int64)


class SentencePart:
    """The sentence vectors of one vector part (read-only, thread-safe)."""

    def __init__(self, folder: Path, dim: int) -> None:
        """Raises OSError or ValueError for missing, corrupt or inconsistent files."""
        self.folder = folder
        self.rows = np.load(folder / ROWS_FILE, allow_pickle=False).astype(np.int64, copy=False)
        self._starts = np.load(folder / _STARTS_FILE, allow_pickle=False)
        self._vectors = np.load(folder / _VECTORS_FILE, mmap_mode="r", allow_pickle=False)
        ok = (
            self.rows.ndim == 1 and self._starts.shape == (len(self.rows) + 1,)
            and self._vectors.ndim == 2 and self._vectors.shape[1] == dim
            and self._vectors.dtype == np.float16
            and (not len(self.rows) or np.all(np.diff(self.rows) > 0))
            and self._starts[0] == 0 and self._starts[-1] == len(self._vectors)
            and np.all(np.diff(self._starts) >= 0)
        )
        if not ok:
            raise ValueError(f"the sentence vectors in '{folder}' are inconsistent")

    @property
    def sentences(self) -> int:
        return int(self._starts[-1])

    def get(self, rows: NDArray[np.int64]) -> dict[int, NDArray[np.float32]]:
        """Sentence vectors (float32) of those of `rows` this part holds."""
        rows = np.asarray(rows, dtype=np.int64)
        found, positions = _matches(rows, self.rows)
        if not len(found):
            return {}
        # One gather and one conversion for all the rows, then a view per row.
        starts = self._starts[positions]
        lengths = self._starts[positions + 1] - starts
        block = np.asarray(self._vectors[_ranges(starts, lengths)], dtype=np.float32)
        block.setflags(write=False)  # the views may be shared (the reader's cache)
        ends = np.cumsum(lengths).tolist()
        return {row: block[end - length:end] for row, length, end in
                zip(rows[found].tolist(), lengths.tolist(), ends, strict=True)}

    def copy_into(self, out: NDArray[np.float16], rows: NDArray[np.int64],
                  starts: NDArray[np.int64]) -> NDArray[np.bool_]:
        """Copy the vectors of those of `rows` this part holds to `out` at `starts`;
        returns which rows it filled."""
        found, mine = _matches(rows, self.rows)
        lengths = self._starts[mine + 1] - self._starts[mine]
        if np.any(lengths != starts[found + 1] - starts[found]):
            raise ValueError(f"the sentence vectors in '{self.folder}' do not fit their chunks")
        source = _ranges(self._starts[mine], lengths)
        target = _ranges(starts[found], lengths)
        for begin in range(0, len(source), 1 << 20):  # a bounded amount at a time
            out[target[begin:begin + (1 << 20)]] = self._vectors[source[begin:begin + (1 << 20)]]
        filled = np.zeros(len(rows), dtype=bool)
        filled[found] = True
        return filled


class LegacySentences:
    """The sentence vectors a format-1 generation keeps in its SQLite file."""

    def __init__(self, docs: DocStore, rows: NDArray[np.int64], dim: int) -> None:
        self.rows = rows
        self._docs = docs
        self._dim = dim

    def get(self, rows: NDArray[np.int64]) -> dict[int, NDArray[np.float32]]:
        return self._docs.sentence_vectors([int(r) for r in rows], self._dim)

    def copy_into(self, out: NDArray[np.float16], rows: NDArray[np.int64],
                  starts: NDArray[np.int64]) -> NDArray[np.bool_]:
        found, _ = _matches(rows, self.rows)
        for begin in range(0, len(found), 2048):
            chosen = found[begin:begin + 2048]
            vectors = self.get(rows[chosen])
            for i in chosen:
                block = vectors[int(rows[i])]
                if len(block) != starts[i + 1] - starts[i]:
                    raise ValueError(f"chunk row {int(rows[i])} has {len(block)} sentence "
                                     "vectors for a different number of sentences")
                out[starts[i]:starts[i + 1]] = block
        filled = np.zeros(len(rows), dtype=bool)
        filled[found] = True
        return filled


def _matches(wanted: NDArray[np.int64],
             have: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(indices into `wanted`, positions in `have`) of the rows both hold (both sorted)."""
    positions = np.searchsorted(have, wanted)
    inside = positions < len(have)
    inside[inside] = have[positions[inside]] == wanted[inside]
    return np.flatnonzero(inside), positions[inside]


class Sentences:
    """The sentence vectors of a generation: those of its parts (read-only)."""

    def __init__(self, parts: Sequence[SentencePart | LegacySentences]) -> None:
        self._parts = list(parts)

    @property
    def mapped(self) -> bool:
        """Whether every part reads its vectors from a memory-mapped file (a read costs
        less than keeping it in a cache would; a format-1 part reads SQLite)."""
        return all(isinstance(part, SentencePart) for part in self._parts)

    def get(self, rows: Sequence[int]) -> dict[int, NDArray[np.float32]]:
        """Per row that has them, its sentence vectors (sentences, dim) float32."""
        wanted = np.asarray(list(rows), dtype=np.int64)
        found: dict[int, NDArray[np.float32]] = {}
        for part in self._parts:
            if len(wanted):
                found.update(part.get(wanted))
        return found
