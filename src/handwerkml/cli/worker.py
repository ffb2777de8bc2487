"""`handwerkml worker`: a Celery worker process that runs jobs (HANDWERKML_QUEUE=celery)."""

from __future__ import annotations

import logging
from typing import Annotated

import typer
from prometheus_client import start_http_server

from handwerkml.cli._output import fail
from handwerkml.config import get_settings


def worker(
    concurrency: Annotated[
        int | None,
        typer.Option(
            min=1, help="Jobs this process runs at once [default: HANDWERKML_JOB_WORKERS]"
        ),
    ] = None,
    beat: Annotated[
        bool,
        typer.Option(help="Also run the periodic scheduler; run exactly one per installation."),
    ] = False,
    loglevel: Annotated[str, typer.Option(help="Celery log level")] = "INFO",
) -> None:
    """Run jobs from the queue until stopped; start as many as you like, on any machine."""
    settings = get_settings()
    if settings.queue != "celery":
        fail(
            "HANDWERKML_QUEUE is not 'celery': in the embedded mode the API process "
            "(`handwerkml serve`) runs the jobs itself."
        )
    # Imported here: Celery is heavy and only this command needs it.
    from handwerkml.jobs.runners.celery import WorkerProcess, create_celery

    logging.basicConfig(
        level=loglevel.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    slots = concurrency or max(settings.job_workers, 1)
    if settings.worker_metrics_port:
        start_http_server(settings.worker_metrics_port)
    process = WorkerProcess(settings, slots)
    celery = create_celery(settings, process)
    argv = [
        "worker",
        f"--loglevel={loglevel}",
        "--pool=threads",
        f"--concurrency={slots}",
        f"--queues={settings.queue_name}",
        "--without-gossip",
        "--without-mingle",
    ]
    if beat:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        argv += ["--beat", f"--schedule={settings.data_dir / 'celerybeat-schedule'}"]
    try:
        celery.worker_main(argv)
    finally:
        process.shutdown()
