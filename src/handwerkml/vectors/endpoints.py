"""/api/v1/embeddings: the collections (one per model) and changing the model."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status
from pydantic import Field

from handwerkml.auth.deps import requires
from handwerkml.auth.permissions import Permission
from handwerkml.auth.principal import Principal
from handwerkml.embeddings.models import UnknownModelError, resolve_model_id
from handwerkml.jobs.endpoints import WAKES_WORKERS
from handwerkml.kit.deps import ResourcesDep, SessionDep
from handwerkml.kit.errors import Unprocessable
from handwerkml.kit.schemas import ReadSchema, Schema
from handwerkml.vectors import migration

router = APIRouter(prefix="/api/v1/embeddings", tags=["embeddings"])

Admin = Annotated[Principal, requires(Permission.embeddings_manage)]
CollectionName = Annotated[str, Path(min_length=1, max_length=200)]


class CollectionRead(ReadSchema):
    name: str
    model_id: str
    dimension: int
    status: str


class MigrationCreate(Schema):
    model: str = Field(
        min_length=1,
        max_length=200,
        description="A local model's name (e.g. all-MiniLM-L6-v2) or a full model id",
        examples=["multilingual-e5-small"],
    )


class MigrationRead(ReadSchema):
    collection: str
    job_id: int | None = Field(description="The re-embed job; null when this was a switch back")
    status: str


@router.get("/collections", response_model=list[CollectionRead])
async def list_collections(principal: Admin, resources: ResourcesDep) -> list[CollectionRead]:
    await resources.vectors.active()
    return [
        CollectionRead(
            name=c.name, model_id=c.space.model_id, dimension=c.space.dimension, status=c.status
        )
        for c in await resources.vectors.collections()
    ]


@router.post(
    "/migrations",
    response_model=MigrationRead,
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=WAKES_WORKERS,
)
async def start_migration(
    body: MigrationCreate, principal: Admin, session: SessionDep, resources: ResourcesDep
) -> MigrationRead:
    """Re-embed everything with another model; searches switch when it is complete."""
    try:
        model_id = resolve_model_id(body.model)
        job = await migration.start_migration(session, resources.vectors, model_id)
    except (UnknownModelError, RuntimeError) as error:
        raise Unprocessable(str(error), loc=("body", "model")) from error
    name = resources.vectors.collection_for(model_id)
    return MigrationRead(
        collection=name, job_id=job.id if job else None, status="building" if job else "active"
    )


@router.post("/collections/{name}/activate", response_model=CollectionRead)
async def activate_collection(
    name: CollectionName, principal: Admin, session: SessionDep
) -> CollectionRead:
    """Switch searches to a standby collection (undo a migration)."""
    row = await migration.activate(session, name)
    return CollectionRead(
        name=row.name, model_id=row.model_id, dimension=row.dimension, status=row.status
    )
