"""Kill -9 the process running a job, again and again: every item's result exists once.

The embedded runner on SQLite (the API process is the worker: it is killed and
started again) and Celery workers on PostgreSQL (one of two workers is killed at a
time and replaced, while the other goes on). bench/jobs.py runs more trials.
"""

from __future__ import annotations

import asyncio
import random

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import Headers
from tests.jobs.conftest import Processes, effect_counts, wait_for_job

TRIALS = 20
ITEMS = 200


@pytest.mark.no_workers
@pytest.mark.parametrize(
    ("template_database", "runner"),
    [("sqlite", "inprocess"), ("postgres", "celery")],
    indirect=True,
    ids=["sqlite-inprocess", "postgres-celery"],
)
async def test_a_job_survives_repeated_kill_9_with_every_result_exactly_once(
    client: httpx.AsyncClient,
    admin_headers: Headers,
    app: FastAPI,
    processes: Processes,
    runner: str,
) -> None:
    if runner == "inprocess":
        # This test process must not run the job itself: only the child may.
        await app.state.runner.stop()
    rng = random.Random(20261124)
    if runner == "inprocess":
        start = processes.start_inprocess
        killable = [await asyncio.to_thread(start)]
    else:
        # Beat (the scheduler that wakes workers for orphaned jobs) runs in a worker that
        # is spared; two others are killed in turn while the rest go on.
        start = processes.start_celery_worker
        await asyncio.to_thread(start, beat=True)
        killable = list(await asyncio.gather(asyncio.to_thread(start), asyncio.to_thread(start)))
    # Kill at random moments; whenever a job has finished, the next one takes its place.
    jobs = [await _submit(client, admin_headers)]
    killed_mid_job = 0
    for _ in range(TRIALS):
        await asyncio.sleep(rng.uniform(0.05, 0.4))
        job = (await client.get(f"/api/v1/jobs/{jobs[-1]}", headers=admin_headers)).json()
        if job["status"] == "succeeded":
            jobs.append(await _submit(client, admin_headers))
        else:
            killed_mid_job += 0 < job["progress"]["done"] < ITEMS
        # The worker holding the job's lease when there is one to kill, else any.
        holder = [c for c in killable if f":{c.pid}:" in (job["worker"] or "")]
        victim = holder[0] if holder else rng.choice(killable)
        killable.remove(victim)
        await asyncio.to_thread(processes.kill, victim)
        killable.append(await asyncio.to_thread(start))

    assert killed_mid_job >= TRIALS // 2
    for job_id in jobs:
        done = await wait_for_job(client, admin_headers, job_id, within=90)
        assert done["status"] == "succeeded"
        assert done["progress"]["done"] == ITEMS
        assert await effect_counts(app.state.database, job_id) == dict.fromkeys(range(ITEMS), 1)
    resumed = [await _attempts(client, admin_headers, job_id) for job_id in jobs]
    assert max(resumed) > 1  # really taken over after crashes, not just restarted


async def _submit(client: httpx.AsyncClient, headers: Headers) -> int:
    response = await client.post(
        "/api/v1/jobs",
        json={"kind": "test.effect", "params": {"items": ITEMS, "sleep_ms": 5, "hold_ms": 5}},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def _attempts(client: httpx.AsyncClient, headers: Headers, job_id: int) -> int:
    return int((await client.get(f"/api/v1/jobs/{job_id}", headers=headers)).json()["attempts"])
