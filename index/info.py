"""`index_info`: what an index holds, read from its manifest (no vectors are loaded)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from index.disk.copies import load_boilerplate_pages, load_copy_groups
from index.disk.layout import generation_number, require_generation
from index.disk.manifest import Manifest, read_manifest
from index.disk.segments import segments_dir
from index.disk.web_sources import WebSources

__all__ = ["index_info", "index_manifest"]


def index_manifest(index_dir: str | Path) -> Manifest:
    """The manifest of the live generation: what it holds and how it was built.

    Raises:
        IndexNotFoundError, IndexFormatError: as `open_index`.
    """
    return read_manifest(require_generation(Path(index_dir)))


def index_info(index_dir: str | Path) -> dict[str, Any]:
    """A summary of the live generation for `newsqa info`: model, counts (and how many
    chunks are embedded: a progressive build publishes before it is done), build time,
    sources (files, and feeds added from the web), segments and size on disk. Keys are
    short labels; values are JSON-friendly.

    Raises:
        IndexNotFoundError, IndexFormatError: as `open_index`.
    """
    index_dir = Path(index_dir)
    folder = require_generation(index_dir)
    manifest = read_manifest(folder)
    used = [folder, *(segments_dir(index_dir) / n for ref in manifest.segments
                      for n in (ref.name, *ref.parts))]
    size = sum(p.stat().st_size for f in used for p in f.rglob("*") if p.is_file())
    web = WebSources.load(index_dir)
    counts = manifest.counts
    groups = load_copy_groups(folder)
    return {
        "index": str(index_dir),
        "generation": generation_number(folder),
        "built": manifest.built_at,
        "newsqa": manifest.package_version,
        "format": manifest.format_version,
        "embedder": manifest.embedder.name,
        "dimension": manifest.embedder.dim,
        "vector store": manifest.store,
        "sentences from": manifest.sentence_vectors,
        "chunking": dict(manifest.chunking),
        "articles": manifest.counts.articles,
        "chunks": manifest.counts.chunks,
        "embedded": counts.embedding() + ("" if counts.complete else
                                          " (a build is embedding, or was interrupted: "
                                          "'newsqa build' resumes it)"),
        "segments": len(manifest.segments) if not manifest.legacy else "1 (format 1)",
        "sentences": manifest.counts.sentences,
        "duplicates": len(manifest.duplicates),
        "copy groups": len(groups),  # stories told by several syndicated copies
        "copies folded": sum(len(g) - 1 for g in groups),
        # pages whose text is another page's boilerplate: searchable by their headline
        "headline-only": len(load_boilerplate_pages(folder)),
        "excluded": len(manifest.excluded),
        "sources": list(manifest.sources),
        "web": f"{len(web.feeds)} feeds, {len(web.pages)} pages",
        "feeds": list(web.feeds),
        "size": f"{size / 1e6:.1f} MB",
    }
