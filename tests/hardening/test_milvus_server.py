"""What only a Milvus server can do, and how newsqa fails when the server does, against the
real server the session starts (tests/milvus_server.py).

A Milvus Lite file serves one process at a time; a server is shared: `newsqa serve` keeps
answering while `newsqa build` syncs the same index from another process, and two app
processes serve one index and one collection. Each fault is one line for the user and no
traceback (neither ours nor pymilvus's logger's) unless --debug: the server down before a
build, killed in the middle of a sync, restarted while the apps serve, and a collection
dropped behind the index's back.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hardening_support import PRICE, leftovers, write_set

from index import HashEmbedder, VectorStoreError, build_index, open_index
from index.disk.layout import generation_number
from index.vectors.milvus import ALIVE, Record, visible
from index.vectors.spec import parse_store_spec
from qa import Assistant
from tests.milvus_server import MilvusTestServer, collection_name, free_port

pytestmark = [pytest.mark.milvus_server, pytest.mark.timeout(300)]

PAUSED_SYNC = Path(__file__).with_name("paused_sync.py")
QUESTION = "What did the city council approve?"
REBUILD = "does not exist any more; rebuild with 'newsqa build --full'"
LITE_BUSY = "a Milvus Lite file serves one process at a time"


def newsqa(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`newsqa ARGS` in a child process, as a user runs it: its stderr is what they see."""
    return subprocess.run([sys.executable, "-m", "qa", *args], capture_output=True, text=True,
                          timeout=timeout, check=False)


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def assert_no_traceback(stderr: str) -> None:
    for marker in ("Traceback", "[WARNING]", "[ERROR]", "pymilvus"):
        assert marker not in stderr, stderr


def which_set(text: str) -> str | None:
    """The article set ("a" or "b") whose bridge price `text` quotes."""
    found = [which for which, price in PRICE.items() if price in text]
    assert len(found) <= 1, text
    return found[0] if found else None


def count(server: MilvusTestServer, spec: str, expr: str) -> int:
    client = server.client()
    try:
        rows = client.query(spec.rsplit("/", 1)[1], filter=expr, output_fields=["count(*)"],
                            consistency_level="Strong")
        return int(rows[0]["count(*)"])
    finally:
        client.close()


def ask_once(index_dir: Path, question: str = QUESTION) -> tuple[str, int]:
    """The answer to `question` from a new `Assistant`, and how many articles it serves."""
    assistant = Assistant.open(index_dir)
    try:
        return assistant.ask(question).text, len(assistant.articles())
    finally:
        assistant.close()


