"""Projects, their materials and cost breakdown: the rules, without HTTP.

A finalized project is immutable (GoBD): the only change it accepts is a
cancellation (Storno), which keeps the record and says why it no longer holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.company.calculation import CostBreakdown, calculate_cost_breakdown, to_cents
from handwerkml.company.service import get_company_settings
from handwerkml.db.models import Customer, Project, ProjectMaterial
from handwerkml.kit.errors import Conflict, NotFound, Unprocessable
from handwerkml.kit.time import utcnow
from handwerkml.projects.catalog import normalise_project_type
from handwerkml.projects.repository import ProjectMaterialRepository, ProjectRepository
from handwerkml.projects.schemas import (
    ProjectCreate,
    ProjectMaterialCreate,
    ProjectMaterialUpdate,
    ProjectQuery,
    ProjectStatus,
    ProjectUpdate,
)

# The largest amount a Money column holds (12 digits, two of them cents).
MAX_AMOUNT = Decimal("9999999999.99")


async def get_project(session: AsyncSession, tenant_id: int, project_id: int) -> Project:
    project = await ProjectRepository(session).get(tenant_id, project_id)
    if project is None:
        raise NotFound("Project", project_id)
    return project


async def list_projects(
    session: AsyncSession, tenant_id: int, filters: ProjectQuery, *, skip: int, limit: int
) -> tuple[Sequence[Project], int]:
    if filters.project_type:
        project_type = await normalise_project_type(session, tenant_id, filters.project_type)
        filters = filters.model_copy(update={"project_type": project_type})
    return await ProjectRepository(session).list(tenant_id, filters, skip=skip, limit=limit)


async def create_project(session: AsyncSession, tenant_id: int, data: ProjectCreate) -> Project:
    values = data.model_dump(exclude={"customer"})
    values["project_type"] = await normalise_project_type(session, tenant_id, data.project_type)
    values["status"] = data.status.value
    customer = (
        Customer(tenant_id=tenant_id, **data.customer.model_dump()) if data.customer else None
    )
    return await ProjectRepository(session).add(
        Project(tenant_id=tenant_id, customer=customer, **values)
    )


async def replace_project(
    session: AsyncSession, tenant_id: int, project_id: int, data: ProjectCreate
) -> Project:
    """PUT: every field takes the value sent; a missing customer unlinks the current one."""
    return await _change(session, tenant_id, project_id, data.model_dump())


async def update_project(
    session: AsyncSession, tenant_id: int, project_id: int, data: ProjectUpdate
) -> Project:
    """PATCH: only the fields sent change."""
    return await _change(session, tenant_id, project_id, data.model_dump(exclude_unset=True))


async def _change(
    session: AsyncSession, tenant_id: int, project_id: int, values: dict[str, Any]
) -> Project:
    project = await get_project(session, tenant_id, project_id)
    _ensure_mutable(project)
    if "customer" in values:
        _set_customer(project, tenant_id, values.pop("customer"))
    if "project_type" in values:
        values["project_type"] = await normalise_project_type(
            session, tenant_id, values["project_type"]
        )
    if "status" in values:
        values["status"] = ProjectStatus(values["status"]).value
    for field, value in values.items():
        setattr(project, field, value)
    await session.flush()
    return project


def _set_customer(project: Project, tenant_id: int, data: dict[str, Any] | None) -> None:
    # Unlinking keeps the customer row: it may be needed for invoices or a DSGVO export.
    if data is None:
        project.customer = None
    elif project.customer is None:
        project.customer = Customer(tenant_id=tenant_id, **data)
    else:
        for field, value in data.items():
            setattr(project.customer, field, value)


def _ensure_mutable(project: Project) -> None:
    if project.is_finalized:
        raise Conflict(
            f"Project {project.id} is finalized and cannot be changed (GoBD); "
            "cancel it (Storno) instead"
        )
    if project.cancelled_at is not None:
        raise Conflict(f"Project {project.id} is cancelled (storniert) and cannot be changed")


async def delete_project(session: AsyncSession, tenant_id: int, project_id: int) -> None:
    repository = ProjectRepository(session)
    project = await repository.get(tenant_id, project_id, with_materials=True)
    if project is None:
        raise NotFound("Project", project_id)
    if project.is_finalized:
        raise Conflict(
            f"Project {project_id} is finalized and cannot be deleted (GoBD); "
            "cancel it (Storno) instead"
        )
    await repository.delete(project)


async def finalize_project(session: AsyncSession, tenant_id: int, project_id: int) -> Project:
    project = await get_project(session, tenant_id, project_id)
    if project.is_finalized:
        raise Conflict(f"Project {project_id} is already finalized")
    if project.cancelled_at is not None:
        raise Conflict(f"Project {project_id} is cancelled and cannot be finalized")
    if project.final_price is None:
        raise Conflict(
            f"Project {project_id} has no final_price; set the final price before finalizing"
        )
    project.is_finalized = True
    project.finalized_at = utcnow()
    await session.flush()
    return project


async def cancel_project(
    session: AsyncSession, tenant_id: int, project_id: int, *, reason: str
) -> Project:
    project = await get_project(session, tenant_id, project_id)
    if project.cancelled_at is not None:
        raise Conflict(f"Project {project_id} is already cancelled")
    project.status = ProjectStatus.cancelled.value
    project.cancelled_at = utcnow()
    project.cancellation_reason = reason
    await session.flush()
    return project


def line_total(quantity: Decimal, unit_price: Decimal) -> Decimal:
    total = to_cents(quantity * unit_price)
    if total > MAX_AMOUNT:
        raise Unprocessable(
            f"quantity × unit_price = {total} exceeds the largest amount allowed",
            loc=("body", "quantity"),
        )
    return total


async def list_project_materials(
    session: AsyncSession, tenant_id: int, project_id: int
) -> Sequence[ProjectMaterial]:
    await get_project(session, tenant_id, project_id)
    return await ProjectMaterialRepository(session).list(tenant_id, project_id)


async def add_project_material(
    session: AsyncSession, tenant_id: int, project_id: int, data: ProjectMaterialCreate
) -> ProjectMaterial:
    project = await get_project(session, tenant_id, project_id)
    _ensure_mutable(project)
    repository = ProjectMaterialRepository(session)
    material = await repository.get_material(tenant_id, data.material_id)
    if material is None:
        raise NotFound("Material", data.material_id)
    # A snapshot: later price changes in the catalog must not rewrite this project.
    unit_price = data.unit_price if data.unit_price is not None else material.unit_price
    item = await repository.add(
        ProjectMaterial(
            tenant_id=tenant_id,
            project_id=project.id,
            material_id=material.id,
            material=material,
            quantity=data.quantity,
            unit_price=unit_price,
            total=line_total(data.quantity, unit_price),
        )
    )
    project.updated_at = utcnow()
    return item


async def _project_material(
    session: AsyncSession, tenant_id: int, project_id: int, item_id: int
) -> ProjectMaterial:
    project = await get_project(session, tenant_id, project_id)
    item = await ProjectMaterialRepository(session).get(tenant_id, project_id, item_id)
    if item is None:
        raise NotFound("Project material", item_id)
    _ensure_mutable(project)
    project.updated_at = utcnow()
    return item


async def update_project_material(
    session: AsyncSession,
    tenant_id: int,
    project_id: int,
    item_id: int,
    data: ProjectMaterialUpdate,
) -> ProjectMaterial:
    item = await _project_material(session, tenant_id, project_id, item_id)
    if data.quantity is not None:
        item.quantity = data.quantity
    if data.unit_price is not None:
        item.unit_price = data.unit_price
    item.total = line_total(item.quantity, item.unit_price)
    await session.flush()
    return item


async def remove_project_material(
    session: AsyncSession, tenant_id: int, project_id: int, item_id: int
) -> None:
    item = await _project_material(session, tenant_id, project_id, item_id)
    await ProjectMaterialRepository(session).delete(item)


@dataclass(frozen=True, slots=True)
class ProjectCosts:
    breakdown: CostBreakdown
    final_price: Decimal | None


async def cost_breakdown(session: AsyncSession, tenant_id: int, project_id: int) -> ProjectCosts:
    """What the firm's own calculation says the project costs, beside what was agreed."""
    project = await get_project(session, tenant_id, project_id)
    items = await ProjectMaterialRepository(session).list(tenant_id, project_id)
    settings = await get_company_settings(session, tenant_id)
    breakdown = calculate_cost_breakdown(
        material_cost=sum((item.total for item in items), Decimal(0)),
        labor_hours=project.labor_hours or Decimal(0),
        settings=settings,
    )
    return ProjectCosts(breakdown=breakdown, final_price=project.final_price)
