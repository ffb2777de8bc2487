"""Training, cross-validation and prediction of the XGBoost price model. Pure code.

The model learns log(price): prices span two orders of magnitude and the
factors that set them (wood, complexity, region) multiply, so errors are
relative and the trees need no interaction terms for that.

Every project is in the training set twice: once with its labour hours and
material cost, once without, because a new enquiry usually has neither. Both
copies of a project always fall into the same fold.

Interval (split-conformal on cross-validation): the absolute log residuals of
the held-out folds give the quantile q at the nominal coverage, separately for
rows with and without costs; the interval is [p·e^−q, p·e^q]. The coverage we
report is honest: each fold is checked against a q computed from the other folds.

The trees start from the baseline (median price per m² of the type × area) as
XGBoost's base margin and learn the correction to it; measured on the demo data
this halves the gap a plain model leaves to the baseline at 500 projects.

Explanation: XGBoost's SHAP values (pred_contribs) add up to the log price, the
bias column holding the base margin. In euros, the prediction p = e^(b+S) with
S = Σφ; each feature gets the share φ/S of p − e^b (e^b, the base value, is the
baseline for this type and area, shifted by the trees' mean correction), so the
contributions and the base value add up to p. They are rounded to cents and the
rounding remainder goes to the largest contribution, so the sum is exact.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
import xgboost as xgb

from handwerkml.pricing.features import Encoding, PriceInput

Vector = npt.NDArray[np.float64]
CENT = Decimal("0.01")
# Finished projects from which Params.for_rows picks the larger trees.
LARGE = 5_000


@dataclass(frozen=True, slots=True)
class Params:
    # Shallow, strongly shrunk trees: a firm has hundreds of projects, not thousands, and
    # a small firm's model must not stray far from the baseline it starts from
    # (bench/pricing.py compared depth 2–4, child weight 2–10, rate 0.03–0.08).
    n_estimators: int = 150
    max_depth: int = 3
    learning_rate: float = 0.03
    subsample: float = 0.8
    colsample_bytree: float = 0.9
    min_child_weight: float = 5.0
    interactions: bool = False

    @classmethod
    def for_rows(cls, rows: int) -> Params:
        """Deeper, faster-learning trees once there is data for them: at 10,000 projects
        they bring the with-costs MAPE from 0.15 to 0.10; at 2,000 they already cost
        the enquiry MAPE half a point (bench/pricing.py)."""
        if rows >= LARGE:
            return cls(max_depth=5, learning_rate=0.1, n_estimators=300)
        return cls()

    def booster_params(self, threads: int, seed: int) -> dict[str, Any]:
        return {
            "objective": "reg:squarederror",
            "tree_method": "hist",
            "max_depth": self.max_depth,
            "eta": self.learning_rate,
            "subsample": self.subsample,
            "colsample_bytree": self.colsample_bytree,
            "min_child_weight": self.min_child_weight,
            "nthread": threads,
            "seed": seed,
            # Few levels per category: one-hot splits read best in explanations.
            "max_cat_to_onehot": 16,
        }


@dataclass(frozen=True, slots=True)
class Scores:
    mae: float
    mape: float
    coverage: float | None = None


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Cross-validated scores of one configuration on fixed folds."""

    new: Scores  # without labour hours and material cost: an enquiry
    known: Scores  # with both: a project whose costs are known
    baseline: Scores
    q_new: float
    q_known: float


@dataclass(frozen=True, slots=True)
class Trained:
    booster: bytes
    encoding: Encoding
    baseline: Baseline
    params: Params
    evaluation: Evaluation
    seconds: float


def fold_ids(n: int, folds: int, seed: int) -> npt.NDArray[np.int64]:
    """A fold per project; the same seed and size give the same folds."""
    rng = np.random.default_rng(seed)
    ids = np.arange(n) % folds
    rng.shuffle(ids)
    return ids


@dataclass(frozen=True, slots=True)
class Baseline:
    """Median price per m² of each project type (of all types for a type not seen) × area.

    The yardstick a model has to beat, and the model's starting point: the trees
    learn the correction to it in log space (XGBoost's base margin), which 500
    projects over twelve types are too few to learn from scratch.
    """

    per_sqm: dict[str, float]
    overall: float

    @classmethod
    def fit(cls, rows: list[PriceInput], prices: Vector) -> Baseline:
        per_sqm = prices / np.array([row.total_area_sqm for row in rows])
        by_type: dict[str, list[float]] = {}
        for row, value in zip(rows, per_sqm, strict=True):
            by_type.setdefault(row.project_type, []).append(float(value))
        return cls(
            per_sqm={name: float(np.median(values)) for name, values in by_type.items()},
            overall=float(np.median(per_sqm)),
        )

    def prices(self, rows: list[PriceInput]) -> Vector:
        return np.array(
            [self.per_sqm.get(r.project_type, self.overall) * r.total_area_sqm for r in rows]
        )

    def to_json(self) -> dict[str, Any]:
        return {"per_sqm": self.per_sqm, "overall": self.overall}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Baseline:
        return cls(per_sqm=dict(data["per_sqm"]), overall=float(data["overall"]))


