"""Pydantic building blocks shared by the domain schemas."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Path
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
)

# The largest id an INTEGER column holds on every engine; a bigger one would make the
# driver fail (a 500) instead of giving a plain 404 or 422.
MAX_ID = 2_147_483_647
DbId = Annotated[int, Field(ge=1, le=MAX_ID)]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]

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


def _in_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        # e.g. 9999-12-31T23:59:59-05:00: the same instant in UTC lies past year 9999.
        raise ValueError("must lie between the years 1 and 9999 in UTC") from None


# A point in time from a client: without an offset it would be ambiguous (and naive
# datetimes cannot be compared with our aware ones), so one is required.
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_in_utc)]


class Schema(BaseModel):
    """Base of every request body: unknown fields ignored (the seed's clients send extras)."""

    model_config = ConfigDict(from_attributes=True, extra="ignore", str_strip_whitespace=True)

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # PostgreSQL cannot store NUL in text; refuse it here rather than fail in the driver.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


class ReadSchema(BaseModel):
    model_config = ConfigDict(from_attributes=True)
