"""Errors raised while reading and chunking articles."""

from __future__ import annotations


class CorpusError(Exception):
    """Base class for every error of the corpus layer."""


class ArticleFormatError(CorpusError):
    """A file (or one line of a JSONL file) is not a readable article.

    The message names the file and, where it applies, the line.
    """

    def __init__(self, source: str, message: str, *, line: int | None = None) -> None:
        self.source = source
        self.line = line
        self.reason = message
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {message}")


class ConfigError(CorpusError, ValueError):
    """A configuration value is out of range."""


class FetchError(CorpusError):
    """A URL could not be added: it could not be fetched, or what came back is no article
    or feed. `kind` says which failure it was (see `FETCH_ERROR_KINDS`); the message is
    one line, "URL: reason"."""

    def __init__(self, url: str, reason: str, *, kind: str) -> None:
        if kind not in FETCH_ERROR_KINDS:
            raise ValueError(f"unknown fetch error kind {kind!r}; use one of {FETCH_ERROR_KINDS}")
        self.url = url
        self.reason = reason
        self.kind = kind
        super().__init__(f"{url}: {reason}")


FETCH_ERROR_KINDS = (
    "url", "scheme", "dns", "refused", "timeout", "tls", "network", "http", "redirects",
    "too-large", "content-type", "feed", "extract",
)
"""dns, refused, timeout, tls, network: the server could not be reached or hung up; http: a
4xx/5xx status; redirects: too many; too-large: over the size cap; content-type: not HTML
or a feed; feed: a malformed feed; extract: no article text on the page; url, scheme: a
bad URL or one that is not http(s)."""
