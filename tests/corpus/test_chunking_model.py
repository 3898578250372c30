"""Chunks fit the real MiniLM window when sized with its tokenizer."""

from __future__ import annotations

import random

import pytest

from corpus import Article, ChunkConfig, chunk_article, embedding_text

FRAGMENTS = [
    "President Lee Jae Myung met Prime Minister Sanae Takaichi in Nara on Jan. 13.",
    "The U.S. economy grew 3.5% in the quarter, the Commerce Dept. said at 8:30 a.m.",
    "“We will deepen cooperation,” Wi Sung-lac told reporters at the Blue House.",
    "Details: https://www.example.com/2022/06/12/politics/summit-nara/index.html?ref=rss",
    "Zürich-based Société Générale analysts expect ¥1.2 trillion in Japanese outlays.",
    "Ukraine’s counteroffensive near Kharkiv (Харків) continued on Sunday, officials said.",
    "東京で首脳会談が行われた。",
    "Dr. J. K. Rowling’s No. 1 bestseller sold 1,234,567 copies — a record!",
    "Pneumonoultramicroscopicsilicovolcanoconiosis is not a typical news word, is it?",
    "Emoji reactions 🙂🔥🚀 flooded the feed within minutes of the announcement.",
]


def long_article(seed: int) -> Article:
    rng = random.Random(seed)
    paragraphs = [
        " ".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 12)))
        for _ in range(rng.randint(10, 30))
    ]
    paragraphs.append(" ".join(rng.choice(FRAGMENTS).rstrip(".!?") for _ in range(60)))
    title = " ".join(rng.choice(FRAGMENTS).split()[:12])
    return Article(id=f"long-{seed}", title=title, paragraphs=paragraphs, source="generated")


@pytest.mark.model
@pytest.mark.parametrize("max_tokens", [128, 200, 256])
def test_no_chunk_exceeds_the_model_window(minilm_count_tokens, max_tokens: int) -> None:
    config = ChunkConfig(max_tokens=max_tokens)
    for seed in range(5):
        article = long_article(seed)
        chunks = chunk_article(article, config, count_tokens=minilm_count_tokens)
        assert len(chunks) > 3
        texts = [embedding_text(chunk, article.title) for chunk in chunks]
        sizes = minilm_count_tokens(texts)
        assert max(sizes) <= max_tokens <= 256
        assert all(article.text[c.start : c.end] == c.text for c in chunks)


@pytest.mark.model
def test_default_estimate_stays_within_the_model_window(minilm_count_tokens) -> None:
    """Without a tokenizer the estimate is conservative enough for MiniLM's 256 limit."""
    for seed in range(5):
        article = long_article(seed)
        chunks = chunk_article(article)
        sizes = minilm_count_tokens([embedding_text(chunk, article.title) for chunk in chunks])
        assert max(sizes) <= 256
