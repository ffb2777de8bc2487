"""Follow one job until it ends: the source of the SSE and WebSocket progress streams."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from handwerkml.db.engine import Database
from handwerkml.jobs import service
from handwerkml.jobs.events import EventBus
from handwerkml.jobs.schemas import JobRead, job_read
from handwerkml.jobs.states import FINISHED
from handwerkml.kit.errors import NotFound

# Re-read the job at least this often, in case an event was lost.
POLL_SECONDS = 2.0
# Updates closer together than this are merged, so a fast job cannot flood a client.
MIN_INTERVAL = 0.1


async def follow(
    database: Database, events: EventBus, tenant_id: int, job_id: int
) -> AsyncIterator[JobRead]:
    """Yield the job now and after every change, ending with its final state."""
    async with events.subscribe(job_id) as inbox:
        last: JobRead | None = None
        while True:
            try:
                async with database.read() as session:
                    job = await service.get_job(session, tenant_id, job_id)
                    stages = await service.stages(session, job_id)
            except NotFound:
                return  # deleted while followed (retention)
            view = job_read(job, stages)
            if view != last:
                yield view
                last = view
            if view.status in FINISHED:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(inbox.get(), POLL_SECONDS)
            await asyncio.sleep(MIN_INTERVAL)
            while not inbox.empty():
                inbox.get_nowait()
