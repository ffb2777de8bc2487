"""A user of tenant B can read, list, change or delete nothing of tenant A, through any route.

The test walks every route of every router as B's admin, with A's ids in the path,
so a route that forgets its tenant filter fails here. Every route must sit in one of
the tables below (item routes that take a body get a valid one), so a new route
cannot slip through untested. Item routes must answer exactly 404: a 422 for a wrong
body fails as well, so validation can never hide a missing filter.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
from fastapi.routing import APIRoute
from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.app import ROUTERS
from handwerkml.auth import service as auth_service
from handwerkml.auth.permissions import Role
from handwerkml.auth.principal import Principal
from handwerkml.company import service as company_service
from handwerkml.config import get_settings
from handwerkml.db.base import Base
from handwerkml.db.models import Document, Prediction, PriceModel, Tenant, Tender, TenderItem
from handwerkml.jobs import service as jobs_service
from handwerkml.kit.time import utcnow
from handwerkml.projects import catalog
from handwerkml.projects import service as project_service
from handwerkml.projects.schemas import ProjectMaterialCreate
from handwerkml.tenders.sample import SampleItem, bill_xml
from tests.auth.factories import create_user
from tests.conftest import LoginAs
from tests.materials.factories import create_material, create_material_price
from tests.projects.factories import create_project, project_body

Body = dict[str, object]
RouteKey = tuple[str, str]
Ids = dict[str, int]

# Tenant A's rows are named with "Geheim"; its tenant is "Schreinerei Holzwurm" and the
# slug (in A's user's email) holds "holzwurm". No answer to B may contain any of them.
A_MARK = "Geheim"
A_TRACES = (A_MARK, "Holzwurm", "holzwurm")
B_MARK = "Bad"

# Path parameters _arrange makes a row for; a route with another one fails the table test.
PATH_PARAMS = (
    "project_id",
    "item_id",
    "material_id",
    "user_id",
    "key_id",
    "job_id",
    "task_id",
    "document_id",
    "tender_id",
    "tender_item_id",
    "version",
    "prediction_id",
)
_PARAM = re.compile(r"\{(\w+)\}")

# Routes that serve no tenant's data.
PUBLIC = {
    "/health",
    "/health/live",
    "/health/ready",
    "/api/v1/auth/login",
    "/api/v1/auth/refresh",
    "/api/v1/jobs/kinds",
    "/api/v1/tasks/health",
    # The installation's embedding model: collections hold no tenant's data, and a
    # migration re-embeds every tenant alike (tests/similarity/test_migration.py).
    "/api/v1/embeddings/collections",
    "/api/v1/embeddings/migrations",
    "/api/v1/embeddings/collections/{name}/activate",
}
# Tables whose rows belong to no one tenant; every other table must have tenant_id.
SHARED_TABLES = {"tenants"}
# Tables owned through a parent row: (column, parent table).
OWNED_THROUGH = {"job_items": ("job_id", "jobs")}
# Tables of no tenant at all: which workers run (monitoring), embeddings by content hash.
NOT_TENANT_DATA = {"job_workers", "embedding_cache", "vector_collections"}


@dataclass(frozen=True, slots=True)
class Rows:
    """Every row one tenant owns, per table, as the database holds it."""

    tenant_id: int
    tables: dict[str, list[dict[str, Any]]]

    def ids(self, table: str) -> set[Any]:
        return self.values(table, "id")

    def values(self, table: str, column: str) -> set[Any]:
        return {row[column] for row in self.tables[table]}


@dataclass(frozen=True, slots=True)
class Multipart:
    """A body sent as multipart/form-data (file uploads), not JSON."""

    files: dict[str, tuple[str, bytes, str]]


def _ids(body: Any) -> set[Any]:
    return {row["id"] for row in body}


# Collection reads: what B gets (left) must be exactly what B owns (right).
COLLECTION_READS: dict[str, tuple[Callable[[Any], set[Any]], Callable[[Rows], set[Any]]]] = {
    "/api/v1/projects": (_ids, lambda own: own.ids("projects")),
    "/api/v1/projects/types": (_ids, lambda own: own.ids("project_types")),
    "/api/v1/materials": (_ids, lambda own: own.ids("materials")),
    "/api/v1/materials/categories": (set, lambda own: own.values("materials", "category")),
    "/api/v1/users": (_ids, lambda own: own.ids("users")),
    "/api/v1/api-keys": (_ids, lambda own: own.ids("api_keys")),
    "/api/v1/settings/current": (
        lambda body: {body["id"]},
        lambda own: own.ids("company_settings"),
    ),
    "/api/v1/auth/me": (lambda body: {body["tenant"]["id"]}, lambda own: {own.tenant_id}),
    "/api/v1/jobs": (_ids, lambda own: own.ids("jobs")),
    "/api/v1/tasks/tasks/active": (
        lambda body: {int(task["task_id"]) for task in body},
        lambda own: {row["id"] for row in own.tables["jobs"] if row["status"] == "running"},
    ),
    "/api/v1/tasks/queue/stats": (
        lambda body: {tuple(row.values()) for row in body["queue_stats"]["by_priority"]},
        lambda own: _depth(own),
    ),
    "/api/v1/tasks/workers/stats": (
        lambda body: {w["current_job_id"] for w in body["workers"]} - {None},
        lambda own: {row["id"] for row in own.tables["jobs"] if row["lease_owner"]},
    ),
    "/api/v1/documents": (_ids, lambda own: own.ids("documents")),
    "/api/v1/tenders": (_ids, lambda own: own.ids("tenders")),
    "/api/v1/similarity/stats": (
        lambda body: {c["vectors"] for c in body["collections"]},
        lambda own: {sum(not row["deleted"] for row in own.tables["vector_records"])},
    ),
    "/api/v1/predictions/models": (_ids, lambda own: own.ids("price_models")),
    "/api/v1/predictions/model-info": (
        lambda body: {body["model_version"]},
        lambda own: (
            {r["version"] for r in own.tables["price_models"] if r["status"] == "active"} or {None}
        ),
    ),
    "/api/v1/predictions/accuracy": (
        lambda body: {body["overall"]["count"]},
        lambda own: {sum(r["actual_price"] is not None for r in own.tables["predictions"])},
    ),
    "/api/v1/tasks/summary": (
        lambda body: set(body["by_status"].items()),
        lambda own: set(Counter(row["status"] for row in own.tables["jobs"]).items()),
    ),
}


def _depth(own: Rows) -> set[tuple[int, ...]]:
    """(priority, queued, running, paused) per priority of the tenant's unfinished jobs."""
    depth: dict[int, Counter[str]] = {}
    for row in own.tables["jobs"]:
        depth.setdefault(row["priority"], Counter())[row["status"]] += 1
    return {(p, c["queued"], c["running"], c["paused"]) for p, c in depth.items()}


