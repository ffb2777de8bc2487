"""Embeddings already computed, by model and text, so no text is embedded twice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from handwerkml.db.base import Base
from handwerkml.db.types import UTCDateTime
from handwerkml.kit.time import utcnow


class EmbeddingCacheEntry(Base):
    """Content-addressed, so shared by all tenants: the key reveals nothing but a hash."""

    __tablename__ = "embedding_cache"

    model_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    # "query" or "passage": retrieval models embed the two differently.
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    # SHA-256 (hex) of the normalised text.
    text_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    dimension: Mapped[int] = mapped_column(Integer)
    # float32, little-endian, `dimension` values.
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
