from __future__ import annotations

import itertools

import pytest
from corpus_strategies import paragraphs
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus import Article, Chunk, ChunkConfig, ConfigError, chunk_article, embedding_text
from corpus.chunking import estimate_tokens
from corpus.sentences import split_sentences


def count_words(texts: list[str]) -> list[int]:
    """A fake tokenizer: one piece per whitespace-separated word, plus 2 special tokens."""
    return [len(text.split()) + 2 for text in texts]


def make_article(*paragraphs: str, title: str = "T") -> Article:
    return Article(id="a", title=title, paragraphs=paragraphs, source="a.txt")


def sentence(n: int, words: int = 9) -> str:
    return " ".join([f"S{n}"] + ["word"] * (words - 1)) + "."


def check_invariants(article: Article, chunks: list[Chunk], budget_check: bool = True) -> None:
    text = article.text
    for n, chunk in enumerate(chunks):
        assert chunk.id == f"{article.id}:{n}" and chunk.n == n
        assert chunk.article_id == article.id
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.sentences[0][0] == chunk.start and chunk.sentences[-1][1] == chunk.end
        assert all(s < e for s, e in chunk.sentences)
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(chunk.sentences))
        assert chunk.paragraphs == (
            article.paragraph_at(chunk.start),
            article.paragraph_at(chunk.end - 1),
        )
    for previous, chunk in itertools.pairwise(chunks):
        assert previous.start < chunk.start and previous.end < chunk.end
    covered = {span for chunk in chunks for span in chunk.sentences}
    visible = {i for i, char in enumerate(text) if not char.isspace()}
    assert visible <= {i for s, e in covered for i in range(s, e)}


@pytest.mark.parametrize(
    "config",
    [
        {"max_tokens": 31},
        {"max_tokens": 8193},
        {"max_tokens": 200.0},
        {"max_tokens": True},
        {"max_tokens": "200"},
        {"overlap_sentences": -1},
        {"overlap_sentences": 17},
        {"overlap_sentences": None},
    ],
)
def test_config_rejects_bad_values(config: dict) -> None:
    with pytest.raises(ConfigError, match=repr(next(iter(config.values()))).replace(".", r"\.")):
        ChunkConfig(**config)


def test_config_round_trips_and_rejects_unknown_keys() -> None:
    config = ChunkConfig(max_tokens=128, overlap_sentences=2)
    assert ChunkConfig.from_dict(config.to_dict()) == config
    assert ChunkConfig().to_dict() == {"max_tokens": 200, "overlap_sentences": 1}
    with pytest.raises(ConfigError, match="max_words"):
        ChunkConfig.from_dict({"max_words": 100})
    with pytest.raises(TypeError):
        ChunkConfig(200)  # type: ignore[misc]  # keyword only


@pytest.mark.parametrize(
    "paragraphs",
    [
        (),
        ("",),
        ("Word",),
        ("One sentence.",),
        ("Ünïcödé — 東京 café. Emoji 🙂 too!",),
        ("a\nb\nc", "d"),
        ("x" * 5000,),  # one enormous word
        (" ".join(["word"] * 3000),),  # one enormous sentence
        (" ".join(sentence(i) for i in range(300)),),  # one enormous paragraph
    ],
    ids=["empty", "empty-paragraph", "one-word", "one-sentence", "unicode", "newlines",
         "huge-word", "huge-sentence", "huge-paragraph"],
)
@pytest.mark.parametrize("count_tokens", [None, count_words], ids=["estimate", "words"])
def test_edge_cases_keep_invariants(paragraphs: tuple[str, ...], count_tokens) -> None:
    article = make_article(*paragraphs)
    config = ChunkConfig(max_tokens=32)
    chunks = chunk_article(article, config, count_tokens=count_tokens)
    if not article.text.strip():
        assert chunks == []
        return
    assert chunks
    check_invariants(article, chunks)
    count = count_tokens or estimate_tokens
    sizes = count([embedding_text(chunk, article.title) for chunk in chunks])
    assert max(sizes) <= 32


def test_sentences_are_never_cut_when_they_fit() -> None:
    article = make_article(" ".join(sentence(i) for i in range(20)))
    chunks = chunk_article(article, ChunkConfig(max_tokens=40, overlap_sentences=0),
                           count_tokens=count_words)
    sentences = set(split_sentences(article.text))
    assert all(set(chunk.sentences) <= sentences for chunk in chunks)
    # Budget: 40 - 2 special - 1 title word = 37 words, so 4 sentences of 9 words per chunk.
    assert [len(chunk.sentences) for chunk in chunks] == [4] * 5


def test_long_sentence_is_split_at_word_boundaries() -> None:
    words = [f"w{i}" for i in range(100)]
    article = make_article(" ".join(words) + ".")
    chunks = chunk_article(article, ChunkConfig(max_tokens=32), count_tokens=count_words)
    assert len(chunks) == 4  # budget 29 words
    assert " ".join(chunk.text for chunk in chunks) == article.text
    assert all(chunk.text.split()[0] in words for chunk in chunks)


