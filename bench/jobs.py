"""Job queue benchmark: no-op items per second through each runner, with 1, 2 and 4 workers.

    python bench/jobs.py [--items 2000] [--workers 1,2,4] [--runners inprocess-sqlite,...]
                         [--kill-trials 100]

Runners: inprocess-sqlite (the embedded default), inprocess-postgres, and
celery-postgres (N `handwerkml worker` processes over the machine's Redis). For each,
one fresh database, one enterprise tenant, and one no-op job per worker with
--items/N items, so every worker has work; the clock runs from submission until
the last job has succeeded. Overhead per item = workers * seconds / items: what
the queue itself costs one worker per item (claim, item commit with its fencing
check, progress). With --kill-trials N it then kills the process running jobs with
SIGKILL N times at random moments (the embedded runner on SQLite, Celery workers
on PostgreSQL), submitting a new job whenever one has finished, and counts lost and
doubled item results (both must be 0). Results go to bench/results/jobs-<time>.json.
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
# The crash trials use the tests' job kind, whose items leave countable rows.
sys.path.insert(0, str(HERE.parent))
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


def _setup(runner: str, database: str, **jobs: Any) -> tuple[Settings, Path, str | None]:
    """A fresh, migrated database and the settings for it; `jobs` are the job_* settings."""
    workdir = Path(tempfile.mkdtemp(prefix="hwml-bench-jobs-"))
    url, pg_name = _database(database, workdir)
    settings = Settings(
        database_url=url,
        data_dir=workdir,
        secret_key="bench-secret-key-that-is-long-enough-for-hs256",
        queue=runner,
        redis_url=REDIS,
        queue_name="hwml-bench",  # one name for all runs: leftovers are only wake-ups
        # Celery needs a shared vector store; noop jobs never open it.
        vector_backend="embedded" if runner == "inprocess" else "pgvector",
        _env_file=None,
        **jobs,
    )
    upgrade(settings)
    return settings, workdir, pg_name


def measure(runner: str, database: str, workers: int, items: int) -> dict[str, Any]:
    settings, workdir, pg_name = _setup(
        runner,
        database,
        job_workers=workers if runner == "inprocess" else 1,
        job_poll_seconds=0.05,
        job_tick_seconds=1,
    )
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


def _kill_trials(runner: str, database: str, trials: int) -> dict[str, Any]:
    """The crash test of tests/jobs/test_crash.py, longer, with its counts reported."""
    import random

    from sqlalchemy import text

    settings, workdir, pg_name = _setup(
        runner,
        database,
        job_workers=1,
        job_lease_seconds=2,
        job_poll_seconds=0.1,
        job_tick_seconds=0.5,
        job_plugins=["tests.jobs.plugin"],
    )
    env = _env(settings) | {"PYTHONPATH": str(HERE.parent)}
    if runner == "inprocess":
        command = [sys.executable, "-m", "tests.jobs.run_inprocess"]
    else:
        command = [str(Path(sys.executable).parent / "handwerkml"), "worker", "--concurrency=1"]
    children: list[subprocess.Popen[bytes]] = []

    def start(*extra: str) -> subprocess.Popen[bytes]:
        with (workdir / f"child-{len(children)}.log").open("wb") as log:
            child = subprocess.Popen([*command, *extra], env=env, stdout=log, stderr=log)
        children.append(child)
        time.sleep(1.5)
        return child

    async def run() -> dict[str, Any]:
        from tests.jobs.plugin import create_effects_table

        rng = random.Random(1)
        app = create_app(settings.model_copy(update={"job_workers": 0}))
        async with app.router.lifespan_context(app):
            await create_effects_table(app.state.database.engine)
            async with app.state.database.write() as session:
                tenant = await auth_service.create_tenant(
                    session, name="Crash", slug="crash", tier="enterprise"
                )
                await session.commit()

            async def submit() -> int:
                async with app.state.database.write() as session:
                    job = await service.submit(
                        session,
                        settings,
                        tenant_id=tenant.id,
                        kind="test.effect",
                        params={"items": 300, "sleep_ms": 5, "hold_ms": 5},
                    )
                    await session.commit()
                await app.state.runner.notify()
                return job.id

            async def status(job_id: int) -> str:
                async with app.state.database.read() as session:
                    return str(await session.scalar(select(Job.status).where(Job.id == job_id)))

            if runner == "celery":
                # Beat runs in a worker that is spared; two others are killed in turn.
                await asyncio.to_thread(start, "--beat")
                killable = [await asyncio.to_thread(start) for _ in range(2)]
            else:
                killable = [await asyncio.to_thread(start)]
            jobs = [await submit()]
            started = time.perf_counter()
            for _ in range(trials):
                await asyncio.sleep(rng.uniform(0.05, 0.5))
                if await status(jobs[-1]) == "succeeded":
                    jobs.append(await submit())
                async with app.state.database.read() as session:
                    owner = await session.scalar(select(Job.lease_owner).where(Job.id == jobs[-1]))
                # The worker holding the current job when it is one we may kill.
                holder = [c for c in killable if f":{c.pid}:" in (owner or "")]
                victim = holder[0] if holder else killable[0]
                killable.remove(victim)
                victim.kill()
                victim.wait()
                killable.append(await asyncio.to_thread(start))
            for job_id in jobs:
                while await status(job_id) != "succeeded":  # noqa: ASYNC110 - polls the database
                    await asyncio.sleep(0.1)
            seconds = time.perf_counter() - started
            async with app.state.database.read() as session:
                counts = (
                    await session.execute(
                        text("SELECT job_id, seq, count(*) FROM job_test_effects GROUP BY 1, 2")
                    )
                ).all()
                attempts = await session.scalar(select(func.sum(Job.attempts - 1)))
        seen = {(job_id, seq): n for job_id, seq, n in counts}
        return {
            "runner": runner,
            "database": database,
            "kills": trials,
            "jobs": len(jobs),
            "items": 300 * len(jobs),
            "recoveries": int(attempts or 0),
            "lost_items": 300 * len(jobs) - len(seen),
            "doubled_items": sum(1 for n in seen.values() if n > 1),
            "seconds": round(seconds, 1),
        }

    try:
        return asyncio.run(run())
    finally:
        # SIGTERM: a worker running beat takes its beat process down with it.
        for child in children:
            child.terminate()
        for child in children:
            child.wait(timeout=30)
        if pg_name:
            asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--runners", default="inprocess-sqlite,inprocess-postgres,celery-postgres")
    parser.add_argument("--kill-trials", type=int, default=0)
    args = parser.parse_args()
    rows = []
    for combo in args.runners.split(","):
        runner, database = combo.split("-")
        for workers in (int(n) for n in args.workers.split(",")):
            row = measure(runner, database, workers, args.items)
            print(json.dumps(row), flush=True)
            rows.append(row)
    if args.kill_trials:
        for runner, database in (("inprocess", "sqlite"), ("celery", "postgres")):
            row = _kill_trials(runner, database, args.kill_trials)
            print(json.dumps(row), flush=True)
            rows.append(row)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"jobs-{time.strftime('%Y%m%d-%H%M%S')}.json"
    machine = {"cpus": os.cpu_count(), "python": platform.python_version()}
    out.write_text(json.dumps({"machine": machine, "results": rows}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
