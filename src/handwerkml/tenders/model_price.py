"""The price model (pricing/) as the last source of a suggestion, for m² items.

An adapter over the pricing package's stored model: it asks the active version
(only when trained on HANDWERKML_PRICING_MIN_TRAINING_PROJECTS projects or more)
for the price of a project of the type the item names, with the item's area, and
divides by the area. Nothing is stored as a prediction: this is a suggestion
inside a tender, and its feedback is the item's decision.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.config import Settings
from handwerkml.db.models import CompanySettings, TenderItem
from handwerkml.kit.time import utcnow
from handwerkml.pricing import repository
from handwerkml.pricing.features import PriceInput
from handwerkml.pricing.model import LoadedModel
from handwerkml.tenders import suggest
from handwerkml.tenders.suggest import Suggestion
from handwerkml.tenders.units import normalize_unit


class ModelPrices:
    def __init__(
        self, version: int, model: LoadedModel, types: list[str], company: CompanySettings
    ) -> None:
        self.version, self.model, self.types, self.company = version, model, types, company

    @classmethod
    async def load(
        cls, session: AsyncSession, settings: Settings, company: CompanySettings
    ) -> ModelPrices | None:
        """The tenant's usable model, or None (none trained, or on too few projects)."""
        active = await repository.active_model(session, company.tenant_id)
        if active is None or active.row_count < settings.pricing_min_training_projects:
            return None
        data = await repository.booster(session, active.id)
        model = await asyncio.to_thread(LoadedModel, data, active.preprocessing)
        types = await repository.known_project_types(session, company.tenant_id)
        return cls(active.version, model, types, company)

    def project_type(self, item: TenderItem) -> str | None:
        """The one project type the item's categories or short text name, else None."""
        text = " ".join([*item.category_path, item.short_text])
        found = {name for name in self.types if suggest.names(text, name)}
        return found.pop() if len(found) == 1 else None

    def suggest(self, item: TenderItem, frac_dig: int) -> Suggestion | None:
        if normalize_unit(item.unit) != "m2" or item.qty is None or item.qty <= 0:
            return None
        project_type = self.project_type(item)
        if project_type is None:
            return None
        row = PriceInput(
            project_type=project_type,
            wood_type=None,
            region=self.company.default_region,
            complexity=self.company.default_complexity,
            total_area_sqm=float(item.qty),
            labor_hours=None,
            material_cost=None,
            on=utcnow().date(),
        )
        estimate = self.model.predict(row)
        return suggest.from_model(
            version=self.version,
            project_type=project_type,
            qty=Decimal(item.qty),
            price=estimate.price,
            low=estimate.low,
            high=estimate.high,
            frac_dig=frac_dig,
        )
