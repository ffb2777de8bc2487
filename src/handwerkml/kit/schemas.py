"""Pydantic building blocks shared by the domain schemas."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

# Money in euros: at most two decimals, never negative, serialised as a JSON number
# so the seed system's clients (which read numbers) keep working.
Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=12, decimal_places=2, examples=[1250.00]),
    PlainSerializer(float, return_type=float, when_used="json"),
]
Quantity = Annotated[
    Decimal,
    Field(ge=0, max_digits=12, decimal_places=3),
    PlainSerializer(float, return_type=float, when_used="json"),
]
Percentage = Annotated[
    Decimal,
    Field(ge=0, le=1000, max_digits=6, decimal_places=2),
    PlainSerializer(float, return_type=float, when_used="json"),
]
NonEmptyStr = Annotated[str, Field(min_length=1, max_length=200)]


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True, extra="ignore", str_strip_whitespace=True)


class ReadSchema(BaseModel):
    model_config = ConfigDict(from_attributes=True)
