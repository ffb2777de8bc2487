"""`handwerkml train --tenant SLUG`: the training job from the command line, in this process."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from handwerkml.cli._db import session_scope
from handwerkml.config import get_settings
from handwerkml.db.models import PriceModel
from handwerkml.kit.time import utcnow
from tests.auth.factories import create_tenant
from tests.cli.test_cli import cli_database, invoke, migrate
from tests.projects.factories import create_project

__all__ = ["cli_database"]  # the autouse fixture, re-exported for this module


@pytest.fixture(autouse=True)
def _small_minimum(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HANDWERKML_PRICING_MIN_TRAINING_PROJECTS", "12")


def _tenant_with_projects(finished: int) -> str:
    async def work() -> str:
        async with session_scope(get_settings()) as session:
            tenant = await create_tenant(session, name="Zimmerei Balken")
            for n in range(finished):
                area = Decimal(8 + 3 * n)
                project = await create_project(
                    session,
                    tenant=tenant,
                    name=f"Treppe {n}",
                    complexity=1 + n % 5,
                    total_area_sqm=area,
                    final_price=area * (1500 + 100 * (n % 5)),
                    project_date=date(2025, 1, 1) + timedelta(days=20 * n),
                    status="abgeschlossen",
                )
                project.is_finalized, project.finalized_at = True, utcnow()
            await session.commit()
            return tenant.slug

    return asyncio.run(work())


def _versions() -> list[tuple[int, str, int]]:
    async def work() -> list[tuple[int, str, int]]:
        async with session_scope(get_settings()) as session:
            rows = await session.scalars(select(PriceModel).order_by(PriceModel.version))
            return [(m.version, m.status, m.row_count) for m in rows]

    return asyncio.run(work())


def test_train_makes_an_active_version(cli_database: Path) -> None:
    migrate()
    few = _tenant_with_projects(3)
    refused = invoke("train", "--tenant", few)
    assert refused.exit_code == 1
    assert "Too few finished projects" in refused.output

    slug = _tenant_with_projects(14)
    result = invoke("train", "--tenant", slug)
    assert result.exit_code == 0, result.output
    assert "succeeded" in result.output
    assert "'status': 'active'" in result.output
    assert _versions() == [(1, "active", 14)]
    assert invoke("train", "--tenant", "nobody").exit_code == 1
