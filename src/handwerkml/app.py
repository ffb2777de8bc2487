"""The FastAPI application factory: routers, middleware, error handlers, lifespan."""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry
from sqlalchemy.exc import IntegrityError
from starlette.types import ASGIApp, Receive, Scope, Send

from handwerkml import __version__
from handwerkml.auth.deps import PrincipalCache, get_principal
from handwerkml.auth.endpoints import api_keys_router, users_router
from handwerkml.auth.endpoints import router as auth_router
from handwerkml.company.endpoints import router as settings_router
from handwerkml.config import Settings, get_settings
from handwerkml.db.engine import Database
from handwerkml.documents.endpoints import router as documents_router
from handwerkml.embeddings.cache import CacheMetrics
from handwerkml.health.endpoints import metrics
from handwerkml.health.endpoints import router as health_router
from handwerkml.jobs.endpoints import router as jobs_router
from handwerkml.jobs.endpoints import tasks_router
from handwerkml.jobs.events import create_event_bus
from handwerkml.jobs.kinds import load_kinds
from handwerkml.jobs.metrics import JobMetrics, QueueGauges
from handwerkml.jobs.runners import create_runner
from handwerkml.kit.errors import HandwerkError
from handwerkml.materials.endpoints import router as materials_router
from handwerkml.observability.metrics import HttpMetrics, MetricsMiddleware
from handwerkml.pricing.endpoints import router as predictions_router
from handwerkml.projects.endpoints import router as projects_router
from handwerkml.resources import Resources
from handwerkml.similarity.endpoints import router as similarity_router
from handwerkml.tenders.endpoints import router as tenders_router
from handwerkml.vectors.endpoints import router as embeddings_router

logger = logging.getLogger("handwerkml")

DESCRIPTION = """
HandwerkML remembers every past project of a craft business, prices new ones and
finds anything in its documents.

Authenticate with `POST /api/v1/auth/login` (or the **Authorize** button) and send
`Authorization: Bearer <token>`, or send an API key as `X-API-Key`.
List endpoints take `skip` and `limit` and return the total in `X-Total-Count`.
"""


ROUTERS: tuple[APIRouter, ...] = (
    health_router,
    auth_router,
    users_router,
    api_keys_router,
    projects_router,
    materials_router,
    settings_router,
    jobs_router,
    tasks_router,
    similarity_router,
    embeddings_router,
    documents_router,
    predictions_router,
    tenders_router,
)


class TrailingSlashMiddleware:
    """Answer /api/v1/projects/ and /api/v1/projects alike, without a redirect.

    The seed system's clients call collection paths with a trailing slash; our
    routes are declared without one, so stripping it is always right.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            path: str = scope["path"]
            if len(path) > 1 and path.endswith("/"):
                scope = dict(scope)
                scope["path"] = path.rstrip("/") or "/"
                scope["raw_path"] = scope["path"].encode()
        await self.app(scope, receive, send)


def _renderable(value: Any) -> Any:
    """JSON-ready `value` with what JSON or UTF-8 cannot carry turned into text.

    Error details echo what the client sent, at any depth (a missing field echoes the
    whole body). Python's JSON decoder accepts NaN and Infinity and turns "\\ud800" into
    a lone surrogate; neither renders, so without this a 422 would become a 500.
    """
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {_renderable(key): _renderable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_renderable(item) for item in value]
    return value


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        load_kinds(settings)
        app.state.database = Database.connect(settings)
        app.state.job_events = create_event_bus(settings)
        app.state.resources = Resources.build(settings, app.state.database, app.state.cache_metrics)
        app.state.runner = create_runner(
            settings,
            app.state.database,
            app.state.job_events,
            app.state.job_metrics,
            app.state.resources,
        )
        await app.state.runner.start()
        try:
            yield
        finally:
            await app.state.runner.stop()
            await app.state.resources.close()
            await app.state.job_events.close()
            await app.state.database.dispose()

    app = FastAPI(
        title="HandwerkML",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.principal_cache = PrincipalCache(settings.principal_cache_seconds)
    registry = CollectorRegistry()
    app.state.metrics = HttpMetrics(registry)
    app.state.job_metrics = JobMetrics(registry)
    app.state.queue_gauges = QueueGauges(registry)
    app.state.cache_metrics = CacheMetrics(registry)

    for router in ROUTERS:
        app.include_router(router)
    app.add_api_route(
        "/metrics",
        metrics,
        include_in_schema=False,
        dependencies=[] if settings.metrics_public else [Depends(get_principal)],
    )

    @app.exception_handler(HandwerkError)
    async def _domain_error(_request: Request, exc: HandwerkError) -> JSONResponse:
        return JSONResponse(
            {"detail": _renderable(jsonable_encoder(exc.detail))},
            status_code=exc.status_code,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's own handler would fail to render some inputs it echoes; see _renderable.
        return JSONResponse(
            {"detail": _renderable(jsonable_encoder(exc.errors()))}, status_code=422
        )

    @app.exception_handler(IntegrityError)
    async def _integrity_error(_request: Request, exc: IntegrityError) -> JSONResponse:
        # A constraint the service did not check first (e.g. a concurrent duplicate).
        logger.warning("integrity error: %s", exc.orig)
        return JSONResponse({"detail": "The request conflicts with existing data"}, status_code=409)

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Total-Count"],
        )
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.add_middleware(TrailingSlashMiddleware)
    return app
