"""The Qdrant vector store: one collection per embedding space on a Qdrant server.

For operators who already run Qdrant (the old system did). Without a server,
qdrant-client's local mode (a directory, or ":memory:") runs the same code
against an embedded brute-force engine; the tests use it.

Tenants share the space's collection and are separated inside every query: a
`must` condition on the `tenant_id` payload, which is a keyword index with
`is_tenant` on a server. The global HNSW graph is switched off (m=0) and
per-tenant graphs are built instead (payload_m), Qdrant's recommended layout
for many tenants: each tenant gets its own graph, as in the embedded store.

Point ids are uuid5 of (tenant, record id). The old system used the record
UUID mod 2^31, so different records, of one tenant or of two, could overwrite
each other. uuid5 is deterministic, so an upsert of the same row replaces it and
replaying writes is harmless; the record id and tenant travel in the payload.
"""

from __future__ import annotations

import importlib.metadata
import logging
import math
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from qdrant_client import AsyncQdrantClient, models

from handwerkml.embeddings.base import Embeddings, EmbeddingSpace, SpaceMismatchError
from handwerkml.vectors.base import (
    Condition,
    Metadata,
    Range,
    RecordSource,
    Scalar,
    SearchFilter,
    SearchHit,
    check_where,
    collection_name,
    upsert_metadata,
)

TENANT = "tenant_id"
RECORD_ID = "record_id"
METADATA = "metadata"
# Fixed forever: changing it changes every point id and orphans stored points.
POINT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://handwerkml/qdrant/point")
MEMORY: Literal[":memory:"] = ":memory:"

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class QdrantOptions:
    """`url` for a Qdrant server; otherwise `path` for local mode (a directory,
    or ":memory:" in tests)."""

    url: str | None = None
    path: Path | Literal[":memory:"] | None = None
    api_key: str | None = None
    timeout_s: int = 30
    # The per-tenant graphs (Qdrant's payload_m); the defaults are the embedded
    # store's, measured there at recall@10 0.997 on 1M vectors.
    m: int = 32
    ef_construct: int = 200
    ef_search: int = 256
    batch_size: int = 256  # points per upsert/delete request

    def __post_init__(self) -> None:
        if (self.url is None) == (self.path is None):
            raise ValueError("give either a Qdrant url or a local path, not both or neither")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {self.batch_size}")

    @property
    def local(self) -> bool:
        return self.url is None


def point_id(tenant_id: int, record_id: str) -> str:
    """The Qdrant id of a record: the same row always lands on the same point."""
    return str(uuid.uuid5(POINT_NAMESPACE, f"{tenant_id}:{record_id}"))


def _metadata_key(key: str) -> str:
    # Quoted, so keys with dots or brackets stay one key; Qdrant has no escape
    # for a quote inside a quoted key.
    if '"' in key:
        raise ValueError(f"metadata key {key!r}: a double quote cannot be filtered on in Qdrant")
    return f'{METADATA}."{key}"'


def _tenant_condition(tenant_id: int) -> models.FieldCondition:
    # A string: is_tenant exists for keyword indexes only.
    return models.FieldCondition(key=TENANT, match=models.MatchValue(value=str(tenant_id)))


def _number(key: str, value: float) -> models.FieldCondition:
    # Numeric equality as a closed range: matches 3 and 3.0 alike (Python's ==),
    # where MatchValue takes no floats and tells int from float.
    return models.FieldCondition(key=key, range=models.Range(gte=value, lte=value))


def _condition(key: str, condition: Condition) -> models.Condition | None:
    """One metadata condition as a Qdrant condition; None when nothing can match."""
    path = _metadata_key(key)
    if isinstance(condition, Range):
        low, high = condition.low, condition.high
        # Stored values are finite (JSON has no infinity): an infinite bound is
        # an open side, or, pointing the other way, excludes everything.
        if low == math.inf or high == -math.inf:
            return None
        return models.FieldCondition(
            key=path,
            range=models.Range(
                gte=None if low == -math.inf else low, lte=None if high == math.inf else high
            ),
        )
    if isinstance(condition, frozenset):
        strings = [v for v in condition if isinstance(v, str)]
        others = [v for v in condition if not isinstance(v, str)]
        alternatives = [_condition(key, v) for v in others]
        if strings:
            alternatives.append(
                models.FieldCondition(key=path, match=models.MatchAny(any=sorted(strings)))
            )
        present = [a for a in alternatives if a is not None]
        if not present:
            return None
        return present[0] if len(present) == 1 else models.Filter(should=present)
    if isinstance(condition, str | bool):
        return models.FieldCondition(key=path, match=models.MatchValue(value=condition))
    if isinstance(condition, float) and math.isinf(condition):
        return None
    return _number(path, float(condition))


