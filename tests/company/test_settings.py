"""Company settings: defaults, full and partial updates, validation, tenancy, roles."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.auth.permissions import Role
from handwerkml.db.models import Tenant
from tests.company.factories import set_company_settings
from tests.conftest import Headers, LoginAs

URL = "/api/v1/settings/current"

FULL = {
    "labor_rate_per_hour": 62.5,
    "material_markup_percentage": 25,
    "overhead_percentage": 12.5,
    "profit_margin_percentage": 18,
    "tax_rate": 0.07,
    "default_complexity": 4,
    "default_region": "Sachsen",
    "currency": "EUR",
    "language": "en",
    "company_name": "Schreinerei Holzwurm GmbH",
}


async def test_defaults(client: httpx.AsyncClient, admin_headers: Headers, tenant: Tenant) -> None:
    response = await client.get(URL, headers=admin_headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body["id"], int)
    assert body["updated_at"]
    assert {key: body[key] for key in FULL} == {
        "labor_rate_per_hour": 50.0,
        "material_markup_percentage": 30.0,
        "overhead_percentage": 15.0,
        "profit_margin_percentage": 25.0,
        "tax_rate": 0.19,
        "default_complexity": 3,
        "default_region": "Bayern",
        "currency": "EUR",
        "language": "de",
        "company_name": tenant.name,
    }


async def test_a_new_tenant_starts_with_the_seed_defaults(
    client: httpx.AsyncClient, admin_headers: Headers, tenant: Tenant
) -> None:
    response = await client.get(URL, headers=admin_headers)
    assert response.status_code == 200
    assert response.json()["labor_rate_per_hour"] == 50.0
    assert response.json()["material_markup_percentage"] == 30.0
    assert response.json()["tax_rate"] == 0.19
    assert response.json()["company_name"] == tenant.name


async def test_put_replaces_and_persists(client: httpx.AsyncClient, admin_headers: Headers) -> None:
    before = (await client.get(URL, headers=admin_headers)).json()
    response = await client.put(URL, json=FULL, headers=admin_headers)
    assert response.status_code == 200, response.text
    assert {key: response.json()[key] for key in FULL} == FULL
    assert response.json()["id"] == before["id"]
    assert response.json()["updated_at"] >= before["updated_at"]
    # The seed's clients use a trailing slash.
    again = await client.get(f"{URL}/", headers=admin_headers)
    assert again.json() == response.json()


async def test_partial_bodies_keep_the_other_fields(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    put = await client.put(URL, json={"labor_rate_per_hour": 58}, headers=admin_headers)
    assert put.status_code == 200
    patch = await client.patch(
        URL, json={"tax_rate": "0.0700", "currency": "chf"}, headers=admin_headers
    )
    assert patch.status_code == 200, patch.text
    body = (await client.get(URL, headers=admin_headers)).json()
    assert (body["labor_rate_per_hour"], body["tax_rate"], body["currency"]) == (58.0, 0.07, "CHF")
    assert (body["overhead_percentage"], body["default_region"]) == (15.0, "Bayern")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("labor_rate_per_hour", -1),
        ("labor_rate_per_hour", None),
        ("material_markup_percentage", -0.5),
        ("material_markup_percentage", 1000.01),
        ("overhead_percentage", 1001),
        ("profit_margin_percentage", -10),
        ("tax_rate", 1.01),
        ("tax_rate", -0.01),
        ("tax_rate", 0.12345),
        ("default_complexity", 0),
        ("default_complexity", 6),
        ("default_complexity", 2.5),
        ("currency", "EURO"),
        ("currency", "€"),
        ("language", "fr"),
        ("default_region", ""),
        ("company_name", "x" * 201),
    ],
)
async def test_invalid_values_are_422(
    client: httpx.AsyncClient, admin_headers: Headers, field: str, value: object
) -> None:
    for method in ("PUT", "PATCH"):
        response = await client.request(method, URL, json={field: value}, headers=admin_headers)
        assert response.status_code == 422, (method, response.text)
        assert [e["loc"] for e in response.json()["detail"]] == [["body", field]]
    body = (await client.get(URL, headers=admin_headers)).json()
    assert body["labor_rate_per_hour"] == 50.0
    assert body["tax_rate"] == 0.19


async def test_boundaries_are_accepted(client: httpx.AsyncClient, admin_headers: Headers) -> None:
    edges = {"tax_rate": 1, "material_markup_percentage": 1000, "labor_rate_per_hour": 0}
    response = await client.patch(
        URL, json={**edges, "default_complexity": 5}, headers=admin_headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["tax_rate"] == 1.0
    assert response.json()["material_markup_percentage"] == 1000.0


async def test_settings_are_per_tenant(
    client: httpx.AsyncClient,
    admin_headers: Headers,
    login_as: LoginAs,
    session: AsyncSession,
    tenant: Tenant,
    other_tenant: Tenant,
) -> None:
    await set_company_settings(session, tenant=tenant, labor_rate_per_hour=Decimal("55.00"))
    other_admin = await login_as(Role.admin, tenant_=other_tenant)

    response = await client.put(
        URL, json={"labor_rate_per_hour": 80, "company_name": "Fliesen Müller"}, headers=other_admin
    )
    assert response.status_code == 200
    theirs = (await client.get(URL, headers=other_admin)).json()
    mine = (await client.get(URL, headers=admin_headers)).json()
    assert (theirs["labor_rate_per_hour"], theirs["company_name"]) == (80.0, "Fliesen Müller")
    assert (mine["labor_rate_per_hour"], mine["company_name"]) == (55.0, tenant.name)
    assert mine["id"] != theirs["id"]


@pytest.mark.parametrize("role", [Role.viewer, Role.staff, Role.estimator])
async def test_only_managers_change_settings(
    client: httpx.AsyncClient, login_as: LoginAs, role: Role
) -> None:
    headers = await login_as(role)
    assert (await client.get(URL, headers=headers)).status_code == 200
    for method in ("PUT", "PATCH"):
        response = await client.request(method, URL, json={"tax_rate": 0.07}, headers=headers)
        assert response.status_code == 403
        assert "settings:write" in response.json()["detail"]
    assert (await client.get(URL, headers=headers)).json()["tax_rate"] == 0.19


async def test_manager_changes_settings(client: httpx.AsyncClient, login_as: LoginAs) -> None:
    headers = await login_as(Role.manager)
    response = await client.patch(URL, json={"default_complexity": 2}, headers=headers)
    assert response.status_code == 200
    assert response.json()["default_complexity"] == 2


async def test_nul_in_text_is_422(client: httpx.AsyncClient, admin_headers: Headers) -> None:
    response = await client.patch(URL, json={"company_name": "a\x00b"}, headers=admin_headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "company_name"]
