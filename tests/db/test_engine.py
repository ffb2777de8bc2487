"""The read side of the database: GET sessions see committed data and cannot write."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from handwerkml.config import Settings
from handwerkml.db.engine import Database
from handwerkml.db.models import Tenant
from tests.conftest import Headers


async def test_reads_see_what_writes_committed(settings: Settings) -> None:
    database = Database.connect(settings)
    try:
        async with database.write() as session:
            session.add(Tenant(name="Malerei Blau", slug="blau"))
            await session.commit()
        async with database.read() as session:
            names = (await session.scalars(select(Tenant.name))).all()
        assert names == ["Malerei Blau"]
    finally:
        await database.dispose()


async def test_sqlite_read_sessions_refuse_writes(settings: Settings) -> None:
    database = Database.connect(settings)
    if not settings.is_sqlite:
        # PostgreSQL reads and writes share one engine; nothing read-only to test.
        assert database.read_engine is database.engine
        await database.dispose()
        return
    try:
        assert database.read_engine is not database.engine
        async with database.read() as session:
            with pytest.raises(OperationalError, match="readonly"):
                await session.execute(
                    text(
                        "INSERT INTO tenants (name, slug, tier, is_active, "
                        "created_at, updated_at) VALUES ('x', 'x', 'free', 1, "
                        "'2026-01-01', '2026-01-01')"
                    )
                )
        # The same connections still answer reads after the refused write.
        async with database.read() as session:
            assert await session.scalar(text("SELECT count(*) FROM tenants")) == 0
    finally:
        await database.dispose()


async def test_money_round_trips_exactly(client: httpx.AsyncClient, admin_headers: Headers) -> None:
    body = {"name": "Kante", "category": "Holz", "unit_price": "1234567890.99", "unit": "lfm"}
    created = await client.post("/api/v1/materials", json=body, headers=admin_headers)
    assert created.status_code == 201, created.text
    read = await client.get(f"/api/v1/materials/{created.json()['id']}", headers=admin_headers)
    assert Decimal(str(read.json()["unit_price"])) == Decimal("1234567890.99")
