"""Tenants never see each other's projects; roles without projects:write cannot change them."""

from __future__ import annotations

from decimal import Decimal

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.auth.permissions import Role
from handwerkml.db.models import Tenant
from tests.conftest import Headers, LoginAs
from tests.projects.factories import create_material, create_project, project_body

PROJECTS = "/api/v1/projects"


async def test_another_tenant_gets_404_everywhere(
    client: httpx.AsyncClient,
    admin_headers: Headers,
    login_as: LoginAs,
    session: AsyncSession,
    tenant: Tenant,
    other_tenant: Tenant,
) -> None:
    project = await create_project(session, tenant=tenant, final_price=Decimal("900.00"))
    material = await create_material(session, tenant=tenant)
    url = f"{PROJECTS}/{project.id}"
    item = await client.post(
        f"{url}/materials", json={"material_id": material.id, "quantity": 1}, headers=admin_headers
    )
    item_url = f"{url}/materials/{item.json()['id']}"
    stranger = await login_as(Role.admin, tenant_=other_tenant)
    own_material = await create_material(session, tenant=other_tenant)

    attempts = [
        ("GET", url, None),
        ("PUT", url, project_body()),
        ("PATCH", url, {"name": "Übernommen"}),
        ("DELETE", url, None),
        ("POST", f"{url}/finalize", None),
        ("POST", f"{url}/cancel", {"reason": "weg damit"}),
        ("GET", f"{url}/materials", None),
        ("POST", f"{url}/materials", {"material_id": own_material.id, "quantity": 1}),
        ("PATCH", item_url, {"quantity": 9}),
        ("DELETE", item_url, None),
        ("GET", f"{url}/cost-breakdown", None),
    ]
    for method, target, body in attempts:
        response = await client.request(method, target, json=body, headers=stranger)
        assert response.status_code == 404, f"{method} {target}: {response.text}"

    listed = await client.get(PROJECTS, headers=stranger)
    assert listed.json() == []
    assert listed.headers["X-Total-Count"] == "0"
    searched = await client.get(f"{PROJECTS}?q=Eichentreppe", headers=stranger)
    assert searched.json() == []

    # Untouched for its owner.
    mine = (await client.get(url, headers=admin_headers)).json()
    assert mine["name"] == "Eichentreppe"
    assert mine["is_finalized"] is False
    assert mine["status"] == "Anfrage"
    items = (await client.get(f"{url}/materials", headers=admin_headers)).json()
    assert [i["quantity"] for i in items] == [1]


async def test_viewer_reads_but_cannot_write(
    client: httpx.AsyncClient, login_as: LoginAs, session: AsyncSession, tenant: Tenant
) -> None:
    project = await create_project(session, tenant=tenant, final_price=Decimal("900.00"))
    viewer = await login_as(Role.viewer)
    assert (await client.get(PROJECTS, headers=viewer)).status_code == 200
    assert (await client.get(f"{PROJECTS}/{project.id}", headers=viewer)).status_code == 200
    assert (await client.get(f"{PROJECTS}/types", headers=viewer)).status_code == 200
    for method, target, body in (
        ("POST", PROJECTS, project_body()),
        ("PATCH", f"{PROJECTS}/{project.id}", {"name": "x"}),
        ("POST", f"{PROJECTS}/{project.id}/finalize", None),
        ("POST", f"{PROJECTS}/types", {"name": "Wintergarten"}),
    ):
        response = await client.request(method, target, json=body, headers=viewer)
        assert response.status_code == 403, f"{method} {target}: {response.text}"
    staff = await login_as(Role.staff)
    created = await client.post(PROJECTS, json=project_body(), headers=staff)
    assert created.status_code == 201
