"""Kinds every installation has: a no-op for measuring the queue, and retention clean-up."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, delete, or_, select

from handwerkml.db.models import (
    Document,
    EmbeddingCacheEntry,
    Job,
    StoredFile,
    Tender,
    VectorCollection,
    VectorRecord,
)
from handwerkml.documents.storage import FileStore
from handwerkml.jobs.kinds import (
    Item,
    ItemOutcome,
    ItemSpec,
    JobContext,
    JobKind,
    NoParams,
    register,
)
from handwerkml.jobs.states import FINISHED
from handwerkml.kit.time import utcnow


class NoopParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: int = Field(default=10, ge=1, le=100_000, description="How many items to run")
    sleep_ms: float = Field(default=0, ge=0, le=10_000, description="Time each item takes")


@register
class Noop(JobKind[NoopParams]):
    """Items that do nothing but wait: shows and measures what the queue itself costs."""

    name = "noop"
    params = NoopParams
    submittable = True

    async def plan(self, ctx: JobContext, params: NoopParams) -> Iterable[ItemSpec]:
        return (ItemSpec(label=f"item {n}") for n in range(params.items))

    async def run_item(self, ctx: JobContext, params: NoopParams, item: Item) -> ItemOutcome:
        if params.sleep_ms:
            await asyncio.sleep(params.sleep_ms / 1000)
        return ItemOutcome()


@register
class RetentionCleanup(JobKind[NoParams]):
    """Deletes finished jobs (and, by cascade, their items) older than the retention period."""

    name = "retention.cleanup"
    params = NoParams
    system = True

    async def plan(self, ctx: JobContext, params: NoParams) -> Iterable[ItemSpec]:
        return [
            ItemSpec(label="finished jobs"),
            ItemSpec(label="embedding cache"),
            ItemSpec(label="stored files"),
        ]

    async def run_item(self, ctx: JobContext, params: NoParams, item: Item) -> ItemOutcome:
        if item.label == "embedding cache":
            return ItemOutcome(result={"freed_embeddings": await _free_embeddings(ctx)})
        if item.label == "stored files":
            return ItemOutcome(result={"freed_files": await _free_files(ctx)})
        cutoff = utcnow() - timedelta(days=ctx.settings.job_retention_days)
        old = select(Job.id).where(Job.status.in_(FINISHED), Job.finished_at < cutoff)
        ids = list((await ctx.session.scalars(old)).all())
        if ids:
            await ctx.session.execute(delete(Job).where(Job.id.in_(ids)))
        return ItemOutcome(result={"deleted_jobs": len(ids)})


async def _free_embeddings(ctx: JobContext) -> int:
    """Drop cached vectors no stored vector refers to any more (the document or
    project is gone), and search queries past the retention period.

    A day's grace: a writer embeds first and stores its rows after, so a brand-new
    entry may not have its reference yet.
    """
    now = utcnow()
    entry = EmbeddingCacheEntry
    referenced = (
        select(VectorRecord.id)
        .join(VectorCollection, VectorCollection.name == VectorRecord.collection)
        .where(
            VectorCollection.model_id == entry.model_id,
            VectorRecord.text_hash == entry.text_hash,
        )
        .exists()
    )
    passages = and_(
        entry.kind == "passage", entry.created_at < now - timedelta(days=1), ~referenced
    )
    freed = await ctx.session.execute(
        # Query vectors are no longer stored (embeddings/cache.py); older rows go.
        delete(entry).where(or_(passages, entry.kind != "passage")),
        execution_options={"synchronize_session": False},
    )
    return int(getattr(freed, "rowcount", 0) or 0)


async def _free_files(ctx: JobContext) -> int:
    """Delete uploaded files no document or tender refers to any more (after a day's grace for
    an upload whose document is being created); the bytes go after the commit."""
    referenced = (
        select(Document.id)
        .where(Document.tenant_id == StoredFile.tenant_id, Document.sha256 == StoredFile.sha256)
        .exists()
    ) | (
        # An imported GAEB bill keeps its original for the X84 export.
        select(Tender.id)
        .where(Tender.tenant_id == StoredFile.tenant_id, Tender.sha256 == StoredFile.sha256)
        .exists()
    )
    rows = (
        await ctx.session.execute(
            select(StoredFile.tenant_id, StoredFile.sha256).where(
                StoredFile.created_at < utcnow() - timedelta(days=1), ~referenced
            )
        )
    ).all()
    for tenant_id, digest in rows:
        await ctx.session.execute(
            delete(StoredFile).where(StoredFile.tenant_id == tenant_id, StoredFile.sha256 == digest)
        )
    store = FileStore(ctx.settings.data_dir / "files")

    async def unlink() -> None:
        for tenant_id, digest in rows:
            store.delete(tenant_id, digest)

    ctx.after_commit.append(unlink)
    return len(rows)
