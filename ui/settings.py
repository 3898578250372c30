"""The environment the UI reads or sets, in one place.

- `NEWSQA_AUTH`: "USER:PASS", a login for `newsqa serve` (its `--auth` flag wins).
- `GRADIO_ANALYTICS_ENABLED`: set to "False" before gradio is imported (gradio reads it
  then), so no analytics call ever leaves the machine.
"""

from __future__ import annotations

import os

__all__ = ["AUTH_ENV", "auth_from_environment", "switch_gradio_analytics_off"]

AUTH_ENV = "NEWSQA_AUTH"


def auth_from_environment() -> str | None:
    """`$NEWSQA_AUTH`, or None when it is unset or empty."""
    return os.environ.get(AUTH_ENV) or None


def switch_gradio_analytics_off() -> None:
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
