"""Request and response bodies of the auth, user and API key endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import EmailStr, Field

from handwerkml.auth.permissions import Role
from handwerkml.kit.schemas import ReadSchema, Schema, UtcDatetime


class LoginRequest(Schema):
    email: EmailStr = Field(examples=["admin@demo.handwerkml.de"])
    password: str = Field(min_length=1, max_length=200)


class RefreshRequest(Schema):
    refresh_token: str = Field(min_length=1)


class TokenResponse(ReadSchema):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class TenantRead(ReadSchema):
    id: int
    name: str
    slug: str
    tier: str


class UserRead(ReadSchema):
    id: int
    email: str
    full_name: str
    role: Role
    is_active: bool
    tenant_id: int
    created_at: datetime
    last_login_at: datetime | None


class MeResponse(ReadSchema):
    user: UserRead | None
    api_key_id: int | None
    tenant: TenantRead
    role: Role
    permissions: list[str]


class UserCreate(Schema):
    email: EmailStr
    password: str = Field(min_length=8, max_length=200)
    full_name: str = Field(default="", max_length=200)
    role: Role = Role.staff


class UserUpdate(Schema):
    full_name: str | None = Field(default=None, max_length=200)
    role: Role | None = None
    is_active: bool | None = None
    password: str | None = Field(default=None, min_length=8, max_length=200)


class ApiKeyCreate(Schema):
    name: str = Field(min_length=1, max_length=200, examples=["ERP-Anbindung"])
    role: Role = Role.viewer
    expires_at: UtcDatetime | None = Field(default=None, examples=["2030-12-31T23:59:59Z"])


class ApiKeyRead(ReadSchema):
    id: int
    name: str
    prefix: str
    role: Role
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="The key itself. Shown once; store it now.")
