"""`handwerkml jobs …`: look at and steer background jobs from the server's shell.

The operator sees every tenant's jobs here; the API shows each tenant its own.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.cli._db import run_in_session
from handwerkml.config import get_settings
from handwerkml.db.models import Job
from handwerkml.jobs import service
from handwerkml.jobs.schemas import JobRead, job_read
from handwerkml.jobs.states import FINISHED, JobStatus
from handwerkml.kit.errors import Conflict, NotFound

app = typer.Typer(help="List, follow and control background jobs.", no_args_is_help=True)

JobId = Annotated[int, typer.Argument(min=1, help="The job's id")]


def _line(view: JobRead) -> str:
    progress = view.progress
    return (
        f"{view.id:>6}  {view.status:<10} {view.kind:<24} "
        f"{progress.done + progress.failed:>6}/{progress.total:<6} "
        f"failed {progress.failed:<4} {view.created_at:%Y-%m-%d %H:%M}"
    )


@app.command("list")
def list_jobs(
    status: Annotated[JobStatus | None, typer.Option(help="Only jobs in this state")] = None,
    kind: Annotated[str | None, typer.Option(help="Only jobs of this kind")] = None,
    tenant: Annotated[int | None, typer.Option(help="Only this tenant's jobs (id)")] = None,
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many")] = 50,
) -> None:
    """The newest jobs of all tenants."""

    async def work(session: AsyncSession) -> list[JobRead]:
        query = select(Job).order_by(Job.id.desc()).limit(limit)
        if status is not None:
            query = query.where(Job.status == status)
        if kind is not None:
            query = query.where(Job.kind == kind)
        if tenant is not None:
            query = query.where(Job.tenant_id == tenant)
        return [job_read(job) for job in (await session.scalars(query)).all()]

    for view in run_in_session(get_settings(), work):
        typer.echo(_line(view))


async def _load(session: AsyncSession, job_id: int) -> Job:
    job = await session.get(Job, job_id)
    if job is None:
        raise NotFound("Job", job_id)
    return job


@app.command()
def show(
    job_id: JobId,
    follow: Annotated[bool, typer.Option(help="Show a progress bar until the job ends")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the job as JSON")] = False,
) -> None:
    """One job with its progress per stage; --follow shows it live."""
    settings = get_settings()

    async def work(session: AsyncSession) -> JobRead:
        job = await _load(session, job_id)
        return job_read(job, await service.stages(session, job_id))

    view = run_in_session(settings, work)
    if follow and view.status not in FINISHED:
        view = _follow(job_id, view)
    if as_json:
        typer.echo(view.model_dump_json(indent=2))
        return
    typer.echo(_line(view))
    for name, stage in (view.progress.stages or {}).items():
        typer.echo(f"  {name}: {stage.done} done, {stage.failed} failed, {stage.total} in all")
    if view.last_error:
        typer.echo(f"  last error: {view.last_error}")


def _follow(job_id: int, view: JobRead) -> JobRead:
    settings = get_settings()

    async def work(session: AsyncSession) -> JobRead:
        job = await _load(session, job_id)
        return job_read(job, await service.stages(session, job_id))

    with typer.progressbar(length=max(view.progress.total, 1), label=f"job {job_id}") as bar:
        shown = 0
        while True:
            view = run_in_session(settings, work)
            bar.length = max(view.progress.total, 1)
            finished = view.progress.done + view.progress.failed
            bar.update(finished - shown)
            shown = finished
            if view.status in FINISHED:
                break
            asyncio.run(asyncio.sleep(0.5))
    return view


def _control(job_id: int, action: str) -> None:
    settings = get_settings()
    steps = {"cancel": service.cancel, "pause": service.pause, "resume": service.resume}

    async def work(session: AsyncSession) -> JobRead:
        job = await _load(session, job_id)
        if job.tenant_id is None:
            raise Conflict(f"Job {job_id} is a system job and cannot be changed here")
        return job_read(await steps[action](session, job.tenant_id, job_id))

    view = run_in_session(settings, work)
    if action == "resume" and settings.queue == "celery":
        from handwerkml.jobs.runners.celery import CeleryRunner

        asyncio.run(CeleryRunner(settings).notify())
    typer.echo(_line(view))


@app.command()
def cancel(job_id: JobId) -> None:
    """Stop the job at the next item boundary."""
    _control(job_id, "cancel")


@app.command()
def pause(job_id: JobId) -> None:
    """Stop the job at the next item boundary until resumed."""
    _control(job_id, "pause")


@app.command()
def resume(job_id: JobId) -> None:
    """Let a paused job run again."""
    _control(job_id, "resume")
