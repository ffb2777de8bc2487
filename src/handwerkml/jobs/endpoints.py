"""/api/v1/jobs (submit, follow, control) and the seed system's /api/v1/tasks views."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import (
    APIRouter,
    BackgroundTasks,
    Depends,
    Query,
    Request,
    Response,
    WebSocket,
    status,
)
from fastapi.sse import EventSourceResponse, ServerSentEvent

from handwerkml.auth.deps import requires, websocket_principal
from handwerkml.auth.permissions import Permission
from handwerkml.auth.principal import Principal
from handwerkml.db.engine import Database
from handwerkml.db.models import Job
from handwerkml.jobs import service
from handwerkml.jobs.kinds import all_kinds
from handwerkml.jobs.runners import Runner
from handwerkml.jobs.schemas import (
    JobCreate,
    JobFilters,
    JobItemRead,
    JobKindRead,
    JobRead,
    JobResult,
    JobsSummary,
    QueueHealth,
    QueueStats,
    TaskResult,
    TaskRevoked,
    TaskStatus,
    WorkerRead,
    WorkersStats,
    job_read,
)
from handwerkml.jobs.states import CELERY_STATE, FINISHED, ItemStatus, JobStatus
from handwerkml.jobs.stream import follow
from handwerkml.kit.deps import SessionDep, SettingsDep
from handwerkml.kit.errors import HandwerkError, NotFound
from handwerkml.kit.pagination import PageDep, set_total
from handwerkml.kit.schemas import IdPath, UtcDatetime
from handwerkml.kit.time import utcnow

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])
tasks_router = APIRouter(prefix="/api/v1/tasks", tags=["tasks (seed API)"])

Reader = Annotated[Principal, requires(Permission.jobs_read)]
Manager = Annotated[Principal, requires(Permission.jobs_manage)]


def _runner(request: Request) -> Runner:
    runner: Runner = request.app.state.runner
    return runner


async def _wake_workers(request: Request, background: BackgroundTasks) -> None:
    # After the response, hence after the commit: a woken worker must see the job.
    # (Background tasks are dropped when the endpoint fails, so errors wake no one.)
    background.add_task(_runner(request).notify)


WAKES_WORKERS = [Depends(_wake_workers)]


@router.get("/kinds", response_model=list[JobKindRead])
async def list_kinds(principal: Reader) -> list[JobKindRead]:
    """Job kinds this installation knows; `submittable` ones can be POSTed here."""
    return [
        JobKindRead(
            name=name, submittable=kind.submittable, params_schema=kind.params.model_json_schema()
        )
        for name, kind in sorted(all_kinds().items())
        if not kind.system
    ]


@router.post(
    "", response_model=JobRead, status_code=status.HTTP_201_CREATED, dependencies=WAKES_WORKERS
)
async def submit_job(
    body: JobCreate, principal: Manager, session: SessionDep, settings: SettingsDep
) -> JobRead:
    """Start a job of a kind that takes its input here (429 when over the daily quota)."""
    job = await service.submit(
        session,
        settings,
        tenant_id=principal.tenant_id,
        kind=body.kind,
        params=body.params,
        priority=body.priority,
    )
    return job_read(job)


@router.get("", response_model=list[JobRead])
async def list_jobs(
    principal: Reader,
    session: SessionDep,
    page: PageDep,
    response: Response,
    status_: Annotated[JobStatus | None, Query(alias="status")] = None,
    kind: Annotated[str | None, Query(max_length=100, pattern=r"^[^\x00]*$")] = None,
    created_after: Annotated[UtcDatetime | None, Query()] = None,
    created_before: Annotated[UtcDatetime | None, Query()] = None,
) -> list[JobRead]:
    """The tenant's jobs, newest first."""
    filters = JobFilters(
        status=status_, kind=kind, created_after=created_after, created_before=created_before
    )
    jobs, total = await service.list_jobs(session, principal.tenant_id, filters, page)
    set_total(response, total)
    return [job_read(job) for job in jobs]


@router.get("/{job_id}", response_model=JobRead)
async def get_job(job_id: IdPath, principal: Reader, session: SessionDep) -> JobRead:
    """One job with its progress per stage."""
    job = await service.get_job(session, principal.tenant_id, job_id)
    return job_read(job, await service.stages(session, job_id))


@router.get("/{job_id}/items", response_model=list[JobItemRead])
async def list_job_items(
    job_id: IdPath,
    principal: Reader,
    session: SessionDep,
    page: PageDep,
    response: Response,
    status_: Annotated[ItemStatus | None, Query(alias="status")] = None,
) -> list[JobItemRead]:
    """The job's items in order, e.g. `?status=failed` with each one's reason."""
    items, total = await service.list_items(session, principal.tenant_id, job_id, status_, page)
    set_total(response, total)
    return [JobItemRead.model_validate(item) for item in items]


