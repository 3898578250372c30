"""Helpers for the hardening tests: two article sets whose answers differ, index
snapshots, and builds run in child processes (to kill them, or to make their writes fail).

Child processes come from a `forkserver` that has imported the index package once, so a
child starts building in milliseconds instead of paying the ~1 s interpreter start-up.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import signal
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import index

# Two versions of one small newsroom. Set B changes the bridge article (another price),
# removes the volcano, adds a ferry story and keeps the rest: a sync touches every path
# (added, changed, removed, unchanged).
BRIDGE = """\
 date 2025-11-03 City council approves new harbor bridge
TOM REYES
The city council voted 7-2 on Monday to approve a {price} bridge across the harbor.
Construction is expected to begin next spring and take four years, the mayor said.
"""
VOLCANO = """\
# Volcano erupts on remote island

A volcano on the remote island of Kelua erupted on Sunday, sending ash 12 kilometers high.

About 3,000 residents were evacuated by ferry to the mainland, officials said.
"""
FERRY = """\
 date 2025-12-01 Shipyard wins order for electric ferries
ANA SILVA
The Beta shipyard won an order for six electric ferries worth $90 million on Tuesday.
"""
COMET = """\
 date 2025-03-30 Observatory spots a new comet
JOHN DOE
Astronomers at the Gamma observatory spotted a new comet on Friday.
The comet will be visible without a telescope in April, they said.
"""
PRICE = {"a": "$450 million", "b": "$900 million"}


def write_set(folder: Path, which: str, *, extra: int = 0) -> Path:
    """Article set "a" or "b" in `folder` (replacing what is there). Article ids carry the
    set's letter, so every citation tells which set it came from; `extra` adds filler
    articles to make the build longer."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    (folder / f"{which}-bridge.txt").write_text(BRIDGE.format(price=PRICE[which]), "utf-8")
    (folder / f"{which}-comet.txt").write_text(COMET, "utf-8")
    if which == "a":
        (folder / "a-volcano.md").write_text(VOLCANO, "utf-8")
    else:
        (folder / "b-ferry.txt").write_text(FERRY, "utf-8")
    for n in range(extra):
        body = " ".join(f"Filler {n}-{i} about the {which} harbor works." for i in range(40))
        (folder / f"{which}-filler-{n:03}.txt").write_text(
            f" date 2025-06-{1 + n % 28:02} Filler {which} {n}\nJANE DOE\n{body}\n", "utf-8"
        )
    return folder


Snapshot = tuple[tuple[tuple[str, str], ...], int]


def snapshot(index_dir: Path) -> Snapshot:
    """What an index holds, compared across crashes: (article id, content hash) pairs and
    the chunk count; also reads every chunk and runs both searches, so a half-written
    index fails here."""
    with index.open_index(index_dir) as reader:
        records = reader.articles()
        articles = tuple(sorted((a.id, a.content_hash) for a in records))
        rows = reader.rows_matching(sources=[a.id for a in records])
        assert rows is not None and len(rows) == reader.size
        chunks = reader.chunks(rows)
        assert {c.article_id for c in chunks} == {a.id for a in records}
        for record in records:
            text = reader.article(record.id).text
            assert all(text[c.start : c.end] == c.text for c in chunks if c.article_id == record.id)
        vector = index.HashEmbedder().encode(["harbor bridge price"])[0]
        if reader.size:
            assert reader.dense_search(vector, 3)
            reader.lexical_search("harbor bridge", 3)
        return articles, reader.size


def leftovers(index_dir: Path) -> list[str]:
    return sorted(p.name for p in index_dir.iterdir() if p.name.startswith("tmp-"))


# -- builds in child processes ---------------------------------------------------------

_CONTEXT: Any = None


def context() -> Any:
    """The forkserver multiprocessing context (started once per test session)."""
    global _CONTEXT
    if _CONTEXT is None:
        _CONTEXT = multiprocessing.get_context("forkserver")
        _CONTEXT.set_forkserver_preload(["index", "corpus", "hardening_support"])
    return _CONTEXT


def start_build(index_dir: Path, sources: Path, **options: Any) -> Any:
    """Start `child_build` in a child process; returns the `Process`."""
    process = context().Process(
        target=child_build, args=(str(index_dir), str(sources)), kwargs=options, daemon=True
    )
    process.start()
    return process


def child_build(
    index_dir: str,
    sources: str,
    *,
    kill_at: int | None = None,
    trace_file: str | None = None,
    file_size_limit: int | None = None,
    result_file: str | None = None,
    pause_in: str | None = None,
    pause_flag: str | None = None,
    release_flag: str | None = None,
) -> None:
    """Build `index_dir` from `sources` with the HashEmbedder, then exit.

    kill_at: SIGKILL this process at the n-th line executed in the `index` package.
    trace_file: write every line executed in the `index` package ("file:line function").
    file_size_limit: RLIMIT_FSIZE in bytes: a write past it fails (EFBIG), the way a
        full disk fails a write partway.
    result_file: where to write "ok" or the error's type and message.
    pause_in: on entering this function of the `index` package, create `pause_flag` and
        wait (up to 60 s) until `release_flag` exists.
    """
    if file_size_limit is not None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, resource.RLIM_INFINITY))
    lines: list[str] | None = [] if trace_file is not None else None
    if kill_at is not None or lines is not None:
        sys.settrace(_tracer(kill_at, lines))
    if pause_in is not None and pause_flag and release_flag:
        sys.settrace(_pauser(pause_in, Path(pause_flag), Path(release_flag)))
    try:
        index.build_index(index_dir, [sources], embedder=index.HashEmbedder(), lock_timeout=30)
        outcome = "ok"
    except Exception as e:
        outcome = f"{type(e).__module__}.{type(e).__name__}: {e}"
        if not isinstance(e, index.IndexStoreError):
            outcome += "\n" + traceback.format_exc()
    finally:
        sys.settrace(None)
        if file_size_limit is not None:  # the soft limit may go back up to the hard one
            resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY,) * 2)
    if trace_file is not None and lines is not None:
        Path(trace_file).write_text("\n".join(lines), "utf-8")
    if result_file is not None:
        Path(result_file).write_text(outcome, "utf-8")


_INDEX_PACKAGE = str(Path(index.__file__).parent) + os.sep


def _tracer(kill_at: int | None, lines: list[str] | None) -> Callable[..., Any]:
    """A `sys.settrace` function counting the lines run in the `index` package (and
    recording them in `lines` when given)."""
    count = 0

    def local(frame: FrameType, event: str, arg: object) -> Callable[..., Any]:
        nonlocal count
        if event == "line":
            count += 1
            if kill_at is not None and count >= kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            if lines is not None:
                lines.append(f"{Path(frame.f_code.co_filename).name}:{frame.f_lineno} "
                             f"{frame.f_code.co_name}")
        return local

    def call(frame: FrameType, event: str, arg: object) -> Callable[..., Any] | None:
        return local if frame.f_code.co_filename.startswith(_INDEX_PACKAGE) else None

    return call


def _pauser(function: str, flag: Path, release: Path) -> Callable[..., Any]:
    """A `sys.settrace` function that pauses once, on entering `function`."""
    paused = False

    def call(frame: FrameType, event: str, arg: object) -> None:
        nonlocal paused
        code = frame.f_code
        if not paused and code.co_name == function and code.co_filename.startswith(
            _INDEX_PACKAGE
        ):
            paused = True
            flag.touch()
            deadline = time.monotonic() + 60
            while not release.exists() and time.monotonic() < deadline:
                time.sleep(0.02)

    return call

