"""VectorIndex over the pgvector store: the same catch-up and search as with the
embedded store, against PostgreSQL 18 with pgvector (tests/pgvector_server.py)."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import CollectorRegistry

from handwerkml.config import Settings
from handwerkml.db.engine import Database
from handwerkml.embeddings.cache import CacheMetrics
from handwerkml.jobs.kinds import load_kinds
from handwerkml.vectors.base import SearchFilter
from handwerkml.vectors.index import Source, VectorIndex
from handwerkml.vectors.pgvector import PgVectorStore
from tests.auth.factories import create_tenant

TEXTS = {
    1: "Eichentreppe mit Podest, geölt",
    2: "Badsanierung mit bodengleicher Dusche",
    3: "Terrassendeck aus Lärche",
}


async def test_pgvector_index_catches_up_on_writes_it_missed(
    pgvector_url: str, tmp_path: Path, models_dir: Path
) -> None:
    settings = Settings(
        database_url=pgvector_url,
        data_dir=tmp_path,
        models_dir=models_dir,
        vector_backend="pgvector",
        secret_key="test-secret-key-that-is-long-enough-for-hs256",
        _env_file=None,
    )
    load_kinds(settings)
    database = Database.connect(settings)

    def index() -> VectorIndex:
        return VectorIndex(settings, database, CacheMetrics(CollectorRegistry()))

    try:
        async with database.write() as session:
            tenant = await create_tenant(session, name="Zimmerei Pg")
            await session.commit()
        first = index()
        collection = await first.active()
        assert isinstance(await first.store(collection), PgVectorStore)
        async with database.write() as session:
            written = await first.write(
                session, tenant.id, "project", [Source(i, t, {"n": i}) for i, t in TEXTS.items()]
            )
            await session.commit()
        await first.apply(written)
        async with database.write() as session:  # committed, then the process died
            await first.write(session, tenant.id, "project", [Source(4, "Carport mit Flachdach")])
            await first.remove(session, tenant.id, "project", [1])
            await session.commit()

        restarted = index()
        query = await restarted.embed(collection, ["Carport Flachdach"], "query")
        hits = await restarted.search(collection, query, SearchFilter(tenant.id), k=10)
        assert hits[0].id == "project:4"
        assert sorted(hit.id for hit in hits) == ["project:2", "project:3", "project:4"]
        assert await (await restarted.store(collection)).count(tenant.id) == 3
        await first.close()
        await restarted.close()
    finally:
        await database.dispose()
