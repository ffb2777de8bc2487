"""The periodic tick: recover jobs of crashed local workers and create scheduled jobs.

The in-process runner calls `tick` from a timer task, the Celery runner from a
beat task; `tick` is idempotent, so two schedulers running at once do no harm.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.config import Settings
from handwerkml.db.engine import Database
from handwerkml.db.models import Job, JobWorker
from handwerkml.db.upsert import dialect_insert
from handwerkml.jobs.repository import count_runnable
from handwerkml.kit.time import utcnow
from handwerkml.pricing.training import schedule_retraining

logger = logging.getLogger(__name__)

# Kinds the scheduler starts once per UTC day.
DAILY_KINDS = ("retention.cleanup",)
# A worker row this old belongs to a worker that is gone; monitoring forgets it.
_FORGET_WORKERS_AFTER = timedelta(days=1)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def recover_dead_local_workers(session: AsyncSession, now: datetime) -> int:
    """Free at once the leases of workers on this host whose process is gone.

    A restarted API process would otherwise wait for the crashed one's leases to
    expire before resuming its jobs. Workers on other hosts lose theirs by expiry.
    """
    rows = await session.execute(
        select(JobWorker.id, JobWorker.pid).where(JobWorker.hostname == socket.gethostname())
    )
    dead = [wid for wid, pid in rows if pid != os.getpid() and not _process_alive(pid)]
    if dead:
        await session.execute(
            update(Job).where(Job.lease_owner.in_(dead)).values(lease_expires_at=now)
        )
        await session.execute(delete(JobWorker).where(JobWorker.id.in_(dead)))
        logger.warning("recovered the jobs of %d crashed local worker(s)", len(dead))
    await session.execute(
        delete(JobWorker).where(JobWorker.heartbeat_at < now - _FORGET_WORKERS_AFTER)
    )
    return len(dead)


async def insert_once(session: AsyncSession, **values: Any) -> None:
    """Insert a job unless one with the same dedupe_key exists."""
    await session.execute(dialect_insert(session, Job).values(**values).on_conflict_do_nothing())


async def schedule_daily(session: AsyncSession, now: datetime) -> None:
    for kind in DAILY_KINDS:
        await insert_once(
            session,
            kind=kind,
            params={},
            priority=-10,
            status="queued",
            dedupe_key=f"{kind}:{now.date().isoformat()}",
            created_at=now,
            not_before=now,
            lease_token=0,
        )


async def tick(database: Database, settings: Settings) -> int:
    """One round of housekeeping; returns how many jobs are runnable right now."""
    now = utcnow()
    async with database.write() as session:
        await recover_dead_local_workers(session, now)
        await schedule_daily(session, now)
        await schedule_retraining(session, settings, now)
        await session.commit()
    async with database.read() as session:
        return await count_runnable(session, utcnow())
