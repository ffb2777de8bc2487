"""The pgvector store: the vectors live in the application's own PostgreSQL.

For installations that run PostgreSQL anyway and want no second service and no
index files beside the API processes: every API process and worker sees the same
vectors, and a write is durable once its statement commits.

Layout. One table, `pgvector_records(collection, tenant_id, record_id, embedding
vector, metadata jsonb)`, created by a migration (only where the server has
pgvector) and partitioned by collection. `embedding` has no fixed dimension, so
spaces of different dimensions share the table; each space (collection) gets its
own partition with an HNSW index (cosine) on `embedding::vector(D)`, created by
`PgVectorStore.open` because collections appear at run time (a model migration
creates one). Partitions rather than partial indexes on one heap: an index
build, a rebuild and dropping a collection then touch only that collection's
rows, and a rebuild can swap in a new partition instead of deleting millions of
rows under a lock every collection's writes wait for.

Search. One query per search, filters in SQL beside the vector order:
`collection = '<literal>'` (a literal, so the planner prunes to the partition
even for a prepared statement), `tenant_id`, metadata conditions on the jsonb.
PostgreSQL picks the plan by cost: the HNSW graph for a large tenant, the
primary key (collection, tenant_id, …) and an exact sort for a small one.
pgvector 0.8's iterative scan (`hnsw.iterative_scan = relaxed_order`) keeps
walking the graph while a filter rejects candidates, up to
`hnsw.max_scan_tuples`; if that still yields fewer than k rows the store asks
again exactly (an order the index cannot serve), so a selective filter returns
every match there is. relaxed_order may return rows slightly out of order: they
are re-sorted here. Custom plans are forced (`plan_cache_mode`), so a plan
chosen for one tenant's size is never reused for another's.

Vectors travel in pgvector's binary format (the `pgvector` package's asyncpg
codec): 10,000 upserts took 0.09-0.13 s against 2.2-2.3 s in the text form
'[0.1,...]' (numbers in docs/embeddings.md).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import weakref
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
from pgvector.asyncpg import register_vector

from handwerkml.db.engine import Database
from handwerkml.embeddings.base import Embeddings, EmbeddingSpace
from handwerkml.vectors.base import (
    Condition,
    Metadata,
    Range,
    RecordSource,
    SearchFilter,
    SearchHit,
    VectorBatch,
    check_where,
    collection_name,
    upsert_metadata,
)

TABLE = "pgvector_records"

# What the migration creates (db/migrations/versions/…_pgvector_records.py); shown
# to operators who install pgvector after migrating (docs/embeddings.md).
SCHEMA_SQL = f"""CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE IF NOT EXISTS {TABLE} (
    collection text NOT NULL,
    tenant_id integer NOT NULL,
    record_id text NOT NULL,
    embedding vector NOT NULL,
    metadata jsonb NOT NULL DEFAULT '{{}}',
    PRIMARY KEY (collection, tenant_id, record_id)
) PARTITION BY LIST (collection);"""

COLUMNS = ("collection", "tenant_id", "record_id", "embedding", "metadata")
MIN_VERSION = (0, 8)
# pgvector refuses hnsw.ef_search above this.
MAX_EF_SEARCH = 1000

# Connections that have pgvector's codec; asyncpg connections are weak-referenceable.
_with_codec: weakref.WeakSet[Any] = weakref.WeakSet()


class PgVectorUnavailableError(RuntimeError):
    """The database cannot hold the pgvector store (no PostgreSQL, no pgvector, no table)."""


@dataclass(frozen=True, slots=True)
class PgVectorOptions:
    # HNSW graph of each collection. pgvector's defaults (16, 64) reached only
    # recall@10 0.87 at ef_search 100 on 1M German-text vectors; these reach 0.99
    # at 200 and build 1M vectors in ~15 min on 2 cores (docs/embeddings.md).
    # Changing them takes effect at the next rebuild: an existing index is kept.
    m: int = 32
    ef_construction: int = 128
    # Candidates per search (pgvector's default is 40); at least k.
    ef_search: int = 200
    # How far an iterative scan walks while a filter rejects candidates before the
    # store falls back to an exact search (pgvector's default).
    max_scan_tuples: int = 20_000
    # maintenance_work_mem and max_parallel_maintenance_workers for index builds:
    # a graph that outgrows the memory is built many times slower. None keeps the
    # server's setting.
    build_memory: str = "1GB"
    build_workers: int | None = None

    def __post_init__(self) -> None:
        for name in ("m", "ef_construction", "ef_search", "max_scan_tuples"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive")
        if not re.fullmatch(r"\d+\s*(kB|MB|GB|TB)?", self.build_memory):
            raise ValueError(f"build_memory must look like 512MB or 2GB, got {self.build_memory!r}")
        if self.build_workers is not None and self.build_workers < 0:
            raise ValueError("build_workers must not be negative")


def partition_name(collection: str) -> str:
    """A valid unquoted identifier (≤ 63 bytes), one per collection."""
    slug = re.sub(r"[^a-z0-9]+", "_", collection.lower()).strip("_")[:30]
    digest = hashlib.sha256(collection.encode()).hexdigest()[:8]
    return f"{TABLE}_{slug}_{digest}"


def _version(text: str | None) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text or "")[:2])


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def missing_table_message(has_extension: bool) -> str:
    first = (
        "the vector extension exists but the pgvector_records table does not "
        "(pgvector was installed after `handwerkml migrate`)"
        if has_extension
        else "the database has no pgvector extension"
    )
    return (
        f"The pgvector vector store cannot start: {first}. Install pgvector for this "
        "PostgreSQL (Debian/Ubuntu: the postgresql-<major>-pgvector package from the PGDG "
        "repository), then, as a user allowed to create extensions, run in this database:\n"
        f"{SCHEMA_SQL}\n"
        "See docs/embeddings.md, section pgvector."
    )


def _check_metadata(metadata: Metadata) -> None:
    for key, value in metadata.items():
        if not isinstance(value, str | int | float | bool):
            raise TypeError(f"metadata {key!r}: unsupported value {value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"metadata {key!r}: {value} cannot be stored as JSON")


class _Params:
    """Numbered query parameters ($n) collected while SQL is written."""

    def __init__(self, *values: Any) -> None:
        self.values = list(values)

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}"


def _condition_sql(key: str, condition: Condition, param: _Params) -> str | None:
    """One metadata condition as SQL; None when nothing can match."""
    if isinstance(condition, Range):
        low, high = condition.low, condition.high
        if low == math.inf or high == -math.inf:
            return None  # stored numbers are finite (JSON has no infinity)
        name = param(key)
        # CASE, not AND: PostgreSQL may evaluate AND's operands in any order, and
        # the cast fails on a string.
        number = (
            f"(CASE WHEN jsonb_typeof(metadata -> {name}) = 'number' "
            f"THEN (metadata ->> {name})::float8 END)"
        )
        parts = [f"{number} IS NOT NULL"]
        if low is not None and low != -math.inf:
            parts.append(f"{number} >= {param(float(low))}")
        if high is not None and high != math.inf:
            parts.append(f"{number} <= {param(float(high))}")
        return " AND ".join(parts)
    accepted = condition if isinstance(condition, frozenset) else frozenset({condition})
    # jsonb equality: 3 equals 3.0 (numbers compare by value), true does not equal 1.
    documents = sorted(
        json.dumps(value)
        for value in accepted
        if not (isinstance(value, float) and not math.isfinite(value))
    )
    if not documents:
        return None
    return f"metadata -> {param(key)} = ANY({param(documents)}::jsonb[])"


class PgVectorStore:
    """One embedding space's partition of pgvector_records; implements vectors.base.VectorStore."""

    def __init__(self, space: EmbeddingSpace, database: Database, options: PgVectorOptions) -> None:
        if database.engine.dialect.name != "postgresql" or database.engine.dialect.driver != (
            "asyncpg"
        ):
            raise PgVectorUnavailableError(
                "the pgvector vector store needs PostgreSQL through asyncpg "
                f"(postgresql+asyncpg://…), not {database.engine.url.drivername}"
            )
        self._space = space
        self._engine = database.engine
        self._options = options
        self.collection = collection_name(space)
        self.partition = partition_name(self.collection)
        self._index = f"{self.partition}_hnsw"
        self._where_collection = f"collection = {_literal(self.collection)}"
        self._vector = f"embedding::vector({space.dimension})"

    @classmethod
    async def open(
        cls, space: EmbeddingSpace, database: Database, options: PgVectorOptions | None = None
    ) -> PgVectorStore:
        """Check the table and create the collection's partition and index if missing."""
        store = cls(space, database, options or PgVectorOptions())
        await store._prepare()
        return store

    @property
    def space(self) -> EmbeddingSpace:
        return self._space

    @asynccontextmanager
    async def _connection(self, *, codec: bool = True) -> AsyncIterator[Any]:
        """An asyncpg connection from the application's pool. The store speaks to
        asyncpg directly: COPY, executemany and the vector codec are not SQLAlchemy's."""
        async with self._engine.connect() as connection:
            raw = (await connection.get_raw_connection()).driver_connection
            if codec and raw not in _with_codec:
                await register_vector(raw)
                _with_codec.add(raw)
            yield raw

    async def _prepare(self) -> None:
        async with self._connection(codec=False) as conn:
            version = await conn.fetchval(
                "SELECT extversion FROM pg_extension WHERE extname = 'vector'"
            )
            if await conn.fetchval("SELECT to_regclass($1)::text", TABLE) is None:
                raise PgVectorUnavailableError(missing_table_message(version is not None))
            if _version(version) < MIN_VERSION:
                raise PgVectorUnavailableError(
                    f"the pgvector vector store needs pgvector 0.8 or later (iterative index "
                    f"scans), the database has {version}: install a newer pgvector package "
                    "and run ALTER EXTENSION vector UPDATE in this database"
                )
            async with conn.transaction():
                # Two processes opening the same new collection must not both create it.
                await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", TABLE)
                await conn.execute(
                    f"CREATE TABLE IF NOT EXISTS {self.partition} PARTITION OF {TABLE} "
                    f"FOR VALUES IN ({_literal(self.collection)})"
                )
                await self._create_index(conn, self.partition, self._index)

    async def _create_index(self, conn: Any, table: str, name: str) -> None:
        options = self._options
        await conn.execute(f"SET LOCAL maintenance_work_mem = '{options.build_memory}'")
        if options.build_workers is not None:
            await conn.execute(
                f"SET LOCAL max_parallel_maintenance_workers = {int(options.build_workers)}"
            )
        await conn.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING hnsw "
            f"(({self._vector}) vector_cosine_ops) "
            f"WITH (m = {int(options.m)}, ef_construction = {int(options.ef_construction)})"
        )

    async def flush(self) -> None:
        """Nothing to do: every write has committed when its call returns."""

    async def close(self) -> None:
        """Nothing to do: the connections belong to the application's engine."""

    def _rows(
        self,
        tenant_ids: Sequence[int],
        ids: Sequence[str],
        vectors: Embeddings,
        metadata: Sequence[Metadata],
    ) -> list[tuple[Any, ...]]:
        for meta in metadata:
            _check_metadata(meta)
        return [
            (self.collection, tenant_ids[i], ids[i], vectors.vectors[i], json.dumps(metadata[i]))
            for i in range(len(ids))
        ]

    async def upsert(
        self,
        tenant_id: int,
        ids: Sequence[str],
        vectors: Embeddings,
        metadata: Sequence[Metadata] | None = None,
    ) -> None:
        meta = upsert_metadata(self._space, ids, vectors, metadata)
        if not ids:
            return
        rows = self._rows([tenant_id] * len(ids), ids, vectors, meta)
        async with self._connection() as conn:
            # One pipelined, atomic round of statements (asyncpg's executemany).
            await conn.executemany(
                f"INSERT INTO {self.partition} ({', '.join(COLUMNS)}) "
                "VALUES ($1, $2, $3, $4, $5::jsonb) "
                "ON CONFLICT (collection, tenant_id, record_id) DO UPDATE "
                "SET embedding = EXCLUDED.embedding, metadata = EXCLUDED.metadata",
                rows,
            )

    async def delete(self, tenant_id: int, ids: Sequence[str]) -> None:
        if not ids:
            return
        async with self._connection(codec=False) as conn:
            await conn.execute(
                f"DELETE FROM {self.partition} WHERE {self._where_collection} "
                "AND tenant_id = $1 AND record_id = ANY($2::text[])",
                tenant_id,
                list(ids),
            )

    async def count(self, tenant_id: int | None = None) -> int:
        sql = f"SELECT count(*) FROM {self.partition} WHERE {self._where_collection}"
        async with self._connection(codec=False) as conn:
            if tenant_id is None:
                return int(await conn.fetchval(sql))
            return int(await conn.fetchval(sql + " AND tenant_id = $1", tenant_id))

    def _search_statement(
        self, search_filter: SearchFilter, k: int, query: Any, *, exact: bool
    ) -> tuple[str | None, list[Any]]:
        """SQL and parameters ($1 query, $2 tenant, $3 k, then the filter's values);
        no SQL when the filter can match nothing."""
        param = _Params(query, search_filter.tenant_id, k)
        clauses = [self._where_collection, "tenant_id = $2"]
        for key, condition in search_filter.where.items():
            clause = _condition_sql(key, condition, param)
            if clause is None:
                return None, []
            clauses.append(clause)
        # The exact order does not match the index expression, so no graph serves it.
        distance = "embedding <=> $1" if exact else f"{self._vector} <=> $1"
        sql = (
            f"SELECT record_id, metadata::text, {distance} AS distance FROM {TABLE} "
            f"WHERE {' AND '.join(clauses)} ORDER BY distance LIMIT $3"
        )
        return sql, param.values

    async def search(
        self, query: Embeddings, search_filter: SearchFilter, *, k: int = 10
    ) -> list[SearchHit]:
        self._space.require(query.space)
        if len(query) != 1:
            raise ValueError(f"search takes one query vector, got {len(query)}")
        if k < 1:
            return []
        check_where(search_filter.where)
        sql, params = self._search_statement(search_filter, k, query.vectors[0], exact=False)
        if sql is None:
            return []
        options = self._options
        async with self._connection() as conn, conn.transaction():
            await conn.execute(
                f"SET LOCAL hnsw.ef_search = {min(max(options.ef_search, k), MAX_EF_SEARCH)};"
                "SET LOCAL hnsw.iterative_scan = relaxed_order;"
                f"SET LOCAL hnsw.max_scan_tuples = {int(options.max_scan_tuples)};"
                "SET LOCAL plan_cache_mode = force_custom_plan"
            )
            rows = await conn.fetch(sql, *params)
            if len(rows) < k:
                # The graph walk gave up before k matches (or fewer exist): ask exactly.
                exact_sql, params = self._search_statement(
                    search_filter, k, query.vectors[0], exact=True
                )
                rows = await conn.fetch(exact_sql, *params)
        ordered = sorted(rows, key=lambda row: (row[2], row[0]))
        return [SearchHit(row[0], 1.0 - float(row[2]), json.loads(row[1])) for row in ordered]

    async def rebuild(self, source: RecordSource) -> None:
        """Load what `source` yields into a new table, index it, then swap it in for
        the collection's partition in one short transaction. Searches see the old
        rows until the swap; writes made during the rebuild go to the old partition
        and are dropped with it, so the caller replays them (like any other store)."""
        staging = f"{self.partition}_new"
        async with self._connection() as conn, self._rebuild_lock(conn):
            await conn.execute(f"DROP TABLE IF EXISTS {staging}")  # a crashed rebuild's
            await conn.execute(
                f"CREATE TABLE {staging} (LIKE {TABLE} INCLUDING DEFAULTS, "
                f"CONSTRAINT {staging}_only CHECK ({self._where_collection}))"
            )
            try:
                async for batch in source():
                    await self._copy(conn, staging, batch)
                await self._add_primary_key(conn, staging)
                async with conn.transaction():
                    await self._create_index(conn, staging, f"{staging}_hnsw")
                await conn.execute(f"ANALYZE {staging}")
                async with conn.transaction():
                    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", TABLE)
                    await conn.execute(f"DROP TABLE IF EXISTS {self.partition}")
                    await conn.execute(f"ALTER TABLE {staging} RENAME TO {self.partition}")
                    await conn.execute(f"ALTER INDEX {staging}_hnsw RENAME TO {self._index}")
                    await conn.execute(
                        f"ALTER INDEX {staging}_pkey RENAME TO {self.partition}_pkey"
                    )
                    # The CHECK constraint spares ATTACH its scan of every row.
                    await conn.execute(
                        f"ALTER TABLE {TABLE} ATTACH PARTITION {self.partition} "
                        f"FOR VALUES IN ({_literal(self.collection)})"
                    )
                    await conn.execute(
                        f"ALTER TABLE {self.partition} DROP CONSTRAINT {staging}_only"
                    )
            except BaseException:
                await conn.execute(f"DROP TABLE IF EXISTS {staging}")
                raise

    @asynccontextmanager
    async def _rebuild_lock(self, conn: Any) -> AsyncIterator[None]:
        """One rebuild of a collection at a time, across processes: a second waits."""
        key = f"rebuild:{self.partition}"
        await conn.execute("SELECT pg_advisory_lock(hashtext($1))", key)
        try:
            yield
        finally:
            await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", key)

    async def _copy(self, conn: Any, table: str, batch: VectorBatch) -> None:
        self._space.require(batch.vectors.space)
        if len(batch.ids) == 0:
            return
        rows = self._rows(batch.tenant_ids, batch.ids, batch.vectors, batch.metadata)
        await conn.copy_records_to_table(table, records=rows, columns=COLUMNS)

    async def _add_primary_key(self, conn: Any, table: str) -> None:
        add = (
            f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey "
            "PRIMARY KEY (collection, tenant_id, record_id)"
        )
        try:
            await conn.execute(add)
        except asyncpg.UniqueViolationError:
            # The source yielded an id twice: the row loaded last wins, as in the other stores.
            await conn.execute(
                f"DELETE FROM {table} AS a USING {table} AS b WHERE a.tenant_id = b.tenant_id "
                "AND a.record_id = b.record_id AND a.ctid < b.ctid"
            )
            await conn.execute(add)


__all__ = [
    "SCHEMA_SQL",
    "PgVectorOptions",
    "PgVectorStore",
    "PgVectorUnavailableError",
    "missing_table_message",
    "partition_name",
]
