"""News from the web at the command line: what `newsqa add`, `newsqa build` and
`newsqa watch` print about the URLs they read, and the watch loop. The work itself is
`index.add_urls`, `index.refresh_web` and `index.build_index`."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from corpus.errors import CorpusError, FetchError
from corpus.web import FetchConfig
from index import (
    Embedder,
    IndexNotFoundError,
    IndexStoreError,
    WebReport,
    build_index,
    has_web_sources,
    index_manifest,
    refresh_web,
)

__all__ = ["embedder_name", "failure_line", "parse_interval", "report_lines", "watch"]

logger = logging.getLogger(__name__)

_INTERVAL = re.compile(r"(\d+(?:\.\d+)?)\s*(h|m|s)", re.IGNORECASE)
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0}

Echo = Callable[[str], None]


def parse_interval(text: str) -> float:
    """Seconds in "30m", "2h", "90s", "1h30m" (a bare number is seconds).

    Raises:
        ValueError: not such a duration, or under one second.
    """
    value = text.strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        seconds = float(value)
    elif value and re.fullmatch(rf"({_INTERVAL.pattern}\s*)+", value, re.IGNORECASE):
        seconds = sum(float(n) * _UNIT_SECONDS[u.lower()] for n, u in _INTERVAL.findall(value))
    else:
        raise ValueError(f"an interval like 30m, 2h or 90s, not {text!r}")
    if seconds < 1:
        raise ValueError(f"an interval of at least 1 s, not {text!r}")
    return seconds


def failure_line(error: FetchError) -> str:
    """One line naming the URL and the reason: "failed: URL: reason"."""
    return f"failed: {error}"


def report_lines(report: WebReport) -> list[str]:
    """One line per URL read (failures are `failure_line`s, printed apart)."""
    lines = []
    for result in report.results:
        if result.kind == "article":
            page = result.pages[0]
            article_id = report.ids.get(page.url, page.article.id)
            lines.append(f"article  {result.url}  {page.article.title!r} ({article_id})")
        elif result.kind == "feed" and result.feed is not None:
            feed = result.feed
            failed = f", {len(result.failures)} failed" if result.failures else ""
            lines.append(f"feed     {result.url}  {feed.title or 'untitled'!r} ({feed.format}): "
                         f"{len(feed.item_urls)} items, {len(result.pages)} read{failed}")
        elif result.kind == "unchanged":
            lines.append(f"same     {result.url}  (not modified since the last read)")
    return lines


def embedder_name(index_dir: Path, model: str | None, default: str) -> str:
    """`model` if given, else the model the index at `index_dir` was built with, else
    `default` (a new index)."""
    if model:
        return model
    try:
        return index_manifest(index_dir).embedder.name
    except IndexNotFoundError:
        return default


def watch(
    index_dir: Path,
    *,
    embedder: Embedder,
    every_s: float,
    pages: bool = False,
    rounds: int | None = None,
    fetch_config: FetchConfig | None = None,
    echo: Echo,
    echo_error: Echo,
    sleep: Callable[[float], None] = time.sleep,
    debug: bool = False,
) -> int:
    """Sync the index with its web sources (and files) every `every_s` seconds, `rounds`
    times (None: until interrupted). Prints one line per round, and a line per failure.
    A round that fails (the index locked by another build, a full disk) is reported and
    the next round runs as planned. Returns the number of rounds run."""
    done = 0
    while rounds is None or done < rounds:
        started = time.monotonic()
        echo(_round(index_dir, embedder, pages, fetch_config, echo_error, debug, done + 1))
        done += 1
        if rounds is not None and done >= rounds:
            break
        sleep(max(every_s - (time.monotonic() - started), 0.0))
    return done


def _round(
    index_dir: Path, embedder: Embedder, pages: bool, config: FetchConfig | None,
    echo_error: Echo, debug: bool, number: int,
) -> str:
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    try:
        parts = []
        if has_web_sources(index_dir):
            web = refresh_web(index_dir, pages=pages, fetch_config=config)
            for failure in web.failures:
                echo_error(failure_line(failure))
            parts.append(web.summary())
        build = build_index(index_dir, None, embedder=embedder)
        parts.append(build.summary())
    except (CorpusError, IndexStoreError, OSError) as e:
        if debug:
            raise
        return f"{stamp} round {number}: error: {e}"
    return f"{stamp} round {number}: " + "; ".join(parts)