@router.get("/{job_id}/result", response_model=JobResult)
async def get_job_result(job_id: IdPath, principal: Reader, session: SessionDep) -> JobResult:
    """What the job produced; `result` stays null until it has succeeded."""
    job = await service.get_job(session, principal.tenant_id, job_id)
    return JobResult(
        id=job.id,
        status=JobStatus(job.status),
        result=job.result,
        items_done=job.done_items,
        items_failed=job.failed_items,
        last_error=job.last_error,
    )


@router.post("/{job_id}/cancel", response_model=JobRead)
async def cancel_job(job_id: IdPath, principal: Manager, session: SessionDep) -> JobRead:
    """Stop at the next item boundary; items already done stay done (409 if it has ended)."""
    return job_read(await service.cancel(session, principal.tenant_id, job_id))


@router.post("/{job_id}/pause", response_model=JobRead)
async def pause_job(job_id: IdPath, principal: Manager, session: SessionDep) -> JobRead:
    """Stop at the next item boundary until resumed."""
    return job_read(await service.pause(session, principal.tenant_id, job_id))


@router.post("/{job_id}/resume", response_model=JobRead, dependencies=WAKES_WORKERS)
async def resume_job(job_id: IdPath, principal: Manager, session: SessionDep) -> JobRead:
    """Let a paused job run again; it waits for a free slot like a new one."""
    return job_read(await service.resume(session, principal.tenant_id, job_id))


@router.post("/{job_id}/retry", response_model=JobRead, dependencies=WAKES_WORKERS)
async def retry_failed_items(job_id: IdPath, principal: Manager, session: SessionDep) -> JobRead:
    """Run the job's failed items again (409 when none failed)."""
    return job_read(await service.retry_failed(session, principal.tenant_id, job_id))


async def _followed_job(job_id: IdPath, principal: Reader, request: Request) -> int:
    # Checked before the stream starts, so a missing job is a plain 404.
    async with request.app.state.database.read() as session:
        await service.get_job(session, principal.tenant_id, job_id)
    return principal.tenant_id


@router.get("/{job_id}/events", response_class=EventSourceResponse)
async def job_events(
    job_id: IdPath,
    tenant_id: Annotated[int, Depends(_followed_job)],
    request: Request,
) -> AsyncIterator[ServerSentEvent]:
    """Server-sent events: the job now and after each change, until it ends.

    Each event is named `progress`, or `end` for the final state; data is the job.
    """
    database: Database = request.app.state.database
    async for view in follow(database, request.app.state.job_events, tenant_id, job_id):
        name = "end" if view.status in FINISHED else "progress"
        yield ServerSentEvent(data=view, event=name, id=f"{job_id}-{view.progress.done}")


@router.websocket("/{job_id}/ws")
async def job_websocket(websocket: WebSocket, job_id: int) -> None:
    """The same stream as /events over a WebSocket: JSON messages {event, job}."""
    try:
        principal = await websocket_principal(websocket, Permission.jobs_read)
        async with websocket.app.state.database.read() as session:
            await service.get_job(session, principal.tenant_id, job_id)
    except HandwerkError as exc:
        # 4000 + HTTP status, the usual way to carry it in a close code.
        await websocket.close(code=4000 + exc.status_code, reason=str(exc.detail)[:120])
        return
    await websocket.accept()
    state = websocket.app.state

    async def send_updates() -> None:
        async for view in follow(state.database, state.job_events, principal.tenant_id, job_id):
            name = "end" if view.status in FINISHED else "progress"
            await websocket.send_json({"event": name, "job": view.model_dump(mode="json")})
        await websocket.close()

    async def until_disconnect() -> None:
        # A paused job sends nothing for a long time; only listening notices a client leave.
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass

    tasks = {asyncio.create_task(send_updates()), asyncio.create_task(until_disconnect())}
    _, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


# -- /api/v1/tasks: the seed system's Celery-shaped views of the same jobs ---------------


def _job_id(task_id: str) -> int:
    if not task_id.isdigit() or not 1 <= int(task_id) <= 2_147_483_647:
        raise NotFound("Task", task_id)
    return int(task_id)


def _task_status(job: Job) -> TaskStatus:
    state = CELERY_STATE[JobStatus(job.status)]
    ready = job.status in FINISHED
    return TaskStatus(
        task_id=str(job.id),
        status=state,
        result=job.result if job.status == JobStatus.succeeded else job.last_error,
        ready=ready,
        successful=(job.status == JobStatus.succeeded) if ready else None,
    )


