"""The embedded vector store: exact numpy search for small tenants, faiss HNSW above.

Each tenant is its own partition, so a search can only ever touch its tenant's
vectors. Inside a partition, metadata filters become a bitmap that faiss checks
while it walks the graph (IDSelectorBitmap); when a filter leaves few records,
an exact scan of just those records is faster and exact, so that is used.

Why faiss (see docs/embeddings.md for the numbers): the same latency and recall
as hnswlib on our vectors, a wheel for every platform (hnswlib must be compiled),
filters evaluated in C++ during the search (hnswlib calls back into Python per
candidate), MIT licence.

Persistence: `save` writes each changed partition beside the database and a
manifest (space, tenants, the caller's watermark) last. `open` loads it when it
is complete and of the same space; otherwise the store starts empty and
`needs_rebuild` tells the caller to `rebuild` from the database, the source of
truth. Writes after the saved watermark are replayed by the caller; upserts and
deletes are idempotent, so replaying too much is harmless.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import numpy.typing as npt

from handwerkml.embeddings.base import Embeddings, EmbeddingSpace, FloatMatrix
from handwerkml.vectors.base import (
    Metadata,
    Range,
    RecordSource,
    Scalar,
    SearchFilter,
    SearchHit,
    VectorBatch,
    check_where,
    collection_name,
    upsert_metadata,
)

FORMAT = 1
MANIFEST = "manifest.json"
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class HnswOptions:
    directory: Path  # e.g. <directory of the SQLite file>/vectors
    # A partition switches from exact search to HNSW at this many live vectors
    # (exact: about 1-2 ms at 20k on 2 cores; the graph ~1 ms at any size).
    # Crossing it builds the graph inside that write, about 5 s at 20k.
    exact_below: int = 20_000
    # A filtered search scans exactly when at most this many records match.
    exact_filter_below: int = 20_000
    m: int = 32
    ef_construction: int = 200
    ef_search: int = 256
    # Rebuild a partition's graph once this share of its slots are deleted.
    compact_ratio: float = 0.25


class _RWLock:
    """Many searches at once (faiss releases the GIL), writes alone."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writing:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            while self._writing or self._readers:
                self._cond.wait()
            self._writing = True
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()


class _MetadataIndex:
    """Postings per (key, value) and a float column per key: a filter becomes a
    slot bitmap with numpy operations instead of a Python test per record."""

    def __init__(self) -> None:
        self._postings: dict[str, dict[Scalar, list[int]]] = {}
        self._arrays: dict[tuple[str, Scalar], npt.NDArray[np.int64]] = {}
        self._numbers: dict[str, npt.NDArray[np.float64]] = {}
        self._size = 0

    def add(self, start: int, metadata: Sequence[Metadata]) -> None:
        end = start + len(metadata)
        for column in self._numbers.values():
            if len(column) < end:
                self._grow()
                break
        self._size = max(self._size, end)
        for slot, meta in enumerate(metadata, start):
            for key, value in meta.items():
                self._postings.setdefault(key, {}).setdefault(value, []).append(slot)
                self._arrays.pop((key, value), None)
                if isinstance(value, int | float) and not isinstance(value, bool):
                    existing = self._numbers.get(key)
                    if existing is None:
                        column = self._numbers[key] = np.full(
                            max(self._capacity(), end), np.nan, dtype=np.float64
                        )
                    else:
                        if len(existing) < end:
                            self._grow()
                        column = self._numbers[key]
                    column[slot] = float(value)

    def _capacity(self) -> int:
        return max((len(c) for c in self._numbers.values()), default=self._size)

    def _grow(self) -> None:
        capacity = max(int(self._capacity() * 1.5), self._size + 1024)
        for key, column in self._numbers.items():
            grown = np.full(capacity, np.nan, dtype=np.float64)
            grown[: len(column)] = column
            self._numbers[key] = grown

    def _slots(self, key: str, value: Scalar) -> npt.NDArray[np.int64]:
        cached = self._arrays.get((key, value))
        if cached is None:
            cached = np.asarray(self._postings.get(key, {}).get(value, []), dtype=np.int64)
            self._arrays[(key, value)] = cached
        return cached

    def restrict(self, mask: BoolArray, where: Mapping[str, Any]) -> None:
        """Clear in `mask` every slot that fails a condition of `where`."""
        size = len(mask)
        for key, condition in where.items():
            if isinstance(condition, Range):
                column = self._numbers.get(key)
                if column is None:
                    mask[:] = False
                    return
                values = column[:size]
                ok = ~np.isnan(values)
                if condition.low is not None:
                    ok &= values >= condition.low
                if condition.high is not None:
                    ok &= values <= condition.high
                mask &= ok
            else:
                allowed = np.zeros(size, dtype=bool)
                accepted = condition if isinstance(condition, frozenset) else (condition,)
                for value in accepted:
                    slots = self._slots(key, value)
                    allowed[slots[slots < size]] = True
                mask &= allowed


