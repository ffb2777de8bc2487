"""The rules of price prediction: train a version, predict, feedback, accuracy, rollback.

A prediction comes from the tenant's active model when there is one, else from
the similar finished projects (fallback.py), and says which in `method` and
`fallback`. No basis at all is a 422, never a made-up number. Every prediction
is stored with its inputs, the version that made it and its result.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from decimal import Decimal
from typing import Any, Literal

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.company.calculation import calculate_cost_breakdown
from handwerkml.company.service import get_company_settings
from handwerkml.config import Settings
from handwerkml.db.models import CompanySettings, Job, Prediction, PriceModel, Project
from handwerkml.jobs import service as jobs_service
from handwerkml.kit.errors import NotFound, Unprocessable
from handwerkml.kit.time import today, utcnow
from handwerkml.pricing import fallback, repository
from handwerkml.pricing.features import PriceInput
from handwerkml.pricing.model import (
    Evaluation,
    LoadedModel,
    Params,
    evaluate,
    evaluation_json,
    fold_ids,
    preprocessing_json,
    train,
)
from handwerkml.pricing.schemas import (
    AccuracyRead,
    AccuracyRow,
    ConfidenceLevel,
    Contribution,
    CostBreakdownRead,
    FeedbackRequest,
    ModelInfo,
    PredictRequest,
    PredictResponse,
    SimilarProjectUsed,
)
from handwerkml.projects.service import get_project
from handwerkml.vectors.index import VectorIndex

FOLDS = 5
FOLD_SEED = 0
CostBasis = Literal["similar_projects", "projects_of_type"]
# Versions in memory, by row id: a row's booster never changes, so no invalidation.
_LOADED: OrderedDict[int, LoadedModel] = OrderedDict()
_LOADED_MAX = 32


class TooFewProjects(Unprocessable):
    def __init__(self, found: int, needed: int) -> None:
        super().__init__(
            f"Too few finished projects to train a price model: {found} found, {needed} "
            "needed (HANDWERKML_PRICING_MIN_TRAINING_PROJECTS). Until then predictions "
            "come from similar finished projects."
        )


async def check_trainable(session: AsyncSession, settings: Settings, tenant_id: int) -> None:
    found = await repository.count_finished(session, tenant_id)
    if found < settings.pricing_min_training_projects:
        raise TooFewProjects(found, settings.pricing_min_training_projects)


# --- training -------------------------------------------------------------------------


async def train_version(
    session: AsyncSession,
    settings: Settings,
    tenant_id: int,
    overrides: dict[str, Any],
    *,
    job_id: int | None = None,
) -> PriceModel:
    """Train and store a new version. It becomes active only if its cross-validated MAPE
    beats the baseline's and is not worse than the active version's on the same folds;
    otherwise it waits as standby (a manager may still activate it)."""
    # Before reading: a project finished while this trains counts towards the next one.
    started = utcnow()
    data = await repository.training_data(session, tenant_id)
    needed = settings.pricing_min_training_projects
    if len(data.rows) < needed:
        raise TooFewProjects(len(data.rows), needed)
    params = replace(
        Params.for_rows(len(data.rows)), **{k: v for k, v in overrides.items() if v is not None}
    )
    active = await repository.active_model(session, tenant_id)
    reference = today()
    coverage = settings.pricing_interval_coverage
    trained = await asyncio.to_thread(
        train,
        data.rows,
        data.prices,
        params,
        reference=reference,
        coverage=coverage,
        folds=FOLDS,
        seed=FOLD_SEED,
        threads=settings.pricing_threads,
    )
    rival: Evaluation | None = None
    if active is not None:
        active_params = Params(**active.preprocessing["params"])
        rival = trained.evaluation
        if active_params != params:
            rival = await asyncio.to_thread(
                evaluate,
                data.rows,
                data.prices,
                active_params,
                fold_ids(len(data.rows), FOLDS, FOLD_SEED),
                reference=reference,
                coverage=coverage,
                threads=settings.pricing_threads,
            )
    evaluation = trained.evaluation
    beats_baseline = evaluation.new.mape < evaluation.baseline.mape
    not_worse = rival is None or evaluation.new.mape <= rival.new.mape
    wins = beats_baseline and not_worse
    metrics = evaluation_json(evaluation) | {
        "nominal_coverage": coverage,
        "folds": FOLDS,
        "training_seconds": round(trained.seconds, 3),
        "compared_with": None
        if active is None or rival is None
        else {"version": active.version, "mape": round(rival.new.mape, 4)},
        "beats_baseline": beats_baseline,
        "activated": wins,
    }
    version = PriceModel(
        tenant_id=tenant_id,
        version=await repository.next_version(session, tenant_id),
        status="active" if wins else "standby",
        trained_at=started,
        data_from=data.first,
        data_to=data.last,
        row_count=len(data.rows),
        features=trained.encoding.features,
        metrics=metrics,
        preprocessing=preprocessing_json(trained),
        model_bytes=trained.booster,
        job_id=job_id,
    )
    if wins and active is not None:
        active.status = "retired"
    session.add(version)
    await session.flush()
    return version


async def activate(session: AsyncSession, tenant_id: int, version: int) -> PriceModel:
    """Make `version` the active one (a rollback, or a standby that lost on the folds)."""
    target = await repository.model_version(session, tenant_id, version)
    if target is None:
        raise NotFound("Price model version", version)
    active = await repository.active_model(session, tenant_id)
    if active is not None and active.id != target.id:
        active.status = "retired"
        await session.flush()
    target.status = "active"
    await session.flush()
    return target


async def model_info(session: AsyncSession, settings: Settings, tenant_id: int) -> ModelInfo:
    active = await repository.active_model(session, tenant_id)
    versions = await repository.models(session, tenant_id)
    return ModelInfo(
        method="model" if active is not None else "similar_projects",
        model_version=active.version if active else None,
        metrics=active.metrics if active else None,
        features=active.features if active else [],
        training_size=active.row_count if active else None,
        last_trained=max((v.trained_at for v in versions), default=None),
        data_from=active.data_from if active else None,
        data_to=active.data_to if active else None,
        finished_projects=await repository.count_finished(session, tenant_id),
        min_training_projects=settings.pricing_min_training_projects,
        versions=len(versions),
    )


# --- prediction -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Subject:
    """What a request asks about, with the fields taken from its project filled in."""

    row: PriceInput
    description: str | None
    project: Project | None
    company: CompanySettings


async def _subject(session: AsyncSession, tenant_id: int, request: PredictRequest) -> Subject:
    project = None
    if request.project_id is not None:
        project = await get_project(session, tenant_id, request.project_id)
    project_type = request.project_type or (project.project_type if project else "")
    canonical = await repository.project_type_named(session, tenant_id, project_type)
    if canonical is None:
        known = await repository.known_project_types(session, tenant_id)
        raise Unprocessable(
            f"Unknown project type {project_type!r}; this company's types are: "
            + ", ".join(sorted(known)),
            loc=("body", "project_type"),
        )
    area = request.total_area_sqm or (project.total_area_sqm if project else None)
    if area is None or area <= 0:
        raise Unprocessable(
            "total_area_sqm is needed: the project has no area", loc=("body", "total_area_sqm")
        )
    material_cost = None
    if project is not None:
        costs = await repository.material_costs(session, tenant_id, [project.id])
        material_cost = costs.get(project.id)
    company = await get_company_settings(session, tenant_id)
    row = PriceInput(
        project_type=canonical,
        wood_type=request.wood_type or (project.wood_type if project else None),
        region=request.region or (project.region if project else company.default_region),
        complexity=request.complexity
        or (project.complexity if project else company.default_complexity),
        total_area_sqm=float(area),
        labor_hours=float(project.labor_hours) if project and project.labor_hours else None,
        material_cost=material_cost,
        on=today(),
    )
    description = request.description or (project.description if project else None)
    return Subject(row=row, description=description, project=project, company=company)


async def _loaded(session: AsyncSession, version: PriceModel) -> LoadedModel:
    loaded = _LOADED.get(version.id)
    if loaded is None:
        data = await repository.booster(session, version.id)
        loaded = await asyncio.to_thread(LoadedModel, data, version.preprocessing)
        _LOADED[version.id] = loaded
        while len(_LOADED) > _LOADED_MAX:
            _LOADED.popitem(last=False)
    _LOADED.move_to_end(version.id)
    return loaded


def confidence(low: Decimal, high: Decimal, price: Decimal, share: float = 1.0) -> float:
    """1 − the interval's relative half-width, times the share of wanted projects found."""
    if price <= 0:
        return 0.0
    half_width = float(high - low) / (2 * float(price))
    return round(max(0.0, min(1.0, (1 - half_width) * share)), 3)


