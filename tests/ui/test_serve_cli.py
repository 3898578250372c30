"""`newsqa serve` joins the CLI through the `newsqa.commands` entry point."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from qa.cli import _load_plugins, cli
from ui.cli import _parse_auth


def test_serve_is_registered_with_newsqa() -> None:
    _load_plugins()
    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0, result.output
    assert "--auth" in result.stdout and "Example:" in result.stdout


@pytest.mark.parametrize("value", ["user", ":pass", "user:", ""])
def test_bad_auth_is_refused(value: str) -> None:
    if not value:
        assert _parse_auth(value) is None
        return
    with pytest.raises(Exception, match="USER:PASS"):
        _parse_auth(value)


def test_auth_is_split_once() -> None:
    assert _parse_auth("ana:s3:cret") == ("ana", "s3:cret")
