"""Similar past projects: embed the question, search the tenant's project vectors.

The index answers with record ids and scores; the projects themselves are read
from the database, so a result always shows current data, and a project
deleted a moment ago (its vector not yet removed) is simply left out.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.db.models import Project, VectorRecord
from handwerkml.embeddings.base import Embeddings
from handwerkml.projects.service import get_project
from handwerkml.similarity.projects import SOURCE, load_projects
from handwerkml.similarity.schemas import (
    BatchSimilarRequest,
    BatchSimilarResponse,
    CacheStats,
    CollectionStats,
    FindSimilarRequest,
    FindSimilarResponse,
    SimilarityFilters,
    SimilarityStats,
    SimilarProject,
)
from handwerkml.vectors.base import Condition, Range, SearchFilter
from handwerkml.vectors.index import Collection, VectorIndex, record_id


def _filter(tenant_id: int, filters: SimilarityFilters) -> SearchFilter:
    where: dict[str, Condition] = {"source": SOURCE}
    if filters.project_type:
        where["project_type"] = filters.project_type
    if filters.region:
        where["region"] = filters.region
    if filters.min_price is not None or filters.max_price is not None:
        where["final_price"] = Range(
            float(filters.min_price) if filters.min_price is not None else None,
            float(filters.max_price) if filters.max_price is not None else None,
        )
    return SearchFilter(tenant_id, where)


async def find_similar(
    session: AsyncSession, index: VectorIndex, tenant_id: int, request: FindSimilarRequest
) -> FindSimilarResponse:
    started = time.perf_counter()
    collection = await index.active()
    exclude: int | None = None
    if request.project_id is not None:
        project = await get_project(session, tenant_id, request.project_id)
        exclude, query = project.id, project.name
        vector = await index.stored_vector(collection, tenant_id, record_id(SOURCE, project.id))
        if vector is None:  # created a moment ago, its sync job has not run yet
            (source,) = await load_projects(session, tenant_id, [project.id])
            vector = await index.embed(collection, [source.text])
    else:
        assert request.query is not None  # the schema requires one of the two
        query = request.query
        vector = await index.embed(collection, [query], "query")
    results = await _search(
        session,
        index,
        collection,
        vector,
        _filter(tenant_id, request),
        top_k=request.top_k,
        threshold=request.threshold,
        exclude=exclude,
    )
    return _response(query, results, collection, started)


async def batch_similar(
    session: AsyncSession, index: VectorIndex, tenant_id: int, request: BatchSimilarRequest
) -> BatchSimilarResponse:
    started = time.perf_counter()
    collection = await index.active()
    vectors = await index.embed(collection, request.queries, "query")
    search_filter = _filter(tenant_id, request)
    responses = []
    for position, query in enumerate(request.queries):
        one_started = time.perf_counter()
        results = await _search(
            session,
            index,
            collection,
            vectors.row(position),
            search_filter,
            top_k=request.top_k,
            threshold=request.threshold,
        )
        responses.append(_response(query, results, collection, one_started))
    return BatchSimilarResponse(
        results=responses,
        total_queries=len(responses),
        search_time_ms=_ms_since(started),
    )


async def _search(
    session: AsyncSession,
    index: VectorIndex,
    collection: Collection,
    vector: Embeddings,
    search_filter: SearchFilter,
    *,
    top_k: int,
    threshold: float,
    exclude: int | None = None,
) -> list[SimilarProject]:
    k = top_k + (1 if exclude is not None else 0)
    hits = await index.search(collection, vector, search_filter, k=k)
    scores: dict[int, float] = {}
    for hit in hits:
        project_id = int(hit.id.removeprefix(f"{SOURCE}:"))
        if hit.score >= threshold and project_id != exclude:
            scores[project_id] = hit.score
    projects = await _projects(session, search_filter.tenant_id, list(scores))
    ranked = sorted(projects, key=lambda p: -scores[p.id])[:top_k]
    return [
        SimilarProject(
            id=p.id,
            name=p.name,
            project_type=p.project_type,
            similarity_score=round(scores[p.id], 4),
            final_price=p.final_price,
            region=p.region,
            total_area_sqm=p.total_area_sqm,
            status=p.status,
            project_date=p.project_date,
            description=p.description,
        )
        for p in ranked
    ]


async def _projects(session: AsyncSession, tenant_id: int, ids: Sequence[int]) -> list[Project]:
    if not ids:
        return []
    rows = await session.scalars(
        select(Project).where(Project.tenant_id == tenant_id, Project.id.in_(ids))
    )
    return list(rows.all())


def _response(
    query: str, results: list[SimilarProject], collection: Collection, started: float
) -> FindSimilarResponse:
    return FindSimilarResponse(
        query=query,
        results=results,
        total_count=len(results),
        search_time_ms=_ms_since(started),
        model_id=collection.space.model_id,
    )


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


async def stats(session: AsyncSession, index: VectorIndex, tenant_id: int) -> SimilarityStats:
    active = await index.active()
    rows = await session.execute(
        select(VectorRecord.collection, func.count())
        .where(VectorRecord.tenant_id == tenant_id, VectorRecord.deleted.is_(False))
        .group_by(VectorRecord.collection)
    )
    counts: dict[str, int] = {}
    for name, count in rows.all():
        counts[name] = int(count)
    pending = await session.scalar(
        select(func.count())
        .select_from(VectorRecord)
        .where(
            VectorRecord.collection == active.name,
            VectorRecord.tenant_id == tenant_id,
            VectorRecord.indexed.is_(False),
        )
    )
    store = await index.store(active)
    hits, misses = index.cache_counts()
    return SimilarityStats(
        backend=index.settings.vector_backend,
        active_collection=active.name,
        collections=[
            CollectionStats(
                name=c.name,
                model_id=c.space.model_id,
                dimension=c.space.dimension,
                status=c.status,
                vectors=int(counts.get(c.name, 0)),
            )
            for c in await index.collections()
        ],
        index_size=await store.count(tenant_id),
        pending=int(pending or 0),
        cache=CacheStats(
            hits=hits,
            misses=misses,
            hit_rate=round(hits / (hits + misses), 4) if hits + misses else None,
        ),
    )
