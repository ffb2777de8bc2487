"""`handwerkml serve`: run the API under uvicorn with production-minded defaults."""

from __future__ import annotations

import multiprocessing
import signal
import socket
import threading
from enum import StrEnum
from typing import Annotated

import typer
import uvicorn
from uvicorn.supervisors import ChangeReload

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
    run_server(
        uvicorn.Config(
            APP_FACTORY,
            factory=True,
            host=host,
            port=port,
            # uvicorn's reloader supervises a single process; workers would be ignored.
            workers=None if reload else workers,
            reload=reload,
            access_log=access_log,
            log_level=log_level.value,
            # The asyncio loop, not uvloop: under saturation uvloop served some connections
            # seconds late (p99 1.1 s vs 38 ms at 200 connections in bench/api_load.py).
            loop="asyncio",
            http="auto",
        )
    )


def run_server(config: uvicorn.Config) -> None:
    """Run uvicorn: one process, a reloader, or one process per worker."""
    if config.should_reload:
        sock = _listening_socket(config, reuse_port=False)
        ChangeReload(config, target=uvicorn.Server(config).run, sockets=[sock]).run()
    elif config.workers > 1:
        _supervise(config)
    else:
        uvicorn.Server(config).run(sockets=[_listening_socket(config, reuse_port=False)])


def _listening_socket(config: uvicorn.Config, *, reuse_port: bool) -> socket.socket:
    """A TCP listening socket with TCP_NODELAY, which Linux passes on to accepted connections.

    uvicorn's own socket names no protocol, so asyncio does not treat accepted
    connections as TCP and leaves Nagle's algorithm on: every response then waited
    ~40 ms for the client's delayed ACK.
    """
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((config.host, config.port))
    sock.listen(config.backlog)
    sock.set_inheritable(True)
    return sock


def _serve_worker(config: uvicorn.Config) -> None:
    config.configure_logging()  # a spawned process starts without the parent's logging set-up
    uvicorn.Server(config).run(sockets=[_listening_socket(config, reuse_port=True)])


def _supervise(config: uvicorn.Config) -> None:
    """Start `workers` processes, each with its own SO_REUSEPORT socket, and keep them up.

    With one shared socket (uvicorn's way) whichever process wakes first accepts a
    whole burst of connections: in bench/api_load.py one of two workers often got
    all 50 and the other idled. Per-process sockets let the kernel spread them.
    """
    context = multiprocessing.get_context("spawn")
    stop = threading.Event()

    def start() -> multiprocessing.process.BaseProcess:
        process = context.Process(target=_serve_worker, args=(config,), daemon=False)
        process.start()
        return process

    def request_stop(signum: int, _frame: object) -> None:
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, request_stop)
    processes = [start() for _ in range(config.workers)]
    try:
        while not stop.wait(0.5):
            for index, process in enumerate(processes):
                if not process.is_alive():
                    typer.echo(f"worker {process.pid} exited ({process.exitcode}); restarting")
                    processes[index] = start()
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(timeout=30)
