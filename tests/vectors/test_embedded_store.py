"""The embedded store against exact search (numpy) as the oracle."""

from __future__ import annotations

import shutil
import threading
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from handwerkml.embeddings.base import Embeddings, EmbeddingSpace, SpaceMismatchError
from handwerkml.vectors.base import Condition, Range, SearchFilter, VectorBatch, VectorStore
from handwerkml.vectors.hnsw import EmbeddedVectorStore, HnswOptions

SPACE = EmbeddingSpace("test:clustered", 32)


def clustered(n: int, seed: int, dimension: int = 32) -> Embeddings:
    """Unit vectors around 40 centres: neighbourhoods like sentence embeddings have,
    unlike uniform random vectors on which no graph index finds anything."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((40, dimension))
    points = centres[rng.integers(0, 40, n)] + 0.35 * rng.standard_normal((n, dimension))
    return Embeddings.from_array(EmbeddingSpace(SPACE.model_id, dimension), points)


def options(tmp_path: Path, **overrides: object) -> HnswOptions:
    values: dict[str, object] = {
        "directory": tmp_path / "vectors",
        "exact_below": 500,
        "exact_filter_below": 50,
    }  # graph parameters: the production defaults
    values.update(overrides)
    return HnswOptions(**values)  # type: ignore[arg-type]


def exact_top(
    vectors: Embeddings, query: Embeddings, k: int, rows: Sequence[int] | None = None
) -> list[str]:
    candidates = np.arange(len(vectors)) if rows is None else np.asarray(rows)
    scores = vectors.vectors[candidates] @ query.vectors[0]
    return [f"v{candidates[i]}" for i in np.argsort(-scores)[:k]]


def ids(n: int) -> list[str]:
    return [f"v{i}" for i in range(n)]


def test_implements_the_protocol(tmp_path: Path) -> None:
    store: VectorStore = EmbeddedVectorStore(SPACE, options(tmp_path))
    assert store.space == SPACE


def test_hnsw_agrees_with_exact_search(tmp_path: Path) -> None:
    data = clustered(3000, seed=1)
    store = EmbeddedVectorStore(SPACE, options(tmp_path))
    store.upsert_sync(1, ids(3000), data)
    queries = clustered(100, seed=2)
    recall = []
    for i in range(len(queries)):
        query = queries.row(i)
        got = [h.id for h in store.search_sync(query, SearchFilter(tenant_id=1), k=10)]
        recall.append(len(set(got) & set(exact_top(data, query, 10))) / 10)
    assert store._partitions[1].index is not None  # the graph, not the exact path, answered
    assert np.mean(recall) >= 0.98


def test_scores_are_cosine_and_sorted(tmp_path: Path) -> None:
    data = clustered(200, seed=3)
    store = EmbeddedVectorStore(SPACE, options(tmp_path))
    store.upsert_sync(1, ids(200), data)
    hits = store.search_sync(data.row(7), SearchFilter(tenant_id=1), k=5)
    assert hits[0].id == "v7"
    assert hits[0].score == pytest.approx(1.0, abs=1e-5)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_tenants_are_isolated(tmp_path: Path) -> None:
    data = clustered(1200, seed=4)
    store = EmbeddedVectorStore(SPACE, options(tmp_path))
    store.upsert_sync(1, ids(600), Embeddings(SPACE, data.vectors[:600]))
    store.upsert_sync(2, [f"v{i}" for i in range(600, 1200)], Embeddings(SPACE, data.vectors[600:]))
    # Tenant 2 asks with a vector identical to one of tenant 1's.
    hits = store.search_sync(data.row(5), SearchFilter(tenant_id=2), k=50)
    assert len(hits) == 50
    assert all(int(h.id[1:]) >= 600 for h in hits)
    assert store.search_sync(data.row(5), SearchFilter(tenant_id=3), k=5) == []
    assert store.count_sync(1) == 600
    assert store.count_sync() == 1200


@pytest.mark.parametrize("n", [300, 3000])  # exact path and graph path
def test_metadata_filters(tmp_path: Path, n: int) -> None:
    data = clustered(n, seed=5)
    metadata = [
        {
            "project_type": ["Treppe", "Bad", "Dach"][i % 3],
            "region": "Bayern" if i % 2 else "NRW",
            "price": float(i),
        }
        for i in range(n)
    ]
    store = EmbeddedVectorStore(SPACE, options(tmp_path))
    store.upsert_sync(1, ids(n), data, metadata)
    where: dict[str, Condition] = {
        "project_type": "Bad",
        "region": frozenset({"Bayern"}),
        "price": Range(100, None),
    }
    search_filter = SearchFilter(tenant_id=1, where=where)
    allowed = [i for i in range(n) if search_filter.matches(metadata[i])]
    queries = clustered(20, seed=6)
    recall = []
    for i in range(len(queries)):
        hits = store.search_sync(queries.row(i), search_filter, k=10)
        assert all(search_filter.matches(h.metadata) for h in hits)
        recall.append(
            len({h.id for h in hits} & set(exact_top(data, queries.row(i), 10, allowed))) / 10
        )
    assert np.mean(recall) >= 0.98
    rare = SearchFilter(tenant_id=1, where={"price": Range(5, 6)})
    assert {h.id for h in store.search_sync(queries.row(0), rare, k=10)} == {"v5", "v6"}
    assert store.search_sync(queries.row(0), SearchFilter(1, {"region": "Hessen"}), k=10) == []


def test_upsert_replaces_and_delete_removes(tmp_path: Path) -> None:
    data = clustered(1000, seed=7)
    store = EmbeddedVectorStore(SPACE, options(tmp_path))
    store.upsert_sync(1, ids(1000), data)
    store.upsert_sync(1, ["v0"], data.row(999), [{"version": 2}])
    hits = store.search_sync(data.row(999), SearchFilter(1), k=2)
    assert {h.id for h in hits} == {"v0", "v999"}
    store.delete_sync(1, [f"v{i}" for i in range(0, 1000, 2)] + ["unknown"])
    assert store.count_sync(1) == 500
    hits = store.search_sync(data.row(998), SearchFilter(1), k=10)
    assert all(int(h.id[1:]) % 2 == 1 for h in hits)
    assert exact_top(data, data.row(998), 1, range(1, 1000, 2))[0] == hits[0].id


def test_other_spaces_are_refused(tmp_path: Path) -> None:
    store = EmbeddedVectorStore(SPACE, options(tmp_path))
    wider = clustered(3, seed=8, dimension=64)
    with pytest.raises(SpaceMismatchError):
        store.upsert_sync(1, ids(3), wider)
    same_size_other_model = Embeddings(
        EmbeddingSpace("other:model", 32), clustered(3, seed=8).vectors
    )
    with pytest.raises(SpaceMismatchError):
        store.upsert_sync(1, ids(3), same_size_other_model)
    with pytest.raises(SpaceMismatchError):
        store.search_sync(same_size_other_model.row(0), SearchFilter(1))


def test_save_and_reload(tmp_path: Path) -> None:
    data = clustered(2000, seed=9)
    opts = options(tmp_path)
    store = EmbeddedVectorStore(SPACE, opts)
    store.upsert_sync(
        1, ids(1500), Embeddings(SPACE, data.vectors[:1500]), [{"n": i} for i in range(1500)]
    )
    store.upsert_sync(
        2, [f"v{i}" for i in range(1500, 2000)], Embeddings(SPACE, data.vectors[1500:])
    )
    store.delete_sync(1, ["v3"])
    store.save(watermark={"sequence": 41})
    query = data.row(10)
    before = store.search_sync(query, SearchFilter(1), k=10)

    reloaded = EmbeddedVectorStore.open(SPACE, opts)
    assert not reloaded.needs_rebuild
    assert reloaded.watermark == {"sequence": 41}
    assert reloaded.count_sync(1) == 1499
    assert reloaded.count_sync(2) == 500
    assert reloaded.search_sync(query, SearchFilter(1), k=10) == before
    assert reloaded._partitions[1].index is not None  # the graph came from disk

    other = EmbeddedVectorStore.open(EmbeddingSpace("test:other", 32), opts)
    assert other.needs_rebuild
    assert other.count_sync() == 0


async def _source(data: Embeddings) -> AsyncIterator[VectorBatch]:
    """What the database would yield: rows of both tenants mixed, in batches."""
    for start in range(0, len(data), 250):
        rows = range(start, min(start + 250, len(data)))
        yield VectorBatch(
            ids=[f"v{i}" for i in rows],
            tenant_ids=[1 + i % 2 for i in rows],
            vectors=Embeddings(data.space, data.vectors[start : start + 250]),
            metadata=[{"region": "NRW"} for _ in rows],
        )


async def test_rebuild_after_the_index_files_are_lost(tmp_path: Path) -> None:
    data = clustered(1200, seed=10)
    opts = options(tmp_path)
    store = EmbeddedVectorStore(SPACE, opts)
    await store.rebuild(lambda: _source(data))
    store.save(watermark=7)
    shutil.rmtree(opts.directory)

    fresh = EmbeddedVectorStore.open(SPACE, opts)
    assert fresh.needs_rebuild
    assert await fresh.count() == 0
    await fresh.rebuild(lambda: _source(data))
    assert await fresh.count() == 1200
    assert await fresh.count(1) == 600
    hits = await fresh.search(data.row(4), SearchFilter(1, {"region": "NRW"}), k=3)
    assert hits[0].id == "v4"
    assert all(int(h.id[1:]) % 2 == 0 for h in hits)  # tenant 1 holds the even rows


def test_truncated_files_mean_rebuild(tmp_path: Path) -> None:
    data = clustered(100, seed=11)
    opts = options(tmp_path)
    store = EmbeddedVectorStore(SPACE, opts)
    store.upsert_sync(1, ids(100), data)
    store.save()
    (store.path / "tenant-1" / "vectors.npy").write_bytes(b"\x93NUMPY garbage")
    reopened = EmbeddedVectorStore.open(SPACE, opts)
    assert reopened.needs_rebuild
    assert reopened.count_sync() == 0


def test_replaying_writes_after_the_watermark_catches_up(tmp_path: Path) -> None:
    """A crash after the database commit but before the index write: the saved
    index misses the last writes; replaying from its watermark repairs it."""
    data = clustered(400, seed=12)
    opts = options(tmp_path)
    log = [("upsert", f"v{i}") for i in range(400)] + [("delete", f"v{i}") for i in range(40)]
    store = EmbeddedVectorStore(SPACE, opts)

    def apply(target: EmbeddedVectorStore, entries: list[tuple[str, str]]) -> None:
        for op, key in entries:
            if op == "upsert":
                target.upsert_sync(1, [key], data.row(int(key[1:])))
            else:
                target.delete_sync(1, [key])

    apply(store, log[:300])
    store.save(watermark=300)
    apply(store, log[300:350])  # written, then the process dies before the next save

    restarted = EmbeddedVectorStore.open(SPACE, opts)
    assert restarted.watermark == 300
    apply(restarted, log[restarted.watermark - 10 :])  # replaying a little too much is harmless
    assert restarted.ids(1) == {f"v{i}" for i in range(40, 400)}


def test_graph_partition_shrinks_back_to_exact(tmp_path: Path) -> None:
    data = clustered(800, seed=13)
    store = EmbeddedVectorStore(SPACE, options(tmp_path, compact_ratio=0.9))
    store.upsert_sync(1, ids(800), data, [{"all": True}] * 800)
    assert store._partitions[1].index is not None
    # A filter every record matches goes through the graph without a selector.
    assert store.search_sync(data.row(3), SearchFilter(1, {"all": True}), k=1)[0].id == "v3"
    store.delete_sync(1, [f"v{i}" for i in range(600)])
    assert store._partitions[1].index is None
    assert store.search_sync(data.row(700), SearchFilter(1), k=1)[0].id == "v700"
    assert store.count_sync(1) == 200


def test_writes_and_searches_go_on_while_the_graph_is_built(tmp_path: Path) -> None:
    data = clustered(6000, seed=14)
    store = EmbeddedVectorStore(SPACE, options(tmp_path, exact_below=3000))
    store.upsert_sync(1, ids(2999), Embeddings(SPACE, data.vectors[:2999]))
    crossing = threading.Thread(
        target=store.upsert_sync,
        args=(1, ["v2999"], Embeddings(SPACE, data.vectors[2999:3000])),
    )
    crossing.start()  # builds the graph for 3000 vectors outside the lock
    for start in range(3000, 6000, 500):
        store.upsert_sync(
            1,
            [f"v{i}" for i in range(start, start + 500)],
            Embeddings(SPACE, data.vectors[start : start + 500]),
        )
        assert store.search_sync(data.row(start), SearchFilter(1), k=1)[0].id == f"v{start}"
    store.delete_sync(1, ["v10"])
    crossing.join()
    part = store._partitions[1]
    assert part.index is not None
    assert part.index.ntotal == part.size == 6000
    assert store.count_sync(1) == 5999
    for i in (5, 2999, 4321, 5999):
        assert store.search_sync(data.row(i), SearchFilter(1), k=1)[0].id == f"v{i}"
    assert "v10" not in {h.id for h in store.search_sync(data.row(10), SearchFilter(1), k=5)}
