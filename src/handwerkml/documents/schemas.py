"""Request and response shapes of /api/v1/documents (the seed system's names kept)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field, model_validator

from handwerkml.jobs.schemas import JobRead
from handwerkml.kit.schemas import DbId, ReadSchema, Schema

DocumentStatus = Literal["pending", "processing", "completed", "failed"]


class DocumentRead(ReadSchema):
    id: int
    filename: str
    file_type: str
    status: str
    error: str | None = Field(description="Why ingestion failed")
    size: int
    sha256: str
    project_id: int | None
    tags: list[str]
    title: str | None
    page_count: int
    chunk_count: int
    ocr_pages: int
    job_id: int | None
    source_path: str | None
    created_at: datetime
    updated_at: datetime


class UploadRead(ReadSchema):
    documents: list[DocumentRead]
    job: JobRead


class SearchFilters(Schema):
    file_type: str | None = Field(default=None, max_length=20, examples=["pdf"])
    project_id: DbId | None = None
    tags: list[str] = Field(default=[], max_length=20)
    created_from: date | None = None
    created_to: date | None = None


class DocumentSearch(Schema):
    query: str = Field(min_length=1, max_length=1000, examples=["Fliesenkleber flexibel"])
    mode: Literal["semantic", "keyword", "hybrid"] = "hybrid"
    top_k: int = Field(default=10, ge=1, le=100)
    filters: SearchFilters = SearchFilters()
    # The seed system's paging of results.
    skip: int = Field(default=0, ge=0, le=1000)
    limit: int | None = Field(default=None, ge=1, le=100, description="Default: top_k")

    @model_validator(mode="after")
    def _dates(self) -> DocumentSearch:
        low, high = self.filters.created_from, self.filters.created_to
        if low is not None and high is not None and low > high:
            raise ValueError("created_from must not be after created_to")
        return self


class DocumentHit(ReadSchema):
    id: int = Field(description="The document's id")
    filename: str
    file_type: str
    status: str
    searchable_text: str = Field(description="The matching chunk's text")
    highlight: str = Field(description="The chunk, HTML-escaped, matches in <mark>")
    chunk_id: int
    page: int
    page_to: int
    heading: str
    score: float
    project_id: int | None
    tags: list[str]


class DocumentSearchRead(ReadSchema):
    query: str
    mode: str
    results: list[DocumentHit]
    total_count: int
    search_time_ms: float


class FolderIngest(Schema):
    path: str = Field(min_length=1, max_length=1000, description="Under an ingestion root")
    include: list[str] = Field(default=["*"], max_length=50, examples=[["*.pdf", "*.docx"]])
    exclude: list[str] = Field(default=[], max_length=50)
    project_id: DbId | None = None
    tags: list[str] = Field(default=[], max_length=20)
