"""Talking to Milvus through pymilvus: one collection of a store spec (a server, or a Milvus
Lite file served in-process), pymilvus errors turned into one-line `VectorStoreError`s, and
filter expressions for chunk rows.

Every request uses Strong consistency, so a reader opened right after a build sees all of
its vectors. The token for a server that requires authentication comes from
`NEWSQA_MILVUS_TOKEN` (see `index.settings`): a secret never goes in a manifest.

A server that restarts comes back without its collections loaded: a read (search, query,
count) that finds its collection not loaded loads it, waiting up to LOAD_TIMEOUT_S, and
tries once more; pymilvus itself reconnects a client whose server went away and came back.
Writes are never retried: a build whose server fails is abandoned, and the next build
undoes what it left (see `index.vectors.milvus`).

pymilvus configures its own loggers when it is imported and logs failed retries and
reconnections with tracebacks; `set_client_log_level` lets the CLI and the UI quiet them.
"""

from __future__ import annotations

import logging
import sys
import threading
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from index.errors import VectorStoreError
from index.settings import milvus_token
from index.vectors.spec import StoreSpec

__all__ = [
    "BATCH",
    "LOAD_TIMEOUT_S",
    "MAX_LIMIT",
    "OWNER_PROPERTY",
    "MilvusCollection",
    "row_filter",
    "set_client_log_level",
]

logger = logging.getLogger(__name__)

OWNER_PROPERTY = "newsqa.owner"
MAX_LIMIT = 16384  # Milvus's cap on limit (top k) and on entities per query
FILTER_TERMS = 512  # row terms per filter expression; longer lists are searched in groups
BATCH = 1000
# A restarted Milvus 2.3 standalone serves its collections again once the killed server's
# sessions expire (30 s by default), plus the load itself: a question waits that long.
LOAD_TIMEOUT_S = 60.0
_COLLECTION_NOT_FOUND = 100  # Milvus error codes (merr)
_COLLECTION_NOT_LOADED = 101
_REBUILD = "rebuild with 'newsqa build --full'"
_T = TypeVar("_T")
_client_log_level: int | None = None


def set_client_log_level(level: int | None) -> None:
    """The level of pymilvus's own loggers in this process, now and whenever pymilvus is
    imported later (its import configures them); None leaves pymilvus's own (WARNING)."""
    global _client_log_level
    _client_log_level = level
    if "pymilvus" in sys.modules:
        _apply_client_log_level()


def _apply_client_log_level() -> None:
    if _client_log_level is None:
        return
    for name, found in list(logging.root.manager.loggerDict.items()):
        # pymilvus sets levels on "pymilvus" and a few children that don't propagate.
        ours = name == "pymilvus" or name.startswith("pymilvus.")
        if ours and isinstance(found, logging.Logger) and (
            name == "pymilvus" or found.level != logging.NOTSET
        ):
            found.setLevel(_client_log_level)


def row_filter(rows: NDArray[np.int64]) -> Iterator[str]:
    """Filter expressions that together select `rows`: consecutive rows become ranges
    (an article's chunks have consecutive rows), at most FILTER_TERMS terms each."""
    ordered = np.unique(np.asarray(rows, dtype=np.int64))
    if not len(ordered):
        return
    breaks = np.flatnonzero(np.diff(ordered) != 1) + 1
    starts = ordered[np.concatenate(([0], breaks))]
    ends = ordered[np.concatenate((breaks - 1, [len(ordered) - 1]))]
    runs = list(zip(starts.tolist(), ends.tolist(), strict=True))
    for i in range(0, len(runs), FILTER_TERMS):
        group = runs[i : i + FILTER_TERMS]
        terms = [f"(row >= {a} and row <= {b})" for a, b in group if a != b]
        singles = [str(a) for a, b in group if a == b]
        if singles:
            terms.append(f"row in [{','.join(singles)}]")
        yield _any_of(terms)


