"""Queries on jobs and their items: claiming under a lease, fencing, progress, usage.

Claiming is a compare-and-set on the job row: a worker may take a job only while
its lease is free (never held, released, or expired), and taking it increments
`lease_token`. Every later write of that worker names the token, so a worker that
lost its lease (it stalled, or the job was paused or cancelled) finds its writes
refused and rolls back instead of writing after its successor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    case,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.config import TierLimits, limits_for
from handwerkml.db.models import Job, JobItem, Tenant, TenantUsage
from handwerkml.db.upsert import dialect_insert
from handwerkml.jobs.states import RUNNABLE, ItemStatus, JobStatus


@dataclass(frozen=True, slots=True)
class Lease:
    job_id: int
    token: int
    owner: str
    # The previous holder's lease ran out: the job is being recovered, not started.
    recovered_from: str | None


_CLAIM_TRIES = 5
# The first key of the PostgreSQL advisory locks that serialise starts per tenant.
_TENANT_LOCK = 0x4A4F4253  # "JOBS"


def lease_is_free(now: datetime) -> ColumnElement[bool]:
    return or_(Job.lease_expires_at.is_(None), Job.lease_expires_at < now)


def _concurrency_limit(tiers: dict[str, TierLimits]) -> ColumnElement[int]:
    return case(
        {name: limits.concurrent_jobs for name, limits in tiers.items()},
        value=Tenant.tier,
        else_=limits_for(tiers, None).concurrent_jobs,
    )


def _candidates(
    now: datetime, tiers: dict[str, TierLimits], skip: list[int]
) -> Select[int, int, str, int | None, int, str | None]:
    """Runnable jobs, best first: priority, then the tenant with the fewest jobs being
    worked on right now, then the job that has waited longest for a worker."""
    running = (
        select(Job.tenant_id, func.count().label("n"))
        .where(Job.status == JobStatus.running)
        .group_by(Job.tenant_id)
        .subquery("running")
    )
    leased = (
        select(Job.tenant_id, func.count().label("n"))
        .where(Job.lease_expires_at >= now)
        .group_by(Job.tenant_id)
        .subquery("leased")
    )
    return (
        select(
            Job.id,
            Job.lease_token,
            Job.status,
            Job.tenant_id,
            _concurrency_limit(tiers),
            # An expired lease's holder: the claim below is then a recovery.
            Job.lease_owner,
        )
        .outerjoin(Tenant, Tenant.id == Job.tenant_id)
        .outerjoin(running, running.c.tenant_id == Job.tenant_id)
        .outerjoin(leased, leased.c.tenant_id == Job.tenant_id)
        .where(Job.status.in_(RUNNABLE), Job.not_before <= now, lease_is_free(now))
        .where(Job.id.not_in(skip))
        # A queued job starts only while its tenant is under its concurrent-job limit;
        # a job already running keeps its place.
        .where(
            or_(
                Job.status == JobStatus.running,
                Job.tenant_id.is_(None),
                func.coalesce(running.c.n, 0) < _concurrency_limit(tiers),
            )
        )
        .order_by(
            Job.priority.desc(),
            func.coalesce(leased.c.n, 0),
            Job.last_claimed_at.is_not(None),
            Job.last_claimed_at,
            Job.id,
        )
        .limit(1)
    )


async def claim(
    session: AsyncSession,
    *,
    owner: str,
    now: datetime,
    lease_seconds: float,
    tiers: dict[str, TierLimits],
) -> Lease | None:
    """Take the best runnable job under a fresh lease, or None when there is none."""
    postgres = session.get_bind().dialect.name == "postgresql"
    skip: list[int] = []
    # A candidate can be lost to another worker, or to its tenant's limit, between
    # the look and the take; then the next best one is tried.
    for _ in range(_CLAIM_TRIES):
        query = _candidates(now, tiers, skip)
        if postgres:
            # Many workers at once: each skips rows another is taking instead of queueing.
            query = query.with_for_update(of=Job, skip_locked=True)
        row = (await session.execute(query)).first()
        if row is None:
            return None
        job_id, token, status, tenant_id, limit, previous = row
        starts = status == JobStatus.queued and tenant_id is not None
        if starts and postgres:
            # Counting the tenant's running jobs and starting one more must be one step,
            # or two workers could both see room for one. (SQLite writes one at a time.)
            await session.execute(select(func.pg_advisory_xact_lock(_TENANT_LOCK, tenant_id)))
        take = (
            update(Job)
            .where(Job.id == job_id, Job.lease_token == token, lease_is_free(now))
            .where(Job.status.in_(RUNNABLE))
            .values(
                status=JobStatus.running,
                lease_owner=owner,
                lease_expires_at=now + timedelta(seconds=lease_seconds),
                lease_token=Job.lease_token + 1,
                last_claimed_at=now,
                # One attempt per start: the first, and each recovery from a lost lease.
                attempts=Job.attempts
                + case((or_(Job.started_at.is_(None), Job.lease_owner.is_not(None)), 1), else_=0),
            )
        )
        if starts:
            running = (
                select(func.count())
                .where(Job.tenant_id == tenant_id, Job.status == JobStatus.running)
                .scalar_subquery()
            )
            take = take.where(or_(Job.status == JobStatus.running, running < limit))
        if (await session.execute(take)).rowcount == 1:  # type: ignore[attr-defined]
            return Lease(job_id=job_id, token=token + 1, owner=owner, recovered_from=previous)
        skip.append(job_id)
    return None


def _held(lease: Lease) -> ColumnElement[bool]:
    return (Job.id == lease.job_id) & (Job.lease_token == lease.token)


async def fence(session: AsyncSession, lease: Lease, **values: Any) -> bool:
    """Update the job if `lease` still holds it; False means the lease is lost."""
    values = values or {"lease_owner": lease.owner}
    result = await session.execute(
        update(Job).where(_held(lease), Job.status == JobStatus.running).values(**values)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def extend(session: AsyncSession, lease: Lease, until: datetime) -> bool:
    return await fence(session, lease, lease_expires_at=until)


async def release(session: AsyncSession, lease: Lease, *, not_before: datetime) -> bool:
    """Give the job back to the scheduler (end of a time slice or items in back-off)."""
    # A new token, so a heartbeat already under way cannot extend the released lease.
    return await fence(
        session,
        lease,
        lease_owner=None,
        lease_expires_at=None,
        lease_token=Job.lease_token + 1,
        not_before=not_before,
    )


async def count_runnable(session: AsyncSession, now: datetime) -> int:
    """Jobs a worker could claim now (used to decide whether to wake workers)."""
    query = (
        select(func.count())
        .select_from(Job)
        .where(Job.status.in_(RUNNABLE), Job.not_before <= now, lease_is_free(now))
    )
    return int(await session.scalar(query) or 0)


async def due_items(session: AsyncSession, job_id: int, now: datetime, limit: int) -> list[JobItem]:
    query = (
        select(JobItem)
        .where(JobItem.job_id == job_id, JobItem.status == ItemStatus.pending)
        .where(or_(JobItem.next_attempt_at.is_(None), JobItem.next_attempt_at <= now))
        .order_by(JobItem.seq)
        .limit(limit)
    )
    return list((await session.scalars(query)).all())


async def next_retry_at(session: AsyncSession, job_id: int) -> datetime | None:
    """When the earliest item in back-off is due; None when no item is pending."""
    pending = select(func.count(), func.min(JobItem.next_attempt_at)).where(
        JobItem.job_id == job_id, JobItem.status == ItemStatus.pending
    )
    count, earliest = (await session.execute(pending)).one()
    if not count:
        return None
    return earliest if isinstance(earliest, datetime) else None


async def progress_by_stage(session: AsyncSession, job_id: int) -> dict[str, dict[str, int]]:
    query = (
        select(JobItem.stage, JobItem.status, func.count())
        .where(JobItem.job_id == job_id)
        .group_by(JobItem.stage, JobItem.status)
    )
    stages: dict[str, dict[str, int]] = {}
    for stage, status, count in await session.execute(query):
        counts = stages.setdefault(stage, {"done": 0, "failed": 0, "pending": 0, "total": 0})
        counts[status] = counts.get(status, 0) + count
        counts["total"] += count
    return stages


async def add_usage(session: AsyncSession, tenant_id: int, day: date, units: int) -> None:
    """Count `units` against the tenant's day, atomically on both engines."""
    insert = dialect_insert(session, TenantUsage).values(tenant_id=tenant_id, day=day, units=units)
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=["tenant_id", "day"],
            set_={"units": TenantUsage.units + insert.excluded.units},
        )
    )


async def units_used(session: AsyncSession, tenant_id: int, day: date) -> int:
    used = await session.scalar(
        select(TenantUsage.units).where(TenantUsage.tenant_id == tenant_id, TenantUsage.day == day)
    )
    return int(used or 0)


async def units_reserved(session: AsyncSession, tenant_id: int) -> int:
    """Units that unfinished jobs estimated but have not used yet."""
    reserved = await session.scalar(
        select(
            func.sum(
                case(
                    (Job.units_estimate > Job.units_used, Job.units_estimate - Job.units_used),
                    else_=0,
                )
            )
        ).where(
            Job.tenant_id == tenant_id,
            Job.status.in_((JobStatus.queued, JobStatus.running, JobStatus.paused)),
        )
    )
    return int(reserved or 0)
