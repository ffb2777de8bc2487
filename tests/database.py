"""Fresh databases for tests: one migrated template per run, one copy per test.

SQLite always; PostgreSQL when HANDWERKML_TEST_POSTGRES_URL names a server
(any database on it; tests create and drop their own). With CI=true a missing
or unreachable PostgreSQL fails the run instead of skipping.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from handwerkml.config import Settings
from handwerkml.db.migrate import upgrade

POSTGRES_ENV = "HANDWERKML_TEST_POSTGRES_URL"


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@dataclass
class TemplateDatabase:
    kind: str
    url: str

    @contextmanager
    def fresh(self, workdir: Path) -> Iterator[str]:
        if self.kind == "sqlite":
            target = workdir / f"test-{uuid.uuid4().hex[:8]}.db"
            shutil.copyfile(make_url(self.url).database or "", target)
            yield f"sqlite+aiosqlite:///{target}"
            return
        name = f"hwml_test_{uuid.uuid4().hex[:12]}"
        template = make_url(self.url).database
        _pg_admin(self.url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        try:
            yield make_url(self.url).set(database=name).render_as_string(hide_password=False)
        finally:
            _pg_admin(self.url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _pg_admin(url: str, statement: str) -> None:
    parsed = make_url(url)

    async def run() -> None:
        connection = await asyncpg.connect(
            host=parsed.host or "127.0.0.1",
            port=parsed.port or 5432,
            user=parsed.username or "postgres",
            password=parsed.password,
            database="postgres",
        )
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run())


def sqlite_template(directory: Path) -> TemplateDatabase:
    url = f"sqlite+aiosqlite:///{directory / 'template.db'}"
    upgrade(Settings(database_url=url, data_dir=directory))
    return TemplateDatabase(kind="sqlite", url=url)


def postgres_template() -> Iterator[TemplateDatabase]:
    server = os.environ.get(POSTGRES_ENV)
    if not server:
        if _in_ci():
            pytest.fail(f"CI=true but {POSTGRES_ENV} is not set", pytrace=False)
        pytest.skip(f"{POSTGRES_ENV} not set")
    name = f"hwml_template_{uuid.uuid4().hex[:8]}"
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        _pg_admin(url, f'CREATE DATABASE "{name}"')
    except (OSError, asyncpg.PostgresError) as exc:
        message = f"PostgreSQL at {POSTGRES_ENV} is unreachable: {exc}"
        if _in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    try:
        upgrade(Settings(database_url=url))
        yield TemplateDatabase(kind="postgres", url=url)
    finally:
        _pg_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
