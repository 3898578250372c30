"""Writing segment and vector part folders (see `index.disk.segments` for their files).

Every folder is written under its final, fresh name inside `INDEX/segments/`, its files
fsynced, and its record (`segment.json`, `part.json`) written last; until a published
generation names it, nothing reads it, and a crashed build's folders are deleted by the
next build. A segment is written from new articles (`write_segment`) or from the live
chunks of adjacent segments (`merge_segments`, in `index.sync.merge`); a part from a
build's freshly embedded vectors (`write_part`) or from other parts (a merge).
"""

from __future__ import annotations

import shutil
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from corpus import Article
from corpus.chunking import ChunkConfig
from index.disk.docstore import DocWriter
from index.disk.layout import (
    CHUNK_ARTICLES_FILE,
    DOCS_FILE,
    LEXICAL_DIR,
    PART_FILE,
    SEGMENT_FILE,
    fsync_dir,
    fsync_file,
)
from index.disk.lexical import LexicalSegment
from index.disk.segment import Segment, open_segment
from index.disk.segments import (
    PART_PREFIX,
    SEGMENT_PREFIX,
    PartInfo,
    SegmentInfo,
    new_name,
    segments_dir,
    write_info,
)
from index.disk.sentences import write_sentences
from index.embedding.base import Embedder
from index.sync.ingest import Chunked, Embedded, chunk_into
from index.sync.progress import Progress, tell
from index.sync.state import PartState, SegmentState
from index.vectors.base import VectorWriter

__all__ = ["Buffer", "finish_part", "new_folder", "seal_segment", "write_part", "write_segment"]


def new_folder(index_dir: Path, prefix: str) -> Path:
    folder = segments_dir(index_dir) / new_name(prefix)
    folder.mkdir(parents=True)
    return folder


def write_segment(
    index_dir: Path,
    articles: Sequence[Article],
    *,
    start_row: int,
    embedder: Embedder,
    config: ChunkConfig,
    progress: Progress | None = None,
    headline_only: Collection[str] = (),
) -> tuple[SegmentState, Chunked]:
    """A new segment of `articles` (chunked, tokenised, BM25 postings; no vectors); those
    of `headline_only` are indexed by their headline alone (see `chunk_into`)."""
    folder = new_folder(index_dir, SEGMENT_PREFIX)
    headlines = sorted({a.id for a in articles} & set(headline_only))
    try:
        docs = DocWriter(folder / DOCS_FILE)
        try:
            chunked = chunk_into(articles, start_row=start_row, embedder=embedder,
                                 config=config, docs=docs, progress=progress,
                                 headline_only=set(headlines))
            tell(progress, "lexical", 0, 1)
            lexical = LexicalSegment.build(chunked.tokens, chunked.rows)
        except BaseException:
            docs.abort()
            raise
        segment = seal_segment(folder, docs, lexical, headline_only=headlines)
        tell(progress, "lexical", 1, 1)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return SegmentState.new(segment), chunked


def seal_segment(folder: Path, docs: DocWriter, lexical: LexicalSegment, *,
                 headline_only: Sequence[str] = ()) -> Segment:
    """Finish a segment being written: commit `docs`, save `lexical`, fsync everything,
    write `segment.json` (`headline_only`: its articles indexed by their headline alone);
    returns the segment, opened."""
    articles, chunks, sentences = docs.counts()
    first, last = docs.row_range()
    rows, owners = docs.chunk_articles()
    if not np.array_equal(rows, lexical.rows):
        raise ValueError("internal error: the BM25 postings are not of the segment's chunks")
    docs.close()
    fsync_file(folder / DOCS_FILE)
    np.save(folder / CHUNK_ARTICLES_FILE, owners, allow_pickle=False)
    fsync_file(folder / CHUNK_ARTICLES_FILE)
    for path in lexical.save(folder / LEXICAL_DIR):
        fsync_file(path)
    fsync_dir(folder / LEXICAL_DIR)
    write_info(folder, SEGMENT_FILE,
               SegmentInfo(folder.name, first, last, chunks, articles, sentences,
                           headline_only=tuple(sorted(headline_only))))
    return open_segment(folder)


@dataclass
class Buffer:
    """Vectors embedded since the last checkpoint, per segment name."""

    blocks: dict[str, list[Embedded]]

    @classmethod
    def empty(cls) -> Buffer:
        return cls({})

    def add(self, segment: str, embedded: Embedded) -> None:
        self.blocks.setdefault(segment, []).append(embedded)

    def __len__(self) -> int:
        return sum(len(e.rows) for blocks in self.blocks.values() for e in blocks)


def write_part(index_dir: Path, segment: str, blocks: Sequence[Embedded],
               vectors: VectorWriter, dim: int) -> PartState:
    """A vector part of `segment` with the vectors of `blocks`: the chunk vectors go to
    the store (`vectors`), the sentence vectors into the part's files."""
    rows = np.concatenate([b.rows for b in blocks])
    order = np.argsort(rows, kind="stable")
    chunk_vectors = np.concatenate([b.chunk_vectors for b in blocks])[order]
    sentence_vectors = [s for b in blocks for s in b.sentence_vectors]
    sentence_vectors = [sentence_vectors[i] for i in order]
    rows = rows[order]
    folder = new_folder(index_dir, PART_PREFIX)
    try:
        vectors.add(rows, chunk_vectors)
        flushed = vectors.flush(folder)
        paths = write_sentences(folder, rows, sentence_vectors, dim) + flushed
        return finish_part(folder, segment, rows, sum(len(s) for s in sentence_vectors),
                           paths, faiss=bool(flushed))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def finish_part(folder: Path, segment: str, rows: NDArray[np.int64], sentences: int,
                paths: Sequence[Path], *, faiss: bool) -> PartState:
    """fsync a part's files, write `part.json`."""
    for path in paths:
        fsync_file(path)
    write_info(folder, PART_FILE, PartInfo(folder.name, segment, len(rows), sentences, faiss))
    return PartState(folder, rows)

