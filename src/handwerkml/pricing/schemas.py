"""Request and response shapes of /api/v1/predictions (the seed system's field names first)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field, model_validator

from handwerkml.kit.schemas import DbId, Money, ReadSchema, Schema
from handwerkml.projects.schemas import (
    Amount,
    Area,
    Complexity,
    Description,
    ProjectTypeName,
    ShortText,
)

Method = Literal["model", "similar_projects"]
ConfidenceLevel = Literal["Very High", "High", "Medium", "Low", "Very Low"]


class PredictRequest(Schema):
    """The seed's request. With `project_id`, omitted fields come from that project
    (and its labour hours and materials are used); otherwise `description`,
    `total_area_sqm` and `project_type` are required."""

    project_id: DbId | None = None
    description: Description | None = Field(default=None, min_length=1)
    total_area_sqm: Area | None = None
    complexity: Complexity | None = None
    project_type: ProjectTypeName | None = None
    wood_type: ShortText | None = None
    region: ShortText | None = None

    @model_validator(mode="after")
    def _enough(self) -> PredictRequest:
        if self.project_id is None:
            missing = [
                name
                for name in ("description", "total_area_sqm", "project_type")
                if getattr(self, name) is None
            ]
            if missing:
                raise ValueError(f"without project_id, give {', '.join(missing)}")
        return self


class Contribution(ReadSchema):
    feature: str
    contribution_eur: Amount


class SimilarProjectUsed(ReadSchema):
    id: int
    name: str
    project_type: str
    # Cosine similarity of the descriptions; None for the model's comparable projects,
    # which are the same type nearest in area (found without embedding the query).
    similarity_score: float | None
    final_price: Amount | None
    total_area_sqm: Amount | None
    # The project's price per m² times the requested area (the fallback's estimate).
    scaled_price: Amount | None = None


class CostBreakdownRead(ReadSchema):
    """The firm's own calculation from its settings, beside the learned price.

    basis: "project" (its materials at today's prices and its labour hours),
    "similar_projects" (the fallback's similar projects) or "projects_of_type" (the
    finished projects of the type nearest in area): their median material cost and
    hours per m² × area.
    """

    basis: Literal["project", "similar_projects", "projects_of_type"]
    material_cost: Amount
    material_markup: Amount
    material_total: Amount
    labor_hours: Amount
    labor_rate_per_hour: Amount
    labor_cost: Amount
    overhead: Amount
    profit: Amount
    net: Amount
    tax_rate: Amount
    vat: Amount
    gross: Amount


class PredictResponse(ReadSchema):
    prediction_id: int
    predicted_price: Amount
    confidence_score: float
    confidence_level: ConfidenceLevel
    similar_projects_count: int
    model_version: int | None
    timestamp: datetime
    interval_low: Amount
    interval_high: Amount
    # The share of prices the interval should hold (calibrated by cross-validation);
    # null for the similar-projects estimate, whose interval is their spread.
    interval_coverage: float | None
    method: Method
    # True when no trained model priced this: the estimate comes from similar projects.
    fallback: bool
    note: str
    # The price of an average project of this type and area; with the contributions
    # it adds up to predicted_price exactly. Null for the fallback.
    base_value_eur: Amount | None
    explanation: list[Contribution]
    similar_projects: list[SimilarProjectUsed]
    cost_breakdown: CostBreakdownRead | None
    currency: str = "EUR"


class TrainRequest(Schema):
    """Optional overrides of the model's settings; the defaults suit most firms."""

    n_estimators: int | None = Field(default=None, ge=1, le=2000)
    max_depth: int | None = Field(default=None, ge=1, le=10)
    learning_rate: float | None = Field(default=None, gt=0, le=1)


class Metrics(ReadSchema):
    mae: float | None = None
    mape: float | None = None
    interval_coverage: float | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class ModelVersionRead(ReadSchema):
    id: int
    version: int
    status: Literal["active", "standby", "retired"]
    trained_at: datetime
    data_from: date | None
    data_to: date | None
    row_count: int
    features: list[str]
    metrics: dict[str, Any]


class ModelInfo(ReadSchema):
    """What predictions use now: the active version, or the similar-projects estimate."""

    method: Method
    model_version: int | None
    metrics: dict[str, Any] | None
    features: list[str]
    training_size: int | None
    last_trained: datetime | None
    data_from: date | None
    data_to: date | None
    finished_projects: int
    min_training_projects: int
    versions: int


class FeedbackRequest(Schema):
    was_accepted: bool | None = None
    user_modified_price: Money | None = None
    actual_price: Money | None = None

    @model_validator(mode="after")
    def _something(self) -> FeedbackRequest:
        if not self.model_fields_set & {"was_accepted", "user_modified_price", "actual_price"}:
            raise ValueError("give was_accepted, user_modified_price or actual_price")
        return self


class PredictionRead(ReadSchema):
    id: int
    created_at: datetime
    project_id: int | None
    project_type: str
    method: Method
    model_version: int | None
    predicted_price: Amount
    interval_low: Amount | None
    interval_high: Amount | None
    was_accepted: bool | None
    user_modified_price: Amount | None
    actual_price: Amount | None
    feedback_at: datetime | None


class AccuracyRow(ReadSchema):
    key: str
    count: int
    mape: float | None
    interval_hit_rate: float | None


class AccuracyRead(ReadSchema):
    """MAPE of past predictions against the actual prices recorded for them."""

    overall: AccuracyRow
    by_month: list[AccuracyRow]
    by_project_type: list[AccuracyRow]
    by_method: list[AccuracyRow]
