"""The Gradio chat app over `qa.Assistant`.

    from qa import Assistant
    from ui import launch
    launch(Assistant.open("path/to/index"))   # http://127.0.0.1:7860

`build_app(assistant)` returns the `gr.Blocks` without serving it. Importing `ui` does not
import gradio; the first use of `build_app` or `launch` does (with analytics switched off).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ui.settings import switch_gradio_analytics_off

# Gradio reads this when it is imported; ui.app and ui.server import it only after this
# package __init__ has run, so no analytics call ever leaves the machine.
switch_gradio_analytics_off()

if TYPE_CHECKING:
    from ui.app import build_app
    from ui.server import launch

__all__ = ["build_app", "launch"]


def __getattr__(name: str) -> Any:
    if name == "build_app":
        from ui.app import build_app

        return build_app
    if name == "launch":
        from ui.server import launch

        return launch
    raise AttributeError(f"module 'ui' has no attribute {name!r}")
