"""`handwerkml ingest PATH`: index a folder of documents for a tenant, with a progress bar.

In the embedded mode the command runs the job itself, in this process (the
server may not be running); with HANDWERKML_QUEUE=celery it queues the job for
the workers and follows its progress. Either way the job is the same
`documents.folder` run the API starts, so a re-run skips unchanged files.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.auth.repository import TenantRepository
from handwerkml.cli._db import run_in_session
from handwerkml.cli._output import fail
from handwerkml.config import Settings, get_settings
from handwerkml.db.engine import Database
from handwerkml.db.models import Job
from handwerkml.documents import service
from handwerkml.documents.schemas import FolderIngest
from handwerkml.embeddings.cache import CacheMetrics
from handwerkml.jobs.events import LocalEvents
from handwerkml.jobs.kinds import load_kinds
from handwerkml.jobs.metrics import JobMetrics
from handwerkml.jobs.states import FINISHED
from handwerkml.jobs.worker import Worker
from handwerkml.kit.errors import NotFound
from handwerkml.resources import Resources


def ingest(
    path: Annotated[Path, typer.Argument(help="The folder to index.")],
    tenant: Annotated[str, typer.Option(help="Slug of the tenant the documents belong to.")],
    pattern: Annotated[
        list[str] | None, typer.Option("--pattern", help="Include glob, e.g. '*.pdf' (repeat).")
    ] = None,
    exclude: Annotated[
        list[str] | None, typer.Option("--exclude", help="Exclude glob (repeat).")
    ] = None,
) -> None:
    """Index the documents in PATH: new files are added, changed ones re-read,
    unchanged ones skipped, and documents whose files are gone removed."""
    folder = path.expanduser().resolve()
    # The operator names the folder here; the roots only fence what the API may reach.
    settings = get_settings()
    settings = settings.model_copy(update={"ingest_roots": [*settings.ingest_roots, folder]})
    load_kinds(settings)
    request = FolderIngest(path=str(folder), include=pattern or ["*"], exclude=exclude or [])

    async def submit(session: AsyncSession) -> int:
        found = await TenantRepository(session).get_by_slug(tenant)
        if found is None:
            raise NotFound("Tenant", tenant)
        return (await service.ingest_folder(session, settings, found.id, request)).id

    job_id = run_in_session(settings, submit)
    typer.echo(f"job {job_id}: indexing {folder}")
    status, result = asyncio.run(_run(settings, job_id))
    typer.echo(f"job {job_id} {status}: {result}")
    if status != "succeeded":
        raise typer.Exit(1)


async def _run(settings: Settings, job_id: int, label: str = "files") -> tuple[str, object]:
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
