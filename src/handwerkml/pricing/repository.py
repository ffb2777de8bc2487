"""The queries of the pricing package: training data, model versions, predictions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np
from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from handwerkml.db.models import Material, Prediction, PriceModel, Project, ProjectMaterial
from handwerkml.pricing.features import PriceInput
from handwerkml.pricing.model import Vector
from handwerkml.projects.catalog import match_catalog, project_types


def finished() -> ColumnElement[bool]:
    """A finished project: finalized with its final price, and not cancelled (Storno)."""
    return and_(
        Project.is_finalized.is_(True),
        Project.final_price.is_not(None),
        Project.cancelled_at.is_(None),
        Project.total_area_sqm.is_not(None),
        Project.total_area_sqm > 0,
        Project.final_price > 0,
    )


def project_day(project: Project) -> date:
    if project.project_date is not None:
        return project.project_date
    moment = project.finalized_at or project.created_at
    return moment.date()


def price_input(project: Project, material_cost: float | None) -> PriceInput:
    return PriceInput(
        project_type=project.project_type,
        wood_type=project.wood_type,
        region=project.region,
        complexity=project.complexity,
        total_area_sqm=float(project.total_area_sqm or 0),
        labor_hours=None if project.labor_hours is None else float(project.labor_hours),
        material_cost=material_cost,
        on=project_day(project),
    )


async def material_costs(
    session: AsyncSession, tenant_id: int, project_ids: Sequence[int] | None = None
) -> dict[int, float]:
    """Σ quantity × today's catalog price per project (finished ones when no ids are given).

    Today's prices, not those paid: old and new projects then measure the same
    amount of material alike, and the data's age carries the price level.
    """
    query = (
        select(ProjectMaterial.project_id, ProjectMaterial.quantity, Material.unit_price)
        .join(Material, Material.id == ProjectMaterial.material_id)
        .where(ProjectMaterial.tenant_id == tenant_id)
    )
    if project_ids is None:
        query = query.join(Project, Project.id == ProjectMaterial.project_id).where(finished())
    else:
        query = query.where(ProjectMaterial.project_id.in_(project_ids))
    costs: dict[int, float] = {}
    for project_id, quantity, price in await session.execute(query):
        costs[project_id] = costs.get(project_id, 0.0) + float(quantity * price)
    return costs


@dataclass(frozen=True, slots=True)
class TrainingData:
    rows: list[PriceInput]
    prices: Vector
    first: date | None
    last: date | None


async def training_data(session: AsyncSession, tenant_id: int) -> TrainingData:
    projects = (
        await session.scalars(
            select(Project).where(Project.tenant_id == tenant_id, finished()).order_by(Project.id)
        )
    ).all()
    costs = await material_costs(session, tenant_id)
    rows = [price_input(p, costs.get(p.id)) for p in projects]
    days = [row.on for row in rows]
    return TrainingData(
        rows=rows,
        prices=np.array([float(p.final_price or 0) for p in projects]),
        first=min(days, default=None),
        last=max(days, default=None),
    )


async def nearest_of_type(
    session: AsyncSession, tenant_id: int, project_type: str, area: float, limit: int
) -> list[Project]:
    """The finished projects of a type with known hours, nearest in area first."""
    distance = func.abs(Project.total_area_sqm - Decimal(repr(area)))
    rows = await session.scalars(
        select(Project)
        .where(
            Project.tenant_id == tenant_id,
            Project.project_type == project_type,
            Project.labor_hours.is_not(None),
            finished(),
        )
        .order_by(distance, Project.id)
        .limit(limit)
    )
    return list(rows.all())


async def count_finished(session: AsyncSession, tenant_id: int) -> int:
    count = await session.scalar(
        select(func.count()).select_from(Project).where(Project.tenant_id == tenant_id, finished())
    )
    return int(count or 0)


def _versions(tenant_id: int) -> Sequence[ColumnElement[bool]]:
    return (PriceModel.tenant_id == tenant_id,)


async def active_model(session: AsyncSession, tenant_id: int) -> PriceModel | None:
    """The active version, without its booster bytes (`booster` reads those)."""
    return await session.scalar(
        select(PriceModel)
        .options(defer(PriceModel.model_bytes))
        .where(*_versions(tenant_id), PriceModel.status == "active")
    )


async def booster(session: AsyncSession, model_id: int) -> bytes:
    data = await session.scalar(select(PriceModel.model_bytes).where(PriceModel.id == model_id))
    return bytes(data or b"")


async def models(session: AsyncSession, tenant_id: int) -> Sequence[PriceModel]:
    rows = await session.scalars(
        select(PriceModel)
        .options(defer(PriceModel.model_bytes))
        .where(*_versions(tenant_id))
        .order_by(PriceModel.version.desc())
    )
    return rows.all()


async def model_version(session: AsyncSession, tenant_id: int, version: int) -> PriceModel | None:
    return await session.scalar(
        select(PriceModel)
        .options(defer(PriceModel.model_bytes))
        .where(*_versions(tenant_id), PriceModel.version == version)
    )


async def next_version(session: AsyncSession, tenant_id: int) -> int:
    latest = await session.scalar(select(func.max(PriceModel.version)).where(*_versions(tenant_id)))
    return int(latest or 0) + 1


async def prediction(
    session: AsyncSession, tenant_id: int, prediction_id: int
) -> Prediction | None:
    return await session.scalar(
        select(Prediction).where(Prediction.tenant_id == tenant_id, Prediction.id == prediction_id)
    )


async def predictions_with_actuals(session: AsyncSession, tenant_id: int) -> Sequence[Prediction]:
    rows = await session.scalars(
        select(Prediction)
        .options(defer(Prediction.features), defer(Prediction.result))
        .where(Prediction.tenant_id == tenant_id, Prediction.actual_price.is_not(None))
        .order_by(Prediction.created_at)
    )
    return rows.all()


async def project_type_named(session: AsyncSession, tenant_id: int, name: str) -> str | None:
    """The tenant's spelling of a project type: its catalog's, else its projects'."""
    found = match_catalog(name, [t.name for t in await project_types(session, tenant_id)])
    return found or match_catalog(name, await known_project_types(session, tenant_id))


async def known_project_types(session: AsyncSession, tenant_id: int) -> list[str]:
    """The tenant's catalog types and every type its projects use."""
    used = await session.scalars(
        select(Project.project_type).where(Project.tenant_id == tenant_id).distinct()
    )
    names = [t.name for t in await project_types(session, tenant_id)]
    return names + [name for name in used.all() if name not in names]
