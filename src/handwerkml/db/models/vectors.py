"""Every vector the system holds, and the collections (one per embedding model) they form.

These rows are the source of truth; a vector store (vectors/) is an index over
them that can be lost and rebuilt. A row is written in the same transaction as
the thing it embeds, with `indexed` false; it turns true once the store holds
it durably. A crash in between leaves `indexed` false, and the next catch-up
writes the row to the store again (vectors/index.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from handwerkml.db.base import Base, IdMixin
from handwerkml.db.types import UTCDateTime
from handwerkml.kit.time import utcnow


class VectorCollection(Base):
    """All vectors of one embedding space. Exactly one is `active` (searched);
    a `building` one is being filled by a model migration; a `standby` one is the
    previous active, kept current so that switching back is instant."""

    __tablename__ = "vector_collections"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    model_id: Mapped[str] = mapped_column(String(200))
    dimension: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    # The model migration job filling a `building` collection.
    job_id: Mapped[int | None] = mapped_column(
        ForeignKey("jobs.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class VectorRecord(IdMixin, Base):
    __tablename__ = "vector_records"
    __table_args__ = (
        UniqueConstraint("collection", "tenant_id", "record_id"),
        # Catch-up reads the rows a store does not hold yet.
        Index("ix_vector_records_pending", "collection", "indexed"),
        Index("ix_vector_records_source", "source", "source_id"),
        # Retention frees cache entries no record refers to any more.
        Index("ix_vector_records_text_hash", "text_hash"),
    )

    collection: Mapped[str] = mapped_column(
        ForeignKey("vector_collections.name", ondelete="CASCADE")
    )
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    # What the vector embeds ("project", "chunk") and its id; record_id = "source:id".
    source: Mapped[str] = mapped_column(String(20))
    source_id: Mapped[int] = mapped_column(Integer)
    record_id: Mapped[str] = mapped_column(String(60))
    # Bumped on every change, so marking a row indexed cannot cover a newer write.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # A tombstone: the store must drop the record; the row goes once it has.
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    indexed: Mapped[bool] = mapped_column(Boolean, default=False)
    # The embedding cache key of the embedded text (embeddings/cache.py).
    text_hash: Mapped[str] = mapped_column(String(64))
    # float32, little-endian, the collection's dimension.
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    # Filterable fields (project type, region, price), as the store indexes them.
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
