"""Documents: accept uploads, list and show them, hand out the file, delete, search.

An upload is checked (not empty, under the size limit, a type we read, judged
by the content), its bytes stored once by hash, and its document queued for
ingestion, all in the request; the response does not wait for the ingestion.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.config import Settings
from handwerkml.db.models import Document, DocumentChunk, Job
from handwerkml.documents.extract import UnsupportedDocument, detect
from handwerkml.documents.folders import IngestFolder, matching_files, resolve_folder
from handwerkml.documents.ingest import (
    SOURCE,
    IngestDocuments,
    estimate_chunks,
    file_store,
    store_file,
)
from handwerkml.documents.keywords import highlight
from handwerkml.documents.schemas import (
    DocumentHit,
    DocumentSearch,
    DocumentSearchRead,
    FolderIngest,
)
from handwerkml.documents.search import DocumentFilters, search_chunks
from handwerkml.jobs import service as jobs
from handwerkml.kit.errors import NotFound, PayloadTooLarge, Unprocessable, UnsupportedMediaType
from handwerkml.projects.service import get_project
from handwerkml.vectors.index import VectorIndex
from handwerkml.vectors.sync import schedule_sync


@dataclass(frozen=True, slots=True)
class Upload:
    filename: str
    data: bytes


def check_upload(settings: Settings, upload: Upload) -> str:
    """The detected file type, or a 4xx that names the file and what is wrong."""
    name = upload.filename or "(unnamed)"
    if not upload.data:
        raise Unprocessable(f"{name} is empty (0 bytes)", loc=("body", "file"))
    if len(upload.data) > settings.document_max_bytes:
        limit = settings.document_max_bytes / 1_048_576
        raise PayloadTooLarge(f"{name} is larger than the limit of {limit:g} MB")
    try:
        return str(detect(upload.data, upload.filename))
    except UnsupportedDocument as error:
        raise UnsupportedMediaType(f"{name}: {error}") from error


async def add_documents(
    session: AsyncSession,
    settings: Settings,
    tenant_id: int,
    uploads: Sequence[Upload],
    *,
    project_id: int | None = None,
    tags: Sequence[str] = (),
) -> tuple[list[Document], Job]:
    """Store the files and queue one ingestion job for them (the caller commits)."""
    if not uploads:
        raise Unprocessable("no file in the upload", loc=("body", "files"))
    types = [check_upload(settings, upload) for upload in uploads]
    if project_id is not None:
        await get_project(session, tenant_id, project_id)
    documents = []
    for upload, file_type in zip(uploads, types, strict=True):
        digest = await store_file(session, settings, tenant_id, upload.data, file_type)
        document = Document(
            tenant_id=tenant_id,
            filename=(upload.filename or "upload")[:255],
            file_type=file_type,
            sha256=digest,
            size=len(upload.data),
            status="pending",
            project_id=project_id,
            tags=sorted(set(tags)),
        )
        session.add(document)
        documents.append(document)
    await session.flush()
    job = await queue_ingestion(session, settings, tenant_id, documents)
    return documents, job


async def queue_ingestion(
    session: AsyncSession, settings: Settings, tenant_id: int, documents: Sequence[Document]
) -> Job:
    job = await jobs.submit(
        session,
        settings,
        tenant_id=tenant_id,
        kind=IngestDocuments.name,
        params={
            "document_ids": [document.id for document in documents],
            "estimated_chunks": estimate_chunks([document.size for document in documents]),
        },
        direct=False,
    )
    for document in documents:
        document.job_id, document.status, document.error = job.id, "pending", None
    await session.flush()
    return job


async def list_documents(
    session: AsyncSession, tenant_id: int, *, status: str | None, skip: int, limit: int
) -> tuple[Sequence[Document], int]:
    conditions = [Document.tenant_id == tenant_id]
    if status is not None:
        conditions.append(Document.status == status)
    total = await session.scalar(select(func.count()).select_from(Document).where(*conditions))
    rows = await session.scalars(
        select(Document)
        .where(*conditions)
        .order_by(Document.created_at.desc(), Document.id.desc())
        .offset(skip)
        .limit(limit)
    )
    return rows.all(), total or 0


async def get_document(session: AsyncSession, tenant_id: int, document_id: int) -> Document:
    document = await session.get(Document, document_id)
    if document is None or document.tenant_id != tenant_id:
        raise NotFound("Document", document_id)
    return document


async def document_content(
    session: AsyncSession, settings: Settings, tenant_id: int, document_id: int
) -> tuple[Document, bytes]:
    document = await get_document(session, tenant_id, document_id)
    return document, file_store(settings).read(tenant_id, document.sha256)


async def delete_document(
    session: AsyncSession, settings: Settings, tenant_id: int, document_id: int
) -> None:
    """Delete the document and its chunks; a sync job removes their vectors, and the
    retention job the file once no document refers to it."""
    document = await get_document(session, tenant_id, document_id)
    chunk_ids = list(
        (
            await session.scalars(
                select(DocumentChunk.id).where(DocumentChunk.document_id == document.id)
            )
        ).all()
    )
    await session.delete(document)
    await session.flush()
    if chunk_ids:
        await schedule_sync(session, settings, tenant_id, SOURCE, chunk_ids)


async def search(
    session: AsyncSession, index: VectorIndex, tenant_id: int, request: DocumentSearch
) -> DocumentSearchRead:
    started = time.perf_counter()
    limit = request.limit or request.top_k
    filters = DocumentFilters(
        file_type=request.filters.file_type,
        project_id=request.filters.project_id,
        tags=tuple(request.filters.tags),
        created_from=request.filters.created_from,
        created_to=request.filters.created_to,
    )
    hits = await search_chunks(
        session,
        index,
        tenant_id,
        request.query,
        filters,
        mode=request.mode,
        limit=request.skip + limit,
    )
    page = hits[request.skip : request.skip + limit]
    return DocumentSearchRead(
        query=request.query,
        mode=request.mode,
        results=[
            DocumentHit(
                id=hit.document.id,
                filename=hit.document.filename,
                file_type=hit.document.file_type,
                status=hit.document.status,
                searchable_text=hit.chunk.text,
                highlight=highlight(hit.chunk.text, request.query),
                chunk_id=hit.chunk.id,
                page=hit.chunk.page_from,
                page_to=hit.chunk.page_to,
                heading=hit.chunk.heading,
                score=round(hit.score, 6),
                project_id=hit.document.project_id,
                tags=hit.document.tags,
            )
            for hit in page
        ],
        total_count=len(page),
        search_time_ms=round((time.perf_counter() - started) * 1000, 2),
    )


async def ingest_folder(
    session: AsyncSession, settings: Settings, tenant_id: int, request: FolderIngest
) -> Job:
    """Queue a folder run (422 for a path outside the ingestion roots)."""
    folder = resolve_folder(settings, request.path)
    if request.project_id is not None:
        await get_project(session, tenant_id, request.project_id)
    files = matching_files(folder, request.include, request.exclude)
    return await jobs.submit(
        session,
        settings,
        tenant_id=tenant_id,
        kind=IngestFolder.name,
        params=request.model_dump() | {"estimated_chunks": estimate_chunks(_sizes(files))},
        direct=False,
    )


def _sizes(files: Sequence[Path]) -> list[int]:
    sizes = []
    for path in files:
        try:
            sizes.append(path.stat().st_size)
        except OSError:
            continue  # gone since the walk: its item will say so
    return sizes
