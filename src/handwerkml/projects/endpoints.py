"""/api/v1/projects: projects, their materials, cost breakdown and the project type catalog."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.auth.deps import requires
from handwerkml.auth.permissions import Permission
from handwerkml.auth.principal import Principal
from handwerkml.config import Settings
from handwerkml.db.models import ProjectMaterial
from handwerkml.jobs.endpoints import WAKES_WORKERS
from handwerkml.kit.deps import SessionDep, SettingsDep
from handwerkml.kit.pagination import PageDep, set_total
from handwerkml.kit.schemas import IdPath
from handwerkml.projects import catalog, service
from handwerkml.projects.schemas import (
    CostBreakdownRead,
    ProjectCancel,
    ProjectCreate,
    ProjectMaterialCreate,
    ProjectMaterialRead,
    ProjectMaterialUpdate,
    ProjectQuery,
    ProjectRead,
    ProjectTypeCreate,
    ProjectTypeRead,
    ProjectUpdate,
)
from handwerkml.similarity.projects import SOURCE
from handwerkml.vectors.sync import schedule_sync

router = APIRouter(prefix="/api/v1/projects", tags=["projects"])

Reader = Annotated[Principal, requires(Permission.projects_read)]
Writer = Annotated[Principal, requires(Permission.projects_write)]
ProjectId = IdPath
ItemId = IdPath


async def _reembed(
    session: AsyncSession, settings: Settings, principal: Principal, project_id: int
) -> None:
    # The project's text or filter fields changed (or it is gone): its vector follows
    # in a job, committed with the change.
    await schedule_sync(session, settings, principal.tenant_id, SOURCE, [project_id])


@router.get("", response_model=list[ProjectRead])
async def list_projects(
    principal: Reader,
    session: SessionDep,
    page: PageDep,
    response: Response,
    filters: Annotated[ProjectQuery, Query()],
) -> list[ProjectRead]:
    """Projects of the caller's tenant, filtered and sorted; the total is in X-Total-Count."""
    projects, total = await service.list_projects(
        session, principal.tenant_id, filters, skip=page.skip, limit=page.limit
    )
    set_total(response, total)
    return [ProjectRead.model_validate(project) for project in projects]


@router.post(
    "",
    response_model=ProjectRead,
    status_code=status.HTTP_201_CREATED,
    dependencies=WAKES_WORKERS,
)
async def create_project(
    body: ProjectCreate, principal: Writer, session: SessionDep, settings: SettingsDep
) -> ProjectRead:
    project = await service.create_project(session, principal.tenant_id, body)
    await _reembed(session, settings, principal, project.id)
    return ProjectRead.model_validate(project)


# Declared before /{project_id}, which would otherwise take "types" for an id.
@router.get("/types", response_model=list[ProjectTypeRead])
async def list_project_types(
    principal: Reader,
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=100, description="Name prefix, any case")] = None,
) -> list[ProjectTypeRead]:
    """Known project types, as suggestions for the free-text project_type."""
    types = await catalog.suggest_project_types(session, principal.tenant_id, q)
    return [ProjectTypeRead.model_validate(t) for t in types]


@router.post("/types", response_model=ProjectTypeRead, status_code=status.HTTP_201_CREATED)
async def create_project_type(
    body: ProjectTypeCreate, principal: Writer, session: SessionDep
) -> ProjectTypeRead:
    project_type = await catalog.create_project_type(
        session,
        principal.tenant_id,
        name=body.name,
        trade=body.trade,
        description=body.description,
    )
    return ProjectTypeRead.model_validate(project_type)


@router.get("/{project_id}", response_model=ProjectRead)
async def get_project(project_id: ProjectId, principal: Reader, session: SessionDep) -> ProjectRead:
    project = await service.get_project(session, principal.tenant_id, project_id)
    return ProjectRead.model_validate(project)


@router.put("/{project_id}", response_model=ProjectRead, dependencies=WAKES_WORKERS)
async def replace_project(
    project_id: ProjectId,
    body: ProjectCreate,
    principal: Writer,
    session: SessionDep,
    settings: SettingsDep,
) -> ProjectRead:
    """Replace every field, as the seed system's clients do; the body is the create body."""
    project = await service.replace_project(session, principal.tenant_id, project_id, body)
    await _reembed(session, settings, principal, project_id)
    return ProjectRead.model_validate(project)


