"""Errors raised while building, opening and searching an index.

Every message says what went wrong, where, and what to do about it.
"""

from __future__ import annotations

__all__ = [
    "ArticleNotFoundError",
    "EmbedderError",
    "EmbedderMismatchError",
    "IndexFormatError",
    "IndexLockedError",
    "IndexNotFoundError",
    "IndexStoreError",
    "VectorStoreError",
    "short_reason",
]


class IndexStoreError(Exception):
    """Base class for every error of the index layer."""


class IndexNotFoundError(IndexStoreError):
    """There is no index at the given path (no CURRENT pointer, no manifest.json)."""


class IndexFormatError(IndexStoreError):
    """An index exists but cannot be read: corrupt or truncated files, or a format
    version this newsqa does not know."""


class EmbedderMismatchError(IndexStoreError):
    """The embedder given for a query is not the one the index was built with."""


class IndexLockedError(IndexStoreError):
    """Another process holds the build lock of the index for longer than the timeout."""


class EmbedderError(IndexStoreError):
    """An embedding model cannot be loaded or used."""


class VectorStoreError(IndexStoreError):
    """A vector store cannot be used: an unknown store spec, a Milvus server that cannot be
    reached or refuses a request, a collection that belongs to another index, or pymilvus
    missing."""


class ArticleNotFoundError(IndexStoreError, KeyError):
    """An article id that is not in the index."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


def short_reason(error: BaseException, limit: int = 200) -> str:
    """`error`'s message on one line of at most `limit` characters, to name the cause in a
    message of ours. FAISS's messages name the C++ function and file first, and the useful
    part comes last ("Error in void faiss::write_index(...) at index_write.cpp:499: Error:
    'ret == (size * 4)' failed: write error ..."): of those only that last part is kept."""
    text = " ".join(str(error).split())
    if text.startswith("Error in "):
        text = text.rsplit("Error: ", 1)[-1]
    return text[:limit] or type(error).__name__
