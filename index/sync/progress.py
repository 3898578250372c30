"""`Progress`: the callback a build reports its stages to (a progress bar in the UI)."""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["Progress", "tell"]

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total), e.g. ("embed", 640, 2000); stages in order: "fetch" (web
syncs), "load", "chunk", "embed", "lexical", "write"."""


def tell(progress: Progress | None, stage: str, done: int, total: int) -> None:
    """Report a stage to `progress`, if there is one."""
    if progress is not None:
        progress(stage, done, total)
