"""`manifest.json`: what an index generation holds and how it was built.

Written last into a generation, so a directory with a readable manifest is complete.
Format history: 1 = one SQLite file, one FAISS file and one BM25 folder per generation,
and every article's chunk ids in the manifest (`store` was added later, absent = "faiss");
2 = the generation lists its segments and their vector parts (`index.disk.segments`), and
counts the chunks embedded so far (a progressive build publishes before it has embedded
everything). Format 1 is still read: the next build rewrites it as a segment.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from index.disk.layout import CURRENT_FILE, MANIFEST_FILE
from index.embedding.names import parse_onnx_name
from index.errors import IndexFormatError

__all__ = [
    "FORMAT_VERSION",
    "LEGACY_FORMAT",
    "Counts",
    "EmbedderInfo",
    "Manifest",
    "SegmentRef",
    "package_version",
    "read_manifest",
    "write_manifest",
]

FORMAT_VERSION = 2
LEGACY_FORMAT = 1


@dataclass(frozen=True)
class EmbedderInfo:
    name: str
    dim: int
    max_tokens: int


@dataclass(frozen=True)
class Counts:
    """Live articles, chunks and sentences, and how many of the chunks have vectors."""

    articles: int
    chunks: int
    sentences: int
    embedded: int

    @property
    def complete(self) -> bool:
        return self.embedded >= self.chunks

    def embedding(self) -> str:
        """How far embedding got, e.g. "12,400 of 19,227 chunks embedded"."""
        return f"{self.embedded:,} of {self.chunks:,} chunks embedded"


@dataclass(frozen=True)
class SegmentRef:
    """A segment as one generation sees it: its row range, its live counts (tombstones
    left out; `deleted` chunks are tombstoned), and the vector parts that hold the
    vectors of its `embedded` chunks."""

    name: str
    first_row: int
    last_row: int
    articles: int
    chunks: int
    sentences: int
    embedded: int
    deleted: int = 0
    parts: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return self.embedded >= self.chunks

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "parts": list(self.parts)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SegmentRef:
        numbers = ("first_row", "last_row", "articles", "chunks", "sentences", "embedded",
                   "deleted")
        if set(data) - {"name", "parts", *numbers}:
            raise KeyError(f"unknown segment fields {sorted(set(data) - set(numbers))}")
        return cls(str(data["name"]), *(int(data[key]) for key in numbers[:-1]),
                   deleted=int(data.get("deleted", 0)),
                   parts=tuple(str(p) for p in data.get("parts", ())))


@dataclass(frozen=True, kw_only=True)
class Manifest:
    """The contents of `manifest.json`.

    `sources` are the paths the index syncs from, as given; `excluded` are article ids
    removed by the user (later syncs skip them); `duplicates` maps an article id that was
    not indexed to the id of the indexed article with the same content; `next_row` is the
    first chunk row a later incremental build may use; `store` is the vector store spec
    (see `index.vectors.spec`); `segments` are the generation's segments in row order
    (empty for format 1, whose generation folder holds the data itself).
    """

    format_version: int = FORMAT_VERSION
    built_at: str
    package_version: str
    embedder: EmbedderInfo
    chunking: Mapping[str, Any]
    sentence_vectors: str
    sources: tuple[str, ...]
    counts: Counts
    segments: tuple[SegmentRef, ...] = ()
    duplicates: Mapping[str, str] = field(default_factory=dict)
    excluded: tuple[str, ...] = ()
    next_row: int = 0
    store: str = "faiss"

    @property
    def legacy(self) -> bool:
        """A format-1 generation: one store in its own folder, every chunk embedded."""
        return self.format_version == LEGACY_FORMAT

    def with_counts(self) -> Manifest:
        """This manifest with `counts` summed from its segments."""
        if self.legacy:
            return self
        total = Counts(*(sum(getattr(s, name) for s in self.segments)
                         for name in ("articles", "chunks", "sentences", "embedded")))
        return replace(self, counts=total)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": self.format_version,
            "built_at": self.built_at,
            "package_version": self.package_version,
            "embedder": asdict(self.embedder),
            "chunking": dict(self.chunking),
            "sentence_vectors": self.sentence_vectors,
            "sources": list(self.sources),
            "counts": asdict(self.counts),
            "segments": [s.to_dict() for s in self.segments],
            "duplicates": dict(self.duplicates),
            "excluded": list(self.excluded),
            "next_row": self.next_row,
            "store": self.store,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Manifest:
        """Parse a manifest; raises KeyError/TypeError/ValueError on a malformed one."""
        version = int(data["format_version"])
        counts = dict(data["counts"])
        if version == LEGACY_FORMAT:  # every chunk of a format-1 index has its vector
            counts.setdefault("embedded", counts["chunks"])
            if not isinstance(data["articles"], dict):  # its per-article entries, unused
                raise TypeError("articles must be an object")
        return cls(
            format_version=version,
            built_at=str(data["built_at"]),
            package_version=str(data["package_version"]),
            embedder=EmbedderInfo(**data["embedder"]),
            chunking=dict(data["chunking"]),
            sentence_vectors=str(data["sentence_vectors"]),
            sources=tuple(str(s) for s in data["sources"]),
            counts=Counts(**counts),
            segments=tuple(SegmentRef.from_dict(s) for s in data.get("segments", ())),
            duplicates={str(k): str(v) for k, v in data.get("duplicates", {}).items()},
            excluded=tuple(str(a) for a in data.get("excluded", ())),
            next_row=int(data["next_row"]),
            store=str(data.get("store", "faiss")),
        )


def now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def package_version() -> str:
    try:
        return metadata.version("newsqa")
    except metadata.PackageNotFoundError:
        return "unknown"


def write_manifest(folder: Path, manifest: Manifest) -> Path:
    """Write `folder/manifest.json` and fsync it."""
    path = folder / MANIFEST_FILE
    payload = json.dumps(manifest.to_dict(), ensure_ascii=False, indent=1, sort_keys=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(payload + "\n")
        f.flush()
        os.fsync(f.fileno())
    return path


def read_manifest(folder: Path) -> Manifest:
    """Read and check `folder/manifest.json`.

    Raises:
        IndexFormatError: unreadable, malformed, or written by a newer newsqa.
    """
    path = folder / MANIFEST_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as e:  # ValueError: bad UTF-8 or JSON
        reason = str(e).split("\n")[0][:200] or type(e).__name__
        raise IndexFormatError(
            f"index manifest '{path}' is unreadable ({reason}); rebuild with "
            "'newsqa build --full'"
        ) from e
    version = data.get("format_version") if isinstance(data, dict) else None
    if not isinstance(version, int) or isinstance(version, bool):
        raise IndexFormatError(
            f"'{path}' is not a newsqa index manifest (no format_version); "
            "rebuild with 'newsqa build --full'"
        )
    if version > FORMAT_VERSION:
        raise IndexFormatError(
            f"index '{folder}' has format {version}, built by a newer newsqa "
            f"(this one reads format {FORMAT_VERSION}); upgrade newsqa or rebuild with "
            "'newsqa build --full'"
        )
    try:
        manifest = Manifest.from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise IndexFormatError(
            f"index manifest '{path}' is malformed ({type(e).__name__}: {e}); "
            "rebuild with 'newsqa build --full'"
        ) from e
    _refuse_model_inside(folder, manifest.embedder.name)
    return manifest


def _refuse_model_inside(folder: Path, model: str) -> None:
    """Refuse a manifest whose embedding model is a folder inside the index: loading a
    model can run code (custom modules, pickled weights), and an index folder is data
    that may come from anywhere."""
    root = folder.parent if (folder.parent / CURRENT_FILE).is_file() else folder
    onnx = parse_onnx_name(model)  # the same model through ONNX Runtime
    model = onnx[0] if onnx else model
    try:
        path = Path(model).expanduser().resolve()
        inside = path.exists() and (path == root.resolve() or root.resolve() in path.parents)
    except (OSError, RuntimeError, ValueError):  # not a usable path: a model name
        return
    if inside:
        raise IndexFormatError(
            f"index '{root}' names its embedding model {model!r}, a path inside the index; "
            "newsqa never loads a model from an index folder. Move the model out and "
            "rebuild with 'newsqa build --full --model PATH'"
        )
