"""The database is the source of truth: a store that missed writes catches up.

A "restart" here is a second VectorIndex over the same database and data
directory, as a new process would build it; the first one's pending work in
memory is what a crash loses.
"""

from __future__ import annotations

import shutil
from datetime import timedelta

import numpy as np
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from sqlalchemy import delete, select, update

from handwerkml.db.models import EmbeddingCacheEntry, Job, Tenant, VectorRecord
from handwerkml.embeddings.base import Embeddings
from handwerkml.embeddings.cache import CacheMetrics, normalize_text, text_hash
from handwerkml.jobs import service as jobs_service
from handwerkml.kit.time import utcnow
from handwerkml.vectors.base import SearchFilter, VectorStore
from handwerkml.vectors.index import Collection, Prepared, Source, VectorIndex
from tests.conftest import RunJobs

TEXTS = {
    1: "Eichentreppe mit Podest, geölt",
    2: "Badsanierung mit bodengleicher Dusche",
    3: "Terrassendeck aus Lärche",
}


def _restart(app: FastAPI) -> VectorIndex:
    return VectorIndex(app.state.settings, app.state.database, CacheMetrics(CollectorRegistry()))


async def _write(index: VectorIndex, tenant: Tenant, ids: list[int], *, apply: bool) -> None:
    async with index.database.write() as session:
        written = await index.write(
            session, tenant.id, "project", [Source(i, TEXTS[i], {"n": i}) for i in ids]
        )
        await session.commit()
    if apply:
        await index.apply(written)


async def _remove(index: VectorIndex, tenant: Tenant, ids: list[int], *, apply: bool) -> None:
    async with index.database.write() as session:
        written = await index.remove(session, tenant.id, "project", ids)
        await session.commit()
    if apply:
        await index.apply(written)


async def _found(index: VectorIndex, tenant: Tenant, text: str) -> list[str]:
    collection = await index.active()
    query = await index.embed(collection, [text], "query")
    hits = await index.search(collection, query, SearchFilter(tenant.id), k=10)
    return [hit.id for hit in hits]


async def _rows(index: VectorIndex) -> list[tuple[str, bool, bool]]:
    async with index.database.read() as session:
        rows = await session.execute(
            select(VectorRecord.record_id, VectorRecord.deleted, VectorRecord.indexed).order_by(
                VectorRecord.record_id
            )
        )
        return [(r, bool(d), bool(i)) for r, d, i in rows.all()]


async def test_a_write_the_store_missed_is_found_after_a_restart(
    app: FastAPI, tenant: Tenant
) -> None:
    index: VectorIndex = app.state.resources.vectors
    store = await index.store(await index.active())
    await _write(index, tenant, [1, 2], apply=False)  # committed, then the process died
    assert await store.count(tenant.id) == 0
    assert [indexed for _, _, indexed in await _rows(index)] == [False, False]

    restarted = _restart(app)
    assert (await _found(restarted, tenant, "Treppe mit Podest"))[0] == "project:1"
    await restarted.flush()
    assert [indexed for _, _, indexed in await _rows(restarted)] == [True, True]


async def test_a_delete_the_store_missed_is_applied_after_a_restart(
    app: FastAPI, tenant: Tenant
) -> None:
    index: VectorIndex = app.state.resources.vectors
    await index.store(await index.active())
    await _write(index, tenant, [1, 2, 3], apply=True)
    await index.flush()
    await _remove(index, tenant, [1], apply=False)

    restarted = _restart(app)
    assert "project:1" not in await _found(restarted, tenant, "Treppe mit Podest")
    await restarted.flush()
    # The tombstone is gone once the store has dropped the record for good.
    assert [record for record, _, _ in await _rows(restarted)] == ["project:2", "project:3"]


async def test_lost_index_files_are_rebuilt_from_the_database(app: FastAPI, tenant: Tenant) -> None:
    index: VectorIndex = app.state.resources.vectors
    await index.store(await index.active())
    await _write(index, tenant, [1, 2, 3], apply=True)
    await index.flush()
    shutil.rmtree(app.state.settings.data_dir / "vectors")

    restarted = _restart(app)
    assert sorted(await _found(restarted, tenant, "Terrasse")) == [
        "project:1",
        "project:2",
        "project:3",
    ]


async def test_a_write_committed_while_the_store_opens_reaches_it(
    app: FastAPI, tenant: Tenant
) -> None:
    index: VectorIndex = app.state.resources.vectors
    catch_up = index._reconcile

    async def catch_up_then_write(collection: Collection, store: VectorStore) -> None:
        await catch_up(collection, store)
        # Another request commits after the catch-up read the pending rows, before the
        # store is open for all: its apply must not be lost.
        await _write(index, tenant, [2], apply=True)

    index._reconcile = catch_up_then_write  # type: ignore[method-assign]
    await index.store(await index.active())
    assert await _found(index, tenant, "Dusche") == ["project:2"]


async def test_writes_while_open_reach_the_store_at_once(app: FastAPI, tenant: Tenant) -> None:
    index: VectorIndex = app.state.resources.vectors
    await index.store(await index.active())
    await _write(index, tenant, [3], apply=True)
    assert await _found(index, tenant, "Lärche") == ["project:3"]
    await _write(index, tenant, [3], apply=True)  # the same again: replaced, not doubled
    await _remove(index, tenant, [2], apply=True)  # never written: nothing to do
    assert await _found(index, tenant, "Lärche") == ["project:3"]


async def test_retention_frees_cache_entries_nothing_refers_to(
    app: FastAPI, tenant: Tenant, run_jobs: RunJobs
) -> None:
    index: VectorIndex = app.state.resources.vectors
    await index.store(await index.active())
    await _write(index, tenant, [1, 2], apply=True)
    await _remove(index, tenant, [1], apply=True)
    await index.flush()
    async with index.database.write() as session:
        # Two days old, so past the grace a fresh entry gets.
        await session.execute(
            update(EmbeddingCacheEntry).values(created_at=utcnow() - timedelta(days=2))
        )
        await session.execute(delete(Job).where(Job.kind == "retention.cleanup"))
        await jobs_service.submit_system(session, kind="retention.cleanup", params={})
        await session.commit()
    await run_jobs()

    async with index.database.read() as session:
        left = (await session.scalars(select(EmbeddingCacheEntry.text_hash))).all()
    assert left == [text_hash(normalize_text(TEXTS[2]))]


async def test_catching_up_on_thousands_of_rows_marks_them_all(
    app: FastAPI, tenant: Tenant
) -> None:
    """The marking must not grow one SQL expression per row (SQLite caps its depth)."""
    index: VectorIndex = app.state.resources.vectors
    collection = await index.active()
    count = 3000
    rng = np.random.default_rng(5)
    vectors = Embeddings.from_array(
        collection.space, rng.standard_normal((count, collection.space.dimension))
    )
    prepared = Prepared(hashes=["0" * 64] * count, vectors={collection: vectors})
    async with index.database.write() as session:
        await index.stage(session, tenant.id, "chunk", list(range(count)), [{}] * count, prepared)
        await session.commit()

    restarted = _restart(app)
    assert await (await restarted.store(collection)).count(tenant.id) == count
    await restarted.flush()
    assert {indexed for _, _, indexed in await _rows(restarted)} == {True}
