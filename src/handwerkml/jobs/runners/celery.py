"""The scaled-out runner: `handwerkml worker` processes woken through Celery and Redis.

The broker carries no work, only wake-ups: a `drain` message makes one worker
claim and run jobs from the jobs table until nothing is runnable, and beat's
`tick` message sweeps for work nobody was woken for (retry back-offs, leases of
crashed workers). So a lost, duplicated or redelivered message costs at most a
claim query; the job rows alone decide what runs, and their leases decide who.

Celery's settings follow from that: acks_late with prefetch 1, so a killed worker's
message is redelivered, and a visibility timeout equal to the job lease.
"""

from __future__ import annotations

import asyncio
import logging
import math
import queue
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from celery import Celery
from celery.signals import worker_shutting_down
from prometheus_client import REGISTRY

from handwerkml.config import Settings
from handwerkml.db.engine import Database
from handwerkml.embeddings.cache import CacheMetrics
from handwerkml.jobs.events import RedisEvents
from handwerkml.jobs.kinds import load_kinds
from handwerkml.jobs.metrics import JobMetrics
from handwerkml.jobs.periodic import tick
from handwerkml.jobs.worker import Worker
from handwerkml.resources import Resources

logger = logging.getLogger(__name__)

DRAIN = "handwerkml.jobs.drain"
TICK = "handwerkml.jobs.tick"
T = TypeVar("T")


class WorkerProcess:
    """The asyncio side of one Celery worker process.

    Celery runs tasks in its own threads; our workers are coroutines. One event
    loop thread holds the database engines and `concurrency` workers, and each
    task borrows a worker and runs it there.
    """

    def __init__(self, settings: Settings, concurrency: int) -> None:
        load_kinds(settings)
        self.settings = settings
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="handwerkml-jobs", daemon=True
        )
        self._thread.start()
        self.database = Database.connect(settings)
        self.events = RedisEvents(settings.redis_url, settings.queue_name)
        metrics = JobMetrics(REGISTRY)
        self.resources = Resources.build(settings, self.database, CacheMetrics(REGISTRY))
        self.workers = [
            Worker(
                database=self.database,
                settings=settings,
                events=self.events,
                metrics=metrics,
                resources=self.resources,
                runner="celery",
            )
            for _ in range(concurrency)
        ]
        self._stopping = asyncio.Event()
        self._idle: queue.Queue[Worker] = queue.Queue()
        for worker in self.workers:
            self._idle.put(worker)
        self._heartbeats = [
            asyncio.run_coroutine_threadsafe(worker.heartbeat_forever(), self.loop)
            for worker in self.workers
        ]

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def stop_draining(self) -> None:
        """Celery is shutting down: finish the current slices, start no new ones."""
        self.loop.call_soon_threadsafe(self._stopping.set)

    def drain(self) -> int:
        worker = self._idle.get()
        try:
            return self.run(worker.drain(self._stopping))
        finally:
            self._idle.put(worker)

    def tick(self) -> int:
        return self.run(tick(self.database, self.settings))

    def shutdown(self) -> None:
        for heartbeat in self._heartbeats:
            heartbeat.cancel()
        for worker in self.workers:
            try:
                self.run(worker.retire())
            except Exception:
                logger.exception("worker %s: could not retire", worker.id)
        self.run(self.events.close())
        self.run(self.resources.close())
        self.run(self.database.dispose())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)


def create_celery(settings: Settings, process: WorkerProcess | None = None) -> Celery:
    """The Celery app; `process` is given only inside `handwerkml worker`."""
    app = Celery("handwerkml", broker=settings.redis_url, set_as_current=False)
    if process is not None:
        # Otherwise a warm shutdown would wait for a drain that ends only when the queue is empty.
        worker_shutting_down.connect(lambda **_: process.stop_draining(), weak=False)
    app.conf.update(
        task_default_queue=settings.queue_name,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_ignore_result=True,
        worker_prefetch_multiplier=1,
        broker_transport_options={"visibility_timeout": math.ceil(settings.job_lease_seconds)},
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        timezone="UTC",
        beat_schedule={
            "tick": {"task": TICK, "schedule": settings.job_tick_seconds},
        },
    )

    @app.task(name=DRAIN)  # type: ignore[untyped-decorator]
    def drain() -> int:
        assert process is not None, "drain runs only in `handwerkml worker`"
        return process.drain()

    @app.task(name=TICK)  # type: ignore[untyped-decorator]
    def tick_task() -> int:
        assert process is not None, "tick runs only in `handwerkml worker`"
        runnable = process.tick()
        # One wake-up per runnable job, up to the workers there could be.
        for _ in range(min(runnable, 64)):
            drain.apply_async()
        return runnable

    return app


class CeleryRunner:
    """The API side: no workers here, only wake-ups sent through the broker."""

    name = "celery"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.celery = create_celery(settings)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        await asyncio.to_thread(self.celery.close)

    async def notify(self) -> None:
        try:
            await asyncio.to_thread(self.celery.send_task, DRAIN, queue=self.settings.queue_name)
        except Exception:
            # The job is committed; the next beat tick wakes a worker for it.
            logger.warning("could not reach the Celery broker", exc_info=True)
