"""The estimate without a model: the k most similar finished projects, scaled by area.

Transparent by construction: each similar project's price per m² times the
requested area is one estimate (`scaled_price`, shown in the response); the
prediction is their median and the interval their spread (the nominal share's
quantiles), so an estimator can check every number. No similar finished
project of the type means no estimate at all, never a made-up number.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.db.models import Project
from handwerkml.pricing.model import cents
from handwerkml.pricing.repository import finished
from handwerkml.similarity.schemas import FindSimilarRequest
from handwerkml.similarity.service import find_similar
from handwerkml.vectors.index import VectorIndex

# The similarity search's longest query.
_QUERY_CHARS = 2000


@dataclass(frozen=True, slots=True)
class Similar:
    project: Project
    # None where the project was chosen by type and area, not by its description.
    score: float | None


@dataclass(frozen=True, slots=True)
class FallbackEstimate:
    price: Decimal
    low: Decimal
    high: Decimal
    scaled: dict[int, Decimal]


async def similar_finished(
    session: AsyncSession,
    index: VectorIndex,
    tenant_id: int,
    *,
    description: str | None,
    project_id: int | None,
    project_type: str,
    k: int,
) -> list[Similar]:
    """The k finished projects of the type most like the description (or project)."""
    request = FindSimilarRequest(
        query=None if project_id is not None else (description or "")[:_QUERY_CHARS],
        project_id=project_id,
        project_type=project_type,
        # Open projects are among the hits too; ask for enough to keep k finished ones.
        top_k=min(100, 4 * k),
        threshold=-1,
    )
    hits = (await find_similar(session, index, tenant_id, request)).results
    if not hits:
        return []
    scores = {hit.id: hit.similarity_score for hit in hits}
    projects = await session.scalars(
        select(Project).where(Project.tenant_id == tenant_id, Project.id.in_(scores), finished())
    )
    ranked = sorted(projects.all(), key=lambda p: -scores[p.id])[:k]
    return [Similar(p, scores[p.id]) for p in ranked]


def estimate(similar: list[Similar], area: float, coverage: float) -> FallbackEstimate:
    scaled = {
        s.project.id: float(s.project.final_price or 0)
        / float(s.project.total_area_sqm or 1)
        * area
        for s in similar
    }
    values = np.array(list(scaled.values()))
    tail = (1 - coverage) / 2
    return FallbackEstimate(
        price=cents(float(np.median(values))),
        low=cents(float(np.quantile(values, tail))),
        high=cents(float(np.quantile(values, 1 - tail))),
        scaled={pid: cents(v) for pid, v in scaled.items()},
    )
