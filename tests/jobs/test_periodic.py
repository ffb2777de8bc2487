"""The periodic tick: daily jobs once per day however many schedulers, and retention."""

from __future__ import annotations

import socket
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.config import Settings
from handwerkml.db.engine import Database
from handwerkml.db.models import Job, JobWorker, Tenant
from handwerkml.jobs.periodic import tick
from handwerkml.kit.time import utcnow
from tests.jobs.conftest import make_worker


async def test_retention_runs_once_a_day_and_deletes_only_old_finished_jobs(
    settings: Settings, session: AsyncSession, tenant: Tenant, app: FastAPI
) -> None:
    await app.state.runner.stop()
    # The app's start ticked already and its workers may have run today's retention
    # job before the old jobs below existed; start the day afresh.
    await session.execute(delete(Job).where(Job.kind == "retention.cleanup"))
    await session.commit()
    now = utcnow()
    old = Job(
        tenant_id=tenant.id,
        kind="noop",
        status="succeeded",
        created_at=now - timedelta(days=40),
        finished_at=now - timedelta(days=40),
        not_before=now,
    )
    recent = Job(
        tenant_id=tenant.id,
        kind="noop",
        status="failed",
        created_at=now - timedelta(days=2),
        finished_at=now - timedelta(days=2),
        not_before=now,
    )
    stale_but_paused = Job(
        tenant_id=tenant.id,
        kind="noop",
        status="paused",
        created_at=now - timedelta(days=90),
        not_before=now,
    )
    session.add_all([old, recent, stale_but_paused])
    await session.commit()

    database = Database.connect(settings)
    try:
        # Two schedulers ticking (two API processes, or beat and a restart): one job.
        await tick(database, settings)
        await tick(database, settings)
        async with database.read() as db:
            daily = (await db.scalars(select(Job).where(Job.kind == "retention.cleanup"))).all()
        assert len(daily) == 1
        assert daily[0].dedupe_key == f"retention.cleanup:{now.date().isoformat()}"

        await make_worker(database, settings).drain()
        async with database.read() as db:
            left = set((await db.scalars(select(Job.id))).all())
            retention = await db.get(Job, daily[0].id)
    finally:
        await database.dispose()
    assert old.id not in left
    assert {recent.id, stale_but_paused.id} <= left
    assert retention is not None
    assert retention.status == "succeeded"


async def test_tick_frees_the_leases_of_a_dead_local_worker(
    settings: Settings, session: AsyncSession, tenant: Tenant, app: FastAPI
) -> None:
    await app.state.runner.stop()
    now = utcnow()
    dead = JobWorker(
        id="crashed", runner="inprocess", hostname=socket.gethostname(), pid=2**22 + 17
    )
    job = Job(
        tenant_id=tenant.id,
        kind="noop",
        status="running",
        not_before=now,
        lease_owner="crashed",
        lease_expires_at=now + timedelta(minutes=10),
        lease_token=3,
    )
    session.add_all([dead, job])
    await session.commit()
    database = Database.connect(settings)
    try:
        runnable = await tick(database, settings)
        async with database.read() as db:
            freed = await db.get(Job, job.id)
            gone = await db.get(JobWorker, "crashed")
    finally:
        await database.dispose()
    assert freed is not None
    assert freed.lease_expires_at is not None
    assert freed.lease_expires_at <= utcnow()
    assert gone is None
    assert runnable >= 1
