"""Reading and changing a tenant's company settings."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.company.repository import CompanySettingsRepository
from handwerkml.db.models import CompanySettings
from handwerkml.kit.errors import NotFound


async def get_company_settings(session: AsyncSession, tenant_id: int) -> CompanySettings:
    """The tenant's settings row, which auth.service.create_tenant makes with every tenant."""
    settings = await CompanySettingsRepository(session).get(tenant_id)
    if settings is None:
        raise NotFound("Company settings of tenant", tenant_id)
    return settings


async def update_company_settings(
    session: AsyncSession, tenant_id: int, changes: dict[str, Any]
) -> CompanySettings:
    settings = await get_company_settings(session, tenant_id)
    for field, value in changes.items():
        setattr(settings, field, value)
    await session.flush()
    return settings
