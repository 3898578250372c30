"""`Assistant`: the one obvious entry point. Open an index once, then `ask` questions."""

from __future__ import annotations

import logging
import threading
import time
import unicodedata
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from corpus import Article
from index import (
    ArticleRecord,
    BuildReport,
    Embedder,
    IndexReader,
    IndexStoreError,
    SentenceTransformerEmbedder,
    add_files,
    live_generation,
    load_embedder,
    open_index,
    remove_articles,
)
from qa.answer import AnswerConfig, compose_answer, scored_passages
from qa.errors import QAConfigError, QuestionError
from qa.followup import rewrite_query
from qa.recency import question_period
from qa.retrieve import RetrievalConfig, retrieve_ranked
from qa.timeline import MAX_EVENTS, build_timeline
from qa.types import Answer, IndexStatus, Timeline

if TYPE_CHECKING:
    from corpus.web import FetchConfig
    from index import WebReport

logger = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 1000  # longer questions are cut, with a note (every surface)
MAX_TOP_K = 50  # passages an answer may cite
Progress = Callable[[str, int, int], None]


class Assistant:
    """Answers questions from one index directory.

    Example:
        >>> assistant = Assistant.open("data/index")
        >>> answer = assistant.ask("When will Lee meet Meloni?")
        >>> answer.text, [c.title for c in answer.citations]

    The assistant is safe to share between threads. It serves one complete index snapshot at
    a time and switches to a newer one (built by `add_files`, `remove_article` or another
    process's `newsqa build`) between questions, never during one.
    """

    def __init__(
        self,
        index_dir: str | Path,
        *,
        embedder: Embedder | None = None,
        retrieval: RetrievalConfig | None = None,
        answering: AnswerConfig | None = None,
    ) -> None:
        self.index_dir = Path(index_dir)
        self.retrieval = retrieval or RetrievalConfig()
        self.answering = answering or AnswerConfig()
        self._lock = threading.Lock()
        self._reader: IndexReader = open_index(self.index_dir)
        self.embedder = embedder or load_embedder(self._reader.embedder_name)
        self._reader.check_embedder(self.embedder)
        _single_threaded_inference(self.embedder)

    @classmethod
    def open(
        cls,
        index_dir: str | Path,
        *,
        embedder: Embedder | None = None,
        model: str | None = None,
        retrieval: RetrievalConfig | None = None,
        answering: AnswerConfig | None = None,
    ) -> Assistant:
        """Open the index at `index_dir` and the embedder it was built with (or `embedder`/
        `model`, which must produce vectors of the same model)."""
        if embedder is None and model is not None:
            embedder = load_embedder(model)
        return cls(index_dir, embedder=embedder, retrieval=retrieval, answering=answering)

    # -- questions -------------------------------------------------------------------------

    def ask(
        self,
        question: str,
        *,
        top_k: int = 5,
        history: Sequence[tuple[str, str]] = (),
        since: date | str | None = None,
        until: date | str | None = None,
        sources: Sequence[str] | None = None,
        as_of: date | str | None = None,
    ) -> Answer:
        """Answer `question` from the indexed articles.

        Args:
            question: the question, in plain text.
            top_k: how many passages to cite at most (1 to `MAX_TOP_K`, 50).
            history: earlier turns as (question, answer_text) pairs, oldest first; used to
                resolve follow-ups such as "And how many of them were Korean?".
            since / until: only articles published in this date range (inclusive); a `date`
                or "YYYY-MM-DD".
            sources: only these article ids.
            as_of: answer as of this day: articles published after it are left out, and
                among the rest the ranking prefers what was recent then (or in the period
                the question names: "this week", "last month", "in March"; see
                `qa.recency`). None: no date preference, except for periods the question
                names with a year ("in 2021").

        Returns:
            An `Answer`: `text` quotes the best sentence with `[n]` markers, `citations` hold
            the numbered sources, `hits` the ranked passages, `abstained` is True when the
            articles don't answer the question.
        """
        started = time.perf_counter()
        question, note = clean_question(question)
        if not 1 <= top_k <= MAX_TOP_K:
            raise QAConfigError(f"top_k must be between 1 and {MAX_TOP_K}, not {top_k!r}")
        since_d, until_d = _as_date(since, "since"), _as_date(until, "until")
        as_of_d = _as_date(as_of, "as_of")
        if since_d and until_d and since_d > until_d:
            raise QAConfigError(f"since ({since_d}) is after until ({until_d})")
        reader = self._current_reader()
        query = rewrite_query(question, list(history))
        rows = reader.rows_matching(since=since_d, until=until_d, sources=sources,
                                    not_after=as_of_d)
        vector = self._embed(query) if self.retrieval.mode != "lexical" else None
        depth = max(top_k, scored_passages(self.answering))
        period = question_period(question, as_of_d)
        retrieved = retrieve_ranked(reader, query, vector, top_k=depth, config=self.retrieval,
                                    rows=rows, period=period)
        answer = compose_answer(
            reader, question, query, vector, retrieved.hits, top_k=top_k,
            config=self.answering, evidence=retrieved.evidence, terms=retrieved.terms,
        )
        if note:
            answer = _with_message(answer, note)
        logger.debug("answered in %.1f ms", (time.perf_counter() - started) * 1000)
        return answer

    def timeline(
        self,
        query: str,
        *,
        since: date | str | None = None,
        until: date | str | None = None,
        as_of: date | str | None = None,
        limit: int = 20,
    ) -> Timeline:
        """The timeline of the story `query` names (a question or a topic): what happened,
        in order, each event a sentence quoted from one of the story's articles.

        Args:
            query: e.g. "Port Alder ferry plan" or "What happened with the ferry plan?".
            since / until: only events dated in this range (inclusive), by the date each
                is placed at; a `date` or "YYYY-MM-DD".
            as_of: only articles published on or before this day.
            limit: at most this many events (1 to `MAX_EVENTS`, 100): the most relevant.

        Returns:
            A `Timeline`: `events` oldest first, each with the `date` its sentence speaks
            of (`date_source` "sentence") or its article's date ("published"), the quote
            and a `Citation` (one copy of a syndicated story; the others in `also_in`).
            No events, and a `message`, when no indexed story matches.
        """
        query, note = clean_question(query)
        if not 1 <= limit <= MAX_EVENTS:
            raise QAConfigError(f"limit must be between 1 and {MAX_EVENTS}, not {limit!r}")
        since_d, until_d = _as_date(since, "since"), _as_date(until, "until")
        if since_d and until_d and since_d > until_d:
            raise QAConfigError(f"since ({since_d}) is after until ({until_d})")
        reader = self._current_reader()
        vector = self._embed(query) if self.retrieval.mode != "lexical" else None
        timeline = build_timeline(reader, query, vector, retrieval=self.retrieval,
                                  since=since_d, until=until_d,
                                  not_after=_as_date(as_of, "as_of"), limit=limit)
        if note:
            from dataclasses import replace

            timeline = replace(timeline, message=" ".join(filter(None, (note,
                                                                        timeline.message))))
        return timeline

    def _embed(self, query: str) -> NDArray[np.float32]:
        return self.embedder.encode([query])[0]

    # -- the library -----------------------------------------------------------------------

    def articles(self) -> list[ArticleRecord]:
        """Every indexed article (id, title, date, byline, source, chunk count)."""
        return self._current_reader().articles()

    def article(self, article_id: str) -> Article:
        """The full article `article_id` as indexed."""
        return self._current_reader().article(article_id)

    def index_status(self) -> IndexStatus:
        """What the served index holds, and how many of its chunks are embedded (a
        progressive build publishes before it has embedded everything)."""
        reader = self._current_reader()
        counts = reader.manifest.counts
        return IndexStatus(counts.articles, counts.chunks, counts.embedded, reader.generation)

    def copies_of(self, article_id: str) -> list[ArticleRecord]:
        """The other syndicated copies of `article_id`'s story, which answers fold into one
        (the copy cited: the earliest, then the one with a byline)."""
        return self._current_reader().copies_of(article_id)

    def add_files(
        self, paths: Sequence[str | Path], *, progress: Progress | None = None
    ) -> BuildReport:
        """Add article files to the index (incremental build), then serve the new index."""
        report = add_files(self.index_dir, list(paths), embedder=self.embedder, progress=progress)
        self.reload()
        return report

    def add_urls(
        self,
        urls: Sequence[str],
        *,
        progress: Progress | None = None,
        fetch_config: FetchConfig | None = None,
    ) -> WebReport:
        """Add article pages and feeds from the web (see `index.add_urls`), then serve
        the new index. Feeds are remembered: a later `newsqa build` adds their new items.

        Returns:
            A `WebReport`: per-URL results (`results`), the ids added or changed, the
            `failures` (each names its URL and reason) and the `build` that followed.
        """
        from index import add_urls

        report = add_urls(self.index_dir, list(urls), embedder=self.embedder,
                          fetch_config=fetch_config, progress=progress)
        self.reload()
        return report

    def remove_article(self, article_id: str, *, progress: Progress | None = None) -> BuildReport:
        """Remove one article from the index, then serve the new index."""
        report = remove_articles(
            self.index_dir, [article_id], embedder=self.embedder, progress=progress
        )
        self.reload()
        return report

    def reload(self) -> None:
        """Switch to the index directory's current snapshot (no-op when unchanged)."""
        with self._lock:
            fresh = open_index(self.index_dir)
            fresh.check_embedder(self.embedder)
            # The old snapshot is not closed here: questions in other threads may still be
            # reading it. It closes itself when the last of them lets go of it.
            self._reader = fresh

    def close(self) -> None:
        self._reader.close()

    def _current_reader(self) -> IndexReader:
        reader = self._reader
        if _live_generation(self.index_dir) != reader.path:
            try:
                self.reload()
            except Exception as e:  # a half-visible new build: keep serving the old snapshot
                logger.warning("could not switch to the new index (%s); serving the previous "
                               "one", " ".join(str(e).split()))
                logger.debug("switching to the new index failed", exc_info=True)
            reader = self._reader
        return reader