@tasks_router.get("/task/{task_id}", response_model=TaskStatus)
async def task_status(task_id: str, principal: Reader, session: SessionDep) -> TaskStatus:
    job = await service.get_job(session, principal.tenant_id, _job_id(task_id))
    return _task_status(job)


@tasks_router.get("/task/{task_id}/result", response_model=TaskResult)
async def task_result(task_id: str, principal: Reader, session: SessionDep) -> TaskResult:
    job = await service.get_job(session, principal.tenant_id, _job_id(task_id))
    view = _task_status(job)
    return TaskResult(task_id=view.task_id, status=view.status, result=view.result)


@tasks_router.post("/task/{task_id}/revoke", response_model=TaskRevoked)
async def revoke_task(task_id: str, principal: Manager, session: SessionDep) -> TaskRevoked:
    """Cancel the job (queued or running); 409 when it has already ended."""
    job = await service.cancel(session, principal.tenant_id, _job_id(task_id))
    return TaskRevoked(task_id=str(job.id), status="REVOKED", message=f"Task {job.id} revoked")


@tasks_router.get("/queue/stats", response_model=QueueStats)
async def queue_stats(
    principal: Reader, session: SessionDep, request: Request, settings: SettingsDep
) -> QueueStats:
    snapshot = await service.queue_snapshot(session, principal.tenant_id)
    everyone = await service.queue_snapshot(session, None)
    alive = await service.alive_workers(session, settings)
    return QueueStats(
        active_tasks=snapshot.active,
        reserved_tasks=snapshot.waiting,
        workers=alive,
        queue_stats={
            "runner": _runner(request).name,
            "by_priority": snapshot.depth,
            "oldest_queued_seconds": snapshot.oldest_queued_seconds,
            # All tenants together, as counts only.
            "total_active": everyone.active,
            "total_waiting": everyone.waiting,
        },
    )


@tasks_router.get("/workers/stats", response_model=WorkersStats)
async def workers_stats(
    principal: Reader, session: SessionDep, request: Request, settings: SettingsDep
) -> WorkersStats:
    now = utcnow()
    rows = await service.workers(session)
    owners = await service.leased_job_tenants(
        session, [w.current_job_id for w in rows if w.current_job_id is not None]
    )
    views = []
    for worker in rows:
        own = (
            worker.current_job_id is not None
            and owners.get(worker.current_job_id) == principal.tenant_id
        )
        elapsed = max((worker.heartbeat_at - worker.started_at).total_seconds(), 1e-9)
        views.append(
            WorkerRead(
                id=worker.id,
                runner=worker.runner,
                hostname=worker.hostname,
                pid=worker.pid,
                alive=service.worker_alive(worker, settings, now),
                started_at=worker.started_at,
                heartbeat_at=worker.heartbeat_at,
                current_job_id=worker.current_job_id if own else None,
                current_item=worker.current_item if own else None,
                items_done=worker.items_done,
                items_failed=worker.items_failed,
                items_per_second=round(worker.items_done / elapsed, 2),
            )
        )
    return WorkersStats(
        workers=views, alive=sum(view.alive for view in views), runner=_runner(request).name
    )


@tasks_router.get("/tasks/active", response_model=list[TaskStatus])
async def active_tasks(principal: Reader, session: SessionDep, page: PageDep) -> list[TaskStatus]:
    """The tenant's jobs that have started and not ended."""
    jobs, _ = await service.list_jobs(
        session, principal.tenant_id, JobFilters(status=JobStatus.running), page
    )
    return [_task_status(job) for job in jobs]


@tasks_router.get("/health", response_model=QueueHealth)
async def queue_health(
    principal: Reader, session: SessionDep, request: Request, settings: SettingsDep
) -> QueueHealth:
    """healthy: workers alive; degraded: work waits for longer than a lease with none alive."""
    alive = await service.alive_workers(session, settings)
    snapshot = await service.queue_snapshot(session, None)
    oldest = snapshot.oldest_queued_seconds
    runner = _runner(request).name
    if alive:
        return QueueHealth(
            status="healthy", runner=runner, workers_alive=alive, oldest_queued_seconds=oldest
        )
    waiting_long = oldest is not None and oldest > settings.job_lease_seconds
    return QueueHealth(
        status="unhealthy" if waiting_long else "degraded",
        runner=runner,
        workers_alive=0,
        oldest_queued_seconds=oldest,
        detail="no worker has sent a heartbeat within the lease time",
    )


@tasks_router.get("/summary", response_model=JobsSummary)
async def jobs_summary(
    principal: Reader, session: SessionDep, settings: SettingsDep
) -> JobsSummary:
    return JobsSummary(**await service.summary(session, settings, principal.tenant_id))
