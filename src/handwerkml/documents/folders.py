"""Folder ingestion (the seed's repository indexer): the `documents.folder` job kind.

A run walks a directory the server can read, under one of the configured
ingestion roots, and gives every matching file an item: a file seen before with
the same bytes is skipped (by content hash, so a touched but unchanged file
costs one read), a changed one is ingested again (its unchanged chunks come
from the embedding cache), a new one gets a document. A last item removes the
documents whose files are gone. Paths are resolved before use, so neither
`..` nor a symbolic link leads a run outside its root.
"""

from __future__ import annotations

import asyncio
import fnmatch
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.config import Settings
from handwerkml.db.models import Document, DocumentChunk
from handwerkml.documents.extract import ExtractionError, detect
from handwerkml.documents.ingest import SOURCE, read_document, store_file, store_reading
from handwerkml.documents.storage import sha256_of
from handwerkml.jobs.kinds import (
    Item,
    ItemOutcome,
    ItemRejected,
    ItemSpec,
    JobContext,
    JobKind,
    register,
)
from handwerkml.kit.errors import Unprocessable
from handwerkml.vectors.index import Written

_MISSING = "remove missing"


class FolderParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(min_length=1, max_length=1000)
    include: list[str] = Field(default=["*"], max_length=50)
    exclude: list[str] = Field(default=[], max_length=50)
    project_id: int | None = None
    tags: list[str] = Field(default=[], max_length=20)
    estimated_chunks: int = Field(default=0, ge=0)


def resolve_folder(settings: Settings, path: str) -> Path:
    """The real directory `path` names, if it lies under an ingestion root."""
    if not settings.ingest_roots:
        raise Unprocessable(
            "folder ingestion is off: no HANDWERKML_INGEST_ROOTS configured", loc=("body", "path")
        )
    folder = Path(path).expanduser().resolve()
    if not any(_within(folder, root.expanduser().resolve()) for root in settings.ingest_roots):
        roots = ", ".join(str(root) for root in settings.ingest_roots)
        raise Unprocessable(
            f"{path} is outside the ingestion roots ({roots})", loc=("body", "path")
        )
    if not folder.is_dir():
        raise Unprocessable(f"{path} is not a directory on the server", loc=("body", "path"))
    return folder


def _within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def matching_files(folder: Path, include: Sequence[str], exclude: Sequence[str]) -> list[Path]:
    """Regular files under `folder` (real paths, inside it) matching the patterns,
    which apply to the path relative to the folder and to the bare file name."""
    found = []
    for directory, _, names in os.walk(folder):
        for name in names:
            path = Path(directory, name)
            relative = path.relative_to(folder).as_posix()

            def matches(
                patterns: Sequence[str], relative: str = relative, name: str = name
            ) -> bool:
                return any(
                    fnmatch.fnmatch(relative, p) or fnmatch.fnmatch(name, p) for p in patterns
                )

            if not matches(include) or matches(exclude):
                continue
            real = path.resolve()
            if _within(real, folder) and real.is_file():
                found.append(real)
    return sorted(set(found))


def _matches(patterns: Sequence[str], relative: str, name: str) -> bool:
    return any(fnmatch.fnmatch(relative, p) or fnmatch.fnmatch(name, p) for p in patterns)


