"""No input gives a 500: schemathesis sends generated requests to every operation.

Valid and invalid inputs alike (schemathesis' positive and negative modes, boundary
values of its coverage phase) go to every operation of our own OpenAPI, in-process
over ASGI, as a tenant admin so the requests get past authentication into the
services and the database. Responses must also match the documented schema.

Runs on both engines like every database test: PostgreSQL refuses what SQLite
quietly stores (over-long strings, NUL, out-of-range integers).
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)
from schemathesis.specs.openapi.schemas import OpenApiSchema

from handwerkml.app import create_app
from handwerkml.auth.permissions import Role
from handwerkml.config import Settings
from handwerkml.db.engine import Database
from handwerkml.db.models import ApiKey, ProjectMaterial, ProjectType
from handwerkml.jobs import service as jobs
from handwerkml.tenders import service as tenders
from handwerkml.tenders.sample import SampleItem, bill_xml
from tests.auth.factories import create_tenant, create_user, token_for
from tests.conftest import Headers
from tests.materials.factories import create_material
from tests.projects.factories import create_project

if TYPE_CHECKING:
    from schemathesis.specs.openapi.schemas import OpenApiCase


def _load_schema() -> OpenApiSchema:
    # Pytest collects one test per operation only from a schema it has at import
    # time. The OpenAPI document depends on the routes alone, so an app that is
    # never started describes it; each test then calls a fresh app of its own.
    described = create_app(Settings(database_url="sqlite+aiosqlite://", _env_file=None))
    return schemathesis.openapi.from_dict(described.openapi())


schema = _load_schema()


async def _arrange(settings: Settings) -> Headers:
    """One row of each kind, so the ids schemathesis favours (1 above all) exist."""
    database = Database.connect(settings)
    try:
        async with database.write() as session:
            tenant = await create_tenant(session, name="Zimmerei Fuzz")
            admin = await create_user(session, tenant=tenant, role=Role.admin)
            await create_user(session, tenant=tenant, role=Role.viewer)
            project = await create_project(session, tenant=tenant, customer_name="Familie Huber")
            material = await create_material(session, tenant=tenant)
            # A tender with its stored file and two items (ids 1, 2), still to be priced.
            items = [SampleItem("Estrich einbauen", Decimal(5), "m2")] * 2
            _, pricing = await tenders.import_bill(
                session, settings, tenant.id, tenders.Upload("LV.X83", bill_xml([("A", items)]))
            )
            # No worker runs here: a queued job's event stream would stay open until the
            # client's timeout, a minute per generated request.
            await jobs.cancel(session, tenant.id, pricing.id)
            session.add_all(
                [
                    ProjectType(tenant_id=tenant.id, name="Carport", trade="Zimmerei"),
                    ProjectMaterial(
                        tenant_id=tenant.id,
                        project_id=project.id,
                        material_id=material.id,
                        quantity=Decimal(2),
                        unit_price=material.unit_price,
                        total=2 * material.unit_price,
                    ),
                    ApiKey(
                        tenant_id=tenant.id,
                        name="Buchhaltung",
                        prefix="hwml_fuzz",
                        key_hash="0" * 64,
                        role=Role.viewer.value,
                        created_by_id=admin.id,
                    ),
                ]
            )
            await session.commit()
    finally:
        await database.dispose()
    return {"Authorization": f"Bearer {token_for(admin, settings)}"}


@pytest.fixture
def bearer(settings: Settings) -> Headers:
    # Schemathesis runs the app in its own event loop thread, so the shared async
    # fixtures (whose sessions live in pytest-asyncio's loop) cannot arrange data here.
    return asyncio.run(_arrange(settings))


@pytest.fixture
def api(settings: Settings) -> FastAPI:
    # Schemathesis starts the app's lifespan on the first call and ends it when the
    # test tears down.
    return create_app(settings)


@schema.parametrize()
@hypothesis_settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    # One app and database serve all examples of an operation, as a real server would.
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
def test_no_generated_request_gives_a_server_error(
    case: OpenApiCase, api: FastAPI, bearer: Headers
) -> None:
    response = case.call(app=api, headers=bearer)
    case.validate_response(
        response,
        checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
    )
