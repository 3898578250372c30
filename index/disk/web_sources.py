"""The web sources of an index: the feeds and article pages added from URLs.

```
INDEX/
  web.json                     the feeds and pages (below); written atomically
  library/web/HOST/SLUG.json   one extracted article per page, indexed like any library
                               file (so every sync includes it, and removing the article
                               deletes it)
```

`web.json` records, per feed, its URL, title, format, the item links already read and the
validators (ETag, Last-Modified) of its last response; per page, the article id, the URL
it was fetched from, its canonical URL, the feed it came from, when it was fetched, its
validators and the content hash of the article written. A later sync reads the feeds
again (`index.sync.web.refresh_web`) and only fetches items it has not read.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from index.disk.layout import LIBRARY_DIR, WEB_FILE, WEB_TMP_FILE, fsync_dir, write_atomic
from index.errors import IndexFormatError

__all__ = [
    "FeedSource", "PageSource", "WebSources", "article_path",
]

logger = logging.getLogger(__name__)

_FORMAT = 1


@dataclass(frozen=True)
class FeedSource:
    """A feed added to the index. `items` are the links of its items already read."""

    url: str
    title: str | None = None
    format: str = "feed"
    added: str = ""
    checked: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class PageSource:
    """An article page added to the index, directly or as a feed item."""

    id: str
    url: str
    canonical: str | None = None
    feed: str | None = None
    fetched: str = ""
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str = ""


@dataclass(frozen=True)
class WebSources:
    """Everything `web.json` holds: feeds by URL, pages by article id."""

    feeds: dict[str, FeedSource] = field(default_factory=dict)
    pages: dict[str, PageSource] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.feeds or self.pages)

    def known_items(self, feed_url: str) -> set[str]:
        """Links a read of `feed_url` need not fetch: its items already read and every
        page already indexed (by the URL it came from or its canonical URL)."""
        feed = self.feeds.get(feed_url)
        known = set(feed.items) if feed else set()
        for page in self.pages.values():
            known.add(page.url)
            if page.canonical:
                known.add(page.canonical)
        return known

    def page_for(self, url: str, canonical: str | None = None) -> PageSource | None:
        """The page recorded for `url` or for the canonical URL `canonical`."""
        for page in self.pages.values():
            if page.url == url or (canonical and canonical in (page.canonical, page.url)):
                return page
        return None

    def with_feed(self, feed: FeedSource) -> WebSources:
        return replace(self, feeds={**self.feeds, feed.url: feed})

    def with_page(self, page: PageSource) -> WebSources:
        return replace(self, pages={**self.pages, page.id: page})

    @classmethod
    def load(cls, index_dir: Path) -> WebSources:
        """The web sources of `index_dir` (none when it has no web.json).

        Raises:
            IndexFormatError: web.json is unreadable or of a newer format.
        """
        path = index_dir / WEB_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as e:
            raise IndexFormatError(
                f"cannot read '{path}' ({e}); fix or delete it (the feeds and pages added "
                "from the web are then forgotten, their articles stay indexed)"
            ) from e
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            raise IndexFormatError(
                f"'{path}' has format {data.get('format') if isinstance(data, dict) else None!r}"
                f", not {_FORMAT}; upgrade newsqa or delete the file"
            )
        try:
            feeds = {f["url"]: _feed(f) for f in data.get("feeds", [])}
            pages = {p["id"]: _page(p) for p in data.get("pages", [])}
        except (KeyError, TypeError, ValueError) as e:
            raise IndexFormatError(f"'{path}' is damaged ({e!r}); fix or delete it") from e
        return cls(feeds, pages)

    def save(self, index_dir: Path) -> Path:
        """Write `index_dir/web.json` atomically (temp file, fsync, rename)."""
        payload = {
            "format": _FORMAT,
            "feeds": [_as_dict(f) for f in self.feeds.values()],
            "pages": [_as_dict(p) for p in sorted(self.pages.values(), key=lambda p: p.id)],
        }
        target = index_dir / WEB_FILE
        text = json.dumps(payload, ensure_ascii=False, indent=1)
        write_atomic(target, text, partial=index_dir / WEB_TMP_FILE)
        fsync_dir(index_dir)
        return target


def article_path(index_dir: Path, article_id: str) -> Path:
    """Where the article `article_id` ("web/HOST/SLUG") is stored."""
    return index_dir / LIBRARY_DIR / f"{article_id}.json"


def _as_dict(source: FeedSource | PageSource) -> dict[str, Any]:
    data = dict(source.__dict__)
    if isinstance(source, FeedSource):
        data["items"] = list(source.items)
    return data


def _feed(item: dict[str, Any]) -> FeedSource:
    fields = {k: item[k] for k in FeedSource.__dataclass_fields__ if k in item}
    fields["items"] = tuple(str(u) for u in fields.get("items", ()))
    return FeedSource(**fields)


def _page(item: dict[str, Any]) -> PageSource:
    return PageSource(**{k: item[k] for k in PageSource.__dataclass_fields__ if k in item})
