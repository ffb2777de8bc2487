"""Fixtures for job tests: fast timings, the test plugin, and either runner.

Tests that must hold for both runners take `@both_runners`: the embedded runner on
SQLite and PostgreSQL, and real `handwerkml worker` processes (Celery over the
machine's Redis) on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from prometheus_client import CollectorRegistry
from sqlalchemy import func, select

from handwerkml.config import Settings
from handwerkml.db.engine import Database, create_engine
from handwerkml.embeddings.cache import CacheMetrics
from handwerkml.jobs.events import LocalEvents
from handwerkml.jobs.metrics import JobMetrics
from handwerkml.jobs.worker import Worker
from handwerkml.resources import Resources
from tests.conftest import Headers
from tests.database import _in_ci
from tests.jobs.plugin import create_effects_table, effects

REPO = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("HANDWERKML_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

both_runners = pytest.mark.parametrize(
    ("template_database", "runner"),
    [("sqlite", "inprocess"), ("postgres", "inprocess"), ("postgres", "celery")],
    indirect=True,
    ids=["sqlite-inprocess", "postgres-inprocess", "postgres-celery"],
)

FAST = {
    "job_plugins": ["tests.jobs.plugin"],
    "job_workers": 2,
    "job_lease_seconds": 2.0,
    "job_poll_seconds": 0.1,
    "job_slice_seconds": 0.3,
    "job_item_timeout_seconds": 1.0,
    "job_retry_base_seconds": 0.05,
    "job_retry_jitter": 0.0,
    "job_max_attempts": 3,
    "job_tick_seconds": 0.5,
}


@pytest.fixture
def runner(request: pytest.FixtureRequest) -> str:
    return str(getattr(request, "param", "inprocess"))


@pytest.fixture
def settings(settings: Settings, runner: str) -> Iterator[Settings]:
    extra: dict[str, Any] = {"queue": runner, "redis_url": REDIS_URL}
    if runner == "celery":
        # The API process only sends wake-ups; a queue of its own keeps tests apart.
        extra |= {
            "queue_name": f"hwml-test-{uuid.uuid4().hex[:8]}",
            "job_workers": 1,
            # The embedded index lives in one process; these tests embed nothing.
            "vector_backend": "pgvector",
        }
    configured = settings.model_copy(update=FAST | extra)
    yield configured
    if runner == "celery":
        _forget_queue(configured.queue_name)


def _forget_queue(name: str) -> None:
    """Remove the queue and kombu's bindings for it, so test runs leave Redis as it was."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = [*client.scan_iter(match=f"*{name}*")]
        if keys:
            client.delete(*keys)
    except redis.RedisError:
        pass  # Redis gone: nothing to clean, and the test has reported it already
    finally:
        client.close()


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that makes a child process read the same settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDWERKML_")}
    for name, value in settings.model_dump(mode="json").items():
        if value is None:
            continue
        if hasattr(getattr(settings, name), "get_secret_value"):
            value = getattr(settings, name).get_secret_value()
        text = value if isinstance(value, str) else json.dumps(value)
        env[f"HANDWERKML_{name.upper()}"] = text
    env["PYTHONPATH"] = str(REPO)
    return env


class Processes:
    """Child processes running jobs: Celery workers or the embedded runner."""

    def __init__(self, settings: Settings, logs: Path) -> None:
        self.settings = settings
        self.logs = logs
        self.children: list[subprocess.Popen[bytes]] = []

    def start(
        self, command: list[str], ready: str, *, timeout: float = 30
    ) -> subprocess.Popen[bytes]:
        log = self.logs / f"child-{len(self.children)}.log"
        with log.open("wb") as handle:
            child = subprocess.Popen(
                command, env=settings_env(self.settings), stdout=handle, stderr=subprocess.STDOUT
            )
        self.children.append(child)
        deadline = time.monotonic() + timeout
        while ready.encode() not in log.read_bytes():
            if child.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{command} did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.05)
        return child

    def start_celery_worker(self, *, beat: bool = False) -> subprocess.Popen[bytes]:
        command = [str(Path(sys.executable).parent / "handwerkml"), "worker", "--concurrency=1"]
        return self.start([*command, "--beat" if beat else "--no-beat"], "ready.")

    def start_inprocess(self) -> subprocess.Popen[bytes]:
        return self.start([sys.executable, "-m", "tests.jobs.run_inprocess"], "ready")

    def kill(self, child: subprocess.Popen[bytes]) -> None:
        child.send_signal(signal.SIGKILL)
        child.wait()
        self.children.remove(child)

    def stop_all(self) -> None:
        for child in self.children:
            child.terminate()
        for child in self.children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        self.children.clear()


def _require_redis() -> None:
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as exc:
        message = f"Redis at {REDIS_URL} is unreachable: {exc}"
        if _in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


@pytest.fixture
def processes(settings: Settings, tmp_path: Path) -> Iterator[Processes]:
    children = Processes(settings, tmp_path)
    yield children
    children.stop_all()


@pytest.fixture(autouse=True)
async def job_backend(
    settings: Settings, runner: str, processes: Processes, request: pytest.FixtureRequest
) -> None:
    """The effects table, and for Celery two worker processes (one runs beat)."""
    engine = create_engine(settings)
    try:
        await create_effects_table(engine)
    finally:
        await engine.dispose()
    if runner == "celery" and "no_workers" not in request.keywords:
        _require_redis()
        await asyncio.gather(
            asyncio.to_thread(processes.start_celery_worker, beat=True),
            asyncio.to_thread(processes.start_celery_worker),
        )
    return


async def wait_for_job(
    client: httpx.AsyncClient,
    headers: Headers,
    job_id: int,
    until: Callable[[dict[str, Any]], bool] = lambda job: (
        job["status"] in ("succeeded", "failed", "cancelled")
    ),
    within: float = 30,
) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while True:
        response = await client.get(f"/api/v1/jobs/{job_id}", headers=headers)
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        if until(job):
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} did not get there in {within} s: {job}")
        await asyncio.sleep(0.05)


async def effect_counts(database: Database, job_id: int) -> dict[int, int]:
    """How many result rows each item of the job left: {seq: rows}."""
    async with database.read() as session:
        rows = await session.execute(
            select(effects.c.seq, func.count())
            .where(effects.c.job_id == job_id)
            .group_by(effects.c.seq)
        )
        return {int(seq): int(count) for seq, count in rows.all()}


def make_worker(database: Database, settings: Settings) -> Worker:
    """A worker of the test's own, for tests that drive claims and slices by hand."""
    return Worker(
        database=database,
        settings=settings,
        events=LocalEvents(),
        metrics=JobMetrics(CollectorRegistry()),
        resources=Resources.build(settings, database, CacheMetrics(CollectorRegistry())),
        runner="test",
    )
