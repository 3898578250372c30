"""Run a full build whose embedder is slow, for the crash test: `python slow_build.py
INDEX SOURCES FLAG`. It creates FLAG once embedding has started, then crawls on."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from index import HashEmbedder, build_index


class SlowEmbedder(HashEmbedder):
    def __init__(self, flag: Path) -> None:
        super().__init__()
        self.flag = flag

    def encode_chunks(self, texts, spans_per_text, *, batch_size=32, show_progress=False):
        self.flag.touch()
        time.sleep(60)
        return super().encode_chunks(texts, spans_per_text)


if __name__ == "__main__":
    index_dir, sources, flag = sys.argv[1:4]
    build_index(index_dir, [sources], embedder=SlowEmbedder(Path(flag)), full=True)
