"""Job queue benchmark: no-op items per second through each runner, with 1, 2 and 4 workers.

    python bench/jobs.py [--items 2000] [--workers 1,2,4] [--runners inprocess-sqlite,...]

Runners: inprocess-sqlite (the embedded default), inprocess-postgres, and
celery-postgres (N `handwerkml worker` processes over the machine's Redis). For each,
one fresh database, one enterprise tenant, and one no-op job per worker with
--items/N items, so every worker has work; the clock runs from submission until
the last job has succeeded. Overhead per item = workers * seconds / items: what
the queue itself costs one worker per item (claim, item commit with its fencing
check, progress). Results go to bench/results/jobs-<time>.json and to stdout.
PostgreSQL at HANDWERKML_BENCH_POSTGRES_URL, Redis at HANDWERKML_BENCH_REDIS_URL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from handwerkml.app import create_app
from handwerkml.auth import service as auth_service
from handwerkml.config import Settings
from handwerkml.db.migrate import upgrade
from handwerkml.db.models import Job
from handwerkml.jobs import service

HERE = Path(__file__).parent
RESULTS = HERE / "results"
POSTGRES = os.environ.get(
    "HANDWERKML_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
REDIS = os.environ.get("HANDWERKML_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


async def _pg_admin(statement: str) -> None:
    url = make_url(POSTGRES)
    connection = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username or "postgres", database="postgres"
    )
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _database(kind: str, workdir: Path) -> tuple[str, str | None]:
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{workdir / 'bench.db'}", None
    name = f"hwml_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    return make_url(POSTGRES).set(database=name).render_as_string(hide_password=False), name


def _env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDWERKML_")}
    for name, value in settings.model_dump(mode="json").items():
        if value is not None:
            env[f"HANDWERKML_{name.upper()}"] = (
                value if isinstance(value, str) else json.dumps(value)
            )
    return env


async def _run(settings: Settings, workers: int, items: int) -> float:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with app.state.database.write() as session:
            tenant = await auth_service.create_tenant(
                session, name="Bench", slug=f"bench-{uuid.uuid4().hex[:6]}", tier="enterprise"
            )
            await session.commit()
        started = time.perf_counter()
        async with app.state.database.write() as session:
            for _ in range(workers):
                await service.submit(
                    session,
                    settings,
                    tenant_id=tenant.id,
                    kind="noop",
                    params={"items": items // workers},
                )
            await session.commit()
        for _ in range(workers):
            await app.state.runner.notify()
        while True:
            async with app.state.database.read() as session:
                unfinished = await session.scalar(
                    select(func.count())
                    .select_from(Job)
                    .where(Job.tenant_id == tenant.id, Job.status != "succeeded")
                )
            if not unfinished:
                return time.perf_counter() - started
            await asyncio.sleep(0.01)


def measure(runner: str, database: str, workers: int, items: int) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="hwml-bench-jobs-"))
    url, pg_name = _database(database, workdir)
    settings = Settings(
        database_url=url,
        data_dir=workdir,
        secret_key="bench-secret-key-that-is-long-enough-for-hs256",
        queue=runner,
        redis_url=REDIS,
        queue_name=f"hwml-bench-{uuid.uuid4().hex[:6]}",
        job_workers=workers if runner == "inprocess" else 1,
        job_poll_seconds=0.05,
        job_tick_seconds=1,
        _env_file=None,
    )
    upgrade(settings)
    children: list[subprocess.Popen[bytes]] = []
    try:
        if runner == "celery":
            command = [str(Path(sys.executable).parent / "handwerkml"), "worker", "--concurrency=1"]
            for n in range(workers):
                log = (workdir / f"worker-{n}.log").open("wb")
                children.append(
                    subprocess.Popen(
                        [*command, "--beat" if n == 0 else "--no-beat", "--loglevel=WARNING"],
                        env=_env(settings),
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
            time.sleep(4)  # let every worker connect before the clock starts
        seconds = asyncio.run(_run(settings, workers, items))
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.wait(timeout=30)
        if pg_name:
            asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
    done = items // workers * workers
    return {
        "runner": runner,
        "database": database,
        "workers": workers,
        "items": done,
        "seconds": round(seconds, 3),
        "items_per_second": round(done / seconds, 1),
        "overhead_ms_per_item_per_worker": round(1000 * workers * seconds / done, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--runners", default="inprocess-sqlite,inprocess-postgres,celery-postgres")
    args = parser.parse_args()
    rows = []
    for combo in args.runners.split(","):
        runner, database = combo.split("-")
        for workers in (int(n) for n in args.workers.split(",")):
            row = measure(runner, database, workers, args.items)
            print(json.dumps(row), flush=True)
            rows.append(row)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"jobs-{time.strftime('%Y%m%d-%H%M%S')}.json"
    machine = {"cpus": os.cpu_count(), "python": platform.python_version()}
    out.write_text(json.dumps({"machine": machine, "results": rows}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
