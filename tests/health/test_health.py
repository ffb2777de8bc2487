"""Health, readiness and Prometheus metrics."""

from __future__ import annotations

from dataclasses import replace

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import create_async_engine

from handwerkml.db.engine import Database
from tests.conftest import Headers


async def test_health_keeps_the_seed_shape(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "healthy"
    assert "timestamp" in response.json()
    assert (await client.get("/health/live")).status_code == 200


async def test_ready_checks_the_database(client: httpx.AsyncClient, app: FastAPI) -> None:
    ready = await client.get("/health/ready")
    assert ready.status_code == 200
    assert all(check["ok"] for check in ready.json()["checks"])
    assert ready.json()["checks"][0]["name"] == "database"

    original: Database = app.state.database
    unreachable = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    app.state.database = replace(original, engine=unreachable, read_engine=unreachable)
    try:
        down = await client.get("/health/ready")
    finally:
        await unreachable.dispose()
        app.state.database = original
    assert down.status_code == 503
    assert down.json()["status"] == "unavailable"
    assert down.json()["checks"][0]["ok"] is False


async def test_metrics_count_requests_by_route_template(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    await client.get("/api/v1/auth/me", headers=admin_headers)
    await client.get("/api/v1/users/424242", headers=admin_headers)
    await client.get("/no/such/path")
    body = (await client.get("/metrics")).text
    assert (
        'handwerkml_http_requests_total{method="GET",route="/api/v1/auth/me",status="200"} 1.0'
        in body
    )
    assert 'route="<unmatched>",status="404"' in body
    assert "handwerkml_http_request_duration_seconds_bucket" in body