class _Partition:
    """One tenant's vectors in slots; a deleted slot stays dead until compaction.

    Below the threshold the vectors live in `pending` (numpy) and are scanned
    exactly. Above it they live only in the faiss index (graph + flat storage,
    slot = faiss label), so a million vectors are not held twice.
    """

    def __init__(self, dimension: int, options: HnswOptions) -> None:
        self.dimension = dimension
        self.options = options
        self.pending: FloatMatrix = np.zeros((0, dimension), dtype=np.float32)
        self.alive: BoolArray = np.zeros(0, dtype=bool)
        self.size = 0
        self.keys: list[str] = []
        self.metadata: list[Metadata] = []
        self.slot_of: dict[str, int] = {}
        self.filters = _MetadataIndex()
        self.index: Any = None  # faiss.IndexHNSWFlat holding every slot, or None
        self._alive_bitmap: npt.NDArray[np.uint8] | None = None
        # Bumped whenever slots are renumbered or the graph appears or goes, so a
        # graph built outside the lock knows whether it still fits.
        self.generation = 0
        self.building = False
        self.dirty = True

    @property
    def live(self) -> int:
        return len(self.slot_of)

    @property
    def wants_graph(self) -> bool:
        return self.index is None and self.live >= self.options.exact_below

    def upsert(
        self, ids: Sequence[str], vectors: FloatMatrix, metadata: Sequence[Metadata]
    ) -> None:
        for key in ids:
            old = self.slot_of.pop(key, None)
            if old is not None:
                self.alive[old] = False
        start, needed = self.size, self.size + len(ids)
        if needed > len(self.alive):
            alive = np.zeros(max(needed, int(len(self.alive) * 1.5), 1024), dtype=bool)
            alive[:start] = self.alive[:start]
            self.alive = alive
        if self.index is None:
            if needed > len(self.pending):
                grown = np.zeros((len(self.alive), self.dimension), dtype=np.float32)
                grown[:start] = self.pending[:start]
                self.pending = grown
            self.pending[start:needed] = vectors
        else:
            # Graph labels are slot numbers: faiss numbers vectors in the order added.
            self.index.add(np.ascontiguousarray(vectors))
        self.alive[start:needed] = True
        for offset, (key, meta) in enumerate(zip(ids, metadata, strict=True)):
            self.slot_of[key] = start + offset
            self.keys.append(key)
            self.metadata.append(dict(meta))
        self.filters.add(start, metadata)
        self.size = needed
        self.dirty = True
        self._alive_bitmap = None
        self._maintain()

    def delete(self, ids: Sequence[str]) -> None:
        for key in ids:
            slot = self.slot_of.pop(key, None)
            if slot is not None:
                self.alive[slot] = False
                self.dirty = True
                self._alive_bitmap = None
        self._maintain()

    def _maintain(self) -> None:
        """Compact and drop the graph as needed. Building one is the caller's
        business (EmbeddedVectorStore._build_graph), outside the store's lock."""
        dead = self.size - self.live
        if self.size and dead > self.options.compact_ratio * self.size:
            self._compact()
        if self.index is not None and self.live < self.options.exact_below // 2:
            # Shrunk well below the threshold: exact is cheaper than the graph.
            self.pending = np.array(self._stored(), copy=True)
            self.index = None
            self.generation += 1

    def _stored(self) -> FloatMatrix:
        """Every slot's vector; a view into faiss's storage while there is a graph."""
        if self.index is None:
            return self.pending[: self.size]
        storage: Any = faiss.downcast_index(self.index.storage)  # an IndexFlat
        flat = faiss.rev_swig_ptr(storage.get_xb(), self.size * self.dimension)
        view: FloatMatrix = np.asarray(flat).reshape(self.size, self.dimension)
        return view

    def _compact(self) -> None:
        keep = np.flatnonzero(self.alive[: self.size])
        self.pending = np.ascontiguousarray(self._stored()[keep])
        self.index = None
        self.alive = np.ones(len(keep), dtype=bool)
        self.keys = [self.keys[i] for i in keep]
        self.metadata = [self.metadata[i] for i in keep]
        self.slot_of = {key: slot for slot, key in enumerate(self.keys)}
        self.size = len(keep)
        self.filters = _MetadataIndex()
        self.filters.add(0, self.metadata)
        self._alive_bitmap = None
        self.generation += 1

    def new_graph(self) -> Any:
        index = faiss.IndexHNSWFlat(self.dimension, self.options.m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = self.options.ef_construction
        return index

    def adopt_graph(self, index: Any, built_size: int) -> None:
        """Take a graph built from slots [0, built_size); add the slots written since."""
        if built_size < self.size:
            index.add(np.ascontiguousarray(self.pending[built_size : self.size]))
        self.index = index
        self.pending = np.zeros((0, self.dimension), dtype=np.float32)
        self.generation += 1

    def build_graph_now(self) -> None:
        if self.wants_graph:
            index = self.new_graph()
            index.add(self.pending[: self.size])
            self.adopt_graph(index, self.size)

    def record_mask(self, where: Mapping[str, Any]) -> BoolArray:
        mask = self.alive[: self.size].copy()
        self.filters.restrict(mask, where)
        return mask

    def _alive_bits(self) -> npt.NDArray[np.uint8]:
        # Unfiltered searches of a partition with deleted slots share one bitmap.
        if self._alive_bitmap is None:
            self._alive_bitmap = np.packbits(self.alive[: self.size], bitorder="little")
        return self._alive_bitmap

    def search(self, query: FloatMatrix, where: Mapping[str, Any], k: int) -> list[SearchHit]:
        if where:
            mask = self.record_mask(where)
            matching = int(np.count_nonzero(mask))
        else:
            mask, matching = self.alive[: self.size], self.live
        if matching == 0:
            return []
        if self.index is None:
            if matching * 8 < self.size:  # few rows: gathering them is cheaper
                slots = np.flatnonzero(mask)
                return self._hits(slots, self.pending[slots] @ query[0], k)
            scores = self.pending[: self.size] @ query[0]
            slots = np.flatnonzero(mask)
            return self._hits(slots, scores[slots], k)
        if where and matching <= self.options.exact_filter_below:
            # Few matches: a flat scan of just those beats walking the graph.
            params = faiss.SearchParameters()
            target = self.index.storage
        else:
            params = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]
            params.efSearch = max(self.options.ef_search, k)
            target = self.index
        bits = None
        if matching < self.size:
            bits = np.packbits(mask, bitorder="little") if where else self._alive_bits()
            params.sel = faiss.IDSelectorBitmap(self.size, faiss.swig_ptr(bits))
        scores, labels = target.search(query, k, params=params)
        del bits  # kept alive until here: the selector points into it
        found = labels[0] >= 0
        return self._hits(labels[0][found], scores[0][found], k)

    def _hits(self, slots: npt.NDArray[np.int64], scores: FloatMatrix, k: int) -> list[SearchHit]:
        if len(slots) > k:
            top = np.argpartition(-scores, k - 1)[:k]
            slots, scores = slots[top], scores[top]
        order = np.argsort(-scores, kind="stable")
        return [
            SearchHit(self.keys[int(slots[i])], float(scores[i]), self.metadata[int(slots[i])])
            for i in order
        ]

    # --- persistence -------------------------------------------------------
    def save(self, directory: Path) -> None:
        # Dead slots are written too (with the alive mask): compacting here would
        # mean rebuilding the graph inside the store's lock.
        tmp = directory.with_name(directory.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        (tmp / "records.json").write_text(
            json.dumps({"keys": self.keys, "metadata": self.metadata}), encoding="utf-8"
        )
        np.save(tmp / "alive.npy", self.alive[: self.size])
        # The faiss file holds the vectors too; vectors.npy only without a graph.
        if self.index is not None:
            faiss.write_index(self.index, str(tmp / "hnsw.faiss"))
        else:
            np.save(tmp / "vectors.npy", self.pending[: self.size])
        _replace_dir(tmp, directory)
        self.dirty = False

    @classmethod
    def load(cls, directory: Path, dimension: int, options: HnswOptions) -> _Partition:
        part = cls(dimension, options)
        records = json.loads((directory / "records.json").read_text(encoding="utf-8"))
        part.size = len(records["keys"])
        index_path = directory / "hnsw.faiss"
        if index_path.exists():
            part.index = faiss.read_index(str(index_path))
            if part.index.ntotal != part.size or part.index.d != dimension:
                raise ValueError(f"{directory}: index and records disagree")
        else:
            vectors = np.load(directory / "vectors.npy")
            if vectors.shape != (part.size, dimension):
                raise ValueError(f"{directory}: vectors and records disagree")
            part.pending = np.ascontiguousarray(vectors, dtype=np.float32)
        alive = np.load(directory / "alive.npy")
        if alive.shape != (part.size,) or alive.dtype != np.bool_:
            raise ValueError(f"{directory}: alive mask and records disagree")
        part.alive = alive
        part.keys = list(records["keys"])
        part.metadata = list(records["metadata"])
        part.slot_of = {part.keys[slot]: slot for slot in np.flatnonzero(alive).tolist()}
        part.filters.add(0, part.metadata)
        part._maintain()
        part.build_graph_now()  # opening happens before serving: no one waits on the lock
        part.dirty = False
        return part


def _replace_dir(new: Path, target: Path) -> None:
    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)


