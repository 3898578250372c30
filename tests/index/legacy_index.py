"""Write an index the way newsqa did before segments (manifest format 1): one SQLite file
(schema 1, sentence vectors inside), one FAISS file and one BM25 folder (doc-major counts,
or bm25s's files) in the generation folder, every article's chunk ids in the manifest.

Built from the product's own chunker, tokenizer and embedder, so the same articles indexed
by today's code give the same chunks and vectors, and the two can be compared."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np

from corpus import load_articles
from corpus.chunking import ChunkConfig, chunk_article, embedding_text
from index.disk.lexical import tokenize
from index.embedding.base import Embedder, encode_chunks, sentence_vector_mode
from index.vectors.faiss import FaissStore

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE articles (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, published TEXT, byline TEXT,
    source TEXT NOT NULL, url TEXT, content_hash TEXT NOT NULL, paragraphs TEXT NOT NULL
);
CREATE TABLE chunks (
    row INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL UNIQUE, article_id TEXT NOT NULL,
    n INTEGER NOT NULL, start_char INTEGER NOT NULL, end_char INTEGER NOT NULL,
    p_first INTEGER NOT NULL, p_last INTEGER NOT NULL, text TEXT NOT NULL,
    sentences TEXT NOT NULL
);
CREATE INDEX chunks_by_article ON chunks (article_id, n);
CREATE TABLE chunk_tokens (row INTEGER PRIMARY KEY, tokens TEXT NOT NULL);
CREATE TABLE sentence_vectors (row INTEGER PRIMARY KEY, count INTEGER NOT NULL, vectors BLOB);
"""


def write_format1_index(index_dir: Path, source: Path, embedder: Embedder, *,
                        bm25s: bool = False) -> Path:
    """A format-1 index of the articles in `source` at `index_dir` (gen-1); returns the
    generation folder. `bm25s`: the lexical folder as newsqa 0.1 wrote it."""
    folder = index_dir / "gen-1"
    (folder / "lexical").mkdir(parents=True)
    articles = load_articles([source]).articles
    conn = sqlite3.connect(folder / "store.sqlite")
    conn.executescript(_SCHEMA)
    conn.execute("INSERT INTO meta VALUES ('schema', '1')")
    store = FaissStore.empty(embedder.dim)
    entries, all_tokens, row, sentences = {}, [], 0, 0
    for article in articles:
        chunks = chunk_article(article, ChunkConfig(), count_tokens=embedder.count_tokens)
        conn.execute("INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (
            article.id, article.title,
            article.published.isoformat() if article.published else None, article.byline,
            article.source, article.url, article.content_hash,
            json.dumps(list(article.paragraphs), ensure_ascii=False)))
        texts, spans = [], []
        for chunk in chunks:
            text = embedding_text(chunk, article.title)
            shift = len(text) - len(chunk.text) - chunk.start
            texts.append(text)
            spans.append([(s + shift, e + shift) for s, e in chunk.sentences])
        vectors, sentence_vectors = encode_chunks(embedder, texts, spans)
        for n, chunk in enumerate(chunks):
            tokens = tokenize(f"{article.title}\n{chunk.text}")
            all_tokens.append(tokens)
            conn.execute("INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (
                row, chunk.id, article.id, chunk.n, chunk.start, chunk.end,
                chunk.paragraphs[0], chunk.paragraphs[1], chunk.text,
                json.dumps([list(s) for s in chunk.sentences])))
            conn.execute("INSERT INTO chunk_tokens VALUES (?, ?)", (row, " ".join(tokens)))
            blob = np.ascontiguousarray(sentence_vectors[n], dtype=np.float16).tobytes()
            conn.execute("INSERT INTO sentence_vectors VALUES (?, ?, ?)",
                         (row, len(sentence_vectors[n]), blob))
            sentences += len(sentence_vectors[n])
            store.add(np.array([row]), vectors[n : n + 1])
            row += 1
        entries[article.id] = {"content_hash": article.content_hash,
                               "chunks": [c.id for c in chunks], "source": article.source}
    conn.commit()
    conn.close()
    store.save(folder)
    _write_lexical(folder / "lexical", all_tokens, bm25s=bm25s)
    manifest = {
        "format_version": 1, "built_at": "2025-12-01T00:00:00+00:00", "package_version": "0.1",
        "embedder": {"name": embedder.name, "dim": embedder.dim,
                     "max_tokens": embedder.max_tokens},
        "chunking": ChunkConfig().to_dict(), "sentence_vectors": sentence_vector_mode(embedder),
        "sources": [str(source)],
        "counts": {"articles": len(articles), "chunks": row, "sentences": sentences},
        "articles": entries, "duplicates": {}, "excluded": [], "next_row": row,
        "store": "faiss",
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (index_dir / "CURRENT").write_text("gen-1\n", encoding="utf-8")
    return folder


def _write_lexical(folder: Path, token_lists: list[list[str]], *, bm25s: bool) -> None:
    rows = np.arange(len(token_lists), dtype=np.int64)
    if bm25s:
        import bm25s as bm25s_package

        legacy = bm25s_package.BM25()
        legacy.index(token_lists, show_progress=False)
        legacy.save(str(folder), allow_pickle=False)
        np.save(folder / "rows.npy", rows)
        return
    vocab: dict[str, int] = {}
    indptr, terms, counts = [0], [], []
    for tokens in token_lists:
        for term in dict.fromkeys(tokens):
            terms.append(vocab.setdefault(term, len(vocab)))
            counts.append(tokens.count(term))
        indptr.append(len(terms))
    np.save(folder / "rows.npy", rows)
    np.save(folder / "doc_indptr.npy", np.array(indptr, dtype=np.int64))
    np.save(folder / "doc_terms.npy", np.array(terms, dtype=np.int32))
    np.save(folder / "doc_counts.npy", np.array(counts, dtype=np.int32))
    (folder / "vocab.json").write_text(json.dumps(list(vocab)), encoding="utf-8")
    (folder / "params.json").write_text(
        json.dumps({"format": "newsqa-bm25-counts-1", "k1": 1.5, "b": 0.75}), encoding="utf-8")
