"""Materials and their price rows for tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.db.models import Material, MaterialPrice, Tenant
from handwerkml.kit.time import today


async def create_material(
    session: AsyncSession,
    *,
    tenant: Tenant,
    name: str = "Eiche Leimholz 40mm",
    category: str = "Holz",
    unit_price: Decimal = Decimal("89.90"),
    unit: str = "m²",
) -> Material:
    """A catalog material with its opening national price row, as the API would create it."""
    material = Material(
        tenant_id=tenant.id, name=name, category=category, unit_price=unit_price, unit=unit
    )
    session.add(material)
    await session.flush()
    session.add(
        MaterialPrice(
            tenant_id=tenant.id,
            material_id=material.id,
            price=unit_price,
            region=None,
            valid_from=today(),
        )
    )
    await session.commit()
    return material


async def create_material_price(
    session: AsyncSession,
    *,
    material: Material,
    price: Decimal,
    valid_from: date,
    valid_to: date | None = None,
    region: str | None = None,
) -> MaterialPrice:
    row = MaterialPrice(
        tenant_id=material.tenant_id,
        material_id=material.id,
        price=price,
        region=region,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    session.add(row)
    await session.commit()
    return row
