"""`open_index` and `IndexReader`: an immutable, thread-safe snapshot of one generation.

A generation is made of segments (`index.disk.segments`): each segment's SQLite file,
BM25 postings and the sentence vectors of its vector parts are opened once per process
and shared by the readers of every generation that uses them, so switching to the next
generation (a progressive build publishes every few seconds) costs only what is new. The
chunk-to-article filter arrays and BM25 statistics are made per generation, tombstones
applied; the chunk vectors are in the index's vector store (FAISS files, memory-mapped
when large, or a Milvus collection: see `index.vectors`); chunk text and articles are
read from SQLite on demand (one query per call, with a small cache), so the query path
stays in the milliseconds. A generation published while a build still embeds has some
chunks without vectors: dense search covers the others, BM25 all of them, and
`embedding_progress` says how far it got.
"""

from index.reader.opening import open_index
from index.reader.snapshot import Candidates, IndexReader

__all__ = ["Candidates", "IndexReader", "open_index"]
