"""The `newsqa` command line: build, info, ask, chat, eval (and serve, from the ui package).

Commands are thin: they parse, call the same public API a Python user calls, and print.
Library errors become one line on stderr and exit code 1 (`--debug` shows the traceback).
"""

from __future__ import annotations

import json
import logging
import sys
from importlib.metadata import entry_points
from importlib.metadata import version as package_version
from pathlib import Path

import click

from qa.settings import default_index_dir, default_model, offline_by_default

logger = logging.getLogger(__name__)

INDEX_HELP = "Index directory (default: $NEWSQA_INDEX or ~/.local/share/newsqa/index)."


class NewsqaGroup(click.Group):
    """Turns library errors into one line on stderr, unless --debug."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt):
            raise
        except Exception as e:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"error: {e}", err=True)
            sys.exit(1)


@click.group(cls=NewsqaGroup)
@click.version_option(package_version("newsqa"), prog_name="newsqa")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors on stderr.")
@click.pass_context
def cli(ctx: click.Context, debug: bool, quiet: bool) -> None:
    """news-qa: ask questions of news articles; answers are quoted and cited.

    Example: newsqa build && newsqa ask "When will Lee meet Meloni?"
    """
    offline_by_default()
    level = logging.DEBUG if debug else logging.WARNING if quiet else logging.INFO
    logging.basicConfig(level=level, format="%(message)s", stream=sys.stderr)
    for noisy in ("httpx", "sentence_transformers", "urllib3", "faiss", "bm25s"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    # pymilvus logs every failed retry and reconnection, and milvus-lite a file another
    # process holds, with tracebacks; the error they end in is our one line. pymilvus
    # configures its loggers itself when imported (later, for a Milvus index only).
    # --debug shows them.
    from index.milvus_client import set_client_log_level

    quiet = logging.CRITICAL + 1
    set_client_log_level(None if debug else quiet)
    logging.getLogger("milvus_lite").setLevel(logging.WARNING if debug else quiet)
    ctx.ensure_object(dict)["debug"] = debug


def index_option(f):
    return click.option("--index", "index_dir", type=click.Path(path_type=Path), default=None,
                        help=INDEX_HELP)(f)


def resolve_index(index_dir: Path | None) -> Path:
    return index_dir if index_dir is not None else default_index_dir()


@cli.command()
@click.argument("sources", nargs=-1, type=click.Path(exists=True, path_type=Path))
@index_option
@click.option("--full", is_flag=True, help="Re-embed everything instead of syncing changes.")
@click.option("--model", default=None,
              help="sentence-transformers model name or path, or 'hash'; add ':onnx-int8' "
              "(or ':onnx') to run it through ONNX Runtime (pip install 'newsqa[fast]').")
@click.option("--keep-removed", is_flag=True, help="Don't delete articles missing from SOURCES.")
@click.option("--store", "store", default=None, metavar="SPEC",
              help="Where the vectors live: 'faiss' (default), milvus://HOST:PORT/COLLECTION, "
                   "or a Milvus Lite file (milvus-lite:PATH or PATH.db). Default: keep the "
                   "index's; a change rebuilds it fully.")
def build(sources: tuple[Path, ...], index_dir: Path | None, full: bool, model: str | None,
          keep_removed: bool, store: str | None) -> None:
    """Build or sync the index from article files and folders.

    With no SOURCES: the sources the index was built from, or the bundled articles.
    Unchanged articles are never embedded again.

    Example: newsqa build articles/ more.jsonl --index data/index --store milvus://localhost:19530/news
    """
    from index import build_index, load_embedder

    embedder = load_embedder(model or default_model())
    report = build_index(
        resolve_index(index_dir), list(sources) or None, embedder=embedder, full=full,
        prune=not keep_removed, show_progress=sys.stderr.isatty(), store=store,
    )
    click.echo(report.summary())


@cli.command()
@index_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def info(index_dir: Path | None, as_json: bool) -> None:
    """Show what an index holds: model, counts, build time, sources, size on disk.

    Example: newsqa info --index data/index
    """
    from index import index_info

    details = index_info(resolve_index(index_dir))
    if as_json:
        click.echo(json.dumps(details, indent=2, default=str))
        return
    for key, value in details.items():
        click.echo(f"{key:>14}: {value}")


@cli.command()
@click.argument("question")
@index_option
@click.option("--top-k", default=5, show_default=True, type=click.IntRange(1, 50))
@click.option("--since", default=None, help="Only articles published on or after (YYYY-MM-DD).")
@click.option("--until", default=None, help="Only articles published on or before (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="Print the Answer as JSON.")
def ask(question: str, index_dir: Path | None, top_k: int, since: str | None, until: str | None,
        as_json: bool) -> None:
    """Answer one QUESTION from the indexed articles, with numbered sources.

    Example: newsqa ask "When will Lee meet Meloni?" --top-k 3
    """
    from qa.api import Assistant
    from qa.render import format_answer

    assistant = Assistant.open(resolve_index(index_dir))
    answer = assistant.ask(question, top_k=top_k, since=since, until=until)
    click.echo(answer.to_json(indent=2) if as_json else format_answer(answer))


@cli.command()
@index_option
@click.option("--top-k", default=5, show_default=True, type=click.IntRange(1, 50))
def chat(index_dir: Path | None, top_k: int) -> None:
    """A conversation in the terminal; follow-up questions use what was said before.

    Type 'new' to forget the conversation, 'quit' (or Ctrl-D) to leave.

    Example: newsqa chat --index data/index
    """
    from qa.chat import run_chat

    run_chat(resolve_index(index_dir), top_k=top_k)


@cli.command(name="eval")
@click.argument("dataset", type=click.Path(exists=True, path_type=Path))
@index_option
@click.option("--mode", type=click.Choice(["hybrid", "dense", "lexical", "all"]), default="all",
              show_default=True, help="Retrieval mode(s) to measure.")
@click.option("--model", default=None, help="Model for a BEIR index built by eval.")
@click.option("--limit", type=int, default=None, help="Only the first N questions.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def evaluate(dataset: Path, index_dir: Path | None, mode: str, model: str | None,
             limit: int | None, as_json: bool) -> None:
    """Measure answer and retrieval quality on a dataset.

    DATASET: a JSONL of {q, answers, unanswerable?}, a realtimeqa questions file, or a BEIR
    folder (corpus.jsonl, queries*.jsonl, qrels*.tsv; its index is built or reused).

    Example: newsqa eval questions.dev.jsonl --index data/index
    """
    from qa.eval_run import run_eval

    report = run_eval(dataset, index_dir=index_dir or default_index_dir(), mode=mode,
                      model=model or default_model(), limit=limit,
                      explicit_index=index_dir is not None)
    click.echo(json.dumps(report.to_dict(), indent=2) if as_json else report.format())


def _load_plugins() -> None:
    """Commands from other packages (the UI's `serve`) register through an entry point, so
    `qa` never imports `ui`."""
    for ep in entry_points(group="newsqa.commands"):
        try:
            cli.add_command(ep.load(), name=ep.name)
        except Exception as e:  # a broken plugin must not take the CLI down
            logger.warning("command %r unavailable: %s", ep.name, e)


def main() -> None:
    _load_plugins()
    cli(prog_name="newsqa")
