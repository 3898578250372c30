"""`open_index`: open the live generation of an index as an `IndexReader`, checking that
its files agree with its manifest (a format-1 generation is read as one segment)."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

from index.disk.documents import Documents
from index.disk.layout import (
    LEXICAL_DIR,
    PART_FILE,
    SQLITE_FILE,
    require_generation,
)
from index.disk.lexical import ROWS_FILE
from index.disk.manifest import Manifest, read_manifest
from index.disk.segment import open_segment, shared
from index.disk.segments import PartInfo, read_deletions, read_info, segments_dir
from index.disk.sentences import LegacySentences, SentencePart, Sentences
from index.errors import IndexFormatError, short_reason
from index.reader.snapshot import IndexReader
from index.vectors.base import StoreBackend, VectorStore
from index.vectors.factory import store_backend
from index.vectors.spec import parse_store_spec

__all__ = ["open_index"]

logger = logging.getLogger(__name__)

_V = TypeVar("_V")
_REBUILD = "rebuild with 'newsqa build --full'"


def open_index(index_dir: str | Path) -> IndexReader:
    """Open the live generation of the index at `index_dir` (or a folder that directly
    holds a manifest.json).

    Raises:
        IndexNotFoundError: no index there.
        IndexFormatError: the index is from a newer newsqa, incomplete or corrupt.
        VectorStoreError: its vector store (a Milvus server) cannot be used.
    """
    index_dir = Path(index_dir)
    tries = 5
    while True:
        folder = require_generation(index_dir)
        try:
            return _open_generation(index_dir, folder)
        except IndexFormatError:
            # Builds published newer generations while we opened this one, and deleted it
            # with the segments only it used: open the live one.
            tries -= 1
            if not tries or folder.exists():
                raise


def _open_generation(index_dir: Path, folder: Path) -> IndexReader:
    manifest = read_manifest(folder)
    backend = store_backend(parse_store_spec(manifest.store))
    files = backend.legacy_files if manifest.legacy else backend.files
    for name in files:
        if not (folder / name).is_file():
            raise IndexFormatError(
                f"index '{folder}' is incomplete: '{name}' is missing; {_REBUILD}")
    if manifest.legacy:
        docs, sentences, vectors = _open_legacy(folder, manifest, backend)
    else:
        docs, sentences, vectors = _open_segments(index_dir, folder, manifest, backend)
    try:
        counts = manifest.counts
        if vectors.dim != manifest.embedder.dim or vectors.size != counts.embedded:
            raise IndexFormatError(
                f"the vectors of '{folder}' are {vectors.size} of dim {vectors.dim}, the "
                f"manifest says {counts.embedded} of dim {manifest.embedder.dim}; {_REBUILD}")
        if docs.counts() != (counts.articles, counts.chunks):
            raise IndexFormatError(
                f"the segments of '{folder}' hold {docs.counts()[1]} chunks of "
                f"{docs.counts()[0]} articles, the manifest says {counts.chunks} of "
                f"{counts.articles}; {_REBUILD}")
        lexical = _load_part(folder, lambda _: docs.lexical())
        docs.check()
        reader = IndexReader(index_dir, folder, manifest, vectors, lexical, docs, sentences)
    except (sqlite3.DatabaseError, KeyError, ValueError) as e:  # tables that don't agree
        vectors.close()
        raise IndexFormatError(f"the index at '{folder}' is unreadable ({short_reason(e)}); "
                               f"{_REBUILD}") from e
    except BaseException:
        vectors.close()
        raise
    logger.debug("opened %s: %d chunks", folder, reader.size)
    return reader


def _open_legacy(folder: Path, manifest: Manifest,
                 backend: StoreBackend) -> tuple[Documents, Sentences, VectorStore]:
    """A format-1 generation: one SQLite file, one BM25 folder, one vector file."""
    for name in (SQLITE_FILE, f"{LEXICAL_DIR}/{ROWS_FILE}"):
        if not (folder / name).is_file():
            raise IndexFormatError(
                f"index '{folder}' is incomplete: '{name}' is missing; {_REBUILD}")
    segment = _load_part(folder / SQLITE_FILE, lambda _: open_segment(folder, legacy=True))
    _load_part(folder / LEXICAL_DIR, lambda _: segment.lexical())
    sentences = Sentences([LegacySentences(segment.docs, segment.rows, manifest.embedder.dim)])
    vectors = _load_part(folder / backend.legacy_files[0], lambda _: backend.open_legacy(folder))
    return Documents([segment]), sentences, vectors


def _open_segments(index_dir: Path, folder: Path, manifest: Manifest,
                   backend: StoreBackend) -> tuple[Documents, Sentences, VectorStore]:
    root = _segments_of(index_dir, folder)
    deleted, moved = _load_part(folder, read_deletions)
    segments = [_load_part(root / ref.name, open_segment) for ref in manifest.segments]
    for segment in segments:
        _load_part(segment.folder / LEXICAL_DIR, lambda _, s=segment: s.lexical())
    dim = manifest.embedder.dim
    parts = [_load_part(root / name, lambda path: _sentence_part(path, dim))
             for ref in manifest.segments for name in ref.parts]
    docs = _load_part(folder, lambda _: Documents(segments, deleted, moved))
    tombstoned = [s.rows[~docs.row_live(i)] for i, s in enumerate(segments)]
    deleted_rows = np.sort(np.concatenate(tombstoned)) if tombstoned else np.empty(0, np.int64)
    vectors = _load_part(root, lambda _: backend.open(
        folder, dim, [(p.folder, p.rows) for p in parts], deleted_rows))
    return docs, Sentences(parts), vectors


def _segments_of(index_dir: Path, folder: Path) -> Path:
    """The segments folder of the generation in `folder`: its index's (a generation
    folder opened directly is inside one)."""
    for candidate in (segments_dir(index_dir), segments_dir(folder.parent)):
        if candidate.is_dir():
            return candidate
    return segments_dir(index_dir)


def _sentence_part(folder: Path, dim: int) -> SentencePart:
    read_info(folder, PART_FILE, PartInfo)  # its files are all there, none truncated
    return shared("sentences", folder, PART_FILE, lambda: SentencePart(folder, dim))


def _load_part(path: Path, load: Callable[[Path], _V]) -> _V:
    try:
        return load(path)
    except (OSError, EOFError, RuntimeError, ValueError, KeyError, TypeError, AttributeError,
            sqlite3.DatabaseError) as e:
        # numpy raises EOFError for an empty .npy file, TypeError/AttributeError come from
        # parameters that are not the JSON object that was written.
        raise IndexFormatError(
            f"index file '{path}' is corrupt or truncated ({short_reason(e)}); {_REBUILD}"
        ) from e
