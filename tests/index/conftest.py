"""Fixtures for the index tests: a counting fake embedder and tiny article writers."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from index import HashEmbedder


class CountingEmbedder(HashEmbedder):
    """A HashEmbedder that records every chunk text it embeds."""

    def __init__(self, dim: int = 64, name: str = "hash") -> None:
        super().__init__(dim)
        self.name = name
        self.embedded: list[str] = []

    def encode_chunks(
        self,
        texts: Sequence[str],
        spans_per_text: Sequence[Sequence[tuple[int, int]]],
        *,
        batch_size: int = 32,
        show_progress: bool = False,
    ) -> tuple[NDArray[np.float32], list[NDArray[np.float32]]]:
        self.embedded.extend(texts)
        return super().encode_chunks(texts, spans_per_text, batch_size=batch_size)

    def titles_embedded(self) -> set[str]:
        return {text.split("\n", 1)[0] for text in self.embedded}


def write_news(folder: Path, name: str, title: str, *paragraphs: str, date: str = "2025-06-01"):
    """Write one plain-text news article; its id is `name`."""
    folder.mkdir(parents=True, exist_ok=True)
    body = "\n".join(paragraphs)
    path = folder / f"{name}.txt"
    path.write_text(f" date {date} {title}\nJANE DOE\n{body}\n", encoding="utf-8")
    return path


@pytest.fixture
def counting() -> CountingEmbedder:
    return CountingEmbedder()


@pytest.fixture
def news_dir(tmp_path: Path) -> Path:
    """Three short dated articles: ids "alpha", "beta", "gamma"."""
    folder = tmp_path / "news"
    write_news(
        folder, "alpha", "Alpha council backs river park",
        "The Alpha city council approved a river park on Monday.",
        "Construction of the park starts in March, the mayor said.",
        date="2025-01-10",
    )
    write_news(
        folder, "beta", "Beta shipyard wins ferry order",
        "The Beta shipyard won an order for six electric ferries.",
        "The ferries will enter service in 2027.",
        date="2025-02-20",
    )
    write_news(
        folder, "gamma", "Gamma observatory spots comet",
        "Astronomers at the Gamma observatory spotted a new comet on Friday.",
        "The comet will be visible without a telescope in April.",
        date="2025-03-30",
    )
    return folder
