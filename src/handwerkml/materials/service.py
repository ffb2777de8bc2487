"""The materials catalog: materials, their categories and their price history.

Price rows hold from valid_from to valid_to, both days included; no valid_to means
open-ended. A row without a region is the national price; a regional row wins over
it in its region. Where rows of one region overlap, the one that began last holds,
so a price changed today (old row closed today, new row opened today) is the new one
from today on. The material's unit_price is the current national catalog price: it
changes with PUT/PATCH, or when an open-ended national row in force today is added.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.db.models import Material, MaterialPrice
from handwerkml.kit.errors import Conflict, NotFound
from handwerkml.kit.time import today
from handwerkml.materials.repository import (
    MaterialFilter,
    MaterialPriceRepository,
    MaterialRepository,
    MaterialSort,
)
from handwerkml.materials.schemas import MaterialCreate, MaterialPriceCreate, MaterialUpdate


@dataclass(frozen=True, slots=True)
class PriceQuote:
    material_id: int
    region: str | None
    on: date
    price: Decimal
    unit: str
    source: Literal["regional", "national", "current"]
    price_id: int | None = None
    valid_from: date | None = None
    valid_to: date | None = None


async def get_material(session: AsyncSession, tenant_id: int, material_id: int) -> Material:
    material = await MaterialRepository(session).get(tenant_id, material_id)
    if material is None:
        raise NotFound("Material", material_id)
    return material


async def list_materials(
    session: AsyncSession,
    tenant_id: int,
    where: MaterialFilter,
    *,
    sort: MaterialSort = "name",
    skip: int = 0,
    limit: int = 100,
) -> tuple[Sequence[Material], int]:
    return await MaterialRepository(session).list(
        tenant_id, where, sort=sort, skip=skip, limit=limit
    )


async def list_categories(session: AsyncSession, tenant_id: int) -> Sequence[str]:
    return await MaterialRepository(session).categories(tenant_id)


async def _canonical_category(session: AsyncSession, tenant_id: int, category: str) -> str:
    # "holz" joins the existing "Holz" instead of starting a second category.
    existing = await MaterialRepository(session).find_category(tenant_id, category)
    return existing or category


async def create_material(session: AsyncSession, tenant_id: int, data: MaterialCreate) -> Material:
    values = data.model_dump()
    values["category"] = await _canonical_category(session, tenant_id, data.category)
    material = await MaterialRepository(session).add(Material(tenant_id=tenant_id, **values))
    await _open_price(session, material, price=material.unit_price, region=None, start=today())
    return material


async def update_material(
    session: AsyncSession, tenant_id: int, material_id: int, data: MaterialUpdate
) -> Material:
    material = await get_material(session, tenant_id, material_id)
    changes = data.model_dump(exclude_unset=True)
    if "category" in changes:
        changes["category"] = await _canonical_category(session, tenant_id, changes["category"])
    new_price: Decimal | None = changes.pop("unit_price", None)
    for field, value in changes.items():
        setattr(material, field, value)
    if new_price is not None and new_price != material.unit_price:
        await _open_price(session, material, price=new_price, region=None, start=today())
        material.unit_price = new_price
    await session.flush()
    return material


async def delete_material(session: AsyncSession, tenant_id: int, material_id: int) -> None:
    repository = MaterialRepository(session)
    material = await get_material(session, tenant_id, material_id)
    used_by = await repository.count_using_projects(tenant_id, material_id)
    if used_by:
        raise Conflict(f"material is used by {used_by} project(s)")
    await repository.delete(material)


async def _open_price(
    session: AsyncSession,
    material: Material,
    *,
    price: Decimal,
    region: str | None,
    start: date,
    end: date | None = None,
) -> MaterialPrice:
    """Add a price row; an open-ended one closes the region's open rows begun by its start."""
    prices = MaterialPriceRepository(session)
    if end is None:
        for row in await prices.open_rows(material, region=region, starting_by=start):
            row.valid_to = start
    return await prices.add(
        MaterialPrice(
            tenant_id=material.tenant_id,
            material_id=material.id,
            price=price,
            region=region,
            valid_from=start,
            valid_to=end,
        )
    )


async def list_prices(
    session: AsyncSession, tenant_id: int, material_id: int, *, region: str | None = None
) -> Sequence[MaterialPrice]:
    material = await get_material(session, tenant_id, material_id)
    return await MaterialPriceRepository(session).list(material, region=region)


async def add_price(
    session: AsyncSession, tenant_id: int, material_id: int, data: MaterialPriceCreate
) -> MaterialPrice:
    material = await get_material(session, tenant_id, material_id)
    row = await _open_price(
        session,
        material,
        price=data.price,
        region=data.region,
        start=data.valid_from,
        end=data.valid_to,
    )
    # Regional and temporary prices are looked up by date; only a lasting national
    # price that holds today is the catalog price.
    if row.region is None and row.valid_to is None:
        current = await MaterialPriceRepository(session).in_force(material, region=None, on=today())
        if current is row:
            material.unit_price = row.price
            await session.flush()
    return row


async def price_on(
    session: AsyncSession,
    tenant_id: int,
    material_id: int,
    *,
    region: str | None = None,
    on: date | None = None,
) -> PriceQuote:
    """The price in force: the region's row, else the national row, else unit_price."""
    material = await get_material(session, tenant_id, material_id)
    prices = MaterialPriceRepository(session)
    day = on or today()
    quote = PriceQuote(
        material_id=material.id,
        region=region,
        on=day,
        price=material.unit_price,
        unit=material.unit,
        source="current",
    )
    candidates: list[tuple[str | None, Literal["regional", "national"]]] = [(None, "national")]
    if region is not None:
        candidates.insert(0, (region, "regional"))
    for row_region, source in candidates:
        row = await prices.in_force(material, region=row_region, on=day)
        if row is not None:
            return PriceQuote(
                material_id=material.id,
                region=region,
                on=day,
                price=row.price,
                unit=material.unit,
                source=source,
                price_id=row.id,
                valid_from=row.valid_from,
                valid_to=row.valid_to,
            )
    return quote
