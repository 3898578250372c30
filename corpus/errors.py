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