def _any_of(terms: list[str]) -> str:
    """`terms` joined by "or" as a balanced tree: a Milvus 2.3 server cannot parse a chain
    of more than ~45 (its expression protobuf nests one level per "or")."""
    if len(terms) == 1:
        return terms[0]
    middle = len(terms) // 2
    return f"({_any_of(terms[:middle])} or {_any_of(terms[middle:])})"


_LITE_LOCK = threading.Lock()
_LITE_USERS: dict[str, int] = {}


def _disconnect(client: Any, lite: str | None) -> None:
    """Close `client`; the last one of a Milvus Lite file stops its in-process server, so
    another process may open the file (pymilvus would keep it until exit)."""
    client.close()
    if lite is None:
        return
    with _LITE_LOCK:
        _LITE_USERS[lite] -= 1
        if _LITE_USERS[lite]:
            return
        del _LITE_USERS[lite]
        try:
            from milvus_lite.server_manager import server_manager_instance

            server_manager_instance.release_server(lite)
        except (ImportError, AttributeError) as e:  # another milvus-lite: it stops at exit
            logger.debug("cannot stop the Milvus Lite server of '%s': %s", lite, e)


class MilvusCollection:
    """One collection through a `MilvusClient`; pymilvus errors become VectorStoreError."""

    def __init__(self, spec: StoreSpec) -> None:
        self.spec, self.name, self.where = spec, spec.collection, str(spec)
        try:
            from pymilvus import MilvusClient
        except ImportError as e:
            raise VectorStoreError(
                f"vector store {self.where!r} needs pymilvus; install it with "
                "pip install 'newsqa[milvus]'"
            ) from e
        _apply_client_log_level()
        lite = str(spec.path) if spec.kind == "milvus-lite" else None
        uri, token = spec.uri, milvus_token()
        if lite:
            Path(lite).parent.mkdir(parents=True, exist_ok=True)
        # An in-process Lite server needs no keepalive pings, and answers pymilvus's (every
        # 10 s) with GOAWAY "too_many_pings" errors on stderr after a few minutes.
        options = {"grpc_options": {"grpc.keepalive_time_ms": 2**31 - 1}} if lite else {}
        with _LITE_LOCK:
            self.client = self._call(
                "connect to", lambda: MilvusClient(uri=uri, token=token, **options)
            )
            if lite:
                _LITE_USERS[lite] = _LITE_USERS.get(lite, 0) + 1
        # Closed when the store is closed or dropped (e.g. a fork unused by a no-op sync).
        self.close = weakref.finalize(self, _disconnect, self.client, lite)

    def _call(self, what: str, fn: Callable[[], _T]) -> _T:
        import grpc
        from pymilvus.exceptions import MilvusException

        try:
            return fn()
        except MilvusException as e:
            raise self._error(what, e.code, getattr(e, "message", "") or str(e)) from e
        except grpc.RpcError as e:  # pymilvus passes a few through, e.g. DEADLINE_EXCEEDED
            code = e.code() if callable(getattr(e, "code", None)) else None
            details = e.details() if callable(getattr(e, "details", None)) else str(e)
            raise self._error(what, None, f"{getattr(code, 'name', 'RPC error')}: {details}") from e

    def _error(self, what: str, code: object, message: str) -> VectorStoreError:
        """One line: what failed, on which store, and what to do."""
        message = " ".join(message.split())
        lowered = message.lower()
        if code == _COLLECTION_NOT_FOUND or "collection not found" in lowered:
            return VectorStoreError(
                f"Milvus collection {self.name!r} of {self.where!r} does not exist any more; "
                f"{_REBUILD}"
            )
        if code == _COLLECTION_NOT_LOADED or "not loaded" in lowered:
            return _NotLoadedError(
                f"cannot {what} Milvus store {self.where!r}: the server has not loaded "
                f"collection {self.name!r} ({message}); it loads it again after a restart: "
                "try again in a moment"
            )
        hint = "check that the server is up and the --store URL"
        if "open local milvus" in lowered:
            hint = ("a Milvus Lite file serves one process at a time: stop the other "
                    "process using it, or use a Milvus server")
        return VectorStoreError(f"cannot {what} Milvus store {self.where!r} ({message}); {hint}")

    def _read(self, what: str, fn: Callable[[], _T]) -> _T:
        """A read: if the server lost the collection's load (a restart), load it and try
        once more."""
        try:
            return self._call(what, fn)
        except _NotLoadedError:
            logger.info("Milvus collection %r of %s is not loaded (a server restart?); "
                        "loading it", self.name, self.spec)
            self._load()
            return self._call(what, fn)

    def _load(self) -> None:
        self._call("load", lambda: self.client.load_collection(
            self.name, timeout=LOAD_TIMEOUT_S))

    def describe(self) -> dict[str, Any] | None:
        if not self._call("list collections of", lambda: self.client.has_collection(self.name)):
            return None
        return self._call("describe", lambda: self.client.describe_collection(self.name))

    def create(self, dim: int, owner: str) -> None:
        from pymilvus import DataType, MilvusClient

        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        for name in ("row", "born", "dead"):
            schema.add_field(name, DataType.INT64)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
        params = self.client.prepare_index_params()
        # Exact search in a Lite file (tests, small indexes); the server picks its own ANN.
        kind = "FLAT" if self.spec.kind == "milvus-lite" else "AUTOINDEX"
        params.add_index(field_name="vector", index_type=kind, metric_type="IP")
        # Milvus Lite serves in-process and logs an error (with a traceback) for a call
        # pymilvus makes while creating a collection and then does without: hide it.
        grpc_log = logging.getLogger("grpc._server")
        level = grpc_log.level
        grpc_log.setLevel(logging.CRITICAL)
        try:
            self._call("create a collection in", lambda: self.client.create_collection(
                self.name, schema=schema, index_params=params, consistency_level="Strong"))
        finally:
            grpc_log.setLevel(level)
        self.label(owner)
        logger.info("created Milvus collection %r (dim %d) in %s", self.name, dim, self.spec)

    def label(self, owner: str) -> None:
        """Mark the collection as holding the vectors of the index `owner`."""
        self._call("label the collection of", lambda: self.client.alter_collection_properties(
            self.name, properties={OWNER_PROPERTY: owner}))

    def load(self) -> None:
        """Load the collection for searching, waiting while the server loads it."""
        state = self._call("check", lambda: self.client.get_load_state(self.name))
        if str(state.get("state")) != "Loaded":  # NotLoad, Loading
            self._load()

    def count(self, expr: str) -> int:
        result = self._read("count in", lambda: self.client.query(
            self.name, filter=expr, output_fields=["count(*)"], consistency_level="Strong"))
        return int(result[0]["count(*)"])

    def query(self, expr: str, fields: list[str], limit: int = BATCH) -> list[dict[str, Any]]:
        return list(self._read("query", lambda: self.client.query(
            self.name, filter=expr, output_fields=fields, limit=limit,
            consistency_level="Strong")))

    def insert(self, entities: list[dict[str, Any]]) -> None:
        if entities:
            self._call("write to", lambda: self.client.insert(self.name, entities))

    def upsert(self, entities: list[dict[str, Any]]) -> None:
        if entities:
            self._call("write to", lambda: self.client.upsert(self.name, entities))

    def delete(self, expr: str) -> None:
        self._call("delete from", lambda: self.client.delete(self.name, filter=expr))

    def search(self, vector: NDArray[np.float32], k: int, expr: str) -> list[tuple[int, float]]:
        result = self._read("search", lambda: self.client.search(
            self.name, data=[vector], limit=k, filter=expr, output_fields=["row"],
            search_params={"metric_type": "IP"}, consistency_level="Strong"))
        return [(int(hit["entity"]["row"]), float(hit["distance"])) for hit in result[0]]


class _NotLoadedError(VectorStoreError):
    """The server has the collection but has not loaded it (yet)."""
