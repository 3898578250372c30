"""One builder at a time: an exclusive `fcntl.flock` on `INDEX/.lock`.

Readers never lock: they read CURRENT, which a build replaces atomically. The kernel drops
the lock when the holder dies, so a killed build never leaves the index locked.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from index.disk.layout import LOCK_FILE
from index.errors import IndexLockedError

__all__ = ["DEFAULT_LOCK_TIMEOUT", "build_lock"]

logger = logging.getLogger(__name__)

DEFAULT_LOCK_TIMEOUT = 60.0
_POLL_SECONDS = 0.05


@contextmanager
def build_lock(index_dir: Path, *, timeout: float = DEFAULT_LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the build lock of `index_dir`, waiting up to `timeout` seconds for it.

    Raises:
        IndexLockedError: another process kept the lock for `timeout` seconds.
    """
    path = index_dir / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(fd, path, index_dir, timeout)
        _write_pid(fd)
        try:
            yield
        finally:
            with suppress(OSError):
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _write_pid(fd: int) -> None:
    """Record the holder's pid for the error of a waiting build: informative only, so a
    full disk must not fail the build here (the build reports it where it writes)."""
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    except OSError as e:
        logger.debug("cannot record the lock holder: %s", e)


def _acquire(fd: int, path: Path, index_dir: Path, timeout: float) -> None:
    deadline = time.monotonic() + max(timeout, 0.0)
    waited = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise IndexLockedError(
                    f"index '{index_dir}' is being built by another process"
                    f"{_holder(path)}; waited {timeout:g} s. Wait for that build to finish "
                    "and try again"
                ) from None
            if not waited:
                logger.info("waiting for another build of '%s' to finish", index_dir)
                waited = True
            time.sleep(_POLL_SECONDS)


def _holder(path: Path) -> str:
    try:
        pid = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""
    return f" (pid {pid})" if pid.isdigit() else ""
