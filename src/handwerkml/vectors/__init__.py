"""Vector stores: one Protocol (base.py), the embedded default (hnsw.py)."""
