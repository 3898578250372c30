"""End to end in headless Chromium: ask, read the source cards, upload a hostile article.

Needs Debian's Chromium (`apt-get install -y chromium chromium-driver`); Playwright drives
it through `executable_path`, so `playwright install` is never needed. Select or skip these
tests with `-m browser` / `-m "not browser"`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ui_fakes import LiveApp

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("NEWSQA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-quic", "--disable-sync",
]
SCREENSHOTS = Path(__file__).parent / "screenshots"
# How long a wait for the page may take (a wait, not a speed check): on a 2-core machine busy
# with other jobs, an upload has taken over 30 s to show in the file list.
TIMEOUT_MS = 120_000

HOSTILE = """\
 date 2026-02-03 Harbor festival <script>window.__pwned = 1; document.title = 'x'</script> report
<img src=x onerror="window.__pwned = 2; document.title = 'pwned'">
The harbor festival drew record crowds <img src=x onerror="window.__pwned = 3"> on Sunday evening.
Organizers said [the fireworks](javascript:window.__pwned=4) lasted forty minutes over the bay.
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(
            f"Chromium not found at {CHROMIUM!r}. Install it with "
            "'sudo apt-get install -y chromium chromium-driver' (Debian/Ubuntu; CI does this), "
            "point NEWSQA_CHROMIUM at another binary, or deselect with -m 'not browser'.",
            pytrace=False,
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is missing: pip install -e '.[dev]'", pytrace=False)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def errors() -> list[str]:
    """Uncaught JavaScript errors of the page."""
    return []


@pytest.fixture
def page(browser: Any, live_app: LiveApp, errors: list[str]) -> Iterator[Any]:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.set_default_timeout(TIMEOUT_MS)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(live_app.url)
    page.wait_for_selector("#nq-question textarea")
    yield page
    page.close()


def _ask(page: Any, question: str) -> None:
    page.get_by_role("tab", name="Ask").click()
    page.fill("#nq-question textarea", question)
    page.click("#nq-ask")
    page.wait_for_function(
        "q => document.querySelector('#nq-sources-panel .nq-for')?.textContent.includes(q)",
        arg=question,
    )


def _assert_not_pwned(page: Any) -> None:
    assert page.evaluate("window.__pwned") is None
    assert page.title() == "news-qa"
    assert page.locator("a[href^='javascript']").count() == 0


def test_ask_shows_answer_and_source_cards(page: Any, errors: list[str]) -> None:
    example = page.get_by_text("When will President Lee travel to Nara?").first
    assert example.is_visible()
    example.click()  # an example question on the first screen runs at once
    page.wait_for_selector("#nq-sources-panel .nq-card")
    answer = page.locator("#nq-chat .nq-quote").last
    assert "Nara Prefecture" in answer.inner_text() and "[1]" in answer.inner_text()
    card = page.locator("#nq-sources-panel .nq-card").first
    assert card.is_visible() and card.locator("mark").first.is_visible()
    assert "[1]" in card.inner_text() and "Lee, Takaichi" in card.inner_text()
    card.locator("summary").click()
    assert card.locator(".nq-article mark").first.is_visible()
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "answer.png"))
    assert errors == []


def test_hostile_upload_is_shown_as_text(
    page: Any, errors: list[str], tmp_path: Path
) -> None:
    hostile = tmp_path / "harbor-festival.txt"
    hostile.write_text(HOSTILE, encoding="utf-8")
    page.get_by_role("tab", name="Library").click()
    page.set_input_files("#nq-upload input[type=file]", [str(hostile)])
    page.wait_for_selector("#nq-upload :text('harbor-festival.txt')")
    page.click("#nq-add")
    page.wait_for_selector("#nq-report .nq-report")
    assert "Added" in page.locator("#nq-report").inner_text()
    page.wait_for_function(
        "() => document.querySelector('#nq-library')?.textContent.includes('festival <script>')"
    )
    _assert_not_pwned(page)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "library.png"))

    _ask(page, "How long did the harbor festival fireworks last?")
    panel = page.locator("#nq-sources-panel")
    assert "<script>window.__pwned = 1" in panel.inner_text()
    for summary in panel.locator("summary").all():
        summary.click()
    shown = page.locator("#nq-chat").inner_text() + panel.inner_text()
    assert "[the fireworks](javascript:window.__pwned=4)" in shown
    assert page.locator("#nq-chat img, #nq-sources-panel img").count() == 0
    _assert_not_pwned(page)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "hostile.png"), full_page=True)
    assert errors == []


def test_add_from_a_link(page: Any, errors: list[str], web_server: Any) -> None:
    """A feed served on loopback, added through the Library tab's link field."""
    from web_server import Item, rss

    web_server.page("/news/ferry.html", "ledger-ferry.html")
    feed = web_server.add("/rss", rss("Coastal news", [Item("/news/ferry.html", "Ferry"),
                                                       Item("/gone.html", "Gone")]),
                          content_type="application/rss+xml")
    page.get_by_role("tab", name="Library").click()
    page.fill("#nq-link textarea", feed)
    page.click("#nq-add-link")
    page.wait_for_selector("#nq-report .nq-web-report")
    report = page.locator("#nq-report").inner_text()
    assert "Coastal news" in report and "2 items, 1 added, 1 failed" in report
    assert "HTTP 404 Not Found" in report
    page.wait_for_function(
        "() => document.querySelector('#nq-library')?.textContent"
        ".includes('Harbor council approves ferry plan')"
    )
    assert page.locator("#nq-link textarea").input_value() == ""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "add-link.png"), full_page=True)
    _ask(page, "When will the first two ferry boats enter service?")
    assert "2027" in page.locator("#nq-chat .nq-quote").last.inner_text()
    assert "Harbor council approves ferry plan" in page.locator("#nq-sources-panel").inner_text()
    assert errors == []


@pytest.fixture(scope="module")
def story_app(
    _built_story_index: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveApp]:
    """The real app over the ferry story index (tests/fixtures/story)."""
    from ui_fakes import serve_copy

    with serve_copy(_built_story_index, tmp_path_factory.mktemp("ui-story")) as app:
        yield app


def test_timeline_view(browser: Any, story_app: LiveApp, errors: list[str]) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(TIMEOUT_MS)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(story_app.url)
    page.get_by_role("tab", name="Timeline").click()
    page.fill("#nq-story textarea", "Port Alder ferry")
    page.click("#nq-timeline-go")
    page.wait_for_selector("#nq-timeline .nq-event")
    dates = page.locator("#nq-timeline .nq-when").all_inner_texts()
    assert dates[:3] == ["Mar 2, 2026", "Mar 6, 2026", "Mar 16, 2026"]
    view = page.locator("#nq-timeline").inner_text()
    assert "festival" not in view and "Also published as: Port Alder votes yes" in view
    assert view.count("approved the Harbor Authority's ferry plan on Friday") == 1
    page.locator("#nq-timeline .nq-event a.nq-cite").nth(1).click()
    assert page.locator("#nq-tl-src-2").is_visible()
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "timeline.png"), full_page=True)
    page.close()
    assert errors == []
