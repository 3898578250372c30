"""The ONNX Runtime embedder: names, the export cache, and vectors close to the torch model's."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import index.embedding.onnx_export as onnx_export
import index.embedding.onnx_runtime as onnx_runtime
from index import EmbedderError, SentenceTransformerEmbedder, build_index, load_embedder
from index.embedding.names import parse_onnx_name
from index.embedding.onnx_runtime import OnnxEmbedder

HAS_ONNXRUNTIME = importlib.util.find_spec("onnxruntime") is not None
needs_onnxruntime = pytest.mark.skipif(
    not HAS_ONNXRUNTIME,
    reason="onnxruntime is not installed (pip install 'newsqa[fast]')",
)

SENTENCES = [
    "The city council voted 7-2 on Monday to approve a $450 million bridge.",
    "A volcano on the remote island of Kelua erupted on Sunday.",
    "Lee will hold a summit with Italian Prime Minister Giorgia Meloni on Jan. 19.",
    "Astronomers spotted a new comet.",
]


# What int8 guarantees on every CPU is closeness to the torch model, not bit-equal vectors:
# ONNX Runtime quantizes activations per batch (so a vector depends on its batch-mates) with
# kernels that differ by instruction set. Measured over batch sizes 1-7 of the texts below
# (AVX2 without VNNI, the least precise kernels): chunk and sentence vectors at cosine >=
# 0.988 to torch's; one text in two batch shapes at >= 0.979 to itself, which is what two
# vectors each within the bound can differ by. The bound leaves 2.5x that deviation from 1.
INT8_MIN_COSINE = 0.97


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1)


def assert_same_neighbours(found: np.ndarray, expected: np.ndarray, pair: tuple[int, int]) -> None:
    """Each row of `found` is nearest to its own row of `expected`, and the two rows of
    `pair` (two texts on one subject) are each other's nearest other row."""
    similarity = found @ expected.T
    assert list(similarity.argmax(axis=1)) == list(range(len(expected)))
    others = found @ found.T - 2 * np.eye(len(found))
    first, second = pair
    assert (others[first].argmax(), others[second].argmax()) == (second, first)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("all-MiniLM-L6-v2:onnx-int8", ("all-MiniLM-L6-v2", "int8")),
        ("all-MiniLM-L6-v2:onnx", ("all-MiniLM-L6-v2", "fp32")),
        ("models/my-model:onnx", ("models/my-model", "fp32")),
        (":onnx-int8", ("all-MiniLM-L6-v2", "int8")),
        ("all-MiniLM-L6-v2", None),
        ("all-MiniLM-L6-v2:onnx-int4", None),
        ("hash", None),
        (None, None),
    ],
)
def test_parse_onnx_name(name: str | None, expected: tuple[str, str] | None) -> None:
    assert parse_onnx_name(name) == expected


