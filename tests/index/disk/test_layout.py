"""index.disk.layout: what belongs in an index folder, and atomic writes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from index import IndexNotFoundError, IndexStoreError
from index.disk.layout import (
    belongs_in_index,
    partial_path,
    prepare_index_dir,
    require_generation,
    write_atomic,
)


@pytest.mark.parametrize(
    "name", ["CURRENT", ".CURRENT.tmp", ".lock", "library", "web.json", ".web.json.tmp",
             "manifest.json", "gen-3", "tmp-x1y2"],
)
def test_names_of_an_index_folder(name: str, tmp_path: Path) -> None:
    assert belongs_in_index(name)
    (tmp_path / name).mkdir()
    assert prepare_index_dir(tmp_path) == tmp_path  # a folder of ours is accepted
    if name != "manifest.json":  # (an empty "manifest.json" folder is no generation)
        with pytest.raises(IndexNotFoundError, match="run 'newsqa build' first"):
            require_generation(tmp_path)


@pytest.mark.parametrize("name", ["notes.txt", "vectors.faiss", "gen", "CURRENT.bak"])
def test_other_names_make_a_foreign_folder(name: str, tmp_path: Path) -> None:
    assert not belongs_in_index(name)
    (tmp_path / name).write_text("x", encoding="utf-8")
    with pytest.raises(IndexStoreError, match="not a newsqa index"):
        prepare_index_dir(tmp_path)
    with pytest.raises(IndexNotFoundError, match="a folder of other files"):
        require_generation(tmp_path)


def test_write_atomic_replaces_whole_or_not_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "web.json"
    write_atomic(target, "old")
    write_atomic(target, b"new")
    assert target.read_text(encoding="utf-8") == "new"

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space"):
        write_atomic(target, "newer")
    assert target.read_text(encoding="utf-8") == "new"
    assert not partial_path(target).exists()
