"""The vectors of every collection: rows in the database first, the store after.

A writer (a job item) embeds its texts, then calls `write` or `remove` inside its
own transaction: the rows land in `vector_records` with `indexed` false, in the
same commit as whatever the item changed. After the commit it calls `apply`,
which hands those rows to the collection's store. The rows are marked indexed
only once the store has flushed them (the embedded store saves every few
seconds; server stores hold a write at once), so a crash anywhere in between
leaves rows `indexed` false, and opening the store again catches up on them.
Replaying is harmless: upserts and deletes are idempotent.

Collections: one per embedding space. Searches use the `active` one; writes go
to every collection that is kept current (active, standby, building), which is
what lets a model migration fill a new collection while the old one serves,
and switch back without re-embedding anything.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
from sqlalchemy import Table, and_, bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.config import Settings
from handwerkml.db.engine import Database
from handwerkml.db.models import Job, VectorCollection, VectorRecord
from handwerkml.db.upsert import dialect_insert
from handwerkml.embeddings.base import EmbeddingKind, Embeddings, EmbeddingSpace
from handwerkml.embeddings.cache import CachedEmbeddings, CacheMetrics, normalize_text, text_hash
from handwerkml.embeddings.models import configured_model_id, create_provider
from handwerkml.jobs.states import JobStatus
from handwerkml.kit.time import utcnow
from handwerkml.vectors.base import (
    Metadata,
    SearchFilter,
    SearchHit,
    VectorBatch,
    VectorStore,
    collection_name,
)
from handwerkml.vectors.stores import open_store

logger = logging.getLogger(__name__)

# How often (at most) a collection's store is flushed and its rows marked indexed.
FLUSH_SECONDS = 10.0
_BATCH = 5_000
_STAGE_ROWS = 1_000


class CollectionStatus:
    active = "active"  # searched and written
    standby = "standby"  # the previous active: written, so switching back is instant
    building = "building"  # being filled by a model migration: written, not searched
    retired = "retired"  # a failed or abandoned migration: neither


WRITTEN = (CollectionStatus.active, CollectionStatus.standby, CollectionStatus.building)


@dataclass(frozen=True, slots=True)
class Collection:
    name: str
    space: EmbeddingSpace
    status: str

    @classmethod
    def of(cls, row: VectorCollection) -> Collection:
        return cls(row.name, EmbeddingSpace(row.model_id, row.dimension), row.status)


@dataclass(frozen=True, slots=True)
class Source:
    """One thing to embed: a project, a document chunk."""

    source_id: int
    text: str
    metadata: Metadata = field(default_factory=dict)


@dataclass(slots=True)
class Written:
    """The rows one transaction wrote, per collection, for `apply` after the commit."""

    rows: dict[str, list[int]] = field(default_factory=dict)

    def add(self, collection: str, row_ids: Sequence[int]) -> None:
        self.rows.setdefault(collection, []).extend(row_ids)

    @classmethod
    def merged(cls, *parts: Written) -> Written:
        merged = cls()
        for part in parts:
            for collection, row_ids in part.rows.items():
                merged.add(collection, row_ids)
        return merged


@dataclass(frozen=True, slots=True)
class Prepared:
    """Texts embedded for each collection, waiting for their rows to be written."""

    hashes: list[str]
    vectors: dict[Collection, Embeddings]


def record_id(source: str, source_id: int) -> str:
    return f"{source}:{source_id}"


class VectorIndex:
    """Built once per process (app, worker); safe to share between tasks."""

    def __init__(self, settings: Settings, database: Database, cache_metrics: CacheMetrics):
        self.settings = settings
        self.database = database
        self.cache_metrics = cache_metrics
        self._embedders: dict[str, CachedEmbeddings] = {}
        self._stores: dict[str, VectorStore] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        # Rows committed while their store was being opened (see apply).
        self._missed: dict[str, set[int]] = {}
        # Rows a store holds but has not flushed: {collection: {row id: revision}}.
        self._unflushed: dict[str, dict[int, int]] = {}
        self._flushed_at: dict[str, float] = {}
        self._setup = asyncio.Lock()

    # -- collections -------------------------------------------------------------------

    async def collections(self) -> list[Collection]:
        async with self.database.read() as session:
            rows = (await session.scalars(select(VectorCollection))).all()
        return [Collection.of(row) for row in rows]

    async def active(self) -> Collection:
        """The collection searches use; a new installation's first comes from the settings."""
        async with self.database.read() as session:
            row = await session.scalar(
                select(VectorCollection).where(VectorCollection.status == CollectionStatus.active)
            )
        if row is not None:
            return Collection.of(row)
        async with self._setup:
            return await self._create_first()

    async def _create_first(self) -> Collection:
        space = self.embedder_for(configured_model_id(self.settings)).space
        name = collection_name(space)
        async with self.database.write() as session:
            insert = dialect_insert(session, VectorCollection).values(
                name=name,
                model_id=space.model_id,
                dimension=space.dimension,
                status=CollectionStatus.active,
                created_at=utcnow(),
                activated_at=utcnow(),
            )
            await session.execute(insert.on_conflict_do_nothing())
            await session.commit()
            row = await session.scalar(
                select(VectorCollection).where(VectorCollection.status == CollectionStatus.active)
            )
        assert row is not None  # inserted, or another process was first
        return Collection.of(row)

    async def written_collections(self) -> list[Collection]:
        """Collections every write goes to; a migration whose job ended without
        succeeding is left out (its collection is never switched to)."""
        await self.active()
        failed = (JobStatus.failed, JobStatus.cancelled)
        query = (
            select(VectorCollection)
            .outerjoin(Job, Job.id == VectorCollection.job_id)
            .where(
                VectorCollection.status.in_(WRITTEN),
                or_(VectorCollection.status != CollectionStatus.building, ~Job.status.in_(failed)),
            )
        )
        async with self.database.read() as session:
            rows = (await session.scalars(query)).all()
        return [Collection.of(row) for row in rows]

    # -- the parts of one collection ---------------------------------------------------

    def embedder(self, collection: Collection) -> CachedEmbeddings:
        embedder = self.embedder_for(collection.space.model_id, collection.space.dimension)
        collection.space.require(embedder.space)
        return embedder

    def collection_for(self, model_id: str) -> str:
        """The name of the collection a model's vectors go to (loads the model)."""
        return collection_name(self.embedder_for(model_id).space)

    def embedder_for(self, model_id: str, dimension: int | None = None) -> CachedEmbeddings:
        """The cached provider of a model, loaded on first use (a local model: ~1 s)."""
        embedder = self._embedders.get(model_id)
        if embedder is None:
            embedder = CachedEmbeddings(
                create_provider(self.settings, model_id, dimension),
                self.database,
                self.cache_metrics,
                memory_entries=self.settings.embedding_cache_entries,
            )
            self._embedders[model_id] = embedder
        return embedder

    async def embed(
        self, collection: Collection, texts: Sequence[str], kind: EmbeddingKind = "passage"
    ) -> Embeddings:
        return await self.embedder(collection).embed(texts, kind)

    async def store(self, collection: Collection) -> VectorStore:
        """The collection's store, opened and caught up with the database on first use."""
        store = self._stores.get(collection.name)
        if store is not None:
            return store
        async with self._lock(collection.name):
            store = self._stores.get(collection.name)
            if store is None:
                store = await open_store(self.settings, self.database, collection.space)
                await self._reconcile(collection, store)
                self._stores[collection.name] = store
                missed = self._missed.pop(collection.name, None)
                if missed:
                    await self._sync(collection.name, store, VectorRecord.id.in_(missed))
        return store

    def _lock(self, name: str) -> asyncio.Lock:
        return self._locks.setdefault(name, asyncio.Lock())

    # -- writes --------------------------------------------------------------------------

    async def write(
        self,
        session: AsyncSession,
        tenant_id: int,
        source: str,
        items: Sequence[Source],
        *,
        collections: Sequence[Collection] | None = None,
    ) -> Written:
        """Embed `items` for every written collection (or those given) and stage their rows.

        Embeds first and writes after: on SQLite the first write takes the
        database's only write lock, which must not be held through inference.
        """
        embedded = await self.prepare([item.text for item in items], collections=collections)
        return await self.stage(
            session,
            tenant_id,
            source,
            [item.source_id for item in items],
            [item.metadata for item in items],
            embedded,
        )

    async def prepare(
        self, texts: Sequence[str], *, collections: Sequence[Collection] | None = None
    ) -> Prepared:
        """Embed texts for the written collections (or those given), before any write;
        for a writer that learns its source ids only by writing (new chunks)."""
        targets = await self.written_collections() if collections is None else collections
        normalized = [normalize_text(text) for text in texts]
        return Prepared(
            hashes=[text_hash(text) for text in normalized],
            vectors={c: await self.embed(c, normalized) for c in targets},
        )

    async def stage(
        self,
        session: AsyncSession,
        tenant_id: int,
        source: str,
        source_ids: Sequence[int],
        metadata: Sequence[Metadata],
        prepared: Prepared,
    ) -> Written:
        """Write the rows of prepared vectors as pending, in the caller's transaction."""
        written = Written()
        for collection, vectors in prepared.vectors.items():
            rows = [
                {
                    "collection": collection.name,
                    "tenant_id": tenant_id,
                    "source": source,
                    "source_id": source_id,
                    "record_id": record_id(source, source_id),
                    "text_hash": hash_,
                    "vector": np.asarray(vector, dtype="<f4").tobytes(),
                    "meta": dict(meta),
                }
                for source_id, hash_, vector, meta in zip(
                    source_ids, prepared.hashes, vectors.vectors, metadata, strict=True
                )
            ]
            written.add(collection.name, await _stage(session, rows))
        return written

    async def remove(
        self, session: AsyncSession, tenant_id: int, source: str, source_ids: Sequence[int]
    ) -> Written:
        """Turn the records of these sources into tombstones, in every collection."""
        written = Written()
        if not source_ids:
            return written
        changed = await session.execute(
            update(VectorRecord)
            .where(
                VectorRecord.tenant_id == tenant_id,
                VectorRecord.source == source,
                VectorRecord.source_id.in_(source_ids),
            )
            .values(
                deleted=True,
                indexed=False,
                revision=VectorRecord.revision + 1,
                updated_at=utcnow(),
            )
            .returning(VectorRecord.collection, VectorRecord.id)
        )
        for collection, row_id in changed.all():
            written.add(collection, [row_id])
        return written

    async def apply(self, written: Written) -> None:
        """After the commit: hand the rows to the stores that are open in this process.
        A failure here loses nothing: the rows stay pending for the next catch-up."""
        for name, row_ids in written.rows.items():
            store = self._stores.get(name)
            if store is None:
                if self._lock(name).locked():
                    # Being opened: its catch-up may have read the pending rows before
                    # these were committed, so it takes them once it is open.
                    self._missed.setdefault(name, set()).update(row_ids)
                continue  # opened later, it catches up with these rows then
            try:
                async with self._lock(name):
                    await self._sync(name, store, VectorRecord.id.in_(row_ids))
            except Exception:
                logger.exception("vector store %s: applying %d rows failed", name, len(row_ids))

    async def _sync(self, name: str, store: VectorStore, restrict: Any) -> None:
        """Write pending rows (all, or those `restrict` selects) to the store."""
        query = select(
            VectorRecord.id,
            VectorRecord.tenant_id,
            VectorRecord.record_id,
            VectorRecord.revision,
            VectorRecord.deleted,
            VectorRecord.vector,
            VectorRecord.meta,
        ).where(VectorRecord.collection == name, VectorRecord.indexed.is_(False))
        if restrict is not None:
            query = query.where(restrict)
        async with self.database.read() as session:
            rows = (await session.execute(query.order_by(VectorRecord.id))).all()
        space = store.space
        by_tenant: dict[int, list[Any]] = {}
        for row in rows:
            by_tenant.setdefault(row.tenant_id, []).append(row)
        for tenant_id, tenant_rows in by_tenant.items():
            gone = [row.record_id for row in tenant_rows if row.deleted]
            live = [row for row in tenant_rows if not row.deleted]
            if gone:
                await store.delete(tenant_id, gone)
            if live:
                vectors = np.stack([np.frombuffer(row.vector, dtype="<f4") for row in live])
                await store.upsert(
                    tenant_id,
                    [row.record_id for row in live],
                    Embeddings(space, vectors.astype(np.float32)),
                    [row.meta for row in live],
                )
        self._unflushed.setdefault(name, {}).update({row.id: row.revision for row in rows})
        if time.monotonic() - self._flushed_at.get(name, 0.0) >= FLUSH_SECONDS:
            await self._flush(name, store)

    async def flush(self) -> None:
        """Flush every open store and mark what it holds indexed (at shutdown, in tests)."""
        for name, store in list(self._stores.items()):
            async with self._lock(name):
                await self._flush(name, store)

    async def _flush(self, name: str, store: VectorStore) -> None:
        pending = self._unflushed.pop(name, {})
        await store.flush()
        self._flushed_at[name] = time.monotonic()
        if pending:
            await self._mark_indexed(name, pending)

    async def _mark_indexed(self, name: str, rows: dict[int, int]) -> None:
        # Matched on (id, revision): a row changed again meanwhile stays pending.
        # One statement, executed once per row (executemany), on the plain table.
        table = cast(Table, VectorRecord.__table__)
        match = and_(table.c.id == bindparam("row_id"), table.c.revision == bindparam("rev"))
        params = [{"row_id": row_id, "rev": revision} for row_id, revision in rows.items()]
        async with self.database.write() as session:
            await session.execute(delete(table).where(match, table.c.deleted.is_(True)), params)
            await session.execute(update(table).where(match).values(indexed=True), params)
            await session.commit()

    async def _reconcile(self, collection: Collection, store: VectorStore) -> None:
        """Bring a freshly opened store level with the database: replay the pending
        rows; if it still holds a different number of records (lost, or from
        another database), rebuild it from the rows."""
        await self._sync(collection.name, store, None)
        await self._flush(collection.name, store)
        if await store.count() == await self._live_count(collection.name):
            return
        logger.warning("vector store %s disagrees with the database: rebuilding", collection.name)
        await store.rebuild(lambda: self._batches(collection))
        await store.flush()

    async def _live_count(self, name: str) -> int:
        async with self.database.read() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(VectorRecord)
                .where(VectorRecord.collection == name, VectorRecord.deleted.is_(False))
            )
        return int(count or 0)

    async def _batches(self, collection: Collection) -> AsyncIterator[VectorBatch]:
        last = 0
        columns = (
            VectorRecord.id,
            VectorRecord.tenant_id,
            VectorRecord.record_id,
            VectorRecord.vector,
            VectorRecord.meta,
        )
        while True:
            async with self.database.read() as session:
                rows = (
                    await session.execute(
                        select(*columns)
                        .where(
                            VectorRecord.collection == collection.name,
                            VectorRecord.deleted.is_(False),
                            VectorRecord.id > last,
                        )
                        .order_by(VectorRecord.id)
                        .limit(_BATCH)
                    )
                ).all()
            if not rows:
                return
            last = rows[-1].id
            matrix = np.frombuffer(b"".join(row.vector for row in rows), dtype="<f4")
            yield VectorBatch(
                ids=[row.record_id for row in rows],
                tenant_ids=[row.tenant_id for row in rows],
                vectors=Embeddings(
                    collection.space,
                    matrix.reshape(len(rows), collection.space.dimension).astype(np.float32),
                ),
                metadata=[row.meta for row in rows],
            )

    # -- reads ---------------------------------------------------------------------------

    async def search(
        self,
        collection: Collection,
        query: Embeddings,
        search_filter: SearchFilter,
        *,
        k: int,
    ) -> list[SearchHit]:
        store = await self.store(collection)
        return await store.search(query, search_filter, k=k)

    async def stored_vector(
        self, collection: Collection, tenant_id: int, record: str
    ) -> Embeddings | None:
        """The vector the database holds for a record (for "more like this one")."""
        async with self.database.read() as session:
            blob = await session.scalar(
                select(VectorRecord.vector).where(
                    VectorRecord.collection == collection.name,
                    VectorRecord.tenant_id == tenant_id,
                    VectorRecord.record_id == record,
                    VectorRecord.deleted.is_(False),
                )
            )
        if blob is None:
            return None
        return Embeddings(collection.space, np.frombuffer(blob, dtype="<f4").reshape(1, -1).copy())

    def cache_counts(self) -> tuple[int, int]:
        """Embedding cache hits (memory or database) and misses (the model ran)."""
        hits = misses = 0
        for metric in self.cache_metrics.lookups.collect():
            for sample in metric.samples:
                if not sample.name.endswith("_total"):
                    continue
                if sample.labels["source"] == "model":
                    misses += int(sample.value)
                else:
                    hits += int(sample.value)
        return hits, misses

    async def close(self) -> None:
        await self.flush()
        for store in self._stores.values():
            await store.close()
        for embedder in self._embedders.values():
            await embedder.close()
        self._stores.clear()
        self._embedders.clear()


async def _stage(session: AsyncSession, rows: list[dict[str, Any]]) -> list[int]:
    """Insert or replace rows as pending; returns their ids, in order."""
    ids: list[int] = []
    # A multi-row VALUES list has 12 parameters a row; asyncpg takes at most 32,767.
    for start in range(0, len(rows), _STAGE_ROWS):
        ids.extend(await _stage_batch(session, rows[start : start + _STAGE_ROWS]))
    return ids


async def _stage_batch(session: AsyncSession, rows: list[dict[str, Any]]) -> list[int]:
    now = utcnow()
    insert = dialect_insert(session, VectorRecord).values(
        [
            row | {"revision": 1, "deleted": False, "indexed": False, "updated_at": now}
            for row in rows
        ]
    )
    excluded = insert.excluded
    upsert = insert.on_conflict_do_update(
        index_elements=["collection", "tenant_id", "record_id"],
        set_={
            "vector": excluded.vector,
            "metadata": excluded["metadata"],
            "text_hash": excluded.text_hash,
            "deleted": False,
            "indexed": False,
            "revision": VectorRecord.revision + 1,
            "updated_at": now,
        },
    ).returning(VectorRecord.id)
    return list((await session.scalars(upsert)).all())