class EmbeddedVectorStore:
    """In-process store for one embedding space; implements vectors.base.VectorStore."""

    def __init__(self, space: EmbeddingSpace, options: HnswOptions) -> None:
        self._space = space
        self._options = options
        self._partitions: dict[int, _Partition] = {}
        self._lock = _RWLock()
        self._claims = threading.Lock()
        self.path = options.directory / collection_name(space)
        self.watermark: Any = None
        self.needs_rebuild = True

    @classmethod
    def open(cls, space: EmbeddingSpace, options: HnswOptions) -> EmbeddedVectorStore:
        """Load the saved state; on anything missing or foreign, start empty and flag it."""
        store = cls(space, options)
        try:
            store._load()
        except (OSError, ValueError, KeyError, RuntimeError):
            store._partitions = {}
            store.watermark = None
            store.needs_rebuild = True
        return store

    @property
    def space(self) -> EmbeddingSpace:
        return self._space

    # --- sync API (threads, CLI, benchmarks) -----------------------------
    def upsert_sync(
        self,
        tenant_id: int,
        ids: Sequence[str],
        vectors: Embeddings,
        metadata: Sequence[Metadata] | None = None,
    ) -> None:
        meta = upsert_metadata(self._space, ids, vectors, metadata)
        with self._lock.write():
            part = self._partitions.get(tenant_id)
            if part is None:
                part = self._partitions[tenant_id] = _Partition(
                    self._space.dimension, self._options
                )
            part.upsert(list(ids), vectors.vectors, meta)
        self._build_graph(tenant_id)

    def delete_sync(self, tenant_id: int, ids: Sequence[str]) -> None:
        with self._lock.write():
            part = self._partitions.get(tenant_id)
            if part is not None:
                part.delete(list(ids))
        self._build_graph(tenant_id)

    def _build_graph(self, tenant_id: int) -> None:
        """Give a partition that outgrew exact search its graph, built outside the
        lock (seconds to minutes) so searches and other writes go on meanwhile;
        the writes that land during the build are added when it is adopted."""
        with self._claims:
            part = self._partitions.get(tenant_id)
            if part is None or not part.wants_graph or part.building:
                return
            part.building = True
            # Slots [0, size) never change in place, and a reallocation or
            # compaction leaves this array object intact: no copy needed.
            source, size, generation = part.pending, part.size, part.generation
        try:
            index = part.new_graph()
            index.add(source[:size])
            with self._lock.write():
                if self._partitions.get(tenant_id) is part and part.generation == generation:
                    part.adopt_graph(index, size)
        finally:
            with self._claims:
                part.building = False
        # Compacted during the build: the slots moved, try again with the new ones.
        self._build_graph(tenant_id)

    def search_sync(
        self, query: Embeddings, search_filter: SearchFilter, *, k: int = 10
    ) -> list[SearchHit]:
        self._space.require(query.space)
        if len(query) != 1:
            raise ValueError(f"search takes one query vector, got {len(query)}")
        if k < 1:
            return []
        check_where(search_filter.where)
        with self._lock.read():
            part = self._partitions.get(search_filter.tenant_id)
            if part is None:
                return []
            return part.search(query.vectors, search_filter.where, k)

    def count_sync(self, tenant_id: int | None = None) -> int:
        with self._lock.read():
            if tenant_id is not None:
                part = self._partitions.get(tenant_id)
                return part.live if part else 0
            return sum(p.live for p in self._partitions.values())

    def ids(self, tenant_id: int) -> set[str]:
        """The ids held for a tenant, to reconcile with the database."""
        with self._lock.read():
            part = self._partitions.get(tenant_id)
            return set(part.slot_of) if part else set()

    def rebuild_sync(self, batches: Iterable[VectorBatch]) -> None:
        # Collected per tenant and inserted at once: faiss builds a graph in
        # parallel from one large batch, from one vector at a time it cannot.
        ids: dict[int, list[str]] = {}
        blocks: dict[int, list[FloatMatrix]] = {}
        metadata: dict[int, list[Metadata]] = {}
        for batch in batches:
            self._space.require(batch.vectors.space)
            tenants = np.asarray(batch.tenant_ids)
            for tenant_id in np.unique(tenants).tolist():
                rows = np.flatnonzero(tenants == tenant_id)
                positions = rows.tolist()
                ids.setdefault(tenant_id, []).extend(batch.ids[i] for i in positions)
                metadata.setdefault(tenant_id, []).extend(batch.metadata[i] for i in positions)
                blocks.setdefault(tenant_id, []).append(batch.vectors.vectors[rows])
        fresh: dict[int, _Partition] = {}
        for tenant_id, keys in ids.items():
            vectors = np.concatenate(blocks.pop(tenant_id))
            latest = {key: row for row, key in enumerate(keys)}  # the last row of an id wins
            rows = np.fromiter(latest.values(), dtype=np.int64, count=len(latest))
            part = fresh[tenant_id] = _Partition(self._space.dimension, self._options)
            part.upsert(list(latest), vectors[rows], [metadata[tenant_id][i] for i in rows])
            part.build_graph_now()  # not yet visible to searches: no lock held
        with self._lock.write():
            self._partitions = fresh
            self.needs_rebuild = False
            self.watermark = None
            shutil.rmtree(self.path, ignore_errors=True)

    def save(self, watermark: Any = None) -> None:
        """Write changed partitions, then the manifest; `watermark` is the caller's
        position in the database's change order (JSON-serialisable)."""
        with self._lock.write():
            self.path.mkdir(parents=True, exist_ok=True)
            for tenant_id, part in self._partitions.items():
                if part.dirty or not (self.path / f"tenant-{tenant_id}").exists():
                    part.save(self.path / f"tenant-{tenant_id}")
            for stale in self.path.glob("tenant-*"):
                name = stale.name.removeprefix("tenant-")
                if not name.isdigit() or int(name) not in self._partitions:
                    shutil.rmtree(stale, ignore_errors=True)
            manifest = {
                "format": FORMAT,
                "model_id": self._space.model_id,
                "dimension": self._space.dimension,
                "tenants": sorted(self._partitions),
                "watermark": watermark,
            }
            tmp = self.path / (MANIFEST + ".tmp")
            tmp.write_text(json.dumps(manifest), encoding="utf-8")
            os.replace(tmp, self.path / MANIFEST)
            self.watermark = watermark
            self.needs_rebuild = False

    def _load(self) -> None:
        manifest = json.loads((self.path / MANIFEST).read_text(encoding="utf-8"))
        if (
            manifest["format"] != FORMAT
            or manifest["model_id"] != self._space.model_id
            or manifest["dimension"] != self._space.dimension
        ):
            raise ValueError("saved index belongs to another space or format")
        self._partitions = {
            int(tenant): _Partition.load(
                self.path / f"tenant-{tenant}", self._space.dimension, self._options
            )
            for tenant in manifest["tenants"]
        }
        self.watermark = manifest["watermark"]
        self.needs_rebuild = False

    # --- async API (vectors.base.VectorStore) ----------------------------
    async def upsert(
        self,
        tenant_id: int,
        ids: Sequence[str],
        vectors: Embeddings,
        metadata: Sequence[Metadata] | None = None,
    ) -> None:
        await asyncio.to_thread(self.upsert_sync, tenant_id, ids, vectors, metadata)

    async def delete(self, tenant_id: int, ids: Sequence[str]) -> None:
        await asyncio.to_thread(self.delete_sync, tenant_id, ids)

    async def search(
        self, query: Embeddings, search_filter: SearchFilter, *, k: int = 10
    ) -> list[SearchHit]:
        return await asyncio.to_thread(self.search_sync, query, search_filter, k=k)

    async def count(self, tenant_id: int | None = None) -> int:
        return self.count_sync(tenant_id)

    async def flush(self) -> None:
        await asyncio.to_thread(self.save)

    async def close(self) -> None:
        pass  # nothing held open: the files are written by flush

    async def rebuild(self, source: RecordSource) -> None:
        # Read in the event loop (the source is an async database query), build
        # in a thread; only the vectors are held twice, briefly, per tenant.
        batches = [batch async for batch in source()]
        await asyncio.to_thread(self.rebuild_sync, batches)


__all__ = ["EmbeddedVectorStore", "HnswOptions", "Scalar", "collection_name"]
