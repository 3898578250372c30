"""Bad index directories give a one-line error that says what to do, through the Python
API and the CLI; nothing in an index directory is ever loaded with pickle or as code."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from index import (
    EmbedderError,
    EmbedderMismatchError,
    HashEmbedder,
    IndexFormatError,
    IndexNotFoundError,
    IndexStoreError,
    build_index,
    open_index,
)
from qa import Assistant
from qa.cli import cli


class Exploit:
    """Unpickling this creates a marker file: proof that a pickle was loaded."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (Path.touch, (self.marker,))


def live(index_dir: Path) -> Path:
    return index_dir / (index_dir / "CURRENT").read_text().strip()


def located(index_dir: Path, name: str) -> Path:
    """The live generation's file `name`: a segment's (docs.sqlite, lexical/...), a vector
    part's (vectors.faiss) or the generation folder's own (manifest.json)."""
    manifest = json.loads((live(index_dir) / "manifest.json").read_text())
    segment = manifest["segments"][0]
    if name == "vectors.faiss":
        return index_dir / "segments" / segment["parts"][0] / name
    if name == "docs.sqlite" or name.startswith("lexical/"):
        return index_dir / "segments" / segment["name"] / name
    return live(index_dir) / name


def truncate(fraction: float, name: str) -> Callable[[Path], None]:
    def damage(index_dir: Path) -> None:
        path = located(index_dir, name)
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * fraction)])

    return damage


def edit_manifest(**changes: object) -> Callable[[Path], None]:
    def damage(index_dir: Path) -> None:
        path = live(index_dir) / "manifest.json"
        data = json.loads(path.read_text())
        data.update(changes)
        path.write_text(json.dumps(data))

    return damage


def langchain_folder(index_dir: Path) -> None:
    """What LangChain's FAISS.save_local writes: index.faiss and a pickled index.pkl."""
    index_dir.mkdir(parents=True)
    (index_dir / "index.faiss").write_bytes(b"IxMp" + bytes(200))
    (index_dir / "index.pkl").write_bytes(pickle.dumps(Exploit(index_dir.parent / "PWNED")))


def chroma_folder(index_dir: Path) -> None:
    (index_dir / "5d8c0f7e-uuid").mkdir(parents=True)
    (index_dir / "chroma.sqlite3").write_bytes(b"SQLite format 3\x00" + bytes(100))
    (index_dir / "5d8c0f7e-uuid" / "data_level0.bin").write_bytes(bytes(64))


def web_manifest(index_dir: Path) -> None:
    index_dir.mkdir(parents=True)
    (index_dir / "manifest.json").write_text('{"name": "My App", "icons": []}')


def wipe(index_dir: Path) -> None:
    shutil.rmtree(index_dir)


def empty(index_dir: Path) -> None:
    shutil.rmtree(index_dir)
    index_dir.mkdir()


def pickled_lexical(index_dir: Path) -> None:
    """An object array in a .npy file: numpy would unpickle it if allowed to."""
    path = located(index_dir, "lexical/rows.npy")
    array = np.array([Exploit(index_dir.parent / "PWNED"), 1], dtype=object)
    np.save(path, array, allow_pickle=True)


def pickled_vectors(index_dir: Path) -> None:
    exploit = pickle.dumps(Exploit(index_dir.parent / "PWNED"))
    located(index_dir, "vectors.faiss").write_bytes(exploit)


def foreign_current(index_dir: Path) -> None:
    (index_dir / "CURRENT").write_bytes(b"\x00\xff\xfe garbage")


def deep_manifest(index_dir: Path) -> None:
    (live(index_dir) / "manifest.json").write_text("[" * 100_000 + "]" * 100_000)


# case -> (damage, expected error, words the message must hold)
CASES: dict[str, tuple[Callable[[Path], None], type[Exception], str]] = {
    "missing": (wipe, IndexNotFoundError, "newsqa build"),
    "empty": (empty, IndexNotFoundError, "newsqa build"),
    "langchain faiss + pickle": (lambda d: (wipe(d), langchain_folder(d)), IndexNotFoundError,
                                 "build one in a new folder"),
    "chroma folder": (lambda d: (wipe(d), chroma_folder(d)), IndexNotFoundError,
                      "build one in a new folder"),
    "another app's manifest.json": (lambda d: (wipe(d), web_manifest(d)), IndexFormatError,
                                    "not a newsqa index"),
    "truncated faiss (0%)": (truncate(0, "vectors.faiss"), IndexFormatError, "--full"),
    "truncated faiss (50%)": (truncate(0.5, "vectors.faiss"), IndexFormatError, "--full"),
    "truncated faiss (99%)": (truncate(0.99, "vectors.faiss"), IndexFormatError, "--full"),
    "pickle as faiss file": (pickled_vectors, IndexFormatError, "--full"),
    "truncated sqlite": (truncate(0.5, "docs.sqlite"), IndexFormatError, "--full"),
    "empty npy": (truncate(0, "lexical/rows.npy"), IndexFormatError, "--full"),
    "object npy (pickle)": (pickled_lexical, IndexFormatError, "--full"),
    "truncated manifest": (truncate(0.5, "manifest.json"), IndexFormatError, "--full"),
    "deeply nested manifest": (deep_manifest, IndexFormatError, "--full"),
    "newer format": (edit_manifest(format_version=99), IndexFormatError, "upgrade newsqa"),
    "garbage CURRENT": (foreign_current, IndexFormatError, "--full"),
}


@pytest.fixture
def no_pickle(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Any unpickling fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("something was unpickled")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)
    yield


