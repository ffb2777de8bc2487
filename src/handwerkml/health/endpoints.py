"""Health checks (public) and Prometheus metrics (public unless configured otherwise)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from handwerkml.db.engine import Database
from handwerkml.jobs.events import EventBus
from handwerkml.kit.time import utcnow

logger = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["healthy"]
    timestamp: datetime


class Check(BaseModel):
    name: str
    ok: bool
    detail: str | None = None


class Readiness(BaseModel):
    status: Literal["ready", "unavailable"]
    checks: list[Check]


@router.get("/health", response_model=Health)
async def health() -> Health:
    return Health(status="healthy", timestamp=utcnow())


@router.get("/health/live", response_model=Health)
async def live() -> Health:
    return Health(status="healthy", timestamp=utcnow())


@router.get(
    "/health/ready",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "A backend is down"}},
)
async def ready(request: Request, response: Response) -> Readiness:
    database: Database = request.app.state.database
    checks = [await _check("database", _select_one(database.engine))]
    if database.read_engine is not database.engine:
        checks.append(await _check("database (reads)", _select_one(database.read_engine)))
    if request.app.state.settings.queue == "celery":
        # Without Redis no worker is woken and no progress event crosses processes.
        events: EventBus = request.app.state.job_events
        checks.append(await _check("broker (redis)", events.ping()))
    ok = all(check.ok for check in checks)
    response.status_code = 200 if ok else 503
    return Readiness(status="ready" if ok else "unavailable", checks=checks)


async def _check(name: str, probe: Awaitable[None]) -> Check:
    try:
        async with asyncio.timeout(3):
            await probe
    except Exception as exc:  # readiness reports any failure; it must never raise
        return Check(name=name, ok=False, detail=f"{type(exc).__name__}: {exc}"[:300])
    return Check(name=name, ok=True)


async def _select_one(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def metrics(request: Request) -> Response:
    """Prometheus exposition; mounted by the app factory, behind auth unless metrics_public."""
    try:
        async with asyncio.timeout(2):
            await request.app.state.queue_gauges.refresh(
                request.app.state.database, request.app.state.settings
            )
    except Exception:  # a scrape must answer even when the database does not
        logger.warning("could not read queue depth for /metrics", exc_info=True)
    body = request.app.state.metrics.render()
    return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")
