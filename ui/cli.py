"""`newsqa serve`: the chat UI's command, registered with the `newsqa` CLI by entry point."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option(
    "--index",
    "index_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Index directory (default: $NEWSQA_INDEX or ~/.local/share/newsqa/index).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind; keep loopback unless you set --auth.",
)
@click.option("--port", default=7860, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--auth", default=None, metavar="USER:PASS", help="Require a login (also $NEWSQA_AUTH)."
)
@click.option("--model", default=None, help="Model used when the index must be built first.")
def serve(
    index_dir: Path | None, host: str, port: int, auth: str | None, model: str | None
) -> None:
    """Start the chat UI in the browser, building the index from the bundled articles first
    if there is none.

    Example: newsqa serve --port 7860
    """
    from index import IndexNotFoundError, build_index, load_embedder, open_index
    from qa import Assistant
    from qa.settings import default_index_dir, default_model
    from ui import launch
    from ui.settings import auth_from_environment

    index_dir = index_dir or default_index_dir()
    credentials = _parse_auth(auth or auth_from_environment())
    embedder = None
    try:
        open_index(index_dir).close()
    except IndexNotFoundError:
        click.echo(
            f"no index at '{index_dir}' yet; building it from the bundled articles", err=True
        )
        embedder = load_embedder(model or default_model())
        build_index(index_dir, None, embedder=embedder)
    assistant = Assistant.open(index_dir, embedder=embedder)  # the model loads once
    click.echo(f"news-qa on http://{host}:{port}", err=True)
    launch(assistant, host=host, port=port, auth=credentials)


def _parse_auth(value: str | None) -> tuple[str, str] | None:
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise click.BadParameter("auth must look like USER:PASS", param_hint="--auth")
    return user, password
