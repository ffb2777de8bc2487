"""/api/v1/predictions on the demo data, on both engines: the fallback before any
training, training as a job, a model's prediction with its interval and explanation,
feedback and accuracy, a worse version kept as standby, rollback, the scheduler's
retraining and the isolation of one firm's models and prices from another's.

One long flow per engine: loading the demo, embedding it and training are the
expensive part, and every step builds on the one before.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.auth.permissions import Role
from handwerkml.auth.repository import TenantRepository
from handwerkml.config import Settings
from handwerkml.db.models import Job, Project, Tenant
from handwerkml.demo.loader import load_demo
from handwerkml.jobs.periodic import tick
from handwerkml.pricing.repository import finished
from tests.conftest import Headers, LoginAs, RunJobs

URL = "/api/v1/predictions"
STAIR = {
    "description": "Eichentreppe viertelgewendelt mit Podest und Handlauf, geölt",
    "total_area_sqm": 9.5,
    "complexity": 4,
    "project_type": "Treppenbau",
    "wood_type": "Eiche",
    "region": "Bayern",
}
TILES = {
    "description": "Badsanierung, Fliesen 60x60 im Bad verlegen, bodengleiche Dusche",
    "total_area_sqm": 18,
    "complexity": 3,
    "project_type": "Fliesenarbeiten",
    "region": "Nordrhein-Westfalen",
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # A small demo: the first model after 10 finished projects, retraining after 3 more.
    return settings.model_copy(
        update={"pricing_min_training_projects": 10, "pricing_retrain_after": 3}
    )


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


async def _post(
    client: httpx.AsyncClient, path: str, headers: Headers, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    response = await client.post(URL + path, json=body or {}, headers=headers)
    assert response.is_success, response.text
    result: dict[str, Any] = response.json()
    return result


async def _get(client: httpx.AsyncClient, path: str, headers: Headers) -> Any:
    response = await client.get(URL + path, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def _finished(session: AsyncSession, tenant: Tenant) -> int:
    rows = await session.scalars(
        select(Project.id).where(Project.tenant_id == tenant.id, finished())
    )
    return len(rows.all())


async def test_predict_train_explain_feedback_and_roll_back(
    app: FastAPI,
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    login_as: LoginAs,
    run_jobs: RunJobs,
) -> None:
    await load_demo(session, settings, projects=100, seed=5)
    # Embedding the demo would take most of this test's time: without vectors there are
    # no similar projects, and the fallback has its own test (test_fallback.py).
    await session.execute(delete(Job).where(Job.kind == "vectors.sync"))
    await session.commit()
    tenants = TenantRepository(session)
    holzwurm = await tenants.get_by_slug("holzwurm")
    krause = await tenants.get_by_slug("krause")
    assert holzwurm is not None
    assert krause is not None
    a = await login_as(Role.manager, tenant_=holzwurm)
    b = await login_as(Role.admin, tenant_=krause)
    estimator = await login_as(Role.estimator, tenant_=holzwurm)

    # Before any training and without similar projects: no basis, no made-up number.
    early = await client.post(URL + "/predict", json=STAIR, headers=estimator)
    assert early.status_code == 422
    assert "No basis for a price" in early.json()["detail"][0]["msg"]

    # Training is a manager's job.
    refused = await client.post(URL + "/train", json={}, headers=estimator)
    assert refused.status_code == 403
    job = await _post(client, "/train", a)
    assert job["kind"] == "pricing.train"
    await run_jobs()
    done = await client.get(f"/api/v1/jobs/{job['id']}", headers=a)
    assert done.json()["status"] == "succeeded", done.text

    info = await _get(client, "/model-info", a)
    assert info["method"] == "model"
    assert info["model_version"] == 1
    assert info["training_size"] == await _finished(session, holzwurm)
    metrics = info["metrics"]
    assert metrics["mape"] < metrics["baseline"]["mape"]
    assert 0 < metrics["interval_coverage"] <= 1
    assert "project_type" in info["features"]
    assert "material_cost" in info["features"]

    # A model's answer: interval, explanation adding up to the cent, cost breakdown.
    priced = await _post(client, "/predict", estimator, STAIR)
    assert priced["method"] == "model"
    assert priced["fallback"] is False
    assert priced["model_version"] == 1
    assert priced["interval_coverage"] == 0.8
    price = _decimal(priced["predicted_price"])
    assert _decimal(priced["interval_low"]) < price < _decimal(priced["interval_high"])
    parts = [_decimal(c["contribution_eur"]) for c in priced["explanation"]]
    assert _decimal(priced["base_value_eur"]) + sum(parts) == price
    assert priced["confidence_level"] in ("Very High", "High", "Medium", "Low", "Very Low")
    # The projects shown are the same type's nearest in area, not searched by meaning.
    comparable = priced["similar_projects"]
    assert priced["similar_projects_count"] == len(comparable) > 0
    assert {p["project_type"] for p in comparable} == {STAIR["project_type"]}
    assert all(p["similarity_score"] is None for p in comparable)
    assert priced["cost_breakdown"]["basis"] == "projects_of_type"

    # A finished project: its own hours and materials, and the firm's calculation.
    project_id = await session.scalar(
        select(Project.id).where(Project.tenant_id == holzwurm.id, finished()).limit(1)
    )
    own = await _post(client, "/predict", estimator, {"project_id": project_id})
    breakdown = own["cost_breakdown"]
    assert breakdown["basis"] == "project"
    assert own["model_version"] == 1
    assert _decimal(breakdown["net"]) + _decimal(breakdown["vat"]) == _decimal(breakdown["gross"])

    # Tenant B sees none of A's models, predictions or projects.
    assert await _get(client, "/models", b) == []
    assert (await _get(client, "/model-info", b))["method"] == "similar_projects"
    theirs = await client.post(URL + "/predict", json=TILES, headers=b)
    assert theirs.status_code == 422  # A's model prices nothing of B's
    assert (await client.post(URL + "/models/1/activate", headers=b)).status_code == 404
    feedback_url = f"{URL}/{priced['prediction_id']}/feedback"
    assert (await client.post(feedback_url, json={"actual_price": 1}, headers=b)).status_code == 404

    # Feedback, then accuracy against the actual price.
    noted = await _post(
        client,
        f"/{priced['prediction_id']}/feedback",
        estimator,
        {"was_accepted": False, "user_modified_price": float(price) + 100},
    )
    assert noted["was_accepted"] is False
    assert noted["actual_price"] is None
    actual = (price * Decimal("1.1")).quantize(Decimal("0.01"))
    noted = await _post(
        client, f"/{priced['prediction_id']}/feedback", estimator, {"actual_price": float(actual)}
    )
    assert noted["was_accepted"] is False  # kept from the first feedback
    accuracy = await _get(client, "/accuracy", estimator)
    assert accuracy["overall"]["count"] == 1
    expected = abs(price - _decimal(actual)) / _decimal(actual)
    assert accuracy["overall"]["mape"] == pytest.approx(float(expected), abs=1e-4)
    assert [row["key"] for row in accuracy["by_project_type"]] == ["Treppenbau"]
    assert (await _get(client, "/accuracy", b))["overall"]["count"] == 0

    # A worse configuration is kept as standby; the active version stays.
    await _post(client, "/train", a, {"n_estimators": 1})
    await run_jobs()
    versions = {v["version"]: v for v in await _get(client, "/models", a)}
    assert versions[2]["status"] == "standby"
    assert versions[1]["status"] == "active"
    assert versions[2]["metrics"]["activated"] is False
    assert versions[2]["metrics"]["compared_with"]["version"] == 1

    # Activating it by hand (and rolling back) is possible.
    await _post(client, "/models/2/activate", a)
    assert (await _post(client, "/predict", estimator, STAIR))["model_version"] == 2
    back = await _post(client, "/models/1/activate", a)
    assert back["status"] == "active"
    statuses = {v["version"]: v["status"] for v in await _get(client, "/models", a)}
    assert statuses == {1: "active", 2: "retired"}

    # The scheduler: B's first model once it has enough finished projects; A's next one
    # after three more finished projects (HANDWERKML_PRICING_RETRAIN_AFTER here).
    open_ids = (
        await session.scalars(
            select(Project.id)
            .where(Project.tenant_id == holzwurm.id, ~finished(), Project.final_price.is_not(None))
            .where(Project.cancelled_at.is_(None))
            .limit(3)
        )
    ).all()
    assert len(open_ids) == 3

    async def training_jobs() -> Counter[int | None]:
        tenants = await session.scalars(select(Job.tenant_id).where(Job.kind == "pricing.train"))
        found = Counter(tenants.all())
        await session.commit()
        return found

    for open_id in open_ids[:2]:
        response = await client.post(f"/api/v1/projects/{open_id}/finalize", headers=a)
        assert response.status_code == 200, response.text
    await tick(app.state.database, settings)
    assert await training_jobs() == {holzwurm.id: 2, krause.id: 1}  # A: two are too few
    response = await client.post(f"/api/v1/projects/{open_ids[2]}/finalize", headers=a)
    assert response.status_code == 200, response.text
    await tick(app.state.database, settings)
    await tick(app.state.database, settings)  # queues nothing twice
    assert await training_jobs() == {holzwurm.id: 3, krause.id: 1}
    await run_jobs()
    info = await _get(client, "/model-info", a)
    assert info["model_version"] == 3
    assert info["training_size"] == await _finished(session, holzwurm)
    # B's model learnt from B's projects alone (active if it beat B's baseline).
    (version_b,) = await _get(client, "/models", b)
    assert version_b["version"] == 1
    assert version_b["row_count"] == await _finished(session, krause)
    assert version_b["metrics"]["beats_baseline"] is (version_b["status"] == "active")