_LEVELS: tuple[tuple[float, ConfidenceLevel], ...] = (
    (0.85, "Very High"),
    (0.7, "High"),
    (0.55, "Medium"),
    (0.4, "Low"),
)


def confidence_level(score: float) -> ConfidenceLevel:
    return next((level for bound, level in _LEVELS if score >= bound), "Very Low")


async def predict(
    session: AsyncSession,
    settings: Settings,
    index: VectorIndex,
    tenant_id: int,
    request: PredictRequest,
) -> PredictResponse:
    subject = await _subject(session, tenant_id, request)
    row = subject.row
    k = settings.pricing_similar_projects
    active = await repository.active_model(session, tenant_id)
    usable = active is not None and active.row_count >= settings.pricing_min_training_projects
    scaled: dict[int, Decimal] = {}
    similar: list[fallback.Similar] = []
    if active is not None and usable:
        # The model needs no similar projects, so none are searched by meaning: embedding
        # the description would cost more than the whole prediction (docs/pricing.md).
        # The same type's projects nearest in area are shown instead; they give the
        # cost breakdown.
        comparable = await repository.nearest_of_type(
            session, tenant_id, row.project_type, row.total_area_sqm, k
        )
        costs_from: tuple[CostBasis, list[Project]] = ("projects_of_type", comparable)
        similar = [fallback.Similar(project, None) for project in comparable]
        estimate = (await _loaded(session, active)).predict(row)
        price, low, high = estimate.price, estimate.low, estimate.high
        coverage: float | None = float(active.metrics.get("nominal_coverage", 0.8))
        score = confidence(low, high, price)
        explanation = [Contribution.model_validate(c) for c in estimate.contributions]
        base_value: Decimal | None = estimate.base_value
        note = (
            f"Price model version {active.version}, trained on {active.row_count} finished "
            f"projects; the interval holds about {coverage:.0%} of actual prices."
        )
        if not row.costs_known:
            note += " Labour hours and material cost were unknown: the interval is wider."
    else:
        similar = await fallback.similar_finished(
            session,
            index,
            tenant_id,
            description=subject.description,
            project_id=subject.project.id if subject.project else None,
            project_type=row.project_type,
            k=k,
        )
        costs_from = ("similar_projects", [s.project for s in similar])
        if not similar:
            raise Unprocessable(
                "No basis for a price: no trained price model and no similar finished "
                f"project of type {row.project_type!r}. Finish projects of this type, or "
                "train a model once enough projects are finished.",
                loc=("body",),
            )
        found = fallback.estimate(similar, row.total_area_sqm, settings.pricing_interval_coverage)
        price, low, high, scaled = found.price, found.low, found.high, found.scaled
        coverage, explanation, base_value = None, [], None
        score = confidence(low, high, price, len(similar) / settings.pricing_similar_projects)
        note = (
            f"No trained price model (it needs {settings.pricing_min_training_projects} "
            f"finished projects): median of the {len(similar)} most similar finished "
            f"{row.project_type} projects, each scaled by area; the interval is their spread."
        )
    response = PredictResponse(
        prediction_id=0,
        predicted_price=price,
        confidence_score=score,
        confidence_level=confidence_level(score),
        similar_projects_count=len(similar),
        model_version=active.version if usable and active else None,
        timestamp=utcnow(),
        interval_low=low,
        interval_high=high,
        interval_coverage=coverage,
        method="model" if usable else "similar_projects",
        fallback=not usable,
        note=note,
        base_value_eur=base_value,
        explanation=explanation,
        similar_projects=[_used(s, scaled.get(s.project.id)) for s in similar],
        cost_breakdown=await _cost_breakdown(session, tenant_id, subject, *costs_from),
    )
    stored = Prediction(
        tenant_id=tenant_id,
        created_at=response.timestamp,
        project_id=subject.project.id if subject.project else None,
        project_type=row.project_type,
        method=response.method,
        model_version=response.model_version,
        features=row.describe() | {"description": (subject.description or "")[:2000]},
        result=response.model_dump(mode="json", exclude={"prediction_id"}),
        predicted_price=price,
        interval_low=low,
        interval_high=high,
    )
    session.add(stored)
    await session.flush()
    return response.model_copy(update={"prediction_id": stored.id})


