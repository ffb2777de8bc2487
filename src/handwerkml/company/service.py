"""Reading and changing a tenant's company settings."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.company.repository import CompanySettingsRepository
from handwerkml.db.models import CompanySettings


async def get_company_settings(session: AsyncSession, tenant_id: int) -> CompanySettings:
    """The tenant's settings; a tenant created without them gets the defaults on first read."""
    repository = CompanySettingsRepository(session)
    settings = await repository.get(tenant_id)
    if settings is None:
        settings = await repository.add(CompanySettings(tenant_id=tenant_id))
    return settings


async def update_company_settings(
    session: AsyncSession, tenant_id: int, changes: dict[str, Any]
) -> CompanySettings:
    settings = await get_company_settings(session, tenant_id)
    for field, value in changes.items():
        setattr(settings, field, value)
    await session.flush()
    return settings
