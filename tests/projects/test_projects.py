"""Project CRUD, paging and input validation."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.db.models import Tenant
from tests.conftest import Headers
from tests.projects.factories import create_project, dec, project_body

PROJECTS = "/api/v1/projects"


async def test_create_read_replace_patch_delete(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    created = await client.post(PROJECTS, json=project_body(), headers=admin_headers)
    assert created.status_code == 201, created.text
    project = created.json()
    assert project["name"] == "Eichentreppe mit Podest"
    assert project["project_type"] == "Treppenbau"
    assert project["wood_type"] == "Eiche"
    assert project["complexity"] == 4
    assert project["postal_code"] == "80331"
    assert dec(project["total_area_sqm"]) == Decimal("8.5")
    assert dec(project["labor_hours"]) == Decimal("64")
    assert dec(project["final_price"]) == Decimal("14850")
    assert project["project_date"] == "2024-03-15"
    assert project["status"] == "Auftrag"
    assert project["is_finalized"] is False
    assert project["finalized_at"] is None
    assert project["customer"]["name"] == "Familie Huber"
    assert project["customer"]["city"] == "München"
    assert project["customer"]["email"] == "huber@example.de"
    assert "tenant_id" not in project
    assert datetime.fromisoformat(project["updated_at"]) >= datetime.fromisoformat(
        project["created_at"]
    )
    url = f"{PROJECTS}/{project['id']}"

    fetched = await client.get(url, headers=admin_headers)
    assert fetched.status_code == 200
    assert fetched.json() == project

    customer = {"name": "Familie Huber", "city": "Augsburg", "email": "huber@example.de"}
    replaced = await client.put(
        url,
        json=project_body(
            name="Nussbaumtreppe",
            wood_type="Nussbaum",
            final_price=15999.99,
            labor_hours=None,
            customer=customer,
        ),
        headers=admin_headers,
    )
    assert replaced.status_code == 200, replaced.text
    body = replaced.json()
    assert body["name"] == "Nussbaumtreppe"
    assert body["wood_type"] == "Nussbaum"
    assert dec(body["final_price"]) == Decimal("15999.99")
    assert body["labor_hours"] is None
    # The linked customer row is updated, not replaced by a new one.
    assert body["customer"]["id"] == project["customer"]["id"]
    assert body["customer"]["city"] == "Augsburg"
    assert body["customer"]["phone"] is None
    assert body["customer"]["street"] is None

    patched = await client.patch(
        url, json={"final_price": 16000, "customer": None}, headers=admin_headers
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert dec(body["final_price"]) == Decimal("16000")
    assert body["name"] == "Nussbaumtreppe"
    assert body["complexity"] == 4
    assert body["customer"] is None

    assert (await client.get(url, headers=admin_headers)).json() == body
    deleted = await client.delete(url, headers=admin_headers)
    assert deleted.status_code == 204
    missing = await client.get(url, headers=admin_headers)
    assert missing.status_code == 404
    assert missing.json() == {"detail": f"Project {project['id']} not found"}


async def test_minimal_project_gets_defaults(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    body = {"name": "Regal", "project_type": "Möbel", "total_area_sqm": 1.2}
    created = await client.post(PROJECTS, json=body, headers=admin_headers)
    assert created.status_code == 201, created.text
    project = created.json()
    assert project["status"] == "Anfrage"
    assert project["complexity"] == 3
    assert project["description"] == ""
    assert project["final_price"] is None
    assert project["customer"] is None


async def test_list_is_paged_with_total_and_slash_agnostic(
    client: httpx.AsyncClient, admin_headers: Headers, session: AsyncSession, tenant: Tenant
) -> None:
    for day in (1, 2, 3):
        await create_project(
            session, tenant=tenant, name=f"P{day}", project_date=date(2024, 1, day)
        )
    first = await client.get(f"{PROJECTS}?limit=2&sort=project_date", headers=admin_headers)
    assert first.status_code == 200
    assert first.headers["X-Total-Count"] == "3"
    assert [p["name"] for p in first.json()] == ["P1", "P2"]
    rest = await client.get(f"{PROJECTS}/?skip=2&limit=2&sort=project_date", headers=admin_headers)
    assert rest.status_code == 200, rest.text
    assert rest.headers["X-Total-Count"] == "3"
    assert [p["name"] for p in rest.json()] == ["P3"]
    created = await client.post(f"{PROJECTS}/", json=project_body(), headers=admin_headers)
    assert created.status_code == 201


INVALID: list[tuple[str, dict[str, Any]]] = [
    ("negative area", {"total_area_sqm": -3}),
    ("zero area", {"total_area_sqm": 0}),
    ("missing area", {"total_area_sqm": None}),
    ("empty name", {"name": ""}),
    ("blank name", {"name": "   "}),
    ("complexity 7", {"complexity": 7}),
    ("complexity 0", {"complexity": 0}),
    ("price with 3 decimals", {"final_price": 100.123}),
    ("negative price", {"final_price": -1}),
    ("negative labor hours", {"labor_hours": -1}),
    ("bad postal code", {"postal_code": "8033"}),
    ("letters in postal code", {"postal_code": "8033A"}),
    ("unknown status", {"status": "erledigt"}),
    ("project type too long", {"project_type": "x" * 101}),
    ("NUL in name", {"name": "Treppe\x00"}),
    ("bad customer email", {"customer": {"name": "Huber", "email": "huber-at-example"}}),
    ("customer without name", {"customer": {"email": "huber@example.de"}}),
    ("bad customer postal code", {"customer": {"name": "Huber", "postal_code": "1234"}}),
    ("bad date", {"project_date": "15.03.2024"}),
]


async def test_invalid_bodies_are_422_with_the_field_named(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    created = await client.post(PROJECTS, json=project_body(), headers=admin_headers)
    url = f"{PROJECTS}/{created.json()['id']}"
    for label, change in INVALID:
        body = project_body(**change)
        for method, target in (("POST", PROJECTS), ("PUT", url)):
            response = await client.request(method, target, json=body, headers=admin_headers)
            assert response.status_code == 422, f"{label} ({method}): {response.text}"
            field = next(iter(change))
            locations = [error["loc"] for error in response.json()["detail"]]
            assert any(field in loc for loc in locations), f"{label}: {locations}"
    # Nothing above was stored or changed.
    listed = await client.get(PROJECTS, headers=admin_headers)
    assert listed.headers["X-Total-Count"] == "1"
    assert listed.json()[0]["name"] == "Eichentreppe mit Podest"


async def test_patch_validates_and_keeps_required_fields(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    created = await client.post(PROJECTS, json=project_body(), headers=admin_headers)
    url = f"{PROJECTS}/{created.json()['id']}"
    for change in (
        {"complexity": 7},
        {"total_area_sqm": 0},
        {"name": None},
        {"total_area_sqm": None},
        {"status": None},
        {"final_price": 1.005},
        {"customer": {"name": "X", "email": "kaputt"}},
    ):
        response = await client.patch(url, json=change, headers=admin_headers)
        assert response.status_code == 422, f"{change}: {response.text}"
    cleared = await client.patch(url, json={"final_price": None}, headers=admin_headers)
    assert cleared.status_code == 200
    assert cleared.json()["final_price"] is None
    assert cleared.json()["name"] == "Eichentreppe mit Podest"


async def test_absurd_ids_are_not_server_errors(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    assert (await client.get(f"{PROJECTS}/99999", headers=admin_headers)).status_code == 404
    huge = await client.get(f"{PROJECTS}/{2**63}", headers=admin_headers)
    assert huge.status_code == 422
    assert (await client.get(f"{PROJECTS}/abc", headers=admin_headers)).status_code == 422


async def test_openapi_documents_a_german_example(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    example = schema["components"]["schemas"]["ProjectCreate"]["examples"][0]
    assert example["name"] == "Eichentreppe mit Podest"
    assert example["project_type"] == "Treppenbau"
    assert example["wood_type"] == "Eiche"