# B's own GAEB bills: a tender and a priced bill.
B_TENDER = bill_xml([("Bad", [SampleItem("Bad Fliesen verlegen", Decimal(12), "m2")])])
B_PRICED = bill_xml(
    [("Bad", [SampleItem("Bad Fliesen verlegen", Decimal(12), "m2", Decimal("48.50"))])],
    phase=86,
)

# Writes without an id act on the caller's own tenant: B's must succeed and leave A alone.
# "geheim…" spells A's project type and category in another case: B must get its own
# spelling back, never A's (which would carry A_MARK), and no 409 for A's type.
OWN_WRITES: dict[RouteKey, Body | Multipart] = {
    ("POST", "/api/v1/projects"): project_body(project_type="geheim wintergarten"),
    ("POST", "/api/v1/projects/types"): {"name": "geheim wintergarten"},
    ("POST", "/api/v1/materials"): {
        "name": "Fliesenkleber",
        "category": "geheimholz",
        "unit_price": 12.5,
        "unit": "kg",
    },
    ("POST", "/api/v1/users"): {"email": "neu@fliesen.example.de", "password": "lang-genug-42"},
    ("POST", "/api/v1/api-keys"): {"name": "Kasse"},
    ("PUT", "/api/v1/settings/current"): {"labor_rate_per_hour": 61},
    ("PATCH", "/api/v1/settings/current"): {"company_name": "Fliesen Müller GmbH"},
    ("POST", "/api/v1/jobs"): {"kind": "noop"},
    ("POST", "/api/v1/similarity/find-similar"): {"query": "geheim treppe", "threshold": -1},
    ("POST", "/api/v1/similarity/batch-similar"): {"queries": ["geheim"], "threshold": -1},
    ("POST", "/api/v1/documents"): Multipart({"files": ("b.txt", b"Bad Notiz", "text/plain")}),
    ("POST", "/api/v1/documents/upload"): Multipart({"file": ("b.md", b"# Bad", "text/plain")}),
    ("POST", "/api/v1/documents/search"): {"query": "geheim angebot"},
    ("POST", "/api/v1/documents/folders"): {"path": "/"},
    ("POST", "/api/v1/tenders"): Multipart({"file": ("b.X83", B_TENDER, "application/xml")}),
    ("POST", "/api/v1/tenders/search"): {"query": "geheim fliesen", "top_k": 50},
    ("POST", "/api/v1/tenders/history"): Multipart(
        {"file": ("b.X86", B_PRICED, "application/xml")}
    ),
    ("POST", "/api/v1/predictions/predict"): {
        "description": "geheim treppe",
        "total_area_sqm": 10,
        "project_type": "Treppenbau",
    },
    ("POST", "/api/v1/predictions/train"): {},
}
# Writes the walk's configuration refuses (no ingestion roots): they must fail cleanly.
# B has no finished project: no price model to train, no basis for a price.
REFUSED_WRITES = {
    ("POST", "/api/v1/documents/folders"),
    ("POST", "/api/v1/predictions/predict"),
    ("POST", "/api/v1/predictions/train"),
}

