"""Every route declares a permission; anonymous callers get 401, roles without it 403.

Walks the app's routes, so a new endpoint without a permission fails here.
"""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from handwerkml.app import ROUTERS
from handwerkml.auth.deps import PermissionCheck
from handwerkml.auth.permissions import ROLE_PERMISSIONS, Permission, Role
from tests.conftest import LoginAs

PUBLIC = {
    "/health",
    "/health/live",
    "/health/ready",
    "/metrics",
    "/api/v1/auth/login",
    "/api/v1/auth/refresh",
}
# Routes any authenticated caller may use, whatever the role.
AUTHENTICATED = {"/api/v1/auth/me"}


def _permissions(dependant: Dependant) -> list[Permission]:
    found = [
        d.call.permission for d in dependant.dependencies if isinstance(d.call, PermissionCheck)
    ]
    for sub in dependant.dependencies:
        found.extend(_permissions(sub))
    return found


def _routes() -> list[tuple[str, str, Permission | None]]:
    rows: list[tuple[str, str, Permission | None]] = []
    for route in (route for router in ROUTERS for route in router.routes):
        if not isinstance(route, APIRoute) or route.path in PUBLIC:
            continue
        declared = _permissions(route.dependant)
        assert len(declared) <= 1, f"{route.path} declares several permissions: {declared}"
        permission = declared[0] if declared else None
        assert permission or route.path in AUTHENTICATED, f"{route.path} declares no permission"
        rows.extend((method, route.path, permission) for method in sorted(route.methods or ()))
    return rows


ROUTES = _routes()


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_the_walk_covers_the_domain() -> None:
    paths = {path for _, path, _ in ROUTES}
    for expected in ("/api/v1/projects", "/api/v1/materials", "/api/v1/settings/current"):
        assert expected in paths


@pytest.mark.parametrize(
    ("method", "path", "permission"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES]
)
async def test_route_requires_its_permission(
    client: httpx.AsyncClient,
    login_as: LoginAs,
    method: str,
    path: str,
    permission: Permission | None,
) -> None:
    url = _concrete(path)
    body: dict[str, object] | None = {} if method in ("POST", "PUT", "PATCH") else None

    anonymous = await client.request(method, url, json=body)
    assert anonymous.status_code == 401, anonymous.text
    assert anonymous.headers["www-authenticate"] == "Bearer"

    bad_token = await client.request(
        method, url, json=body, headers={"Authorization": "Bearer nope"}
    )
    assert bad_token.status_code == 401

    for role in Role:
        if permission is None or permission in ROLE_PERMISSIONS[role]:
            continue
        denied = await client.request(method, url, json=body, headers=await login_as(role))
        assert denied.status_code == 403, f"{role}: {denied.status_code} {denied.text}"
        assert permission in denied.json()["detail"]
