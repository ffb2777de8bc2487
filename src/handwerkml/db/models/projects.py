"""Projects (Aufträge), their customers, used materials and the per-tenant type catalog."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from handwerkml.db.base import Base, IdMixin, TenantMixin, TimestampMixin
from handwerkml.db.models.materials import Material
from handwerkml.db.types import Money, Quantity, UTCDateTime


class ProjectType(IdMixin, TenantMixin, TimestampMixin, Base):
    """Known project types of a tenant; suggests and normalises the free-text project_type."""

    __tablename__ = "project_types"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(100))
    trade: Mapped[str] = mapped_column(String(100), default="")
    description: Mapped[str] = mapped_column(Text, default="")


class Customer(IdMixin, TenantMixin, TimestampMixin, Base):
    """Personal data lives here alone, so a DSGVO export or erasure touches one table."""

    __tablename__ = "customers"

    name: Mapped[str] = mapped_column(String(200))
    street: Mapped[str | None] = mapped_column(String(200), default=None)
    postal_code: Mapped[str | None] = mapped_column(String(10), default=None)
    city: Mapped[str | None] = mapped_column(String(100), default=None)
    email: Mapped[str | None] = mapped_column(String(320), default=None)
    phone: Mapped[str | None] = mapped_column(String(50), default=None)


class Project(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "projects"
    __table_args__ = (
        Index("ix_projects_tenant_type", "tenant_id", "project_type"),
        Index("ix_projects_tenant_status", "tenant_id", "status"),
        Index("ix_projects_tenant_date", "tenant_id", "project_date"),
    )

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    project_type: Mapped[str] = mapped_column(String(100))
    wood_type: Mapped[str | None] = mapped_column(String(100), default=None)
    complexity: Mapped[int] = mapped_column(Integer, default=3)
    region: Mapped[str | None] = mapped_column(String(100), default=None)
    postal_code: Mapped[str | None] = mapped_column(String(10), default=None)
    total_area_sqm: Mapped[Decimal | None] = mapped_column(Quantity(), default=None)
    labor_hours: Mapped[Decimal | None] = mapped_column(Quantity(), default=None)
    final_price: Mapped[Decimal | None] = mapped_column(Money(), default=None)
    project_date: Mapped[date | None] = mapped_column(Date, default=None)
    status: Mapped[str] = mapped_column(String(20), default="Anfrage")
    is_finalized: Mapped[bool] = mapped_column(Boolean, default=False)
    finalized_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    cancellation_reason: Mapped[str | None] = mapped_column(Text, default=None)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), default=None
    )

    customer: Mapped[Customer | None] = relationship(lazy="raise")
    materials: Mapped[list[ProjectMaterial]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="ProjectMaterial.id"
    )


class ProjectMaterial(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "project_materials"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id", ondelete="RESTRICT"))
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    # Price when the material was added: later catalog changes don't rewrite history.
    unit_price: Mapped[Decimal] = mapped_column(Money())
    total: Mapped[Decimal] = mapped_column(Money())

    material: Mapped[Material] = relationship(lazy="raise")
