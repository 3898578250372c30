"""Chunks in, a durable searchable index out: embedders, vector stores (FAISS or Milvus),
BM25 + SQLite stores, incremental atomic builds, and `IndexReader` for the query path.

Subpackages, each importing only from those listed before it: `embedding` (the `Embedder`
protocol and its models), `disk` (the files of an index folder), `vectors` (where the
chunk vectors live), `sync` (building: plan, then write). This module is the public face.
"""

from index.candidates import Candidates
from index.disk.docstore import ArticleRecord
from index.disk.layout import live_generation
from index.disk.lexical import tokenize
from index.disk.manifest import Manifest
from index.embedding.base import Embedder
from index.embedding.factory import load_embedder
from index.embedding.hashing import HashEmbedder
from index.embedding.names import DEFAULT_MODEL
from index.embedding.sentence_transformer import SentenceTransformerEmbedder
from index.errors import (
    ArticleNotFoundError,
    EmbedderError,
    EmbedderMismatchError,
    IndexFormatError,
    IndexLockedError,
    IndexNotFoundError,
    IndexStoreError,
    VectorStoreError,
)
from index.info import index_info, index_manifest
from index.reader import IndexReader, open_index
from index.sync.build import BuildReport, build_index
from index.sync.library import MAX_FILE_BYTES, add_files, remove_articles
from index.sync.web import WebReport, add_urls, has_web_sources, refresh_web
from index.vectors.milvus_client import set_client_log_level

__all__ = [
    "DEFAULT_MODEL",
    "MAX_FILE_BYTES",
    "ArticleNotFoundError",
    "ArticleRecord",
    "BuildReport",
    "Candidates",
    "Embedder",
    "EmbedderError",
    "EmbedderMismatchError",
    "HashEmbedder",
    "IndexFormatError",
    "IndexLockedError",
    "IndexNotFoundError",
    "IndexReader",
    "IndexStoreError",
    "Manifest",
    "SentenceTransformerEmbedder",
    "VectorStoreError",
    "WebReport",
    "add_files",
    "add_urls",
    "build_index",
    "has_web_sources",
    "index_info",
    "index_manifest",
    "live_generation",
    "load_embedder",
    "open_index",
    "refresh_web",
    "remove_articles",
    "set_client_log_level",
    "tokenize",
]
