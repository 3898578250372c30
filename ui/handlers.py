"""Event handlers of the app as plain functions: assistant and inputs in, plain values out.

They never import gradio and never raise for bad input or a failing assistant: problems
come back as a `warning` (shown as a toast by `ui.app`) or as a message in the chat, so
the user never sees a traceback. Tests call them directly with a fake assistant.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from corpus import Article, ArticleFormatError, CorpusError
from corpus.load import SUPPORTED_EXTENSIONS
from index import MAX_FILE_BYTES
from index.errors import IndexStoreError
from qa.api import MAX_TOP_K
from qa.errors import QAError
from qa.types import Answer
from ui.render import (
    format_date,
    render_answer,
    render_build_report,
    render_notice,
    render_question,
    render_sources,
    render_status,
)

logger = logging.getLogger(__name__)

__all__ = [
    "ALLOWED_EXTENSIONS",
    "MAX_UPLOAD_BYTES",
    "ChatResult",
    "DateRangeError",
    "LibraryResult",
    "Turn",
    "article_choices",
    "ask_question",
    "chat_messages",
    "check_upload",
    "library_rows",
    "parse_date_range",
    "refresh_library",
    "remove_article",
    "upload_articles",
]

ALLOWED_EXTENSIONS: tuple[str, ...] = SUPPORTED_EXTENSIONS  # what the loader can read
MAX_UPLOAD_BYTES = MAX_FILE_BYTES  # the index's limit on an added file, checked up front
MAX_HISTORY_TURNS = 20
LIBRARY_HEADERS = ["Title", "Published", "Byline", "Passages", "ID"]
STAGE_LABELS = {
    "fetch": "Fetching the links",
    "load": "Reading the files",
    "chunk": "Splitting into passages",
    "embed": "Embedding passages",
    "lexical": "Updating the keyword index",
    "write": "Saving the index",
}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

ProgressFn = Callable[..., Any]


class AssistantLike(Protocol):
    """The part of `qa.Assistant` the UI uses."""

    def ask(
        self,
        question: str,
        *,
        top_k: int = 5,
        history: Sequence[tuple[str, str]] = (),
        since: date | None = None,
        until: date | None = None,
        sources: Sequence[str] | None = None,
        as_of: date | None = None,
    ) -> Answer: ...

    def timeline(self, query: str, *, since: date | None = None, until: date | None = None,
                 as_of: date | None = None, limit: int = 20) -> Any: ...

    def articles(self) -> list[Any]: ...

    def article(self, article_id: str) -> Article: ...

    def add_files(self, paths: Sequence[str | Path], *, progress: Any = None) -> Any: ...

    def add_urls(self, urls: Sequence[str], *, progress: Any = None,
                 fetch_config: Any = None) -> Any: ...

    def remove_article(self, article_id: str) -> Any: ...

    def index_status(self) -> Any: ...


class DateRangeError(ValueError):
    """The date range typed in the UI is not two valid YYYY-MM-DD dates in order."""


@dataclass(frozen=True)
class Turn:
    """One exchange. `answer_text` is None for an error, which is shown but not sent as history."""

    question: str
    answer_text: str | None
    html: str


@dataclass(frozen=True)
class ChatResult:
    """Outputs of `ask_question`: chatbot messages, new state, sources panel, question box."""

    chat: list[dict[str, str]]
    turns: list[Turn]
    sources_html: str
    question: str
    warning: str | None = None


@dataclass(frozen=True)
class LibraryResult:
    """Outputs of the library handlers: report, table rows, remove choices."""

    report_html: str
    rows: list[list[Any]]
    choices: list[tuple[str, str]]
    warning: str | None = None
    changed: bool = False


def parse_date_range(since: str | None, until: str | None) -> tuple[date | None, date | None]:
    """Two optional YYYY-MM-DD strings -> dates; raises `DateRangeError` with a clear message."""
    parsed = [_parse_date(value, label) for value, label in ((since, "From"), (until, "To"))]
    start, end = parsed
    if start is not None and end is not None and start > end:
        raise DateRangeError(
            f"'From' date {start.isoformat()} is after 'To' date {end.isoformat()}; swap them."
        )
    return start, end


def chat_messages(turns: Sequence[Turn]) -> list[dict[str, str]]:
    """Turns -> Chatbot messages (already escaped HTML; the Chatbot renders no Markdown)."""
    messages: list[dict[str, str]] = []
    for turn in turns:
        messages.append({"role": "user", "content": render_question(turn.question)})
        messages.append({"role": "assistant", "content": turn.html})
    return messages


def ask_question(
    assistant: AssistantLike,
    question: str | None,
    turns: Sequence[Turn] | None,
    *,
    top_k: float = 5,
    since: str | None = "",
    until: str | None = "",
    as_of: str | None = "",
) -> ChatResult:
    """Ask `question` with the conversation so far; return the new chat and source cards.

    `as_of` (YYYY-MM-DD) answers as of that day; empty means today, the live news desk's
    question (articles from the future cannot exist, and an archive's old articles are
    unaffected: the preference only favours what was published in the days before)."""
    turns = list(turns or [])
    question = (question or "").strip()
    unchanged = ChatResult(chat_messages(turns), turns, "", question)
    if not question:
        return _with_warning(unchanged, "Type a question first.")
    try:
        start, end = parse_date_range(since, until)
        day = _parse_date(as_of, "'As of'") or date.today()
    except DateRangeError as e:
        return _with_warning(unchanged, str(e))
    history = [(t.question, t.answer_text) for t in turns if t.answer_text is not None]
    try:
        answer = assistant.ask(
            question,
            top_k=_clamp_top_k(top_k),
            history=history[-MAX_HISTORY_TURNS:],
            since=start,
            until=end,
            as_of=day,
        )
    except (QAError, CorpusError, IndexStoreError, ValueError, OSError) as e:
        logger.info("question %r failed: %s", question, e)
        return _error_turn(turns, question, str(e))
    except Exception as e:  # the UI boundary: log it, show one line, keep serving
        logger.exception("unexpected error answering %r", question)
        return _error_turn(turns, question, f"Unexpected error ({type(e).__name__}): {e}")
    turns.append(Turn(question, answer.text, render_answer(answer)))
    return ChatResult(chat_messages(turns), turns, render_sources(answer, assistant), "")


def library_rows(assistant: AssistantLike) -> list[list[Any]]:
    """The library table: title, date, byline, passages, id; newest first."""
    records = sorted(
        assistant.articles(),
        key=lambda r: (r.published or date.min, r.title),
        reverse=True,
    )
    return [
        [r.title, format_date(r.published), r.byline or "", int(r.chunks), r.id] for r in records
    ]


def article_choices(rows: Sequence[Sequence[Any]]) -> list[tuple[str, str]]:
    """(label, article id) pairs for the remove dropdown, from `library_rows`."""
    return [(f"{row[0]} ({row[1]}) · {row[4]}", str(row[4])) for row in rows]


def index_status(assistant: AssistantLike) -> str:
    """The status line: what the index holds and, while a build embeds, how far it got
    ("12,400 of 19,227 chunks embedded"); escaped HTML, never an error."""
    try:
        status = assistant.index_status()
    except Exception as e:  # the UI boundary: a status line must never break the page
        logger.debug("index status failed: %s", e)
        return ""
    text = status.summary()
    if not status.complete:
        text += " (a build is embedding: keyword search covers every passage, meaning "
        text += "search the embedded ones)"
    return render_status(text)


def refresh_library(assistant: AssistantLike) -> LibraryResult:
    """Current table and choices, e.g. when the page loads."""
    return _library(assistant, "")


def check_upload(path: str | Path) -> str | None:
    """Why an uploaded file cannot be indexed, or None when it can."""
    suffix = Path(path).suffix.lower()
    if suffix not in ALLOWED_EXTENSIONS:
        shown = suffix or "no extension"
        return f"{shown} files are not supported; upload {', '.join(ALLOWED_EXTENSIONS)}"
    try:
        size = os.path.getsize(path)
    except OSError as e:
        return f"the upload could not be read ({e.strerror or e})"
    if size > MAX_UPLOAD_BYTES:
        return f"{size / 2**20:.1f} MB is over the {MAX_UPLOAD_BYTES // 2**20} MB limit"
    if size == 0:
        return "the file is empty"
    return None


def upload_articles(
    assistant: AssistantLike,
    files: Sequence[Any] | None,
    *,
    progress: ProgressFn | None = None,
) -> LibraryResult:
    """Check the uploaded temp files, index the good ones, report what happened to each."""
    paths = [_upload_path(f) for f in files or []]
    if not paths:
        return _library(assistant, "", warning="Choose one or more article files first.")
    rejected: list[tuple[str, str]] = []
    accepted: list[str] = []
    for path in paths:
        reason = check_upload(path)
        if reason is None:
            accepted.append(path)
        else:
            rejected.append((Path(path).name, reason))
    if not accepted:
        report = render_build_report(None, rejected)
        return _library(assistant, report, warning=_rejected_summary(rejected))
    try:
        report = assistant.add_files(accepted, progress=_stage_progress(progress))
    except Exception as e:  # the UI boundary: one clear line, no traceback
        message = _failure_message(e)
        expected = isinstance(e, (CorpusError, IndexStoreError, OSError))
        logger.log(logging.INFO if expected else logging.ERROR, "upload failed: %s", message,
                   exc_info=not expected)
        html = render_build_report(None, [*rejected, ("upload", message)])
        return _library(assistant, html, warning=f"Nothing was added: {message}")
    problems = rejected + [_skipped_pair(s) for s in getattr(report, "skipped", ())]
    html = render_build_report(report, problems)
    return _library(assistant, html, _rejected_summary(problems), changed=True)


def remove_article(assistant: AssistantLike, article_id: str | None) -> LibraryResult:
    """Remove one article from the index by id."""
    if not article_id:
        return _library(assistant, "", warning="Choose an article to remove first.")
    known = {row[4]: row[0] for row in library_rows(assistant)}
    if article_id not in known:
        return _library(assistant, "", warning=f"No indexed article has the id {article_id!r}.")
    try:
        report = assistant.remove_article(article_id)
    except Exception as e:  # the UI boundary
        logger.exception("removing %r failed", article_id)
        return _library(assistant, "", warning=f"Could not remove {article_id!r}: {e}")
    html = render_build_report(report)
    return _library(assistant, html, changed=True)


def _parse_date(value: str | None, label: str) -> date | None:
    text = (value or "").strip()
    if not text:
        return None
    if not _ISO_DATE.fullmatch(text):
        raise DateRangeError(f"{label} date {text!r} is not in YYYY-MM-DD form, e.g. 2026-01-09.")
    try:
        return date.fromisoformat(text)
    except ValueError as e:
        raise DateRangeError(f"{label} date {text!r} is not a real date ({e}).") from e


def _clamp_top_k(value: float | None) -> int:
    try:
        return min(max(round(float(value if value is not None else 5)), 1), MAX_TOP_K)
    except (TypeError, ValueError):
        return 5


def _with_warning(result: ChatResult, warning: str) -> ChatResult:
    return ChatResult(result.chat, result.turns, result.sources_html, result.question, warning)


def _error_turn(turns: list[Turn], question: str, message: str) -> ChatResult:
    turns.append(Turn(question, None, render_notice(message)))
    return ChatResult(chat_messages(turns), turns, render_sources(None), "", message)


def _library(
    assistant: AssistantLike,
    report_html: str,
    warning: str | None = None,
    *,
    changed: bool = False,
) -> LibraryResult:
    try:
        rows = library_rows(assistant)
    except Exception:  # show an empty table rather than failing the event
        logger.exception("listing the indexed articles failed")
        rows = []
    return LibraryResult(report_html, rows, article_choices(rows), warning, changed)


def _upload_path(item: Any) -> str:
    """Gradio hands over temp-file paths (str) or objects with `.path`/`.name`."""
    if isinstance(item, (str, Path)):
        return str(item)
    if isinstance(item, dict):
        return str(item.get("path") or item.get("name") or "")
    return str(getattr(item, "path", None) or getattr(item, "name", ""))


def _rejected_summary(rejected: Sequence[tuple[str, str]]) -> str | None:
    if not rejected:
        return None
    return "Not added: " + "; ".join(f"{name}: {reason}" for name, reason in rejected)


def _skipped_pair(skipped: Any) -> tuple[str, str]:
    """(file name[:line], reason) of an `index`/`corpus` `Skipped` record."""
    name = Path(str(getattr(skipped, "source", ""))).name or "upload"
    line = getattr(skipped, "line", None)
    where = f"{name}:{line}" if line is not None else name
    return where, str(getattr(skipped, "reason", skipped))


def _failure_message(error: Exception) -> str:
    if isinstance(error, ArticleFormatError):
        where = Path(error.source).name
        if error.line is not None:
            where += f", line {error.line}"
        return f"{where}: {error.reason}"
    return str(error) or type(error).__name__


def _stage_progress(progress: ProgressFn | None) -> Callable[[str, int, int], None] | None:
    """Adapt `gr.Progress` (or any callable) to the builder's (stage, done, total) callback."""
    if progress is None:
        return None

    def report(stage: str, done: int, total: int) -> None:
        stage = STAGE_LABELS.get(stage, stage)
        try:
            if total > 0:
                progress((min(done, total), total), desc=stage)
            else:
                progress(0.0, desc=stage)
        except Exception:  # a progress bar must never break a build
            logger.debug("progress update failed", exc_info=True)

    return report
