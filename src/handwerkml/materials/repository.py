"""Queries for materials and their price rows; every one is filtered by tenant."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlalchemy import ColumnElement, Select, distinct, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.db.models import Material, MaterialPrice, ProjectMaterial
from handwerkml.kit.text import contains_ci, equals_ci

MaterialSort = Literal[
    "name",
    "-name",
    "category",
    "-category",
    "unit_price",
    "-unit_price",
    "created_at",
    "-created_at",
]

_SORT_COLUMNS = {
    "name": Material.name,
    "category": Material.category,
    "unit_price": Material.unit_price,
    "created_at": Material.created_at,
}


@dataclass(frozen=True, slots=True)
class MaterialFilter:
    category: str | None = None
    text: str | None = None
    supplier: str | None = None


class MaterialRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant_id: int, material_id: int) -> Material | None:
        return await self.session.scalar(
            select(Material).where(Material.id == material_id, Material.tenant_id == tenant_id)
        )

    def _filtered(self, tenant_id: int, where: MaterialFilter) -> Select[Material]:
        query = select(Material).where(Material.tenant_id == tenant_id)
        if where.category:
            query = query.where(equals_ci(Material.category, where.category))
        if where.text:
            query = query.where(contains_ci(Material.name, where.text))
        if where.supplier:
            query = query.where(contains_ci(Material.supplier, where.supplier))
        return query

    async def list(
        self,
        tenant_id: int,
        where: MaterialFilter,
        *,
        sort: MaterialSort,
        skip: int,
        limit: int,
    ) -> tuple[Sequence[Material], int]:
        query = self._filtered(tenant_id, where)
        total = await self.session.scalar(select(func.count()).select_from(query.subquery()))
        column = _SORT_COLUMNS[sort.lstrip("-")]
        order = column.desc() if sort.startswith("-") else column.asc()
        rows = await self.session.scalars(
            query.order_by(order, Material.id).offset(skip).limit(limit)
        )
        return rows.all(), total or 0

    async def categories(self, tenant_id: int) -> Sequence[str]:
        rows = await self.session.scalars(
            select(Material.category)
            .distinct()
            .where(Material.tenant_id == tenant_id)
            .order_by(Material.category)
        )
        return rows.all()

    async def find_category(self, tenant_id: int, category: str) -> str | None:
        """The spelling an existing material uses for `category`, compared ignoring case."""
        return await self.session.scalar(
            select(Material.category)
            .where(
                Material.tenant_id == tenant_id,
                equals_ci(Material.category, category),
            )
            .order_by(Material.id)
            .limit(1)
        )

    async def count_using_projects(self, tenant_id: int, material_id: int) -> int:
        count = await self.session.scalar(
            select(func.count(distinct(ProjectMaterial.project_id))).where(
                ProjectMaterial.tenant_id == tenant_id,
                ProjectMaterial.material_id == material_id,
            )
        )
        return count or 0

    async def add(self, material: Material) -> Material:
        self.session.add(material)
        await self.session.flush()
        return material

    async def delete(self, material: Material) -> None:
        await self.session.delete(material)
        await self.session.flush()


class MaterialPriceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _of(self, material: Material) -> Select[MaterialPrice]:
        return select(MaterialPrice).where(
            MaterialPrice.tenant_id == material.tenant_id,
            MaterialPrice.material_id == material.id,
        )

    def _in_region(self, region: str | None) -> ColumnElement[bool]:
        """None selects the national rows; a name selects that region's, ignoring case."""
        if region is None:
            return MaterialPrice.region.is_(None)
        return equals_ci(MaterialPrice.region, region)

    async def list(
        self, material: Material, *, region: str | None = None
    ) -> Sequence[MaterialPrice]:
        query = self._of(material)
        if region is not None:
            query = query.where(self._in_region(region))
        rows = await self.session.scalars(
            query.order_by(MaterialPrice.valid_from, MaterialPrice.id)
        )
        return rows.all()

    async def open_rows(
        self, material: Material, *, region: str | None, starting_by: date
    ) -> Sequence[MaterialPrice]:
        """Rows of `region` without an end that started on or before `starting_by`."""
        rows = await self.session.scalars(
            self._of(material).where(
                self._in_region(region),
                MaterialPrice.valid_to.is_(None),
                MaterialPrice.valid_from <= starting_by,
            )
        )
        return rows.all()

    async def in_force(
        self, material: Material, *, region: str | None, on: date
    ) -> MaterialPrice | None:
        """The row of `region` holding on `on`; where rows overlap, the one begun last wins."""
        return await self.session.scalar(
            self._of(material)
            .where(
                self._in_region(region),
                MaterialPrice.valid_from <= on,
                or_(MaterialPrice.valid_to.is_(None), MaterialPrice.valid_to >= on),
            )
            .order_by(MaterialPrice.valid_from.desc(), MaterialPrice.id.desc())
            .limit(1)
        )

    async def add(self, price: MaterialPrice) -> MaterialPrice:
        self.session.add(price)
        await self.session.flush()
        return price
