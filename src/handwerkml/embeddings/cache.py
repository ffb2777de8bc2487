"""An embedding provider in front of another: texts embedded before are never sent again.

Keyed by (model id, kind, SHA-256 of the normalised text). The database table is
the source of truth and survives restarts; an in-process LRU in front of it saves
the round trip for texts seen again soon (a query typed twice, a chunk shared by
two documents). Hits and misses are counted for /metrics.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from prometheus_client import CollectorRegistry, Counter
from sqlalchemy import select

from handwerkml.db.engine import Database
from handwerkml.db.models import EmbeddingCacheEntry
from handwerkml.db.upsert import dialect_insert
from handwerkml.embeddings.base import (
    EmbeddingKind,
    EmbeddingProvider,
    Embeddings,
    EmbeddingSpace,
    FloatMatrix,
)
from handwerkml.kit.time import utcnow

_SPACES = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """The form a text is embedded and hashed in: NFC, single spaces, trimmed.

    NFC first, so "Dämmung" typed with a combining umlaut is the same text.
    """
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class CacheMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.lookups = Counter(
            "handwerkml_embedding_cache_total",
            "Embedding look-ups by where the vector came from (memory, database, model)",
            ["model", "source"],
            registry=registry,
        )


class CachedEmbeddings:
    """An EmbeddingProvider: the wrapped provider sees only texts never embedded before."""

    def __init__(
        self,
        provider: EmbeddingProvider,
        database: Database,
        metrics: CacheMetrics,
        *,
        memory_entries: int = 10_000,
    ) -> None:
        self.provider = provider
        self.database = database
        self.metrics = metrics
        self.memory_entries = memory_entries
        self._memory: OrderedDict[tuple[str, str], FloatMatrix] = OrderedDict()

    @property
    def space(self) -> EmbeddingSpace:
        return self.provider.space

    async def embed(self, texts: Sequence[str], kind: EmbeddingKind = "passage") -> Embeddings:
        space = self.space
        normalized = [normalize_text(text) for text in texts]
        keys = [text_hash(text) for text in normalized]
        found: dict[str, FloatMatrix] = {}
        for key in dict.fromkeys(keys):
            vector = self._remember(kind, key)
            if vector is not None:
                found[key] = vector
        self._count("memory", len(found))

        # Queries stay in memory: a new query embeds in a few milliseconds, and writing it
        # to the table cost more than that (a commit per search on SQLite). Passages are
        # what is worth keeping across processes and restarts.
        wanted = [key for key in dict.fromkeys(keys) if key not in found]
        stored = await self._load(kind, wanted) if wanted and kind == "passage" else {}
        found |= stored
        self._count("database", len(stored))

        missing = {
            key: text for key, text in zip(keys, normalized, strict=True) if key not in found
        }
        if missing:
            fresh = await self.provider.embed(list(missing.values()), kind)
            space.require(fresh.space)
            computed = dict(zip(missing, fresh.vectors, strict=True))
            if kind == "passage":
                await self._store(kind, computed)
            found |= computed
        self._count("model", len(missing))
        for key in dict.fromkeys(keys):
            self._keep(kind, key, found[key])
        if not keys:
            return Embeddings.empty(space)
        return Embeddings(space, np.stack([found[key] for key in keys]))

    def token_counter(self) -> Callable[[Sequence[str]], list[int]]:
        """How many model tokens each text is, for sizing chunks: exact where the
        provider has its tokenizer, else about four characters a token."""
        exact = getattr(self.provider, "token_counts", None)
        if exact is not None:
            counter: Callable[[Sequence[str]], list[int]] = exact
            return counter
        return lambda texts: [len(text) // 4 + 2 for text in texts]

    async def close(self) -> None:
        close = getattr(self.provider, "aclose", None)
        if close is not None:
            await close()

    def _count(self, source: str, unique: int) -> None:
        if unique:
            self.metrics.lookups.labels(self.space.model_id, source).inc(unique)

    def _remember(self, kind: str, key: str) -> FloatMatrix | None:
        vector = self._memory.get((kind, key))
        if vector is not None:
            self._memory.move_to_end((kind, key))
        return vector

    def _keep(self, kind: str, key: str, vector: FloatMatrix) -> None:
        self._memory[(kind, key)] = vector
        self._memory.move_to_end((kind, key))
        while len(self._memory) > self.memory_entries:
            self._memory.popitem(last=False)

    async def _load(self, kind: str, keys: list[str]) -> dict[str, FloatMatrix]:
        space = self.space
        query = select(EmbeddingCacheEntry.text_hash, EmbeddingCacheEntry.vector).where(
            EmbeddingCacheEntry.model_id == space.model_id,
            EmbeddingCacheEntry.kind == kind,
            EmbeddingCacheEntry.dimension == space.dimension,
            EmbeddingCacheEntry.text_hash.in_(keys),
        )
        async with self.database.read() as session:
            rows = (await session.execute(query)).all()
        return {key: np.frombuffer(blob, dtype="<f4").copy() for key, blob in rows}

    async def _store(self, kind: str, vectors: dict[str, FloatMatrix]) -> None:
        space, now = self.space, utcnow()
        rows: list[dict[str, Any]] = [
            {
                "model_id": space.model_id,
                "kind": kind,
                "text_hash": key,
                "dimension": space.dimension,
                "vector": np.asarray(vector, dtype="<f4").tobytes(),
                "created_at": now,
            }
            for key, vector in vectors.items()
        ]
        async with self.database.write() as session:
            # Another process may have embedded the same text meanwhile: same vector, keep one.
            insert = dialect_insert(session, EmbeddingCacheEntry)
            await session.execute(insert.on_conflict_do_nothing(), rows)
            await session.commit()
