"""Request and response shapes of the jobs API and the seed system's task views."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from handwerkml.jobs.states import ItemStatus, JobStatus
from handwerkml.kit.schemas import ReadSchema, Schema, UtcDatetime


class JobCreate(Schema):
    kind: str = Field(min_length=1, max_length=100, examples=["noop"])
    params: dict[str, Any] = Field(default_factory=dict)
    # Higher runs first; fairness between tenants applies within one priority.
    priority: int = Field(default=0, ge=-10, le=10)


class StageProgress(ReadSchema):
    done: int
    failed: int
    pending: int
    total: int


class Progress(ReadSchema):
    done: int
    failed: int
    total: int
    percent: float
    # Per stage, in the single-job view only (it costs a query per job).
    stages: dict[str, StageProgress] | None = None


class JobRead(ReadSchema):
    id: int
    kind: str
    params: dict[str, Any]
    priority: int
    status: JobStatus
    progress: Progress
    attempts: int
    last_error: str | None
    checkpoint: dict[str, Any]
    units_estimate: int
    units_used: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    worker: str | None = Field(description="The worker holding the job's lease, if any")
    lease_expires_at: datetime | None


class JobItemRead(ReadSchema):
    seq: int
    stage: str
    label: str
    status: ItemStatus
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    finished_at: datetime | None
    result: dict[str, Any] | None


class JobResult(ReadSchema):
    id: int
    status: JobStatus
    result: dict[str, Any] | None
    items_done: int
    items_failed: int
    last_error: str | None


class JobFilters(Schema):
    status: JobStatus | None = None
    kind: str | None = Field(default=None, max_length=100)
    created_after: UtcDatetime | None = None
    created_before: UtcDatetime | None = None


class JobKindRead(ReadSchema):
    name: str
    submittable: bool
    params_schema: dict[str, Any]


# -- the seed system's /api/v1/tasks views -------------------------------------------

CeleryState = Literal["PENDING", "STARTED", "SUCCESS", "FAILURE", "REVOKED"]


class TaskStatus(ReadSchema):
    task_id: str
    status: CeleryState
    result: Any = None
    ready: bool
    successful: bool | None


class TaskResult(ReadSchema):
    task_id: str
    status: CeleryState
    result: Any = None


class TaskRevoked(ReadSchema):
    task_id: str
    status: CeleryState
    message: str


class QueueDepth(ReadSchema):
    priority: int
    queued: int
    running: int
    paused: int


class QueueStats(ReadSchema):
    active_tasks: int = Field(description="Jobs a worker holds right now")
    reserved_tasks: int = Field(description="Jobs waiting for a worker")
    workers: int = Field(description="Workers with a recent heartbeat")
    queue_stats: dict[str, Any] = Field(
        description="Depth per priority for this tenant, its oldest waiting job, the runner"
    )


class WorkerRead(ReadSchema):
    id: str
    runner: str
    hostname: str
    pid: int
    alive: bool
    started_at: datetime
    heartbeat_at: datetime
    # Shown only when the job is the caller's tenant's.
    current_job_id: int | None
    current_item: str | None
    items_done: int
    items_failed: int
    items_per_second: float


class WorkersStats(ReadSchema):
    workers: list[WorkerRead]
    alive: int
    runner: str


class QueueHealth(ReadSchema):
    status: Literal["healthy", "degraded", "unhealthy"]
    runner: str
    workers_alive: int
    oldest_queued_seconds: float | None
    detail: str | None = None


class JobsSummary(ReadSchema):
    total: int
    by_status: dict[str, int]
    by_kind: dict[str, int]
    items_done: int
    items_failed: int
    units_used_today: int
    daily_quota: int
    concurrent_limit: int


def job_read(job: Any, stages: dict[str, dict[str, int]] | None = None) -> JobRead:
    """The API view of a jobs row; `stages` from repository.progress_by_stage."""
    total = job.total_items
    finished = job.done_items + job.failed_items
    return JobRead(
        id=job.id,
        kind=job.kind,
        params=job.params,
        priority=job.priority,
        status=job.status,
        progress=Progress(
            done=job.done_items,
            failed=job.failed_items,
            total=total,
            percent=round(100 * finished / total, 1) if total else 0.0,
            stages=(
                {name: StageProgress(**counts) for name, counts in stages.items()}
                if stages is not None
                else None
            ),
        ),
        attempts=job.attempts,
        last_error=job.last_error,
        checkpoint=job.checkpoint or {},
        units_estimate=job.units_estimate,
        units_used=job.units_used,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        worker=job.lease_owner,
        lease_expires_at=job.lease_expires_at,
    )
