"""`launch(assistant)`: serve the app (loopback by default) until the server stops."""

from __future__ import annotations

import ipaddress
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import gradio as gr

    from ui.handlers import AssistantLike

logger = logging.getLogger(__name__)

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "launch"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860


def launch(
    assistant: AssistantLike,
    *,
    host: str = DEFAULT_HOST,
    port: int | None = DEFAULT_PORT,
    auth: tuple[str, str] | None = None,
    prevent_thread_lock: bool = False,
    quiet: bool = False,
) -> gr.Blocks:
    """Serve the news-qa app for `assistant` on http://host:port.

    Blocks until the server stops (Ctrl+C) unless `prevent_thread_lock` is True, in which
    case it returns at once with the server running; call `.close()` on the returned
    Blocks to stop it. `auth` is an optional (user, password) pair; `port=None` picks the
    first free port from 7860. Uploads are capped at `index.MAX_FILE_BYTES` (20 MB) each,
    analytics are off, and nothing is shared publicly.
    """
    from ui.app import build_app
    from ui.handlers import MAX_UPLOAD_BYTES
    from ui.style import CSS, make_theme

    if auth is None and not _is_loopback(host):
        logger.warning("serving on %s without --auth: anyone who can reach it can add and "
                       "remove articles", host)
    app = build_app(assistant)
    app.queue(default_concurrency_limit=2)
    app.launch(
        server_name=host,
        server_port=port,
        auth=auth,
        prevent_thread_lock=prevent_thread_lock,
        quiet=quiet,
        share=False,
        inbrowser=False,
        show_error=False,
        max_file_size=MAX_UPLOAD_BYTES,
        ssr_mode=False,
        mcp_server=False,
        run_history=False,
        footer_links=["api", "gradio", "settings"],
        theme=make_theme(),
        css=CSS,
    )
    if not prevent_thread_lock:
        app.close()
    return app


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
