"""Request and response bodies of the project endpoints.

Field names are a contract with the seed system's clients: keep them exactly.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import (
    AfterValidator,
    ConfigDict,
    EmailStr,
    Field,
    JsonValue,
    PlainSerializer,
    field_validator,
    model_validator,
)

from handwerkml.kit.schemas import DbId, Money, NonEmptyStr, Quantity, ReadSchema, Schema


class ProjectStatus(StrEnum):
    inquiry = "Anfrage"
    offer = "Angebot"
    order = "Auftrag"
    completed = "abgeschlossen"
    cancelled = "storniert"


def _not_storno(status: ProjectStatus | None) -> ProjectStatus | None:
    # A Storno records when and why; a bare status change would leave a "storniert"
    # project without either, and still editable.
    if status == ProjectStatus.cancelled:
        raise ValueError("'storniert' is set by POST /api/v1/projects/{id}/cancel with a reason")
    return status


WritableStatus = Annotated[ProjectStatus, AfterValidator(_not_storno)]

PostalCode = Annotated[str, Field(pattern=r"^\d{5}$", examples=["80331"])]
Area = Annotated[Quantity, Field(gt=0, examples=[12.5])]
Complexity = Annotated[int, Field(ge=1, le=5, description="1 (simple) to 5 (very demanding)")]
ProjectTypeName = Annotated[str, Field(min_length=1, max_length=100, examples=["Treppenbau"])]
ShortText = Annotated[str, Field(max_length=100)]
Description = Annotated[str, Field(max_length=20_000)]
# Read-side amounts: sums of many stored values may exceed what one input may hold.
Amount = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]

SORT_FIELDS = (
    "name",
    "project_date",
    "final_price",
    "created_at",
    "updated_at",
    "total_area_sqm",
    "complexity",
    "status",
    "project_type",
    "id",
)


class CustomerIn(Schema):
    name: NonEmptyStr = Field(examples=["Familie Huber"])
    street: str | None = Field(default=None, max_length=200, examples=["Lindenstraße 12"])
    postal_code: PostalCode | None = None
    city: str | None = Field(default=None, max_length=100, examples=["München"])
    email: EmailStr | None = Field(default=None, examples=["huber@example.de"])
    phone: str | None = Field(default=None, max_length=50, examples=["+49 89 1234567"])


class CustomerRead(ReadSchema):
    id: int
    name: str
    street: str | None
    postal_code: str | None
    city: str | None
    email: str | None
    phone: str | None


_EXAMPLE: dict[str, JsonValue] = {
    "name": "Eichentreppe mit Podest",
    "description": "Viertelgewendelte Treppe aus massiver Eiche mit Zwischenpodest, "
    "geölt, inklusive Handlauf und Edelstahl-Geländer.",
    "project_type": "Treppenbau",
    "wood_type": "Eiche",
    "complexity": 4,
    "region": "Bayern",
    "postal_code": "80331",
    "total_area_sqm": 8.5,
    "labor_hours": 64,
    "final_price": 14850.00,
    "project_date": "2024-03-15",
    "status": "Auftrag",
    "customer": {
        "name": "Familie Huber",
        "street": "Lindenstraße 12",
        "postal_code": "80331",
        "city": "München",
        "email": "huber@example.de",
        "phone": "+49 89 1234567",
    },
}


class ProjectCreate(Schema):
    """The whole project; PUT takes the same body and replaces every field."""

    name: NonEmptyStr
    description: Description = ""
    project_type: ProjectTypeName = Field(
        description="Free text; a known type of the tenant's catalog is stored in its spelling"
    )
    wood_type: ShortText | None = Field(default=None, description="Main material, e.g. Eiche")
    complexity: Complexity = 3
    region: ShortText | None = None
    postal_code: PostalCode | None = None
    total_area_sqm: Area
    labor_hours: Quantity | None = None
    final_price: Money | None = Field(default=None, description="Net price in EUR, once known")
    project_date: date | None = None
    status: WritableStatus = ProjectStatus.inquiry
    customer: CustomerIn | None = None

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})


# Fields PATCH may not set to null: the project always has them.
_REQUIRED = frozenset(
    {"name", "description", "project_type", "complexity", "total_area_sqm", "status"}
)


class ProjectUpdate(Schema):
    """Only the fields sent change; null clears an optional field."""

    name: NonEmptyStr | None = None
    description: Description | None = None
    project_type: ProjectTypeName | None = None
    wood_type: ShortText | None = None
    complexity: Complexity | None = None
    region: ShortText | None = None
    postal_code: PostalCode | None = None
    total_area_sqm: Area | None = None
    labor_hours: Quantity | None = None
    final_price: Money | None = None
    project_date: date | None = None
    status: WritableStatus | None = None
    customer: CustomerIn | None = None

    @model_validator(mode="after")
    def _required_not_null(self) -> ProjectUpdate:
        nulled = sorted(f for f in self.model_fields_set & _REQUIRED if getattr(self, f) is None)
        if nulled:
            raise ValueError(f"{', '.join(nulled)} cannot be null")
        return self


class ProjectCancel(Schema):
    reason: str = Field(min_length=1, max_length=2000, examples=["Kunde hat storniert"])


class ProjectRead(ReadSchema):
    id: int
    name: str
    description: str
    project_type: str
    wood_type: str | None
    complexity: int
    region: str | None
    postal_code: str | None
    total_area_sqm: Quantity | None
    labor_hours: Quantity | None
    final_price: Money | None
    project_date: date | None
    status: str
    is_finalized: bool
    finalized_at: datetime | None
    cancelled_at: datetime | None
    cancellation_reason: str | None
    customer: CustomerRead | None
    created_at: datetime
    updated_at: datetime


class ProjectQuery(Schema):
    """Filters and sort order of the project list."""

    project_type: str | None = Field(default=None, max_length=100)
    status: ProjectStatus | None = None
    region: str | None = Field(default=None, max_length=100)
    wood_type: str | None = Field(default=None, max_length=100)
    date_from: date | None = Field(default=None, description="project_date on or after")
    date_to: date | None = Field(default=None, description="project_date on or before")
    price_min: Money | None = Field(default=None, description="final_price at least")
    price_max: Money | None = Field(default=None, description="final_price at most")
    complexity: Complexity | None = None
    q: str | None = Field(
        default=None, max_length=200, description="Text in name or description, any case"
    )
    is_finalized: bool | None = None
    sort: str = Field(
        default="-created_at",
        description=f"One of {', '.join(SORT_FIELDS)}; a leading '-' sorts descending",
        examples=["-final_price"],
    )

    @field_validator("sort")
    @classmethod
    def _known_sort(cls, value: str) -> str:
        if value.removeprefix("-") not in SORT_FIELDS:
            raise ValueError(f"unknown sort field; use one of {', '.join(SORT_FIELDS)}")
        return value


class ProjectTypeCreate(Schema):
    name: ProjectTypeName
    trade: str = Field(default="", max_length=100, examples=["Tischlerei"])
    description: Description = ""


class ProjectTypeRead(ReadSchema):
    id: int
    name: str
    trade: str
    description: str


class ProjectMaterialCreate(Schema):
    material_id: DbId
    quantity: Annotated[Quantity, Field(gt=0, examples=[2.5])]
    unit_price: Money | None = Field(
        default=None, description="Defaults to the material's current price"
    )


class ProjectMaterialUpdate(Schema):
    quantity: Annotated[Quantity, Field(gt=0)] | None = None
    unit_price: Money | None = None

    @model_validator(mode="after")
    def _not_null(self) -> ProjectMaterialUpdate:
        nulled = sorted(f for f in self.model_fields_set if getattr(self, f) is None)
        if nulled:
            raise ValueError(f"{', '.join(nulled)} cannot be null")
        return self


class ProjectMaterialRead(ReadSchema):
    id: int
    material_id: int
    material_name: str
    unit: str
    quantity: Quantity
    unit_price: Money
    total: Amount
    created_at: datetime


class CostBreakdownRead(ReadSchema):
    material_cost: Amount
    material_markup: Amount
    material_total: Amount
    labor_hours: Amount
    labor_rate_per_hour: Amount
    labor_cost: Amount
    overhead: Amount
    profit: Amount
    net: Amount
    tax_rate: Amount = Field(description="VAT as a fraction, e.g. 0.19")
    vat: Amount
    gross: Amount
    final_price: Amount | None = Field(description="The project's agreed net price, if known")
