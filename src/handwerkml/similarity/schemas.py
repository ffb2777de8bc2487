"""Request and response shapes of /api/v1/similarity (the seed system's field names)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field, model_validator

from handwerkml.kit.schemas import DbId, Money, Quantity, ReadSchema, Schema

Query = Annotated[str, Field(min_length=1, max_length=2000)]


class SimilarityFilters(Schema):
    project_type: str | None = Field(default=None, max_length=100)
    region: str | None = Field(default=None, max_length=100)
    min_price: Money | None = Field(default=None, description="final_price at least (EUR)")
    max_price: Money | None = Field(default=None, description="final_price at most (EUR)")

    @model_validator(mode="after")
    def _price_range(self) -> SimilarityFilters:
        if (
            self.min_price is not None
            and self.max_price is not None
            and self.min_price > self.max_price
        ):
            raise ValueError("min_price must not exceed max_price")
        return self


class FindSimilarRequest(SimilarityFilters):
    query: Query | None = Field(default=None, examples=["Eichentreppe mit Podest"])
    project_id: DbId | None = Field(default=None, description="Projects like this one")
    top_k: int = Field(default=5, ge=1, le=100)
    threshold: float = Field(default=0.3, ge=-1, le=1, description="Least similarity_score")

    @model_validator(mode="after")
    def _one_subject(self) -> FindSimilarRequest:
        if (self.query is None) == (self.project_id is None):
            raise ValueError("give either query or project_id")
        return self


class BatchSimilarRequest(SimilarityFilters):
    queries: list[Query] = Field(min_length=1, max_length=50)
    top_k: int = Field(default=5, ge=1, le=100)
    threshold: float = Field(default=0.3, ge=-1, le=1)


class SimilarProject(ReadSchema):
    id: int
    name: str
    project_type: str
    similarity_score: float
    final_price: Money | None
    region: str | None
    total_area_sqm: Quantity | None
    status: str
    project_date: date | None
    description: str


class FindSimilarResponse(ReadSchema):
    query: str
    results: list[SimilarProject]
    total_count: int
    search_time_ms: float
    model_id: str


class BatchSimilarResponse(ReadSchema):
    results: list[FindSimilarResponse]
    total_queries: int
    search_time_ms: float


class CollectionStats(ReadSchema):
    name: str
    model_id: str
    dimension: int
    status: str
    vectors: int = Field(description="This tenant's vectors in the collection")


class CacheStats(ReadSchema):
    hits: int
    misses: int
    hit_rate: float | None = Field(description="Since this process started; null before use")


class SimilarityStats(ReadSchema):
    backend: str
    active_collection: str
    collections: list[CollectionStats]
    index_size: int = Field(description="This tenant's vectors the active index holds")
    pending: int = Field(description="Vectors written but not yet in the index")
    cache: CacheStats
