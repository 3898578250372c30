"""UI fixtures: the fake assistant (see ui_fakes.py) and a live app over a real index."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from ui_fakes import EVIL, NARA, FakeAssistant, LiveApp, serve_copy


@pytest.fixture
def fake() -> FakeAssistant:
    return FakeAssistant()


@pytest.fixture
def evil_fake() -> FakeAssistant:
    return FakeAssistant([NARA, EVIL])


@pytest.fixture(scope="module")
def live_app(
    _built_hash_index: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveApp]:
    """The real app over a real (HashEmbedder) index copy, served on a free loopback port."""
    with serve_copy(_built_hash_index, tmp_path_factory.mktemp("ui-live")) as app:
        yield app
