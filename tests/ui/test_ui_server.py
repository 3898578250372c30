"""The served app, driven over HTTP with gradio_client (a real index, HashEmbedder)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ui_fakes import LiveApp, free_port

gradio_client = pytest.importorskip("gradio_client")  # a dev dependency; installed in CI

LUNAR = """\
 date 2026-02-02 Korea launches second lunar orbiter Danuri-2
JANE DOE
Korea launched its second lunar orbiter, Danuri-2, from the Naro Space Center on Monday morning.
The orbiter will map water ice near the lunar south pole for three years, the space agency said.
"""


@pytest.fixture(scope="module")
def client(live_app: LiveApp) -> Iterator[gradio_client.Client]:
    client = gradio_client.Client(
        live_app.url, verbose=False, download_files=False, analytics_enabled=False
    )
    yield client
    client.close()


def _ask(client: gradio_client.Client, question: str, since: str = "", until: str = "",
         as_of: str = "") -> tuple:
    return client.predict(question, 5, since, until, as_of, api_name="/ask")


def test_endpoints_are_named(client: gradio_client.Client) -> None:
    names = set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    assert {"/ask", "/clear", "/articles", "/add_files", "/remove_article"} <= names


def test_ask_returns_answer_and_citations(client: gradio_client.Client) -> None:
    chat, sources, box = _ask(client, "When will Lee hold a summit with Meloni?")
    assert box == ""
    assert chat[0]["role"] == "user" and chat[-1]["role"] == "assistant"
    answer = _text(chat[-1])
    assert "Jan. 19" in answer and "[1]" in answer
    assert 'id="nq-src-1"' in sources and "<mark>" in sources
    assert "Lee, Takaichi to hold summit in Nara" in sources


def test_bad_date_range_changes_nothing(client: gradio_client.Client) -> None:
    before, _, _ = client.predict(api_name="/clear")
    chat, _, box = _ask(client, "When will Lee meet Meloni?", since="2026-13-01")
    assert chat == before == [] and box == "When will Lee meet Meloni?"


def test_upload_then_ask_about_the_new_article(
    client: gradio_client.Client, live_app: LiveApp, tmp_path: Path
) -> None:
    article = tmp_path / "2026-02-02-danuri-2.txt"
    article.write_text(LUNAR, encoding="utf-8")
    bad = tmp_path / "notes.pdf"
    bad.write_bytes(b"%PDF-1.4")
    report, table, _, _ = client.predict(
        [gradio_client.handle_file(str(article)), gradio_client.handle_file(str(bad))],
        api_name="/add_files",
    )
    assert "<strong>Added</strong> 1 article" in report
    assert "notes.pdf" in report and "not supported" in report
    titles = [row[0] for row in table["data"]]
    assert "Korea launches second lunar orbiter Danuri-2" in titles
    client.predict(api_name="/clear")
    chat, sources, _ = _ask(client, "Where was the Danuri-2 lunar orbiter launched from?")
    assert "Naro Space Center" in _text(chat[-1])
    assert "Korea launches second lunar orbiter Danuri-2" in sources
    new_id = next(r.id for r in live_app.assistant.articles() if "Danuri" in r.title)
    report, table, _ = client.predict(new_id, api_name="/remove_article")
    assert "<strong>Removed</strong> 1 article" in report
    assert all("Danuri" not in row[0] for row in table["data"])


def _text(message: dict) -> str:
    content = message["content"]
    if isinstance(content, list):  # Gradio 6 normalises messages to a list of parts
        return " ".join(str(part.get("text", "")) for part in content)
    return str(content)


def test_launch_with_auth_requires_login(fake: Any) -> None:
    import httpx

    from ui import launch

    port = free_port()
    app = launch(fake, port=port, auth=("reader", "s3cret"), prevent_thread_lock=True, quiet=True)
    try:
        base = f"http://127.0.0.1:{port}/"
        assert httpx.get(base + "config", timeout=10).status_code == 401
        with httpx.Client(timeout=10) as session:
            login = session.post(base + "login", data={"username": "reader", "password": "s3cret"})
            assert login.status_code == 200
            assert session.get(base + "config").status_code == 200
    finally:
        app.close()