# Item routes other than GET that take no body.
NO_BODY: set[RouteKey] = {
    ("DELETE", "/api/v1/projects/{project_id}"),
    ("POST", "/api/v1/projects/{project_id}/finalize"),
    ("DELETE", "/api/v1/projects/{project_id}/materials/{item_id}"),
    ("DELETE", "/api/v1/materials/{material_id}"),
    ("DELETE", "/api/v1/api-keys/{key_id}"),
    ("POST", "/api/v1/jobs/{job_id}/cancel"),
    ("POST", "/api/v1/jobs/{job_id}/pause"),
    ("POST", "/api/v1/jobs/{job_id}/resume"),
    ("POST", "/api/v1/jobs/{job_id}/retry"),
    ("POST", "/api/v1/tasks/task/{task_id}/revoke"),
    ("DELETE", "/api/v1/documents/{document_id}"),
    ("DELETE", "/api/v1/tenders/{tender_id}"),
    ("POST", "/api/v1/predictions/models/{version}/activate"),
}


def item_bodies(own_material_id: int) -> dict[RouteKey, Body]:
    """A valid body for each item route that takes one; ids in it are B's own."""
    return {
        ("PUT", "/api/v1/projects/{project_id}"): project_body(),
        ("PATCH", "/api/v1/projects/{project_id}"): {"name": "Übernommen"},
        ("POST", "/api/v1/projects/{project_id}/cancel"): {"reason": "Übernommen"},
        ("POST", "/api/v1/projects/{project_id}/materials"): {
            "material_id": own_material_id,
            "quantity": 1,
        },
        ("PUT", "/api/v1/projects/{project_id}/materials/{item_id}"): {
            "quantity": 3,
            "unit_price": 1.5,
        },
        ("PATCH", "/api/v1/projects/{project_id}/materials/{item_id}"): {"quantity": 3},
        ("PUT", "/api/v1/materials/{material_id}"): {"name": "Übernommen", "unit_price": 1},
        ("PATCH", "/api/v1/materials/{material_id}"): {"unit_price": 1},
        ("POST", "/api/v1/materials/{material_id}/prices"): {
            "price": 1,
            "valid_from": "2026-01-01",
        },
        ("PATCH", "/api/v1/users/{user_id}"): {"role": "viewer", "is_active": False},
        ("POST", "/api/v1/predictions/{prediction_id}/feedback"): {"actual_price": 1000},
        ("PATCH", "/api/v1/tenders/{tender_id}/items/{tender_item_id}"): {
            "action": "override",
            "unit_price": 1,
        },
        ("POST", "/api/v1/tenders/{tender_id}/accept"): {"min_confidence": 0},
    }