@router.patch("/{project_id}", response_model=ProjectRead, dependencies=WAKES_WORKERS)
async def update_project(
    project_id: ProjectId,
    body: ProjectUpdate,
    principal: Writer,
    session: SessionDep,
    settings: SettingsDep,
) -> ProjectRead:
    project = await service.update_project(session, principal.tenant_id, project_id, body)
    await _reembed(session, settings, principal, project_id)
    return ProjectRead.model_validate(project)


@router.delete("/{project_id}", status_code=status.HTTP_204_NO_CONTENT, dependencies=WAKES_WORKERS)
async def delete_project(
    project_id: ProjectId, principal: Writer, session: SessionDep, settings: SettingsDep
) -> None:
    await service.delete_project(session, principal.tenant_id, project_id)
    await _reembed(session, settings, principal, project_id)


@router.post("/{project_id}/finalize", response_model=ProjectRead, dependencies=WAKES_WORKERS)
async def finalize_project(
    project_id: ProjectId, principal: Writer, session: SessionDep, settings: SettingsDep
) -> ProjectRead:
    """Fix the project for good (GoBD): afterwards only a cancellation can change it."""
    project = await service.finalize_project(session, principal.tenant_id, project_id)
    await _reembed(session, settings, principal, project_id)
    return ProjectRead.model_validate(project)


@router.post("/{project_id}/cancel", response_model=ProjectRead, dependencies=WAKES_WORKERS)
async def cancel_project(
    project_id: ProjectId,
    body: ProjectCancel,
    principal: Writer,
    session: SessionDep,
    settings: SettingsDep,
) -> ProjectRead:
    """Storno: mark the project as cancelled with a reason; allowed for finalized projects."""
    project = await service.cancel_project(
        session, principal.tenant_id, project_id, reason=body.reason
    )
    await _reembed(session, settings, principal, project_id)
    return ProjectRead.model_validate(project)


def _material_read(item: ProjectMaterial) -> ProjectMaterialRead:
    return ProjectMaterialRead(
        id=item.id,
        material_id=item.material_id,
        material_name=item.material.name,
        unit=item.material.unit,
        quantity=item.quantity,
        unit_price=item.unit_price,
        total=item.total,
        created_at=item.created_at,
    )


@router.get("/{project_id}/materials", response_model=list[ProjectMaterialRead])
async def list_project_materials(
    project_id: ProjectId, principal: Reader, session: SessionDep
) -> list[ProjectMaterialRead]:
    items = await service.list_project_materials(session, principal.tenant_id, project_id)
    return [_material_read(item) for item in items]


@router.post(
    "/{project_id}/materials",
    response_model=ProjectMaterialRead,
    status_code=status.HTTP_201_CREATED,
    dependencies=WAKES_WORKERS,
)
async def add_project_material(
    project_id: ProjectId,
    body: ProjectMaterialCreate,
    principal: Writer,
    session: SessionDep,
    settings: SettingsDep,
) -> ProjectMaterialRead:
    item = await service.add_project_material(session, principal.tenant_id, project_id, body)
    await _reembed(session, settings, principal, project_id)
    return _material_read(item)


@router.put("/{project_id}/materials/{item_id}", response_model=ProjectMaterialRead)
@router.patch("/{project_id}/materials/{item_id}", response_model=ProjectMaterialRead)
async def update_project_material(
    project_id: ProjectId,
    item_id: ItemId,
    body: ProjectMaterialUpdate,
    principal: Writer,
    session: SessionDep,
) -> ProjectMaterialRead:
    item = await service.update_project_material(
        session, principal.tenant_id, project_id, item_id, body
    )
    return _material_read(item)


@router.delete(
    "/{project_id}/materials/{item_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=WAKES_WORKERS,
)
async def remove_project_material(
    project_id: ProjectId,
    item_id: ItemId,
    principal: Writer,
    session: SessionDep,
    settings: SettingsDep,
) -> None:
    await service.remove_project_material(session, principal.tenant_id, project_id, item_id)
    await _reembed(session, settings, principal, project_id)


@router.get("/{project_id}/cost-breakdown", response_model=CostBreakdownRead)
async def cost_breakdown(
    project_id: ProjectId, principal: Reader, session: SessionDep
) -> CostBreakdownRead:
    """The firm's calculation from materials, labour hours and company settings."""
    costs = await service.cost_breakdown(session, principal.tenant_id, project_id)
    return CostBreakdownRead(**asdict(costs.breakdown), final_price=costs.final_price)
