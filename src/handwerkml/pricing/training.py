"""Training as a job: the `pricing.train` kind, and the scheduler's automatic retraining.

One item trains one version (reads, then XGBoost in a thread, then one write), so
a crash leaves either the new version or nothing. The scheduler tick queues a
training for every tenant with enough newly finished projects since its last
version (or enough for a first one); the job's dedupe key names that version, so
two schedulers, or a retraining that did not beat the active model, never queue
the same run twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from handwerkml.config import Settings
from handwerkml.db.models import Job, PriceModel, Project
from handwerkml.db.upsert import dialect_insert
from handwerkml.jobs.kinds import (
    Item,
    ItemOutcome,
    ItemRejected,
    ItemSpec,
    JobContext,
    JobKind,
    register,
)
from handwerkml.pricing import service
from handwerkml.pricing.repository import finished

KIND = "pricing.train"


class TrainParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Literal["manual", "scheduled"] = "manual"
    n_estimators: int | None = Field(default=None, ge=1, le=2000)
    max_depth: int | None = Field(default=None, ge=1, le=10)
    learning_rate: float | None = Field(default=None, gt=0, le=1)


@register
class TrainPriceModel(JobKind[TrainParams]):
    name = KIND
    params = TrainParams

    async def plan(self, ctx: JobContext, params: TrainParams) -> Iterable[ItemSpec]:
        return [ItemSpec(label="train price model", stage="train")]

    async def run_item(self, ctx: JobContext, params: TrainParams, item: Item) -> ItemOutcome:
        if ctx.tenant_id is None:
            raise ValueError("pricing.train belongs to a tenant")
        overrides = params.model_dump(exclude={"reason"})
        try:
            version = await service.train_version(
                ctx.session, ctx.settings, ctx.tenant_id, overrides, job_id=ctx.job_id
            )
        except service.TooFewProjects as error:
            raise ItemRejected(str(error.detail[0]["msg"])) from error
        return ItemOutcome(result=_summary(version))

    async def finish(self, ctx: JobContext, params: TrainParams) -> dict[str, Any] | None:
        version = await ctx.session.scalar(
            select(PriceModel)
            .options(defer(PriceModel.model_bytes))
            .where(PriceModel.job_id == ctx.job_id, PriceModel.tenant_id == ctx.tenant_id)
        )
        return None if version is None else _summary(version)


def _summary(version: PriceModel) -> dict[str, Any]:
    return {
        "version": version.version,
        "status": version.status,
        "row_count": version.row_count,
        "mape": version.metrics["mape"],
        "baseline_mape": version.metrics["baseline"]["mape"],
        "interval_coverage": version.metrics["interval_coverage"],
    }


async def schedule_retraining(session: AsyncSession, settings: Settings, now: datetime) -> int:
    """Queue `pricing.train` for tenants due for one; how many were queued."""
    latest = (
        select(
            PriceModel.tenant_id,
            func.max(PriceModel.trained_at).label("trained_at"),
            func.max(PriceModel.version).label("version"),
        )
        .group_by(PriceModel.tenant_id)
        .subquery()
    )
    rows = await session.execute(
        select(Project.tenant_id, latest.c.version, func.count())
        .outerjoin(latest, latest.c.tenant_id == Project.tenant_id)
        .where(
            finished(),
            or_(latest.c.trained_at.is_(None), Project.finalized_at > latest.c.trained_at),
        )
        .group_by(Project.tenant_id, latest.c.version)
    )
    queued = 0
    for tenant_id, version, count in rows.all():
        needed = (
            settings.pricing_min_training_projects
            if version is None
            else settings.pricing_retrain_after
        )
        if count < needed:
            continue
        insert = dialect_insert(session, Job).values(
            tenant_id=tenant_id,
            kind=KIND,
            params=TrainParams(reason="scheduled").model_dump(mode="json"),
            priority=-5,
            status="queued",
            dedupe_key=f"{KIND}:{tenant_id}:after-v{version or 0}",
            created_at=now,
            not_before=now,
            lease_token=0,
        )
        result = await session.execute(insert.on_conflict_do_nothing())
        queued += result.rowcount or 0  # type: ignore[attr-defined]
    return queued
