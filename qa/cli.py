"""The `newsqa` command line: build, add, watch, info, ask, timeline, chat, eval (and serve,
from the ui package).

Commands are thin: they parse, call the same public API a Python user calls, and print.
Library errors become one line on stderr and exit code 1 (`--debug` shows the traceback).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import date
from importlib.metadata import entry_points
from importlib.metadata import version as package_version
from pathlib import Path

import click

from qa.api import MAX_TOP_K
from qa.settings import default_index_dir, default_model, fetch_config
from qa.timeline import MAX_EVENTS

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
    level = logging.DEBUG if debug else logging.WARNING if quiet else logging.INFO
    logging.basicConfig(level=level, format="%(message)s", stream=sys.stderr)
    for noisy in ("httpx", "httpcore", "sentence_transformers", "urllib3", "faiss", "bm25s"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    # The extractors warn about every page they find no text in; newsqa reports those itself.
    for chatty in ("trafilatura", "htmldate", "courlan", "justext", "charset_normalizer"):
        logging.getLogger(chatty).setLevel(level if debug else logging.ERROR)
    # pymilvus logs every failed retry and reconnection, and milvus-lite a file another
    # process holds, with tracebacks; the error they end in is our one line. pymilvus
    # configures its loggers itself when imported (later, for a Milvus index only).
    # --debug shows them.
    from index import set_client_log_level

    quiet = logging.CRITICAL + 1
    set_client_log_level(None if debug else quiet)
    logging.getLogger("milvus_lite").setLevel(logging.WARNING if debug else quiet)
    ctx.ensure_object(dict)["debug"] = debug


class AsOfDate(click.ParamType):
    """YYYY-MM-DD, "today" (the default: a news desk asks about now) or "none"."""

    name = "YYYY-MM-DD|today|none"

    def convert(self, value, param, ctx):  # type: ignore[no-untyped-def]
        if isinstance(value, date) or value is None:
            return value
        text = str(value).strip().lower()
        if text in ("", "today"):
            return date.today()
        if text in ("none", "off"):
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            self.fail(f"{value!r} is not a date like 2026-01-09, 'today' or 'none'", param, ctx)


AS_OF_OPTION = click.option(
    "--as-of", "as_of", type=AsOfDate(), default="today", show_default=True,
    help="Answer as of this day: later articles are left out and what was recent then is "
         "preferred ('none': no date preference).")


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
@click.option("--refresh-web", is_flag=True,
              help="Also fetch the article pages added from the web again; changed ones are "
                   "re-embedded.")
@click.option("--no-web", is_flag=True, help="Don't read the feeds added with 'newsqa add'.")
def build(sources: tuple[Path, ...], index_dir: Path | None, full: bool, model: str | None,
          keep_removed: bool, store: str | None, refresh_web: bool, no_web: bool) -> None:
    """Build or sync the index from article files and folders, and its web feeds.

    With no SOURCES: the sources the index was built from, or the bundled articles.
    Feeds added with 'newsqa add' are read again and their new items added.
    Unchanged articles are never embedded again.

    Example: newsqa build articles/ more.jsonl --index data/index --store milvus://localhost:19530/news
    """
    from index import build_index, load_embedder

    index_dir = resolve_index(index_dir)
    if not no_web:
        _sync_web(index_dir, pages=refresh_web)
    embedder = load_embedder(model or default_model())
    try:
        report = build_index(
            index_dir, list(sources) or None, embedder=embedder, full=full,
            prune=not keep_removed, show_progress=sys.stderr.isatty(), store=store,
        )
    except KeyboardInterrupt:
        click.echo(f"interrupted: {_progress_of(index_dir)}; the index answers with what "
                   "was published. Run 'newsqa build' again to finish", err=True)
        sys.exit(130)
    click.echo(report.summary())


def _progress_of(index_dir: Path) -> str:
    from index import index_manifest

    try:
        return index_manifest(index_dir).counts.embedding()
    except Exception:  # no generation yet, or unreadable: nothing to add
        return "nothing was published"


def _sync_web(index_dir: Path, *, pages: bool) -> None:
    """Read the index's feeds (and pages) again before a build; failures are printed,
    they don't fail the build."""
    from index import has_web_sources, refresh_web
    from qa.web import failure_line

    if not has_web_sources(index_dir):
        if pages:
            click.echo("no pages added from the web in this index; nothing to refresh", err=True)
        return
    report = refresh_web(index_dir, pages=pages, fetch_config=fetch_config(),
                         show_progress=sys.stderr.isatty())
    for failure in report.failures:
        click.echo(failure_line(failure), err=True)
    click.echo(report.summary())


