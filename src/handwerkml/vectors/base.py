"""The vector store Protocol every backend implements, and the values it exchanges.

A store holds the vectors of one embedding space (model id + dimension) and
refuses any other. Every search names a tenant, and backends apply the tenant
and metadata filters inside the index query, never to its results.

The relational database is the source of truth: a store can be rebuilt from the
(id, tenant, vector, metadata) rows a `RecordSource` yields, and a crash
between the database commit and the index write is repaired by replaying rows.
"""

from __future__ import annotations

import math
import re
from collections.abc import AsyncIterable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeAlias

from handwerkml.embeddings.base import Embeddings, EmbeddingSpace

Scalar: TypeAlias = str | int | float | bool
Metadata: TypeAlias = Mapping[str, Scalar]


@dataclass(frozen=True, slots=True)
class Range:
    """Inclusive numeric bounds; None leaves a side open."""

    low: float | None = None
    high: float | None = None

    def contains(self, value: Scalar) -> bool:
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            return False
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)


# A condition on one metadata key: equal to a value, one of several values, or in a range.
Condition: TypeAlias = Scalar | frozenset[Scalar] | Range


@dataclass(frozen=True, slots=True)
class SearchFilter:
    """Which records a search may return. The tenant is not optional."""

    tenant_id: int
    where: Mapping[str, Condition] = field(default_factory=dict)

    def matches(self, metadata: Metadata) -> bool:
        for key, condition in self.where.items():
            if key not in metadata:
                return False
            value = metadata[key]
            if isinstance(condition, Range):
                if not condition.contains(value):
                    return False
            elif isinstance(condition, frozenset):
                if value not in condition:
                    return False
            elif value != condition:
                return False
        return True


@dataclass(frozen=True, slots=True)
class SearchHit:
    id: str
    score: float  # cosine similarity, higher is closer
    metadata: Metadata


@dataclass(frozen=True, slots=True)
class VectorBatch:
    """Rows as the database holds them, column-wise: row i is (ids[i], tenant_ids[i],
    vectors.vectors[i], metadata[i]). Column-wise because a rebuild reads millions."""

    ids: Sequence[str]
    tenant_ids: Sequence[int]
    vectors: Embeddings
    metadata: Sequence[Metadata]

    def __post_init__(self) -> None:
        sizes = {len(self.ids), len(self.tenant_ids), len(self.vectors), len(self.metadata)}
        if len(sizes) != 1:
            raise ValueError("ids, tenant_ids, vectors and metadata differ in length")


RecordSource: TypeAlias = Callable[[], AsyncIterable[VectorBatch]]
"""Yields every stored row of a space (the database's vectors), batch by batch."""


def upsert_metadata(
    space: EmbeddingSpace,
    ids: Sequence[str],
    vectors: Embeddings,
    metadata: Sequence[Metadata] | None,
) -> Sequence[Metadata]:
    """Check an upsert's arguments as every store must; the metadata, one per id."""
    space.require(vectors.space)
    if len(ids) != len(vectors):
        raise ValueError(f"{len(ids)} ids for {len(vectors)} vectors")
    if len(set(ids)) != len(ids):
        raise ValueError("duplicate ids in one upsert")
    meta = metadata if metadata is not None else [{}] * len(ids)
    if len(meta) != len(ids):
        raise ValueError(f"{len(meta)} metadata entries for {len(ids)} ids")
    return meta


def collection_name(space: EmbeddingSpace) -> str:
    """The name a backend gives a space's index (directory, collection): one per space."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", space.model_id).strip("_")
    return f"{slug}-{space.dimension}d"


def check_where(where: Mapping[str, object]) -> None:
    """Refuse conditions no backend can evaluate, before any backend sees them."""
    for key, condition in where.items():
        if isinstance(condition, float) and math.isnan(condition):
            raise ValueError(f"filter on {key!r}: NaN matches nothing")
        if not isinstance(condition, Range | frozenset | str | int | float | bool):
            raise TypeError(f"filter on {key!r}: unsupported condition {condition!r}")


class VectorStore(Protocol):
    @property
    def space(self) -> EmbeddingSpace: ...

    async def upsert(
        self,
        tenant_id: int,
        ids: Sequence[str],
        vectors: Embeddings,
        metadata: Sequence[Metadata] | None = None,
    ) -> None:
        """Insert or replace; replaying the same rows again is harmless."""
        ...

    async def delete(self, tenant_id: int, ids: Sequence[str]) -> None:
        """Remove; ids the store does not hold are ignored."""
        ...

    async def search(
        self, query: Embeddings, search_filter: SearchFilter, *, k: int = 10
    ) -> list[SearchHit]:
        """The k nearest records of the filter's tenant that match it, best first."""
        ...

    async def count(self, tenant_id: int | None = None) -> int: ...

    async def rebuild(self, source: RecordSource) -> None:
        """Drop everything held and load the rows `source` yields."""
        ...

    async def flush(self) -> None:
        """Make every write so far survive a restart (a no-op for stores that write
        through); the caller marks the database rows indexed only after this."""
        ...

    async def close(self) -> None: ...
