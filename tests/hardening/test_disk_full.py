"""A full disk fails a build partway: the old index stays live and loadable, nothing is
left behind, and the error is one clear line (an `IndexStoreError`).

Two ways to fail writes: in the test process, every Python-level write of a build is made
to fail in turn (the n-th `open` for writing, `os.fsync`, `os.replace`, `os.mkdir` (the
segment, part and commit folders), a FAISS write); in child processes, RLIMIT_FSIZE makes
the kernel refuse writes past a size, which also fails the writes SQLite and FAISS do in C.
"""

from __future__ import annotations

import builtins
import errno
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hardening_support import Snapshot, leftovers, snapshot, start_build, write_set

from index import HashEmbedder, IndexStoreError, add_files, build_index
from qa.cli import cli


class DiskFull:
    """Counts calls of the patched functions that touch the index, and fails the
    `fail_at`-th one (1-based) with ENOSPC; `fail_at=0` only counts."""

    def __init__(self, index_dir: Path, fail_at: int) -> None:
        self.index_dir = str(index_dir)
        self.fail_at = fail_at
        self.calls = 0

    def hit(self, *paths: Any) -> None:
        if paths and not any(str(p).startswith(self.index_dir) for p in paths):
            return
        self.calls += 1
        if self.calls == self.fail_at:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(paths[0] if paths else ""))


def _writing(mode: str) -> bool:
    return any(flag in mode for flag in "wax+")


@contextmanager
def failing(monkeypatch: pytest.MonkeyPatch, what: str, disk: DiskFull) -> Iterator[None]:
    """Patch one kind of write to go through `disk`."""
    with monkeypatch.context() as patch:
        if what == "open":
            real_open = builtins.open

            def fake_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
                if isinstance(file, (str, os.PathLike)) and _writing(mode):
                    disk.hit(file)
                return real_open(file, mode, *args, **kwargs)

            patch.setattr(builtins, "open", fake_open)
        elif what == "fsync":
            patch.setattr(os, "fsync", _before(os.fsync, lambda fd: disk.hit()))
        elif what == "replace":
            patch.setattr(os, "replace", _before(os.replace, lambda src, dst: disk.hit(dst)))
        elif what == "mkdir":  # creating a folder takes space; finding it there does not
            patch.setattr(os, "mkdir", _before(
                os.mkdir, lambda path, *mode: os.path.exists(path) or disk.hit(path)))
        elif what == "faiss":
            import faiss

            real_write = faiss.write_index

            def write_index(*args: Any) -> None:
                try:
                    disk.hit(args[-1])
                except OSError:
                    raise RuntimeError(  # what FAISS raises when fwrite fails
                        "Error in void faiss::write_index(const Index*, IOWriter*, int) at "
                        "index_write.cpp:499: Error: 'ret == (size * 4)' failed: write error "
                        f"in {args[-1]}: 0 != 32000 (No space left on device)"
                    ) from None
                real_write(*args)

            patch.setattr(faiss, "write_index", write_index)
        yield


def _before(real: Callable[..., Any], check: Callable[..., None]) -> Callable[..., Any]:
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        check(*args[:2] if len(args) > 1 else args)
        return real(*args, **kwargs)

    return wrapped


@dataclass(frozen=True)
class Sets:
    pristine: Path  # an index of set "a"
    new_sources: Path  # set "b"
    old: Snapshot
    new: Snapshot


@pytest.fixture(scope="module")
def sets(tmp_path_factory: pytest.TempPathFactory) -> Sets:
    root = tmp_path_factory.mktemp("disk")
    a, b = write_set(root / "a", "a"), write_set(root / "b", "b")
    build_index(root / "pristine", [a], embedder=HashEmbedder())
    shutil.copytree(root / "pristine", root / "expected")
    build_index(root / "expected", [b], embedder=HashEmbedder())
    return Sets(root / "pristine", b, snapshot(root / "pristine"), snapshot(root / "expected"))


