"""The jobs API around the runners: validation, quotas, the seed's task views, streams."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

import httpx
import pytest
import uvicorn
import websockets
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.app import create_app
from handwerkml.config import Settings
from tests.auth.factories import create_tenant, create_user, token_for
from tests.conftest import Headers
from tests.jobs.conftest import both_runners, wait_for_job


async def _submit(client: httpx.AsyncClient, headers: Headers, body: Any) -> httpx.Response:
    return await client.post("/api/v1/jobs", json=body, headers=headers)


@pytest.mark.parametrize(
    ("body", "where", "says"),
    [
        ({"kind": "nonsense"}, ["body", "kind"], "Unknown job kind 'nonsense'"),
        ({"kind": "retention.cleanup"}, ["body", "kind"], "Unknown job kind"),
        ({"kind": "noop", "params": {"items": 0}}, ["body", "params"], "items: Input should be"),
        ({"kind": "noop", "params": {"itemz": 3}}, ["body", "params"], "itemz: Extra inputs"),
        ({"kind": "noop", "params": [1, 2]}, ["body", "params"], "valid dictionary"),
        ({"kind": "noop", "priority": 99}, ["body", "priority"], "less than or equal to 10"),
    ],
)
async def test_malformed_jobs_are_refused_with_422(
    client: httpx.AsyncClient,
    admin_headers: Headers,
    body: dict[str, Any],
    where: list[str],
    says: str,
) -> None:
    response = await _submit(client, admin_headers, body)
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"][: len(where)] == where
    assert says in error["msg"]


async def test_a_job_over_the_daily_quota_is_refused_with_429(
    client: httpx.AsyncClient, admin_headers: Headers, settings: Settings
) -> None:
    limit = settings.tiers["free"].daily_units
    half = {"kind": "test.effect", "params": {"items": limit // 20, "units_per_item": 10}}
    first = await _submit(client, admin_headers, half)
    assert first.status_code == 201
    await wait_for_job(client, admin_headers, first.json()["id"])
    too_much = {"kind": "test.effect", "params": {"items": limit // 20 + 1, "units_per_item": 10}}
    refused = await _submit(client, admin_headers, too_much)
    assert refused.status_code == 429
    message = refused.json()["detail"]
    assert f"the limit is {limit} chunks per day, {limit // 2} are used" in message
    assert "resets at" in message
    assert message.rstrip(".").endswith("T00:00:00Z")
    assert int(refused.headers["Retry-After"]) > 0
    summary = (await client.get("/api/v1/tasks/summary", headers=admin_headers)).json()
    assert (summary["units_used_today"], summary["daily_quota"]) == (limit // 2, limit)
    fits = {"kind": "test.effect", "params": {"items": limit // 20, "units_per_item": 10}}
    assert (await _submit(client, admin_headers, fits)).status_code == 201


async def test_seed_task_views_show_the_same_jobs(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    job = (await _submit(client, admin_headers, {"kind": "noop", "params": {"items": 3}})).json()
    await wait_for_job(client, admin_headers, job["id"])
    task = (await client.get(f"/api/v1/tasks/task/{job['id']}", headers=admin_headers)).json()
    assert task == {
        "task_id": str(job["id"]),
        "status": "SUCCESS",
        "result": {"items_done": 3, "items_failed": 0},
        "ready": True,
        "successful": True,
    }
    result = await client.get(f"/api/v1/tasks/task/{job['id']}/result", headers=admin_headers)
    assert result.json()["status"] == "SUCCESS"
    assert (await client.get("/api/v1/tasks/task/abc", headers=admin_headers)).status_code == 404

    slow = (
        await _submit(
            client, admin_headers, {"kind": "noop", "params": {"items": 50, "sleep_ms": 50}}
        )
    ).json()
    await wait_for_job(client, admin_headers, slow["id"], until=lambda j: j["status"] == "running")
    active = (await client.get("/api/v1/tasks/tasks/active", headers=admin_headers)).json()
    assert [t["task_id"] for t in active] == [str(slow["id"])]
    assert active[0]["status"] == "STARTED"
    assert active[0]["successful"] is None
    stats = (await client.get("/api/v1/tasks/queue/stats", headers=admin_headers)).json()
    assert stats["active_tasks"] + stats["reserved_tasks"] == 1
    assert stats["workers"] == 2
    assert stats["queue_stats"]["runner"] == "inprocess"
    workers = (await client.get("/api/v1/tasks/workers/stats", headers=admin_headers)).json()
    assert workers["alive"] == 2
    revoked = await client.post(f"/api/v1/tasks/task/{slow['id']}/revoke", headers=admin_headers)
    assert revoked.json()["status"] == "REVOKED"
    again = await client.post(f"/api/v1/tasks/task/{slow['id']}/revoke", headers=admin_headers)
    assert again.status_code == 409
    health = (await client.get("/api/v1/tasks/health", headers=admin_headers)).json()
    assert health["status"] == "healthy"


async def test_list_filters_by_status_kind_and_date(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    noop = (await _submit(client, admin_headers, {"kind": "noop"})).json()
    effect = (
        await _submit(
            client, admin_headers, {"kind": "test.effect", "params": {"poison": [0, 1, 2, 3, 4, 5]}}
        )
    ).json()
    await wait_for_job(client, admin_headers, noop["id"])
    await wait_for_job(client, admin_headers, effect["id"])

    async def ids(**params: str) -> list[int]:
        response = await client.get("/api/v1/jobs", params=params, headers=admin_headers)
        assert response.status_code == 200, response.text
        return [job["id"] for job in response.json()]

    assert await ids(kind="noop") == [noop["id"]]
    assert await ids(status="failed") == [effect["id"]]
    assert await ids(created_after=noop["created_at"]) == [effect["id"], noop["id"]]
    assert await ids(created_before=noop["created_at"]) == []


@both_runners
async def test_sse_streams_progress_until_the_job_ends(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    job = (
        await _submit(
            client, admin_headers, {"kind": "noop", "params": {"items": 30, "sleep_ms": 20}}
        )
    ).json()
    events: list[tuple[str, dict[str, Any]]] = []
    async with client.stream(
        "GET", f"/api/v1/jobs/{job['id']}/events", headers=admin_headers
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        name = ""
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                events.append((name, json.loads(line.removeprefix("data: "))))
    assert len(events) >= 3
    assert [name for name, _ in events[:-1]] == ["progress"] * (len(events) - 1)
    assert events[-1][0] == "end"
    assert events[-1][1]["status"] == "succeeded"
    done = [data["progress"]["done"] for _, data in events]
    assert done == sorted(done)
    assert done[-1] == 30
    missing = await client.get("/api/v1/jobs/999999/events", headers=admin_headers)
    assert missing.status_code == 404


async def test_websocket_streams_progress_and_refuses_strangers(
    app: FastAPI, admin_headers: Headers, session: AsyncSession, settings: Settings
) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning"))
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
            await asyncio.sleep(0.01)
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base) as http:
            body = {"kind": "noop", "params": {"items": 20, "sleep_ms": 20}}
            job = (await http.post("/api/v1/jobs", json=body, headers=admin_headers)).json()
        token = admin_headers["Authorization"].removeprefix("Bearer ")
        url = f"ws://127.0.0.1:{port}/api/v1/jobs/{job['id']}/ws?token={token}"
        messages = []
        async with websockets.connect(url) as ws:
            async for raw in ws:
                messages.append(json.loads(raw))
        assert messages[-1]["event"] == "end"
        assert messages[-1]["job"]["progress"]["done"] == 20

        # A client that leaves while nothing happens (a paused job) is noticed at once.
        async with httpx.AsyncClient(base_url=base) as http:
            held = (await http.post("/api/v1/jobs", json=body, headers=admin_headers)).json()
            await http.post(f"/api/v1/jobs/{held['id']}/pause", headers=admin_headers)
        held_url = f"ws://127.0.0.1:{port}/api/v1/jobs/{held['id']}/ws?token={token}"
        async with websockets.connect(held_url) as ws:
            first = json.loads(await ws.recv())
            assert first["job"]["status"] == "paused"
            assert app.state.job_events._listeners.get(held["id"])
        for _ in range(100):
            if not app.state.job_events._listeners.get(held["id"]):
                break
            await asyncio.sleep(0.01)
        assert not app.state.job_events._listeners.get(held["id"])

        stranger_tenant = await create_tenant(session, name="Fremd")
        stranger = token_for(await create_user(session, tenant=stranger_tenant), settings)
        foreign = f"ws://127.0.0.1:{port}/api/v1/jobs/{job['id']}/ws?token={stranger}"
        with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
            async with websockets.connect(foreign):
                pass
        assert refused.value.response.status_code == 403
    finally:
        server.should_exit = True
        # A handler that never ends would hold the shutdown forever; fail instead.
        await asyncio.wait_for(serving, timeout=15)


async def test_metrics_report_queue_depth_and_item_counts(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    job = (
        await _submit(
            client, admin_headers, {"kind": "test.effect", "params": {"items": 4, "flaky": [1]}}
        )
    ).json()
    await wait_for_job(client, admin_headers, job["id"])
    held = (await _submit(client, admin_headers, {"kind": "noop", "priority": 3})).json()
    await client.post(f"/api/v1/jobs/{held['id']}/pause", headers=admin_headers)
    text = (await client.get("/metrics")).text
    assert 'handwerkml_job_items_total{kind="test.effect",outcome="done"} 4.0' in text
    assert 'handwerkml_job_items_total{kind="test.effect",outcome="retry"} 1.0' in text
    assert 'handwerkml_jobs{priority="3",status="paused"} 1.0' in text
    assert "handwerkml_job_workers_alive 2.0" in text
    assert (
        'handwerkml_job_duration_seconds_count{kind="test.effect",status="succeeded"} 1.0' in text
    )


@pytest.mark.no_workers
@pytest.mark.parametrize("runner", ["celery"], indirect=True)
async def test_readiness_checks_the_broker_in_the_celery_mode(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    ready = await client.get("/health/ready")
    assert ready.status_code == 200
    assert {"name": "broker (redis)", "ok": True, "detail": None} in ready.json()["checks"]

    unreachable = create_app(settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"}))
    async with unreachable.router.lifespan_context(unreachable):
        transport = httpx.ASGITransport(app=unreachable)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as other:
            down = await other.get("/health/ready")
    assert down.status_code == 503
    broker = next(c for c in down.json()["checks"] if c["name"] == "broker (redis)")
    assert broker["ok"] is False
    assert "ConnectionError" in broker["detail"]
