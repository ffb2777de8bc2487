"""The price model as the last source: a real model trained on demo projects, no database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from handwerkml.db.models import CompanySettings, TenderItem
from handwerkml.pricing.model import LoadedModel, Params, preprocessing_json, train
from handwerkml.pricing.synthetic import demo_rows
from handwerkml.tenders.model_price import ModelPrices


@pytest.fixture(scope="module")
def prices() -> ModelPrices:
    rows, amounts = demo_rows(150, today=date(2026, 11, 25), seed=3)
    trained = train(
        rows, amounts, Params(), reference=date(2026, 11, 25), coverage=0.8, folds=3, threads=1
    )
    company = CompanySettings(tenant_id=1, default_region="Bayern", default_complexity=3)
    types = sorted({row.project_type for row in rows})
    return ModelPrices(4, LoadedModel(trained.booster, preprocessing_json(trained)), types, company)


def _item(short_text: str, unit: str, qty: str, path: list[str]) -> TenderItem:
    return TenderItem(short_text=short_text, unit=unit, qty=Decimal(qty), category_path=path)


def test_an_m2_item_of_a_named_project_type_gets_the_models_price_per_m2(
    prices: ModelPrices,
) -> None:
    item = _item("Wandfliesen im Dünnbett verlegen", "m²", "40", ["Fliesenarbeiten"])
    found = prices.suggest(item, 2)
    assert found is not None
    assert found.source == "model"
    assert found.basis["project_type"] == "Fliesenarbeiten"
    assert found.basis["model_version"] == 4
    project_price = Decimal(found.basis["predicted_price"])
    assert found.up == (project_price / 40).quantize(Decimal("0.01"))
    assert found.up is not None
    assert found.up > 0
    assert found.confidence is not None
    assert 0 <= found.confidence <= 0.5
    assert found.flag_reason is not None


def test_the_model_stays_out_where_unit_or_type_are_not_clear(prices: ModelPrices) -> None:
    assert prices.suggest(_item("Fliesen verlegen", "Stk", "4", ["Fliesenarbeiten"]), 2) is None
    assert prices.suggest(_item("Oberboden abtragen", "m2", "40", ["Erdarbeiten"]), 2) is None
    both = _item("Malerarbeiten nach Fliesenarbeiten", "m2", "40", [])
    assert prices.suggest(both, 2) is None
