"""User management inside a tenant."""

from __future__ import annotations

import httpx

from handwerkml.auth.permissions import Role
from tests.conftest import Headers, LoginAs

USERS = "/api/v1/users"


async def test_admin_creates_a_user_who_can_log_in(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    body = {"email": "geselle@example.de", "password": "sehr-geheim", "role": "staff"}
    created = await client.post(USERS, json=body, headers=admin_headers)
    assert created.status_code == 201, created.text
    assert created.json()["role"] == "staff"
    assert "password" not in created.text
    login = await client.post(
        "/api/v1/auth/login", json={"email": body["email"], "password": body["password"]}
    )
    assert login.status_code == 200
    duplicate = await client.post(USERS, json=body, headers=admin_headers)
    assert duplicate.status_code == 409


async def test_deactivating_a_user_revokes_access_at_once(
    client: httpx.AsyncClient, admin_headers: Headers, login_as: LoginAs
) -> None:
    staff = await login_as(Role.staff)
    me = await client.get("/api/v1/auth/me", headers=staff)
    assert me.status_code == 200
    user_id = me.json()["user"]["id"]
    changed = await client.patch(
        f"{USERS}/{user_id}", json={"is_active": False}, headers=admin_headers
    )
    assert changed.status_code == 200
    assert (await client.get("/api/v1/auth/me", headers=staff)).status_code == 401


async def test_user_list_is_paged_and_tenant_scoped(
    client: httpx.AsyncClient, admin_headers: Headers, login_as: LoginAs, other_tenant: object
) -> None:
    await login_as(Role.viewer)
    await login_as(Role.viewer, tenant_=other_tenant)
    page = await client.get(f"{USERS}?limit=1", headers=admin_headers)
    assert page.status_code == 200
    assert len(page.json()) == 1
    assert page.headers["X-Total-Count"] == "2"


async def test_admin_cannot_demote_themselves(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    me = (await client.get("/api/v1/auth/me", headers=admin_headers)).json()
    response = await client.patch(
        f"{USERS}/{me['user']['id']}", json={"role": "viewer"}, headers=admin_headers
    )
    assert response.status_code == 409
