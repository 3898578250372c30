"""UI fixtures: the fake assistant (see ui_fakes.py) and a live app over a real index."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from ui_fakes import EVIL, NARA, FakeAssistant, LiveApp, free_port


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
    from index import HashEmbedder
    from qa import Assistant
    from ui import launch

    root = tmp_path_factory.mktemp("ui-live")
    shutil.copytree(_built_hash_index, root / "built")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GRADIO_TEMP_DIR", str(root / "gradio-tmp"))
        assistant = Assistant.open(root / "built" / "index", embedder=HashEmbedder())
        port = free_port()
        app = launch(assistant, port=port, prevent_thread_lock=True, quiet=True)
        try:
            yield LiveApp(f"http://127.0.0.1:{port}/", assistant)
        finally:
            app.close()
            assistant.close()
