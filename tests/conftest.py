"""Shared fixtures: every test's state under tmp_path, offline hub, small hand-written articles."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.milvus_server import INSTALL, MilvusTestServer, collection_name, running_server

SEED_LIKE = """\
 date 2026-01-09 Lee, Takaichi to hold summit in Nara on economy, AI, regional issues
SARAH KIM
President Lee Jae Myung will make a two-day trip to Japan's Nara Prefecture on Tuesday and Wednesday for a summit with Japanese Prime Minister Sanae Takaichi, the Blue House announced Friday.
On Wednesday morning, the two leaders will visit Horyu-ji, an ancient Buddhist temple in Nara Prefecture and a Unesco World Cultural Heritage site.
In 1942, a devastating flood at the Chosei coal mine in Japan's Yamaguchi Prefecture killed 183 workers, including 136 Korean laborers forcibly mobilized under Japanese colonial rule.
Continuing his month of diplomacy, Lee will hold a bilateral summit with Italian Prime Minister Giorgia Meloni on Jan. 19, to promote cooperation in trade, investment, AI and other cutting-edge technologies.
"""

HARBOR = """\
 date 2025-11-03 City council approves new harbor bridge
TOM REYES
The city council voted 7-2 on Monday to approve a $450 million bridge across the harbor.
Construction is expected to begin next spring and take four years, the mayor said.
Opponents argued that the bridge would increase traffic in the old town.
"""

VOLCANO = """\
# Volcano erupts on remote island

---
date: 2025-12-15
author: Ana Silva
---

A volcano on the remote island of Kelua erupted on Sunday, sending ash 12 kilometers into the sky.

About 3,000 residents were evacuated by ferry to the mainland, officials said.
"""


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test touches the user's index, history or the network."""
    monkeypatch.setenv("NEWSQA_INDEX", str(tmp_path / "index"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "False")
    monkeypatch.delenv("NEWSQA_MODEL", raising=False)
    monkeypatch.delenv("NEWSQA_AUTH", raising=False)


def write_articles(folder: Path) -> Path:
    """Three small articles in three formats."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "2026-01-09-nara-summit.txt").write_text(SEED_LIKE, encoding="utf-8")
    (folder / "harbor-bridge.txt").write_text(HARBOR, encoding="utf-8")
    (folder / "volcano.md").write_text(VOLCANO, encoding="utf-8")
    return folder


@pytest.fixture
def articles_dir(tmp_path: Path) -> Path:
    return write_articles(tmp_path / "articles")


@pytest.fixture(scope="session")
def _built_hash_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from index import HashEmbedder, build_index

    root = tmp_path_factory.mktemp("hash-index")
    sources = write_articles(root / "articles")
    build_index(root / "index", [sources], embedder=HashEmbedder())
    return root


@pytest.fixture
def hash_index(_built_hash_index: Path, tmp_path: Path) -> Path:
    """A copy (safe to mutate) of a small index built with the HashEmbedder."""
    target = tmp_path / "built"
    shutil.copytree(_built_hash_index, target)
    return target / "index"


@pytest.fixture(scope="session")
def minilm():
    """The real packaged MiniLM, loaded once per session (tests using it are marked `model`)."""
    from index import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder()
    embedder.encode(["warm up"])
    return embedder


@pytest.fixture(scope="session")
def milvus_server() -> Iterator[MilvusTestServer]:
    """A real Milvus standalone server (the `milvus` package) for the whole session: a temp
    base folder, a free loopback port; stopped and removed at the end (tests/milvus_server.py)."""
    try:
        import milvus  # noqa: F401
    except ImportError:
        pytest.fail(f"the Milvus server tests need the milvus package: {INSTALL}", pytrace=False)
    with running_server() as server:
        yield server


@pytest.fixture
def milvus_collection(milvus_server: MilvusTestServer) -> Iterator[str]:
    """The store spec of a new collection on the session's server, dropped afterwards."""
    name = collection_name()
    yield milvus_server.spec(name)
    if not milvus_server.running:  # a fault test left it down
        milvus_server.start()
    milvus_server.drop(name)


_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@pytest.fixture
def web_server(monkeypatch: pytest.MonkeyPatch) -> Iterator:
    """A real HTTP server on loopback (see `web_server.WebServer`). Host names other than
    loopback do not resolve while it runs (a DNS failure, never a request to the internet);
    the CLI's per-host delay is off."""
    from web_server import WebServer

    real_getaddrinfo = socket.getaddrinfo

    def loopback_only(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(host) not in _LOOPBACK:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", loopback_only)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                 "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NEWSQA_FETCH_DELAY", "0")
    server = WebServer().start()
    yield server
    server.stop()


STORY_DIR = Path(__file__).parent / "fixtures" / "story"  # the Port Alder ferry story


@pytest.fixture(scope="session")
def _built_story_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from index import HashEmbedder, build_index

    root = tmp_path_factory.mktemp("story-index")
    shutil.copytree(STORY_DIR, root / "articles")
    build_index(root / "index", [root / "articles"], embedder=HashEmbedder())
    return root


@pytest.fixture
def story_index(_built_story_index: Path, tmp_path: Path) -> Path:
    """A copy (safe to mutate) of an index of the ferry story fixture (three articles, a
    wire copy of the second, an unrelated one), built with the HashEmbedder; its sources
    are in the `articles` folder beside it."""
    target = tmp_path / "story"
    shutil.copytree(_built_story_index, target)
    return target / "index"
