"""/api/v1/documents: upload, list, show, download, delete, search."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, Response, UploadFile, status

from handwerkml.auth.deps import requires
from handwerkml.auth.permissions import Permission
from handwerkml.auth.principal import Principal
from handwerkml.config import Settings
from handwerkml.documents import service
from handwerkml.documents.schemas import (
    DocumentRead,
    DocumentSearch,
    DocumentSearchRead,
    FolderIngest,
    UploadRead,
)
from handwerkml.jobs.endpoints import WAKES_WORKERS
from handwerkml.jobs.schemas import JobRead, job_read
from handwerkml.kit.deps import ResourcesDep, SessionDep, SettingsDep
from handwerkml.kit.downloads import attachment
from handwerkml.kit.pagination import PageDep, set_total
from handwerkml.kit.schemas import IdPath

router = APIRouter(prefix="/api/v1/documents", tags=["documents"])

Reader = Annotated[Principal, requires(Permission.documents_read)]
Writer = Annotated[Principal, requires(Permission.documents_write)]

MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "tiff": "image/tiff",
    "html": "text/html; charset=utf-8",
    "markdown": "text/markdown; charset=utf-8",
    "text": "text/plain; charset=utf-8",
    "gaeb": "application/xml",
}


async def _read(upload: UploadFile, settings: Settings) -> service.Upload:
    # One byte past the limit is enough to know it is too large.
    data = await upload.read(settings.document_max_bytes + 1)
    return service.Upload(filename=upload.filename or "", data=data)


@router.post(
    "",
    response_model=UploadRead,
    status_code=status.HTTP_201_CREATED,
    dependencies=WAKES_WORKERS,
)
async def upload_documents(
    principal: Writer,
    session: SessionDep,
    settings: SettingsDep,
    files: Annotated[list[UploadFile], File(description="One or more files")],
    project_id: Annotated[int | None, Form(ge=1, le=2_147_483_647)] = None,
    tags: Annotated[list[str] | None, Form(max_length=20)] = None,
) -> UploadRead:
    """Store the files and start their ingestion; answers at once with the job."""
    uploads = [await _read(upload, settings) for upload in files]
    documents, job = await service.add_documents(
        session, settings, principal.tenant_id, uploads, project_id=project_id, tags=tags or ()
    )
    return UploadRead(
        documents=[DocumentRead.model_validate(d) for d in documents], job=job_read(job)
    )


@router.post(
    "/upload",
    response_model=DocumentRead,
    status_code=status.HTTP_201_CREATED,
    dependencies=WAKES_WORKERS,
)
async def upload_document(
    principal: Writer,
    session: SessionDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="The seed system's single-file upload")],
) -> DocumentRead:
    documents, _ = await service.add_documents(
        session, settings, principal.tenant_id, [await _read(file, settings)]
    )
    return DocumentRead.model_validate(documents[0])


@router.get("", response_model=list[DocumentRead])
async def list_documents(
    principal: Reader,
    session: SessionDep,
    page: PageDep,
    response: Response,
    status_: Annotated[
        Literal["pending", "processing", "completed", "failed"] | None, Query(alias="status")
    ] = None,
) -> list[DocumentRead]:
    documents, total = await service.list_documents(
        session, principal.tenant_id, status=status_, skip=page.skip, limit=page.limit
    )
    set_total(response, total)
    return [DocumentRead.model_validate(d) for d in documents]


@router.post("/search", response_model=DocumentSearchRead)
async def search_documents(
    body: DocumentSearch, principal: Reader, session: SessionDep, resources: ResourcesDep
) -> DocumentSearchRead:
    """Hybrid (default), semantic or keyword search over the tenant's document chunks."""
    return await service.search(session, resources.vectors, principal.tenant_id, body)


@router.post(
    "/folders",
    response_model=JobRead,
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=WAKES_WORKERS,
)
async def ingest_folder(
    body: FolderIngest, principal: Writer, session: SessionDep, settings: SettingsDep
) -> JobRead:
    """Index a server directory under HANDWERKML_INGEST_ROOTS; re-runs skip unchanged
    files, re-ingest changed ones and remove documents whose files are gone."""
    return job_read(await service.ingest_folder(session, settings, principal.tenant_id, body))


@router.get("/{document_id}", response_model=DocumentRead)
async def get_document(document_id: IdPath, principal: Reader, session: SessionDep) -> DocumentRead:
    return DocumentRead.model_validate(
        await service.get_document(session, principal.tenant_id, document_id)
    )


@router.get("/{document_id}/content", response_class=Response)
async def document_content(
    document_id: IdPath, principal: Reader, session: SessionDep, settings: SettingsDep
) -> Response:
    """The original file, as uploaded."""
    document, data = await service.document_content(
        session, settings, principal.tenant_id, document_id
    )
    return Response(
        content=data,
        media_type=MEDIA_TYPES.get(document.file_type, "application/octet-stream"),
        headers={"Content-Disposition": attachment(document.filename)},
    )


@router.delete("/{document_id}", status_code=status.HTTP_204_NO_CONTENT, dependencies=WAKES_WORKERS)
async def delete_document(
    document_id: IdPath, principal: Writer, session: SessionDep, settings: SettingsDep
) -> None:
    await service.delete_document(session, settings, principal.tenant_id, document_id)
