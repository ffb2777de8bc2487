"""Login with JSON or the OAuth2 form, refresh, and who-am-I."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.auth.permissions import Role
from handwerkml.db.models import Tenant
from tests.auth.factories import PASSWORD, create_user

LOGIN = "/api/v1/auth/login"


async def test_login_json_and_me(
    client: httpx.AsyncClient, session: AsyncSession, tenant: Tenant
) -> None:
    user = await create_user(session, tenant=tenant, role=Role.estimator)
    response = await client.post(LOGIN, json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 30 * 60
    me = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.status_code == 200
    assert me.json()["user"]["email"] == user.email
    assert me.json()["role"] == "estimator"
    assert me.json()["tenant"]["id"] == tenant.id
    assert "predictions:run" in me.json()["permissions"]
    assert "users:manage" not in me.json()["permissions"]


async def test_login_with_oauth2_form_as_the_docs_button_sends_it(
    client: httpx.AsyncClient, session: AsyncSession, tenant: Tenant
) -> None:
    user = await create_user(session, tenant=tenant, role=Role.viewer)
    response = await client.post(LOGIN, data={"username": user.email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    assert response.json()["access_token"]


async def test_login_email_is_case_insensitive(
    client: httpx.AsyncClient, session: AsyncSession, tenant: Tenant
) -> None:
    user = await create_user(session, tenant=tenant, email="Meister@Example.de")
    response = await client.post(LOGIN, json={"email": "MEISTER@example.de", "password": PASSWORD})
    assert response.status_code == 200, response.text
    assert user.email == "meister@example.de"


async def test_wrong_password_unknown_user_and_inactive_user_get_the_same_401(
    client: httpx.AsyncClient, session: AsyncSession, tenant: Tenant
) -> None:
    user = await create_user(session, tenant=tenant)
    inactive = await create_user(session, tenant=tenant)
    inactive.is_active = False
    await session.commit()
    attempts = [
        {"email": user.email, "password": "falsch"},
        {"email": "niemand@example.de", "password": PASSWORD},
        {"email": inactive.email, "password": PASSWORD},
    ]
    for body in attempts:
        response = await client.post(LOGIN, json=body)
        assert response.status_code == 401
        assert response.json() == {"detail": "Incorrect email or password"}


async def test_malformed_login_bodies_get_422(client: httpx.AsyncClient) -> None:
    for body in ({"email": "kein-email", "password": "x"}, {"email": "a@example.de"}, {}):
        response = await client.post(LOGIN, json=body)
        assert response.status_code == 422, body
    broken = await client.post(
        LOGIN, content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 422


async def test_login_errors_echo_nan_and_lone_surrogates_as_text(
    client: httpx.AsyncClient,
) -> None:
    # The login endpoint validates its own body; its 422 used to fail to render these (500).
    response = await client.post(
        LOGIN,
        content=b'{"email": NaN, "password": "\\ud800"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert [(e["loc"], e["input"]) for e in response.json()["detail"]] == [
        (["body", "email"], "nan"),
        (["body", "password"], "\\ud800"),
    ]


async def test_refresh_issues_new_tokens_and_rejects_access_tokens(
    client: httpx.AsyncClient, session: AsyncSession, tenant: Tenant
) -> None:
    user = await create_user(session, tenant=tenant)
    tokens = (await client.post(LOGIN, json={"email": user.email, "password": PASSWORD})).json()
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200
    assert refreshed.json()["access_token"] != tokens["access_token"]
    wrong_kind = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["access_token"]}
    )
    assert wrong_kind.status_code == 401
    # A refresh token is not an access token either.
    me = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {tokens['refresh_token']}"}
    )
    assert me.status_code == 401
