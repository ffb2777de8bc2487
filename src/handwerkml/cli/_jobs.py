"""Commands that start a job and wait for it, with a progress bar.

In the embedded mode the command runs the job itself, in this process (the
server may not be running); with HANDWERKML_QUEUE=celery it wakes the workers
and follows the job's row until it ends.
"""

from __future__ import annotations

import asyncio

import typer
from prometheus_client import CollectorRegistry

from handwerkml.cli._output import fail
from handwerkml.config import Settings
from handwerkml.db.engine import Database
from handwerkml.db.models import Job
from handwerkml.embeddings.cache import CacheMetrics
from handwerkml.jobs.events import LocalEvents
from handwerkml.jobs.metrics import JobMetrics
from handwerkml.jobs.states import FINISHED
from handwerkml.jobs.worker import Worker
from handwerkml.resources import Resources


def run_job(settings: Settings, job_id: int, label: str) -> tuple[str, object]:
    """Run the job to its end and return its status and result (or error)."""
    return asyncio.run(_run(settings, job_id, label))


async def _run(settings: Settings, job_id: int, label: str) -> tuple[str, object]:
    database = Database.connect(settings)
    resources = Resources.build(settings, database, CacheMetrics(CollectorRegistry()))
    try:
        if settings.queue == "celery":
            from handwerkml.jobs.runners.celery import CeleryRunner

            await CeleryRunner(settings).notify()
            return await _follow(database, job_id, None, label)
        worker = Worker(
            database=database,
            settings=settings,
            events=LocalEvents(),
            metrics=JobMetrics(CollectorRegistry()),
            resources=resources,
            runner="cli",
        )
        return await _follow(database, job_id, worker, label)
    finally:
        await resources.close()
        await database.dispose()


async def _follow(
    database: Database, job_id: int, worker: Worker | None, label: str
) -> tuple[str, object]:
    with typer.progressbar(length=1, label=label, show_pos=True) as bar:
        while True:
            # Nothing runnable (an item waits for its retry): look again shortly.
            busy = worker is not None and await worker.run_once()
            async with database.read() as session:
                job = await session.get(Job, job_id)
            if job is None:
                fail(f"job {job_id} disappeared")
            assert job is not None
            bar.length = max(job.total_items, 1)
            bar.update(job.done_items + job.failed_items - bar.pos)
            if job.status in FINISHED:
                return job.status, job.result if job.status == "succeeded" else job.last_error
            if not busy:
                await asyncio.sleep(0.5)
