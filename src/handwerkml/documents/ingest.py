"""Ingesting documents: the `documents.ingest` job kind and the "chunk" source.

One item is one document: extract (per page, OCR where a page has no text
layer) → chunk (structure-aware, in tokens of the embedding model) → embed in
batches through the cache → write chunks, keyword rows and vectors in the
item's transaction. A crash anywhere leaves the document as it was before the
item; the retry starts it again, and the chunks it had embedded already come
from the cache. Re-ingesting replaces the document's chunks; unchanged chunk
texts are never embedded twice.

A file that cannot be read (encrypted, corrupt, a ZIP bomb, no text) fails its
item at once, without retries, with the reason on the document and the item.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.config import Settings
from handwerkml.db.models import Document, DocumentChunk, StoredFile
from handwerkml.db.upsert import dialect_insert
from handwerkml.documents.chunking import Chunk, chunk_document
from handwerkml.documents.extract import (
    ExtractedDocument,
    ExtractionError,
    ExtractOptions,
    extract,
)
from handwerkml.documents.keywords import index_text, tenant_term
from handwerkml.documents.storage import FileStore
from handwerkml.jobs.kinds import (
    Item,
    ItemOutcome,
    ItemRejected,
    ItemSpec,
    JobContext,
    JobKind,
    register,
)
from handwerkml.kit.time import utcnow
from handwerkml.vectors.base import Metadata, Scalar
from handwerkml.vectors.index import Prepared, Source, VectorIndex, Written
from handwerkml.vectors.sources import register_source

SOURCE = "chunk"
# Rough chunks per byte of file, for the quota check before anything is read.
_BYTES_PER_CHUNK = 3_000


def estimate_chunks(sizes: Sequence[int]) -> int:
    return sum(max(1, size // _BYTES_PER_CHUNK) for size in sizes)


def file_store(settings: Settings) -> FileStore:
    return FileStore(settings.data_dir / "files")


async def store_file(
    session: AsyncSession, settings: Settings, tenant_id: int, data: bytes, file_type: str
) -> str:
    """Keep the bytes once per tenant (by SHA-256) and record them; the digest."""
    # The write ends with an fsync, which can wait long on a disk that others write to.
    digest = await asyncio.to_thread(file_store(settings).put, tenant_id, data)
    insert = dialect_insert(session, StoredFile).values(
        tenant_id=tenant_id, sha256=digest, size=len(data), file_type=file_type, created_at=utcnow()
    )
    await session.execute(insert.on_conflict_do_nothing())
    return digest


class IngestParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document_ids: list[int] = Field(min_length=1, max_length=100_000)
    estimated_chunks: int = Field(default=0, ge=0)


@register
class IngestDocuments(JobKind[IngestParams]):
    name = "documents.ingest"
    params = IngestParams

    def estimate_units(self, params: IngestParams) -> int:
        return params.estimated_chunks

    async def plan(self, ctx: JobContext, params: IngestParams) -> Iterable[ItemSpec]:
        selected = (Document.tenant_id == ctx.tenant_id, Document.id.in_(params.document_ids))
        rows = (
            await ctx.session.execute(
                select(Document.id, Document.filename).where(*selected).order_by(Document.id)
            )
        ).all()
        await ctx.session.execute(update(Document).where(*selected).values(status="processing"))
        return [
            ItemSpec(label=filename, payload={"document_id": document_id}, stage="ingest")
            for document_id, filename in rows
        ]

    async def run_item(self, ctx: JobContext, params: IngestParams, item: Item) -> ItemOutcome:
        if ctx.tenant_id is None:
            raise ValueError("documents.ingest belongs to a tenant")
        document = await ctx.session.get(Document, int(item.payload["document_id"]))
        if document is None or document.tenant_id != ctx.tenant_id:
            return ItemOutcome(result={"skipped": "the document was deleted"})
        data = file_store(ctx.settings).read(document.tenant_id, document.sha256)
        reading = await read_document(ctx.settings, ctx.resources.vectors, data, document.file_type)
        return await store_reading(ctx, document, reading)

    async def item_failed(
        self, ctx: JobContext, params: IngestParams, item: Item, reason: str
    ) -> None:
        document = await ctx.session.get(Document, int(item.payload["document_id"]))
        if document is not None and document.tenant_id == ctx.tenant_id:
            document.status, document.error = "failed", reason


@dataclass(frozen=True, slots=True)
class Reading:
    """A file read, chunked and embedded: everything slow, done before any write."""

    chunks: list[Chunk]
    # Each chunk's keyword form (documents/keywords.py), without the tenant's term.
    keywords: list[str]
    prepared: Prepared
    page_count: int
    ocr_pages: int
    title: str | None


async def read_document(
    settings: Settings, index: VectorIndex, data: bytes, file_type: str
) -> Reading:
    """Extract, chunk and embed. No database writes: on SQLite the first write of
    the item takes the only write lock, which must not be held through OCR and
    inference. The CPU work runs off the event loop, which the process's requests
    share with its job workers."""
    options = ExtractOptions(ocr_languages=settings.ocr_languages, ocr_dpi=settings.ocr_dpi)
    collection = await index.active()
    count_tokens = index.embedder(collection).token_counter()

    def read() -> tuple[ExtractedDocument, list[Chunk], list[str]]:
        extracted = extract(data, file_type, options)
        chunks = chunk_document(
            extracted.pages,
            count_tokens=count_tokens,
            size=settings.chunk_tokens,
            overlap=settings.chunk_overlap_tokens,
        )
        return extracted, chunks, [index_text(chunk.embedding_text) for chunk in chunks]

    try:
        extracted, chunks, keywords = await asyncio.to_thread(read)
    except ExtractionError as error:
        raise ItemRejected(str(error)) from error
    return Reading(
        chunks=chunks,
        keywords=keywords,
        # The heading path in front: "Leistungsverzeichnis > Erdarbeiten: Aushub …".
        prepared=await index.prepare([chunk.embedding_text for chunk in chunks]),
        page_count=len(extracted.pages),
        ocr_pages=sum(page.ocr for page in extracted.pages),
        title=(extracted.title or "")[:500] or None,
    )


async def store_reading(ctx: JobContext, document: Document, reading: Reading) -> ItemOutcome:
    """Replace the document's chunks and their vectors, in the item's transaction;
    the vectors reach the store after the commit."""
    session, index = ctx.session, ctx.resources.vectors
    old = list(
        (
            await session.scalars(
                select(DocumentChunk.id).where(DocumentChunk.document_id == document.id)
            )
        ).all()
    )
    removed = await index.remove(session, document.tenant_id, SOURCE, old)
    await session.execute(delete(DocumentChunk).where(DocumentChunk.document_id == document.id))
    rows = [
        DocumentChunk(
            tenant_id=document.tenant_id,
            document_id=document.id,
            seq=chunk.seq,
            page_from=chunk.page_from,
            page_to=chunk.page_to,
            heading=chunk.heading,
            text=chunk.text,
            keyword_text=f"{tenant_term(document.tenant_id)} {keywords}",
            token_count=chunk.tokens,
        )
        for chunk, keywords in zip(reading.chunks, reading.keywords, strict=True)
    ]
    session.add_all(rows)
    await session.flush()
    written = await index.stage(
        session,
        document.tenant_id,
        SOURCE,
        [row.id for row in rows],
        [chunk_metadata(document, row) for row in rows],
        reading.prepared,
    )
    document.page_count, document.ocr_pages = reading.page_count, reading.ocr_pages
    document.title, document.chunk_count = reading.title, len(rows)
    document.status, document.error = "completed", None
    changes = Written.merged(removed, written)

    async def apply() -> None:
        await index.apply(changes)

    ctx.after_commit.append(apply)
    return ItemOutcome(
        result={"chunks": len(rows), "pages": reading.page_count, "ocr_pages": reading.ocr_pages},
        units=len(rows),
    )


def chunk_metadata(document: Document, chunk: DocumentChunk) -> Metadata:
    """What a document search may filter on inside the vector query."""
    metadata: dict[str, Scalar] = {
        "source": SOURCE,
        "document_id": document.id,
        "file_type": document.file_type,
        "page": chunk.page_from,
        "created": document.created_at.astimezone(UTC).timestamp(),
    }
    if document.project_id is not None:
        metadata["project_id"] = document.project_id
    for tag in document.tags:
        metadata[f"tag:{tag}"] = True
    return metadata


@register_source(SOURCE)
async def load_chunks(session: AsyncSession, tenant_id: int, ids: Sequence[int]) -> list[Source]:
    rows = await session.execute(
        select(DocumentChunk, Document)
        .join(Document, Document.id == DocumentChunk.document_id)
        .where(DocumentChunk.tenant_id == tenant_id, DocumentChunk.id.in_(ids))
        .order_by(DocumentChunk.id)
    )
    return [
        # What ingestion embedded (Chunk.embedding_text): the heading path, then the text.
        Source(
            chunk.id,
            f"{chunk.heading}\n{chunk.text}" if chunk.heading else chunk.text,
            chunk_metadata(document, chunk),
        )
        for chunk, document in rows.all()
    ]