def _augmented(rows: list[PriceInput]) -> list[PriceInput]:
    return rows + [row.without_costs() for row in rows]


def _fit(
    encoding: Encoding,
    baseline: Baseline,
    rows: list[PriceInput],
    prices: Vector,
    params: Params,
    threads: int,
) -> xgb.Booster:
    augmented = _augmented(rows)
    label = np.log(np.concatenate([prices] * 2))
    matrix = _dmatrix(encoding, baseline, augmented, label)
    return xgb.train(
        params.booster_params(threads, seed=0), matrix, num_boost_round=params.n_estimators
    )


def _dmatrix(
    encoding: Encoding, baseline: Baseline, rows: list[PriceInput], label: Vector | None = None
) -> xgb.DMatrix:
    return xgb.DMatrix(
        encoding.matrix(rows),
        label=label,
        base_margin=np.log(baseline.prices(rows)),
        feature_names=encoding.features,
        feature_types=encoding.feature_types,
        enable_categorical=True,
    )


def conformal_quantile(residuals: Vector, coverage: float) -> float:
    """The split-conformal quantile: ⌈(n+1)·coverage⌉-th smallest residual."""
    n = len(residuals)
    rank = min(math.ceil((n + 1) * coverage), n)
    return float(np.sort(residuals)[rank - 1])


def _scores(actual: Vector, predicted: Vector) -> tuple[float, float]:
    errors = np.abs(actual - predicted)
    return float(errors.mean()), float((errors / actual).mean())


def _conformal_scores(
    actual: Vector, predicted: Vector, folds: npt.NDArray[np.int64], coverage: float
) -> Scores:
    residuals = np.abs(np.log(actual) - np.log(predicted))
    covered = np.zeros(len(actual), dtype=bool)
    for fold in np.unique(folds):
        held = folds == fold
        q = conformal_quantile(residuals[~held], coverage)
        covered[held] = residuals[held] <= q
    mae, mape = _scores(actual, predicted)
    return Scores(mae=mae, mape=mape, coverage=float(covered.mean()))


def evaluate(
    rows: list[PriceInput],
    prices: Vector,
    params: Params,
    folds: npt.NDArray[np.int64],
    *,
    reference: date,
    coverage: float,
    threads: int,
) -> Evaluation:
    """Out-of-fold predictions of this configuration, and of the baseline, on `folds`."""
    predicted_new = np.zeros(len(rows))
    predicted_known = np.zeros(len(rows))
    predicted_base = np.zeros(len(rows))
    for fold in np.unique(folds):
        held = np.flatnonzero(folds == fold)
        kept = np.flatnonzero(folds != fold)
        train = [rows[i] for i in kept]
        test = [rows[i] for i in held]
        encoding = Encoding.fit(train, reference, interactions=params.interactions)
        baseline = Baseline.fit(train, prices[kept])
        booster = _fit(encoding, baseline, train, prices[kept], params, threads)
        predicted_known[held] = _predict(booster, encoding, baseline, test)
        without = [r.without_costs() for r in test]
        predicted_new[held] = _predict(booster, encoding, baseline, without)
        predicted_base[held] = baseline.prices(test)
    new = _conformal_scores(prices, predicted_new, folds, coverage)
    known = _conformal_scores(prices, predicted_known, folds, coverage)
    base_mae, base_mape = _scores(prices, predicted_base)
    return Evaluation(
        new=new,
        known=known,
        baseline=Scores(mae=base_mae, mape=base_mape),
        q_new=conformal_quantile(np.abs(np.log(prices / predicted_new)), coverage),
        q_known=conformal_quantile(np.abs(np.log(prices / predicted_known)), coverage),
    )


def _predict(
    booster: xgb.Booster, encoding: Encoding, baseline: Baseline, rows: list[PriceInput]
) -> Vector:
    margin = booster.predict(_dmatrix(encoding, baseline, rows), output_margin=True)
    return np.exp(margin.astype(np.float64))


