"""index.settings: the environment of the index layer."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from index import settings


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG folders are Linux's")
def test_onnx_exports_live_in_the_user_cache_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert settings.onnx_cache_dir() == tmp_path / "newsqa" / "onnx"


def test_the_milvus_token_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(settings.MILVUS_TOKEN_ENV, raising=False)
    assert settings.milvus_token() == ""
    monkeypatch.setenv(settings.MILVUS_TOKEN_ENV, "user:secret")
    assert settings.milvus_token() == "user:secret"


def test_the_hub_stays_offline_unless_the_user_turned_it_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "0")
    settings.keep_hub_offline()
    assert os.environ["HF_HUB_OFFLINE"] == "1" and os.environ["TRANSFORMERS_OFFLINE"] == "0"
