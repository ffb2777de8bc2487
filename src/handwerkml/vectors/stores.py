"""The one place that picks a vector store backend (HANDWERKML_VECTOR_BACKEND).

Backends are imported only when chosen, so an installation never loads the
client libraries of the ones it does not use.
"""

from __future__ import annotations

from handwerkml.config import Settings
from handwerkml.db.engine import Database
from handwerkml.embeddings.base import EmbeddingSpace
from handwerkml.vectors.base import VectorStore


async def open_store(settings: Settings, database: Database, space: EmbeddingSpace) -> VectorStore:
    if settings.vector_backend == "embedded":
        from handwerkml.vectors.hnsw import EmbeddedVectorStore, HnswOptions

        return EmbeddedVectorStore.open(
            space,
            HnswOptions(
                directory=settings.data_dir / "vectors",
                exact_below=settings.vector_exact_below,
                ef_search=settings.vector_ef_search,
            ),
        )
    if settings.vector_backend == "pgvector":
        from handwerkml.vectors.pgvector import PgVectorOptions, PgVectorStore

        return await PgVectorStore.open(
            space,
            database,
            PgVectorOptions(
                m=settings.pgvector_m,
                ef_construction=settings.pgvector_ef_construction,
                ef_search=settings.pgvector_ef_search,
            ),
        )
    if settings.vector_backend == "qdrant":
        from handwerkml.vectors.qdrant import QdrantOptions, QdrantVectorStore

        key = settings.qdrant_api_key
        return await QdrantVectorStore.open(
            space,
            QdrantOptions(
                url=settings.qdrant_url,
                path=None if settings.qdrant_url else settings.data_dir / "qdrant",
                api_key=key.get_secret_value() if key else None,
                ef_search=settings.vector_ef_search,
            ),
        )
    raise NotImplementedError(settings.vector_backend)
