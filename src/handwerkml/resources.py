"""The long-lived objects one process builds from the settings and shares.

The app's lifespan and each worker process build one `Resources`; requests and
job items borrow it. Everything in it is created lazily (a model is loaded, a
vector store opened, on first use), so a process that never searches never
pays for them.
"""

from __future__ import annotations

from dataclasses import dataclass

from handwerkml.config import Settings
from handwerkml.db.engine import Database
from handwerkml.embeddings.cache import CacheMetrics
from handwerkml.vectors.index import VectorIndex


@dataclass(slots=True)
class Resources:
    vectors: VectorIndex

    @classmethod
    def build(cls, settings: Settings, database: Database, metrics: CacheMetrics) -> Resources:
        return cls(vectors=VectorIndex(settings, database, metrics))

    async def close(self) -> None:
        await self.vectors.close()
