"""Loading the demo into a real database, and logging in as its users."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.config import Settings
from handwerkml.db.models import (
    CompanySettings,
    Customer,
    Material,
    MaterialPrice,
    Project,
    ProjectMaterial,
    ProjectType,
    Tenant,
    User,
)
from handwerkml.demo.generator import generate
from handwerkml.demo.loader import database_is_empty, load_demo
from handwerkml.kit.errors import Conflict
from handwerkml.kit.time import utcnow

LOGIN = "/api/v1/auth/login"


async def count(session: AsyncSession, model: type[object]) -> int:
    return await session.scalar(select(func.count()).select_from(model)) or 0


async def me_after_login(client: httpx.AsyncClient, email: str, password: str) -> dict[str, Any]:
    response = await client.post(LOGIN, json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    body: dict[str, Any] = me.json()
    return body


@pytest.fixture
def demo_settings(settings: Settings) -> Settings:
    # Explicit, so a developer's HANDWERKML_DEMO_* variables cannot change the test.
    return settings.model_copy(
        update={"demo_admin_email": "admin@demo.handwerkml.de", "demo_admin_password": None}
    )


async def test_load_demo_writes_every_table_and_the_admin_logs_in(
    session: AsyncSession, demo_settings: Settings, client: httpx.AsyncClient
) -> None:
    assert await database_is_empty(session)
    summary = await load_demo(session, demo_settings, projects=60, seed=7)
    await session.commit()

    assert not await database_is_empty(session)
    assert summary.password_generated
    assert len(summary.admin_password) >= 16
    assert summary.admin_email == "admin@demo.handwerkml.de"
    assert [(t.slug, t.projects) for t in summary.tenants] == [("holzwurm", 60), ("krause", 15)]
    assert await count(session, Tenant) == 2
    assert await count(session, CompanySettings) == 2
    assert await count(session, User) == 6
    # Every new tenant starts with the whole seed catalog.
    assert await count(session, ProjectType) == 12 + 12
    assert await count(session, Project) == 75
    assert await count(session, Customer) == 75
    assert await count(session, Material) == summary.materials == 260 + 60
    assert await count(session, MaterialPrice) > summary.materials
    assert 2 * 75 <= await count(session, ProjectMaterial) <= 6 * 75

    # What lands in the database is exactly what the generator made.
    expected = generate(today=utcnow().date(), seed=7, projects=60).tenants[0].projects[0]
    holzwurm = await session.scalar(select(Tenant).where(Tenant.slug == "holzwurm"))
    assert holzwurm is not None
    assert holzwurm.tier == "premium"
    first = await session.scalar(
        select(Project).where(Project.tenant_id == holzwurm.id).order_by(Project.id).limit(1)
    )
    assert first is not None
    assert (first.name, first.final_price, first.total_area_sqm, first.project_date) == (
        expected.name,
        expected.final_price,
        expected.total_area_sqm,
        expected.project_date,
    )
    customer = await session.get(Customer, first.customer_id)
    assert customer is not None
    assert customer.email == expected.customer.email

    # Every project material points at a material of its own tenant.
    crossing = await session.scalar(
        select(func.count())
        .select_from(ProjectMaterial)
        .join(Material, Material.id == ProjectMaterial.material_id)
        .where(Material.tenant_id != ProjectMaterial.tenant_id)
    )
    assert crossing == 0
    company = await session.scalar(
        select(CompanySettings).where(CompanySettings.tenant_id == holzwurm.id)
    )
    assert company is not None
    assert (company.company_name, company.default_region) == (holzwurm.name, "Bayern")

    me = await me_after_login(client, "admin@demo.handwerkml.de", summary.admin_password)
    assert me["role"] == "admin"
    assert me["tenant"]["slug"] == "holzwurm"
    krause = await me_after_login(client, "admin@krause.example.de", summary.admin_password)
    assert krause["tenant"]["slug"] == "krause"


async def test_configured_password_serves_every_role_and_a_second_load_is_refused(
    session: AsyncSession, demo_settings: Settings, client: httpx.AsyncClient
) -> None:
    configured = demo_settings.model_copy(
        update={
            "demo_admin_email": "Chef@Tischlerei.example.de",
            "demo_admin_password": SecretStr("demo-passwort-123"),
        }
    )
    summary = await load_demo(session, configured, projects=8)
    await session.commit()
    assert not summary.password_generated
    assert summary.admin_password == "demo-passwort-123"
    assert summary.admin_email == "chef@tischlerei.example.de"

    for role in ("estimator", "viewer"):
        me = await me_after_login(client, f"{role}@tischlerei.example.de", "demo-passwort-123")
        assert me["role"] == role
    wrong = await client.post(
        LOGIN, json={"email": "viewer@tischlerei.example.de", "password": "falsch-123"}
    )
    assert wrong.status_code == 401

    with pytest.raises(Conflict, match="already loaded"):
        await load_demo(session, configured, projects=8)
    await session.rollback()
    assert await count(session, Project) == 8 + 2
