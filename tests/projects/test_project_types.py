"""The per-tenant project type catalog: seed, suggestions and normalisation."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.db.models import Tenant
from handwerkml.projects.catalog import SEED_PROJECT_TYPES, seed_project_types
from tests.conftest import Headers
from tests.projects.factories import project_body

PROJECTS = "/api/v1/projects"
TYPES = "/api/v1/projects/types"


async def test_seed_is_idempotent_and_per_tenant(
    session: AsyncSession, tenant: Tenant, other_tenant: Tenant
) -> None:
    first = await seed_project_types(session, tenant.id)
    again = await seed_project_types(session, tenant.id)
    await session.commit()
    assert [t.id for t in again] == [t.id for t in first]
    names = {t.name: t.trade for t in first}
    assert len(names) == len(SEED_PROJECT_TYPES) == 12
    assert names["Treppenbau"] == "Tischlerei"
    assert names["Dachstuhl"] == "Zimmerei"
    assert names["Fliesenarbeiten"] == "Fliesenleger"
    assert {
        "Möbel",
        "Kücheneinrichtung",
        "Spezialbau",
        "Polsterei",
        "Malerarbeiten",
        "Elektro",
        "Sanitär",
        "Bodenbeläge",
        "Fenster und Türen",
    } <= set(names)
    other = await seed_project_types(session, other_tenant.id)
    assert {t.tenant_id for t in other} == {other_tenant.id}


async def test_types_are_suggested_with_a_prefix_filter(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    everything = await client.get(TYPES, headers=admin_headers)
    assert everything.status_code == 200, everything.text
    assert len(everything.json()) == 12
    assert {"name", "trade", "description", "id"} <= set(everything.json()[0])
    by_prefix = await client.get(f"{TYPES}?q=f", headers=admin_headers)
    assert [t["name"] for t in by_prefix.json()] == ["Fenster und Türen", "Fliesenarbeiten"]
    umlaut = await client.get(f"{TYPES}?q=M%C3%96", headers=admin_headers)
    assert [t["name"] for t in umlaut.json()] == ["Möbel"]
    assert (await client.get(f"{TYPES}/", headers=admin_headers)).status_code == 200


async def test_project_type_takes_the_catalog_spelling(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    cases = {
        "treppenbau ": "Treppenbau",
        "  KÜCHENEINRICHTUNG": "Kücheneinrichtung",
        "fenster  und türen": "Fenster und Türen",
        "Wintergarten": "Wintergarten",
        " Gartenhaus aus Lärche ": "Gartenhaus aus Lärche",
    }
    for sent, stored in cases.items():
        created = await client.post(
            PROJECTS, json=project_body(project_type=sent), headers=admin_headers
        )
        assert created.status_code == 201, created.text
        assert created.json()["project_type"] == stored, sent
    project_id = created.json()["id"]
    patched = await client.patch(
        f"{PROJECTS}/{project_id}", json={"project_type": "sanitär"}, headers=admin_headers
    )
    assert patched.json()["project_type"] == "Sanitär"
    replaced = await client.put(
        f"{PROJECTS}/{project_id}", json=project_body(project_type="MÖBEL"), headers=admin_headers
    )
    assert replaced.json()["project_type"] == "Möbel"


async def test_a_new_type_joins_the_catalog_once(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    created = await client.post(
        TYPES, json={"name": "Wintergarten", "trade": "Zimmerei"}, headers=admin_headers
    )
    assert created.status_code == 201, created.text
    assert created.json()["trade"] == "Zimmerei"
    duplicate = await client.post(TYPES, json={"name": " wintergarten"}, headers=admin_headers)
    assert duplicate.status_code == 409
    seeded = await client.post(TYPES, json={"name": "treppenbau"}, headers=admin_headers)
    assert seeded.status_code == 409
    names = [t["name"] for t in (await client.get(TYPES, headers=admin_headers)).json()]
    assert len(names) == 13
    assert "Wintergarten" in names
    project = await client.post(
        PROJECTS, json=project_body(project_type="WINTERGARTEN"), headers=admin_headers
    )
    assert project.json()["project_type"] == "Wintergarten"
