"""/api/v1/similarity: the seed system's "find similar past projects" endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from handwerkml.auth.deps import requires
from handwerkml.auth.permissions import Permission
from handwerkml.auth.principal import Principal
from handwerkml.kit.deps import ResourcesDep, SessionDep
from handwerkml.similarity import service
from handwerkml.similarity.schemas import (
    BatchSimilarRequest,
    BatchSimilarResponse,
    FindSimilarRequest,
    FindSimilarResponse,
    SimilarityStats,
)

router = APIRouter(prefix="/api/v1/similarity", tags=["similarity"])

Reader = Annotated[Principal, requires(Permission.projects_read)]


@router.post("/find-similar", response_model=FindSimilarResponse)
async def find_similar(
    body: FindSimilarRequest, principal: Reader, session: SessionDep, resources: ResourcesDep
) -> FindSimilarResponse:
    """Past projects most like a description (`query`) or an existing project
    (`project_id`), best first, optionally filtered by type, region and price."""
    return await service.find_similar(session, resources.vectors, principal.tenant_id, body)


@router.post("/batch-similar", response_model=BatchSimilarResponse)
async def batch_similar(
    body: BatchSimilarRequest, principal: Reader, session: SessionDep, resources: ResourcesDep
) -> BatchSimilarResponse:
    """Several descriptions at once: one model call for all of them."""
    return await service.batch_similar(session, resources.vectors, principal.tenant_id, body)


@router.get("/stats", response_model=SimilarityStats)
async def similarity_stats(
    principal: Reader, session: SessionDep, resources: ResourcesDep
) -> SimilarityStats:
    """Vectors per collection (model), index size, backend and embedding cache hit rate."""
    return await service.stats(session, resources.vectors, principal.tenant_id)