def wait_for(flag: Path, process: subprocess.Popen[str], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not flag.exists():
        assert process.poll() is None, process.communicate()[1]
        assert time.monotonic() < deadline, f"{flag.name} never appeared"
        time.sleep(0.05)


# -- faults of the CLI -------------------------------------------------------------------


def test_a_build_with_the_server_down_fails_in_one_line_and_writes_nothing(
    articles_dir: Path, tmp_path: Path
) -> None:
    url = f"milvus://127.0.0.1:{free_port()}/news"  # nothing listens there
    new = tmp_path / "new"
    build = ["build", str(articles_dir), "--model", "hash", "--store", url]
    line = one_line_error(newsqa("-q", *build, "--index", str(new)))
    assert f"cannot connect to Milvus store {url!r}" in line and "server is up" in line
    assert not new.exists()

    existing = tmp_path / "existing"
    build_index(existing, [articles_dir], embedder=HashEmbedder())
    files = {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in existing.rglob("*")}
    assert url in one_line_error(newsqa("-q", *build, "--index", str(existing)))
    assert {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in existing.rglob("*")} == files

    debug = newsqa("--debug", *build, "--index", str(new))
    assert debug.returncode == 1 and "Traceback" in debug.stderr and not new.exists()


def test_a_sync_killed_with_the_server_fails_in_one_line_and_the_next_cleans_up(
    milvus_server: MilvusTestServer, milvus_collection: str, tmp_path: Path
) -> None:
    sources = {which: write_set(tmp_path / which, which) for which in "ab"}
    index_dir = tmp_path / "index"
    build_index(index_dir, [sources["a"]], embedder=HashEmbedder(), store=milvus_collection)
    before, _ = ask_once(index_dir)
    assert which_set(before) == "a"

    paused, go = tmp_path / "paused", tmp_path / "go"
    sync = subprocess.Popen(  # a sync to set b that pauses after its first vector is written
        [sys.executable, str(PAUSED_SYNC), str(paused), str(go), "build", str(sources["b"]),
         "--index", str(index_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        wait_for(paused, sync)
        milvus_server.kill()
    finally:
        go.touch()
        _, stderr = sync.communicate(timeout=180)
    assert sync.returncode == 1, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert errors == [stderr.splitlines()[-1]], stderr  # progress lines, then one error
    assert f"cannot write to Milvus store {milvus_collection!r}" in errors[0]
    assert_no_traceback(stderr)

    milvus_server.start()
    assert ask_once(index_dir) == (before, 3)  # the previous generation answers
    # The killed sync's vectors go to the server when it publishes (with its segment), so
    # none is there; its removals were marked at once.
    assert not count(milvus_server, milvus_collection, "born > 1")
    assert count(milvus_server, milvus_collection, f"dead < {ALIVE}")  # and its removals

    write_set(sources["a"], "a", extra=1)  # another sync than the killed one: set a + 1
    result = newsqa("-q", "build", str(sources["a"]), "--index", str(index_dir),
                    "--model", "hash")
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert ask_once(index_dir) == (before, 4)
    kept = [Record.read(folder) for folder in index_dir.glob("gen-*")]
    assert [generation_number(p) for p in sorted(index_dir.glob("gen-*"))] == [1, 2]
    seen = " or ".join(f"({visible(r.floor, r.serial)})" for r in kept)
    total = count(milvus_server, milvus_collection, "id >= 0")
    assert total == count(milvus_server, milvus_collection, seen)  # nothing else is left
    assert count(milvus_server, milvus_collection, f"dead < {ALIVE}") == 0  # revived
    assert leftovers(index_dir) == []


def test_a_dropped_collection_says_to_rebuild_in_one_line(
    milvus_server: MilvusTestServer, milvus_collection: str, articles_dir: Path,
    tmp_path: Path,
) -> None:
    index_dir = tmp_path / "index"
    build_index(index_dir, [articles_dir], embedder=HashEmbedder(), store=milvus_collection)
    question = "How many residents were evacuated?"
    assistant = Assistant.open(index_dir)
    assert "3,000 residents" in assistant.ask(question).text

    milvus_server.drop(milvus_collection.rsplit("/", 1)[1])
    with pytest.raises(VectorStoreError, match=REBUILD) as raised:  # the app's chat line
        assistant.ask(question)
    assert "\n" not in str(raised.value)
    for command in (["ask", question], ["build", "--model", "hash"]):
        line = one_line_error(newsqa("-q", *command, "--index", str(index_dir)))
        assert REBUILD in line and milvus_collection in line

    result = newsqa("-q", "build", "--full", "--index", str(index_dir), "--model", "hash")
    assert result.returncode == 0, result.stderr
    assert "3,000 residents" in assistant.ask(question).text  # the same app, rebuilt index
    assistant.close()


def test_milvus_lite_serves_one_process_at_a_time(articles_dir: Path, tmp_path: Path) -> None:
    """Why the tests below need a server: while one process (here this one, as `newsqa
    serve` would) has an index in a Milvus Lite file open, another process cannot sync it."""
    index_dir, lite = tmp_path / "index", parse_store_spec(tmp_path / "vectors.db")
    build_index(index_dir, [articles_dir], embedder=HashEmbedder(), store=lite)
    assistant = Assistant.open(index_dir)
    try:
        assistant.ask("How many residents were evacuated?")
        (articles_dir / "harbor-bridge.txt").unlink()
        line = one_line_error(newsqa("-q", "build", str(articles_dir), "--index",
                                     str(index_dir), "--model", "hash"))
    finally:
        assistant.close()
    assert LITE_BUSY in line


# -- two app processes over one index and one collection -------------------------------------


@dataclass(frozen=True)
class App:
    """A `newsqa serve` process: its URL, and the log of its stderr and stdout."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def client(self) -> Any:
        from gradio_client import Client

        return Client(self.url, verbose=False, download_files=False, analytics_enabled=False)


@dataclass(frozen=True)
class Served:
    index_dir: Path
    spec: str
    sources: dict[str, Path]
    apps: tuple[App, ...]

    def live_set(self) -> str:
        with open_index(self.index_dir) as reader:
            (which,) = {record.id.split("-", 1)[0] for record in reader.articles()}
        return which


@pytest.fixture(scope="module")
def served(
    milvus_server: MilvusTestServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """An index whose vectors are on the server, served by two `newsqa serve` processes."""
    root = tmp_path_factory.mktemp("served")
    sources = {which: write_set(root / which, which) for which in "ab"}
    name = collection_name()
    index_dir = root / "index"
    build_index(index_dir, [sources["a"]], embedder=HashEmbedder(),
                store=milvus_server.spec(name))
    env = {**os.environ, "HOME": str(root / "home"), "XDG_DATA_HOME": str(root / "xdg"),
           "XDG_CACHE_HOME": str(root / "cache"), "GRADIO_TEMP_DIR": str(root / "gradio"),
           "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    apps = []
    try:
        for n in range(2):
            port, log = free_port(), root / f"app-{n}.log"
            with open(log, "wb") as out:
                process = subprocess.Popen(
                    [sys.executable, "-m", "qa", "serve", "--index", str(index_dir), "--port",
                     str(port)], stdout=out, stderr=subprocess.STDOUT, env=env,
                )
            apps.append(App(f"http://127.0.0.1:{port}/", process, log))
        for app in apps:
            _wait_until_up(app)
        yield Served(index_dir, milvus_server.spec(name), sources, tuple(apps))
    finally:
        for app in apps:
            app.process.terminate()
            try:
                app.process.wait(30)
            except subprocess.TimeoutExpired:
                app.process.kill()
                app.process.wait()
        if not milvus_server.running:
            milvus_server.start()
        milvus_server.drop(name)


def _wait_until_up(app: App, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(app.url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        assert app.process.poll() is None, app.log.read_text("utf-8", "replace")
        assert time.monotonic() < deadline, app.log.read_text("utf-8", "replace")
        time.sleep(0.3)


def reply(client: Any, question: str) -> str:
    """The app's last chat message for `question`: an answer, or an error notice."""
    chat, _sources, _box = client.predict(question, 5, "", "", "", api_name="/ask")
    content = chat[-1]["content"]
    if isinstance(content, list):  # Gradio 6 normalises messages to a list of parts
        content = " ".join(str(part.get("text", "")) for part in content)
    return str(content)


def assert_clean_logs(served: Served) -> None:
    for app in served.apps:
        assert_no_traceback(app.log.read_text("utf-8", "replace"))


def test_two_app_processes_serve_one_index_and_one_collection(served: Served) -> None:
    which = served.live_set()
    clients = [app.client() for app in served.apps]
    replies = [reply(client, QUESTION) for client in clients]
    assert which_set(replies[0]) == which and replies[0] == replies[1]
    for client in clients:
        client.close()
    assert_clean_logs(served)


def test_an_app_answers_while_another_process_syncs_the_index(served: Served) -> None:
    which = served.live_set()
    other = "ab".replace(which, "")
    stop, seen, problems = threading.Event(), [], []

    def ask_until_stopped() -> None:
        client = served.apps[0].client()
        try:
            for _ in range(10_000):  # bounded; stopped long before
                if stop.is_set():
                    return
                text = reply(client, QUESTION)
                found = which_set(text)
                (seen if found else problems).append(found or text)
        except Exception as e:
            problems.append(repr(e))
        finally:
            client.close()

    asker = threading.Thread(target=ask_until_stopped)
    asker.start()
    try:
        time.sleep(1)
        result = newsqa("-q", "build", str(served.sources[other]), "--index",
                        str(served.index_dir), "--model", "hash")
        deadline = time.monotonic() + 60
        while other not in seen and not problems and time.monotonic() < deadline:
            time.sleep(0.2)  # until an answer comes from the new generation
    finally:
        stop.set()
        asker.join(120)
    assert result.returncode == 0, result.stderr
    assert not problems, problems[:3]
    assert seen[0] == which and seen[-1] == other and set(seen) == {which, other}
    client = served.apps[1].client()
    assert which_set(reply(client, QUESTION)) == other  # the other app switched too
    client.close()
    assert_clean_logs(served)


def test_the_apps_reconnect_after_the_server_restarts(
    served: Served, milvus_server: MilvusTestServer
) -> None:
    which = served.live_set()
    clients = [app.client() for app in served.apps]
    assert which_set(reply(clients[0], QUESTION)) == which
    milvus_server.restart()
    for client in clients:
        first = reply(client, QUESTION)  # waits for the server to load the collection
        if which_set(first) is None:  # or gives one line
            assert "nq-error" in first and "\n" not in first and served.spec in first, first
        deadline = time.monotonic() + 120
        while which_set(text := reply(client, QUESTION)) != which:
            assert time.monotonic() < deadline, text
            time.sleep(1)
        client.close()
    assert_clean_logs(served)
