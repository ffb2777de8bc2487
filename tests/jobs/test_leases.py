"""Leases at the worker level: expiry hands a job over, and the old holder is fenced off."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.config import Settings
from handwerkml.db.engine import Database
from handwerkml.db.models import Job, Tenant
from handwerkml.jobs import repository, service
from handwerkml.jobs.events import LocalEvents
from handwerkml.jobs.metrics import JobMetrics
from handwerkml.jobs.worker import Worker
from handwerkml.kit.time import utcnow
from tests.jobs.conftest import effect_counts


def _worker(database: Database, settings: Settings) -> Worker:
    return Worker(
        database=database,
        settings=settings,
        events=LocalEvents(),
        metrics=JobMetrics(CollectorRegistry()),
        runner="test",
    )


async def test_a_worker_that_stops_heartbeating_loses_its_job_to_another(
    settings: Settings, session: AsyncSession, tenant: Tenant, app: FastAPI
) -> None:
    await app.state.runner.stop()  # only the workers of this test may touch the job
    settings = settings.model_copy(update={"job_workers": 0, "job_lease_seconds": 0.5})
    database = Database.connect(settings)
    rescuer = _worker(database, settings)
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
        await _worker(database, settings).drain()
        async with database.read() as db:
            rows = {job.id: job for job in (await db.scalars(select(Job))).all()}
    finally:
        await database.dispose()
    assert rows[unknown.id].status == "failed"
    assert rows[unknown.id].last_error == "unknown job kind 'gone.kind'"
    assert rows[invalid.id].status == "failed"
    assert (rows[invalid.id].last_error or "").startswith("invalid parameters: 1 validation error")
    assert rows[fine.id].status == "succeeded"
