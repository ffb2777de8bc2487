"""The rules of the jobs API: submit within quota, control, and read jobs of one tenant.

Other services start their jobs through `submit` too (documents, training, …),
so quotas and validation hold whichever endpoint creates the job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.config import Settings, TierLimits, limits_for
from handwerkml.db.models import Job, JobItem, JobWorker, Tenant
from handwerkml.jobs import repository
from handwerkml.jobs.kinds import all_kinds, get_kind
from handwerkml.jobs.schemas import JobFilters
from handwerkml.jobs.states import FINISHED, ItemStatus, JobStatus
from handwerkml.kit.errors import Conflict, NotFound, TooManyRequests, Unprocessable
from handwerkml.kit.pagination import Page
from handwerkml.kit.time import utcnow


async def _tenant_limits(session: AsyncSession, settings: Settings, tenant_id: int) -> TierLimits:
    tier = await session.scalar(select(Tenant.tier).where(Tenant.id == tenant_id))
    return limits_for(settings.tiers, tier)


def next_reset(now: datetime) -> datetime:
    return datetime.combine(now.date() + timedelta(days=1), time(), tzinfo=now.tzinfo)


async def check_quota(
    session: AsyncSession, settings: Settings, tenant_id: int, units: int
) -> None:
    """Refuse work that would take the tenant past its daily quota (429)."""
    if units <= 0:
        return
    now = utcnow()
    limit = (await _tenant_limits(session, settings, tenant_id)).daily_units
    used = await repository.units_used(session, tenant_id, now.date())
    reserved = await repository.units_reserved(session, tenant_id)
    if used + reserved + units <= limit:
        return
    reset = next_reset(now)
    raise TooManyRequests(
        f"Daily quota exceeded: the limit is {limit} chunks per day, {used} are used and "
        f"{reserved} reserved by unfinished jobs, this job needs about {units}. "
        f"The quota resets at {reset.isoformat().replace('+00:00', 'Z')}.",
        retry_after_seconds=int((reset - now).total_seconds()),
    )


async def submit(
    session: AsyncSession,
    settings: Settings,
    *,
    tenant_id: int,
    kind: str,
    params: dict[str, Any],
    priority: int = 0,
    direct: bool = True,
) -> Job:
    """Create a queued job; the caller commits and then notifies the runner.

    `direct` marks a request of POST /api/v1/jobs, which may start only the kinds
    that take their input there; services start their own kinds with direct=False.
    """
    job_kind = get_kind(kind)
    if job_kind is None or job_kind.system or (direct and not job_kind.submittable):
        choices = ", ".join(sorted(n for n, k in all_kinds().items() if k.submittable))
        raise Unprocessable(
            f"Unknown job kind {kind!r}; kinds that can be submitted: {choices}",
            loc=("body", "kind"),
        )
    parsed = job_kind.parse(params)
    units = job_kind.estimate_units(parsed)
    await check_quota(session, settings, tenant_id, units)
    return await _queue(session, tenant_id, kind, parsed.model_dump(mode="json"), priority, units)


async def submit_system(
    session: AsyncSession, *, kind: str, params: dict[str, Any], priority: int = 0
) -> Job:
    """Create a queued job of the installation (no tenant: none sees or pays for it)."""
    job_kind = get_kind(kind)
    if job_kind is None or not job_kind.system:
        raise ValueError(f"{kind!r} is not a system job kind")
    return await _queue(
        session, None, kind, job_kind.parse(params).model_dump(mode="json"), priority
    )


async def _queue(
    session: AsyncSession,
    tenant_id: int | None,
    kind: str,
    params: dict[str, Any],
    priority: int,
    units: int = 0,
) -> Job:
    now = utcnow()
    job = Job(
        tenant_id=tenant_id,
        kind=kind,
        params=params,
        priority=priority,
        status=JobStatus.queued,
        units_estimate=units,
        created_at=now,
        not_before=now,
        lease_token=0,
    )
    session.add(job)
    await session.flush()
    return job


async def get_job(session: AsyncSession, tenant_id: int, job_id: int) -> Job:
    job = await session.scalar(select(Job).where(Job.id == job_id, Job.tenant_id == tenant_id))
    if job is None:
        raise NotFound("Job", job_id)
    return job


def _filtered(tenant_id: int, filters: JobFilters) -> Select[Job]:
    query = select(Job).where(Job.tenant_id == tenant_id)
    if filters.status is not None:
        query = query.where(Job.status == filters.status)
    if filters.kind is not None:
        query = query.where(Job.kind == filters.kind)
    if filters.created_after is not None:
        query = query.where(Job.created_at >= filters.created_after)
    if filters.created_before is not None:
        query = query.where(Job.created_at < filters.created_before)
    return query


async def list_jobs(
    session: AsyncSession, tenant_id: int, filters: JobFilters, page: Page
) -> tuple[list[Job], int]:
    query = _filtered(tenant_id, filters)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(query.order_by(Job.id.desc()).offset(page.skip).limit(page.limit))
    return list(rows.all()), int(total or 0)


async def list_items(
    session: AsyncSession, tenant_id: int, job_id: int, status: ItemStatus | None, page: Page
) -> tuple[list[JobItem], int]:
    await get_job(session, tenant_id, job_id)
    query = select(JobItem).where(JobItem.job_id == job_id)
    if status is not None:
        query = query.where(JobItem.status == status)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(query.order_by(JobItem.seq).offset(page.skip).limit(page.limit))
    return list(rows.all()), int(total or 0)


async def stages(session: AsyncSession, job_id: int) -> dict[str, dict[str, int]]:
    return await repository.progress_by_stage(session, job_id)


# -- control ---------------------------------------------------------------------------
# Each of these bumps the lease token: a worker in the middle of an item finds its
# commit refused and rolls the item back, so stored results stay consistent.


async def _transition(
    session: AsyncSession,
    tenant_id: int,
    job_id: int,
    *,
    allowed: tuple[JobStatus, ...],
    action: str,
    **values: Any,
) -> Job:
    job = await get_job(session, tenant_id, job_id)
    result = await session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status.in_(allowed))
        .values(lease_token=Job.lease_token + 1, lease_owner=None, lease_expires_at=None, **values)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        await session.refresh(job)
        raise Conflict(f"Job {job_id} is {job.status}; it cannot be {action}")
    await session.refresh(job)
    return job


async def cancel(session: AsyncSession, tenant_id: int, job_id: int) -> Job:
    return await _transition(
        session,
        tenant_id,
        job_id,
        allowed=(JobStatus.queued, JobStatus.running, JobStatus.paused),
        action="cancelled",
        status=JobStatus.cancelled,
        finished_at=utcnow(),
    )


async def pause(session: AsyncSession, tenant_id: int, job_id: int) -> Job:
    return await _transition(
        session,
        tenant_id,
        job_id,
        allowed=(JobStatus.queued, JobStatus.running),
        action="paused",
        status=JobStatus.paused,
    )


async def resume(session: AsyncSession, tenant_id: int, job_id: int) -> Job:
    # Back to queued: it waits for a free slot of its tenant like a new job.
    return await _transition(
        session,
        tenant_id,
        job_id,
        allowed=(JobStatus.paused,),
        action="resumed",
        status=JobStatus.queued,
        not_before=utcnow(),
    )


async def retry_failed(session: AsyncSession, tenant_id: int, job_id: int) -> Job:
    """Give the failed items of a job new attempts, reopening the job if it had ended."""
    job = await get_job(session, tenant_id, job_id)
    if job.status == JobStatus.cancelled:
        raise Conflict(f"Job {job_id} is cancelled; submit it again instead")
    reopened = await session.execute(
        update(JobItem)
        .where(JobItem.job_id == job_id, JobItem.status == ItemStatus.failed)
        .values(status=ItemStatus.pending, attempts=0, next_attempt_at=None, finished_at=None)
    )
    count = int(reopened.rowcount)  # type: ignore[attr-defined]
    if count == 0:
        raise Conflict(f"Job {job_id} has no failed items")
    values: dict[str, Any] = {"failed_items": Job.failed_items - count, "not_before": utcnow()}
    if job.status in FINISHED:
        values |= {"status": JobStatus.queued, "finished_at": None, "result": None}
    await session.execute(update(Job).where(Job.id == job_id).values(**values))
    await session.refresh(job)
    return job


# -- monitoring ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueSnapshot:
    depth: list[dict[str, int]]
    active: int
    waiting: int
    oldest_queued_seconds: float | None


async def queue_snapshot(session: AsyncSession, tenant_id: int | None) -> QueueSnapshot:
    """Depth per priority (of one tenant, or of everyone for None)."""
    now = utcnow()
    scope = select(Job.priority, Job.status, func.count()).where(
        Job.status.in_((JobStatus.queued, JobStatus.running, JobStatus.paused))
    )
    if tenant_id is not None:
        scope = scope.where(Job.tenant_id == tenant_id)
    depth: dict[int, dict[str, int]] = {}
    for priority, status, count in await session.execute(scope.group_by(Job.priority, Job.status)):
        row = depth.setdefault(
            priority, {"priority": priority, "queued": 0, "running": 0, "paused": 0}
        )
        row[status] = count
    active_query = select(func.count()).where(Job.lease_expires_at >= now)
    oldest_query = select(func.min(Job.created_at)).where(Job.status == JobStatus.queued)
    if tenant_id is not None:
        active_query = active_query.where(Job.tenant_id == tenant_id)
        oldest_query = oldest_query.where(Job.tenant_id == tenant_id)
    active = int(await session.scalar(active_query) or 0)
    oldest = await session.scalar(oldest_query)
    rows = sorted(depth.values(), key=lambda row: -row["priority"])
    waiting = sum(row["queued"] + row["running"] for row in rows) - active
    return QueueSnapshot(
        depth=rows,
        active=active,
        waiting=max(waiting, 0),
        oldest_queued_seconds=(now - oldest).total_seconds() if oldest else None,
    )


async def workers(session: AsyncSession) -> list[JobWorker]:
    return list((await session.scalars(select(JobWorker).order_by(JobWorker.id))).all())


def worker_alive(worker: JobWorker, settings: Settings, now: datetime) -> bool:
    # Three missed heartbeats (each lease/3) is a whole lease: the worker is gone.
    return (now - worker.heartbeat_at).total_seconds() <= settings.job_lease_seconds


async def alive_workers(session: AsyncSession, settings: Settings) -> int:
    now = utcnow()
    return sum(worker_alive(worker, settings, now) for worker in await workers(session))


async def leased_job_tenants(session: AsyncSession, job_ids: list[int]) -> dict[int, int | None]:
    if not job_ids:
        return {}
    rows = await session.execute(select(Job.id, Job.tenant_id).where(Job.id.in_(job_ids)))
    return {int(job_id): tenant for job_id, tenant in rows.all()}


async def summary(session: AsyncSession, settings: Settings, tenant_id: int) -> dict[str, Any]:
    by_status: dict[str, int] = {}
    by_kind: dict[str, int] = {}
    query = (
        select(
            Job.status, Job.kind, func.count(), func.sum(Job.done_items), func.sum(Job.failed_items)
        )
        .where(Job.tenant_id == tenant_id)
        .group_by(Job.status, Job.kind)
    )
    done = failed = 0
    for status, kind, count, items_done, items_failed in await session.execute(query):
        by_status[status] = by_status.get(status, 0) + count
        by_kind[kind] = by_kind.get(kind, 0) + count
        done += int(items_done or 0)
        failed += int(items_failed or 0)
    limits = await _tenant_limits(session, settings, tenant_id)
    return {
        "total": sum(by_status.values()),
        "by_status": by_status,
        "by_kind": by_kind,
        "items_done": done,
        "items_failed": failed,
        "units_used_today": await repository.units_used(session, tenant_id, utcnow().date()),
        "daily_quota": limits.daily_units,
        "concurrent_limit": limits.concurrent_jobs,
    }
