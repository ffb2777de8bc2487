"""Materials catalog and each material's price history."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from handwerkml.db.base import Base, IdMixin, TenantMixin, TimestampMixin
from handwerkml.db.types import Money


class Material(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "materials"
    __table_args__ = (
        Index("ix_materials_tenant_category", "tenant_id", "category"),
        Index("ix_materials_tenant_name", "tenant_id", "name"),
    )

    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    # The current price; every change is also recorded in material_prices.
    unit_price: Mapped[Decimal] = mapped_column(Money())
    unit: Mapped[str] = mapped_column(String(10))
    datanorm_id: Mapped[str | None] = mapped_column(String(50), default=None)
    supplier: Mapped[str | None] = mapped_column(String(200), default=None)
    article_number: Mapped[str | None] = mapped_column(String(100), default=None)


class MaterialPrice(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "material_prices"
    __table_args__ = (Index("ix_material_prices_material_valid", "material_id", "valid_from"),)

    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id", ondelete="CASCADE"))
    price: Mapped[Decimal] = mapped_column(Money())
    # None means the price holds in every region without one of its own.
    region: Mapped[str | None] = mapped_column(String(100), default=None)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date, default=None)
