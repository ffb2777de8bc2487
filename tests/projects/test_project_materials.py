"""Materials used on a project, their totals, and the project's cost breakdown."""

from __future__ import annotations

from decimal import Decimal

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.db.models import Tenant
from tests.conftest import Headers
from tests.projects.factories import create_material, create_project, dec

PROJECTS = "/api/v1/projects"


async def test_material_lines_total_in_cents(
    client: httpx.AsyncClient, admin_headers: Headers, session: AsyncSession, tenant: Tenant
) -> None:
    project = await create_project(session, tenant=tenant)
    oak = await create_material(session, tenant=tenant, unit_price=Decimal("19.99"), unit="m²")
    screws = await create_material(
        session, tenant=tenant, name="Spax 4x40", unit_price=Decimal("0.07"), unit="Stk"
    )
    url = f"{PROJECTS}/{project.id}/materials"

    line = await client.post(
        url, json={"material_id": oak.id, "quantity": 2.5}, headers=admin_headers
    )
    assert line.status_code == 201, line.text
    body = line.json()
    # 2.5 × 19.99 = 49.975, rounded half up to the cent.
    assert dec(body["total"]) == Decimal("49.98")
    assert dec(body["unit_price"]) == Decimal("19.99")
    assert body["material_name"] == "Eiche Leimholz 40mm"
    assert body["unit"] == "m²"

    own_price = await client.post(
        url,
        json={"material_id": screws.id, "quantity": 333, "unit_price": 0.05},
        headers=admin_headers,
    )
    assert own_price.status_code == 201
    assert dec(own_price.json()["total"]) == Decimal("16.65")

    # The catalog price changes later; the project keeps its snapshot.
    oak.unit_price = Decimal("25.00")
    await session.commit()
    items = (await client.get(url, headers=admin_headers)).json()
    assert [dec(i["unit_price"]) for i in items] == [Decimal("19.99"), Decimal("0.05")]

    item_url = f"{url}/{body['id']}"
    changed = await client.patch(item_url, json={"quantity": 3}, headers=admin_headers)
    assert changed.status_code == 200, changed.text
    assert dec(changed.json()["total"]) == Decimal("59.97")
    repriced = await client.put(item_url, json={"unit_price": 20.005}, headers=admin_headers)
    assert repriced.status_code == 422
    repriced = await client.put(item_url, json={"unit_price": 20.01}, headers=admin_headers)
    assert dec(repriced.json()["total"]) == Decimal("60.03")

    assert (await client.delete(item_url, headers=admin_headers)).status_code == 204
    assert (await client.delete(item_url, headers=admin_headers)).status_code == 404
    remaining = (await client.get(url, headers=admin_headers)).json()
    assert [i["material_id"] for i in remaining] == [screws.id]


async def test_material_lines_validate_their_input(
    client: httpx.AsyncClient,
    admin_headers: Headers,
    session: AsyncSession,
    tenant: Tenant,
    other_tenant: Tenant,
) -> None:
    project = await create_project(session, tenant=tenant)
    foreign = await create_material(session, tenant=other_tenant)
    mine = await create_material(session, tenant=tenant)
    url = f"{PROJECTS}/{project.id}/materials"

    for material_id in (foreign.id, 999_999):
        missing = await client.post(
            url, json={"material_id": material_id, "quantity": 1}, headers=admin_headers
        )
        assert missing.status_code == 404
        assert missing.json()["detail"] == f"Material {material_id} not found"
    for body in (
        {"material_id": mine.id, "quantity": 0},
        {"material_id": mine.id, "quantity": -1},
        {"material_id": mine.id},
        {"material_id": mine.id, "quantity": 1, "unit_price": -1},
        {"material_id": 2**40, "quantity": 1},
    ):
        response = await client.post(url, json=body, headers=admin_headers)
        assert response.status_code == 422, f"{body}: {response.text}"
    too_much = await client.post(
        url,
        json={"material_id": mine.id, "quantity": 999_999_999, "unit_price": 9_999_999_999},
        headers=admin_headers,
    )
    assert too_much.status_code == 422
    assert (await client.get(url, headers=admin_headers)).json() == []


async def test_cost_breakdown_follows_the_default_settings(
    client: httpx.AsyncClient, admin_headers: Headers, session: AsyncSession, tenant: Tenant
) -> None:
    project = await create_project(
        session, tenant=tenant, labor_hours=Decimal("12.5"), final_price=Decimal("1500.00")
    )
    oak = await create_material(session, tenant=tenant, unit_price=Decimal("19.99"))
    board = await create_material(
        session, tenant=tenant, name="Platte", unit_price=Decimal("12.50")
    )
    url = f"{PROJECTS}/{project.id}"
    for material, quantity in ((oak, 2.5), (board, 10)):
        await client.post(
            f"{url}/materials",
            json={"material_id": material.id, "quantity": quantity},
            headers=admin_headers,
        )

    response = await client.get(f"{url}/cost-breakdown", headers=admin_headers)
    assert response.status_code == 200, response.text
    costs = {key: dec(value) for key, value in response.json().items()}
    # By hand: materials 49.98 + 125.00; markup 30 %; labour 12.5 h × 50 €;
    # overhead 15 % of (materials + labour); profit 25 % on top; VAT 19 %.
    assert costs["material_cost"] == Decimal("174.98")
    assert costs["material_markup"] == Decimal("52.49")  # 52.494
    assert costs["material_total"] == Decimal("227.47")
    assert costs["labor_hours"] == Decimal("12.5")
    assert costs["labor_rate_per_hour"] == Decimal("50")
    assert costs["labor_cost"] == Decimal("625")
    assert costs["overhead"] == Decimal("127.87")  # 15 % of 852.47 = 127.8705
    assert costs["profit"] == Decimal("245.09")  # 25 % of 980.34 = 245.085
    assert costs["net"] == Decimal("1225.43")
    assert costs["tax_rate"] == Decimal("0.19")
    assert costs["vat"] == Decimal("232.83")  # 232.8317
    assert costs["gross"] == Decimal("1458.26")
    assert costs["final_price"] == Decimal("1500")


async def test_cost_breakdown_without_materials_or_hours(
    client: httpx.AsyncClient, admin_headers: Headers, session: AsyncSession, tenant: Tenant
) -> None:
    project = await create_project(session, tenant=tenant, labor_hours=None, final_price=None)
    response = await client.get(f"{PROJECTS}/{project.id}/cost-breakdown", headers=admin_headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["gross"] == 0
    assert body["labor_hours"] == 0
    assert body["final_price"] is None
