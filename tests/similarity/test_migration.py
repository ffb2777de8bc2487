"""Changing the embedding model while searches go on: fill, switch, switch back.

The new model is an OpenAI-compatible server started by the test (hash-based
vectors of another dimension, 16 instead of 384): the old system's 384 → 768
move, with a real HTTP provider.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from handwerkml.config import Settings
from tests.conftest import Headers, RunJobs
from tests.embeddings.http_server import ServerScript, embeddings_server
from tests.projects.factories import project_body

E5 = "local:multilingual-e5-small@onnx-int8"
FAKE = "openai-compatible:fake-16"


@pytest.fixture
def script() -> ServerScript:
    return ServerScript(dimension=16)


@pytest.fixture
def settings(settings: Settings, script: ServerScript) -> Iterator[Settings]:
    with embeddings_server(script) as url:
        yield settings.model_copy(
            update={
                "embedding_http_url": url,
                "embedding_http_dimension": 16,
                "job_max_attempts": 1,
            }
        )


@pytest.fixture
async def projects(
    client: httpx.AsyncClient, admin_headers: Headers, run_jobs: RunJobs
) -> list[int]:
    ids = []
    for n in range(12):
        body = project_body(name=f"Projekt {n}", description=f"Treppe Nummer {n}")
        response = await client.post("/api/v1/projects", json=body, headers=admin_headers)
        ids.append(response.json()["id"])
    await run_jobs()
    return ids


async def _search(client: httpx.AsyncClient, headers: Headers) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/similarity/find-similar",
        json={"query": "Treppe", "threshold": -1},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    assert len(result["results"]) == 5, result
    return result


async def _collections(client: httpx.AsyncClient, headers: Headers) -> dict[str, str]:
    response = await client.get("/api/v1/embeddings/collections", headers=headers)
    assert response.status_code == 200, response.text
    return {c["model_id"]: c["status"] for c in response.json()}


async def test_migration_switches_atomically_under_searches_and_switches_back(
    client: httpx.AsyncClient, admin_headers: Headers, projects: list[int], run_jobs: RunJobs
) -> None:
    started = await client.post(
        "/api/v1/embeddings/migrations", json={"model": FAKE}, headers=admin_headers
    )
    assert started.status_code == 202, started.text
    assert started.json()["status"] == "building"
    assert await _collections(client, admin_headers) == {E5: "active", FAKE: "building"}

    seen: list[str] = []
    migrated = asyncio.Event()

    async def keep_searching() -> None:
        while not migrated.is_set() or seen[-1] != FAKE:
            seen.append((await _search(client, admin_headers))["model_id"])
            await asyncio.sleep(0)

    searcher = asyncio.create_task(keep_searching())
    await asyncio.sleep(0.1)
    await run_jobs()
    migrated.set()
    await asyncio.wait_for(searcher, 30)

    # Every search used one whole collection: the old until the switch, the new after.
    switch = seen.index(FAKE)
    assert switch > 0
    assert set(seen[:switch]) == {E5}
    assert set(seen[switch:]) == {FAKE}
    assert await _collections(client, admin_headers) == {E5: "standby", FAKE: "active"}

    # Written to both while one is standby: switching back needs no re-embedding.
    late = await client.post(
        "/api/v1/projects",
        json=project_body(name="Wendeltreppe aus Buche", description="Wendeltreppe"),
        headers=admin_headers,
    )
    await run_jobs()
    collections = (await client.get("/api/v1/embeddings/collections", headers=admin_headers)).json()
    e5_name = next(c["name"] for c in collections if c["model_id"] == E5)
    back = await client.post(
        f"/api/v1/embeddings/collections/{e5_name}/activate", headers=admin_headers
    )
    assert back.status_code == 200, back.text
    assert back.json()["status"] == "active"
    result = await client.post(
        "/api/v1/similarity/find-similar",
        json={"query": "Wendeltreppe aus Buche"},
        headers=admin_headers,
    )
    assert result.json()["model_id"] == E5
    assert result.json()["results"][0]["id"] == late.json()["id"]

    again = await client.post(
        "/api/v1/embeddings/migrations", json={"model": E5}, headers=admin_headers
    )
    assert again.status_code == 409  # already active


async def test_a_failed_migration_leaves_the_old_collection_in_service(
    client: httpx.AsyncClient,
    admin_headers: Headers,
    projects: list[int],
    run_jobs: RunJobs,
    script: ServerScript,
) -> None:
    script.fail_next, script.fail_status = 1000, 400
    started = await client.post(
        "/api/v1/embeddings/migrations", json={"model": FAKE}, headers=admin_headers
    )
    assert started.status_code == 202
    await run_jobs()
    assert await _collections(client, admin_headers) == {E5: "active", FAKE: "building"}
    assert (await _search(client, admin_headers))["model_id"] == E5
    # Writes no longer go to the abandoned collection (the server is still failing).
    created = await client.post(
        "/api/v1/projects", json=project_body(name="Neu"), headers=admin_headers
    )
    assert created.status_code == 201
    await run_jobs()
    stats = (await client.get("/api/v1/similarity/stats", headers=admin_headers)).json()
    assert stats["index_size"] == len(projects) + 1
    # Once the server works again, the migration can be started anew.
    script.fail_next = 0
    retried = await client.post(
        "/api/v1/embeddings/migrations", json={"model": FAKE}, headers=admin_headers
    )
    assert retried.status_code == 202, retried.text


@pytest.mark.parametrize("model", ["no-such-model", "local:nope@onnx-int8"])
async def test_an_unknown_model_is_refused(
    client: httpx.AsyncClient, admin_headers: Headers, model: str
) -> None:
    response = await client.post(
        "/api/v1/embeddings/migrations", json={"model": model}, headers=admin_headers
    )
    assert response.status_code == 422
    assert "model" in response.text
