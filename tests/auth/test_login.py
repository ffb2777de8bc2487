from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.auth.permissions import Role
from handwerkml.db.models import Tenant
from tests.auth.factories import PASSWORD, create_user


async def test_login_json_and_me(
    client: httpx.AsyncClient, session: AsyncSession, tenant: Tenant
) -> None:
    user = await create_user(session, tenant=tenant, role=Role.estimator)
    response = await client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    me = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.status_code == 200
    assert me.json()["user"]["email"] == user.email
    assert me.json()["role"] == "estimator"
