"""Errors of the answering layer."""

from __future__ import annotations


class QAError(Exception):
    """Base class for errors raised by `qa`."""


class QAConfigError(QAError, ValueError):
    """A setting passed to the assistant is out of range."""


class QuestionError(QAError, ValueError):
    """A question cannot be asked as given (empty, or only punctuation)."""
