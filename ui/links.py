"""The Library tab's "Add from a link": article pages and feeds added by URL, with one
result line per URL. A plain handler (no gradio), like `ui.handlers`; it never raises.

Every string shown (titles, URLs, reasons) is escaped: a page's title is untrusted text.
"""

from __future__ import annotations

import logging
import re
from html import escape
from typing import Any

from corpus.errors import CorpusError
from index.errors import IndexStoreError
from qa.settings import fetch_config
from ui.handlers import AssistantLike, LibraryResult, ProgressFn, _library, _stage_progress

__all__ = ["MAX_LINKS", "add_links", "parse_links", "render_web_report"]

logger = logging.getLogger(__name__)

MAX_LINKS = 20
_SEPARATORS = re.compile(r"[\s,]+")


def parse_links(text: str | None) -> list[str]:
    """The URLs typed or pasted in the field: separated by spaces, commas or new lines."""
    return list(dict.fromkeys(u for u in _SEPARATORS.split(text or "") if u))


def add_links(
    assistant: AssistantLike, text: str | None, *, progress: ProgressFn | None = None
) -> LibraryResult:
    """Add the article pages and feeds in `text`; report what happened to each URL."""
    urls = parse_links(text)
    if not urls:
        return _library(assistant, "", warning="Paste the link of an article or a feed first.")
    if len(urls) > MAX_LINKS:
        return _library(assistant, "", warning=f"{len(urls)} links at once is too many; add at "
                        f"most {MAX_LINKS} at a time.")
    add_urls = getattr(assistant, "add_urls", None)
    if add_urls is None:
        return _library(assistant, "", warning="This app cannot add links.")
    try:
        report = add_urls(urls, progress=_stage_progress(progress), fetch_config=fetch_config())
    except Exception as e:  # the UI boundary: one clear line, no traceback
        expected = isinstance(e, (CorpusError, IndexStoreError, OSError))
        logger.log(logging.INFO if expected else logging.ERROR, "adding links failed: %s", e,
                   exc_info=not expected)
        return _library(assistant, "", warning=f"Nothing was added: {e}")
    failures = getattr(report, "failures", [])
    warning = f"{len(failures)} of the links could not be added." if failures else None
    return _library(assistant, render_web_report(report), warning, changed=True)


def render_web_report(report: Any) -> str:
    """One line per URL (article, feed with its item counts, or why it failed), then what
    the index now holds."""
    lines = [_result_line(result) for result in report.results]
    build = getattr(report, "build", None)
    if build is not None:
        added = len(build.added)
        lines.append(f"<li>The index now holds {build.chunks:,} passages ({added} "
                     f"{'article' if added == 1 else 'articles'} added, {len(build.changed)} "
                     "changed).</li>")
    return f'<ul class="nq-report nq-web-report">{"".join(lines)}</ul>'


def _result_line(result: Any) -> str:
    url = f"<code>{escape(result.url)}</code>"
    suffix = f" (an item of {result.url})"
    failures = "".join(
        f"<li><code>{escape(f.url)}</code>: {escape(f.reason.removesuffix(suffix))}</li>"
        for f in result.failures if f.url != result.url
    )
    failed = f'<ul class="nq-skipped">{failures}</ul>' if failures else ""
    if result.kind == "article":
        page = result.pages[0]
        title = escape(page.article.title)
        return f'<li class="nq-ok"><strong>Article</strong> “{title}” · {url}</li>'
    if result.kind == "feed" and result.feed is not None:
        title = escape(result.feed.title or "untitled feed")
        counts = (f"{len(result.feed.item_urls)} items, {len(result.pages)} added"
                  + (f", {len(result.failures)} failed" if result.failures else ""))
        return (f'<li class="nq-ok"><strong>Feed</strong> “{title}” ({escape(result.feed.format)}'
                f"): {counts} · {url}{failed}</li>")
    if result.kind == "unchanged":
        return f'<li class="nq-ok"><strong>Unchanged</strong> {url}</li>'
    reason = escape(result.failures[0].reason) if result.failures else "failed"
    return f'<li class="nq-skipped"><strong>Not added</strong> {url}: {reason}</li>'
