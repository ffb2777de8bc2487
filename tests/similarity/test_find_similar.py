"""POST /api/v1/similarity/find-similar and friends, with the real local model."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.auth.permissions import Role
from handwerkml.config import Settings
from handwerkml.db.models import Tenant
from handwerkml.demo.loader import load_demo
from tests.conftest import Headers, LoginAs, RunJobs
from tests.projects.factories import project_body

URL = "/api/v1/similarity/find-similar"

PROJECTS: list[dict[str, Any]] = [
    project_body(),
    project_body(
        name="Einbauküche Landhausstil",
        description="Küchenzeile aus Eiche massiv mit Arbeitsplatte aus Granit",
        project_type="Küchenbau",
        region="Hessen",
        final_price=22400.0,
    ),
    project_body(
        name="Badsanierung mit bodengleicher Dusche",
        description="Fliesen 60x60 verlegt, Abdichtung, Fliesenkleber flexibel",
        project_type="Fliesenarbeiten",
        wood_type=None,
        region="Bayern",
        final_price=9800.0,
    ),
    project_body(
        name="Terrassendeck Lärche",
        description="Terrassendielen aus sibirischer Lärche auf Unterkonstruktion",
        project_type="Terrassenbau",
        wood_type="Lärche",
        region="Hessen",
        final_price=7300.0,
    ),
]


async def _create(client: httpx.AsyncClient, headers: Headers, body: dict[str, Any]) -> int:
    response = await client.post("/api/v1/projects", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


@pytest.fixture
async def projects(
    client: httpx.AsyncClient, admin_headers: Headers, run_jobs: RunJobs
) -> list[int]:
    ids = [await _create(client, admin_headers, body) for body in PROJECTS]
    await run_jobs()
    return ids


async def _find(client: httpx.AsyncClient, headers: Headers, **body: Any) -> dict[str, Any]:
    response = await client.post(URL, json=body, headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def _names(result: dict[str, Any]) -> list[str]:
    return [hit["name"] for hit in result["results"]]


async def test_a_description_finds_the_matching_project_first(
    client: httpx.AsyncClient, admin_headers: Headers, projects: list[int]
) -> None:
    result = await _find(client, admin_headers, query="Holztreppe mit Zwischenpodest")
    assert result["query"] == "Holztreppe mit Zwischenpodest"
    assert result["results"][0]["name"] == "Eichentreppe mit Podest"
    assert result["total_count"] == len(result["results"]) <= 5
    assert result["search_time_ms"] > 0
    first = result["results"][0]
    assert first["id"] == projects[0]
    assert first["project_type"] == "Treppenbau"
    assert first["final_price"] == 14850.0
    assert 0.3 <= first["similarity_score"] <= 1
    scores = [hit["similarity_score"] for hit in result["results"]]
    assert scores == sorted(scores, reverse=True)
    tiles = await _find(client, admin_headers, query="Fliesenkleber für das Bad")
    assert tiles["results"][0]["name"] == "Badsanierung mit bodengleicher Dusche"


async def test_filters_apply_inside_the_search(
    client: httpx.AsyncClient, admin_headers: Headers, projects: list[int]
) -> None:
    query = "Treppe aus Eiche"
    by_region = await _find(client, admin_headers, query=query, region="Hessen", threshold=0)
    assert set(_names(by_region)) == {"Einbauküche Landhausstil", "Terrassendeck Lärche"}
    by_type = await _find(client, admin_headers, query=query, project_type="Küchenbau")
    assert _names(by_type) == ["Einbauküche Landhausstil"]
    by_price = await _find(
        client, admin_headers, query=query, min_price=8000, max_price=15000, threshold=0
    )
    assert set(_names(by_price)) == {
        "Eichentreppe mit Podest",
        "Badsanierung mit bodengleicher Dusche",
    }
    top = await _find(client, admin_headers, query=query, top_k=2, threshold=0)
    assert len(top["results"]) == 2
    nothing = await _find(client, admin_headers, query=query, threshold=0.999)
    assert nothing["results"] == []
    assert nothing["total_count"] == 0


async def test_like_an_existing_project_leaves_that_project_out(
    client: httpx.AsyncClient, admin_headers: Headers, projects: list[int]
) -> None:
    result = await _find(client, admin_headers, project_id=projects[1], threshold=0)
    assert projects[1] not in [hit["id"] for hit in result["results"]]
    assert len(result["results"]) == 3
    missing = await client.post(URL, json={"project_id": 999_999}, headers=admin_headers)
    assert missing.status_code == 404


async def test_changes_and_deletions_follow_through_the_sync_job(
    client: httpx.AsyncClient, admin_headers: Headers, projects: list[int], run_jobs: RunJobs
) -> None:
    changed = await client.patch(
        f"/api/v1/projects/{projects[3]}",
        json={"name": "Carport aus Douglasie", "description": "Carport mit Flachdach"},
        headers=admin_headers,
    )
    assert changed.status_code == 200
    deleted = await client.delete(f"/api/v1/projects/{projects[0]}", headers=admin_headers)
    assert deleted.status_code == 204
    await run_jobs()
    carport = await _find(client, admin_headers, query="Carport Flachdach")
    assert carport["results"][0]["id"] == projects[3]
    stairs = await _find(client, admin_headers, query="Eichentreppe mit Podest", threshold=0)
    assert projects[0] not in [hit["id"] for hit in stairs["results"]]
    stats = (await client.get("/api/v1/similarity/stats", headers=admin_headers)).json()
    assert stats["index_size"] == 3
    assert stats["pending"] == 0


async def test_other_tenants_projects_are_never_found(
    client: httpx.AsyncClient,
    admin_headers: Headers,
    login_as: LoginAs,
    other_tenant: Tenant,
    projects: list[int],
    run_jobs: RunJobs,
) -> None:
    theirs = await login_as(Role.admin, tenant_=other_tenant)
    own = await _create(client, theirs, project_body(name="Eichentreppe mit Podest"))
    await run_jobs()
    mine = await _find(client, admin_headers, query="Eichentreppe mit Podest", threshold=-1)
    assert own not in [hit["id"] for hit in mine["results"]]
    assert len(mine["results"]) == len(projects)
    their_view = await _find(client, theirs, query="Küche", threshold=-1)
    assert [hit["id"] for hit in their_view["results"]] == [own]


async def test_batch_similar_answers_each_query(
    client: httpx.AsyncClient, admin_headers: Headers, projects: list[int]
) -> None:
    response = await client.post(
        "/api/v1/similarity/batch-similar",
        json={"queries": ["Treppe mit Podest", "Terrasse aus Lärche"], "top_k": 1},
        headers=admin_headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total_queries"] == 2
    assert [r["results"][0]["id"] for r in body["results"]] == [projects[0], projects[3]]


async def test_stats_count_vectors_and_cache_hits(
    client: httpx.AsyncClient, admin_headers: Headers, projects: list[int]
) -> None:
    for _ in range(2):
        await _find(client, admin_headers, query="Küche aus Eiche")
    stats = (await client.get("/api/v1/similarity/stats", headers=admin_headers)).json()
    assert stats["backend"] == "embedded"
    assert stats["index_size"] == len(projects)
    (collection,) = stats["collections"]
    assert collection["name"] == stats["active_collection"]
    assert collection["model_id"] == "local:multilingual-e5-small@onnx-int8"
    assert collection["dimension"] == 384
    assert collection["vectors"] == len(projects)
    assert stats["cache"]["hits"] >= 1
    assert 0 < stats["cache"]["hit_rate"] < 1


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"query": "Treppe", "project_id": 1},
        {"query": ""},
        {"query": "Treppe", "top_k": 0},
        {"query": "Treppe", "min_price": 10, "max_price": 5},
        {"query": "Treppe", "threshold": 2},
    ],
)
async def test_bad_requests_say_what_is_wrong(
    client: httpx.AsyncClient, admin_headers: Headers, body: dict[str, Any]
) -> None:
    response = await client.post(URL, json=body, headers=admin_headers)
    assert response.status_code == 422, response.text
    assert response.json()["detail"]


async def test_german_relevance_on_the_demo_data(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, run_jobs: RunJobs
) -> None:
    summary = await load_demo(session, settings, projects=120, seed=3)
    await session.commit()
    await run_jobs()
    login = await client.post(
        "/api/v1/auth/login",
        json={"email": summary.admin_email, "password": summary.admin_password},
    )
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    result = await _find(client, headers, query="Eichentreppe mit Podest", top_k=5)
    assert result["results"], result
    assert all(hit["project_type"] == "Treppenbau" for hit in result["results"][:3])
    assert "Eichentreppe" in result["results"][0]["name"]
    assert any("mit Podest" in hit["description"] for hit in result["results"])