def assert_clear(error: BaseException, index_dir: Path) -> None:
    message = str(error)
    assert isinstance(error, IndexStoreError), repr(error)
    assert "\n" not in message and str(index_dir) in message
    assert "previous index is unchanged" in message and "run the build again" in message


@pytest.mark.parametrize("what", ["open", "fsync", "replace", "mkdir", "faiss"])
def test_every_write_of_a_build_may_fail(
    sets: Sets, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    what: str,
) -> None:
    pristine, new_sources, old = sets.pristine, sets.new_sources, sets.old
    counting = DiskFull(tmp_path / "count", 0)
    shutil.copytree(pristine, counting.index_dir)
    with failing(monkeypatch, what, counting):
        build_index(counting.index_dir, [new_sources], embedder=HashEmbedder())
    assert counting.calls >= 1, f"a build makes no {what} call to fail"
    new = sets.new
    for n in range(1, counting.calls + 1):
        work = tmp_path / f"{what}-{n}"
        shutil.copytree(pristine, work)
        try:
            with failing(monkeypatch, what, DiskFull(work, n)):
                build_index(work, [new_sources], embedder=HashEmbedder())
        except IndexStoreError as error:
            assert_clear(error, work)
            assert snapshot(work) == old
        else:  # only a folder's fsync failed, which is best effort
            assert what == "fsync" and snapshot(work) == new
        assert leftovers(work) == []
        build_index(work, [new_sources], embedder=HashEmbedder())  # space freed: it works
        assert snapshot(work) == new
        assert leftovers(work) == [] and len(list(work.glob("gen-*"))) <= 2


@pytest.mark.timeout(120)
def test_kernel_refuses_writes_partway(sets: Sets, tmp_path: Path) -> None:
    pristine, new_sources, old = sets.pristine, sets.new_sources, sets.old
    # The SQLite files the sync writes: those of the expected index's segments that the
    # pristine index does not have (the new segment, and any merged one).
    before = {p.parent.name for p in pristine.rglob("docs.sqlite")}
    written = [p.stat().st_size for p in (pristine.parent / "expected").rglob("docs.sqlite")
               if p.parent.name not in before]
    sqlite_bytes = min(written)
    limits = [0, 512, sqlite_bytes // 2, sqlite_bytes - 1]
    for limit in limits:
        work = tmp_path / f"limit-{limit}"
        shutil.copytree(pristine, work)
        result = tmp_path / f"limit-{limit}.txt"
        process = start_build(work, new_sources, file_size_limit=limit, result_file=str(result))
        process.join(60)
        outcome = result.read_text("utf-8")
        assert process.exitcode == 0 and outcome.startswith("index.errors.IndexStoreError: ")
        assert "\n" not in outcome and "previous index is unchanged" in outcome, outcome
        assert snapshot(work) == old and leftovers(work) == []


def test_cli_reports_a_full_disk_in_one_line(
    sets: Sets, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pristine, new_sources, old = sets.pristine, sets.new_sources, sets.old
    work = tmp_path / "cli"
    shutil.copytree(pristine, work)
    with failing(monkeypatch, "faiss", DiskFull(work, 1)):
        result = CliRunner().invoke(
            cli, ["build", str(new_sources), "--index", str(work), "--model", "hash"]
        )
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("error: could not write the index") and "No space" in lines[-1]
    assert snapshot(work) == old


def test_upload_to_a_full_disk_adds_nothing(
    sets: Sets, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pristine, new_sources, old = sets.pristine, sets.new_sources, sets.old
    work = tmp_path / "upload"
    shutil.copytree(pristine, work)
    upload = new_sources / "b-ferry.txt"
    with failing(monkeypatch, "open", DiskFull(work, 1)), pytest.raises(IndexStoreError) as error:
        add_files(work, [upload], embedder=HashEmbedder())
    assert "nothing was added" in str(error.value) and "\n" not in str(error.value)
    assert snapshot(work) == old
    assert not [p.name for p in (work / "library").iterdir()]
