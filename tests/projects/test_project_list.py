"""Filtering, text search and sorting of the project list."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.db.models import Tenant
from tests.conftest import Headers
from tests.projects.factories import create_project

PROJECTS = "/api/v1/projects"


async def _names(client: httpx.AsyncClient, headers: Headers, query: str) -> list[str]:
    response = await client.get(f"{PROJECTS}?{query}", headers=headers)
    assert response.status_code == 200, f"{query}: {response.text}"
    names = [project["name"] for project in response.json()]
    assert response.headers["X-Total-Count"] == str(len(names)), query
    return names


@pytest.fixture
async def projects(session: AsyncSession, tenant: Tenant) -> None:
    await create_project(
        session,
        tenant=tenant,
        name="Treppe Huber",
        description="Wangentreppe mit Podest",
        project_type="Treppenbau",
        wood_type="Eiche",
        complexity=4,
        region="Bayern",
        total_area_sqm=Decimal("8.5"),
        final_price=Decimal("14850.00"),
        project_date=date(2024, 3, 15),
        status="Auftrag",
    )
    await create_project(
        session,
        tenant=tenant,
        name="Einbauküche Meier",
        description="Kücheneinrichtung mit Insel",
        project_type="Kücheneinrichtung",
        wood_type="Nussbaum",
        complexity=3,
        region="Hessen",
        total_area_sqm=Decimal("14.2"),
        final_price=Decimal("23999.99"),
        project_date=date(2024, 6, 1),
        status="abgeschlossen",
    )
    await create_project(
        session,
        tenant=tenant,
        name="Dachstuhl Scheune",
        description="Neuer Dachstuhl, KÜCHE im Anbau nicht betroffen",
        project_type="Dachstuhl",
        wood_type="Fichte",
        complexity=5,
        region="Bayern",
        total_area_sqm=Decimal("120"),
        final_price=None,
        project_date=None,
        status="Anfrage",
    )
    await create_project(
        session,
        tenant=tenant,
        name="Sideboard",
        description="Kommode aus Esche",
        project_type="Möbel",
        wood_type="Esche",
        complexity=2,
        region="Sachsen",
        total_area_sqm=Decimal("1.8"),
        final_price=Decimal("2400.00"),
        project_date=date(2023, 11, 20),
        status="Angebot",
    )


@pytest.mark.usefixtures("projects")
async def test_each_filter_narrows_the_list(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    expected = {
        "project_type=Treppenbau": {"Treppe Huber"},
        # Normalised like a stored type: case and surrounding spaces don't count.
        "project_type=%20k%C3%BCcheneinrichtung%20": {"Einbauküche Meier"},
        "status=Angebot": {"Sideboard"},
        "region=Bayern": {"Treppe Huber", "Dachstuhl Scheune"},
        "wood_type=Nussbaum": {"Einbauküche Meier"},
        "date_from=2024-03-15": {"Treppe Huber", "Einbauküche Meier"},
        "date_to=2024-03-15": {"Treppe Huber", "Sideboard"},
        "date_from=2024-01-01&date_to=2024-05-31": {"Treppe Huber"},
        "price_min=14850": {"Treppe Huber", "Einbauküche Meier"},
        "price_max=14849.99": {"Sideboard"},
        "price_min=2400&price_max=14850": {"Treppe Huber", "Sideboard"},
        "complexity=5": {"Dachstuhl Scheune"},
        "is_finalized=false": {
            "Treppe Huber",
            "Einbauküche Meier",
            "Dachstuhl Scheune",
            "Sideboard",
        },
        "is_finalized=true": set(),
        "region=Bayern&wood_type=Eiche": {"Treppe Huber"},
    }
    for query, names in expected.items():
        assert set(await _names(client, admin_headers, query)) == names, query


@pytest.mark.usefixtures("projects")
async def test_text_filter_ignores_case_including_umlauts(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    everything_kueche = {"Einbauküche Meier", "Dachstuhl Scheune"}
    for term in ("Küche", "küche", "KÜCHE", "kÜcHe"):
        assert set(await _names(client, admin_headers, f"q={term}")) == everything_kueche, term
    assert await _names(client, admin_headers, "q=podest") == ["Treppe Huber"]
    assert await _names(client, admin_headers, "q=ESCHE") == ["Sideboard"]
    # Regex and LIKE metacharacters are taken literally.
    for term in ("%", "_", ".*", "[a-z]", "(", "\\"):
        assert await _names(client, admin_headers, f"q={term}") == [], term


@pytest.mark.usefixtures("projects")
async def test_sort_by_whitelisted_fields(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    # Projects without a price or date come last in either direction.
    expected = {
        "-final_price": ["Einbauküche Meier", "Treppe Huber", "Sideboard", "Dachstuhl Scheune"],
        "final_price": ["Sideboard", "Treppe Huber", "Einbauküche Meier", "Dachstuhl Scheune"],
        "project_date": ["Sideboard", "Treppe Huber", "Einbauküche Meier", "Dachstuhl Scheune"],
        "-project_date": ["Einbauküche Meier", "Treppe Huber", "Sideboard", "Dachstuhl Scheune"],
        "name": ["Dachstuhl Scheune", "Einbauküche Meier", "Sideboard", "Treppe Huber"],
        "-total_area_sqm": [
            "Dachstuhl Scheune",
            "Einbauküche Meier",
            "Treppe Huber",
            "Sideboard",
        ],
        "created_at": ["Treppe Huber", "Einbauküche Meier", "Dachstuhl Scheune", "Sideboard"],
        "-created_at": ["Sideboard", "Dachstuhl Scheune", "Einbauküche Meier", "Treppe Huber"],
    }
    for sort, names in expected.items():
        assert await _names(client, admin_headers, f"sort={sort}") == names, sort
    # The default is newest first.
    assert await _names(client, admin_headers, "") == expected["-created_at"]


async def test_bad_query_parameters_are_422(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    for query in (
        "sort=password",
        "sort=--name",
        "sort=tenant_id",
        "status=erledigt",
        "complexity=7",
        "price_min=-1",
        "price_max=1.001",
        "date_from=gestern",
        "is_finalized=vielleicht",
        "limit=0",
        "skip=-1",
    ):
        response = await client.get(f"{PROJECTS}?{query}", headers=admin_headers)
        assert response.status_code == 422, f"{query}: {response.text}"
    unknown = await client.get(f"{PROJECTS}?sort=password", headers=admin_headers)
    assert "unknown sort field" in unknown.text
