"""The `handwerkml` command line, run in-process against its own SQLite file.

These tests are synchronous on purpose: each command starts its own event loop
(asyncio.run), which cannot happen inside a running one.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner, Result

from handwerkml import __version__
from handwerkml.auth import security
from handwerkml.auth import service as auth_service
from handwerkml.cli import app, users
from handwerkml.cli._db import session_scope
from handwerkml.config import get_settings

runner = CliRunner()


@pytest.fixture(autouse=True)
def cli_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    database = tmp_path / "cli.db"
    monkeypatch.setenv("HANDWERKML_DATABASE_URL", f"sqlite+aiosqlite:///{database}")
    monkeypatch.setenv("HANDWERKML_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("HANDWERKML_SECRET_KEY", "cli-test-secret-key-that-is-long-enough")
    for name in (
        "HANDWERKML_DEMO_ADMIN_EMAIL",
        "HANDWERKML_DEMO_ADMIN_PASSWORD",
        "HANDWERKML_DEMO_SEED",
        "HANDWERKML_HOST",
        "HANDWERKML_PORT",
        "HANDWERKML_WORKERS",
    ):
        monkeypatch.delenv(name, raising=False)
    # get_settings is cached: each test must read the environment set above.
    get_settings.cache_clear()
    yield database
    get_settings.cache_clear()


def invoke(*args: str, input: str | None = None) -> Result:
    return runner.invoke(app, list(args), input=input)


def migrate() -> None:
    result = invoke("migrate")
    assert result.exit_code == 0, result.output


def role_after_login(email: str, password: str) -> str:
    """Log in through the auth service and return the role the access token carries."""
    settings = get_settings()

    async def attempt() -> str:
        async with session_scope(settings) as session:
            tokens = await auth_service.login(session, settings, email, password)
        claims = security.decode_token(
            tokens.access_token, secret=settings.jwt_secret(), expected="access"
        )
        assert claims is not None
        return claims.role

    return asyncio.run(attempt())


def rows(database: Path, query: str) -> list[Any]:
    with sqlite3.connect(database) as connection:
        return connection.execute(query).fetchall()


def test_version_prints_the_package_version() -> None:
    result = invoke("version")
    assert result.exit_code == 0
    assert result.stdout == f"handwerkml {__version__}\n"


@pytest.mark.parametrize(
    "command",
    [[], ["serve"], ["migrate"], ["demo"], ["users"], ["users", "create"], ["version"]],
    ids=lambda command: " ".join(command) or "handwerkml",
)
def test_every_command_explains_itself(command: list[str]) -> None:
    result = invoke(*command, "--help")
    assert result.exit_code == 0, result.output
    assert "Usage: handwerkml" in result.stdout


def test_migrate_reports_the_database_without_its_password(
    monkeypatch: pytest.MonkeyPatch, cli_database: Path
) -> None:
    result = invoke("migrate")
    assert result.exit_code == 0, result.output
    assert f"Database sqlite+aiosqlite:///{cli_database} is up to date" in result.stdout
    assert {name for (name,) in rows(cli_database, "select name from sqlite_master")} >= {
        "tenants",
        "projects",
        "materials",
    }

    monkeypatch.setenv("HANDWERKML_DATABASE_URL", "postgresql+asyncpg://hw:geheim@127.0.0.1:1/x")
    get_settings.cache_clear()
    failed = invoke("migrate")
    assert failed.exit_code == 1
    assert "geheim" not in failed.output
    assert "hw:***@127.0.0.1:1/x" in failed.stderr


def test_demo_if_empty_loads_once_and_its_password_logs_in(cli_database: Path) -> None:
    migrate()
    first = invoke("demo", "--if-empty", "--projects", "20")
    assert first.exit_code == 0, first.output
    assert "Schreinerei Holzwurm GmbH (holzwurm): 20 projects" in first.stdout
    assert "Fliesen & Bad Krause (krause): 5 projects" in first.stdout
    assert "save it now, it is not shown again" in first.stdout
    match = re.search(r"password: (\S+)", first.stdout)
    assert match is not None
    password = match.group(1)
    assert rows(cli_database, "select count(*) from projects") == [(25,)]

    again = invoke("demo", "--if-empty")
    assert again.exit_code == 0
    assert "demo data not loaded" in again.stdout
    assert password not in again.stdout
    assert rows(cli_database, "select count(*) from projects") == [(25,)]

    assert role_after_login("admin@demo.handwerkml.de", password) == "admin"
    assert role_after_login("estimator@demo.handwerkml.de", password) == "estimator"
    assert role_after_login("admin@krause.example.de", password) == "admin"
    for email in ("manager", "staff", "viewer", "admin@krause.example.de"):
        assert email in first.stdout

    refused = invoke("demo", "--projects", "20")
    assert refused.exit_code == 1
    assert "already loaded" in refused.stderr


def test_demo_uses_the_configured_login_and_does_not_echo_the_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HANDWERKML_DEMO_ADMIN_EMAIL", "meister@werkstatt.example.de")
    monkeypatch.setenv("HANDWERKML_DEMO_ADMIN_PASSWORD", "werkstatt-geheim-9")
    get_settings.cache_clear()
    migrate()
    result = invoke("demo", "--projects", "4", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert "meister@werkstatt.example.de" in result.stdout
    assert "viewer@werkstatt.example.de" in result.stdout
    assert "werkstatt-geheim-9" not in result.stdout
    assert role_after_login("viewer@werkstatt.example.de", "werkstatt-geheim-9") == "viewer"


def test_demo_on_an_unmigrated_database_says_what_to_do() -> None:
    result = invoke("demo", "--projects", "4")
    assert result.exit_code == 1
    assert "handwerkml migrate" in result.stderr
    assert "Traceback" not in result.output


def test_users_create_makes_tenant_and_user_and_refuses_a_duplicate(cli_database: Path) -> None:
    migrate()
    created = invoke(
        "users", "create", "Boss@Example.de", "--role", "manager", "--tenant", "acme",
        "--tenant-name", "Acme GmbH", "--password", "geheim-123",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    assert "Created tenant 'Acme GmbH' (acme)" in created.stdout
    assert "Created user boss@example.de with role manager" in created.stdout
    assert role_after_login("boss@example.de", "geheim-123") == "manager"

    second = invoke(
        "users", "create", "kollege@example.de", "--role", "VIEWER", "--tenant", "acme",
        "--password", "geheim-456",
    )  # fmt: skip
    assert second.exit_code == 0, second.output
    assert "Created tenant" not in second.stdout
    assert rows(cli_database, "select count(*) from tenants") == [(1,)]

    duplicate = invoke(
        "users", "create", "boss@example.de", "--role", "admin", "--tenant", "acme",
        "--password", "anders-123",
    )  # fmt: skip
    assert duplicate.exit_code == 1
    assert "already exists" in duplicate.stderr
    assert role_after_login("boss@example.de", "geheim-123") == "manager"


def test_users_create_in_an_unknown_tenant_fails(cli_database: Path) -> None:
    migrate()
    result = invoke(
        "users", "create", "a@example.de", "--role", "admin", "--tenant", "nope",
        "--password", "geheim-123",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "Unknown tenant 'nope'" in result.stderr
    assert rows(cli_database, "select count(*) from users") == [(0,)]


def test_users_create_asks_for_the_password_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    migrate()
    monkeypatch.setattr(users, "_stdin_is_interactive", lambda: True)
    mismatch = invoke(
        "users", "create", "c@example.de", "--role", "staff", "--tenant", "t", "--tenant-name", "T",
        input="geheim-123\nanders-123\ngeheim-123\ngeheim-123\n",
    )  # fmt: skip
    assert mismatch.exit_code == 0, mismatch.output
    assert "do not match" in mismatch.output
    assert "geheim-123" not in mismatch.stdout
    assert role_after_login("c@example.de", "geheim-123") == "staff"


def test_users_create_rejects_missing_short_passwords_and_bad_emails() -> None:
    migrate()
    base = ("--role", "staff", "--tenant", "t", "--tenant-name", "T")
    no_terminal = invoke("users", "create", "d@example.de", *base)
    assert no_terminal.exit_code == 1
    assert "No --password given" in no_terminal.stderr
    short = invoke("users", "create", "d@example.de", *base, "--password", "kurz")
    assert short.exit_code == 1
    assert "at least 8 characters" in short.stderr
    bad = invoke("users", "create", "keine-adresse", *base, "--password", "geheim-123")
    assert bad.exit_code == 1
    assert "not a valid email address" in bad.stderr
    unknown_role = invoke("users", "create", "d@example.de", "--role", "boss", "--tenant", "t")
    assert unknown_role.exit_code == 2


def test_serve_runs_the_app_factory_with_settings_and_flags(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configs: list[uvicorn.Config] = []
    monkeypatch.setattr("handwerkml.cli.serve.run_server", configs.append)
    monkeypatch.setenv("HANDWERKML_PORT", "9123")
    monkeypatch.setenv("HANDWERKML_WORKERS", "3")
    get_settings.cache_clear()

    result = invoke("serve")
    assert result.exit_code == 0, result.output
    assert "OpenAPI UI: http://127.0.0.1:9123/docs" in result.stdout
    config = configs[0]
    assert config.app == "handwerkml.app:create_app"
    assert config.factory is True
    assert (config.host, config.port, config.workers) == ("127.0.0.1", 9123, 3)
    assert (config.reload, config.access_log, config.loop) == (False, False, "asyncio")

    flagged = invoke("serve", "--host", "0.0.0.0", "--port", "8080", "--reload", "--access-log")
    assert flagged.exit_code == 0, flagged.output
    assert "http://0.0.0.0:8080" in flagged.stdout
    config = configs[1]
    assert (config.host, config.port, config.workers) == ("0.0.0.0", 8080, 1)
    assert config.reload is True
    assert config.access_log is True

    assert invoke("serve", "--port", "70000").exit_code == 2
