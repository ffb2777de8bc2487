"""The materials catalog: CRUD, units, filters, categories, paging, deletion, tenancy, roles."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.auth.permissions import Role
from handwerkml.db.models import Material, MaterialPrice, Project, ProjectMaterial, Tenant
from handwerkml.kit.time import today
from tests.conftest import Headers, LoginAs
from tests.materials.factories import create_material

URL = "/api/v1/materials"

NEW_MATERIAL = {
    "name": "Buche Multiplex 18mm",
    "category": "Holz",
    "description": "Birke/Buche, Klasse BB/CP",
    "unit_price": 42.5,
    "unit": "qm",
    "datanorm_id": "DN-4711",
    "supplier": "Holzhandel Bauer",
    "article_number": "BMX-18",
}


async def test_create_and_read_material(client: httpx.AsyncClient, admin_headers: Headers) -> None:
    # The seed's clients post to the collection with a trailing slash.
    created = await client.post(f"{URL}/", json=NEW_MATERIAL, headers=admin_headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["unit"] == "m²"
    assert body["unit_price"] == 42.5
    for field in ("name", "category", "description", "datanorm_id", "supplier", "article_number"):
        assert body[field] == NEW_MATERIAL[field]
    assert body["created_at"]
    assert body["updated_at"]

    fetched = await client.get(f"{URL}/{body['id']}", headers=admin_headers)
    assert fetched.status_code == 200
    assert fetched.json() == body

    prices = await client.get(f"{URL}/{body['id']}/prices", headers=admin_headers)
    assert prices.status_code == 200
    assert [(p["price"], p["region"], p["valid_from"], p["valid_to"]) for p in prices.json()] == [
        (42.5, None, today().isoformat(), None)
    ]


async def test_optional_fields_default(client: httpx.AsyncClient, admin_headers: Headers) -> None:
    response = await client.post(
        URL,
        json={"name": "Schrauben 4x40", "category": "Beschläge", "unit_price": 0.05, "unit": "Stk"},
        headers=admin_headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["description"], body["supplier"], body["datanorm_id"]) == ("", None, None)
    assert body["unit_price"] == 0.05


async def test_unit_spellings_are_normalised(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    spellings = {
        "m2": "m²",
        "QM": "m²",
        "m²": "m²",
        "m3": "m³",
        "lm": "lfm",
        "Stück": "Stk",
        "stk": "Stk",
        "KG": "kg",
        "L": "l",
        "h": "h",
        "psch": "psch",
    }
    for given, canonical in spellings.items():
        response = await client.post(
            URL, json={**NEW_MATERIAL, "unit": given}, headers=admin_headers
        )
        assert response.status_code == 201, (given, response.text)
        assert response.json()["unit"] == canonical, given


async def test_unknown_unit_is_refused_with_the_allowed_ones(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    response = await client.post(
        URL, json={**NEW_MATERIAL, "unit": "Ballen"}, headers=admin_headers
    )
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "unit"]
    assert "m², m³, lfm, Stk, kg, l, h, psch" in error["msg"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"unit_price": -1}, "unit_price"),
        ({"unit_price": 1.234}, "unit_price"),
        ({"unit_price": "viel"}, "unit_price"),
        ({"unit_price": None}, "unit_price"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"category": "x" * 101}, "category"),
        ({"unit": 3}, "unit"),
    ],
)
async def test_invalid_material_is_422(
    client: httpx.AsyncClient, admin_headers: Headers, change: dict[str, object], field: str
) -> None:
    response = await client.post(URL, json={**NEW_MATERIAL, **change}, headers=admin_headers)
    assert response.status_code == 422, response.text
    assert [e["loc"] for e in response.json()["detail"]] == [["body", field]]


async def test_missing_unit_price_is_422(client: httpx.AsyncClient, admin_headers: Headers) -> None:
    body = {key: value for key, value in NEW_MATERIAL.items() if key != "unit_price"}
    response = await client.post(URL, json=body, headers=admin_headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "unit_price"]


async def test_put_and_patch_replace_only_the_fields_sent(
    client: httpx.AsyncClient, admin_headers: Headers, session: AsyncSession, tenant: Tenant
) -> None:
    material = await create_material(session, tenant=tenant, unit_price=Decimal("89.90"))
    url = f"{URL}/{material.id}"

    put = await client.put(
        url, json={"name": "Eiche massiv 42mm", "supplier": "Holz Meier"}, headers=admin_headers
    )
    assert put.status_code == 200, put.text
    assert put.json()["name"] == "Eiche massiv 42mm"
    assert put.json()["supplier"] == "Holz Meier"
    assert put.json()["unit_price"] == 89.9

    patch = await client.patch(url, json={"unit": "m2", "supplier": None}, headers=admin_headers)
    assert patch.status_code == 200, patch.text
    body = patch.json()
    assert (body["name"], body["unit"], body["supplier"]) == ("Eiche massiv 42mm", "m²", None)

    again = await client.get(url, headers=admin_headers)
    assert again.json() == body


@pytest.mark.parametrize(
    "body",
    [{"name": None}, {"unit_price": None}, {"unit": "Rolle"}, {"unit_price": -5}, {"name": ""}],
)
async def test_invalid_update_is_422_and_changes_nothing(
    client: httpx.AsyncClient,
    admin_headers: Headers,
    session: AsyncSession,
    tenant: Tenant,
    body: dict[str, object],
) -> None:
    material = await create_material(session, tenant=tenant)
    response = await client.patch(f"{URL}/{material.id}", json=body, headers=admin_headers)
    assert response.status_code == 422, response.text
    fetched = (await client.get(f"{URL}/{material.id}", headers=admin_headers)).json()
    assert (fetched["name"], fetched["unit_price"], fetched["unit"]) == (
        "Eiche Leimholz 40mm",
        89.9,
        "m²",
    )


async def test_missing_material_is_404(client: httpx.AsyncClient, admin_headers: Headers) -> None:
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        response = await client.request(method, f"{URL}/999", json={}, headers=admin_headers)
        assert response.status_code == 404, method
        assert response.json() == {"detail": "Material 999 not found"}


async def test_delete_material_removes_its_prices(
    client: httpx.AsyncClient, admin_headers: Headers, session: AsyncSession, tenant: Tenant
) -> None:
    material = await create_material(session, tenant=tenant)
    response = await client.delete(f"{URL}/{material.id}", headers=admin_headers)
    assert response.status_code == 204
    assert response.content == b""
    assert (await client.get(f"{URL}/{material.id}", headers=admin_headers)).status_code == 404
    prices = await session.scalar(
        select(func.count()).where(MaterialPrice.material_id == material.id)
    )
    assert prices == 0


async def test_material_used_by_projects_cannot_be_deleted(
    client: httpx.AsyncClient, admin_headers: Headers, session: AsyncSession, tenant: Tenant
) -> None:
    material = await create_material(session, tenant=tenant)
    for name in ("Küche Huber", "Schrank Maier"):
        project = Project(tenant_id=tenant.id, name=name, project_type="Küche")
        session.add(project)
        await session.flush()
        for quantity in (Decimal(2), Decimal(3)):
            session.add(
                ProjectMaterial(
                    tenant_id=tenant.id,
                    project_id=project.id,
                    material_id=material.id,
                    quantity=quantity,
                    unit_price=material.unit_price,
                    total=quantity * material.unit_price,
                )
            )
    await session.commit()

    response = await client.delete(f"{URL}/{material.id}", headers=admin_headers)
    assert response.status_code == 409
    assert response.json() == {"detail": "material is used by 2 project(s)"}
    assert (await client.get(f"{URL}/{material.id}", headers=admin_headers)).status_code == 200


async def test_categories_are_distinct_per_tenant(
    client: httpx.AsyncClient,
    admin_headers: Headers,
    session: AsyncSession,
    tenant: Tenant,
    other_tenant: Tenant,
) -> None:
    await create_material(session, tenant=tenant, name="Eiche", category="Holz")
    await create_material(session, tenant=tenant, name="Buche", category="Holz")
    await create_material(session, tenant=tenant, name="Scharnier", category="Beschläge")
    await create_material(session, tenant=other_tenant, name="Kabel", category="Elektro")
    # A new spelling of an existing category joins it instead of starting another.
    created = await client.post(
        URL, json={**NEW_MATERIAL, "category": "HOLZ"}, headers=admin_headers
    )
    assert created.json()["category"] == "Holz"

    response = await client.get(f"{URL}/categories", headers=admin_headers)
    assert response.status_code == 200
    assert response.json() == ["Beschläge", "Holz"]


async def test_filters(
    client: httpx.AsyncClient,
    admin_headers: Headers,
    session: AsyncSession,
    tenant: Tenant,
    other_tenant: Tenant,
) -> None:
    await create_material(session, tenant=tenant, name="Dämmung Steinwolle", category="Dämmstoffe")
    await create_material(session, tenant=tenant, name="Eiche Leimholz", category="Holz")
    await create_material(session, tenant=tenant, name="Fichte KVH", category="Holz")
    await create_material(session, tenant=tenant, name="Öl Hartwachs", category="Farben")
    await create_material(session, tenant=other_tenant, name="Dämmung Glaswolle", category="Holz")
    await _set_supplier(client, admin_headers, "Eiche Leimholz", "Holzhandel Bauer GmbH")

    async def names(**params: str) -> list[str]:
        response = await client.get(URL, params=params, headers=admin_headers)
        assert response.status_code == 200, response.text
        assert response.headers["X-Total-Count"] == str(len(response.json()))
        return [material["name"] for material in response.json()]

    for text in ("Dämmung", "dämmung", "DÄMMUNG", "ämm", "steinWOLLE"):
        assert await names(q=text) == ["Dämmung Steinwolle"], text
        assert await names(name=text) == ["Dämmung Steinwolle"], text
    assert await names(q="öl") == ["Öl Hartwachs"]
    assert await names(q="ÖL HART") == ["Öl Hartwachs"]
    assert await names(category="holz") == ["Eiche Leimholz", "Fichte KVH"]
    assert await names(category="DÄMMSTOFFE") == ["Dämmung Steinwolle"]
    assert await names(category="Hol") == []
    assert await names(category="Holz", q="fichte") == ["Fichte KVH"]
    assert await names(supplier="bauer") == ["Eiche Leimholz"]
    # Wildcards of LIKE and GLOB are searched for literally.
    for literal in ("%", "_", "*", "?", "[", "]"):
        assert await names(q=literal) == [], literal
    assert await names() == [
        "Dämmung Steinwolle",
        "Eiche Leimholz",
        "Fichte KVH",
        "Öl Hartwachs",
    ]


async def _set_supplier(
    client: httpx.AsyncClient, headers: Headers, name: str, supplier: str
) -> None:
    [material] = (await client.get(URL, params={"q": name}, headers=headers)).json()
    response = await client.patch(
        f"{URL}/{material['id']}", json={"supplier": supplier}, headers=headers
    )
    assert response.status_code == 200


async def test_paging_and_sorting(
    client: httpx.AsyncClient, admin_headers: Headers, session: AsyncSession, tenant: Tenant
) -> None:
    for name, price in (("E", "5"), ("C", "1"), ("A", "4"), ("D", "2"), ("B", "3")):
        await create_material(session, tenant=tenant, name=name, unit_price=Decimal(price))

    page = await client.get(URL, params={"skip": 1, "limit": 2}, headers=admin_headers)
    assert page.status_code == 200
    assert page.headers["X-Total-Count"] == "5"
    assert [m["name"] for m in page.json()] == ["B", "C"]

    by_price = await client.get(URL, params={"sort": "-unit_price"}, headers=admin_headers)
    assert [m["name"] for m in by_price.json()] == ["E", "A", "B", "D", "C"]

    bad = await client.get(URL, params={"sort": "tenant_id"}, headers=admin_headers)
    assert bad.status_code == 422
    assert (await client.get(URL, params={"limit": 0}, headers=admin_headers)).status_code == 422


async def test_other_tenant_cannot_see_or_touch_a_material(
    client: httpx.AsyncClient,
    login_as: LoginAs,
    admin_headers: Headers,
    session: AsyncSession,
    tenant: Tenant,
    other_tenant: Tenant,
) -> None:
    material = await create_material(session, tenant=tenant)
    intruder = await login_as(Role.admin, tenant_=other_tenant)
    url = f"{URL}/{material.id}"
    requests = [
        ("GET", url, None),
        ("PUT", url, {"name": "gekapert", "unit_price": 1}),
        ("PATCH", url, {"unit_price": 1}),
        ("DELETE", url, None),
        ("GET", f"{url}/prices", None),
        ("POST", f"{url}/prices", {"price": 1, "valid_from": "2024-01-01"}),
        ("GET", f"{url}/price", None),
    ]
    for method, path, body in requests:
        response = await client.request(method, path, json=body, headers=intruder)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json() == {"detail": f"Material {material.id} not found"}

    listing = await client.get(URL, headers=intruder)
    assert listing.json() == []
    assert listing.headers["X-Total-Count"] == "0"
    assert (await client.get(f"{URL}/categories", headers=intruder)).json() == []

    mine = (await client.get(url, headers=admin_headers)).json()
    assert (mine["name"], mine["unit_price"]) == ("Eiche Leimholz 40mm", 89.9)
    prices = (await client.get(f"{url}/prices", headers=admin_headers)).json()
    assert len(prices) == 1


async def test_viewer_reads_but_cannot_write(
    client: httpx.AsyncClient, login_as: LoginAs, session: AsyncSession, tenant: Tenant
) -> None:
    material = await create_material(session, tenant=tenant)
    viewer = await login_as(Role.viewer)
    url = f"{URL}/{material.id}"
    for path in (URL, url, f"{url}/prices", f"{url}/price", f"{URL}/categories"):
        assert (await client.get(path, headers=viewer)).status_code == 200, path

    writes = [
        ("POST", URL, NEW_MATERIAL),
        ("PUT", url, {"name": "x"}),
        ("PATCH", url, {"name": "x"}),
        ("DELETE", url, None),
        ("POST", f"{url}/prices", {"price": 1, "valid_from": "2024-01-01"}),
    ]
    for method, path, body in writes:
        response = await client.request(method, path, json=body, headers=viewer)
        assert response.status_code == 403, (method, path)
        assert "materials:write" in response.json()["detail"]
    count = await session.scalar(select(func.count()).select_from(Material))
    assert count == 1


async def test_input_the_database_cannot_hold_is_422(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    nul = await client.post(URL, json={**NEW_MATERIAL, "name": "a\x00b"}, headers=admin_headers)
    assert nul.status_code == 422
    assert nul.json()["detail"][0]["loc"] == ["body", "name"]
    search = await client.get(URL, params={"q": "a\x00b"}, headers=admin_headers)
    assert search.status_code == 422
    for material_id in ("0", "2147483648", "99999999999999999999"):
        response = await client.get(f"{URL}/{material_id}", headers=admin_headers)
        assert response.status_code == 422, material_id
    too_much = await client.post(
        URL, json={**NEW_MATERIAL, "unit_price": 1e12}, headers=admin_headers
    )
    assert too_much.status_code == 422