def _used(similar: fallback.Similar, scaled: Decimal | None) -> SimilarProjectUsed:
    project = similar.project
    return SimilarProjectUsed(
        id=project.id,
        name=project.name,
        project_type=project.project_type,
        similarity_score=similar.score,
        final_price=project.final_price,
        total_area_sqm=project.total_area_sqm,
        scaled_price=scaled,
    )


async def _cost_breakdown(
    session: AsyncSession,
    tenant_id: int,
    subject: Subject,
    others: CostBasis,
    projects: list[Project],
) -> CostBreakdownRead | None:
    """The firm's calculation: from the project's own materials and hours, else from
    the median material cost and hours per m² of `projects` × area."""
    row = subject.row
    basis: Literal["project", "similar_projects", "projects_of_type"] = "project"
    if row.material_cost is not None and row.labor_hours is not None:
        material, hours = row.material_cost, row.labor_hours
    else:
        with_hours = [p for p in projects if p.labor_hours is not None]
        if not with_hours:
            return None
        costs = await repository.material_costs(session, tenant_id, [p.id for p in with_hours])

        def per_sqm(value: Callable[[Project], float]) -> float:
            return float(np.median([value(p) / float(p.total_area_sqm or 1) for p in with_hours]))

        basis = others
        material = per_sqm(lambda p: costs.get(p.id, 0.0)) * row.total_area_sqm
        hours = per_sqm(lambda p: float(p.labor_hours or 0)) * row.total_area_sqm
    breakdown = calculate_cost_breakdown(
        material_cost=Decimal(repr(round(material, 2))),
        labor_hours=Decimal(repr(round(hours, 1))),
        settings=subject.company,
    )
    return CostBreakdownRead.model_validate(asdict(breakdown) | {"basis": basis})