def _query_filter(search_filter: SearchFilter) -> models.Filter | None:
    must: list[models.Condition] = [_tenant_condition(search_filter.tenant_id)]
    for key, condition in search_filter.where.items():
        converted = _condition(key, condition)
        if converted is None:
            return None
        must.append(converted)
    return models.Filter(must=must)


def _index_schema(value: Scalar) -> models.PayloadSchemaParams:
    # enable_hnsw=False: only the tenant field gets its own graphs. Graphs per
    # metadata value would link records across tenants and multiply indexing
    # work; inside a tenant's graph Qdrant checks these fields while it walks.
    if isinstance(value, bool):
        return models.BoolIndexParams(type=models.BoolIndexType.BOOL, enable_hnsw=False)
    if isinstance(value, str):
        return models.KeywordIndexParams(type=models.KeywordIndexType.KEYWORD, enable_hnsw=False)
    return models.FloatIndexParams(type=models.FloatIndexType.FLOAT, enable_hnsw=False)


def _check_metadata(metadata: Metadata) -> None:
    for key, value in metadata.items():
        _metadata_key(key)
        if not isinstance(value, str | int | float | bool):
            raise TypeError(f"metadata {key!r}: unsupported value {value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"metadata {key!r}: {value} cannot be stored as JSON")


def _chunks(size: int, total: int) -> Iterator[range]:
    for start in range(0, total, size):
        yield range(start, min(start + size, total))


class QdrantVectorStore:
    """A Qdrant collection for one embedding space; implements vectors.base.VectorStore."""

    def __init__(
        self, space: EmbeddingSpace, options: QdrantOptions, client: AsyncQdrantClient
    ) -> None:
        self._space = space
        self._options = options
        self._client = client
        self.collection = collection_name(space)
        self._indexed: set[str] = set()  # payload fields known to have an index

    @classmethod
    async def open(cls, space: EmbeddingSpace, options: QdrantOptions) -> QdrantVectorStore:
        """Connect and create the space's collection if missing; refuse an existing
        collection of another dimension, distance or model."""
        if options.url is not None:
            # The client's own version check runs in a thread and warns from
            # there; open() checks instead, and reaches the server before serving.
            client = AsyncQdrantClient(
                url=options.url,
                api_key=options.api_key,
                timeout=options.timeout_s,
                check_compatibility=False,
            )
        elif options.path == MEMORY:
            client = AsyncQdrantClient(location=MEMORY)
        else:
            client = AsyncQdrantClient(path=str(options.path))
        store = cls(space, options, client)
        try:
            if options.url is not None:
                _check_server_version((await client.info()).version)
            if await client.collection_exists(store.collection):
                await store._adopt_existing()
            else:
                await store._create()
        except BaseException:
            await client.close()
            raise
        return store

    async def flush(self) -> None:
        """Nothing to do: every write waits until Qdrant has applied it (wait=True:
        in the server's write-ahead log; in local mode committed to SQLite)."""

    async def close(self) -> None:
        # Local mode holds a lock on its directory until closed.
        await self._client.close()

    async def __aenter__(self) -> QdrantVectorStore:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def space(self) -> EmbeddingSpace:
        return self._space

    async def _create(self) -> None:
        await self._client.create_collection(
            self.collection,
            vectors_config=models.VectorParams(
                size=self._space.dimension, distance=models.Distance.COSINE
            ),
            hnsw_config=models.HnswConfigDiff(
                m=0, payload_m=self._options.m, ef_construct=self._options.ef_construct
            ),
            metadata={"model_id": self._space.model_id, "dimension": self._space.dimension},
        )
        self._indexed = set()
        await self._ensure_index(
            TENANT, models.KeywordIndexParams(type=models.KeywordIndexType.KEYWORD, is_tenant=True)
        )

    async def _adopt_existing(self) -> None:
        info = await self._client.get_collection(self.collection)
        vectors = info.config.params.vectors
        if not isinstance(vectors, models.VectorParams):
            raise SpaceMismatchError(
                f"Qdrant collection {self.collection} has named vectors, not one vector per point"
            )
        if vectors.size != self._space.dimension:
            raise SpaceMismatchError(
                f"Qdrant collection {self.collection} holds {vectors.size}-d vectors, "
                f"{self._space.model_id} has {self._space.dimension}"
            )
        if vectors.distance != models.Distance.COSINE:
            raise SpaceMismatchError(
                f"Qdrant collection {self.collection} uses {vectors.distance.value} distance, "
                "not cosine"
            )
        owner = (info.config.metadata or {}).get("model_id")
        if owner is not None and owner != self._space.model_id:
            raise SpaceMismatchError(
                f"Qdrant collection {self.collection} holds vectors of {owner}, "
                f"not {self._space.model_id}"
            )
        self._indexed = set(info.payload_schema)
        await self._ensure_index(
            TENANT, models.KeywordIndexParams(type=models.KeywordIndexType.KEYWORD, is_tenant=True)
        )

    async def _ensure_index(self, field: str, schema: models.PayloadSchemaParams) -> None:
        if field in self._indexed:
            return
        # Local mode searches by brute force: a payload index has no effect there,
        # and qdrant-client warns when one is created. Only servers get them.
        if not self._options.local:
            await self._client.create_payload_index(
                self.collection, field_name=field, field_schema=schema, wait=True
            )
        self._indexed.add(field)

    async def _index_metadata(self, metadata: Sequence[Metadata]) -> None:
        for meta in metadata:
            for key, value in meta.items():
                path = _metadata_key(key)
                if path not in self._indexed:
                    await self._ensure_index(path, _index_schema(value))

    async def _write(
        self,
        tenant_ids: Sequence[int],
        ids: Sequence[str],
        vectors: Embeddings,
        metadata: Sequence[Metadata],
    ) -> None:
        for meta in metadata:
            _check_metadata(meta)
        await self._index_metadata(metadata)
        for rows in _chunks(self._options.batch_size, len(ids)):
            points = [
                models.PointStruct(
                    id=point_id(tenant_ids[i], ids[i]),
                    vector=vectors.vectors[i].tolist(),
                    payload={
                        TENANT: str(tenant_ids[i]),
                        RECORD_ID: ids[i],
                        METADATA: dict(metadata[i]),
                    },
                )
                for i in rows
            ]
            await self._client.upsert(self.collection, points=points, wait=True)

    async def upsert(
        self,
        tenant_id: int,
        ids: Sequence[str],
        vectors: Embeddings,
        metadata: Sequence[Metadata] | None = None,
    ) -> None:
        meta = upsert_metadata(self._space, ids, vectors, metadata)
        await self._write([tenant_id] * len(ids), ids, vectors, meta)

    async def delete(self, tenant_id: int, ids: Sequence[str]) -> None:
        # Qdrant ignores ids it does not hold.
        for rows in _chunks(self._options.batch_size, len(ids)):
            selector = models.PointIdsList(points=[point_id(tenant_id, ids[i]) for i in rows])
            await self._client.delete(self.collection, points_selector=selector, wait=True)

    async def search(
        self, query: Embeddings, search_filter: SearchFilter, *, k: int = 10
    ) -> list[SearchHit]:
        self._space.require(query.space)
        if len(query) != 1:
            raise ValueError(f"search takes one query vector, got {len(query)}")
        if k < 1:
            return []
        check_where(search_filter.where)
        query_filter = _query_filter(search_filter)
        if query_filter is None:  # an empty set of allowed values
            return []
        # Local mode is exact anyway and warns about search parameters.
        params = (
            None
            if self._options.local
            else models.SearchParams(hnsw_ef=max(self._options.ef_search, k))
        )
        response = await self._client.query_points(
            self.collection,
            query=query.vectors[0].tolist(),
            query_filter=query_filter,
            search_params=params,
            limit=k,
            with_payload=[RECORD_ID, METADATA],
        )
        return [_hit(point) for point in response.points]

    async def count(self, tenant_id: int | None = None) -> int:
        count_filter = (
            None if tenant_id is None else models.Filter(must=[_tenant_condition(tenant_id)])
        )
        result = await self._client.count(self.collection, count_filter=count_filter, exact=True)
        return result.count

    async def rebuild(self, source: RecordSource) -> None:
        """Drop the collection and load what the database yields. Searches during a
        rebuild see the rows loaded so far (and fail in the moment between drop
        and create): run it when the collection is lost or suspect, not routinely."""
        await self._client.delete_collection(self.collection)
        await self._create()
        async for batch in source():
            self._space.require(batch.vectors.space)
            await self._write(batch.tenant_ids, batch.ids, batch.vectors, batch.metadata)


def _major_minor(version: str) -> tuple[int, int] | None:
    parts = version.split(".")
    if len(parts) < 2 or not (parts[0].isdigit() and parts[1].isdigit()):
        return None
    return int(parts[0]), int(parts[1])


def _check_server_version(server: str) -> None:
    # qdrant-client supports servers at most one minor version away from its own.
    client = importlib.metadata.version("qdrant-client")
    ours, theirs = _major_minor(client), _major_minor(server)
    if ours is None or theirs is None or ours[0] != theirs[0] or abs(ours[1] - theirs[1]) > 1:
        logger.warning(
            "Qdrant server %s and qdrant-client %s may not work together "
            "(supported: at most one minor version apart)",
            server,
            client,
        )


def _hit(point: models.ScoredPoint) -> SearchHit:
    payload: dict[str, Any] = point.payload or {}
    return SearchHit(str(payload[RECORD_ID]), float(point.score), payload.get(METADATA, {}))


__all__ = ["MEMORY", "QdrantOptions", "QdrantVectorStore", "point_id"]
