"""API keys: shown once, stored hashed, usable as Bearer or X-API-Key, revocable."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.auth.permissions import Role
from handwerkml.db.models import ApiKey
from tests.conftest import Headers, LoginAs

KEYS = "/api/v1/api-keys"


async def test_create_use_and_revoke_a_key(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: Headers
) -> None:
    created = await client.post(KEYS, json={"name": "ERP", "role": "viewer"}, headers=admin_headers)
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    assert key.startswith("hwml_")
    assert created.json()["prefix"] == key[:12]

    stored = (await session.scalars(select(ApiKey))).one()
    assert key not in (stored.key_hash, stored.prefix)

    for headers in ({"X-API-Key": key}, {"Authorization": f"Bearer {key}"}):
        me = await client.get("/api/v1/auth/me", headers=headers)
        assert me.status_code == 200, me.text
        assert me.json()["role"] == "viewer"
        assert me.json()["user"] is None

    listed = await client.get(KEYS, headers=admin_headers)
    assert [k["name"] for k in listed.json()] == ["ERP"]
    assert "key" not in listed.json()[0]

    revoked = await client.delete(f"{KEYS}/{created.json()['id']}", headers=admin_headers)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    after = await client.get("/api/v1/auth/me", headers={"X-API-Key": key})
    assert after.status_code == 401


async def test_a_key_cannot_exceed_its_creators_role(
    client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    manager = await login_as(Role.manager)
    response = await client.post(KEYS, json={"name": "x", "role": "admin"}, headers=manager)
    assert response.status_code == 403
    allowed = await client.post(KEYS, json={"name": "x", "role": "estimator"}, headers=manager)
    assert allowed.status_code == 201


async def test_keys_are_tenant_scoped(
    client: httpx.AsyncClient, login_as: LoginAs, other_tenant: object
) -> None:
    mine = await login_as(Role.admin)
    theirs = await login_as(Role.admin, tenant_=other_tenant)
    created = await client.post(KEYS, json={"name": "ours"}, headers=mine)
    key_id = created.json()["id"]
    assert (await client.get(KEYS, headers=theirs)).json() == []
    assert (await client.delete(f"{KEYS}/{key_id}", headers=theirs)).status_code == 404


async def test_expired_and_unknown_keys_are_refused(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    past = await client.post(
        KEYS, json={"name": "alt", "expires_at": "2020-01-01T00:00:00Z"}, headers=admin_headers
    )
    assert past.status_code == 409
    unknown = await client.get("/api/v1/auth/me", headers={"X-API-Key": "hwml_gibtsnicht"})
    assert unknown.status_code == 401


async def test_expiry_needs_an_offset_and_a_utc_instant_within_the_calendar(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    # Both used to be 500s: a naive datetime cannot be compared with the aware clock,
    # and these offsets push the instant past year 1 or 9999 when converted to UTC.
    for expires_at in (
        "2030-01-01T00:00:00",
        "9999-12-31T23:59:59-05:00",
        "0001-01-01T00:00+05:00",
    ):
        response = await client.post(
            KEYS, json={"name": "ERP", "expires_at": expires_at}, headers=admin_headers
        )
        assert response.status_code == 422, expires_at
        assert response.json()["detail"][0]["loc"] == ["body", "expires_at"]

    created = await client.post(
        KEYS,
        json={"name": "ERP", "expires_at": "2099-06-30T12:00:00+02:00"},
        headers=admin_headers,
    )
    assert created.status_code == 201, created.text
    assert created.json()["expires_at"] == "2099-06-30T10:00:00Z"
