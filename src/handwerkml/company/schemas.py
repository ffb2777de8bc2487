"""Request and response bodies of the company settings endpoints."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, PlainSerializer, field_validator

from handwerkml.kit.schemas import Money, Percentage, ReadSchema, Schema


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


# VAT as a fraction (0.19 for 19 %), as the seed system stores it.
TaxRate = Annotated[
    Decimal,
    Field(ge=0, le=1, max_digits=5, decimal_places=4, examples=[0.19]),
    PlainSerializer(float, return_type=float, when_used="json"),
]
Complexity = Annotated[int, Field(ge=1, le=5)]
Currency = Annotated[str, BeforeValidator(_upper), Field(pattern=r"^[A-Z]{3}$", examples=["EUR"])]
Language = Literal["de", "en"]


class CompanySettingsRead(ReadSchema):
    id: int
    company_name: str
    labor_rate_per_hour: Money
    material_markup_percentage: Percentage
    overhead_percentage: Percentage
    profit_margin_percentage: Percentage
    tax_rate: TaxRate
    default_complexity: int
    default_region: str
    currency: str
    language: str
    updated_at: datetime


class CompanySettingsUpdate(Schema):
    """PUT and PATCH alike: the fields sent replace, the others stay."""

    company_name: str | None = Field(default=None, max_length=200)
    labor_rate_per_hour: Money | None = None
    material_markup_percentage: Percentage | None = None
    overhead_percentage: Percentage | None = None
    profit_margin_percentage: Percentage | None = None
    tax_rate: TaxRate | None = None
    default_complexity: Complexity | None = None
    default_region: str | None = Field(default=None, min_length=1, max_length=100)
    currency: Currency | None = None
    language: Language | None = None

    @field_validator("*")
    @classmethod
    def _present(cls, value: object) -> object:
        # Every column is required: null may not clear one. Unsent fields are not validated.
        if value is None:
            raise ValueError("may not be null")
        return value
