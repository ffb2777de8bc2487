"""The firm's own price calculation: materials plus markup, labour, overhead, profit, VAT.

Pure arithmetic on Decimals, shared by project cost breakdowns and, later, the
pricing and GAEB modules. Every amount is rounded to the cent, half up, as an
invoice would be.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from handwerkml.db.models import CompanySettings

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def to_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class CostBreakdown:
    material_cost: Decimal
    material_markup: Decimal
    material_total: Decimal
    labor_hours: Decimal
    labor_rate_per_hour: Decimal
    labor_cost: Decimal
    overhead: Decimal
    profit: Decimal
    net: Decimal
    tax_rate: Decimal
    vat: Decimal
    gross: Decimal


def calculate_cost_breakdown(
    *, material_cost: Decimal, labor_hours: Decimal, settings: CompanySettings
) -> CostBreakdown:
    """Overhead is charged on materials and labour; profit on that subtotal plus overhead."""
    material_cost = to_cents(material_cost)
    material_markup = to_cents(material_cost * settings.material_markup_percentage / HUNDRED)
    material_total = material_cost + material_markup
    labor_cost = to_cents(labor_hours * settings.labor_rate_per_hour)
    direct = material_total + labor_cost
    overhead = to_cents(direct * settings.overhead_percentage / HUNDRED)
    profit = to_cents((direct + overhead) * settings.profit_margin_percentage / HUNDRED)
    net = direct + overhead + profit
    vat = to_cents(net * settings.tax_rate)
    return CostBreakdown(
        material_cost=material_cost,
        material_markup=material_markup,
        material_total=material_total,
        labor_hours=labor_hours,
        labor_rate_per_hour=settings.labor_rate_per_hour,
        labor_cost=labor_cost,
        overhead=overhead,
        profit=profit,
        net=net,
        tax_rate=settings.tax_rate,
        vat=vat,
        gross=net + vat,
    )