def _routes() -> list[tuple[str, APIRoute]]:
    """(method, route) of every router, reads first and deletes last.

    A delete that wrongly succeeded would otherwise turn later attempts on the same
    row into honest 404s.
    """
    phase = {"GET": 0, "DELETE": 2}
    rows = [
        (method, route)
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute) and route.path not in PUBLIC
        for method in sorted(route.methods or ())
    ]
    return sorted(rows, key=lambda row: (phase.get(row[0], 1), row[1].path, row[0]))


ROUTES = _routes()


def test_every_route_is_in_a_table() -> None:
    """A new route must be added to the tables above before the walk can test it."""
    bodies = item_bodies(1)
    seen: set[RouteKey] = set()
    for method, route in ROUTES:
        key = (method, route.path)
        seen.add(key)
        params = _PARAM.findall(route.path)
        takes_body = route.body_field is not None
        unknown = [name for name in params if name not in PATH_PARAMS]
        assert not unknown, f"{key}: make tenant A a row for {unknown} in _arrange"
        if not params:
            listed = route.path in COLLECTION_READS if method == "GET" else key in OWN_WRITES
            assert listed, f"{key}: add it to COLLECTION_READS or OWN_WRITES"
        elif method != "GET":
            assert (key in bodies) != (key in NO_BODY), f"{key}: add it to item_bodies or NO_BODY"
            assert takes_body == (key in bodies), f"{key}: body table disagrees with the route"
    stale = (set(bodies) | NO_BODY | set(OWN_WRITES)) - seen
    stale |= {("GET", path) for path in COLLECTION_READS} - seen
    assert not stale, f"no such routes: {sorted(stale)}"
    assert ("GET", "/api/v1/projects/{project_id}") in seen


