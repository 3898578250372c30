"""Articles in, chunks out: loading, parsing, sentence splitting and chunking."""

from pathlib import Path

from corpus.article import Article, Chunk
from corpus.chunking import ChunkConfig, chunk_article, embedding_text, estimate_tokens
from corpus.errors import ArticleFormatError, ConfigError, CorpusError, FetchError
from corpus.load import SUPPORTED_EXTENSIONS, LoadResult, Skipped, load_articles, load_file
from corpus.sentences import split_sentences

BUNDLED_ARTICLES = Path(__file__).parent / "articles"
"""The folder of articles shipped with the package (the seed article)."""

__all__ = [
    "BUNDLED_ARTICLES",
    "SUPPORTED_EXTENSIONS",
    "Article",
    "ArticleFormatError",
    "Chunk",
    "ChunkConfig",
    "ConfigError",
    "CorpusError",
    "FetchError",
    "LoadResult",
    "Skipped",
    "chunk_article",
    "embedding_text",
    "estimate_tokens",
    "load_articles",
    "load_file",
    "split_sentences",
]
