"""Without a trained model: the estimate from similar finished projects, scaled by area,
flagged as such; no basis and bad inputs give a 422 that says why."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.db.models import Prediction
from tests.conftest import Headers, RunJobs
from tests.projects.factories import project_body

URL = "/api/v1/predictions/predict"
STAIR: dict[str, Any] = {
    "description": "Eichentreppe mit Podest und Handlauf",
    "total_area_sqm": 10,
    "complexity": 3,
    "project_type": "Treppenbau",
    "wood_type": "Eiche",
    "region": "Bayern",
}
# (area, price, finished): the open stair and the bathroom must not be used.
STAIRS = [(8, 12000.0, True), (10, 16000.0, True), (12.5, 25000.0, True), (9, 99000.0, False)]


async def _create(
    client: httpx.AsyncClient, headers: Headers, *, finish: bool, **fields: Any
) -> int:
    response = await client.post("/api/v1/projects", json=project_body(**fields), headers=headers)
    assert response.status_code == 201, response.text
    project_id = int(response.json()["id"])
    if finish:
        done = await client.post(f"/api/v1/projects/{project_id}/finalize", headers=headers)
        assert done.status_code == 200, done.text
    return project_id


async def test_the_fallback_uses_similar_finished_projects_scaled_by_area(
    client: httpx.AsyncClient, admin_headers: Headers, session: AsyncSession, run_jobs: RunJobs
) -> None:
    finished = {}
    for n, (area, price, finish) in enumerate(STAIRS):
        project_id = await _create(
            client,
            admin_headers,
            finish=finish,
            name=f"Eichentreppe {n}",
            total_area_sqm=area,
            final_price=price,
        )
        if finish:
            finished[project_id] = price / area * 10
    await _create(
        client,
        admin_headers,
        finish=True,
        name="Badsanierung",
        description="Fliesen im Bad",
        project_type="Fliesenarbeiten",
        wood_type=None,
    )
    await run_jobs()

    response = await client.post(URL, json=STAIR, headers=admin_headers)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["method"] == "similar_projects"
    assert result["fallback"] is True
    assert result["model_version"] is None
    assert result["interval_coverage"] is None
    assert result["explanation"] == []
    assert "No trained price model" in result["note"]
    used = {p["id"]: p for p in result["similar_projects"]}
    assert set(used) == set(finished)
    for project_id, scaled in finished.items():
        assert used[project_id]["scaled_price"] == pytest.approx(scaled, abs=0.01)
    assert result["predicted_price"] == pytest.approx(float(np.median(list(finished.values()))))
    assert min(finished.values()) <= result["interval_low"] < result["predicted_price"]
    assert result["predicted_price"] < result["interval_high"] <= max(finished.values())
    assert result["similar_projects_count"] == 3
    # 64 h on 8.5 m² in project_body: the similar projects' hours per m² × 10 m².
    assert result["cost_breakdown"]["basis"] == "similar_projects"
    assert result["cost_breakdown"]["labor_hours"] == pytest.approx(64 / 10 * 10, abs=0.1)

    stored = await session.scalar(
        select(Prediction).where(Prediction.id == result["prediction_id"])
    )
    assert stored is not None
    assert stored.method == "similar_projects"
    assert stored.predicted_price == Decimal(str(result["predicted_price"]))
    assert stored.features["total_area_sqm"] == 10


BAD: list[tuple[dict[str, Any], str | None, str]] = [
    ({"total_area_sqm": -5}, "total_area_sqm", "greater than"),
    ({"complexity": 9}, "complexity", "less than or equal to 5"),
    ({"project_type": "Raumschiffbau"}, "project_type", "Unknown project type"),
    ({"description": None}, None, "without project_id, give description"),
    # A known type, but no finished project of it and no model: nothing to base a price on.
    ({"project_type": "Malerarbeiten"}, None, "No basis for a price"),
]


async def test_bad_input_or_no_basis_is_a_clear_422(
    client: httpx.AsyncClient, admin_headers: Headers, session: AsyncSession
) -> None:
    for change, field, words in BAD:
        response = await client.post(URL, json=STAIR | change, headers=admin_headers)
        assert response.status_code == 422, response.text
        error = response.json()["detail"][0]
        assert words in error["msg"], error
        if field is not None:
            assert error["loc"][-1] == field
    assert await session.scalar(select(func.count()).select_from(Prediction)) == 0


async def test_training_needs_enough_finished_projects(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    response = await client.post("/api/v1/predictions/train", json={}, headers=admin_headers)
    assert response.status_code == 422
    assert "Too few finished projects" in response.json()["detail"][0]["msg"]
    info = await client.get("/api/v1/predictions/model-info", headers=admin_headers)
    assert info.json()["method"] == "similar_projects"
    assert info.json()["model_version"] is None
    missing = await client.post(URL, json={"project_id": 999}, headers=admin_headers)
    assert missing.status_code == 404