# --- feedback and accuracy ------------------------------------------------------------


async def feedback(
    session: AsyncSession, tenant_id: int, prediction_id: int, body: FeedbackRequest
) -> Prediction:
    found = await repository.prediction(session, tenant_id, prediction_id)
    if found is None:
        raise NotFound("Prediction", prediction_id)
    for name in body.model_fields_set:
        setattr(found, name, getattr(body, name))
    found.feedback_at = utcnow()
    await session.flush()
    return found


def _accuracy_row(key: str, rows: Iterable[Prediction]) -> AccuracyRow:
    errors, hits = [], []
    for row in rows:
        actual = float(row.actual_price or 0)
        if actual <= 0:
            continue
        errors.append(abs(float(row.predicted_price) - actual) / actual)
        if row.interval_low is not None and row.interval_high is not None:
            hits.append(row.interval_low <= (row.actual_price or 0) <= row.interval_high)
    return AccuracyRow(
        key=key,
        count=len(errors),
        mape=round(float(np.mean(errors)), 4) if errors else None,
        interval_hit_rate=round(float(np.mean(hits)), 4) if hits else None,
    )


def _grouped(rows: list[Prediction], key: Callable[[Prediction], str]) -> list[AccuracyRow]:
    groups: dict[str, list[Prediction]] = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    return [_accuracy_row(name, group) for name, group in sorted(groups.items())]


async def accuracy(session: AsyncSession, tenant_id: int) -> AccuracyRead:
    rows = list(await repository.predictions_with_actuals(session, tenant_id))
    return AccuracyRead(
        overall=_accuracy_row("all", rows),
        by_month=_grouped(rows, lambda r: r.created_at.strftime("%Y-%m")),
        by_project_type=_grouped(rows, lambda r: r.project_type),
        by_method=_grouped(rows, lambda r: r.method),
    )


async def start_training(
    session: AsyncSession, settings: Settings, tenant_id: int, overrides: dict[str, Any]
) -> Job:
    """Queue a `pricing.train` job; refused at once (422) with too few finished projects."""
    await check_trainable(session, settings, tenant_id)
    return await jobs_service.submit(
        session,
        settings,
        tenant_id=tenant_id,
        kind="pricing.train",
        params={"reason": "manual", **overrides},
        direct=False,
    )
