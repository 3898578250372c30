"""A small fake assistant that returns real `Answer`/`Citation` objects built from
hand-made articles, so handler tests need no index."""

from __future__ import annotations

import re
import shutil
import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from corpus import Article, ArticleFormatError, Chunk
from qa.errors import QuestionError
from qa.types import Answer, Citation, DateNote, IndexStatus

NARA = Article(
    id="2026-01-09-nara-summit",
    title="Lee, Takaichi to hold summit in Nara on economy, AI, regional issues",
    paragraphs=(
        "President Lee Jae Myung will make a two-day trip to Japan's Nara Prefecture on "
        "Tuesday and Wednesday for a summit with Japanese Prime Minister Sanae Takaichi.",
        "On Wednesday morning, the two leaders will visit Horyu-ji, an ancient Buddhist temple.",
        "In 1942, a devastating flood at the Chosei coal mine in Japan's Yamaguchi Prefecture "
        "killed 183 workers, including 136 Korean laborers.",
    ),
    source="2026-01-09-nara-summit.txt",
    published=date(2026, 1, 9),
    byline="SARAH KIM",
)

EVIL = Article(
    id="evil",
    title='Harbor <script>window.__pwned = 1</script> news',
    paragraphs=(
        "The harbor festival drew crowds <img src=x onerror=alert(1)> on Sunday evening.",
        "Read more [x](javascript:alert(1)) about the harbor festival fireworks.",
    ),
    source="evil.txt",
    published=date(2025, 6, 1),
    byline="<b>Mallory</b>",
)

_WORD = re.compile(r"[a-z0-9]+")
_STOP = {"when", "what", "will", "the", "did", "does", "about", "with", "from", "that", "this"}


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class LiveApp:
    """A served app (see the `live_app` fixture): its URL and the assistant behind it."""

    url: str
    assistant: Any


@dataclass
class FakeReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[Any] = field(default_factory=list)
    chunks: int = 0


@dataclass(frozen=True)
class FakeRecord:
    id: str
    title: str
    published: date | None
    byline: str | None
    source: str
    url: str | None
    content_hash: str
    chunks: int


class FakeAssistant:
    """Answers by word overlap with single sentences (one paragraph = one sentence here)."""

    def __init__(self, articles: Sequence[Article] = (NARA,)) -> None:
        self._articles = {a.id: a for a in articles}
        self.calls: list[dict[str, Any]] = []
        self.error: Exception | None = None
        self.index_dir = Path("fake-index")
        self.embedded: int | None = None  # chunks embedded; None: all of them

    def ask(self, question: str, *, top_k: int = 5, history: Sequence[tuple[str, str]] = (),
            since: date | None = None, until: date | None = None,
            sources: Sequence[str] | None = None, as_of: date | None = None) -> Answer:
        self.calls.append({"question": question, "top_k": top_k, "history": list(history),
                           "since": since, "until": until, "as_of": as_of})
        if self.error is not None:
            raise self.error
        if not question.strip():
            raise QuestionError("the question is empty; type a question about the articles")
        words = {w for w in _WORD.findall(question.lower()) if len(w) > 3 and w not in _STOP}
        ranked = sorted(
            ((len(words & set(_WORD.findall(p.lower()))), a, i)
             for a in self._articles.values() for i, p in enumerate(a.paragraphs)),
            key=lambda t: -t[0],
        )
        best = [(a, i) for score, a, i in ranked[:top_k] if score > 0]
        citations = tuple(_citation(n, a, i) for n, (a, i) in enumerate(best, 1))
        if not ranked or ranked[0][0] < 2:
            return Answer(question, "The indexed articles don't answer this question.", True,
                          citations[:2], ())
        first = citations[0]
        return Answer(question, f"{first.quote} [1]", False, citations, (), confidence=0.9)

    def articles(self) -> list[FakeRecord]:
        return [FakeRecord(a.id, a.title, a.published, a.byline, a.source, a.url,
                           a.content_hash, len(a.paragraphs)) for a in self._articles.values()]

    def article(self, article_id: str) -> Article:
        return self._articles[article_id]

    def add_files(self, paths: Sequence[str | Path], *, progress: Any = None) -> FakeReport:
        report = FakeReport()
        for n, path in enumerate(paths, 1):
            text = Path(path).read_text(encoding="utf-8")
            if "BROKEN" in text:
                raise ArticleFormatError(str(path), "no title line; start the file with one")
            title, *body = [line for line in text.splitlines() if line.strip()]
            article = Article(Path(path).stem, title, tuple(body), Path(path).name)
            self._articles[article.id] = article
            report.added.append(article.id)
            if progress is not None:
                progress("embedding", n, len(paths))
        report.chunks = sum(len(a.paragraphs) for a in self._articles.values())
        return report

    def remove_article(self, article_id: str) -> FakeReport:
        del self._articles[article_id]
        return FakeReport(removed=[article_id])

    def index_status(self) -> IndexStatus:
        chunks = 19_227 * len(self._articles)
        embedded = chunks if self.embedded is None else self.embedded
        return IndexStatus(len(self._articles), chunks, embedded, 1)


def _citation(n: int, article: Article, paragraph: int) -> Citation:
    start, end = article.paragraph_spans[paragraph]
    text = article.text[start:end]
    chunk = Chunk(f"{article.id}:{paragraph}", article.id, paragraph, text, start, end,
                  (paragraph, paragraph), ((start, end),))
    dates = ()
    if "Tuesday" in text:
        at = text.index("Tuesday")
        dates = (DateNote("Tuesday", at, at + 7, date(2026, 1, 13), "Jan. 13, 2026"),)
    return Citation(n=n, article_id=article.id, title=article.title, published=article.published,
                    byline=article.byline, source=article.source, paragraph=paragraph + 1,
                    start=start, end=end, quote=text, passage=chunk, score=1.0 / n, dates=dates)


@contextmanager
def serve_copy(built: Path, root: Path) -> Iterator[LiveApp]:
    """The real app over a copy (in `root`) of the built HashEmbedder index folder `built`."""
    from index import HashEmbedder
    from qa import Assistant
    from ui import launch

    shutil.copytree(built, root / "built")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GRADIO_TEMP_DIR", str(root / "gradio-tmp"))
        assistant = Assistant.open(root / "built" / "index", embedder=HashEmbedder())
        port = free_port()
        app = launch(assistant, port=port, prevent_thread_lock=True, quiet=True)
        try:
            yield LiveApp(f"http://127.0.0.1:{port}/", assistant)
        finally:
            app.close()
            assistant.close()
