"""Login, tokens, users and API keys: the rules, without HTTP."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.auth import security
from handwerkml.auth.permissions import Role, permissions_for
from handwerkml.auth.principal import Principal
from handwerkml.auth.repository import ApiKeyRepository, TenantRepository, UserRepository
from handwerkml.config import Settings
from handwerkml.db.models import ApiKey, CompanySettings, Tenant, User
from handwerkml.kit.errors import Conflict, NotAuthenticated, NotFound, PermissionDenied
from handwerkml.kit.time import utcnow
from handwerkml.projects.catalog import seed_project_types


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


def _issue_tokens(user: User, settings: Settings) -> TokenPair:
    secret = settings.jwt_secret()
    access_lifetime = timedelta(minutes=settings.access_token_minutes)

    def token(type_: security.TokenType, lifetime: timedelta) -> str:
        return security.create_token(
            user_id=user.id,
            tenant_id=user.tenant_id,
            role=user.role,
            type=type_,
            lifetime=lifetime,
            secret=secret,
        )

    return TokenPair(
        access_token=token("access", access_lifetime),
        refresh_token=token("refresh", timedelta(days=settings.refresh_token_days)),
        expires_in=int(access_lifetime.total_seconds()),
    )


async def login(session: AsyncSession, settings: Settings, email: str, password: str) -> TokenPair:
    user = await UserRepository(session).get_by_email(email)
    if user is None:
        security.verify_password(security.DUMMY_PASSWORD_HASH, password)
        raise NotAuthenticated("Incorrect email or password")
    if not security.verify_password(user.password_hash, password) or not user.is_active:
        raise NotAuthenticated("Incorrect email or password")
    tenant = await TenantRepository(session).get(user.tenant_id)
    if tenant is None or not tenant.is_active:
        raise NotAuthenticated("Incorrect email or password")
    user.last_login_at = utcnow()
    return _issue_tokens(user, settings)


async def refresh(session: AsyncSession, settings: Settings, refresh_token: str) -> TokenPair:
    claims = security.decode_token(refresh_token, secret=settings.jwt_secret(), expected="refresh")
    if claims is None:
        raise NotAuthenticated("Invalid or expired refresh token")
    user = await UserRepository(session).get(claims.user_id)
    if user is None or not user.is_active:
        raise NotAuthenticated("Invalid or expired refresh token")
    # The role may have changed since the token was issued: new tokens carry the current one.
    return _issue_tokens(user, settings)


async def resolve_principal(
    session: AsyncSession, settings: Settings, credential: str
) -> tuple[Principal, datetime | None]:
    """The caller behind a bearer token or API key, and until when that answer holds."""
    if security.looks_like_api_key(credential):
        key = await ApiKeyRepository(session).get_by_hash(security.hash_api_key(credential))
        now = utcnow()
        if key is None or key.revoked_at is not None or (key.expires_at and key.expires_at <= now):
            raise NotAuthenticated("Invalid or revoked API key")
        tenant = await TenantRepository(session).get(key.tenant_id)
        if tenant is None or not tenant.is_active:
            raise NotAuthenticated("Invalid or revoked API key")
        principal = Principal(tenant_id=key.tenant_id, role=key.role, api_key_id=key.id)
        return principal, key.expires_at

    claims = security.decode_token(credential, secret=settings.jwt_secret(), expected="access")
    if claims is None:
        raise NotAuthenticated("Invalid or expired token")
    user = await UserRepository(session).get(claims.user_id)
    if user is None or not user.is_active or user.tenant_id != claims.tenant_id:
        raise NotAuthenticated("Invalid or expired token")
    principal = Principal(tenant_id=user.tenant_id, role=user.role, user_id=user.id)
    return principal, claims.expires_at


_SLUG_RE = re.compile(r"[^a-z0-9]+")


def slugify(name: str) -> str:
    return _SLUG_RE.sub("-", name.lower()).strip("-") or "tenant"


async def create_tenant(
    session: AsyncSession, *, name: str, slug: str | None = None, tier: str = "free"
) -> Tenant:
    tenants = TenantRepository(session)
    slug = slug or slugify(name)
    if await tenants.get_by_slug(slug) is not None:
        raise Conflict(f"A tenant with slug '{slug}' already exists")
    tenant = await tenants.add(Tenant(name=name, slug=slug, tier=tier))
    # A new firm starts with default settings and the common project types, so nothing
    # has to be set up before the first project, and reads never have to write.
    session.add(CompanySettings(tenant_id=tenant.id, company_name=name))
    await seed_project_types(session, tenant.id)
    await session.flush()
    return tenant


async def create_user(
    session: AsyncSession,
    *,
    tenant_id: int,
    email: str,
    role: Role,
    password: str | None = None,
    password_hash: str | None = None,
    full_name: str = "",
) -> User:
    users = UserRepository(session)
    if await users.get_by_email(email) is not None:
        raise Conflict(f"A user with email {email} already exists")
    if password_hash is None:
        if password is None:
            raise ValueError("password or password_hash is required")
        password_hash = security.hash_password(password)
    return await users.add(
        User(
            tenant_id=tenant_id,
            email=email.lower(),
            full_name=full_name,
            role=role.value,
            password_hash=password_hash,
        )
    )


async def list_users(
    session: AsyncSession, principal: Principal, *, skip: int, limit: int
) -> tuple[Sequence[User], int]:
    return await UserRepository(session).list(principal.tenant_id, skip=skip, limit=limit)


async def update_user(
    session: AsyncSession,
    principal: Principal,
    user_id: int,
    *,
    role: Role | None = None,
    is_active: bool | None = None,
    full_name: str | None = None,
    password: str | None = None,
) -> User:
    user = await UserRepository(session).get_in_tenant(principal.tenant_id, user_id)
    if user is None:
        raise NotFound("User", user_id)
    if user.id == principal.user_id and (is_active is False or (role and role != Role.admin)):
        raise Conflict("You cannot deactivate or demote yourself")
    if role is not None:
        user.role = role.value
    if is_active is not None:
        user.is_active = is_active
    if full_name is not None:
        user.full_name = full_name
    if password is not None:
        user.password_hash = security.hash_password(password)
    await session.flush()
    return user


async def create_api_key(
    session: AsyncSession,
    principal: Principal,
    *,
    name: str,
    role: Role,
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """A new key and its plaintext, which is shown once and never stored."""
    if not permissions_for(role) <= principal.permissions:
        raise PermissionDenied(f"You cannot create a key with role '{role}': it exceeds your own")
    if expires_at is not None and expires_at <= utcnow():
        raise Conflict("expires_at lies in the past")
    plaintext = security.generate_api_key()
    key = await ApiKeyRepository(session).add(
        ApiKey(
            tenant_id=principal.tenant_id,
            name=name,
            prefix=plaintext[:12],
            key_hash=security.hash_api_key(plaintext),
            role=role.value,
            created_by_id=principal.user_id,
            expires_at=expires_at,
        )
    )
    return key, plaintext


async def list_api_keys(session: AsyncSession, principal: Principal) -> Sequence[ApiKey]:
    return await ApiKeyRepository(session).list(principal.tenant_id)


async def revoke_api_key(session: AsyncSession, principal: Principal, key_id: int) -> ApiKey:
    key = await ApiKeyRepository(session).get_in_tenant(principal.tenant_id, key_id)
    if key is None:
        raise NotFound("API key", key_id)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        await session.flush()
    return key
