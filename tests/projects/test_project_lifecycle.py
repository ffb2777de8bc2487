"""Finalizing (GoBD: immutable afterwards) and cancelling (Storno) projects."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.db.models import Tenant
from tests.conftest import Headers
from tests.projects.factories import create_material, create_project, project_body

PROJECTS = "/api/v1/projects"


async def test_finalize_needs_a_final_price(
    client: httpx.AsyncClient, admin_headers: Headers, session: AsyncSession, tenant: Tenant
) -> None:
    project = await create_project(session, tenant=tenant, final_price=None)
    url = f"{PROJECTS}/{project.id}"
    refused = await client.post(f"{url}/finalize", headers=admin_headers)
    assert refused.status_code == 409
    assert "final_price" in refused.json()["detail"]
    assert (await client.get(url, headers=admin_headers)).json()["is_finalized"] is False

    await client.patch(url, json={"final_price": 4200}, headers=admin_headers)
    finalized = await client.post(f"{url}/finalize", headers=admin_headers)
    assert finalized.status_code == 200, finalized.text
    body = finalized.json()
    assert body["is_finalized"] is True
    assert datetime.fromisoformat(body["finalized_at"]).tzinfo is not None
    again = await client.post(f"{url}/finalize", headers=admin_headers)
    assert again.status_code == 409


async def test_a_finalized_project_cannot_be_changed(
    client: httpx.AsyncClient, admin_headers: Headers, session: AsyncSession, tenant: Tenant
) -> None:
    project = await create_project(session, tenant=tenant, final_price=Decimal("4200.00"))
    material = await create_material(session, tenant=tenant)
    url = f"{PROJECTS}/{project.id}"
    added = await client.post(
        f"{url}/materials", json={"material_id": material.id, "quantity": 2}, headers=admin_headers
    )
    assert added.status_code == 201
    item_url = f"{url}/materials/{added.json()['id']}"
    assert (await client.post(f"{url}/finalize", headers=admin_headers)).status_code == 200
    before = (await client.get(url, headers=admin_headers)).json()

    attempts = [
        ("PUT", url, project_body()),
        ("PATCH", url, {"name": "Umbenannt"}),
        ("DELETE", url, None),
        ("POST", f"{url}/materials", {"material_id": material.id, "quantity": 1}),
        ("PATCH", item_url, {"quantity": 5}),
        ("PUT", item_url, {"quantity": 5}),
        ("DELETE", item_url, None),
    ]
    for method, target, body in attempts:
        response = await client.request(method, target, json=body, headers=admin_headers)
        assert response.status_code == 409, f"{method} {target}: {response.text}"
        assert "Storno" in response.json()["detail"], response.text

    assert (await client.get(url, headers=admin_headers)).json() == before
    items = (await client.get(f"{url}/materials", headers=admin_headers)).json()
    assert [item["quantity"] for item in items] == [2]


async def test_cancel_a_finalized_project_once(
    client: httpx.AsyncClient, admin_headers: Headers, session: AsyncSession, tenant: Tenant
) -> None:
    project = await create_project(
        session, tenant=tenant, final_price=Decimal("4200.00"), status="Auftrag"
    )
    url = f"{PROJECTS}/{project.id}"
    await client.post(f"{url}/finalize", headers=admin_headers)

    cancelled = await client.post(
        f"{url}/cancel",
        json={"reason": "Kunde hat vom Vertrag zurückgetreten"},
        headers=admin_headers,
    )
    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert body["status"] == "storniert"
    assert body["cancellation_reason"] == "Kunde hat vom Vertrag zurückgetreten"
    assert body["cancelled_at"] is not None
    assert body["is_finalized"] is True
    assert (await client.get(url, headers=admin_headers)).json() == body

    twice = await client.post(f"{url}/cancel", json={"reason": "nochmal"}, headers=admin_headers)
    assert twice.status_code == 409
    assert (await client.patch(url, json={"name": "x"}, headers=admin_headers)).status_code == 409
    listed = await client.get(f"{PROJECTS}?status=storniert", headers=admin_headers)
    assert [p["id"] for p in listed.json()] == [project.id]


async def test_cancel_an_open_project_ends_its_changes(
    client: httpx.AsyncClient, admin_headers: Headers, session: AsyncSession, tenant: Tenant
) -> None:
    project = await create_project(session, tenant=tenant, final_price=Decimal("100.00"))
    url = f"{PROJECTS}/{project.id}"
    empty = await client.post(f"{url}/cancel", json={"reason": "  "}, headers=admin_headers)
    assert empty.status_code == 422
    cancelled = await client.post(
        f"{url}/cancel", json={"reason": "doppelt"}, headers=admin_headers
    )
    assert cancelled.status_code == 200
    assert cancelled.json()["is_finalized"] is False
    assert (await client.post(f"{url}/finalize", headers=admin_headers)).status_code == 409
    assert (await client.patch(url, json={"name": "x"}, headers=admin_headers)).status_code == 409
    # Not finalized, so it may still be removed altogether.
    assert (await client.delete(url, headers=admin_headers)).status_code == 204


async def test_storno_only_through_the_cancel_endpoint(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    refused = await client.post(
        "/api/v1/projects", json=project_body(status="storniert"), headers=admin_headers
    )
    assert refused.status_code == 422
    assert "/cancel" in refused.json()["detail"][0]["msg"]
    created = await client.post("/api/v1/projects", json=project_body(), headers=admin_headers)
    project_id = created.json()["id"]
    patched = await client.patch(
        f"/api/v1/projects/{project_id}", json={"status": "storniert"}, headers=admin_headers
    )
    assert patched.status_code == 422
    unchanged = await client.get(f"/api/v1/projects/{project_id}", headers=admin_headers)
    assert unchanged.json()["status"] == "Auftrag"
