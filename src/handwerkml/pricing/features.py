"""What the price model sees of a project, and how that becomes a row of numbers.

Pure code, no database: training and prediction build the same `PriceInput`s and
turn them into a matrix with the same `Encoding`, which is stored with the model.

Categories (type, wood, region) are XGBoost's native categorical features, coded
by the levels seen in training; a level the training data never saw is missing
(NaN), which the trees send down their default branch. Labour hours and material
cost are often unknown for a new enquiry, so they may be missing as well.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float64]

CATEGORICAL = ("project_type", "wood_type", "region")
NUMERIC = ("complexity", "total_area_sqm", "labor_hours", "material_cost", "age_years", "month")
# The seed system's hand-made interaction; only used where cross-validation shows a gain.
INTERACTIONS = ("complexity_x_area",)


@dataclass(frozen=True, slots=True)
class PriceInput:
    project_type: str
    wood_type: str | None
    region: str | None
    complexity: int
    total_area_sqm: float
    # Unknown for most enquiries; the model is trained with and without them.
    labor_hours: float | None
    # At today's catalog prices, so old and new projects are measured alike.
    material_cost: float | None
    # The project's date in training, today for a request.
    on: date

    def without_costs(self) -> PriceInput:
        return replace(self, labor_hours=None, material_cost=None)

    @property
    def costs_known(self) -> bool:
        return self.labor_hours is not None and self.material_cost is not None

    def describe(self) -> dict[str, Any]:
        """The inputs as stored with a prediction."""
        return {
            "project_type": self.project_type,
            "wood_type": self.wood_type,
            "region": self.region,
            "complexity": self.complexity,
            "total_area_sqm": self.total_area_sqm,
            "labor_hours": self.labor_hours,
            "material_cost": self.material_cost,
            "on": self.on.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class Encoding:
    """Category levels and the date the ages count from, fixed at training."""

    levels: dict[str, list[str]]
    reference: date
    interactions: bool = False
    _codes: dict[str, dict[str, int]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def fit(cls, rows: list[PriceInput], reference: date, *, interactions: bool) -> Encoding:
        levels = {
            name: sorted({value for row in rows if (value := getattr(row, name)) is not None})
            for name in CATEGORICAL
        }
        return cls(levels=levels, reference=reference, interactions=interactions)

    def __post_init__(self) -> None:
        for name, values in self.levels.items():
            self._codes[name] = {value: code for code, value in enumerate(values)}

    @property
    def features(self) -> list[str]:
        return [*CATEGORICAL, *NUMERIC, *(INTERACTIONS if self.interactions else ())]

    @property
    def feature_types(self) -> list[str]:
        return ["c"] * len(CATEGORICAL) + ["q"] * (len(self.features) - len(CATEGORICAL))

    def matrix(self, rows: list[PriceInput]) -> Matrix:
        out = np.full((len(rows), len(self.features)), np.nan)
        for i, row in enumerate(rows):
            out[i] = self._row(row)
        return out

    def _row(self, row: PriceInput) -> list[float]:
        values = [self._code(name, getattr(row, name)) for name in CATEGORICAL]
        values += [
            float(row.complexity),
            row.total_area_sqm,
            math.nan if row.labor_hours is None else row.labor_hours,
            math.nan if row.material_cost is None else row.material_cost,
            (self.reference - row.on).days / 365.25,
            float(row.on.month),
        ]
        if self.interactions:
            values.append(row.complexity * row.total_area_sqm)
        return values

    def _code(self, name: str, value: str | None) -> float:
        code = None if value is None else self._codes[name].get(value)
        return math.nan if code is None else float(code)

    def knows(self, name: str, value: str) -> bool:
        return value in self._codes[name]

    def to_json(self) -> dict[str, Any]:
        return {
            "levels": self.levels,
            "reference": self.reference.isoformat(),
            "interactions": self.interactions,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Encoding:
        return cls(
            levels={k: list(v) for k, v in data["levels"].items()},
            reference=date.fromisoformat(data["reference"]),
            interactions=bool(data["interactions"]),
        )
