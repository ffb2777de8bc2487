"""Request and response bodies of /api/v1/tenders."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, PlainSerializer, model_validator

from handwerkml.jobs.schemas import JobRead
from handwerkml.kit.schemas import ReadSchema, Schema

# Amounts as JSON numbers, like every other price of the API.
Amount = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]
UnitPriceIn = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=3, examples=[12.5])]


class TenderRead(ReadSchema):
    id: int
    filename: str
    format: str
    version: str
    phase: int
    project_name: str
    project_label: str
    client_name: str
    currency: str
    up_frac_dig: int
    status: str = Field(description="pricing, review, failed; history for an imported priced bill")
    error: str | None
    item_count: int
    project_id: int | None
    job_id: int | None = Field(description="The tenders.price job (GET /api/v1/jobs/{id})")
    created_at: datetime
    updated_at: datetime


class ImportRead(ReadSchema):
    tender: TenderRead
    job: JobRead


class CategoryTotalRead(ReadSchema):
    rno: str
    label: str
    net: Amount


class TotalsRead(ReadSchema):
    net: Amount
    tax_rate: Amount
    vat: Amount
    gross: Amount
    categories: list[CategoryTotalRead]
    items: int
    priced: int = Field(description="Items with a final or suggested unit price")
    missing: list[str] = Field(description="OZ of the items without any price")
    pending: int = Field(description="Items nobody accepted or overrode yet")
    flagged: int


class TenderDetail(TenderRead):
    totals: TotalsRead


class TenderItemRead(ReadSchema):
    id: int
    seq: int
    oz: str
    oz_dotted: str
    category_rno: str
    category_path: list[str]
    short_text: str
    long_text: str
    qty: Amount | None
    unit: str
    kind: str
    in_total: bool
    suggested_up: Amount | None
    suggestion_source: str | None
    confidence: float | None
    basis: dict[str, Any]
    final_up: Amount | None
    decision: str
    flagged: bool
    flag_reason: str | None
    unit_price: Amount | None = Field(description="final_up, else suggested_up (what exports use)")
    total_price: Amount | None


class ItemSearch(Schema):
    """Find items of the firm's tenders and priced bills by what they say."""

    query: str = Field(min_length=1, max_length=2000, examples=["Fliesenbelag 60x60 im Dünnbett"])
    top_k: int = Field(default=10, ge=1, le=50)
    priced: bool | None = Field(
        default=None, description="true: only items with a price (the firm's history)"
    )
    unit: str | None = Field(default=None, max_length=20, description="Only items in this unit")


class ItemHit(ReadSchema):
    tender_id: int
    tender_filename: str
    score: float = Field(description="Cosine similarity of the query and the item's text")
    item: TenderItemRead


class ItemDecision(Schema):
    """Accept the suggestion, or set an own unit price."""

    action: Literal["accept", "override"]
    unit_price: UnitPriceIn | None = Field(default=None, description="Required for override")

    @model_validator(mode="after")
    def _price_fits_action(self) -> ItemDecision:
        if self.action == "override" and self.unit_price is None:
            raise ValueError("override needs a unit_price")
        if self.action == "accept" and self.unit_price is not None:
            raise ValueError("accept takes the suggestion; send action override to set a price")
        return self


class AcceptAll(Schema):
    min_confidence: float = Field(default=0.8, ge=0, le=1)


class AcceptedRead(ReadSchema):
    accepted: int
    totals: TotalsRead
