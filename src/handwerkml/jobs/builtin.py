"""Kinds every installation has: a no-op for measuring the queue, and retention clean-up."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, select

from handwerkml.db.models import Job
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
        return [ItemSpec(label="finished jobs")]

    async def run_item(self, ctx: JobContext, params: NoParams, item: Item) -> ItemOutcome:
        cutoff = utcnow() - timedelta(days=ctx.settings.job_retention_days)
        old = select(Job.id).where(Job.status.in_(FINISHED), Job.finished_at < cutoff)
        ids = list((await ctx.session.scalars(old)).all())
        if ids:
            await ctx.session.execute(delete(Job).where(Job.id.in_(ids)))
        return ItemOutcome(result={"deleted_jobs": len(ids)})
