"""`handwerkml serve`: run the API under uvicorn with production-minded defaults."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
import uvicorn

from handwerkml import __version__
from handwerkml.config import get_settings

APP_FACTORY = "handwerkml.app:create_app"


class LogLevel(StrEnum):
    critical = "critical"
    error = "error"
    warning = "warning"
    info = "info"
    debug = "debug"


def serve(
    host: Annotated[
        str | None,
        typer.Option(help="Interface to listen on.", show_default="HANDWERKML_HOST or 127.0.0.1"),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="TCP port.", show_default="HANDWERKML_PORT or 8000"),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Worker processes.", show_default="HANDWERKML_WORKERS or 1"),
    ] = None,
    reload: Annotated[
        bool, typer.Option(help="Restart on code changes (development only; one worker).")
    ] = False,
    access_log: Annotated[
        bool, typer.Option(help="Log every request (off by default: /metrics counts them).")
    ] = False,
    log_level: Annotated[LogLevel, typer.Option(help="uvicorn's log level.")] = LogLevel.info,
) -> None:
    """Serve the HTTP API (OpenAPI UI at /docs).

    Settings come from HANDWERKML_* variables or .env; run `handwerkml migrate` first.
    uvloop and httptools are used when installed.
    """
    settings = get_settings()
    host = host or settings.host
    port = port or settings.port
    workers = workers or settings.workers
    url = f"http://{host}:{port}"
    typer.echo(f"HandwerkML {__version__} on {url}")
    typer.echo(f"OpenAPI UI: {url}/docs")
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        # uvicorn's reloader supervises a single process; workers would be ignored.
        workers=None if reload else workers,
        reload=reload,
        access_log=access_log,
        log_level=log_level.value,
        loop="auto",
        http="auto",
    )
