"""Durable jobs: the job row, its items, the workers that run them and daily usage.

The job and item rows are the source of truth for background work; a broker
(Celery/Redis) only wakes workers up. See jobs/worker.py for how an item's
results, its status and the job's progress commit in one transaction.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from handwerkml.db.base import Base, IdMixin
from handwerkml.db.types import UTCDateTime
from handwerkml.kit.time import utcnow


class Job(IdMixin, Base):
    __tablename__ = "jobs"
    __table_args__ = (
        # The claim query: runnable jobs by status, then lease and not_before.
        Index("ix_jobs_claim", "status", "lease_expires_at", "not_before"),
        Index("ix_jobs_tenant_status", "tenant_id", "status"),
    )

    # NULL for system jobs (retention clean-up): no tenant sees or pays for them.
    tenant_id: Mapped[int | None] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), default=None
    )
    kind: Mapped[str] = mapped_column(String(100))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    # Set for periodic jobs so two schedulers cannot create the same run twice.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True, default=None)

    total_items: Mapped[int] = mapped_column(Integer, default=0)
    done_items: Mapped[int] = mapped_column(Integer, default=0)
    failed_items: Mapped[int] = mapped_column(Integer, default=0)
    # Quota units (chunks): estimated at submission, counted as items commit.
    units_estimate: Mapped[int] = mapped_column(Integer, default=0)
    units_used: Mapped[int] = mapped_column(Integer, default=0)

    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    # The items table is the real checkpoint (done or pending per item); this records
    # the last item committed, for people and for kinds that resume mid-sequence.
    checkpoint: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Not runnable before this instant: items waiting for their retry back-off.
    not_before: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When a worker last took the job; the scheduler serves the longest-waiting first.
    last_claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    lease_owner: Mapped[str | None] = mapped_column(String(200), default=None)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # A fencing token: every claim increments it and every commit of a worker checks
    # it, so a worker that lost its lease can never write after its successor.
    lease_token: Mapped[int] = mapped_column(Integer, default=0)


class JobItem(IdMixin, Base):
    __tablename__ = "job_items"
    __table_args__ = (
        UniqueConstraint("job_id", "seq"),
        Index("ix_job_items_job_status", "job_id", "status", "seq"),
    )

    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    # Progress per stage is counted from the items (jobs/repository.py).
    stage: Mapped[str] = mapped_column(String(50), default="run")
    # What the item is about, for people: a file name, a page, a batch.
    label: Mapped[str] = mapped_column(String(500), default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class JobWorker(Base):
    """One row per running worker, refreshed by its heartbeat, for monitoring."""

    __tablename__ = "job_workers"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    runner: Mapped[str] = mapped_column(String(20))
    hostname: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    current_job_id: Mapped[int | None] = mapped_column(Integer, default=None)
    current_item: Mapped[str | None] = mapped_column(String(500), default=None)
    items_done: Mapped[int] = mapped_column(Integer, default=0)
    items_failed: Mapped[int] = mapped_column(Integer, default=0)


class TenantUsage(Base):
    """Quota units (chunks) a tenant used per UTC day."""

    __tablename__ = "tenant_usage"

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    units: Mapped[int] = mapped_column(Integer, default=0)
