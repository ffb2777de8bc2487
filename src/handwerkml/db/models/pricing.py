"""Price models of a tenant (every trained version) and the predictions made with them.

A model version keeps its XGBoost booster (UBJSON bytes) and the preprocessing it
needs (category levels, the description projection, the conformal quantile) in
the row itself, so a restored database restores the models too. Exactly one
version per tenant is `active`; the others stay for rollback.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from handwerkml.db.base import Base, IdMixin, TenantMixin, TimestampMixin
from handwerkml.db.types import Money, UTCDateTime


class PriceModel(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "price_models"
    __table_args__ = (
        UniqueConstraint("tenant_id", "version"),
        Index("ix_price_models_tenant_status", "tenant_id", "status"),
    )

    version: Mapped[int] = mapped_column(Integer)
    # active (used for predictions) | standby (trained, not better than the active one)
    # | retired (was active, replaced). Any of them can be activated again.
    status: Mapped[str] = mapped_column(String(20))
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime())
    data_from: Mapped[date | None] = mapped_column(Date, default=None)
    data_to: Mapped[date | None] = mapped_column(Date, default=None)
    row_count: Mapped[int] = mapped_column(Integer)
    features: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Cross-validated MAE, MAPE, interval coverage, the baseline's, the folds' seed.
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Everything besides the booster that turns a request into the model's input.
    preprocessing: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    model_bytes: Mapped[bytes] = mapped_column(LargeBinary)
    job_id: Mapped[int | None] = mapped_column(
        ForeignKey("jobs.id", ondelete="SET NULL"), default=None
    )


class Prediction(IdMixin, TenantMixin, Base):
    __tablename__ = "predictions"
    __table_args__ = (Index("ix_predictions_tenant_created", "tenant_id", "created_at"),)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="SET NULL"), default=None
    )
    project_type: Mapped[str] = mapped_column(String(100))
    # "model" or "similar_projects"; the version is null for the latter.
    method: Mapped[str] = mapped_column(String(20))
    model_version: Mapped[int | None] = mapped_column(Integer, default=None)
    features: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    predicted_price: Mapped[Decimal] = mapped_column(Money())
    interval_low: Mapped[Decimal | None] = mapped_column(Money(), default=None)
    interval_high: Mapped[Decimal | None] = mapped_column(Money(), default=None)
    was_accepted: Mapped[bool | None] = mapped_column(Boolean, default=None)
    user_modified_price: Mapped[Decimal | None] = mapped_column(Money(), default=None)
    actual_price: Mapped[Decimal | None] = mapped_column(Money(), default=None)
    feedback_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
