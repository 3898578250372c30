"""A real Milvus server for the tests: Milvus standalone 2.3 from the `milvus` package (one
binary in a wheel, embedded etcd, local storage), run as its own process on loopback.

The `milvus_server` fixture (tests/conftest.py) starts one per test session in a temp base
folder on a free port, and stops and removes it at the end, also when tests fail; the fault
tests kill and restart it. The server process is tied to the test process (Linux's parent
death signal), so even a killed pytest leaves no server behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import logging
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import types
import uuid
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
START_TIMEOUT_S = 180.0
START_ATTEMPTS = 3
# A restarted server waits for the killed one's etcd sessions to expire before it serves
# its collections again: 30 s by default, 10 s here (loaded again ~5 s after a restart).
SESSION_TTL_S = 10
ROLES = ("rootCoord", "proxy", "queryCoord", "queryNode", "indexNode", "dataCoord", "dataNode")
INSTALL = "pip install -e '.[milvus-server]' (make test installs it)"


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def collection_name() -> str:
    """A collection name no other test uses."""
    return f"t_{uuid.uuid4().hex[:16]}"


EMBEDDED_ETCD = """\
name: default
listen-client-urls: http://{host}:{client}
advertise-client-urls: http://{host}:{client}
listen-peer-urls: http://{host}:{peer}
initial-advertise-peer-urls: http://{host}:{peer}
initial-cluster: default=http://{host}:{peer}
"""


class ServerExited(RuntimeError):
    """The server process ended before it answered."""


class MilvusTestServer:
    """One Milvus standalone server in `base`, serving on HOST:`port`; its ports are kept
    across restarts.

    The binary's embedded etcd listens on 2379 and 2380 unless given a config file of its
    own (ETCD_CONFIG_PATH): without one, a second server on the machine (another test run,
    a developer's) cannot start. Here etcd gets free ports too.
    """

    def __init__(self, base: Path, port: int) -> None:
        self.base, self.port = base, port
        self.etcd_ports = (free_port(), free_port())
        self._server: Any = None

    @property
    def uri(self) -> str:
        return f"http://{HOST}:{self.port}"

    def spec(self, collection: str) -> str:
        """The newsqa store spec of `collection` on this server."""
        return f"milvus://{HOST}:{self.port}/{collection}"

    @property
    def running(self) -> bool:
        return self._server is not None and self._server.running

    def start(self) -> None:
        """Start the server and wait until it answers; its data in `base` is kept. A server
        that exits while starting is started again, up to `START_ATTEMPTS` times: right
        after a kill, the old process's ports and files can still be held for a moment."""
        for attempt in range(1, START_ATTEMPTS + 1):
            try:
                self._start_once()
                return
            except ServerExited:
                if attempt == START_ATTEMPTS:
                    raise
                logger.warning("the Milvus server exited while starting (attempt %d); "
                               "starting it again", attempt)
                time.sleep(2.0 * attempt)

    def _start_once(self) -> None:
        milvus = _import_milvus()
        client, peer = self.etcd_ports
        etcd_config = self.base / "embedded-etcd.yaml"
        self.base.mkdir(parents=True, exist_ok=True)
        etcd_config.write_text(EMBEDDED_ETCD.format(host=HOST, client=client, peer=peer), "utf-8")
        config = _loopback_config(milvus)()
        self._server = server = milvus.MilvusServer(
            config, wait_for_started=False, proxy_port=self.port, etcd_port=client
        )
        server.set_base_dir(str(self.base))
        for role in ROLES:  # every component on loopback, none on the machine's address
            server.config.set(f"{role}.ip", HOST)
        server.config.set("common.session.ttl", SESSION_TTL_S)

        def popen(*args: Any, env: dict[str, str], **kwargs: Any) -> subprocess.Popen[bytes]:
            # MilvusServer starts the binary with subprocess.Popen: add etcd's config and
            # the parent death signal.
            return subprocess.Popen(*args, env={**env, "ETCD_CONFIG_PATH": str(etcd_config)},
                                    preexec_fn=_die_with_parent, **kwargs)

        patched = types.SimpleNamespace(Popen=popen, TimeoutExpired=subprocess.TimeoutExpired)
        started = time.monotonic()
        with _patched(milvus, "subprocess", patched):
            server.start()
        self._wait_until_serving(started + START_TIMEOUT_S)
        logger.info("Milvus server up on port %d in %.1f s", self.port,
                    time.monotonic() - started)

    def kill(self) -> None:
        """SIGKILL the server, as a crash would."""
        server = self._server
        if server is None or server.server_proc is None:
            return
        server.server_proc.kill()
        server.server_proc.wait(30)
        server.server_proc = None
        server.stop()  # closes its log files

    def restart(self) -> None:
        self.kill()
        self.start()

    def stop(self) -> None:
        """Stop the server (Milvus standalone does not stop on SIGTERM in time: killed)."""
        self.kill()
        self._server = None

    def client(self) -> Any:
        from pymilvus import MilvusClient

        return MilvusClient(self.uri)

    def drop(self, collection: str) -> None:
        client = self.client()
        try:
            client.drop_collection(collection)
        finally:
            client.close()

    def _wait_until_serving(self, deadline: float) -> None:
        from pymilvus import MilvusClient
        from pymilvus.exceptions import MilvusException

        while True:
            try:
                client = MilvusClient(self.uri, timeout=5)
                client.list_collections()
                client.close()
                return
            except MilvusException:
                exited = self._server.server_proc.poll() is not None
                if exited or time.monotonic() > deadline:
                    log = self.base / "logs" / "milvus-stdout.log"
                    lines = log.read_text("utf-8", "replace").splitlines() \
                        if log.exists() else []
                    errors = [line[:300] for line in lines if "[ERROR]" in line][:3] \
                        or [line[:300] for line in lines[-3:]]
                    self.stop()
                    raise (ServerExited if exited else RuntimeError)(
                        f"the Milvus server in '{self.base}' did not start "
                        f"({'it exited' if exited else 'timed out'}): {errors}"
                    ) from None
                time.sleep(0.5)


@contextlib.contextmanager
def running_server() -> Any:
    """A started server in a new temp folder; stopped and the folder removed on exit."""
    base = Path(tempfile.mkdtemp(prefix="newsqa-milvus-"))
    server = MilvusTestServer(base, free_port())
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


def _import_milvus() -> Any:
    try:
        import milvus
    except ImportError as e:
        raise RuntimeError(f"the Milvus server tests need the milvus package: {INSTALL}") from e
    return milvus


@functools.cache
def _loopback_config(milvus: Any) -> Any:
    class LoopbackConfig(milvus.MilvusServerConfig):
        """Checks its ports with SO_REUSEADDR, as the Go server binds them: a restart gets
        the same port while the killed server's connections are still in TIME_WAIT."""

        def try_bind_port(self, port: int) -> socket.socket | None:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((HOST, port))
                sock.listen()
            except OSError:
                sock.close()
                return None
            return sock

    return LoopbackConfig


def _die_with_parent() -> None:
    """In the server's process before exec: SIGKILL it when the test process dies."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


@contextlib.contextmanager
def _patched(module: Any, name: str, value: Any) -> Any:
    old = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, old)