def clean_question(question: str) -> tuple[str, str | None]:
    """Normalise a question: NFC, control characters out, whitespace collapsed, length capped.

    Returns the cleaned question and a note for the user when it was shortened.
    Raises QuestionError when nothing askable is left.
    """
    if not isinstance(question, str):
        raise QuestionError(f"a question must be text, not {type(question).__name__}")
    text = unicodedata.normalize("NFC", question)
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    text = " ".join(text.split())
    if not text:
        raise QuestionError("the question is empty; type a question about the articles")
    if not any(ch.isalnum() for ch in text):
        raise QuestionError(
            f"the question {text[:40]!r} has no words to search for; type a question in words, "
            "e.g. 'When will Lee meet Meloni?'"
        )
    if len(text) > MAX_QUESTION_CHARS:
        cut = text[:MAX_QUESTION_CHARS].rsplit(" ", 1)[0] or text[:MAX_QUESTION_CHARS]
        return cut, f"The question was long; only its first {len(cut)} characters were used."
    return text, None


def _single_threaded_inference(embedder: Embedder) -> None:
    """One question embeds a few words and searches one vector: thread pools only add
    scheduling cost, and concurrent questions already use the cores. Measured on 2 cores
    with one other job running: embedding a question with torch's 2 threads took p50 134 ms
    and p95 544 ms, with 1 thread 16 ms and 29 ms (quiet: 12 vs 15 ms p50); FAISS's pool
    made a search 10-20x slower. Process-wide, like FAISS's and torch's own settings; a
    `newsqa build` process keeps every core for embedding."""
    import faiss

    faiss.omp_set_num_threads(1)
    if isinstance(embedder, SentenceTransformerEmbedder):  # torch (ONNX sets its own)
        import torch

        torch.set_num_threads(1)


def _live_generation(index_dir: Path) -> Path | None:
    try:
        return live_generation(index_dir)
    except IndexStoreError:
        return None


def _as_date(value: date | str | None, name: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError as e:
        raise QAConfigError(f"{name} must be a date like 2026-01-09, not {value!r}") from e


def _with_message(answer: Answer, note: str) -> Answer:
    from dataclasses import replace

    return replace(answer, message=note)
