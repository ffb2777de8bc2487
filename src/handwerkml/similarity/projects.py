"""A project as something to embed: its text and the fields searches filter on.

The text is what an estimator would read to judge similarity: name, type,
description, wood and the materials used. Prices and dates are not in the
text (two stairs are alike whatever they cost) but in the metadata, where
filters use them.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from handwerkml.db.models import Project, ProjectMaterial
from handwerkml.vectors.base import Metadata, Scalar
from handwerkml.vectors.index import Source
from handwerkml.vectors.sources import register_source

SOURCE = "project"


def project_text(project: Project) -> str:
    parts = [project.name, project.project_type]
    if project.wood_type:
        parts.append(f"Holz: {project.wood_type}")
    if project.description:
        parts.append(project.description)
    materials = sorted({item.material.name for item in project.materials})
    if materials:
        parts.append("Material: " + ", ".join(materials))
    return ". ".join(part.strip().rstrip(".") for part in parts if part.strip())


def project_metadata(project: Project) -> Metadata:
    metadata: dict[str, Scalar] = {
        "source": SOURCE,
        "project_type": project.project_type,
        "status": project.status,
    }
    if project.region:
        metadata["region"] = project.region
    if project.final_price is not None:
        metadata["final_price"] = float(project.final_price)
    if project.total_area_sqm is not None:
        metadata["total_area_sqm"] = float(project.total_area_sqm)
    return metadata


@register_source(SOURCE)
async def load_projects(session: AsyncSession, tenant_id: int, ids: Sequence[int]) -> list[Source]:
    projects = await session.scalars(
        select(Project)
        .where(Project.tenant_id == tenant_id, Project.id.in_(ids))
        .options(selectinload(Project.materials).selectinload(ProjectMaterial.material))
        .order_by(Project.id)
    )
    return [
        Source(project.id, project_text(project), project_metadata(project)) for project in projects
    ]