def train(
    rows: list[PriceInput],
    prices: Vector,
    params: Params,
    *,
    reference: date,
    coverage: float,
    folds: int = 5,
    seed: int = 0,
    threads: int = 1,
) -> Trained:
    started = time.perf_counter()
    ids = fold_ids(len(rows), folds, seed)
    evaluation = evaluate(
        rows, prices, params, ids, reference=reference, coverage=coverage, threads=threads
    )
    encoding = Encoding.fit(rows, reference, interactions=params.interactions)
    baseline = Baseline.fit(rows, prices)
    booster = _fit(encoding, baseline, rows, prices, params, threads)
    return Trained(
        booster=bytes(booster.save_raw("ubj")),
        encoding=encoding,
        baseline=baseline,
        params=params,
        evaluation=evaluation,
        seconds=time.perf_counter() - started,
    )


@dataclass(frozen=True, slots=True)
class Contribution:
    feature: str
    contribution_eur: Decimal


@dataclass(frozen=True, slots=True)
class Estimate:
    price: Decimal
    low: Decimal
    high: Decimal
    base_value: Decimal
    contributions: list[Contribution]


def cents(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(CENT, rounding=ROUND_HALF_UP)


class LoadedModel:
    """A stored model version, ready to predict."""

    def __init__(self, booster: bytes, preprocessing: dict[str, Any]) -> None:
        self.booster = xgb.Booster()
        self.booster.load_model(bytearray(booster))
        self.booster.set_param({"nthread": 1})
        self.encoding = Encoding.from_json(preprocessing["encoding"])
        self.baseline = Baseline.from_json(preprocessing["baseline"])
        self.q_new = float(preprocessing["q_new"])
        self.q_known = float(preprocessing["q_known"])

    def intervals(self, rows: list[PriceInput]) -> tuple[Vector, Vector, Vector]:
        """Prices and interval bounds of many rows at once (evaluation, benchmarks)."""
        margin = self.booster.predict(
            _dmatrix(self.encoding, self.baseline, rows), output_margin=True
        )
        prices = np.exp(margin.astype(np.float64))
        q = np.array([self.q_known if r.costs_known else self.q_new for r in rows])
        return prices, prices * np.exp(-q), prices * np.exp(q)

    def predict(self, row: PriceInput) -> Estimate:
        matrix = _dmatrix(self.encoding, self.baseline, [row])
        phi = self.booster.predict(matrix, pred_contribs=True)[0].astype(np.float64)
        base_log, shares = float(phi[-1]), phi[:-1]
        total = float(shares.sum())
        price = math.exp(base_log + total)
        q = self.q_known if row.costs_known else self.q_new
        return Estimate(
            price=cents(price),
            low=cents(price * math.exp(-q)),
            high=cents(price * math.exp(q)),
            base_value=cents(math.exp(base_log)),
            contributions=euro_contributions(self.encoding.features, shares, base_log),
        )


def euro_contributions(features: list[str], shares: Vector, base_log: float) -> list[Contribution]:
    """Log-space SHAP values in euros, summing with the base value to the price exactly."""
    total = float(shares.sum())
    base = math.exp(base_log)
    price = math.exp(base_log + total)
    # (p − e^b)/S, written with expm1 so it stays exact as S → 0.
    per_unit = base * (math.expm1(total) / total if abs(total) > 1e-12 else 1.0)
    amounts = [cents(float(share) * per_unit) for share in shares]
    remainder = cents(price) - cents(base) - sum(amounts, Decimal(0))
    if amounts:
        largest = max(range(len(amounts)), key=lambda i: abs(amounts[i]))
        amounts[largest] += remainder
    found = [Contribution(f, a) for f, a in zip(features, amounts, strict=True)]
    return sorted(found, key=lambda c: -abs(c.contribution_eur))


def preprocessing_json(trained: Trained) -> dict[str, Any]:
    """What a stored version needs besides its booster."""
    return {
        "encoding": trained.encoding.to_json(),
        "baseline": trained.baseline.to_json(),
        "q_new": trained.evaluation.q_new,
        "q_known": trained.evaluation.q_known,
        "params": asdict(trained.params),
    }


def evaluation_json(evaluation: Evaluation) -> dict[str, Any]:
    return {
        "mae": round(evaluation.new.mae, 2),
        "mape": round(evaluation.new.mape, 4),
        "interval_coverage": evaluation.new.coverage,
        "with_costs": asdict(evaluation.known),
        "baseline": asdict(evaluation.baseline),
    }
