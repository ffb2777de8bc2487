"""Relational storage: the source of truth for every record the service keeps."""