async def _arrange(session: AsyncSession, tenant: Tenant, mark: str) -> Ids:
    """One of every resource the API reaches, in `tenant`, named with `mark`; id per param."""
    project = await create_project(
        session,
        tenant=tenant,
        name=f"{mark} Treppe",
        customer_name=f"{mark} Kunde",
        final_price=Decimal("900.00"),
    )
    material = await create_material(
        session, tenant=tenant, name=f"{mark} Eiche", category=f"{mark}holz"
    )
    await create_material_price(
        session,
        material=material,
        price=Decimal("79.00"),
        valid_from=date(2025, 1, 1),
        valid_to=date(2025, 6, 30),
        region="Bayern",
    )
    item = await project_service.add_project_material(
        session,
        tenant.id,
        project.id,
        ProjectMaterialCreate(material_id=material.id, quantity=Decimal(2)),
    )
    user = await create_user(
        session, tenant=tenant, role=Role.estimator, email=f"planer-{tenant.slug}@example.de"
    )
    key, _ = await auth_service.create_api_key(
        session,
        Principal(tenant_id=tenant.id, role=Role.admin.value, user_id=user.id),
        name=f"{mark} ERP",
        role=Role.viewer,
    )
    await catalog.create_project_type(
        session, tenant.id, name=f"{mark} Wintergarten", trade=f"{mark}bau"
    )
    await company_service.update_company_settings(
        session, tenant.id, {"company_name": f"{mark} GmbH"}
    )
    document = Document(
        tenant_id=tenant.id,
        filename=f"{mark} Angebot.txt",
        file_type="text",
        sha256="0" * 64,
        size=12,
        status="completed",
    )
    session.add(document)
    # Versions count per tenant; A's number must be one B lacks, or B's activation of
    # "A's" version would find B's own. Retired: its bytes are no booster.
    model = PriceModel(
        tenant_id=tenant.id,
        version=100 + tenant.id,
        status="retired",
        trained_at=utcnow(),
        row_count=40,
        features=["project_type"],
        metrics={"mape": 0.2},
        preprocessing={},
        model_bytes=mark.encode(),
    )
    prediction = Prediction(
        tenant_id=tenant.id,
        created_at=utcnow(),
        project_id=project.id,
        project_type=f"{mark} Wintergarten",
        method="similar_projects",
        features={"description": f"{mark} Treppe"},
        result={},
        predicted_price=Decimal("950.00"),
        actual_price=Decimal("900.00"),
    )
    session.add_all([model, prediction])
    tender_row = Tender(
        tenant_id=tenant.id,
        filename=f"{mark} LV.X83",
        sha256="0" * 64,
        size=12,
        format="da_xml",
        version="3.3",
        phase=83,
        project_name=f"{mark} Neubau",
        status="review",
        item_count=1,
    )
    session.add(tender_row)
    await session.flush()
    tender_item = TenderItem(
        tenant_id=tenant.id,
        tender_id=tender_row.id,
        seq=0,
        oz="010010",
        oz_dotted="01.0010",
        short_text=f"{mark} Estrich",
        qty=Decimal(3),
        unit="m2",
        suggested_up=Decimal("20.00"),
        suggestion_source="history",
        confidence=0.9,
    )
    session.add(tender_item)
    # Paused, so no worker changes it while the walk compares A's rows.
    job = await jobs_service.submit(
        session, get_settings(), tenant_id=tenant.id, kind="noop", params={}
    )
    await session.flush()
    await jobs_service.pause(session, tenant.id, job.id)
    await session.commit()
    ids = {
        "project_id": project.id,
        "item_id": item.id,
        "material_id": material.id,
        "user_id": user.id,
        "key_id": key.id,
        "job_id": job.id,
        "task_id": job.id,
        "document_id": document.id,
        "tender_id": tender_row.id,
        "tender_item_id": tender_item.id,
        "version": model.version,
        "prediction_id": prediction.id,
    }
    assert set(ids) == set(PATH_PARAMS)
    return ids


async def _rows(session: AsyncSession, tenant_id: int) -> Rows:
    tables: dict[str, list[dict[str, Any]]] = {}
    for table in Base.metadata.sorted_tables:
        owner: ColumnElement[Any]
        if table.name in NOT_TENANT_DATA:
            continue
        if table.name in OWNED_THROUGH:
            column, parent_name = OWNED_THROUGH[table.name]
            parent = Base.metadata.tables[parent_name]
            owner = (
                select(parent.c.tenant_id).where(parent.c.id == table.c[column]).scalar_subquery()
            )
        elif table.name in SHARED_TABLES:
            owner = table.c.id
        else:
            assert "tenant_id" in table.c, f"{table.name} has no tenant_id: whose rows are they?"
            owner = table.c.tenant_id
        result = await session.execute(
            select(table).where(owner == tenant_id).order_by(*table.primary_key.columns)
        )
        tables[table.name] = [dict(row) for row in result.mappings()]
    # End the read transaction, so the next snapshot sees what requests committed since.
    await session.commit()
    return Rows(tenant_id=tenant_id, tables=tables)


def _urls(path: str, a: Ids, b: Ids) -> list[str]:
    """The path with A's ids; with several ids, also every mix of A's and B's but B's alone."""
    names = _PARAM.findall(path)
    urls = []
    for owners in itertools.product((a, b), repeat=len(names)):
        if not any(owner is a for owner in owners):
            continue
        urls.append(path.format(**{n: o[n] for o, n in zip(owners, names, strict=True)}))
    return urls


