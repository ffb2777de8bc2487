"""Price history of a material: changes, periods, regions and the price in force on a day."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.db.models import Tenant
from handwerkml.kit.time import today
from tests.conftest import Headers
from tests.materials.factories import create_material, create_material_price

URL = "/api/v1/materials"


def _rows(response: httpx.Response) -> list[tuple[Any, ...]]:
    assert response.status_code == 200, response.text
    return [(p["price"], p["region"], p["valid_from"], p["valid_to"]) for p in response.json()]


async def test_changing_the_price_closes_the_open_row(
    client: httpx.AsyncClient, admin_headers: Headers, session: AsyncSession, tenant: Tenant
) -> None:
    material = await create_material(session, tenant=tenant, unit_price=Decimal("89.90"))
    url = f"{URL}/{material.id}"
    day = today().isoformat()

    put = await client.put(url, json={"unit_price": 95.5}, headers=admin_headers)
    assert put.status_code == 200, put.text
    assert put.json()["unit_price"] == 95.5
    assert _rows(await client.get(f"{url}/prices", headers=admin_headers)) == [
        (89.9, None, day, day),
        (95.5, None, day, None),
    ]

    # Same price again, or other fields only: no new row.
    await client.patch(url, json={"unit_price": "95.50"}, headers=admin_headers)
    await client.patch(url, json={"description": "geölt"}, headers=admin_headers)
    assert len((await client.get(f"{url}/prices", headers=admin_headers)).json()) == 2

    patch = await client.patch(url, json={"unit_price": 99}, headers=admin_headers)
    assert patch.json()["unit_price"] == 99.0
    assert _rows(await client.get(f"{url}/prices", headers=admin_headers)) == [
        (89.9, None, day, day),
        (95.5, None, day, day),
        (99.0, None, day, None),
    ]

    quote = await client.get(f"{url}/price", headers=admin_headers)
    assert quote.status_code == 200
    assert quote.json()["price"] == 99.0
    assert quote.json()["source"] == "national"
    assert quote.json()["on"] == day


async def test_regional_price_lookup(
    client: httpx.AsyncClient, admin_headers: Headers, session: AsyncSession, tenant: Tenant
) -> None:
    material = await create_material(session, tenant=tenant, unit_price=Decimal("89.90"))
    url = f"{URL}/{material.id}"
    await create_material_price(
        session,
        material=material,
        price=Decimal("80.00"),
        valid_from=date(2020, 1, 1),
        valid_to=date(2020, 6, 30),
    )
    regional = await client.post(
        f"{url}/prices",
        json={
            "price": 99,
            "region": "Bayern",
            "valid_from": "2020-01-01",
            "valid_to": "2020-12-31",
        },
        headers=admin_headers,
    )
    assert regional.status_code == 201, regional.text
    assert regional.json()["region"] == "Bayern"
    assert regional.json()["material_id"] == material.id

    async def quote(**params: str) -> tuple[float, str]:
        response = await client.get(f"{url}/price", params=params, headers=admin_headers)
        assert response.status_code == 200, response.text
        return response.json()["price"], response.json()["source"]

    assert await quote(region="Bayern", on="2020-03-01") == (99.0, "regional")
    assert await quote(region="bayern", on="2020-12-31") == (99.0, "regional")
    assert await quote(region="Hessen", on="2020-03-01") == (80.0, "national")
    assert await quote(on="2020-03-01") == (80.0, "national")
    assert await quote(region="Bayern", on="2020-09-01") == (99.0, "regional")
    # Neither regional nor national row covers the day: the catalog's current price.
    assert await quote(on="2020-09-01") == (89.9, "current")
    assert await quote(region="Bayern", on="2021-01-01") == (89.9, "current")
    assert await quote(region="Bayern") == (89.9, "national")

    # A regional price leaves the national catalog price alone.
    material_now = (await client.get(url, headers=admin_headers)).json()
    assert material_now["unit_price"] == 89.9

    bayern = _rows(await client.get(f"{url}/prices?region=Bayern", headers=admin_headers))
    assert bayern == [(99.0, "Bayern", "2020-01-01", "2020-12-31")]
    assert len((await client.get(f"{url}/prices", headers=admin_headers)).json()) == 3


async def test_quote_shape(
    client: httpx.AsyncClient, admin_headers: Headers, session: AsyncSession, tenant: Tenant
) -> None:
    material = await create_material(session, tenant=tenant, unit="lfm")
    response = await client.get(
        f"{URL}/{material.id}/price", params={"region": "Sachsen"}, headers=admin_headers
    )
    body = response.json()
    assert body["material_id"] == material.id
    assert body["region"] == "Sachsen"
    assert body["unit"] == "lfm"
    assert body["valid_from"] == today().isoformat()
    assert body["valid_to"] is None
    assert isinstance(body["price_id"], int)


async def test_open_ended_national_price_becomes_the_catalog_price(
    client: httpx.AsyncClient, admin_headers: Headers, session: AsyncSession, tenant: Tenant
) -> None:
    material = await create_material(session, tenant=tenant, unit_price=Decimal("89.90"))
    url = f"{URL}/{material.id}"
    day = today()
    future = day + timedelta(days=30)

    now = await client.post(
        f"{url}/prices", json={"price": 92, "valid_from": day.isoformat()}, headers=admin_headers
    )
    assert now.status_code == 201, now.text
    later = await client.post(
        f"{url}/prices", json={"price": 97, "valid_from": future.isoformat()}, headers=admin_headers
    )
    assert later.status_code == 201
    # A temporary national price is only found by date.
    await client.post(
        f"{url}/prices",
        json={"price": 50, "valid_from": "2020-01-01", "valid_to": "2020-01-31"},
        headers=admin_headers,
    )

    assert (await client.get(url, headers=admin_headers)).json()["unit_price"] == 92.0
    assert _rows(await client.get(f"{url}/prices", headers=admin_headers)) == [
        (50.0, None, "2020-01-01", "2020-01-31"),
        (89.9, None, day.isoformat(), day.isoformat()),
        (92.0, None, day.isoformat(), future.isoformat()),
        (97.0, None, future.isoformat(), None),
    ]
    on_future = await client.get(
        f"{url}/price", params={"on": future.isoformat()}, headers=admin_headers
    )
    assert on_future.json()["price"] == 97.0
    on_january = await client.get(
        f"{url}/price", params={"on": "2020-01-15"}, headers=admin_headers
    )
    assert on_january.json()["price"] == 50.0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"price": 10, "valid_from": "2024-02-01", "valid_to": "2024-01-31"}, "valid_to"),
        ({"price": -1, "valid_from": "2024-02-01"}, "price"),
        ({"price": 10}, "valid_from"),
        ({"price": 10, "valid_from": "morgen"}, "valid_from"),
        ({"price": 10, "valid_from": "2024-02-01", "region": ""}, "region"),
    ],
)
async def test_invalid_price_is_422(
    client: httpx.AsyncClient,
    admin_headers: Headers,
    session: AsyncSession,
    tenant: Tenant,
    body: dict[str, object],
    field: str,
) -> None:
    material = await create_material(session, tenant=tenant)
    response = await client.post(f"{URL}/{material.id}/prices", json=body, headers=admin_headers)
    assert response.status_code == 422, response.text
    assert [e["loc"] for e in response.json()["detail"]] == [["body", field]]


async def test_single_day_price_is_accepted(
    client: httpx.AsyncClient, admin_headers: Headers, session: AsyncSession, tenant: Tenant
) -> None:
    material = await create_material(session, tenant=tenant)
    response = await client.post(
        f"{URL}/{material.id}/prices",
        json={"price": 10, "valid_from": "2024-02-01", "valid_to": "2024-02-01"},
        headers=admin_headers,
    )
    assert response.status_code == 201


async def test_bad_quote_date_is_422(
    client: httpx.AsyncClient, admin_headers: Headers, session: AsyncSession, tenant: Tenant
) -> None:
    material = await create_material(session, tenant=tenant)
    response = await client.get(
        f"{URL}/{material.id}/price", params={"on": "2024-13-01"}, headers=admin_headers
    )
    assert response.status_code == 422
