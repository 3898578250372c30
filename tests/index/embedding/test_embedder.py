from __future__ import annotations

import numpy as np
import pytest

from index import Embedder, HashEmbedder, SentenceTransformerEmbedder, load_embedder
from index.embedding.base import encode_chunks, encode_chunks_separately

TEXT = "Harbor bridge approved\nThe council voted 7-2. Work starts in spring. It takes four years."


def spans_of(text: str, *pieces: str) -> list[tuple[int, int]]:
    return [(text.index(p), text.index(p) + len(p)) for p in pieces]


SPANS = spans_of(TEXT, "The council voted 7-2.", "Work starts in spring.", "It takes four years.")


def test_hash_embedder_is_deterministic_and_normalised() -> None:
    vectors = HashEmbedder(dim=32).encode(["Bridge vote", "bridge VOTE", "comet", ""])
    assert vectors.shape == (4, 32) and vectors.dtype == np.float32
    assert np.allclose(vectors[0], vectors[1])
    assert np.linalg.norm(vectors[0]) == pytest.approx(1.0)
    assert not vectors[3].any()  # nothing to hash
    assert np.allclose(HashEmbedder(dim=32).encode(["comet"]), vectors[2])


def test_hash_embedder_satisfies_the_protocol() -> None:
    embedder = HashEmbedder()
    assert isinstance(embedder, Embedder)
    assert embedder.name == "hash" and embedder.dim == 256
    assert embedder.count_tokens(["one two three", ""]) == [5, 2]


@pytest.mark.parametrize("dim", [0, -3, 2.5, True])
def test_hash_embedder_rejects_bad_dim(dim: object) -> None:
    with pytest.raises(ValueError, match="dim"):
        HashEmbedder(dim=dim)  # type: ignore[arg-type]


def test_encode_chunks_aligns_sentence_vectors_with_spans() -> None:
    embedder = HashEmbedder()
    chunks, sentences = embedder.encode_chunks([TEXT, "empty"], [SPANS, []])
    assert chunks.shape == (2, 256)
    assert [s.shape for s in sentences] == [(3, 256), (0, 256)]
    assert np.allclose(sentences[0][1], embedder.encode(["Work starts in spring."])[0])


class _EncodeOnly:
    """An embedder without encode_chunks: the generic fallback must serve it."""

    name, dim, max_tokens = "plain", 256, 512

    def __init__(self) -> None:
        self._hash = HashEmbedder()

    def encode(self, texts, *, batch_size=32, show_progress=False):
        return self._hash.encode(texts)

    def count_tokens(self, texts):
        return self._hash.count_tokens(texts)


def test_encode_chunks_falls_back_to_separate_encoding() -> None:
    chunks, sentences = encode_chunks(_EncodeOnly(), [TEXT], [SPANS])
    expected_chunks, expected = encode_chunks_separately(HashEmbedder(), [TEXT], [SPANS])
    assert np.allclose(chunks, expected_chunks)
    assert np.allclose(sentences[0], expected[0])


def test_load_embedder_is_lazy() -> None:
    assert isinstance(load_embedder("hash"), HashEmbedder)
    default = load_embedder(None)
    assert isinstance(default, SentenceTransformerEmbedder)
    assert default.name == "all-MiniLM-L6-v2"
    assert SentenceTransformerEmbedder("sentence-transformers/all-MiniLM-L6-v2").name == (
        "all-MiniLM-L6-v2"
    )
    assert default._model is None  # nothing loaded until first use


@pytest.mark.model
def test_late_pooling_matches_model_encode(minilm: SentenceTransformerEmbedder) -> None:
    long_text = "Title\n" + " ".join(["The ferry sails at dawn."] * 80)  # past the window
    end = len(long_text)
    long_spans = [*spans_of(long_text, "The ferry sails at dawn."), (end - 24, end)]
    texts = [TEXT, "Short one\nA comet was seen.", long_text]
    spans = [SPANS, spans_of(texts[1], "A comet was seen."), long_spans]
    chunks, sentences = minilm.encode_chunks(texts, spans, batch_size=2)

    assert minilm.sentence_vectors == "late-pooling"
    assert np.allclose(chunks, minilm.encode(texts), atol=1e-5)
    assert [s.shape for s in sentences] == [(3, 384), (1, 384), (2, 384)]
    for block in sentences:
        assert np.allclose(np.linalg.norm(block, axis=1), 1.0, atol=1e-5)
    # A sentence vector stays close to the sentence embedded on its own.
    alone = minilm.encode(["Work starts in spring."])[0]
    assert float(sentences[0][1] @ alone) > 0.6
    # A span past the model window is embedded on its own.
    assert np.allclose(sentences[2][1], minilm.encode([long_text[-24:]])[0], atol=1e-5)


@pytest.mark.model
def test_count_tokens_uses_the_model_tokenizer(minilm: SentenceTransformerEmbedder) -> None:
    pieces = minilm.model[0].tokenizer.tokenize("Horyu-ji")  # horyu - ji, in word pieces
    assert minilm.count_tokens(["", "Horyu-ji"]) == [2, len(pieces) + 2]
    assert minilm.dim == 384 and minilm.max_tokens == 256


def test_sentence_vector_modes_are_validated() -> None:
    assert SentenceTransformerEmbedder(sentence_vectors="separate")._sentence_mode == "separate"
    with pytest.raises(ValueError, match="'late'"):
        SentenceTransformerEmbedder(sentence_vectors="late")  # type: ignore[arg-type]


@pytest.mark.model
def test_separate_mode_embeds_sentences_alone(minilm: SentenceTransformerEmbedder) -> None:
    separate = SentenceTransformerEmbedder(sentence_vectors="separate")
    separate._model = minilm.model  # share the session's model
    chunks, sentences = separate.encode_chunks([TEXT], [SPANS])
    assert separate.sentence_vectors == "separate"
    assert np.allclose(chunks, minilm.encode([TEXT]), atol=1e-5)
    assert np.allclose(sentences[0][2], minilm.encode(["It takes four years."])[0], atol=1e-5)
