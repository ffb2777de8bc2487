"""Write the generated demo data into the database in bulk, inside the caller's transaction.

Rows go in with one multi-row INSERT per table and tenant (RETURNING the new ids
where later rows point to them), so the default 750 projects with their customers
and materials load in a couple of seconds even on SQLite. Nothing is committed
here: the caller commits, so a failed load leaves nothing behind.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.auth import security, service
from handwerkml.auth.repository import TenantRepository
from handwerkml.config import Settings
from handwerkml.db.models import (
    CompanySettings,
    Customer,
    Material,
    MaterialPrice,
    Project,
    ProjectMaterial,
    Tenant,
)
from handwerkml.demo.generator import DemoData, TenantData, generate
from handwerkml.kit.errors import Conflict
from handwerkml.kit.time import today
from handwerkml.similarity.projects import SOURCE
from handwerkml.vectors.sync import schedule_sync


@dataclass(frozen=True, slots=True)
class TenantSummary:
    name: str
    slug: str
    projects: int
    materials: int
    users: tuple[tuple[str, str], ...]  # (email, role)


@dataclass(frozen=True, slots=True)
class DemoSummary:
    tenants: tuple[TenantSummary, ...]
    admin_email: str
    admin_password: str
    # True when no HANDWERKML_DEMO_ADMIN_PASSWORD was set and one was made up.
    password_generated: bool

    @property
    def projects(self) -> int:
        return sum(tenant.projects for tenant in self.tenants)

    @property
    def materials(self) -> int:
        return sum(tenant.materials for tenant in self.tenants)


async def database_is_empty(session: AsyncSession) -> bool:
    """True while no tenant exists: nothing to protect from demo data."""
    return await session.scalar(select(Tenant.id).limit(1)) is None


async def load_demo(
    session: AsyncSession, settings: Settings, *, projects: int = 600, seed: int = 42
) -> DemoSummary:
    """Load both demo tenants; every demo user gets the admin's password."""
    data = generate(
        today=today(), seed=seed, projects=projects, admin_email=settings.demo_admin_email
    )
    for tenant in data.tenants:
        if await TenantRepository(session).get_by_slug(tenant.slug) is not None:
            raise Conflict(f"Demo data is already loaded (tenant '{tenant.slug}' exists)")
    configured = settings.demo_admin_password
    password = configured.get_secret_value() if configured else secrets.token_urlsafe(12)
    # Argon2 is slow on purpose: hash once and share the hash among the demo users.
    password_hash = security.hash_password(password)
    summaries = [
        await _load_tenant(session, settings, tenant, password_hash) for tenant in data.tenants
    ]
    return DemoSummary(
        tenants=tuple(summaries),
        admin_email=_admin(data).lower(),
        admin_password=password,
        password_generated=configured is None,
    )


def _admin(data: DemoData) -> str:
    return data.tenants[0].users[0].email


async def _load_tenant(
    session: AsyncSession, settings: Settings, data: TenantData, password_hash: str
) -> TenantSummary:
    tenant = await service.create_tenant(session, name=data.name, slug=data.slug, tier=data.tier)
    await _apply_company_settings(session, tenant.id, data)
    for user in data.users:
        await service.create_user(
            session,
            tenant_id=tenant.id,
            email=user.email,
            role=user.role,
            password_hash=password_hash,
            full_name=user.full_name,
        )
    material_ids = await _insert_returning_ids(
        session,
        Material,
        [
            {
                "tenant_id": tenant.id,
                "name": m.name,
                "category": m.category,
                "description": m.description,
                "unit_price": m.unit_price,
                "unit": m.unit,
                "supplier": m.supplier,
                "article_number": m.article_number,
            }
            for m in data.materials
        ],
    )
    await _insert(
        session,
        MaterialPrice,
        [
            {
                "tenant_id": tenant.id,
                "material_id": material_ids[row.material],
                "price": row.price,
                "region": row.region,
                "valid_from": row.valid_from,
                "valid_to": row.valid_to,
            }
            for row in data.prices
        ],
    )
    project_ids = await _load_projects(session, tenant.id, data, material_ids)
    # Embedded by the job workers once the server runs, so "similar projects" finds them.
    await schedule_sync(session, settings, tenant.id, SOURCE, project_ids)
    return TenantSummary(
        name=data.name,
        slug=data.slug,
        projects=len(data.projects),
        materials=len(data.materials),
        users=tuple((user.email.lower(), user.role.value) for user in data.users),
    )


async def _apply_company_settings(session: AsyncSession, tenant_id: int, data: TenantData) -> None:
    # create_tenant made the row with the model defaults; the demo states its values.
    company = await session.scalar(
        select(CompanySettings).where(CompanySettings.tenant_id == tenant_id)
    )
    if company is None:
        company = CompanySettings(tenant_id=tenant_id)
        session.add(company)
    spec = data.company
    company.company_name = spec.company_name
    company.default_region = spec.default_region
    company.labor_rate_per_hour = spec.labor_rate_per_hour
    company.material_markup_percentage = spec.material_markup_percentage
    company.overhead_percentage = spec.overhead_percentage
    company.profit_margin_percentage = spec.profit_margin_percentage
    company.tax_rate = spec.tax_rate
    company.default_complexity = spec.default_complexity
    await session.flush()


async def _load_projects(
    session: AsyncSession, tenant_id: int, data: TenantData, material_ids: Sequence[int]
) -> list[int]:
    customer_ids = await _insert_returning_ids(
        session,
        Customer,
        [
            {
                "tenant_id": tenant_id,
                "name": p.customer.name,
                "street": p.customer.street,
                "postal_code": p.customer.postal_code,
                "city": p.customer.city,
                "email": p.customer.email,
                "phone": p.customer.phone,
            }
            for p in data.projects
        ],
    )
    project_ids = await _insert_returning_ids(
        session,
        Project,
        [
            {
                "tenant_id": tenant_id,
                "customer_id": customer_id,
                "name": p.name,
                "description": p.description,
                "project_type": p.project_type,
                "wood_type": p.wood_type,
                "complexity": p.complexity,
                "region": p.region,
                "postal_code": p.postal_code,
                "total_area_sqm": p.total_area_sqm,
                "labor_hours": p.labor_hours,
                "final_price": p.final_price,
                "project_date": p.project_date,
                "status": p.status,
                "is_finalized": p.finalized_at is not None,
                "finalized_at": p.finalized_at,
                "cancelled_at": p.cancelled_at,
                "cancellation_reason": p.cancellation_reason,
            }
            for p, customer_id in zip(data.projects, customer_ids, strict=True)
        ],
    )
    await _insert(
        session,
        ProjectMaterial,
        [
            {
                "tenant_id": tenant_id,
                "project_id": project_id,
                "material_id": material_ids[item.material],
                "quantity": item.quantity,
                "unit_price": item.unit_price,
                "total": item.total,
            }
            for p, project_id in zip(data.projects, project_ids, strict=True)
            for item in p.materials
        ],
    )
    return list(project_ids)


async def _insert(session: AsyncSession, model: type[Any], rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(model), rows)


async def _insert_returning_ids(
    session: AsyncSession, model: type[Any], rows: list[dict[str, Any]]
) -> list[int]:
    """Ids in the order of `rows`, so the caller can point later rows at them."""
    if not rows:
        return []
    statement = insert(model).returning(model.id, sort_by_parameter_order=True)
    return list((await session.scalars(statement, rows)).all())
