"""The backend of a store spec, and the check a build makes before writing anything."""

from __future__ import annotations

from index.vectors.base import StoreBackend
from index.vectors.faiss_backend import FaissBackend
from index.vectors.milvus import MilvusBackend
from index.vectors.spec import StoreSpec

__all__ = ["check_store", "store_backend"]


def store_backend(spec: StoreSpec) -> StoreBackend:
    """The backend that makes the stores of `spec`. Milvus's needs pymilvus, imported when
    a store is made (`VectorStoreError` with the install command when it is missing)."""
    return FaissBackend() if spec.kind == "faiss" else MilvusBackend(spec)


def check_store(spec: StoreSpec) -> None:
    """Make sure the store of `spec` can be used before a build writes anything: a Milvus
    server must answer (FAISS files and Milvus Lite need no check).

    Raises:
        VectorStoreError: the server does not answer, or pymilvus is not installed.
    """
    if spec.kind == "milvus":
        MilvusBackend(spec).check()
