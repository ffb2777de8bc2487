"""The embedded runner: asyncio workers inside the API process, with the app's lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from handwerkml.config import Settings
from handwerkml.db.engine import Database
from handwerkml.jobs.events import EventBus
from handwerkml.jobs.metrics import JobMetrics
from handwerkml.jobs.periodic import tick
from handwerkml.jobs.worker import Worker
from handwerkml.resources import Resources

logger = logging.getLogger(__name__)

# How much longer than a slice stopping waits for a worker's current item.
_GRACE_SECONDS = 5.0


class InProcessRunner:
    name = "inprocess"

    def __init__(
        self,
        settings: Settings,
        database: Database,
        events: EventBus,
        metrics: JobMetrics,
        resources: Resources,
    ) -> None:
        self.settings = settings
        self.database = database
        self.workers = [
            Worker(
                database=database,
                settings=settings,
                events=events,
                metrics=metrics,
                resources=resources,
                runner=self.name,
            )
            for _ in range(settings.job_workers)
        ]
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._loops: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        if not self.workers:
            return
        # The first tick frees the leases a crashed predecessor held, so its jobs
        # resume now instead of when the leases expire.
        await self._tick()
        for worker in self.workers:
            self._tasks.append(asyncio.create_task(worker.heartbeat_forever()))
            loop = asyncio.create_task(worker.run_forever(self._stop, self._wake))
            self._loops.append(loop)
            self._tasks.append(loop)
        self._tasks.append(asyncio.create_task(self._tick_forever()))

    async def stop(self) -> None:
        self._stop.set()
        await self.notify()
        if self._loops:
            # Let each worker finish the item in hand: cancelling it halfway through a
            # write would leave its transaction (on SQLite, the database's write lock)
            # to the garbage collector.
            await asyncio.wait(
                self._loops, timeout=self.settings.job_slice_seconds + _GRACE_SECONDS
            )
        self._loops.clear()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        for worker in self.workers:
            # A stopping process gives its jobs back now rather than at lease expiry.
            with contextlib.suppress(Exception):
                await worker.retire()

    async def notify(self) -> None:
        # set() wakes every current waiter; clearing at once re-arms the event.
        self._wake.set()
        self._wake.clear()

    async def _tick(self) -> None:
        try:
            if await tick(self.database, self.settings):
                await self.notify()
        except Exception:
            logger.exception("periodic tick failed")

    async def _tick_forever(self) -> None:
        while not self._stop.is_set():
            await asyncio.sleep(self.settings.job_tick_seconds)
            await self._tick()
