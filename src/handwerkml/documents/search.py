"""Document search: vectors, keywords, or both fused by reciprocal rank.

Semantic search asks the vector index (tenant and filters inside its query);
keyword search asks the database's full-text index — SQLite FTS5 in the
embedded default, a PostgreSQL tsvector when scaled out — over the chunks'
keyword form (folded umlauts, compound parts: documents/keywords.py). Hybrid
takes both rankings and fuses them (documents/fusion.py), so a part number or
a rare compound found only by keywords still ranks, and a paraphrase found only
by meaning too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, Literal

from sqlalchemy import ColumnElement, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.db.models import Document, DocumentChunk
from handwerkml.documents.fusion import rrf
from handwerkml.documents.ingest import SOURCE
from handwerkml.documents.keywords import fts5_match, tenant_term, tsquery
from handwerkml.vectors.base import Condition, Range, SearchFilter
from handwerkml.vectors.index import VectorIndex

Mode = Literal["semantic", "keyword", "hybrid"]
# Each ranking fused is this many times deeper than the page asked for.
_DEPTH = 4


@dataclass(frozen=True, slots=True)
class DocumentFilters:
    file_type: str | None = None
    project_id: int | None = None
    tags: tuple[str, ...] = ()
    created_from: date | None = None
    created_to: date | None = None


@dataclass(frozen=True, slots=True)
class ChunkHit:
    chunk: DocumentChunk
    document: Document
    score: float


async def search_chunks(
    session: AsyncSession,
    index: VectorIndex,
    tenant_id: int,
    query: str,
    filters: DocumentFilters,
    *,
    mode: Mode,
    limit: int,
) -> list[ChunkHit]:
    depth = max(limit * _DEPTH, 20)
    # Hybrid runs the two rankings at once: the query embedding takes one core
    # (providers/local.py) and the keyword query the other. While the model spread one
    # text over both cores, running them at once only made them fight (docs/ingestion.md).
    ordered: list[tuple[int, float]]
    if mode == "semantic":
        ordered = await _semantic(index, tenant_id, query, filters, depth)
    elif mode == "keyword":
        ordered = await _keyword(session, tenant_id, query, filters, depth)
    else:
        rankings = await asyncio.gather(
            _semantic(index, tenant_id, query, filters, depth),
            _keyword(session, tenant_id, query, filters, depth),
        )
        fused = rrf([[str(chunk_id) for chunk_id, _ in ranking] for ranking in rankings])
        ordered = [(int(key), score) for key, score in fused]
    return await _load(session, tenant_id, ordered[:limit], filters)


async def _semantic(
    index: VectorIndex, tenant_id: int, query: str, filters: DocumentFilters, k: int
) -> list[tuple[int, float]]:
    where: dict[str, Condition] = {"source": SOURCE}
    if filters.file_type:
        where["file_type"] = filters.file_type
    if filters.project_id is not None:
        where["project_id"] = filters.project_id
    for tag in filters.tags:
        where[f"tag:{tag}"] = True
    if filters.created_from or filters.created_to:
        where["created"] = Range(
            _timestamp(filters.created_from, time.min),
            _timestamp(filters.created_to, time.max),
        )
    collection = await index.active()
    vector = await index.embed(collection, [query], "query")
    hits = await index.search(collection, vector, SearchFilter(tenant_id, where), k=k)
    return [(int(hit.id.removeprefix(f"{SOURCE}:")), hit.score) for hit in hits]


def _timestamp(day: date | None, at: time) -> float | None:
    if day is None:
        return None
    return datetime.combine(day, at, tzinfo=UTC).timestamp()


async def _keyword(
    session: AsyncSession, tenant_id: int, query: str, filters: DocumentFilters, k: int
) -> list[tuple[int, float]]:
    """All query words first; only when that finds fewer than k chunks, any word.

    Ranking is the expensive part (BM25 over every match), so the index ranks and
    cuts before anything is joined; the other filters thin what it returns.
    """
    found: list[tuple[int, float]] = []
    for match in ("all", "any"):
        found = await _keyword_match(session, tenant_id, query, filters, k, match)
        if len(found) >= k:
            break
    return found


async def _keyword_match(
    session: AsyncSession,
    tenant_id: int,
    query: str,
    filters: DocumentFilters,
    k: int,
    match: Literal["all", "any"],
) -> list[tuple[int, float]]:
    conditions = " ".join(f"AND {clause}" for clause in _sql_filters(filters))
    # Filters applied after the index's cut need a deeper cut to keep k.
    deep = k * 10 if conditions else k
    params: dict[str, Any] = {"tenant": tenant_id, "k": k, "deep": deep} | _sql_params(filters)
    tenant = tenant_term(tenant_id)
    if session.get_bind().dialect.name == "postgresql":
        expression = tsquery(query, match)
        if not expression:
            return []
        statement = text(
            "SELECT c.id, ts_rank(c.keyword_tsv, q) AS score "
            "FROM document_chunks c JOIN documents d ON d.id = c.document_id, "
            "to_tsquery('simple', :q) AS q "
            f"WHERE c.tenant_id = :tenant AND c.keyword_tsv @@ q {conditions} "
            "ORDER BY score DESC, c.id LIMIT :k"
        )
        expression = f"{tenant} & ({expression})"
    else:
        expression = fts5_match(query, match)
        if not expression:
            return []
        # rank is BM25, lower for better matches; negated, so higher is better as elsewhere.
        statement = text(
            "SELECT c.id, -f.rank AS score FROM ("
            "SELECT rowid, rank FROM document_chunks_fts WHERE document_chunks_fts MATCH :q "
            "ORDER BY rank LIMIT :deep) AS f "
            "JOIN document_chunks c ON c.id = f.rowid "
            "JOIN documents d ON d.id = c.document_id "
            f"WHERE c.tenant_id = :tenant {conditions} "
            "ORDER BY f.rank, c.id LIMIT :k"
        )
        expression = f"{tenant} AND ({expression})"
    rows = await session.execute(statement, params | {"q": expression})
    return [(int(chunk_id), float(score)) for chunk_id, score in rows.all()]


def _sql_filters(filters: DocumentFilters) -> list[str]:
    clauses = []
    if filters.file_type:
        clauses.append("d.file_type = :file_type")
    if filters.project_id is not None:
        clauses.append("d.project_id = :project_id")
    if filters.created_from:
        clauses.append("d.created_at >= :created_from")
    if filters.created_to:
        clauses.append("d.created_at <= :created_to")
    return clauses


def _sql_params(filters: DocumentFilters) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if filters.file_type:
        params["file_type"] = filters.file_type
    if filters.project_id is not None:
        params["project_id"] = filters.project_id
    if filters.created_from:
        params["created_from"] = datetime.combine(filters.created_from, time.min, tzinfo=UTC)
    if filters.created_to:
        params["created_to"] = datetime.combine(filters.created_to, time.max, tzinfo=UTC)
    return params


async def _load(
    session: AsyncSession,
    tenant_id: int,
    ranked: Sequence[tuple[int, float]],
    filters: DocumentFilters,
) -> list[ChunkHit]:
    """The chunks and documents of the ranked ids, in rank order; ids whose chunk
    is gone (deleted a moment ago) or that fail a filter the index cannot check
    (tags, in keyword mode) drop out."""
    if not ranked:
        return []
    conditions: list[ColumnElement[bool]] = [
        DocumentChunk.tenant_id == tenant_id,
        DocumentChunk.id.in_([chunk_id for chunk_id, _ in ranked]),
    ]
    rows = await session.execute(
        select(DocumentChunk, Document)
        .join(Document, Document.id == DocumentChunk.document_id)
        .where(*conditions)
    )
    found = {chunk.id: (chunk, document) for chunk, document in rows.all()}
    hits = []
    for chunk_id, score in ranked:
        if chunk_id not in found:
            continue
        chunk, document = found[chunk_id]
        if not set(filters.tags) <= set(document.tags):
            continue
        hits.append(ChunkHit(chunk, document, score))
    return hits
