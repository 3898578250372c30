"""Vector stores: where the chunk vectors of a generation live (FAISS files or Milvus)."""
