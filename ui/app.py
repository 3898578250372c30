"""The Gradio app: `build_app(assistant)` lays out the chat, sources and library and wires
the plain handlers of `ui.handlers` to it. Nothing here runs at import time.

Safety: every message and card is HTML built by `ui.render` from escaped text; the Chatbot
renders no Markdown or LaTeX, and sanitizes what it is given on top of that.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gradio as gr

from qa.api import MAX_TOP_K
from ui import handlers, links, timeline
from ui.handlers import (
    ALLOWED_EXTENSIONS,
    LIBRARY_HEADERS,
    MAX_UPLOAD_BYTES,
    AssistantLike,
    Turn,
)
from ui.render import EMPTY_SOURCES
from ui.style import HEADER_HTML

__all__ = ["EXAMPLE_QUESTIONS", "build_app"]

EXAMPLE_QUESTIONS = (
    "When will President Lee travel to Nara?",
    "What happened at the Chosei coal mine in 1942?",
    "When will Lee meet Meloni?",
)


def build_app(assistant: AssistantLike) -> gr.Blocks:
    """The news-qa app over `assistant` (a `qa.Assistant`).

    Launch it with `ui.launch`, which also applies the theme and CSS. Named API endpoints
    (for `gradio_client`): `/ask`, `/clear`, `/timeline`, `/articles`, `/add_files`,
    `/add_urls`, `/remove_article`, `/status` (the index status line, e.g. "12,400 of
    19,227 chunks embedded" while a build embeds; refreshed every 5 s).
    """
    with gr.Blocks(title="news-qa", analytics_enabled=False, delete_cache=(3600, 3600)) as app:
        gr.HTML(HEADER_HTML)
        status = gr.HTML("", elem_id="nq-status")
        turns = gr.State([])
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"):
                chat, question, ask_btn, clear_btn, top_k, since, until, as_of, sources = (
                    _ask_tab())
            with gr.Tab("Timeline", id="timeline"):
                story, tl_since, tl_until, tl_as_of, tl_btn, tl_view = _timeline_tab()
            with gr.Tab("Library", id="library"):
                table, files, add_btn, link, link_btn, report, choice, remove_btn = (
                    _library_tab()
                )

        def ask(
            question: str, state: list[Turn], top_k: float, since: str, until: str,
            as_of: str = "",
        ) -> tuple[Any, ...]:
            result = handlers.ask_question(
                assistant, question, state, top_k=top_k, since=since, until=until, as_of=as_of
            )
            _warn(result.warning)
            return result.chat, result.turns, result.sources_html, result.question

        ask_inputs = [question, turns, top_k, since, until, as_of]
        ask_outputs = [chat, turns, sources, question]
        gr.on([ask_btn.click, question.submit], ask, ask_inputs, ask_outputs, api_name="ask",
              concurrency_limit=4)
        chat.example_select(_example_text, None, question, api_visibility="private").then(
            ask, ask_inputs, ask_outputs, api_visibility="private"
        )
        clear_btn.click(_clear, None, [chat, turns, sources, question], api_name="clear")
        chat.clear(_clear, None, [chat, turns, sources, question], api_visibility="private")

        def show_timeline(query: str, since: str, until: str, as_of: str = "") -> str:
            result = timeline.show_timeline(assistant, query, since, until, as_of)
            _warn(result.warning)
            return result.html

        gr.on([tl_btn.click, story.submit], show_timeline, [story, tl_since, tl_until, tl_as_of],
              tl_view, api_name="timeline", concurrency_limit=4)

        def refresh() -> tuple[Any, ...]:
            return _library_outputs(handlers.refresh_library(assistant))[1:]

        def upload(files: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple:  # noqa: B008
            result = handlers.upload_articles(assistant, files, progress=progress)
            return (*_library_outputs(result), None if result.changed else gr.skip())

        def add_links(text: str | None, progress: gr.Progress = gr.Progress()) -> tuple:  # noqa: B008
            result = links.add_links(assistant, text, progress=progress)
            return (*_library_outputs(result), "" if result.changed else gr.skip())

        def remove(article_id: str | None) -> tuple[Any, ...]:
            return _library_outputs(handlers.remove_article(assistant, article_id))

        def index_status() -> str:
            return handlers.index_status(assistant)

        app.load(refresh, None, [table, choice], api_name="articles")
        app.load(index_status, None, status, api_name="status")
        gr.Timer(5).tick(index_status, None, status, api_visibility="private")
        add_btn.click(upload, files, [report, table, choice, files], api_name="add_files",
                      concurrency_id="library", concurrency_limit=1)
        gr.on([link_btn.click, link.submit], add_links, link, [report, table, choice, link],
              api_name="add_urls", concurrency_id="library", concurrency_limit=1)
        remove_btn.click(remove, choice, [report, table, choice], api_name="remove_article",
                         concurrency_id="library", concurrency_limit=1)
    return app


def _ask_tab() -> tuple[Any, ...]:
    with gr.Row(equal_height=False, elem_id="nq-main"):
        with gr.Column(scale=3, min_width=380):
            chat = gr.Chatbot(
                label="Answers",
                elem_id="nq-chat",
                height=480,
                render_markdown=False,  # messages are escaped HTML built by ui.render
                sanitize_html=True,
                allow_tags=False,
                latex_delimiters=[],
                feedback_options=None,
                buttons=["copy"],
                placeholder=(
                    "<div class='nq-placeholder'>Ask about the indexed news. Every answer is a "
                    "sentence quoted word for word from an article, with numbered sources."
                    "</div>"
                ),
                examples=[{"text": q} for q in EXAMPLE_QUESTIONS],
            )
            with gr.Row(equal_height=True):
                question = gr.Textbox(
                    placeholder="Ask a question about the articles…",
                    show_label=False,
                    lines=1,
                    max_lines=4,
                    scale=6,
                    elem_id="nq-question",
                    autofocus=True,
                )
                ask_btn = gr.Button("Ask", variant="primary", scale=1, min_width=80,
                                    elem_id="nq-ask")
            with gr.Row(equal_height=False, elem_id="nq-controls"):
                top_k = gr.Slider(1, MAX_TOP_K, value=5, step=1, label="Sources (top-k)", scale=3,
                                  elem_id="nq-top-k")
                since = gr.Textbox(label="From date", placeholder="YYYY-MM-DD", scale=2,
                                   max_lines=1, elem_id="nq-since")
                until = gr.Textbox(label="To date", placeholder="YYYY-MM-DD", scale=2,
                                   max_lines=1, elem_id="nq-until")
                as_of = gr.Textbox(label="As of", placeholder="today (YYYY-MM-DD)", scale=2,
                                   max_lines=1, elem_id="nq-as-of",
                                   info="Prefer what was news then; later articles are left out")
                clear_btn = gr.Button("New chat", variant="secondary", size="sm", scale=1,
                                      min_width=90, elem_id="nq-clear")
        with gr.Column(scale=2, min_width=320):
            sources = gr.HTML(EMPTY_SOURCES, elem_id="nq-sources-panel", max_height=760)
    return chat, question, ask_btn, clear_btn, top_k, since, until, as_of, sources


def _timeline_tab() -> tuple[Any, ...]:
    with gr.Row(equal_height=True):
        story = gr.Textbox(placeholder="A story or a question, e.g. Port Alder ferry",
                           show_label=False, lines=1, max_lines=2, scale=6,
                           elem_id="nq-story")
        button = gr.Button("Show the timeline", variant="primary", scale=1, min_width=160,
                           elem_id="nq-timeline-go")
    with gr.Row(equal_height=False):
        since = gr.Textbox(label="Events from", placeholder="YYYY-MM-DD", max_lines=1,
                           elem_id="nq-tl-since")
        until = gr.Textbox(label="Events to", placeholder="YYYY-MM-DD", max_lines=1,
                           elem_id="nq-tl-until")
        as_of = gr.Textbox(label="As of", placeholder="any day (YYYY-MM-DD)", max_lines=1,
                           elem_id="nq-tl-as-of", info="Only articles published by then")
    view = gr.HTML(timeline.EMPTY_TIMELINE, elem_id="nq-timeline")
    return story, since, until, as_of, button, view


def _library_tab() -> tuple[Any, ...]:
    table = gr.Dataframe(
        headers=LIBRARY_HEADERS,
        datatype=["str", "str", "str", "number", "str"],
        interactive=False,
        wrap=True,
        label="Indexed articles",
        elem_id="nq-library",
        max_height=420,
    )
    with gr.Row(equal_height=False):
        with gr.Column():
            files = gr.File(
                label=f"Add articles ({', '.join(ALLOWED_EXTENSIONS)}; up to "
                      f"{MAX_UPLOAD_BYTES // 2**20} MB each)",
                file_count="multiple",
                type="filepath",
                elem_id="nq-upload",
            )
            add_btn = gr.Button("Add to the index", variant="primary", elem_id="nq-add")
            link = gr.Textbox(
                label="Add from a link: an article page or an RSS/Atom feed",
                placeholder="https://example.com/news/story.html (several: one per line)",
                lines=1, max_lines=6, elem_id="nq-link",
            )
            link_btn = gr.Button("Add from the link", variant="secondary", elem_id="nq-add-link")
        with gr.Column():
            choice = gr.Dropdown(label="Remove an article", choices=[], value=None,
                                 elem_id="nq-remove-choice")
            remove_btn = gr.Button("Remove from the index", variant="stop", elem_id="nq-remove")
    report = gr.HTML("", elem_id="nq-report")
    return table, files, add_btn, link, link_btn, report, choice, remove_btn


def _library_outputs(result: handlers.LibraryResult) -> tuple[Any, ...]:
    _warn(result.warning)
    dropdown = gr.Dropdown(choices=result.choices, value=None)
    return result.report_html, _table_value(result.rows), dropdown


def _table_value(rows: Sequence[Sequence[Any]]) -> dict[str, Any]:
    return {"headers": LIBRARY_HEADERS, "data": [list(r) for r in rows]}


def _clear() -> tuple[Any, ...]:
    return [], [], EMPTY_SOURCES, ""


def _example_text(event: gr.SelectData) -> str:
    value = event.value
    return str(value.get("text", "")) if isinstance(value, dict) else str(value)


def _warn(message: str | None) -> None:
    if message:
        gr.Warning(message)
