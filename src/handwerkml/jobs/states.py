"""Job and item states, and how they read in the seed system's Celery vocabulary."""

from __future__ import annotations

from enum import StrEnum


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    paused = "paused"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


class ItemStatus(StrEnum):
    pending = "pending"
    done = "done"
    failed = "failed"


FINISHED = (JobStatus.succeeded, JobStatus.failed, JobStatus.cancelled)
# A worker may claim these (when their lease is free and they are due).
RUNNABLE = (JobStatus.queued, JobStatus.running)

CELERY_STATE = {
    JobStatus.queued: "PENDING",
    JobStatus.running: "STARTED",
    # Celery has no pause; a paused job has not finished and will run again.
    JobStatus.paused: "PENDING",
    JobStatus.succeeded: "SUCCESS",
    JobStatus.failed: "FAILURE",
    JobStatus.cancelled: "REVOKED",
}