def test_overlap_repeats_sentences_inside_a_paragraph() -> None:
    article = make_article(" ".join(sentence(i) for i in range(12)))
    config = ChunkConfig(max_tokens=40, overlap_sentences=1)
    chunks = chunk_article(article, config, count_tokens=count_words)
    for previous, chunk in itertools.pairwise(chunks):
        assert chunk.sentences[0] == previous.sentences[-1]
    check_invariants(article, chunks)


@pytest.mark.parametrize("overlap", [0, 1, 3, 16])
def test_overlap_never_repeats_a_whole_chunk(overlap: int) -> None:
    article = make_article(" ".join(sentence(i, words=12) for i in range(40)))
    config = ChunkConfig(max_tokens=32, overlap_sentences=overlap)  # ~2 sentences per chunk
    chunks = chunk_article(article, config, count_tokens=count_words)
    check_invariants(article, chunks)
    for previous, chunk in itertools.pairwise(chunks):
        repeated = set(previous.sentences) & set(chunk.sentences)
        assert len(repeated) <= min(overlap, len(previous.sentences) - 1)


def test_no_overlap_across_a_paragraph_break() -> None:
    article = make_article(*(" ".join(sentence(10 * p + i) for i in range(3)) for p in range(6)))
    chunks = chunk_article(article, ChunkConfig(max_tokens=64, overlap_sentences=2),
                           count_tokens=count_words)
    assert len(chunks) > 1
    for previous, chunk in itertools.pairwise(chunks):
        assert not set(previous.sentences) & set(chunk.sentences)


def test_prefers_paragraph_boundaries_once_half_full() -> None:
    # Paragraphs of 3 sentences (27 words); a budget of 61 words fits two paragraphs, and a
    # chunk holding one paragraph is not half full, holding two it is.
    article = make_article(*(" ".join(sentence(10 * p + i) for i in range(3)) for p in range(5)))
    chunks = chunk_article(article, ChunkConfig(max_tokens=64), count_tokens=count_words)
    spans = article.paragraph_spans
    assert [chunk.paragraphs for chunk in chunks] == [(0, 1), (2, 3), (4, 4)]
    assert all(chunk.start == spans[chunk.paragraphs[0]][0] for chunk in chunks)


def test_title_prefix_takes_from_the_budget() -> None:
    body = " ".join(sentence(i, words=10) for i in range(12))
    short = chunk_article(make_article(body, title="T"), ChunkConfig(max_tokens=64),
                          count_tokens=count_words)
    long = chunk_article(make_article(body, title=" ".join(["title"] * 30)),
                         ChunkConfig(max_tokens=64), count_tokens=count_words)
    assert len(long) > len(short)
    for chunk in long:
        assert count_words([embedding_text(chunk, " ".join(["title"] * 30))])[0] <= 64


def test_embedding_text_prefixes_a_shortened_title() -> None:
    chunk = chunk_article(make_article("Body text."))[0]
    assert embedding_text(chunk, "A title") == "A title\nBody text."
    prefix = embedding_text(chunk, "word " * 100).split("\n")[0]
    assert len(prefix) <= 200 and prefix.endswith("word")


def test_chunking_is_deterministic() -> None:
    article = make_article(*(" ".join(sentence(10 * p + i) for i in range(5)) for p in range(9)))
    assert chunk_article(article) == chunk_article(article)


def test_estimate_counts_special_tokens_and_is_conservative() -> None:
    # MiniLM: [CLS] the u . s . economy grew 3 . 5 % . [SEP] = 14 pieces.
    assert estimate_tokens(["", "word", "The U.S. economy grew 3.5%."]) == [2, 3, 15]


def test_count_tokens_must_return_one_count_per_text() -> None:
    with pytest.raises(ValueError, match="counts for"):
        chunk_article(make_article("Some text."), count_tokens=lambda texts: [1])


@settings(max_examples=120, deadline=None)
@given(
    st.lists(paragraphs(), min_size=1, max_size=8),
    st.integers(min_value=32, max_value=120),
    st.integers(min_value=0, max_value=4),
    st.sampled_from([None, count_words]),
)
def test_chunks_keep_offsets_and_budget(paras, max_tokens, overlap, count_tokens) -> None:
    article = make_article(*paras, title="A short title")
    chunks = chunk_article(
        article, ChunkConfig(max_tokens=max_tokens, overlap_sentences=overlap),
        count_tokens=count_tokens,
    )
    check_invariants(article, chunks)
    count = count_tokens or estimate_tokens
    sizes = count([embedding_text(chunk, article.title) for chunk in chunks])
    assert all(size <= max_tokens for size in sizes)
