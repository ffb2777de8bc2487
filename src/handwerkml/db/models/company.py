"""Per-tenant business settings: rates and percentages every calculation uses."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from handwerkml.db.base import Base, IdMixin, TenantMixin, TimestampMixin
from handwerkml.db.types import Money, ScaledDecimal


class CompanySettings(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "company_settings"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    company_name: Mapped[str] = mapped_column(String(200), default="")
    labor_rate_per_hour: Mapped[Decimal] = mapped_column(Money(), default=Decimal("50.00"))
    material_markup_percentage: Mapped[Decimal] = mapped_column(
        ScaledDecimal(2), default=Decimal("30.00")
    )
    overhead_percentage: Mapped[Decimal] = mapped_column(ScaledDecimal(2), default=Decimal("15.00"))
    profit_margin_percentage: Mapped[Decimal] = mapped_column(
        ScaledDecimal(2), default=Decimal("25.00")
    )
    tax_rate: Mapped[Decimal] = mapped_column(ScaledDecimal(4), default=Decimal("0.1900"))
    default_complexity: Mapped[int] = mapped_column(Integer, default=3)
    default_region: Mapped[str] = mapped_column(String(100), default="Bayern")
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    language: Mapped[str] = mapped_column(String(10), default="de")
