"""Model files: versioned, checksummed, and a damaged one gives one clear line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.fusion import load_fusion
from qa.models import MODELS_DIR, ModelFileError, load_model, write_model
from qa.recency import load_recency
from qa.selector import load_selector
from qa.short import load_short


def test_shipped_models_load() -> None:
    assert load_fusion().rerank >= 1
    assert load_recency().half_life_days > 0
    assert load_selector().trees.features
    assert load_short().trees.features


def _copy(tmp_path: Path, kind: str) -> Path:
    target = tmp_path / f"{kind}-v1.json"
    target.write_text((MODELS_DIR / f"{kind}-v1.json").read_text(encoding="utf-8"),
                      encoding="utf-8")
    return target


@pytest.mark.parametrize("kind", ["fusion", "recency", "selector", "short"])
def test_edited_params_fail_the_checksum(tmp_path: Path, kind: str) -> None:
    path = _copy(tmp_path, kind)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["params"]["tampered"] = 1  # any edit the checksum did not see
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ModelFileError, match="damaged"):
        load_model(kind, 1, path)


@pytest.mark.parametrize(
    ("content", "match"),
    [(None, "missing"), ("{not json", "unreadable"), ('{"format": "other"}', "not a newsqa"),
     ("[]", "not a newsqa")],
)
def test_bad_files(tmp_path: Path, content: str | None, match: str) -> None:
    path = tmp_path / "fusion-v1.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ModelFileError, match=match):
        load_model("fusion", 1, path)


def test_other_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    write_model(path, kind="fusion", version=2, params={"a": 1}, made_by="test",
                provenance={}, figures={})
    with pytest.raises(ModelFileError, match="version 2"):
        load_model("fusion", 1, path)
    assert load_model("fusion", 2, path) == {"a": 1}


def test_invalid_params_behind_a_good_checksum(tmp_path: Path) -> None:
    path = tmp_path / "fusion-v1.json"
    write_model(path, kind="fusion", version=1, params={"rerank": "many"}, made_by="test",
                provenance={}, figures={})
    load_fusion.cache_clear()
    with pytest.raises(ModelFileError, match="invalid"):
        load_fusion(path)


def test_selector_passages_come_from_its_file(tmp_path: Path) -> None:
    from qa.selector import load_selector

    shipped = load_model("selector", 1)
    assert load_selector().passages == shipped["passages"] >= 1
    path = tmp_path / "selector-v1.json"
    write_model(path, kind="selector", version=1, params={**shipped, "passages": 0},
                made_by="test", provenance={}, figures={})
    with pytest.raises(ModelFileError, match="passages"):
        load_selector(path)