def one_line(error: BaseException, *words: str) -> str:
    message = str(error)
    assert "\n" not in message and len(message) < 600, message
    for word in words:
        assert word in message, message
    return message


@pytest.mark.usefixtures("no_pickle")
@pytest.mark.parametrize("case", list(CASES))
def test_bad_index_directory(hash_index: Path, case: str) -> None:
    damage, expected, hint = CASES[case]
    damage(hash_index)
    with pytest.raises(expected) as error:
        open_index(hash_index)
    one_line(error.value, hint)
    with pytest.raises(expected) as error:
        Assistant.open(hash_index)
    one_line(error.value, hint)
    result = CliRunner().invoke(cli, ["ask", "How much is the bridge?", "--index",
                                      str(hash_index)])
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()[-1:]
    assert line.startswith("error: ") and hint in line
    info = CliRunner().invoke(cli, ["info", "--index", str(hash_index)])  # reads the manifest
    assert info.exit_code == 0 or info.stderr.strip().splitlines()[-1].startswith("error: ")
    assert not (hash_index.parent / "PWNED").exists()


@pytest.mark.usefixtures("no_pickle")
def test_build_refuses_another_tools_folder_and_keeps_its_files(
    tmp_path: Path, articles_dir: Path
) -> None:
    folder = tmp_path / "vectors"
    langchain_folder(folder)
    before = sorted(p.name for p in folder.iterdir())
    with pytest.raises(IndexStoreError) as error:
        build_index(folder, [articles_dir], embedder=HashEmbedder())
    one_line(error.value, "not a newsqa index", "choose a new or empty folder")
    assert sorted(p.name for p in folder.iterdir()) == before
    assert not (tmp_path / "PWNED").exists()


def test_index_holds_no_pickle(hash_index: Path) -> None:
    for path in hash_index.rglob("*"):
        if not path.is_file():
            continue
        assert path.suffix not in (".pkl", ".pickle", ".pt", ".bin"), path
        head = path.read_bytes()[:2]
        assert not (head[:1] == b"\x80" and head[1:2] in b"\x02\x03\x04\x05"), path
        if path.suffix == ".npy":
            assert np.load(path, allow_pickle=False).dtype != object


class NamedHash(HashEmbedder):
    """The hashing embedder under another model's name."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name


def build_with(name: str, tmp_path: Path, articles_dir: Path) -> Path:
    index_dir = tmp_path / "other-model-index"
    build_index(index_dir, [articles_dir], embedder=NamedHash(name))
    return index_dir


def test_index_built_with_another_model(tmp_path: Path, articles_dir: Path) -> None:
    index_dir = build_with("all-MiniLM-L6-v2", tmp_path, articles_dir)
    with pytest.raises(EmbedderMismatchError) as error:
        Assistant.open(index_dir, embedder=HashEmbedder())
    one_line(error.value, "all-MiniLM-L6-v2", "--model", "newsqa build --full")
    result = CliRunner().invoke(cli, ["build", "--index", str(index_dir), "--model", "hash"])
    assert result.exit_code == 0 and "full rebuild: embedder changed" in result.stdout


def test_index_naming_a_model_that_cannot_load(
    tmp_path: Path, articles_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The model named in the manifest is not available offline: one line, what to do.
    (A stand-in for sentence-transformers raises what the real one raises offline, with
    its multi-line message; loading torch here would take seconds.)"""
    index_dir = build_with("acme/news-embed-v9", tmp_path, articles_dir)

    class Offline:
        def __init__(self, name: str, **kwargs: object) -> None:
            raise OSError(f"We couldn't connect to 'https://huggingface.co' to load {name}.\n"
                          "Check your internet connection or see ...")

    monkeypatch.setitem(
        sys.modules, "sentence_transformers",
        types.SimpleNamespace(SentenceTransformer=Offline),  # type: ignore[arg-type]
    )
    with pytest.raises(EmbedderError) as error:
        Assistant.open(index_dir)
    one_line(error.value, "acme/news-embed-v9", "'hash'")
    result = CliRunner().invoke(cli, ["ask", "bridge?", "--index", str(index_dir)])
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()[-1:]
    assert line.startswith("error: cannot load embedding model 'acme/news-embed-v9'")


@pytest.mark.usefixtures("no_pickle")
@pytest.mark.parametrize(("relative", "suffix"), [(False, ""), (True, ""), (False, ":onnx-int8")])
def test_a_model_inside_the_index_is_never_loaded(
    hash_index: Path, monkeypatch: pytest.MonkeyPatch, relative: bool, suffix: str
) -> None:
    """Whoever can write an index folder must not be able to make newsqa run code: a
    manifest naming a model folder inside the index is refused before anything loads."""
    model = hash_index / "library" / "model"
    model.mkdir(parents=True)
    (model / "modules.json").write_text('[{"idx": 0, "path": "", "type": "os.system"}]')
    (model / "pytorch_model.bin").write_bytes(pickle.dumps(Exploit(hash_index.parent / "PWNED")))
    name = str(model)
    if relative:  # as `newsqa --index index build --model index/library/model` would store it
        monkeypatch.chdir(hash_index.parent)
        name = os.path.relpath(model, hash_index.parent)
    name += suffix  # the ONNX embedder's names: the same model through ONNX Runtime
    edit_manifest(embedder={"name": name, "dim": 256, "max_tokens": 256})(hash_index)
    with pytest.raises(IndexFormatError) as error:
        Assistant.open(hash_index)
    one_line(error.value, "never loads a model from an index folder")
    assert not (hash_index.parent / "PWNED").exists()
