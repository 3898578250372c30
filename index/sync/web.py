"""Add articles and feeds from the web to an index, and keep them in sync.

`add_urls` reads each URL (an article page or a feed, see `corpus.web.read_url`), writes
every article read into `INDEX/library/web/` as a JSON article file, records the feeds
and pages in `INDEX/web.json` (see `index.disk.web_sources`) and syncs the index.
`refresh_web` reads the recorded feeds again (conditional requests; only items not read
before are fetched) and, with `pages=True`, the recorded pages too; it writes only
articles whose content changed, so a sync after it embeds nothing that did not change.

Fetching happens before the build lock is taken (it may take a while); writing the files
and the record happens under it. A URL or item that fails is reported and skipped, and
never removes anything already indexed.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from corpus.article import Article
from corpus.errors import FetchError
from corpus.web import FetchConfig, Fetcher, UrlResult, WebPage, read_page, read_url
from corpus.web.pages import url_article_id
from index.disk.layout import (
    LIBRARY_DIR,
    WEB_DIR,
    fsync_dir,
    live_generation,
    prepare_index_dir,
    write_atomic,
)
from index.disk.locking import DEFAULT_LOCK_TIMEOUT, build_lock
from index.disk.manifest import now_iso
from index.disk.web_sources import FeedSource, PageSource, WebSources, article_path
from index.embedding.base import Embedder
from index.sync.build import BuildReport, SyncRequest, sync_locked
from index.sync.progress import Progress, tell

__all__ = ["WebReport", "add_urls", "has_web_sources", "refresh_web"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebReport:
    """What reading the web did. `results` has one `UrlResult` per URL read (given, or
    recorded feed/page); `added`, `changed` and `unchanged` are the ids of the articles
    written, rewritten, or read with the same content; `ids` maps the URL each page was
    fetched from to its article id; `build` is the sync that followed (None for
    `refresh_web`, which leaves the sync to the caller)."""

    results: list[UrlResult] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)
    build: BuildReport | None = None

    @property
    def failures(self) -> list[FetchError]:
        return [failure for result in self.results for failure in result.failures]

    @property
    def ok(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        """One line, e.g. "web: 3 URLs read; 4 articles new, 0 changed, 1 unchanged; 1 failed"."""
        parts = [f"web: {len(self.results)} URLs read",
                 f"{len(self.added)} articles new, {len(self.changed)} changed, "
                 f"{len(self.unchanged)} unchanged"]
        if self.failures:
            parts.append(f"{len(self.failures)} failed")
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly: one entry per URL read, its articles and failures, and the build."""
        return {
            "results": [
                {
                    "url": r.url,
                    "kind": r.kind,
                    "feed": None if r.feed is None else {"title": r.feed.title,
                                                         "format": r.feed.format,
                                                         "items": len(r.feed.item_urls)},
                    "articles": [{"id": self.ids.get(p.url, p.article.id), "url": p.url,
                                  "title": p.article.title} for p in r.pages],
                    "failures": [{"url": f.url, "kind": f.kind, "reason": f.reason}
                                 for f in r.failures],
                }
                for r in self.results
            ],
            "added": self.added,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "build": self.build.to_dict() if self.build else None,
        }


def has_web_sources(index_dir: str | Path) -> bool:
    """Whether the index records feeds or pages added from the web."""
    index_dir = Path(index_dir)
    return index_dir.is_dir() and bool(WebSources.load(index_dir))


