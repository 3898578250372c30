"""A progressive build in a child process, for the resume tests: `python
progressive_child.py INDEX SOURCES [KILL_AT] [TRACE_FILE]`.

It embeds in slices of `SLICE` chunks and publishes a generation after every slice
(`CHECKPOINTS`). Once the first generation (text and BM25, no vectors) is published, it
counts the lines it runs in the `index` package; with
KILL_AT it SIGKILLs itself at that line, with TRACE_FILE it writes them there
("file:line function"), one a line.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Any

import index
import index.sync.ingest
from index import HashEmbedder, build_index
from index.sync.policy import CheckpointPolicy

SLICE = 4
CHECKPOINTS = CheckpointPolicy(min_chunks=1, every_chunks=SLICE, every_s=3600.0)
_INDEX = str(Path(index.__file__).parent)


def build(index_dir: str | Path, sources: str | Path, embedder: Any = None) -> Any:
    """The build the tests run (in process too, with the same slicing)."""
    index.sync.ingest.EMBED_SLICE = SLICE
    return build_index(index_dir, [sources], embedder=embedder or HashEmbedder(),
                       checkpoints=CHECKPOINTS, lock_timeout=30)


def tracer(kill_at: int | None, lines: list[str] | None) -> Any:
    count = 0
    armed = False  # from the return of the first publication (the text and BM25)

    def local(frame: FrameType, event: str, arg: object) -> Any:
        nonlocal count, armed
        if event == "return" and frame.f_code.co_name == "publish" and (
                frame.f_code.co_filename.endswith("commit.py")):
            armed = True
        if event == "line" and armed:
            count += 1
            if kill_at is not None and count >= kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            if lines is not None:
                lines.append(f"{Path(frame.f_code.co_filename).name}:{frame.f_lineno} "
                             f"{frame.f_code.co_name}")
        return local

    def call(frame: FrameType, event: str, arg: object) -> Any:
        return local if frame.f_code.co_filename.startswith(_INDEX) else None

    return call


if __name__ == "__main__":
    index_dir, sources = sys.argv[1:3]
    kill_at = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3] != "-" else None
    trace_file = sys.argv[4] if len(sys.argv) > 4 else None
    lines: list[str] | None = [] if trace_file else None
    sys.settrace(tracer(kill_at, lines))
    build(index_dir, sources)
    sys.settrace(None)
    if trace_file and lines is not None:
        Path(trace_file).write_text("\n".join(lines), encoding="utf-8")
