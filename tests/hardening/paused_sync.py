"""Run `newsqa ARGS...` (a build) whose embedder pauses halfway, for the Milvus fault tests:
`python paused_sync.py PAUSED GO ARGS...`.

Chunks are embedded one per slice, so the first chunk's vector is in Milvus before the
second slice starts; that one creates the file PAUSED and waits (at most 120 s) for the file
GO before the build goes on, so a test can stop the server in between.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import index
import index.sync.ingest
from index import HashEmbedder
from qa.cli import main


class PausingEmbedder(HashEmbedder):
    """The hashing embedder ('hash'), pausing before its second call."""

    def __init__(self, paused: Path, go: Path) -> None:
        super().__init__()
        self.paused, self.go, self.calls = paused, go, 0

    def encode_chunks(self, texts, spans_per_text, *, batch_size=32, show_progress=False):
        self.calls += 1
        if self.calls == 2:
            self.paused.touch()
            deadline = time.monotonic() + 120
            while not self.go.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        return super().encode_chunks(texts, spans_per_text, batch_size=batch_size)


if __name__ == "__main__":
    paused, go, *args = sys.argv[1:]
    index.sync.ingest.EMBED_SLICE = 1
    embedder = PausingEmbedder(Path(paused), Path(go))
    index.load_embedder = lambda name: embedder  # the CLI's `build` imports it from here
    sys.argv = ["newsqa", *args]
    main()
