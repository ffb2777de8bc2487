"""The price model on demo data, without a database: accuracy against the baseline on
projects it never saw, interval coverage, and explanations that add up."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from handwerkml.pricing.features import PriceInput
from handwerkml.pricing.model import (
    Baseline,
    LoadedModel,
    Params,
    Trained,
    euro_contributions,
    preprocessing_json,
    train,
)
from handwerkml.pricing.synthetic import demo_rows

TODAY = date(2026, 11, 25)


@pytest.fixture(scope="module")
def split() -> tuple[list[PriceInput], np.ndarray, list[PriceInput], np.ndarray]:
    """Two independent demo businesses of one rule: train on one, test on the other."""
    train_rows, train_prices = demo_rows(600, today=TODAY, seed=42)
    test_rows, test_prices = demo_rows(400, today=TODAY, seed=7)
    return train_rows, train_prices, test_rows, test_prices


@pytest.fixture(scope="module")
def trained(split: tuple[list[PriceInput], np.ndarray, list[PriceInput], np.ndarray]) -> Trained:
    rows, prices, _, _ = split
    return train(rows, prices, Params(), reference=TODAY, coverage=0.8, threads=1)


@pytest.fixture(scope="module")
def loaded(trained: Trained) -> LoadedModel:
    return LoadedModel(trained.booster, preprocessing_json(trained))


def _mape(predicted: np.ndarray, actual: np.ndarray) -> float:
    return float(np.mean(np.abs(predicted - actual) / actual))


def test_the_model_beats_the_baseline_on_unseen_projects(
    split: tuple[list[PriceInput], np.ndarray, list[PriceInput], np.ndarray],
    trained: Trained,
    loaded: LoadedModel,
) -> None:
    rows, prices, test_rows, actual = split
    baseline = _mape(Baseline.fit(rows, prices).prices(test_rows), actual)
    enquiry = _mape(loaded.intervals([r.without_costs() for r in test_rows])[0], actual)
    known = _mape(loaded.intervals(test_rows)[0], actual)
    # An enquiry (no hours, no materials) is a fifth better than the baseline; with
    # the project's costs known, more than a third.
    assert enquiry < 0.8 * baseline, (enquiry, baseline)
    assert known < 0.65 * baseline, (known, baseline)
    # Cross-validation told the same story before the test set was ever seen.
    evaluation = trained.evaluation
    assert evaluation.new.mape < 0.85 * evaluation.baseline.mape
    assert evaluation.known.mape < evaluation.new.mape


def test_the_interval_covers_about_its_nominal_share(
    split: tuple[list[PriceInput], np.ndarray, list[PriceInput], np.ndarray],
    trained: Trained,
    loaded: LoadedModel,
) -> None:
    _, _, test_rows, actual = split
    for rows in (test_rows, [r.without_costs() for r in test_rows]):
        _, low, high = loaded.intervals(rows)
        inside = float(np.mean((low <= actual) & (actual <= high)))
        assert 0.7 <= inside <= 0.9, inside
    assert trained.evaluation.new.coverage is not None
    assert 0.72 <= trained.evaluation.new.coverage <= 0.88
    # Knowing the costs narrows the interval.
    assert trained.evaluation.q_known < trained.evaluation.q_new


def test_contributions_and_base_value_add_up_to_the_price_to_the_cent(
    split: tuple[list[PriceInput], np.ndarray, list[PriceInput], np.ndarray],
    loaded: LoadedModel,
) -> None:
    _, _, test_rows, _ = split
    for row in test_rows[:50]:
        estimate = loaded.predict(row)
        total = estimate.base_value + sum(c.contribution_eur for c in estimate.contributions)
        assert total == estimate.price
        assert estimate.low < estimate.price < estimate.high
        assert {c.feature for c in estimate.contributions} == set(loaded.encoding.features)


def test_euro_contributions_keep_sign_and_proportion() -> None:
    shares = np.array([0.2, -0.1, 0.0])
    found = {c.feature: c.contribution_eur for c in euro_contributions(["a", "b", "c"], shares, 8)}
    assert found["a"] > 0 > found["b"]
    assert found["c"] == Decimal("0.00")
    assert abs(found["a"] + 2 * found["b"]) <= Decimal("0.02")
    base, price = np.exp(8), np.exp(8.1)
    assert sum(found.values()) == round(Decimal(price), 2) - round(Decimal(base), 2)


def test_an_unseen_category_is_missing_not_an_error(loaded: LoadedModel) -> None:
    row = PriceInput(
        project_type="Wintergarten",
        wood_type="Bambus",
        region="Atlantis",
        complexity=3,
        total_area_sqm=20.0,
        labor_hours=None,
        material_cost=None,
        on=TODAY,
    )
    estimate = loaded.predict(row)
    assert estimate.price > 0
