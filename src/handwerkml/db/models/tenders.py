"""Imported GAEB bills: tenders to price (X83) and the firm's priced bills (X84/X86).

A tender's items get a suggested unit price (from the firm's history, a
calculation, or the price model) and, once reviewed, a final one. Priced bills
imported as history carry their own unit prices as `final_up`: together with
the accepted prices of reviewed tenders they are the firm's price history,
found by vector search over the "tender_item" source.

The original file is kept (stored_files, by SHA-256), so an export re-reads the
full tree with every text and identifier the file had.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from handwerkml.db.base import Base, IdMixin, TenantMixin, TimestampMixin
from handwerkml.db.types import Quantity, ScaledDecimal, UTCDateTime


def UnitPrice() -> ScaledDecimal:  # noqa: N802 - reads like a type in column declarations
    """Unit prices to a thousandth: GAEB allows up to three decimals (UPFracDig)."""
    return ScaledDecimal(3)


class Tender(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "tenders"
    __table_args__ = (Index("ix_tenders_tenant_created", "tenant_id", "created_at"),)

    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    # handwerkml.gaeb.model.GaebFormat, the version ("3.3", "2000", "90") and the phase (83, 84…).
    format: Mapped[str] = mapped_column(String(20))
    version: Mapped[str] = mapped_column(String(10))
    phase: Mapped[int] = mapped_column(Integer)
    project_name: Mapped[str] = mapped_column(String(500), default="")
    project_label: Mapped[str] = mapped_column(String(500), default="")
    client_name: Mapped[str] = mapped_column(String(500), default="")
    currency: Mapped[str] = mapped_column(String(10), default="EUR")
    up_frac_dig: Mapped[int] = mapped_column(Integer, default=2)
    # importing → pricing → review, or failed; "history" for an imported priced bill.
    status: Mapped[str] = mapped_column(String(20), default="importing")
    error: Mapped[str | None] = mapped_column(Text, default=None)
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="SET NULL"), default=None
    )
    # The pricing job (tenders.price).
    job_id: Mapped[int | None] = mapped_column(
        ForeignKey("jobs.id", ondelete="SET NULL"), default=None
    )


class TenderItem(IdMixin, TenantMixin, Base):
    __tablename__ = "tender_items"
    __table_args__ = (Index("ix_tender_items_tender_seq", "tender_id", "seq", unique=True),)

    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    oz: Mapped[str] = mapped_column(String(50))
    oz_dotted: Mapped[str] = mapped_column(String(60))
    category_rno: Mapped[str] = mapped_column(String(60), default="")
    # The labels of the enclosing categories, outermost first, one per part of category_rno.
    category_path: Mapped[list[str]] = mapped_column(JSON, default=list)
    short_text: Mapped[str] = mapped_column(Text, default="")
    long_text: Mapped[str] = mapped_column(Text, default="")
    qty: Mapped[Decimal | None] = mapped_column(Quantity(), default=None)
    unit: Mapped[str] = mapped_column(String(30), default="")
    # handwerkml.gaeb.model.ItemKind: normal, lump_sum, optional, alternative, …
    kind: Mapped[str] = mapped_column(String(20), default="normal")
    suggested_up: Mapped[Decimal | None] = mapped_column(UnitPrice(), default=None)
    # history | calculation | model | none; null until the pricing job reached the item.
    suggestion_source: Mapped[str | None] = mapped_column(String(20), default=None)
    confidence: Mapped[float | None] = mapped_column(default=None)
    # What the suggestion came from: the matched past items, or the calculation's inputs.
    basis: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The accepted or overridden price; an imported priced bill's own unit price.
    final_up: Mapped[Decimal | None] = mapped_column(UnitPrice(), default=None)
    # When final_up was set: the bill's date for imported history, else the decision's time;
    # history suggestions adjust old prices by the yearly price index from here.
    priced_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # pending | accepted | overridden
    decision: Mapped[str] = mapped_column(String(20), default="pending")
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_reason: Mapped[str | None] = mapped_column(Text, default=None)
