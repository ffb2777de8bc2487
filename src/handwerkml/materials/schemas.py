"""Request and response bodies of the materials catalog and its price history."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator

from handwerkml.kit.schemas import Money, NonEmptyStr, ReadSchema, Schema

UNITS = ("m²", "m³", "lfm", "Stk", "kg", "l", "h", "psch")

# Spellings clients and DATANORM files use, keyed case-folded, mapped to the canonical unit.
_UNIT_ALIASES: dict[str, str] = {unit.casefold(): unit for unit in UNITS} | {
    "m2": "m²",
    "qm": "m²",
    "m^2": "m²",
    "m3": "m³",
    "cbm": "m³",
    "m^3": "m³",
    "lm": "lfm",
    "lfdm": "lfm",
    "stück": "Stk",
    "stueck": "Stk",
    "st": "Stk",
    "pcs": "Stk",
    "std": "h",
    "pauschal": "psch",
}


def normalise_unit(value: Any) -> Any:
    """The canonical unit for a known spelling; anything else is refused with the list."""
    if not isinstance(value, str):
        return value  # let pydantic report the wrong type
    unit = _UNIT_ALIASES.get(value.strip().casefold())
    if unit is None:
        raise ValueError(f"unit must be one of: {', '.join(UNITS)}")
    return unit


Unit = Annotated[str, BeforeValidator(normalise_unit), Field(examples=["m²"])]
Category = Annotated[str, Field(min_length=1, max_length=100, examples=["Holz"])]
Region = Annotated[str, Field(min_length=1, max_length=100, examples=["Bayern"])]


class MaterialCreate(Schema):
    name: NonEmptyStr = Field(examples=["Eiche Leimholz 40mm"])
    category: Category
    description: str = Field(default="", max_length=10_000)
    unit_price: Money
    unit: Unit
    datanorm_id: str | None = Field(default=None, max_length=50)
    supplier: str | None = Field(default=None, max_length=200)
    article_number: str | None = Field(default=None, max_length=100)


class MaterialUpdate(Schema):
    """PUT and PATCH alike: the fields sent replace, the others stay."""

    name: NonEmptyStr | None = None
    category: Category | None = None
    description: str | None = Field(default=None, max_length=10_000)
    unit_price: Money | None = None
    unit: Unit | None = None
    datanorm_id: str | None = Field(default=None, max_length=50)
    supplier: str | None = Field(default=None, max_length=200)
    article_number: str | None = Field(default=None, max_length=100)

    @field_validator("name", "category", "description", "unit_price", "unit")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Only fields that were sent are validated: null would clear a required column.
        if value is None:
            raise ValueError("may not be null")
        return value


class MaterialRead(ReadSchema):
    id: int
    name: str
    category: str
    description: str
    unit_price: Money
    unit: str
    datanorm_id: str | None
    supplier: str | None
    article_number: str | None
    created_at: datetime
    updated_at: datetime


class MaterialPriceCreate(Schema):
    price: Money
    region: Region | None = Field(
        default=None, description="Leave out for the national price that holds everywhere"
    )
    valid_from: date = Field(description="First day the price holds")
    valid_to: date | None = Field(
        default=None, description="Last day the price holds; leave out for open-ended"
    )

    @field_validator("valid_to")
    @classmethod
    def _not_before_start(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("valid_from")
        if value is not None and start is not None and value < start:
            raise ValueError("valid_to must not be before valid_from")
        return value


class MaterialPriceRead(ReadSchema):
    id: int
    material_id: int
    price: Money
    region: str | None
    valid_from: date
    valid_to: date | None
    created_at: datetime


class PriceQuote(ReadSchema):
    """The price of a material in force in a region on a day, and where it came from."""

    material_id: int
    region: str | None
    on: date
    price: Money
    unit: str
    source: Literal["regional", "national", "current"] = Field(
        description="regional or national price row, or the catalog's current unit_price"
    )
    price_id: int | None = Field(description="The price row used; null for the current price")
    valid_from: date | None
    valid_to: date | None
