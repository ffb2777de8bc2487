"""Prometheus metrics of the job system.

Counters and durations are counted where the work happens (the API process for
the in-process runner, each `handwerkml worker` for Celery). Queue depth and the
age of the oldest job are read from the jobs table at scrape time, so every API
process reports the same numbers whichever runner does the work.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from handwerkml.config import Settings
from handwerkml.db.engine import Database
from handwerkml.jobs import service


class JobMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.items = Counter(
            "handwerkml_job_items_total",
            "Items processed, by kind and outcome (done, retry, failed)",
            ["kind", "outcome"],
            registry=registry,
        )
        self.item_seconds = Histogram(
            "handwerkml_job_item_duration_seconds",
            "Time to run one item, including its commit",
            ["kind"],
            registry=registry,
            buckets=(0.001, 0.005, 0.02, 0.1, 0.5, 2, 10, 60, 600),
        )
        self.job_seconds = Histogram(
            "handwerkml_job_duration_seconds",
            "Time from submission to the end of a job, by kind and final status",
            ["kind", "status"],
            registry=registry,
            buckets=(0.1, 1, 5, 30, 120, 600, 3600, 6 * 3600, 24 * 3600),
        )


class QueueGauges:
    """Filled from the database by the /metrics endpoint just before it renders."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.jobs = Gauge(
            "handwerkml_jobs",
            "Jobs by status and priority",
            ["status", "priority"],
            registry=registry,
        )
        self.oldest_queued_seconds = Gauge(
            "handwerkml_job_oldest_queued_seconds",
            "Age of the oldest job still waiting to start",
            registry=registry,
        )
        self.workers_alive = Gauge(
            "handwerkml_job_workers_alive", "Workers with a recent heartbeat", registry=registry
        )

    async def refresh(self, database: Database, settings: Settings) -> None:
        async with database.read() as session:
            snapshot = await service.queue_snapshot(session, None)
            alive = await service.alive_workers(session, settings)
        self.jobs.clear()
        for row in snapshot.depth:
            for status in ("queued", "running", "paused"):
                self.jobs.labels(status, str(row["priority"])).set(row[status])
        self.oldest_queued_seconds.set(snapshot.oldest_queued_seconds or 0)
        self.workers_alive.set(alive)
