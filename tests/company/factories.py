"""Company settings for tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.company import service
from handwerkml.db.models import CompanySettings, Tenant


async def set_company_settings(
    session: AsyncSession,
    *,
    tenant: Tenant,
    labor_rate_per_hour: Decimal | None = None,
    material_markup_percentage: Decimal | None = None,
    overhead_percentage: Decimal | None = None,
    profit_margin_percentage: Decimal | None = None,
    tax_rate: Decimal | None = None,
    default_region: str | None = None,
) -> CompanySettings:
    """The tenant's settings with the given values changed and the rest left as they are."""
    given: dict[str, Any] = {
        "labor_rate_per_hour": labor_rate_per_hour,
        "material_markup_percentage": material_markup_percentage,
        "overhead_percentage": overhead_percentage,
        "profit_margin_percentage": profit_margin_percentage,
        "tax_rate": tax_rate,
        "default_region": default_region,
    }
    changes = {field: value for field, value in given.items() if value is not None}
    settings = await service.update_company_settings(session, tenant.id, changes)
    await session.commit()
    return settings
