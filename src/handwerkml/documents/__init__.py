"""Documents: upload, extraction, chunking, ingestion jobs and search."""
