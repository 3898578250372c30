"""`newsqa chat`: a terminal conversation with follow-ups and readline history."""

from __future__ import annotations

import contextlib
import sys
from datetime import date
from pathlib import Path

import click

from qa.api import Assistant
from qa.errors import QAError
from qa.render import format_answer
from qa.settings import chat_history_file


def run_chat(index_dir: Path, *, top_k: int = 5, max_turns: int = 6,
             as_of: date | None = None) -> None:
    """Read questions from the terminal until EOF or 'quit'; keep the last turns as context."""
    assistant = Assistant.open(index_dir)
    _enable_readline()
    turns: list[tuple[str, str]] = []
    click.echo("Ask about the indexed articles. 'new' starts over, 'quit' leaves.", err=True)
    while True:
        try:
            question = input("? ").strip()
        except (EOFError, KeyboardInterrupt):
            click.echo("", err=True)
            return
        if question.lower() in {"quit", "exit", ":q"}:
            return
        if question.lower() in {"new", "reset"}:
            turns.clear()
            click.echo("(conversation cleared)", err=True)
            continue
        if not question:
            continue
        try:
            answer = assistant.ask(question, top_k=top_k, history=turns[-max_turns:], as_of=as_of)
        except QAError as e:
            click.echo(f"error: {e}", err=True)
            continue
        click.echo(format_answer(answer, bold=sys.stdout.isatty()))
        click.echo("")
        turns.append((question, answer.text))


def _enable_readline() -> None:
    """Arrow keys and a persistent history, where the platform has readline."""
    try:
        import readline
    except ImportError:
        return
    path = chat_history_file()
    with contextlib.suppress(OSError):
        readline.read_history_file(path)
    readline.set_history_length(1000)
    import atexit

    atexit.register(lambda: _save_history(readline, path))


def _save_history(readline, path: Path) -> None:
    with contextlib.suppress(OSError):
        readline.write_history_file(path)