def _changes(table: str, before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[str]:
    """What happened to A's rows of one table, row by row and field by field."""
    old = {row["id"]: row for row in before}
    new = {row["id"]: row for row in after}
    changes = [f"A's {table} row {id_} vanished" for id_ in sorted(old.keys() - new.keys())]
    changes += [f"A's {table} row {id_} appeared" for id_ in sorted(new.keys() - old.keys())]
    for id_ in sorted(old.keys() & new.keys()):
        fields = {k: (v, new[id_][k]) for k, v in old[id_].items() if v != new[id_][k]}
        if fields:
            changes.append(f"A's {table} row {id_} changed (before, after): {fields}")
    return changes


def _trace(response: httpx.Response) -> str | None:
    return next((trace for trace in A_TRACES if trace in response.text), None)


async def test_tenant_b_reaches_nothing_of_tenant_a(
    client: httpx.AsyncClient,
    session: AsyncSession,
    tenant: Tenant,
    other_tenant: Tenant,
    login_as: LoginAs,
) -> None:
    a_ids = await _arrange(session, tenant, A_MARK)
    b_ids = await _arrange(session, other_tenant, B_MARK)
    b_admin = await login_as(Role.admin, tenant_=other_tenant)
    a_before = await _rows(session, tenant.id)
    b_own = await _rows(session, other_tenant.id)
    bodies = item_bodies(b_ids["material_id"])
    failures: list[str] = []
    calls = 0

    async def call(
        method: str, url: str, route: str, body: Body | Multipart | None
    ) -> httpx.Response:
        nonlocal calls
        calls += 1
        if isinstance(body, Multipart):
            response = await client.request(method, url, files=body.files, headers=b_admin)
        else:
            response = await client.request(method, url, json=body, headers=b_admin)
        trace = _trace(response)
        if trace:
            failures.append(f"{method} {url} ({route}): answer holds A's {trace!r}")
        return response

    for method, route in ROUTES:
        key = (method, route.path)
        if _PARAM.search(route.path):
            for url in _urls(route.path, a_ids, b_ids):
                response = await call(method, url, route.path, bodies.get(key))
                if response.status_code != 404:
                    failures.append(
                        f"{method} {url} ({route.path}) as B: expected 404, got "
                        f"{response.status_code} {response.text[:200]}"
                    )
        elif method == "GET":
            response = await call(method, route.path, route.path, None)
            got_of, own_of = COLLECTION_READS[route.path]
            got = got_of(response.json()) if response.status_code == 200 else response.text
            if got != own_of(b_own):
                failures.append(f"GET {route.path} as B: got {got}, B owns {own_of(b_own)}")
        else:
            response = await call(method, route.path, route.path, OWN_WRITES[key])
            if key in REFUSED_WRITES:
                if response.status_code != 422:
                    failures.append(f"{method} {route.path} as B: expected 422, got {response}")
            elif not response.is_success:
                failures.append(
                    f"{method} {route.path} as B: {response.status_code} {response.text}"
                )

    # B may not put A's material into B's own project either.
    borrowed = await call(
        "POST",
        f"/api/v1/projects/{b_ids['project_id']}/materials",
        "A's material in B's project",
        {"material_id": a_ids["material_id"], "quantity": 1},
    )
    if borrowed.status_code not in (404, 422) or "detail" not in borrowed.json():
        failures.append(f"A's material in B's project: {borrowed.status_code} {borrowed.text}")

    a_after = await _rows(session, tenant.id)
    for table, rows in a_before.tables.items():
        failures.extend(_changes(table, rows, a_after.tables[table]))
    assert not failures, "\n".join(failures)
    assert calls > 30, f"only {calls} calls: did the route walk break?"
    # The snapshot holds what was arranged, so the comparison above compared something.
    assert a_before.values("projects", "name") == {f"{A_MARK} Treppe"}
    assert a_before.values("project_materials", "quantity") == {Decimal(2)}
    assert len(a_before.tables["material_prices"]) == 2
    assert a_before.values("api_keys", "revoked_at") == {None}
