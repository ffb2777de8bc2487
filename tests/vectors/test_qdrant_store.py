"""The Qdrant store in qdrant-client's local mode, against exact search (numpy) as the oracle.

Local mode is brute force, so its results must agree with numpy exactly; what
these tests check is the store's part: ids, tenants, filters, batching, the
collection's lifecycle. A Qdrant server's HNSW is not exercised here.
"""

from __future__ import annotations

import importlib.metadata
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
from qdrant_client import AsyncQdrantClient, models

from handwerkml.embeddings.base import Embeddings, EmbeddingSpace, SpaceMismatchError
from handwerkml.vectors.base import (
    Condition,
    Metadata,
    Range,
    SearchFilter,
    VectorBatch,
    VectorStore,
    collection_name,
)
from handwerkml.vectors.qdrant import (
    MEMORY,
    QdrantOptions,
    QdrantVectorStore,
    _check_server_version,
    point_id,
)
from tests.vectors.test_embedded_store import clustered, exact_top, ids

SPACE = EmbeddingSpace("test:clustered", 32)


@pytest.fixture(params=["memory", "path"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[QdrantVectorStore]:
    path = MEMORY if request.param == "memory" else tmp_path / "qdrant"
    # A small batch size, so that every write goes out in several requests.
    async with await QdrantVectorStore.open(SPACE, QdrantOptions(path=path, batch_size=64)) as s:
        yield s


def part(data: Embeddings, start: int, stop: int) -> Embeddings:
    return Embeddings(data.space, data.vectors[start:stop])


async def test_implements_the_protocol(store: QdrantVectorStore) -> None:
    typed: VectorStore = store
    assert typed.space == SPACE
    assert store.collection == collection_name(SPACE)


async def test_agrees_with_exact_search(store: QdrantVectorStore) -> None:
    data = clustered(1000, seed=1)
    await store.upsert(1, ids(1000), data)
    queries = clustered(20, seed=2)
    for i in range(len(queries)):
        query = queries.row(i)
        hits = await store.search(query, SearchFilter(tenant_id=1), k=10)
        assert [h.id for h in hits] == exact_top(data, query, 10)
        expected = np.sort(data.vectors @ query.vectors[0])[::-1][:10]
        np.testing.assert_allclose([h.score for h in hits], expected, atol=1e-5)
    hits = await store.search(data.row(7), SearchFilter(1), k=3)
    assert hits[0].id == "v7"
    assert hits[0].score == pytest.approx(1.0, abs=1e-5)


async def test_tenants_are_isolated(store: QdrantVectorStore) -> None:
    data = clustered(600, seed=4)
    await store.upsert(1, ids(300), part(data, 0, 300))
    await store.upsert(2, [f"v{i}" for i in range(300, 600)], part(data, 300, 600))
    # Tenant 2 asks with a vector identical to one of tenant 1's.
    hits = await store.search(data.row(5), SearchFilter(tenant_id=2), k=50)
    assert len(hits) == 50
    assert all(int(h.id[1:]) >= 300 for h in hits)
    assert [h.id for h in hits] == exact_top(data, data.row(5), 50, range(300, 600))
    assert await store.search(data.row(5), SearchFilter(tenant_id=3), k=5) == []
    assert await store.count(1) == 300
    assert await store.count(2) == 300
    assert await store.count() == 600


async def test_one_record_id_in_two_tenants_does_not_collide(store: QdrantVectorStore) -> None:
    data = clustered(4, seed=5)
    await store.upsert(1, ["r"], data.row(0), [{"owner": "eins"}])
    await store.upsert(2, ["r"], data.row(1), [{"owner": "zwei"}])
    # The old system's point id, UUID mod 2^31, was equal for these two records.
    first = str(uuid.UUID(int=12345))
    second = str(uuid.UUID(int=12345 + 2**31))
    await store.upsert(1, [first, second], part(data, 2, 4))
    assert await store.count(1) == 3
    assert await store.count(2) == 1
    [hit] = await store.search(data.row(0), SearchFilter(2), k=5)
    assert (hit.id, hit.metadata) == ("r", {"owner": "zwei"})
    assert hit.score < 0.999  # tenant 2's own vector, not tenant 1's
    await store.delete(1, ["r"])
    assert await store.count(1) == 2
    assert [h.id for h in await store.search(data.row(1), SearchFilter(2), k=1)] == ["r"]
    assert {h.id for h in await store.search(data.row(2), SearchFilter(1), k=5)} == {
        first,
        second,
    }
    assert point_id(1, "r") != point_id(2, "r")
    assert point_id(1, "r") == point_id(1, "r")


async def test_metadata_filters(store: QdrantVectorStore) -> None:
    n = 600
    data = clustered(n, seed=6)
    metadata: list[Metadata] = [
        {
            "project_type": ["Treppe", "Bad", "Dach"][i % 3],
            "region": "Bayern" if i % 2 else "NRW",
            "price": float(i),
            "rooms": i % 5,
            "done": i % 4 == 0,
            "m²/h": 1.5,  # a key that is no plain identifier
        }
        for i in range(n)
    ]
    await store.upsert(1, ids(n), data, metadata)
    await store.upsert(2, ids(n), data, metadata)  # the same rows in another tenant
    filters: list[dict[str, Condition]] = [
        {"project_type": "Bad", "region": frozenset({"Bayern"}), "price": Range(100, None)},
        {"project_type": frozenset({"Bad", "Dach"}), "price": Range(None, 450.5)},
        {"rooms": 3},  # stored as int, asked as int
        {"rooms": 3.0},  # equal as a number
        {"rooms": frozenset({1, 4}), "done": True},
        {"price": Range(5, 6)},
        {"m²/h": 1.5, "price": Range(-np.inf, 20)},
        {"region": frozenset({"NRW", 7})},
    ]
    queries = clustered(3, seed=7)
    for where in filters:
        search_filter = SearchFilter(tenant_id=1, where=where)
        allowed = [i for i in range(n) if search_filter.matches(metadata[i])]
        assert allowed, where
        for i in range(len(queries)):
            hits = await store.search(queries.row(i), search_filter, k=10)
            assert [h.id for h in hits] == exact_top(data, queries.row(i), 10, allowed), where
            assert all(search_filter.matches(h.metadata) for h in hits)
    nothing: list[dict[str, Condition]] = [
        {"region": "Hessen"},
        {"region": frozenset()},
        {"price": Range(np.inf, None)},
        {"missing": 1},
        {"project_type": 1},
    ]
    for where in nothing:
        assert await store.search(queries.row(0), SearchFilter(1, where), k=10) == [], where
    with pytest.raises(ValueError, match="NaN"):
        await store.search(queries.row(0), SearchFilter(1, {"price": float("nan")}))


async def test_upsert_replaces_and_delete_removes(store: QdrantVectorStore) -> None:
    data = clustered(400, seed=8)
    await store.upsert(1, ids(400), data)
    await store.upsert(1, ids(400), data)  # replaying is harmless
    assert await store.count(1) == 400
    await store.upsert(1, ["v0"], data.row(399), [{"version": 2}])
    hits = await store.search(data.row(399), SearchFilter(1), k=2)
    assert {h.id for h in hits} == {"v0", "v399"}
    assert next(h.metadata for h in hits if h.id == "v0") == {"version": 2}
    await store.delete(1, [f"v{i}" for i in range(0, 400, 2)] + ["unknown"])
    await store.delete(2, ["v1"])  # another tenant's id of the same name: untouched
    assert await store.count(1) == 200
    hits = await store.search(data.row(398), SearchFilter(1), k=10)
    assert [h.id for h in hits] == exact_top(data, data.row(398), 10, range(1, 400, 2))


async def test_bad_input_is_refused(store: QdrantVectorStore) -> None:
    data = clustered(3, seed=9)
    wider = clustered(3, seed=9, dimension=64)
    with pytest.raises(SpaceMismatchError):
        await store.upsert(1, ids(3), wider)
    same_size_other_model = Embeddings(EmbeddingSpace("other:model", 32), data.vectors)
    with pytest.raises(SpaceMismatchError):
        await store.upsert(1, ids(3), same_size_other_model)
    with pytest.raises(SpaceMismatchError):
        await store.search(same_size_other_model.row(0), SearchFilter(1))
    with pytest.raises(ValueError, match="duplicate"):
        await store.upsert(1, ["a", "a", "b"], data)
    with pytest.raises(ValueError, match="double quote"):
        await store.upsert(1, ids(3), data, [{'a"b': 1}, {}, {}])
    with pytest.raises(ValueError, match="JSON"):
        await store.upsert(1, ids(3), data, [{"price": float("inf")}, {}, {}])
    assert await store.count() == 0


async def _source(data: Embeddings) -> AsyncIterator[VectorBatch]:
    """What the database would yield: rows of both tenants mixed, in batches."""
    for start in range(0, len(data), 250):
        rows = range(start, min(start + 250, len(data)))
        yield VectorBatch(
            ids=[f"v{i}" for i in rows],
            tenant_ids=[1 + i % 2 for i in rows],
            vectors=part(data, start, start + 250),
            metadata=[{"region": "NRW"} for _ in rows],
        )


async def test_rebuild_replaces_everything(store: QdrantVectorStore) -> None:
    data = clustered(600, seed=10)
    stale = clustered(50, seed=11)
    await store.upsert(1, [f"stale{i}" for i in range(50)], stale)
    await store.upsert(3, ["v0"], stale.row(0))
    await store.rebuild(lambda: _source(data))
    assert await store.count() == 600
    assert await store.count(1) == 300
    assert await store.count(3) == 0
    hits = await store.search(data.row(4), SearchFilter(1, {"region": "NRW"}), k=3)
    assert hits[0].id == "v4"
    assert all(int(h.id[1:]) % 2 == 0 for h in hits)  # tenant 1 holds the even rows


async def test_path_mode_persists_across_reopen(tmp_path: Path) -> None:
    options = QdrantOptions(path=tmp_path / "qdrant")
    data = clustered(300, seed=12)
    async with await QdrantVectorStore.open(SPACE, options) as store:
        await store.upsert(1, ids(300), data, [{"n": i} for i in range(300)])
        await store.delete(1, ["v3"])
        await store.flush()
        before = await store.search(data.row(10), SearchFilter(1, {"n": Range(0, 100)}), k=10)
    async with await QdrantVectorStore.open(SPACE, options) as store:
        assert await store.count(1) == 299
        after = await store.search(data.row(10), SearchFilter(1, {"n": Range(0, 100)}), k=10)
        assert [(h.id, h.metadata) for h in after] == [(h.id, h.metadata) for h in before]
        np.testing.assert_allclose([h.score for h in after], [h.score for h in before], atol=1e-6)
    # Another model whose name makes the same collection name is refused.
    lookalike = EmbeddingSpace("test/clustered", 32)
    assert collection_name(lookalike) == collection_name(SPACE)
    with pytest.raises(SpaceMismatchError, match="test:clustered"):
        await QdrantVectorStore.open(lookalike, options)


async def test_collection_of_another_dimension_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "qdrant"
    client = AsyncQdrantClient(path=str(path))
    await client.create_collection(
        collection_name(SPACE),
        vectors_config=models.VectorParams(size=16, distance=models.Distance.COSINE),
    )
    await client.close()
    with pytest.raises(SpaceMismatchError, match="16-d"):
        await QdrantVectorStore.open(SPACE, QdrantOptions(path=path))
    # The refused store let go of the directory: it can be opened again.
    client = AsyncQdrantClient(path=str(path))
    assert await client.collection_exists(collection_name(SPACE))
    await client.close()


def test_options_name_one_place() -> None:
    with pytest.raises(ValueError, match="either"):
        QdrantOptions()
    with pytest.raises(ValueError, match="either"):
        QdrantOptions(url="http://qdrant:6333", path=MEMORY)
    assert not QdrantOptions(url="http://qdrant:6333").local
    assert QdrantOptions(path=MEMORY).local


@pytest.mark.parametrize(
    ("server", "warned"), [("1.20.3", False), ("1.19.0", False), ("1.15.2", True), ("dev", True)]
)
def test_a_server_far_from_the_client_version_is_logged(
    caplog: pytest.LogCaptureFixture, server: str, warned: bool
) -> None:
    assert importlib.metadata.version("qdrant-client").startswith("1.20.")  # the cases above
    _check_server_version(server)
    assert ("may not work together" in caplog.text) == warned
