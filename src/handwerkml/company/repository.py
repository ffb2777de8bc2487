"""Queries for the per-tenant company settings row."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.db.models import CompanySettings


class CompanySettingsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant_id: int) -> CompanySettings | None:
        return await self.session.scalar(
            select(CompanySettings).where(CompanySettings.tenant_id == tenant_id)
        )
