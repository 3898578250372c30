"""Decide what a sync does: compare the articles found with the previous generation.

Articles are matched by id and compared by `content_hash`; content that appears under two
ids is indexed once (an article already indexed with that content keeps it). The plan
works on `ArticleRef`s, so articles of files unchanged since the last sync need not be
read again; only those to embed are loaded (`index.sync.sources.load_refs`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from corpus import Article
from corpus.load import ArticleFile, Skipped

__all__ = ["ArticleRef", "PreviousArticle", "SyncPlan", "plan_sync"]


@dataclass(frozen=True)
class ArticleRef:
    """An article found in a source file: what a plan compares, where the article is,
    and the article itself when its file was read in this sync. Two refs are equal when
    their id, content, source and url are."""

    id: str
    content_hash: str
    source: str
    url: str | None
    file: ArticleFile = field(compare=False)
    article: Article | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, article: Article, file: ArticleFile) -> ArticleRef:
        return cls(article.id, article.content_hash, article.source, article.url, file, article)


class PreviousArticle(NamedTuple):
    """What the previous generation knows of an indexed article (a named tuple: a big
    index makes one per article at every sync)."""

    content_hash: str
    source: str
    url: str | None


@dataclass(frozen=True)
class SyncPlan:
    """The outcome of comparing loaded articles with the previous generation.

    `kept` are the articles found to index (load order), `carried` the ids of previous
    articles not found but kept because pruning is off, `relocated` the unchanged articles
    whose source or url moved. `duplicates` maps an id left out to the id kept.
    """

    kept: list[ArticleRef]
    added: list[str]
    changed: list[str]
    removed: list[str]
    unchanged: list[str]
    carried: list[str]
    relocated: list[ArticleRef]
    duplicates: dict[str, str]
    skipped: list[Skipped]

    @property
    def to_embed(self) -> list[ArticleRef]:
        """Added and changed articles, in load order."""
        wanted = set(self.added) | set(self.changed)
        return [a for a in self.kept if a.id in wanted]

    @property
    def changes_content(self) -> bool:
        return bool(self.added or self.changed or self.removed or self.relocated)


def plan_sync(
    articles: Sequence[ArticleRef],
    previous: Mapping[str, PreviousArticle],
    *,
    excluded: Collection[str] = (),
    prune: bool = True,
) -> SyncPlan:
    """Compare `articles` (as found) with the `previous` generation's articles.

    Args:
        articles: the articles found in the sources, in load order.
        previous: id -> what the previous generation holds ({} for a new index).
        excluded: ids the user removed; they are never indexed.
        prune: remove previous articles that are no longer in the sources.
    """
    by_id, skipped = _unique_ids(articles, excluded)
    carried = [] if prune else [i for i in previous if i not in by_id and i not in excluded]
    owner = {previous[i].content_hash: i for i in carried}
    as_is: dict[str, bool] = {}
    for aid, article in by_id.items():
        old = previous.get(aid)
        as_is[aid] = old is not None and old.content_hash == article.content_hash
    duplicates: dict[str, str] = {}
    # Articles indexed with this content already claim it first, so nothing is re-embedded.
    for first in (True, False):
        for aid, article in by_id.items():
            if as_is[aid] is first:
                content = article.content_hash
                if content in owner:
                    duplicates[aid] = owner[content]
                else:
                    owner[content] = aid
    # One pass over the articles (a big index has hundreds of thousands).
    kept: list[ArticleRef] = []
    added: list[str] = []
    changed: list[str] = []
    unchanged: list[str] = []
    relocated: list[ArticleRef] = []
    for aid, article in by_id.items():
        if aid in duplicates:
            continue
        kept.append(article)
        old = previous.get(aid)
        if old is None:
            added.append(aid)
        elif not as_is[aid]:
            changed.append(aid)
        else:
            unchanged.append(aid)
            if (article.source, article.url) != (old.source, old.url):
                relocated.append(article)
    kept_ids = {a.id for a in kept} | set(carried)
    return SyncPlan(
        kept=kept, added=added, changed=changed,
        removed=[i for i in previous if i not in kept_ids],
        unchanged=unchanged, carried=carried, relocated=relocated,
        duplicates=duplicates, skipped=skipped,
    )


def _unique_ids(
    articles: Sequence[ArticleRef], excluded: Collection[str]
) -> tuple[dict[str, ArticleRef], list[Skipped]]:
    """The first article of each id (excluded ids left out), and a Skipped entry for each
    later, different article with an id already taken."""
    excluded = set(excluded)
    by_id: dict[str, ArticleRef] = {}
    skipped: list[Skipped] = []
    for article in articles:
        if article.id in excluded:
            continue
        first = by_id.setdefault(article.id, article)
        if first is not article and first != article:
            skipped.append(
                Skipped(
                    source=article.source,
                    line=None,
                    reason=f"article id {article.id!r} is also used by '{first.source}', "
                    "which was indexed; give one of them another id",
                )
            )
    return by_id, skipped
