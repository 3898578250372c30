"""Embedders: text in, L2-normalised vectors out (the `Embedder` protocol and its models)."""
