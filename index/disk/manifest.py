"""`manifest.json`: what an index generation holds and how it was built.

Written last into a generation, so a directory with a readable manifest is complete.
Format history: 1 = the first format; `store` was added later (absent = "faiss").
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from index.disk.layout import CURRENT_FILE, MANIFEST_FILE
from index.embedding.names import parse_onnx_name
from index.errors import IndexFormatError

__all__ = [
    "FORMAT_VERSION",
    "ArticleEntry",
    "Counts",
    "EmbedderInfo",
    "Manifest",
    "package_version",
    "read_manifest",
    "write_manifest",
]

FORMAT_VERSION = 1


@dataclass(frozen=True)
class EmbedderInfo:
    name: str
    dim: int
    max_tokens: int


@dataclass(frozen=True)
class Counts:
    articles: int
    chunks: int
    sentences: int


@dataclass(frozen=True)
class ArticleEntry:
    """One indexed article: its content hash, chunk ids (in order) and source."""

    content_hash: str
    chunks: tuple[str, ...]
    source: str


@dataclass(frozen=True, kw_only=True)
class Manifest:
    """The contents of `manifest.json`.

    `sources` are the paths the index syncs from, as given; `excluded` are article ids
    removed by the user (later syncs skip them); `duplicates` maps an article id that was
    not indexed to the id of the indexed article with the same content; `next_row` is the
    first chunk row a later incremental build may use; `store` is the vector store spec
    (see `index.vectors.spec`).
    """

    format_version: int = FORMAT_VERSION
    built_at: str
    package_version: str
    embedder: EmbedderInfo
    chunking: Mapping[str, Any]
    sentence_vectors: str
    sources: tuple[str, ...]
    counts: Counts
    articles: Mapping[str, ArticleEntry]
    duplicates: Mapping[str, str] = field(default_factory=dict)
    excluded: tuple[str, ...] = ()
    next_row: int = 0
    store: str = "faiss"

    def to_dict(self) -> dict[str, Any]:
        # Built by hand: dataclasses.asdict deep-copies every chunk id (0.7 s at 60k chunks).
        return {
            "format_version": self.format_version,
            "built_at": self.built_at,
            "package_version": self.package_version,
            "embedder": asdict(self.embedder),
            "chunking": dict(self.chunking),
            "sentence_vectors": self.sentence_vectors,
            "sources": list(self.sources),
            "counts": asdict(self.counts),
            "articles": {
                key: {"content_hash": e.content_hash, "chunks": list(e.chunks), "source": e.source}
                for key, e in self.articles.items()
            },
            "duplicates": dict(self.duplicates),
            "excluded": list(self.excluded),
            "next_row": self.next_row,
            "store": self.store,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Manifest:
        """Parse a manifest; raises KeyError/TypeError/ValueError on a malformed one."""
        articles = {
            str(key): ArticleEntry(
                content_hash=str(entry["content_hash"]),
                chunks=_chunk_ids(entry["chunks"]),
                source=str(entry["source"]),
            )
            for key, entry in data["articles"].items()
        }
        return cls(
            format_version=int(data["format_version"]),
            built_at=str(data["built_at"]),
            package_version=str(data["package_version"]),
            embedder=EmbedderInfo(**data["embedder"]),
            chunking=dict(data["chunking"]),
            sentence_vectors=str(data["sentence_vectors"]),
            sources=tuple(str(s) for s in data["sources"]),
            counts=Counts(**data["counts"]),
            articles=articles,
            duplicates={str(k): str(v) for k, v in data.get("duplicates", {}).items()},
            excluded=tuple(str(a) for a in data.get("excluded", ())),
            next_row=int(data["next_row"]),
            store=str(data.get("store", "faiss")),
        )


def _chunk_ids(value: Any) -> tuple[str, ...]:
    """The chunk ids of an article entry. Only carried from generation to generation, so
    checked as a whole, not one by one (60k str() calls cost more than the rest)."""
    if not isinstance(value, list):
        raise TypeError(f"chunks must be a list, got {type(value).__name__}")
    return tuple(value)


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
    # Indented except the articles, on one line: json's fast C encoder only runs without
    # indent, and indenting 60k chunk ids cost 0.5 s.
    data = manifest.to_dict()
    articles = json.dumps(data.pop("articles"), ensure_ascii=False, sort_keys=True)
    head = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True)
    payload = f'{head[:-2]},\n "articles": {articles}\n}}'

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