@cli.command()
@click.argument("urls", nargs=-1, required=True)
@index_option
@click.option("--model", default=None,
              help="Model for a new index (default: the index's own, or the packaged MiniLM).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def add(urls: tuple[str, ...], index_dir: Path | None, model: str | None, as_json: bool) -> None:
    """Add news from the web: article pages and feeds (RSS 2.0, RSS 1.0, Atom).

    A feed's items are fetched and added, and the feed is remembered: a later
    'newsqa build' adds its new items. Each URL that fails is one line on stderr;
    the others are still added, and the exit code is 1.

    Example: newsqa add https://example.com/news/rss.xml https://example.com/2026/01/story.html
    """
    from index import add_urls, load_embedder
    from qa.web import embedder_name, failure_line, report_lines

    index_dir = resolve_index(index_dir)
    embedder = load_embedder(embedder_name(index_dir, model, default_model()))
    report = add_urls(index_dir, list(urls), embedder=embedder, fetch_config=fetch_config(),
                      show_progress=sys.stderr.isatty())
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, default=str))
    else:
        for line in report_lines(report):
            click.echo(line)
        if report.build is not None:
            click.echo(report.build.summary())
    for failure in report.failures:
        click.echo(failure_line(failure), err=True)
    if report.failures:
        sys.exit(1)


@cli.command()
@index_option
@click.option("--every", "every", default="30m", show_default=True,
              help="Time between two syncs, e.g. 30m, 2h, 90s.")
@click.option("--refresh-web", is_flag=True, help="Fetch the pages again too, every round.")
@click.option("--model", default=None, help="Model (default: the index's own).")
@click.option("--rounds", type=click.IntRange(min=1), default=None,
              help="Stop after N rounds (default: run until stopped with Ctrl-C).")
def watch(index_dir: Path | None, every: str, refresh_web: bool, model: str | None,
          rounds: int | None) -> None:
    """Keep the index in sync with its feeds and files until stopped, one line per round.

    Example: newsqa watch --every 30m --index data/index
    """
    from index import load_embedder
    from qa.web import embedder_name, parse_interval
    from qa.web import watch as run_watch

    try:
        every_s = parse_interval(every)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--every") from e
    index_dir = resolve_index(index_dir)
    embedder = load_embedder(embedder_name(index_dir, model, default_model()))
    ctx = click.get_current_context()
    try:
        run_watch(index_dir, embedder=embedder, every_s=every_s, pages=refresh_web,
                  rounds=rounds, fetch_config=fetch_config(), echo=click.echo,
                  echo_error=lambda line: click.echo(line, err=True),
                  debug=bool(ctx.obj and ctx.obj.get("debug")))
    except KeyboardInterrupt:
        click.echo("stopped", err=True)


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
@click.option("--top-k", default=5, show_default=True, type=click.IntRange(1, MAX_TOP_K))
@click.option("--since", default=None, help="Only articles published on or after (YYYY-MM-DD).")
@click.option("--until", default=None, help="Only articles published on or before (YYYY-MM-DD).")
@AS_OF_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the Answer as JSON.")
def ask(question: str, index_dir: Path | None, top_k: int, since: str | None, until: str | None,
        as_of: date | None, as_json: bool) -> None:
    """Answer one QUESTION from the indexed articles, with numbered sources.

    Example: newsqa ask "When will Lee meet Meloni?" --top-k 3 --as-of 2026-01-10
    """
    from qa.api import Assistant
    from qa.render import format_answer

    assistant = Assistant.open(resolve_index(index_dir))
    answer = assistant.ask(question, top_k=top_k, since=since, until=until, as_of=as_of)
    bold = sys.stdout.isatty()
    click.echo(answer.to_json(indent=2) if as_json else format_answer(answer, bold=bold))


