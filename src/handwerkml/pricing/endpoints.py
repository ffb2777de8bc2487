"""/api/v1/predictions: predict a price, train and roll back models, feedback, accuracy."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from handwerkml.auth.deps import requires
from handwerkml.auth.permissions import Permission
from handwerkml.auth.principal import Principal
from handwerkml.jobs.endpoints import WAKES_WORKERS
from handwerkml.jobs.schemas import JobRead, job_read
from handwerkml.kit.deps import ResourcesDep, SessionDep, SettingsDep
from handwerkml.kit.schemas import IdPath
from handwerkml.pricing import repository, service
from handwerkml.pricing.schemas import (
    AccuracyRead,
    FeedbackRequest,
    ModelInfo,
    ModelVersionRead,
    PredictionRead,
    PredictRequest,
    PredictResponse,
    TrainRequest,
)

router = APIRouter(prefix="/api/v1/predictions", tags=["predictions"])

Estimator = Annotated[Principal, requires(Permission.predictions_run)]
Manager = Annotated[Principal, requires(Permission.predictions_manage)]
VersionPath = Annotated[int, Path(ge=1, le=2_147_483_647)]


@router.post("/predict", response_model=PredictResponse)
async def predict(
    body: PredictRequest,
    principal: Estimator,
    session: SessionDep,
    settings: SettingsDep,
    resources: ResourcesDep,
) -> PredictResponse:
    """A price with its interval and explanation, from the firm's trained model; without
    one (too few finished projects), from the most similar finished projects
    (`method` "similar_projects", `fallback` true). Every prediction is stored."""
    return await service.predict(session, settings, resources.vectors, principal.tenant_id, body)


@router.post(
    "/train",
    response_model=JobRead,
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=WAKES_WORKERS,
)
async def train(
    body: TrainRequest, principal: Manager, session: SessionDep, settings: SettingsDep
) -> JobRead:
    """Start training a new model version (a `pricing.train` job). It becomes active only
    if it is not worse than the active version on the same cross-validation folds."""
    overrides = body.model_dump(exclude_none=True)
    return job_read(await service.start_training(session, settings, principal.tenant_id, overrides))


@router.get("/model-info", response_model=ModelInfo)
async def model_info(principal: Estimator, session: SessionDep, settings: SettingsDep) -> ModelInfo:
    """The active version: metrics, features, training size, when it was trained."""
    return await service.model_info(session, settings, principal.tenant_id)


@router.get("/models", response_model=list[ModelVersionRead])
async def list_models(principal: Estimator, session: SessionDep) -> list[ModelVersionRead]:
    """Every trained version, newest first; any of them can be activated (rollback)."""
    versions = await repository.models(session, principal.tenant_id)
    return [ModelVersionRead.model_validate(v) for v in versions]


@router.post("/models/{version}/activate", response_model=ModelVersionRead)
async def activate(
    version: VersionPath, principal: Manager, session: SessionDep
) -> ModelVersionRead:
    """Make this version the one predictions use; the active one is retired."""
    return ModelVersionRead.model_validate(
        await service.activate(session, principal.tenant_id, version)
    )


@router.get("/accuracy", response_model=AccuracyRead)
async def accuracy(principal: Estimator, session: SessionDep) -> AccuracyRead:
    """MAPE of past predictions against their actual prices: overall, per month, per type."""
    return await service.accuracy(session, principal.tenant_id)


@router.post("/{prediction_id}/feedback", response_model=PredictionRead)
async def feedback(
    prediction_id: IdPath, body: FeedbackRequest, principal: Estimator, session: SessionDep
) -> PredictionRead:
    """Record whether the price was accepted or changed, and later the actual price."""
    return PredictionRead.model_validate(
        await service.feedback(session, principal.tenant_id, prediction_id, body)
    )
