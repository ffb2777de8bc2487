"""Training rows straight from the demo generator, without a database.

For the model's tests and bench/pricing.py: the same rows the database path builds
(finished projects, material cost at today's catalog prices), in milliseconds.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from handwerkml.demo.generator import TenantData, generate
from handwerkml.pricing.features import PriceInput
from handwerkml.pricing.model import Vector


def finished_rows(data: TenantData) -> tuple[list[PriceInput], Vector]:
    rows: list[PriceInput] = []
    prices: list[float] = []
    for project in data.projects:
        if project.finalized_at is None or project.final_price is None:
            continue
        material_cost = sum(
            float(item.quantity) * float(data.materials[item.material].unit_price)
            for item in project.materials
        )
        rows.append(
            PriceInput(
                project_type=project.project_type,
                wood_type=project.wood_type,
                region=project.region,
                complexity=project.complexity,
                total_area_sqm=float(project.total_area_sqm),
                labor_hours=float(project.labor_hours),
                material_cost=round(material_cost, 2),
                on=project.project_date,
            )
        )
        prices.append(float(project.final_price))
    return rows, np.array(prices)


def demo_rows(projects: int, *, today: date, seed: int = 42) -> tuple[list[PriceInput], Vector]:
    """The finished projects of the first demo tenant (Holzwurm)."""
    return finished_rows(generate(today=today, seed=seed, projects=projects).tenants[0])