@cli.command()
@click.argument("query")
@index_option
@click.option("--since", default=None, help="Only events dated on or after (YYYY-MM-DD).")
@click.option("--until", default=None, help="Only events dated on or before (YYYY-MM-DD).")
@click.option("--as-of", "as_of", type=AsOfDate(), default="none", show_default=True,
              help="Only articles published on or before this day ('today', a date, "
                   "or 'none').")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, MAX_EVENTS),
              help="At most this many events (the most relevant).")
@click.option("--json", "as_json", is_flag=True, help="Print the Timeline as JSON.")
def timeline(query: str, index_dir: Path | None, since: str | None, until: str | None,
             as_of: date | None, limit: int, as_json: bool) -> None:
    """What happened in the story QUERY names, in order: each event a sentence quoted from
    one of the story's articles, dated by the date it speaks of (a relative date resolved
    against its article's date), else by its article's date.

    Example: newsqa timeline "Port Alder ferry" --since 2026-03-01 --json
    """
    from qa.api import Assistant
    from qa.render import format_timeline

    assistant = Assistant.open(resolve_index(index_dir))
    result = assistant.timeline(query, since=since, until=until, as_of=as_of, limit=limit)
    click.echo(result.to_json(indent=2) if as_json else format_timeline(result))


@cli.command()
@index_option
@click.option("--top-k", default=5, show_default=True, type=click.IntRange(1, MAX_TOP_K))
@AS_OF_OPTION
def chat(index_dir: Path | None, top_k: int, as_of: date | None) -> None:
    """A conversation in the terminal; follow-up questions use what was said before.

    Type 'new' to forget the conversation, 'quit' (or Ctrl-D) to leave.

    Example: newsqa chat --index data/index
    """
    from qa.chat import run_chat

    run_chat(resolve_index(index_dir), top_k=top_k, as_of=as_of)


@cli.command(name="eval")
@click.argument("dataset", type=click.Path(exists=True, path_type=Path))
@index_option
@click.option("--mode", type=click.Choice(["hybrid", "dense", "lexical", "all"]), default="all",
              show_default=True, help="Retrieval mode(s) to measure.")
@click.option("--model", default=None, help="Model for a BEIR index built by eval.")
@click.option("--limit", type=int, default=None, help="Only the first N questions.")
@click.option("--as-of-field", type=click.Choice(["date"]), default=None,
              help="Ask each question as of its own date field (e.g. a quiz's date).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def evaluate(dataset: Path, index_dir: Path | None, mode: str, model: str | None,
             limit: int | None, as_of_field: str | None, as_json: bool) -> None:
    """Measure answer and retrieval quality on a dataset, each retriever alone and fused.

    DATASET: a JSONL of {q, answers, unanswerable?}, a realtimeqa questions file, or a BEIR
    folder (corpus.jsonl, queries*.jsonl, qrels*.tsv; its index is built or reused; queries
    with `answers` are also scored as answers).

    Example: newsqa eval ../shared/data/realtimeqa-2022/questions.dev.jsonl --as-of-field date
    """
    from qa.eval_run import run_eval

    report = run_eval(dataset, index_dir=index_dir or default_index_dir(), mode=mode,
                      model=model or default_model(), limit=limit,
                      explicit_index=index_dir is not None, as_of_field=as_of_field)
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
