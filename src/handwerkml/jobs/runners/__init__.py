"""Who runs the workers: the API process itself, or Celery worker processes.

The app's lifespan starts the runner named by HANDWERKML_QUEUE; everything else
(the API, the CLI) only calls `notify` after committing new work.
"""

from __future__ import annotations

from typing import Protocol

from handwerkml.config import Settings
from handwerkml.db.engine import Database
from handwerkml.jobs.events import EventBus
from handwerkml.jobs.metrics import JobMetrics
from handwerkml.resources import Resources


class Runner(Protocol):
    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def notify(self) -> None:
        """New work was committed: wake a worker."""
        ...


def create_runner(
    settings: Settings,
    database: Database,
    events: EventBus,
    metrics: JobMetrics,
    resources: Resources,
) -> Runner:
    if settings.queue == "celery":
        from handwerkml.jobs.runners.celery import CeleryRunner

        return CeleryRunner(settings)
    from handwerkml.jobs.runners.inprocess import InProcessRunner

    return InProcessRunner(settings, database, events, metrics, resources)
