"""The files of an index folder: its layout, manifest, lock, SQLite store and BM25 arrays."""
