"""Tenants and users for tests."""

from __future__ import annotations

import itertools
from datetime import timedelta
from functools import cache

from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.auth import security, service
from handwerkml.auth.permissions import Role
from handwerkml.config import Settings
from handwerkml.db.models import Tenant, User

PASSWORD = "richtig-geheim-42"
_counter = itertools.count(1)


@cache
def _password_hash() -> str:
    # Argon2 is slow on purpose; hash once per run instead of once per user.
    return security.hash_password(PASSWORD)


async def create_tenant(session: AsyncSession, *, name: str, tier: str = "free") -> Tenant:
    tenant = await service.create_tenant(
        session, name=name, slug=f"{service.slugify(name)}-{next(_counter)}", tier=tier
    )
    await session.commit()
    return tenant


async def create_user(
    session: AsyncSession, *, tenant: Tenant, role: Role = Role.admin, email: str | None = None
) -> User:
    user = await service.create_user(
        session,
        tenant_id=tenant.id,
        email=email or f"{role.value}-{next(_counter)}@example.de",
        role=role,
        password_hash=_password_hash(),
    )
    await session.commit()
    return user


def token_for(user: User, settings: Settings) -> str:
    return security.create_token(
        user_id=user.id,
        tenant_id=user.tenant_id,
        role=user.role,
        type="access",
        lifetime=timedelta(minutes=5),
        secret=settings.jwt_secret(),
    )
