"""Behaviour both runners must share: items once each, retries, timeouts, control, fairness."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.auth.permissions import Role
from handwerkml.config import Settings
from tests.auth.factories import create_tenant, create_user, token_for
from tests.conftest import Headers
from tests.jobs.conftest import both_runners, effect_counts, wait_for_job


async def submit(client: httpx.AsyncClient, headers: Headers, **params: Any) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/jobs", json={"kind": "test.effect", "params": params}, headers=headers
    )
    assert response.status_code == 201, response.text
    job: dict[str, Any] = response.json()
    return job


@both_runners
async def test_every_item_runs_exactly_once(
    client: httpx.AsyncClient, admin_headers: Headers, app: FastAPI
) -> None:
    job = await submit(client, admin_headers, items=25)
    done = await wait_for_job(client, admin_headers, job["id"])
    assert done["status"] == "succeeded"
    assert done["progress"] | {"stages": None} == {
        "done": 25,
        "failed": 0,
        "total": 25,
        "percent": 100.0,
        "stages": None,
    }
    assert done["progress"]["stages"] == {
        "run": {"done": 25, "failed": 0, "pending": 0, "total": 25}
    }
    assert await effect_counts(app.state.database, job["id"]) == dict.fromkeys(range(25), 1)
    assert done["checkpoint"]["last_item"] == 24


@both_runners
async def test_poison_item_fails_after_its_retries_and_the_rest_succeed(
    client: httpx.AsyncClient, admin_headers: Headers, app: FastAPI, settings: Settings
) -> None:
    job = await submit(client, admin_headers, items=8, poison=[3], flaky=[5])
    done = await wait_for_job(client, admin_headers, job["id"])
    assert done["status"] == "succeeded"
    assert (done["progress"]["done"], done["progress"]["failed"]) == (7, 1)
    failed = await client.get(
        f"/api/v1/jobs/{job['id']}/items", params={"status": "failed"}, headers=admin_headers
    )
    [item] = failed.json()
    assert item["seq"] == 3
    assert item["attempts"] == settings.job_max_attempts
    assert item["last_error"] == "poison item 3 refuses to work"
    counts = await effect_counts(app.state.database, job["id"])
    assert counts == {seq: 1 for seq in range(8) if seq != 3}
    items = await client.get(f"/api/v1/jobs/{job['id']}/items", headers=admin_headers)
    flaky = next(i for i in items.json() if i["seq"] == 5)
    assert (flaky["status"], flaky["attempts"]) == ("done", 2)


@both_runners
async def test_job_fails_when_too_many_items_fail(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    job = await submit(client, admin_headers, items=4, poison=[0, 1, 2])
    done = await wait_for_job(client, admin_headers, job["id"])
    assert done["status"] == "failed"
    assert done["last_error"] == "3 of 4 items failed"
    retried = await client.post(f"/api/v1/jobs/{job['id']}/retry", headers=admin_headers)
    assert retried.status_code == 200
    assert retried.json()["status"] == "queued"
    again = await wait_for_job(client, admin_headers, job["id"])
    assert again["status"] == "failed"  # poison stays poison, but it was tried again


@both_runners
async def test_stuck_item_times_out_instead_of_hanging_the_job(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    job = await submit(client, admin_headers, items=3, hang=[1])
    done = await wait_for_job(client, admin_headers, job["id"], within=30)
    assert (done["status"], done["progress"]["done"], done["progress"]["failed"]) == (
        "succeeded",
        2,
        1,
    )
    failed = await client.get(
        f"/api/v1/jobs/{job['id']}/items", params={"status": "failed"}, headers=admin_headers
    )
    assert failed.json()[0]["last_error"] == "timed out after 1 s"


@both_runners
async def test_pause_resume_and_cancel_leave_results_consistent(
    client: httpx.AsyncClient, admin_headers: Headers, app: FastAPI
) -> None:
    job = await submit(client, admin_headers, items=60, sleep_ms=40)
    url = f"/api/v1/jobs/{job['id']}"
    await wait_for_job(client, admin_headers, job["id"], until=lambda j: j["progress"]["done"] >= 3)
    paused = await client.post(f"{url}/pause", headers=admin_headers)
    assert paused.json()["status"] == "paused"
    await asyncio.sleep(0.5)  # an item in flight when paused is rolled back, not committed
    before = (await client.get(url, headers=admin_headers)).json()
    await asyncio.sleep(0.5)
    after = (await client.get(url, headers=admin_headers)).json()
    assert before["progress"]["done"] == after["progress"]["done"] < 60
    counts = await effect_counts(app.state.database, job["id"])
    assert sum(counts.values()) == after["progress"]["done"]
    assert set(counts.values()) == {1}

    assert (await client.post(f"{url}/resume", headers=admin_headers)).json()["status"] == "queued"
    target = after["progress"]["done"] + 3
    await wait_for_job(
        client, admin_headers, job["id"], until=lambda j: j["progress"]["done"] >= target
    )
    cancelled = await client.post(f"{url}/cancel", headers=admin_headers)
    assert cancelled.json()["status"] == "cancelled"
    await asyncio.sleep(0.5)
    final = (await client.get(url, headers=admin_headers)).json()
    assert final["status"] == "cancelled"
    assert final["progress"]["done"] < 60
    counts = await effect_counts(app.state.database, job["id"])
    assert sum(counts.values()) == final["progress"]["done"]
    assert set(counts.values()) == {1}
    assert (await client.post(f"{url}/cancel", headers=admin_headers)).status_code == 409


@both_runners
async def test_a_small_job_is_not_starved_by_another_tenants_flood(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    big = await create_tenant(session, name="Großbetrieb", tier="free")
    small = await create_tenant(session, name="Ein-Mann-Betrieb", tier="free")
    big_headers = {
        "Authorization": f"Bearer {token_for(await create_user(session, tenant=big), settings)}"
    }
    small_headers = {
        "Authorization": f"Bearer {token_for(await create_user(session, tenant=small), settings)}"
    }
    # Two big jobs: one for each worker slot the runner has.
    floods = [await submit(client, big_headers, items=150, sleep_ms=20) for _ in range(2)]
    for flood in floods:
        await wait_for_job(
            client, big_headers, flood["id"], until=lambda j: j["progress"]["done"] > 0
        )
    little = await submit(client, small_headers, items=3)
    done = await wait_for_job(client, small_headers, little["id"])
    assert done["status"] == "succeeded"
    for flood in floods:
        state = (await client.get(f"/api/v1/jobs/{flood['id']}", headers=big_headers)).json()
        assert state["status"] == "running", state
        assert state["progress"]["done"] < 150


@both_runners
async def test_jobs_over_the_concurrent_limit_wait_queued(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, app: FastAPI
) -> None:
    tenant = await create_tenant(session, name="Kleiner Betrieb", tier="free")
    user = await create_user(session, tenant=tenant, role=Role.admin)
    headers = {"Authorization": f"Bearer {token_for(user, settings)}"}
    limit = settings.tiers["free"].concurrent_jobs
    jobs = [await submit(client, headers, items=8, sleep_ms=20) for _ in range(limit + 2)]
    most_running = 0
    while True:
        listing = (await client.get("/api/v1/jobs", headers=headers)).json()
        statuses = [job["status"] for job in listing]
        most_running = max(most_running, statuses.count("running"))
        if all(status == "succeeded" for status in statuses):
            break
        await asyncio.sleep(0.02)
    assert most_running == limit
    assert len(listing) == len(jobs)
