"""`handwerkml jobs …` and `handwerkml worker`, in-process against their own SQLite file."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from handwerkml.cli._db import session_scope
from handwerkml.config import get_settings
from handwerkml.jobs import service
from handwerkml.jobs.kinds import load_kinds
from tests.auth.factories import create_tenant
from tests.cli.test_cli import cli_database, invoke, migrate

__all__ = ["cli_database"]  # the autouse fixture, re-exported for this module


def _submit(items: int = 3) -> int:
    settings = get_settings()
    load_kinds(settings)

    async def work() -> int:
        async with session_scope(settings) as session:
            tenant = await create_tenant(session, name="Malerei Kunterbunt")
            job = await service.submit(
                session, settings, tenant_id=tenant.id, kind="noop", params={"items": items}
            )
            return job.id

    return asyncio.run(work())


def test_list_show_pause_resume_cancel(cli_database: Path) -> None:
    migrate()
    job_id = _submit()
    listed = invoke("jobs", "list")
    assert listed.exit_code == 0, listed.output
    assert f"{job_id:>6}  queued" in listed.output
    assert "noop" in listed.output

    paused = invoke("jobs", "pause", str(job_id))
    assert paused.exit_code == 0, paused.output
    assert "paused" in paused.output
    assert "queued" in invoke("jobs", "resume", str(job_id)).output
    assert "cancelled" in invoke("jobs", "cancel", str(job_id)).output
    again = invoke("jobs", "cancel", str(job_id))
    assert again.exit_code == 1
    assert "is cancelled; it cannot be cancelled" in again.output

    shown = invoke("jobs", "show", str(job_id), "--json")
    assert shown.exit_code == 0, shown.output
    assert '"status": "cancelled"' in shown.output
    assert invoke("jobs", "list", "--status", "queued").output.strip() == ""


def test_show_of_a_missing_job_says_so(cli_database: Path) -> None:
    migrate()
    result = invoke("jobs", "show", "4711")
    assert result.exit_code == 1
    assert "Job 4711 not found" in result.output


def test_worker_refuses_to_start_in_the_embedded_mode(
    cli_database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HANDWERKML_QUEUE", raising=False)
    result = invoke("worker")
    assert result.exit_code == 1
    assert "HANDWERKML_QUEUE is not 'celery'" in result.output
