"""The environment the qa layer reads, in one place: where the index lives, which model to
use, the web fetcher's limits, the chat history (`$NEWSQA_INDEX`, `$XDG_DATA_HOME`,
`$NEWSQA_MODEL`, `$NEWSQA_FETCH_DELAY`, `$NEWSQA_FETCH_TIMEOUT`, `$HOME`). The index
layer's own (the hub kept offline, the cache folder, the Milvus token) is read in
`index.settings`, the UI's in `ui.settings`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from corpus.errors import ConfigError
from index import DEFAULT_MODEL

if TYPE_CHECKING:
    from corpus.web import FetchConfig


def default_index_dir() -> Path:
    """`$NEWSQA_INDEX`, else `$XDG_DATA_HOME/newsqa/index` (~/.local/share/newsqa/index).
    The XDG place on every platform, not platformdirs' own (~/Library/... on macOS): the
    documented place, where existing indexes are."""
    if os.environ.get("NEWSQA_INDEX"):
        return Path(os.environ["NEWSQA_INDEX"]).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home) / "newsqa" / "index"


def chat_history_file() -> Path:
    """Where `newsqa chat` keeps its readline history: ~/.newsqa_history."""
    return Path.home() / ".newsqa_history"


def default_model() -> str:
    """`$NEWSQA_MODEL`, else the packaged all-MiniLM-L6-v2."""
    return os.environ.get("NEWSQA_MODEL") or DEFAULT_MODEL


def fetch_config() -> FetchConfig:
    """The web fetcher's limits: `$NEWSQA_FETCH_DELAY` (seconds between two requests to
    one host, default 1) and `$NEWSQA_FETCH_TIMEOUT` (seconds to wait for a server, default
    20); the other limits are `FetchConfig`'s defaults."""
    from corpus.web import FetchConfig

    values = {}
    for variable, name in (("NEWSQA_FETCH_DELAY", "host_delay_s"),
                           ("NEWSQA_FETCH_TIMEOUT", "read_timeout_s")):
        raw = os.environ.get(variable, "").strip()
        if not raw:
            continue
        try:
            values[name] = float(raw)
        except ValueError as e:
            raise ConfigError(f"${variable} must be a number of seconds, not {raw!r}") from e
    return FetchConfig(**values)
