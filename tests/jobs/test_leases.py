"""Leases at the worker level: expiry hands a job over, and the old holder is fenced off."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.config import Settings
from handwerkml.db.engine import Database
from handwerkml.db.models import Job, Tenant
from handwerkml.jobs import repository, service
from handwerkml.kit.time import utcnow
from tests.jobs.conftest import effect_counts, make_worker


async def test_a_worker_that_stops_heartbeating_loses_its_job_to_another(
    settings: Settings, session: AsyncSession, tenant: Tenant, app: FastAPI
) -> None:
    await app.state.runner.stop()  # only the workers of this test may touch the job
    settings = settings.model_copy(update={"job_workers": 0, "job_lease_seconds": 0.5})
    database = Database.connect(settings)
    rescuer = make_worker(database, settings)
    try:
        await rescuer.drain()  # the day's retention job, so that only ours is left
        job = await service.submit(
            session, settings, tenant_id=tenant.id, kind="test.effect", params={"items": 5}
        )
        await session.commit()
        async with database.write() as db:
            stalled = await repository.claim(
                db, owner="stalled-worker", now=utcnow(), lease_seconds=0.5, tiers=settings.tiers
            )
            await db.commit()
        assert stalled is not None
        assert stalled.job_id == job.id

        assert await rescuer.run_once() is False  # the lease still holds
        await asyncio.sleep(0.6)
        assert await rescuer.drain() >= 1

        async with database.read() as db:
            row = await db.scalar(select(Job).where(Job.id == job.id))
        assert row is not None
        assert (row.status, row.done_items, row.attempts) == ("succeeded", 5, 2)
        assert await effect_counts(database, job.id) == dict.fromkeys(range(5), 1)

        # The stalled worker wakes up and tries to write: refused, nothing changes.
        async with database.write() as db:
            assert await repository.fence(db, stalled, done_items=Job.done_items + 1) is False
            assert await repository.extend(db, stalled, utcnow()) is False
    finally:
        await database.dispose()


async def test_a_job_the_worker_cannot_run_fails_with_its_reason(
    settings: Settings, session: AsyncSession, tenant: Tenant, app: FastAPI
) -> None:
    """Rows written by another version (a kind since removed, params that no longer
    validate) end as failed jobs that say why; the worker goes on."""
    await app.state.runner.stop()
    settings = settings.model_copy(update={"job_workers": 0})
    unknown = Job(tenant_id=tenant.id, kind="gone.kind", params={}, not_before=utcnow())
    invalid = Job(tenant_id=tenant.id, kind="noop", params={"items": -1}, not_before=utcnow())
    fine = Job(tenant_id=tenant.id, kind="noop", params={"items": 2}, not_before=utcnow())
    session.add_all([unknown, invalid, fine])
    await session.commit()
    database = Database.connect(settings)
    try:
        await make_worker(database, settings).drain()
        async with database.read() as db:
            rows = {job.id: job for job in (await db.scalars(select(Job))).all()}
    finally:
        await database.dispose()
    assert rows[unknown.id].status == "failed"
    assert rows[unknown.id].last_error == "unknown job kind 'gone.kind'"
    assert rows[invalid.id].status == "failed"
    assert (rows[invalid.id].last_error or "").startswith("invalid parameters: 1 validation error")
    assert rows[fine.id].status == "succeeded"


async def test_two_workers_at_once_cannot_start_one_job_over_the_limit(
    settings: Settings, session: AsyncSession, tenant: Tenant, app: FastAPI
) -> None:
    """The tenant (free: 2 at once) runs one job; two workers claim at the same
    instant with two more queued. Exactly one may start."""
    await app.state.runner.stop()
    database = Database.connect(settings)
    try:
        await make_worker(database, settings).drain()  # the day's retention job
        for _ in range(3):
            await service.submit(session, settings, tenant_id=tenant.id, kind="noop", params={})
        await session.commit()
        async with database.write() as db:
            first = await repository.claim(
                db, owner="w0", now=utcnow(), lease_seconds=30, tiers=settings.tiers
            )
            await db.commit()
        assert first is not None

        async def claim(owner: str) -> repository.Lease | None:
            async with database.write() as db:
                lease = await repository.claim(
                    db, owner=owner, now=utcnow(), lease_seconds=30, tiers=settings.tiers
                )
                # Hold the transaction open a moment, as a slow worker would.
                await asyncio.sleep(0.2)
                await db.commit()
                return lease

        leases = await asyncio.gather(claim("w1"), claim("w2"))
        async with database.read() as db:
            running = await db.scalar(
                select(func.count()).where(Job.tenant_id == tenant.id, Job.status == "running")
            )
    finally:
        await database.dispose()
    assert sum(lease is not None for lease in leases) == 1
    assert running == settings.tiers["free"].concurrent_jobs