@register
class IngestFolder(JobKind[FolderParams]):
    name = "documents.folder"
    params = FolderParams

    def estimate_units(self, params: FolderParams) -> int:
        return params.estimated_chunks

    async def plan(self, ctx: JobContext, params: FolderParams) -> Iterable[ItemSpec]:
        folder = resolve_folder(ctx.settings, params.path)
        files = matching_files(folder, params.include, params.exclude)
        present = {str(path) for path in files}
        known = await ctx.session.execute(
            select(Document.id, Document.source_path).where(
                Document.tenant_id == ctx.tenant_id, Document.source_path.is_not(None)
            )
        )
        missing = [
            document_id
            for document_id, source_path in known.all()
            if source_path and _within(Path(source_path), folder) and source_path not in present
        ]
        specs = [
            ItemSpec(
                label=str(path.relative_to(folder)), payload={"path": str(path)}, stage="files"
            )
            for path in files
        ]
        specs.append(ItemSpec(label=_MISSING, payload={"document_ids": missing}, stage="cleanup"))
        return specs

    async def run_item(self, ctx: JobContext, params: FolderParams, item: Item) -> ItemOutcome:
        if ctx.tenant_id is None:
            raise ValueError("documents.folder belongs to a tenant")
        if item.label == _MISSING:
            return await _remove(ctx, list(item.payload["document_ids"]))
        return await _ingest_file(ctx, params, Path(item.payload["path"]))

    async def item_failed(
        self, ctx: JobContext, params: FolderParams, item: Item, reason: str
    ) -> None:
        path = item.payload.get("path")
        if path is None or ctx.tenant_id is None:
            return
        document = await _by_path(ctx.session, ctx.tenant_id, path)
        if document is not None:
            document.status, document.error = "failed", reason


def _read_inside(path: Path, folder: Path) -> bytes:
    if not _within(path.resolve(), folder):
        raise PermissionError(f"{path} left the folder since the run began")
    return path.read_bytes()


async def _by_path(session: AsyncSession, tenant_id: int, path: str) -> Document | None:
    return await session.scalar(
        select(Document).where(Document.tenant_id == tenant_id, Document.source_path == path)
    )


async def _ingest_file(ctx: JobContext, params: FolderParams, path: Path) -> ItemOutcome:
    assert ctx.tenant_id is not None
    folder = resolve_folder(ctx.settings, params.path)
    try:
        data = await asyncio.to_thread(_read_inside, path, folder)
    except OSError as error:
        raise ItemRejected(f"cannot read {path.name}: {error.strerror or error}") from error
    if not data:
        raise ItemRejected(f"{path.name} is empty (0 bytes)")
    if len(data) > ctx.settings.document_max_bytes:
        raise ItemRejected(f"{path.name} is larger than the upload limit")
    digest = sha256_of(data)
    document = await _by_path(ctx.session, ctx.tenant_id, str(path))
    if document is not None and document.sha256 == digest and document.status == "completed":
        return ItemOutcome(result={"unchanged": True})
    try:
        file_type = str(detect(data, path.name))
    except ExtractionError as error:
        raise ItemRejected(f"{path.name}: {error}") from error
    reading = await read_document(ctx.settings, ctx.resources.vectors, data, file_type)
    # The slow part is done; from here on the item writes.
    await store_file(ctx.session, ctx.settings, ctx.tenant_id, data, file_type)
    if document is None:
        document = Document(
            tenant_id=ctx.tenant_id,
            filename=path.name[:255],
            source_path=str(path),
            project_id=params.project_id,
            tags=sorted(set(params.tags)),
        )
        ctx.session.add(document)
    document.sha256, document.size, document.file_type = digest, len(data), file_type
    document.job_id = ctx.job_id
    await ctx.session.flush()
    outcome = await store_reading(ctx, document, reading)
    return ItemOutcome(result={"changed": True, **(outcome.result or {})}, units=outcome.units)


async def _remove(ctx: JobContext, document_ids: list[int]) -> ItemOutcome:
    assert ctx.tenant_id is not None
    if not document_ids:
        return ItemOutcome(result={"removed": 0})
    chunk_ids = list(
        (
            await ctx.session.scalars(
                select(DocumentChunk.id).where(
                    DocumentChunk.tenant_id == ctx.tenant_id,
                    DocumentChunk.document_id.in_(document_ids),
                )
            )
        ).all()
    )
    removed: Written = await ctx.resources.vectors.remove(
        ctx.session, ctx.tenant_id, SOURCE, chunk_ids
    )
    documents = await ctx.session.scalars(
        select(Document).where(Document.tenant_id == ctx.tenant_id, Document.id.in_(document_ids))
    )
    for document in documents:
        await ctx.session.delete(document)

    async def apply() -> None:
        await ctx.resources.vectors.apply(removed)

    ctx.after_commit.append(apply)
    return ItemOutcome(result={"removed": len(document_ids)})
