"""Chunks in, a durable searchable index out: embedders, vector stores (FAISS or Milvus),
BM25 + SQLite stores, incremental atomic builds, and `IndexReader` for the query path."""

from index.disk.docstore import ArticleRecord
from index.disk.lexical import tokenize
from index.disk.manifest import Manifest
from index.embedding.base import Embedder
from index.embedding.factory import load_embedder
from index.embedding.hashing import HashEmbedder
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
from index.info import index_info
from index.reader import Candidates, IndexReader, open_index
from index.sync.build import BuildReport, build_index
from index.sync.library import add_files, remove_articles

__all__ = [
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
    "add_files",
    "build_index",
    "index_info",
    "load_embedder",
    "open_index",
    "remove_articles",
    "tokenize",
]