@needs_onnxruntime
def test_load_embedder_resolves_onnx_names_lazily(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    int8 = load_embedder("sentence-transformers/all-MiniLM-L6-v2:onnx-int8")
    fp32 = load_embedder("all-MiniLM-L6-v2:onnx")
    assert isinstance(int8, OnnxEmbedder) and isinstance(fp32, OnnxEmbedder)
    assert (int8.name, int8.precision) == ("all-MiniLM-L6-v2:onnx-int8", "int8")
    assert (fp32.name, fp32.precision) == ("all-MiniLM-L6-v2:onnx", "fp32")
    # Each differs from the torch model's name, so an index records which one built it.
    assert len({int8.name, fp32.name, load_embedder("all-MiniLM-L6-v2").name}) == 3
    assert int8._loaded is None  # nothing exported or loaded until first use
    assert int8.cache_root == tmp_path / "cache" / "newsqa" / "onnx"


@needs_onnxruntime
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"precision": "int4"}, "'int4'"), ({"threads": 0}, "threads"), ({"threads": True}, "True")],
)
def test_bad_options_are_refused(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        OnnxEmbedder(**kwargs)


def test_missing_onnxruntime_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # what find_spec sees as missing
    with pytest.raises(EmbedderError, match=r"newsqa\[fast\]"):
        load_embedder("all-MiniLM-L6-v2:onnx-int8")


@pytest.fixture(scope="session")
def onnx_int8(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OnnxEmbedder]:
    """The packaged MiniLM exported once per session into a temp cache (int8 and fp32)."""
    if not HAS_ONNXRUNTIME:
        pytest.skip("onnxruntime is not installed")
    minilm = request.getfixturevalue("minilm")
    embedder = OnnxEmbedder(precision="int8", cache_dir=tmp_path_factory.mktemp("onnx-cache"))
    with pytest.MonkeyPatch.context() as patch:  # reuse the session's torch model
        patch.setattr(onnx_export, "load_sentence_transformer", lambda name: minilm.model)
        embedder.encode(["warm up"])
    yield embedder


@pytest.fixture
def no_export(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError("exported again")

    monkeypatch.setattr(onnx_runtime, "export_model", refuse)


@pytest.mark.model
def test_int8_vectors_are_close_to_torch(
    onnx_int8: OnnxEmbedder, minilm: SentenceTransformerEmbedder
) -> None:
    vectors = onnx_int8.encode(SENTENCES, batch_size=3)
    assert vectors.shape == (4, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert cosines(vectors, minilm.encode(SENTENCES)).min() > INT8_MIN_COSINE
    assert onnx_int8.count_tokens(SENTENCES) == minilm.count_tokens(SENTENCES)
    assert (onnx_int8.dim, onnx_int8.max_tokens) == (384, 256)
    # The export left the shared torch model in eval mode (no dropout: same vectors twice).
    assert np.array_equal(minilm.encode(SENTENCES), minilm.encode(SENTENCES))


@pytest.mark.model
def test_fp32_matches_torch_from_the_same_export(
    onnx_int8: OnnxEmbedder, minilm: SentenceTransformerEmbedder, no_export: None
) -> None:
    fp32 = OnnxEmbedder(precision="fp32", cache_dir=onnx_int8.cache_root)
    assert np.allclose(fp32.encode(SENTENCES), minilm.encode(SENTENCES), atol=1e-4)
    text = "Harbor bridge approved\nThe council voted 7-2. Work starts in spring."
    spans = [(23, 45), (46, 68)]
    chunks, sentences = fp32.encode_chunks([text], [spans])
    torch_chunks, torch_sentences = minilm.encode_chunks([text], [spans])
    assert np.allclose(chunks, torch_chunks, atol=1e-4)
    assert np.allclose(sentences[0], torch_sentences[0], atol=1e-4)


@pytest.mark.model
def test_encode_chunks_late_pools_sentences(
    onnx_int8: OnnxEmbedder, minilm: SentenceTransformerEmbedder
) -> None:
    text = "Harbor bridge approved\nThe council voted 7-2. Work starts in spring."
    spanned = ("The council voted 7-2.", "Work starts in spring.")
    long_text = "Title\n" + " ".join(["The ferry sails at dawn."] * 80)  # past the window
    end = len(long_text)
    texts = [text, "No sentences here", long_text, *SENTENCES]
    spans = [
        [(text.index(s), text.index(s) + len(s)) for s in spanned],
        [],
        [(6, 30), (end - 24, end)],  # the first sentence, the last (truncated away)
        *([(0, len(s))] for s in SENTENCES),
    ]
    torch_chunks, torch_sentences = minilm.encode_chunks(texts, spans)
    spanned_texts = [n for n, t in enumerate(spans) if t]
    torch_first = np.stack([torch_sentences[n][0] for n in spanned_texts])
    bridge = (0, 3)  # the two texts about the council's bridge vote
    bridge_first = (spanned_texts.index(0), spanned_texts.index(3))  # and their 1st sentences
    assert_same_neighbours(torch_chunks, torch_chunks, bridge)
    assert_same_neighbours(torch_first, torch_first, bridge_first)
    assert onnx_int8.sentence_vectors == "late-pooling"
    # Batch shapes change int8 vectors (activations are quantized per batch): every shape
    # stays within the bound of torch and finds the same nearest neighbours.
    for batch_size in (1, 2, len(texts)):
        chunks, sentences = onnx_int8.encode_chunks(texts, spans, batch_size=batch_size)
        assert [s.shape for s in sentences] == [(len(t), 384) for t in spans]
        assert cosines(chunks, torch_chunks).min() > INT8_MIN_COSINE
        for found, expected in zip(sentences, torch_sentences, strict=True):
            if len(found):
                assert cosines(found, expected).min() > INT8_MIN_COSINE
        assert_same_neighbours(chunks, torch_chunks, bridge)
        first = np.stack([sentences[n][0] for n in spanned_texts])
        assert_same_neighbours(first, torch_first, bridge_first)
    assert_same_neighbours(onnx_int8.encode(texts), torch_chunks, bridge)
    # A span past the model window is embedded on its own, alone in its batch.
    assert np.allclose(sentences[2][1], onnx_int8.encode([long_text[-24:]])[0], atol=1e-5)


@pytest.mark.model
def test_second_load_reuses_the_cached_export(onnx_int8: OnnxEmbedder, no_export: None) -> None:
    meta = onnx_int8.export_dir / "meta.json"
    written = meta.stat().st_mtime_ns
    again = OnnxEmbedder(cache_dir=onnx_int8.cache_root)
    assert np.allclose(again.encode(SENTENCES), onnx_int8.encode(SENTENCES))
    assert again.export_dir == onnx_int8.export_dir
    assert meta.stat().st_mtime_ns == written


@pytest.mark.model
@pytest.mark.parametrize("damage", ["flip", "no meta"])
def test_corrupt_cache_is_exported_again(
    damage: str,
    onnx_int8: OnnxEmbedder,
    minilm: SentenceTransformerEmbedder,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cache = tmp_path / "cache"
    shutil.copytree(onnx_int8.cache_root, cache)
    folder = cache / onnx_int8.export_dir.name
    model_file = folder / "model-int8.onnx"
    if damage == "flip":  # still a loadable model, wrong weights: only the checksum sees it
        data = bytearray(model_file.read_bytes())
        data[len(data) // 2] ^= 0xFF
        model_file.write_bytes(bytes(data))
    else:
        (folder / "meta.json").unlink()
    exports: list[str] = []
    real_export = onnx_runtime.export_model
    monkeypatch.setattr(onnx_export, "load_sentence_transformer", lambda name: minilm.model)
    monkeypatch.setattr(
        onnx_runtime, "export_model", lambda *args: exports.append(args[0]) or real_export(*args)
    )

    vectors = OnnxEmbedder(cache_dir=cache).encode(SENTENCES)

    assert exports == ["all-MiniLM-L6-v2"]
    assert np.allclose(vectors, onnx_int8.encode(SENTENCES), atol=1e-5)
    assert [p.name for p in cache.iterdir()] == [folder.name]  # no temp folders left behind


@pytest.mark.model
def test_index_built_with_int8_is_rebuilt_for_torch(
    onnx_int8: OnnxEmbedder, minilm: SentenceTransformerEmbedder, articles_dir: Path,
    tmp_path: Path,
) -> None:
    first = build_index(tmp_path / "index", [articles_dir], embedder=onnx_int8)
    second = build_index(tmp_path / "index", [articles_dir], embedder=minilm)
    assert first.chunks > 0 and second.embedded_chunks == second.chunks
    assert "embedder changed" in (second.full_rebuild_reason or "")
