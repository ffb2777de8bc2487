"""Fixtures every test may use: a fresh database, the app, a client, tenants and callers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.app import create_app
from handwerkml.auth.permissions import Role
from handwerkml.config import Settings
from handwerkml.db.models import Tenant
from handwerkml.embeddings.prepare import DEFAULT_MODEL, DEFAULT_PRECISION, prepare_model
from handwerkml.jobs.events import LocalEvents
from handwerkml.jobs.metrics import JobMetrics
from handwerkml.jobs.worker import Worker
from tests.auth.factories import create_tenant, create_user, token_for
from tests.database import TemplateDatabase, postgres_template, sqlite_template

Headers = dict[str, str]
LoginAs = Callable[..., Awaitable[Headers]]


@pytest.fixture(autouse=True)
def _offline_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's .env or writes into ./var."""
    monkeypatch.chdir(tmp_path)
    for name in ("HANDWERKML_DATABASE_URL", "HANDWERKML_DATA_DIR", "HANDWERKML_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def template_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TemplateDatabase]:
    if request.param == "sqlite":
        yield sqlite_template(tmp_path_factory.mktemp("template"))
    else:
        yield from postgres_template()


@pytest.fixture
def database_url(template_database: TemplateDatabase, tmp_path: Path) -> Iterator[str]:
    with template_database.fresh(tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default embedding model, prepared once per session (about 5 s)."""
    directory = tmp_path_factory.mktemp("models")
    prepare_model(directory, DEFAULT_MODEL, DEFAULT_PRECISION)
    return directory


@pytest.fixture
def settings(database_url: str, tmp_path: Path, models_dir: Path) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        data_dir=tmp_path / "var",
        models_dir=models_dir,
        secret_key="test-secret-key-that-is-long-enough-for-hs256",
        # Job workers only where a test is about jobs (tests/jobs/ turns them on);
        # elsewhere they would only add background queries to every test.
        job_workers=0,
        _env_file=None,
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def session(app: FastAPI) -> AsyncIterator[AsyncSession]:
    """A session for arranging data; factories commit so requests see their rows."""
    async with app.state.database.write() as db:
        yield db


@pytest.fixture
async def tenant(session: AsyncSession) -> Tenant:
    return await create_tenant(session, name="Schreinerei Holzwurm")


@pytest.fixture
async def other_tenant(session: AsyncSession) -> Tenant:
    return await create_tenant(session, name="Fliesen Müller")


@pytest.fixture
def login_as(session: AsyncSession, settings: Settings, tenant: Tenant) -> LoginAs:
    """`await login_as(Role.estimator)` → headers of a fresh user with that role."""

    async def make(role: Role = Role.admin, *, tenant_: Tenant | None = None) -> Headers:
        user = await create_user(session, tenant=tenant_ or tenant, role=role)
        return {"Authorization": f"Bearer {token_for(user, settings)}"}

    return make


@pytest.fixture
async def admin_headers(login_as: LoginAs) -> Headers:
    return await login_as(Role.admin)


RunJobs = Callable[[], Awaitable[int]]


@pytest.fixture
def run_jobs(app: FastAPI) -> RunJobs:
    """Run every runnable job now, with the app's resources; tests decide when jobs run."""
    worker = Worker(
        database=app.state.database,
        settings=app.state.settings,
        events=LocalEvents(),
        metrics=JobMetrics(CollectorRegistry()),
        resources=app.state.resources,
        runner="test",
    )
    return worker.drain