def add_urls(
    index_dir: str | Path,
    urls: Sequence[str],
    *,
    embedder: Embedder,
    fetcher: Fetcher | None = None,
    fetch_config: FetchConfig | None = None,
    show_progress: bool = False,
    progress: Progress | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> WebReport:
    """Add article pages and feeds to the index at `index_dir` (created if needed), then
    sync it. Each feed is recorded, so later syncs (`refresh_web`) add its new items.

    Args:
        urls: http(s) URLs of article pages or feeds (RSS 2.0, RSS 1.0, Atom), in any
            mix; what each is comes from the response, not the URL.
        fetcher: the fetcher to use (default: one with `fetch_config`, closed after).
        progress: called as progress("fetch", done, total) per URL, then with the
            build's stages.

    Returns:
        A `WebReport`; `failures` name each URL or feed item that could not be added and
        why. Failures never stop the other URLs.

    Raises:
        IndexLockedError, IndexFormatError: as `build_index`.
    """
    index_dir = prepare_index_dir(index_dir)
    state = WebSources.load(index_dir)
    wanted = list(dict.fromkeys(u.strip() for u in urls if u and u.strip()))
    with _fetcher(fetcher, fetch_config) as client:
        results = []
        for done, url in enumerate(wanted):
            tell(progress, "fetch", done, len(wanted))
            results.append(read_url(client, url, known_items=state.known_items(url),
                                    article_id=_web_id, show_progress=show_progress))
        tell(progress, "fetch", len(wanted), len(wanted))
    with build_lock(index_dir, timeout=lock_timeout):
        report = _record(index_dir, results)
        exists = live_generation(index_dir) is not None
        request = SyncRequest(
            sources=None if exists else (),
            embedder=embedder,
            show_progress=show_progress,
            progress=progress,
            include=frozenset(report.added + report.changed + report.unchanged),
        )
        build = sync_locked(index_dir, request)
    return replace(report, build=build)


def refresh_web(
    index_dir: str | Path,
    *,
    pages: bool = False,
    fetcher: Fetcher | None = None,
    fetch_config: FetchConfig | None = None,
    show_progress: bool = False,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> WebReport:
    """Read the recorded feeds again and write their new items; with `pages`, fetch every
    recorded page again too and rewrite those whose article changed. No sync: run
    `build_index` after it (the CLI's `newsqa build` does both).

    Pages removed from the index by the user are not fetched again.
    """
    index_dir = Path(index_dir)
    state = WebSources.load(index_dir)
    if not state:
        return WebReport()
    results: list[UrlResult] = []
    with _fetcher(fetcher, fetch_config) as client:
        for feed in state.feeds.values():
            results.append(read_url(
                client, feed.url, known_items=state.known_items(feed.url),
                validators=(feed.etag, feed.last_modified), article_id=_web_id,
                show_progress=show_progress,
            ))
        if pages:
            results += _refresh_pages(client, index_dir, state)
    with build_lock(index_dir, timeout=lock_timeout):
        return _record(index_dir, results)


def _refresh_pages(client: Fetcher, index_dir: Path, state: WebSources) -> list[UrlResult]:
    results = []
    for page in state.pages.values():
        if not article_path(index_dir, page.id).is_file():
            continue  # removed by the user
        try:
            fresh = read_page(client, page.url, validators=(page.etag, page.last_modified),
                              article_id=lambda _url, known=page.id: known, feed=page.feed)
        except FetchError as e:
            results.append(UrlResult(page.url, None, failures=(e,)))
            continue
        results.append(UrlResult(page.url, "article" if fresh else "unchanged",
                                 pages=(fresh,) if fresh else ()))
    return results


def _record(index_dir: Path, results: list[UrlResult]) -> WebReport:
    """Write the articles read and update web.json; the caller holds the build lock."""
    state = WebSources.load(index_dir)  # again: another process may have added since
    outcomes: dict[str, list[str]] = {"added": [], "changed": [], "unchanged": []}
    ids: dict[str, str] = {}
    for page in dict.fromkeys(p for result in results for p in result.pages):
        state, article_id, outcome = _write_page(index_dir, state, page)
        outcomes[outcome].append(article_id)
        ids[page.url] = article_id
    for result in results:
        if result.feed is not None or (result.kind == "unchanged" and result.url in state.feeds):
            state = state.with_feed(_feed_source(state, result))
    _remove_partials(index_dir)
    state.save(index_dir)
    logger.info("web: %d articles new, %d changed, %d unchanged", len(outcomes["added"]),
                len(outcomes["changed"]), len(outcomes["unchanged"]))
    return WebReport(results=results, ids=ids, **outcomes)


def _feed_source(state: WebSources, result: UrlResult) -> FeedSource:
    old = state.feeds.get(result.url) or FeedSource(url=result.url, added=now_iso())
    if result.feed is None:  # 304: unchanged since the last read
        return replace(old, checked=now_iso())
    failed = {f.url for f in result.failures}
    read = tuple(u for u in result.feed.item_urls if u not in failed)
    return replace(
        old, title=result.feed.title, format=result.feed.format, checked=now_iso(),
        etag=result.feed.etag, last_modified=result.feed.last_modified,
        items=tuple(dict.fromkeys([*old.items, *read])),
    )


def _write_page(
    index_dir: Path, state: WebSources, page: WebPage
) -> tuple[WebSources, str, str]:
    """Store `page`'s article (unless its content is already stored) and record it.
    Returns the new state, the article id and "added", "changed" or "unchanged"."""
    article = page.article
    old = state.page_for(page.url, article.url)
    article_id = old.id if old else _free_id(state, article.id, article.url or page.url)
    article = replace(article, id=article_id)
    path = article_path(index_dir, article_id)
    existed = path.is_file()
    same = existed and old is not None and old.content_hash == article.content_hash
    if not same:
        _write_article(path, article, page)
    record = PageSource(
        id=article_id, url=old.url if old else page.url, canonical=article.url,
        feed=page.feed or (old.feed if old else None), fetched=now_iso(), etag=page.etag,
        last_modified=page.last_modified, content_hash=article.content_hash,
    )
    outcome = "unchanged" if same else "changed" if existed else "added"
    return state.with_page(record), article_id, outcome


def _free_id(state: WebSources, article_id: str, url: str) -> str:
    """`article_id`, or with a hash of `url` appended when another page holds it."""
    if article_id not in state.pages:
        return article_id
    return f"{article_id}-{hashlib.sha256(url.encode('utf-8')).hexdigest()[:8]}"


def _write_article(path: Path, article: Article, page: WebPage) -> None:
    """One article as a JSON article file (`corpus.formats.jsonl`), written atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "id": article.id,
        "title": article.title,
        "published": article.published.isoformat() if article.published else None,
        "byline": article.byline,
        "url": article.url,
        "text": article.text,
        "fetched_from": page.url,
        "feed": page.feed,
        "fetched": now_iso(),
    }
    write_atomic(path, json.dumps(payload, ensure_ascii=False, indent=1))
    fsync_dir(path.parent)


def _remove_partials(index_dir: Path) -> None:
    for partial in (index_dir / LIBRARY_DIR / WEB_DIR).rglob(".*.part"):
        partial.unlink(missing_ok=True)


def _web_id(url: str) -> str:
    return f"{WEB_DIR}/{url_article_id(url)}"


@contextmanager
def _fetcher(fetcher: Fetcher | None, config: FetchConfig | None) -> Iterator[Fetcher]:
    """The given fetcher (left open), or a new one closed on exit."""
    if fetcher is not None:
        yield fetcher
        return
    with Fetcher(config) as own:
        yield own

